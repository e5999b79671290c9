use std::io;
#[cfg(all(debug_assertions, not(target_os = "wasi")))]
use std::sync::atomic::{AtomicBool, Ordering};
#[cfg(all(debug_assertions, not(target_os = "wasi")))]
use std::sync::Arc;

use crate::{sys, Registry, Token};

/// Wakes a [`Poll`](crate::Poll) from another thread.
///
/// A `Waker` is registered with a `Poll` under a token when it is created.
/// [`Waker::wake`] makes that `Poll` return a readable event with that token,
/// also when a thread is blocked in [`Poll::poll`](crate::Poll::poll) at the
/// time. Wakes that happen before the poll collects them coalesce into one
/// event. Share a `Waker` between threads with an `Arc`.
///
/// # One `Waker` per `Poll`
///
/// Only one `Waker` may be active per [`Poll`](crate::Poll) at a time. In
/// debug builds (`debug_assertions`) [`Waker::new`] panics with "Only a
/// single \`Waker\` can be active per \`Poll\` instance" when the `Poll`
/// has one already, also when the second is created through a
/// [`Registry::try_clone`] handle. Dropping the `Waker` frees its place: a
/// new one can then be created for the same `Poll`. Release builds do not
/// check (several wakers then work on the backends of this crate, but
/// portable code must not rely on it). WASI does not check either.
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
    // Dropped after `inner`: the place is free once the waker is gone.
    #[cfg(all(debug_assertions, not(target_os = "wasi")))]
    _slot: SlotClaim,
}

impl Waker {
    /// Creates a waker registered with `registry` under `token`.
    ///
    /// # Panics
    ///
    /// In debug builds, if the `Poll` of `registry` has an active `Waker`
    /// already (see [One `Waker` per `Poll`](Waker#one-waker-per-poll)).
    pub fn new(registry: &Registry, token: Token) -> io::Result<Waker> {
        #[cfg(all(debug_assertions, not(target_os = "wasi")))]
        let slot = registry.waker_slot().claim();
        sys::Waker::new(registry.selector(), token).map(|inner| Waker {
            inner,
            #[cfg(all(debug_assertions, not(target_os = "wasi")))]
            _slot: slot,
        })
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

/// Debug builds: whether a `Poll` has an active `Waker`, shared by all of
/// its `Registry` handles.
#[cfg(all(debug_assertions, not(target_os = "wasi")))]
#[derive(Debug, Default)]
pub(crate) struct WakerSlot(Arc<AtomicBool>);

#[cfg(all(debug_assertions, not(target_os = "wasi")))]
impl WakerSlot {
    /// Another handle to the same place, for a cloned `Registry`.
    pub(crate) fn share(&self) -> WakerSlot {
        WakerSlot(Arc::clone(&self.0))
    }

    /// Takes the place for a new `Waker`; panics if one has it.
    fn claim(&self) -> SlotClaim {
        if self.0.swap(true, Ordering::AcqRel) {
            panic!("Only a single `Waker` can be active per `Poll` instance");
        }
        SlotClaim(Arc::clone(&self.0))
    }
}

/// The place of an active `Waker`; given back when dropped.
#[cfg(all(debug_assertions, not(target_os = "wasi")))]
#[derive(Debug)]
struct SlotClaim(Arc<AtomicBool>);

#[cfg(all(debug_assertions, not(target_os = "wasi")))]
impl Drop for SlotClaim {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}
