//! Workload 8, **wake storm**: four threads wake one poller as fast as they
//! can.
//!
//! Each waking thread loops: add one to its own published counter, wake
//! (`mio::Waker::wake`, `polling::Poller::notify`, or an 8-byte `write` to
//! an eventfd registered with the raw epoll, which never coalesces). The
//! polling thread loops on `poll(None)`; after every return it reads the
//! four counters: their sum is the number of wakes *delivered*, i.e. whose
//! effect a `poll` that returned after them observed. The run ends when
//! its time is spent; the threads are then stopped.
//!
//! Reported:
//! * wakes delivered per second;
//! * system calls per wake, counted without tracing where that is possible:
//!   the wakers' eventfd writes (read back from the eventfd's counter in
//!   `/proc/self/fdinfo`, which only writes increase: neither mio reads its
//!   waker's eventfd, nor does the raw loop) plus the poller's waits, over
//!   the wakes delivered. Not for `polling`, which reads its eventfd back;
//!   scripts/bench-profile.sh counts every implementation with strace.
//!
//! The threads float over the CPUs (no pinning): the point is contention.

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

use crate::fixture::{self, EVENTS};
use crate::harness::{Budget, Impl, Measurement};

/// Waking threads.
pub const THREADS: usize = 4;

/// Token of the waker (and the raw eventfd's `u64`).
const WAKE: usize = 3;

/// What one run measured.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Wakes delivered over the timed span.
    pub delivered: Measurement,
    /// Wake calls made by the threads (delivered or not yet).
    pub wakes: u64,
    /// `poll` calls of the polling thread.
    pub polls: u64,
    /// Eventfd writes, where they can be counted.
    pub writes: Option<u64>,
}

impl Sample {
    /// System calls per wake, where countable: eventfd writes plus waits,
    /// over the wake calls made while the writes were counted.
    pub fn syscalls_per_wake(&self) -> Option<f64> {
        let w = self.writes?;
        Some((w + self.polls) as f64 / self.wakes.max(1) as f64)
    }
}

/// One run of `imp`.
pub fn run(imp: Impl, budget: Budget) -> io::Result<Sample> {
    match imp {
        Impl::Ours => ours::run(budget),
        Impl::Upstream => upstream::run(budget),
        Impl::Polling => with_polling(budget),
        Impl::Epoll => with_epoll(budget),
    }
}

/// The eventfds this process has open.
pub fn eventfds() -> io::Result<Vec<RawFd>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let entry = entry?;
        if let Ok(target) = std::fs::read_link(entry.path()) {
            if target.as_os_str() == "anon_inode:[eventfd]" {
                if let Ok(fd) = entry.file_name().to_string_lossy().parse() {
                    out.push(fd);
                }
            }
        }
    }
    Ok(out)
}

/// The counter of eventfd `fd` (`eventfd-count`, hex, in its fdinfo).
pub fn eventfd_count(fd: RawFd) -> io::Result<u64> {
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}"))?;
    info.lines()
        .find_map(|l| l.strip_prefix("eventfd-count:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
        .ok_or_else(|| io::Error::other("no eventfd-count in fdinfo"))
}

/// The one eventfd that `create` opens.
fn new_eventfd<T>(create: impl FnOnce() -> io::Result<T>) -> io::Result<(T, RawFd)> {
    let before = eventfds()?;
    let made = create()?;
    let new: Vec<RawFd> = eventfds()?
        .into_iter()
        .filter(|fd| !before.contains(fd))
        .collect();
    match new.as_slice() {
        [fd] => Ok((made, *fd)),
        _ => Err(io::Error::other(format!(
            "storm: expected one new eventfd, found {new:?}"
        ))),
    }
}

/// Runs one storm: `wake` from `THREADS` threads, `poll_once` (one blocking
/// poll) on this one. `counted`: the eventfd whose counter counts writes.
fn measure<W>(
    budget: Budget,
    wake: W,
    counted: Option<RawFd>,
    mut poll_once: impl FnMut() -> io::Result<()>,
) -> io::Result<Sample>
where
    W: Fn() -> io::Result<()> + Send + Sync + 'static,
{
    let wake = Arc::new(wake);
    let stop = Arc::new(AtomicBool::new(false));
    let published: Arc<Vec<AtomicU64>> =
        Arc::new((0..THREADS).map(|_| AtomicU64::new(0)).collect());
    let go = Arc::new(Barrier::new(THREADS + 1));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (wake, stop, published, go) =
                (wake.clone(), stop.clone(), published.clone(), go.clone());
            thread::spawn(move || -> io::Result<()> {
                go.wait();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    published[t].store(n, Ordering::Release);
                    wake()?;
                }
                Ok(())
            })
        })
        .collect();
    let writes_before = counted.map(eventfd_count).transpose()?;
    go.wait();
    let start = Instant::now();
    let mut delivered = 0u64;
    let mut polls = 0u64;
    while delivered < budget.max_ops && (!polls.is_multiple_of(16) || start.elapsed() < budget.time)
    {
        poll_once()?;
        polls += 1;
        delivered = published.iter().map(|p| p.load(Ordering::Acquire)).sum();
    }
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().expect("waking thread panicked")?;
    }
    let wakes = published.iter().map(|p| p.load(Ordering::Acquire)).sum();
    // Writes over the same span as `wakes`: from before the threads
    // started to after they stopped.
    let writes = match (counted, writes_before) {
        (Some(fd), Some(before)) => Some(eventfd_count(fd)? - before),
        _ => None,
    };
    Ok(Sample {
        delivered: Measurement {
            ops: delivered,
            elapsed,
            cpu: std::time::Duration::ZERO,
        },
        wakes,
        polls,
        writes,
    })
}

macro_rules! with_mio {
    ($mio:ident) => {
        pub(super) fn run(budget: Budget) -> io::Result<Sample> {
            use $mio::{Events, Poll, Token, Waker};

            let mut poll = Poll::new()?;
            let mut events = Events::with_capacity(EVENTS);
            let (waker, fd) = new_eventfd(|| Waker::new(poll.registry(), Token(WAKE)))?;
            let waker = Arc::new(waker);
            let w = waker.clone();
            measure(
                budget,
                move || w.wake(),
                Some(fd),
                || {
                    poll.poll(&mut events, None)?;
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

fn with_polling(budget: Budget) -> io::Result<Sample> {
    use polling::{Events, Poller};
    use std::num::NonZeroUsize;

    let poller = Arc::new(Poller::new()?);
    let mut events = Events::with_capacity(NonZeroUsize::new(EVENTS).unwrap());
    let p = poller.clone();
    measure(
        budget,
        move || p.notify(),
        None,
        || {
            events.clear();
            poller.wait(&mut events, None)?;
            Ok(())
        },
    )
}

fn with_epoll(budget: Budget) -> io::Result<Sample> {
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
    let counted = efd.as_raw_fd();
    measure(
        budget,
        move || fixture::eventfd_add(e.as_raw_fd()),
        Some(counted),
        || fixture::epoll_wait(ep.as_raw_fd(), &mut events, -1),
    )
}
