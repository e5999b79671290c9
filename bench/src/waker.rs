//! Workload 3, **waker**: wake-ups sent from another thread, each one seen
//! by the polling thread.
//!
//! Protocol (no coalescing, by construction): the waking thread wakes once
//! (`mio::Waker::wake`, `polling::Poller::notify`, or an 8-byte `write` to
//! an eventfd registered with the raw epoll), then parks until the polling
//! thread acknowledges. The polling thread blocks in `poll(None)`; when it
//! returns with the waker's event (for `polling`: returns at all, since
//! nothing else is registered) it counts one wake, publishes the count and
//! unparks the waking thread. So every wake is a cross-thread hand-off
//! seen by exactly one `poll`, and the acknowledgement (an atomic store and
//! `Thread::unpark`, i.e. at most one futex wake) is the same code for every
//! implementation.
//!
//! Both threads are pinned to one CPU for the run (`--waker-unpinned` lets
//! them float): a hand-off is then two context switches on that CPU. Left
//! floating, every hand-off may have to wake the other, idle, virtual CPU,
//! and on this shared VM that latency alone varied from run to run between
//! 7 µs and 150 µs, drowning the implementations' differences.
//!
//! Reported: acknowledged wakes per second. The figure includes two
//! context switches per operation, so it is dominated by the scheduler;
//! what differs between implementations is the cost of `wake` and of the
//! `poll` that consumes it.

use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::{self, Thread};
use std::time::Instant;

use crate::fixture::{self, EVENTS};
use crate::harness::{Budget, Impl, Measurement};

/// Token of the waker (and the raw eventfd's `u64`).
const WAKE: usize = 7;

/// State shared by the two threads.
struct Shared {
    /// Set by the poller to let the waking thread begin.
    start: AtomicBool,
    /// Set by the poller when the run is over.
    stop: AtomicBool,
    /// Wakes sent so far.
    sent: AtomicU64,
    /// Wakes the poller has seen and acknowledged so far.
    acked: AtomicU64,
}

/// Spawns the waking thread: up to `max` wakes, each after the previous one
/// was acknowledged; stops early when `stop` is set.
fn spawn_waker<W>(shared: Arc<Shared>, max: u64, wake: W) -> thread::JoinHandle<io::Result<()>>
where
    W: Fn() -> io::Result<()> + Send + 'static,
{
    thread::spawn(move || {
        while !shared.start.load(Ordering::Acquire) {
            thread::park();
        }
        for i in 1..=max {
            shared.sent.store(i, Ordering::Release);
            wake()?;
            while shared.acked.load(Ordering::Acquire) < i {
                if shared.stop.load(Ordering::Acquire) {
                    return Ok(());
                }
                thread::park();
            }
        }
        Ok(())
    })
}

/// The polling side's bookkeeping, identical for every implementation.
struct Acker {
    shared: Arc<Shared>,
    waker_thread: Thread,
    seen: u64,
}

impl Acker {
    /// Called when a `poll` returned the wake-up: acknowledges it if a wake
    /// was actually sent (guards against a spurious return).
    #[inline]
    fn seen(&mut self) {
        if self.shared.sent.load(Ordering::Acquire) > self.seen {
            self.seen += 1;
            self.shared.acked.store(self.seen, Ordering::Release);
            self.waker_thread.unpark();
        }
    }
}

/// Runs one measurement: `poll_once` blocks until the next wake-up and
/// reports it to the acker.
fn measure<W>(
    budget: Budget,
    pin: bool,
    wake: W,
    mut poll_once: impl FnMut(&mut Acker) -> io::Result<()>,
) -> io::Result<Measurement>
where
    W: Fn() -> io::Result<()> + Send + 'static,
{
    let shared = Arc::new(Shared {
        start: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        sent: AtomicU64::new(0),
        acked: AtomicU64::new(0),
    });
    let saved = if pin { Some(pin_here()?) } else { None };
    let handle = spawn_waker(shared.clone(), budget.max_ops, wake);
    let mut acker = Acker {
        shared: shared.clone(),
        waker_thread: handle.thread().clone(),
        seen: 0,
    };
    let start = Instant::now();
    shared.start.store(true, Ordering::Release);
    acker.waker_thread.unpark();
    while !budget.done(acker.seen, start) {
        let before = acker.seen;
        // The budget is checked once per 64 *operations*: make sure a
        // spurious return does not skip the check forever.
        while acker.seen == before {
            poll_once(&mut acker)?;
        }
    }
    let elapsed = start.elapsed();
    shared.stop.store(true, Ordering::Release);
    acker.waker_thread.unpark();
    handle.join().expect("waker thread panicked")?;
    if let Some(set) = saved {
        // SAFETY: restores the mask read by `pin_here`.
        fixture::cvt(unsafe {
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
        })?;
    }
    Ok(Measurement {
        ops: acker.seen,
        elapsed,
        // Two threads take part; only wall-clock time is reported.
        cpu: std::time::Duration::ZERO,
    })
}

/// Pins the calling thread (and so the threads it spawns next) to the CPU
/// it is running on; returns the previous mask.
fn pin_here() -> io::Result<libc::cpu_set_t> {
    // SAFETY: plain libc calls on zeroed, correctly sized masks.
    unsafe {
        let mut old: libc::cpu_set_t = std::mem::zeroed();
        fixture::cvt(libc::sched_getaffinity(
            0,
            std::mem::size_of::<libc::cpu_set_t>(),
            &mut old,
        ))?;
        let cpu = fixture::cvt(libc::sched_getcpu())? as usize;
        let mut one: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut one);
        fixture::cvt(libc::sched_setaffinity(
            0,
            std::mem::size_of::<libc::cpu_set_t>(),
            &one,
        ))?;
        Ok(old)
    }
}

/// One run of `imp`.
///
/// With `pin`, both threads run on one CPU (the one the caller is on), so
/// a hand-off is two context switches on that CPU; without it the threads
/// float, and each hand-off may have to wake an idle virtual CPU, whose
/// latency on a shared VM varies by an order of magnitude from run to run.
pub fn run(imp: Impl, budget: Budget, pin: bool) -> io::Result<Measurement> {
    match imp {
        Impl::Ours => ours::run(budget, pin),
        Impl::Upstream => upstream::run(budget, pin),
        Impl::Polling => with_polling(budget, pin),
        Impl::Epoll => with_epoll(budget, pin),
    }
}

/// The run for a mio API (this crate and upstream).
macro_rules! with_mio {
    ($mio:ident) => {
        pub(super) fn run(budget: Budget, pin: bool) -> io::Result<Measurement> {
            use $mio::{Events, Poll, Token, Waker};

            let mut poll = Poll::new()?;
            let mut events = Events::with_capacity(EVENTS);
            let waker = Arc::new(Waker::new(poll.registry(), Token(WAKE))?);
            let w = waker.clone();
            measure(
                budget,
                pin,
                move || w.wake(),
                |acker| {
                    poll.poll(&mut events, None)?;
                    for event in events.iter() {
                        if event.token() == Token(WAKE) {
                            acker.seen();
                        }
                    }
                    Ok(())
                },
            )
        }
    };
}

mod ours {
    use super::*;
    with_mio!(mio);
}

mod upstream {
    use super::*;
    with_mio!(mio_upstream);
}

fn with_polling(budget: Budget, pin: bool) -> io::Result<Measurement> {
    use polling::{Events, Poller};
    use std::num::NonZeroUsize;

    let poller = Arc::new(Poller::new()?);
    let mut events = Events::with_capacity(NonZeroUsize::new(EVENTS).unwrap());
    let p = poller.clone();
    measure(
        budget,
        pin,
        move || p.notify(),
        |acker| {
            events.clear();
            // Nothing is registered: `wait(None)` returns only when notified.
            poller.wait(&mut events, None)?;
            acker.seen();
            Ok(())
        },
    )
}

fn with_epoll(budget: Budget, pin: bool) -> io::Result<Measurement> {
    let ep = fixture::epoll_create()?;
    let efd = Arc::new(fixture::eventfd()?);
    fixture::epoll_add(
        ep.as_raw_fd(),
        efd.as_raw_fd(),
        fixture::EPOLL_READABLE,
        WAKE as u64,
    )?;
    let mut events: Vec<libc::epoll_event> = Vec::with_capacity(EVENTS);
    let e = efd.clone();
    measure(
        budget,
        pin,
        move || fixture::eventfd_add(e.as_raw_fd()),
        |acker| {
            fixture::epoll_wait(ep.as_raw_fd(), &mut events, -1)?;
            for event in &events {
                if event.u64 == WAKE as u64 {
                    acker.seen();
                }
            }
            Ok(())
        },
    )
}
