//! Workload 6, **channel**: messages per second from a sending thread to a
//! polling thread.
//!
//! * ours: `mio::channel` (feature `channel`), its `Receiver` registered
//!   with the `Poll`; the channel makes the receiver readable only when a
//!   message arrives in a drained channel.
//! * the others: what a user of that implementation writes without it, a
//!   `std::sync::mpsc::sync_channel` of the same capacity plus the
//!   implementation's wake-up: upstream mio 1.2.5's `Waker`, `polling`'s
//!   `Poller::notify`, or an eventfd registered with the raw epoll loop.
//!   The sender sends, then wakes, for every message (it cannot know
//!   whether the receiver is already awake).
//!
//! Protocol, the same for every implementation: the sending thread sends
//! consecutive integers as fast as it can, yielding when the channel is
//! full (capacity [`CAPACITY`]); the polling thread blocks in `poll(None)`,
//! and on the event drains the channel until it is empty, checking the
//! order. Counted: messages received. Threads are not pinned: with two
//! CPUs, sender and receiver run in parallel, as in a real program.

use std::io;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, TryRecvError, TrySendError};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use crate::fixture::{self, EVENTS};
use crate::harness::{Budget, Impl, Measurement};

/// Messages the channel holds.
pub const CAPACITY: usize = 1024;

/// Token of the receiver or waker (and the raw eventfd's `u64`).
const RX: usize = 5;

/// Runs one measurement of `imp`.
pub fn run(imp: Impl, budget: Budget) -> io::Result<Measurement> {
    match imp {
        Impl::Ours => ours(budget),
        Impl::Upstream => with_upstream(budget),
        Impl::Polling => with_polling(budget),
        Impl::Epoll => with_epoll(budget),
    }
}

/// Spawns the sending thread: sends 0, 1, 2, ... until `stop`, through
/// `send`, which returns `Ok(false)` when the channel is full and an error
/// when the receiver is gone.
fn spawn_sender<S>(stop: Arc<AtomicBool>, mut send: S) -> thread::JoinHandle<()>
where
    S: FnMut(u64) -> io::Result<bool> + Send + 'static,
{
    thread::spawn(move || {
        let mut next = 0u64;
        while !stop.load(Ordering::Relaxed) {
            match send(next) {
                Ok(true) => next += 1,
                Ok(false) => thread::yield_now(),
                Err(_) => return,
            }
        }
    })
}

/// The receiving side's bookkeeping, identical for every implementation.
struct Counter {
    received: u64,
}

impl Counter {
    #[inline]
    fn got(&mut self, message: u64) {
        assert_eq!(message, self.received, "messages out of order");
        self.received += 1;
    }
}

/// Runs the timed loop: `poll_and_drain` blocks until an event and drains
/// the channel into the counter. Then stops the sender.
fn measure(
    budget: Budget,
    stop: Arc<AtomicBool>,
    sender: thread::JoinHandle<()>,
    mut poll_and_drain: impl FnMut(&mut Counter) -> io::Result<()>,
) -> io::Result<Measurement> {
    let mut counter = Counter { received: 0 };
    let start = Instant::now();
    let mut checked = 0;
    loop {
        poll_and_drain(&mut counter)?;
        // `Budget::done` reads the clock every 64 operations: check at each
        // 64-message boundary crossed by this batch.
        if counter.received >= budget.max_ops
            || (counter.received / 64 != checked && start.elapsed() >= budget.time)
        {
            break;
        }
        checked = counter.received / 64;
    }
    let elapsed = start.elapsed();
    // The sender stops at the flag (a full channel makes it yield, never
    // block); the receiving end is dropped after it, by the caller.
    stop.store(true, Ordering::Relaxed);
    sender.join().expect("sender thread panicked");
    Ok(Measurement {
        ops: counter.received,
        elapsed,
        // Two threads take part; only wall-clock time is reported.
        cpu: std::time::Duration::ZERO,
    })
}

fn ours(budget: Budget) -> io::Result<Measurement> {
    use mio::channel::{channel, TryRecvError, TrySendError};
    use mio::{Events, Interest, Poll, Token};

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(EVENTS);
    let (tx, mut rx) = channel::<u64>(CAPACITY)?;
    poll.registry()
        .register(&mut rx, Token(RX), Interest::READABLE)?;
    let stop = Arc::new(AtomicBool::new(false));
    let sender = spawn_sender(stop.clone(), move |i| match tx.try_send(i) {
        Ok(()) => Ok(true),
        Err(TrySendError::Full(_)) => Ok(false),
        Err(TrySendError::Disconnected(_)) => Err(io::ErrorKind::BrokenPipe.into()),
    });
    measure(budget, stop, sender, |counter| {
        poll.poll(&mut events, None)?;
        for event in events.iter() {
            if event.token() == Token(RX) {
                loop {
                    match rx.try_recv() {
                        Ok(m) => counter.got(m),
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Disconnected) => {
                            return Err(io::ErrorKind::BrokenPipe.into())
                        }
                    }
                }
            }
        }
        Ok(())
    })
}

/// `try_send` on a `SyncSender`, then `wake`.
fn send_and_wake(
    tx: &mpsc::SyncSender<u64>,
    i: u64,
    wake: impl FnOnce() -> io::Result<()>,
) -> io::Result<bool> {
    match tx.try_send(i) {
        Ok(()) => {
            wake()?;
            Ok(true)
        }
        Err(TrySendError::Full(_)) => Ok(false),
        Err(TrySendError::Disconnected(_)) => Err(io::ErrorKind::BrokenPipe.into()),
    }
}

/// Receives everything in `rx`.
fn drain_mpsc(rx: &mpsc::Receiver<u64>, counter: &mut Counter) -> io::Result<()> {
    loop {
        match rx.try_recv() {
            Ok(m) => counter.got(m),
            Err(TryRecvError::Empty) => return Ok(()),
            Err(TryRecvError::Disconnected) => return Err(io::ErrorKind::BrokenPipe.into()),
        }
    }
}

fn with_upstream(budget: Budget) -> io::Result<Measurement> {
    use mio_upstream::{Events, Poll, Token, Waker};

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(EVENTS);
    let waker = Waker::new(poll.registry(), Token(RX))?;
    let (tx, rx) = mpsc::sync_channel::<u64>(CAPACITY);
    let stop = Arc::new(AtomicBool::new(false));
    let sender = spawn_sender(stop.clone(), move |i| {
        send_and_wake(&tx, i, || waker.wake())
    });
    measure(budget, stop, sender, |counter| {
        poll.poll(&mut events, None)?;
        if events.iter().any(|e| e.token() == Token(RX)) {
            drain_mpsc(&rx, counter)?;
        }
        Ok(())
    })
}

fn with_polling(budget: Budget) -> io::Result<Measurement> {
    use polling::{Events, Poller};
    use std::num::NonZeroUsize;

    let poller = Arc::new(Poller::new()?);
    let mut events = Events::with_capacity(NonZeroUsize::new(EVENTS).unwrap());
    let (tx, rx) = mpsc::sync_channel::<u64>(CAPACITY);
    let p = poller.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let sender = spawn_sender(stop.clone(), move |i| send_and_wake(&tx, i, || p.notify()));
    measure(budget, stop, sender, |counter| {
        events.clear();
        // Nothing is registered: `wait(None)` returns only when notified.
        poller.wait(&mut events, None)?;
        drain_mpsc(&rx, counter)
    })
}

fn with_epoll(budget: Budget) -> io::Result<Measurement> {
    let ep = fixture::epoll_create()?;
    let efd = Arc::new(fixture::eventfd()?);
    fixture::epoll_add(
        ep.as_raw_fd(),
        efd.as_raw_fd(),
        fixture::EPOLL_READABLE,
        RX as u64,
    )?;
    let mut events: Vec<libc::epoll_event> = Vec::with_capacity(EVENTS);
    let (tx, rx) = mpsc::sync_channel::<u64>(CAPACITY);
    let e = efd.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let sender = spawn_sender(stop.clone(), move |i| {
        send_and_wake(&tx, i, || fixture::eventfd_add(e.as_raw_fd()))
    });
    measure(budget, stop, sender, |counter| {
        fixture::epoll_wait(ep.as_raw_fd(), &mut events, -1)?;
        if events.iter().any(|e| e.u64 == RX as u64) {
            // Edge-triggered: the counter need not be read; every write
            // is a new edge.
            drain_mpsc(&rx, counter)?;
        }
        Ok(())
    })
}
