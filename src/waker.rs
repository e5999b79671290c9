use std::io;

use crate::{sys, Registry, Token};

/// Wakes a [`Poll`](crate::Poll) from another thread.
///
/// A `Waker` is registered with a `Poll` under a token when it is created.
/// [`Waker::wake`] makes that `Poll` return a readable event with that token,
/// also when a thread is blocked in [`Poll::poll`](crate::Poll::poll) at the
/// time. Wakes that happen before the poll collects them coalesce into one
/// event. Share a `Waker` between threads with an `Arc`; use one `Waker` per
/// `Poll`.
///
/// Every `wake` is followed by a `poll` that returns the waker's token, and
/// whatever the waking thread did before `wake` (say, pushing onto a queue)
/// is visible to the polling thread once that `poll` returns.
///
/// On Linux it is an `eventfd`; with `--cfg mio_unsupported_force_waker_pipe`
/// it is a non-blocking pipe.
///
/// # Cost
///
/// On Linux and Android (epoll) wakes coalesce before the system call: a
/// `wake` that finds an earlier wake of the same `Waker` not yet observed
/// (no `poll` has returned since) returns at once, with one atomic
/// operation and no system call. So many threads waking one `Poll` cost
/// about one `write` per `poll` rather than one per `wake`. Several
/// `Waker`s on one `Poll` each keep their own state: a pending wake of one
/// never stands in for another's. Elsewhere every `wake` is one system
/// call.
///
/// # Examples
///
/// ```
/// # #[cfg(feature = "os-poll")]
/// # fn main() -> std::io::Result<()> {
/// use mio::{Events, Poll, Token, Waker};
/// use std::sync::Arc;
/// use std::thread;
///
/// const WAKE: Token = Token(10);
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// let waker = Arc::new(Waker::new(poll.registry(), WAKE)?);
///
/// let remote = Arc::clone(&waker);
/// let handle = thread::spawn(move || remote.wake().expect("wake"));
///
/// // Blocks until the other thread calls `wake`.
/// loop {
///     poll.poll(&mut events, None)?;
///     if events.iter().any(|e| e.token() == WAKE) {
///         break;
///     }
/// }
/// handle.join().unwrap();
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "os-poll"))]
/// # fn main() {}
/// ```
#[derive(Debug)]
pub struct Waker {
    inner: sys::Waker,
}

impl Waker {
    /// Creates a waker registered with `registry` under `token`.
    pub fn new(registry: &Registry, token: Token) -> io::Result<Waker> {
        sys::Waker::new(registry.selector(), token).map(|inner| Waker { inner })
    }

    /// Wakes the `Poll` this waker is registered with.
    ///
    /// Safe to call from any thread, any number of times; it never blocks
    /// and never allocates. Where wakes coalesce (see [`Waker`]), only the
    /// first `wake` after a `poll` returned makes a system call.
    pub fn wake(&self) -> io::Result<()> {
        self.inner.wake()
    }
}
