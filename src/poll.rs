use std::time::Duration;
use std::{fmt, io};

#[cfg(unix)]
use std::os::unix::io::{AsFd, AsRawFd, BorrowedFd, RawFd};

use crate::{event, sys, Events, Interest, Token};

/// The event queue: registers sources and waits for their readiness.
///
/// A `Poll` owns the OS poller (an epoll instance on Linux, a kqueue on
/// macOS and the BSDs, a completion port on Windows). Sources are
/// registered through its [`Registry`], which can be cloned with
/// [`Registry::try_clone`] and used from other threads, also while a thread is
/// blocked in [`Poll::poll`].
///
/// # Edge-triggered readiness
///
/// Every source is edge-triggered: an event is delivered when a source
/// *becomes* ready. After an event the caller must perform the operation
/// (`read`, `write`, `accept`, ...) until it returns
/// [`WouldBlock`](io::ErrorKind::WouldBlock); until then no new event for the
/// same readiness arrives. Readiness can also be spurious: an operation may
/// return `WouldBlock` right after an event, which is harmless.
///
/// # Drop
///
/// Dropping a source closes it and so removes it from the poller. Dropping the
/// `Poll` closes the poller; registered sources stay open but receive no more
/// events.
///
/// # Examples
///
/// ```
/// # #[cfg(all(feature = "os-ext", unix))]
/// # fn main() -> std::io::Result<()> {
/// use mio::unix::pipe;
/// use mio::{Events, Interest, Poll, Token};
/// use std::io::{Read, Write};
/// use std::time::Duration;
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(16);
///
/// let (mut sender, mut receiver) = pipe::new()?;
/// poll.registry().register(&mut receiver, Token(0), Interest::READABLE)?;
///
/// sender.write_all(b"ping")?;
/// poll.poll(&mut events, Some(Duration::from_secs(5)))?;
/// let event = events.iter().next().expect("an event");
/// assert_eq!(event.token(), Token(0));
/// assert!(event.is_readable());
///
/// let mut buf = [0; 16];
/// assert_eq!(receiver.read(&mut buf)?, 4);
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "os-ext", unix)))]
/// # fn main() {}
/// ```
pub struct Poll {
    registry: Registry,
}

/// Registers [`event::Source`]s with a [`Poll`].
///
/// Obtained from [`Poll::registry`]; [`Registry::try_clone`] gives an owned
/// handle that can move to another thread.
pub struct Registry {
    selector: sys::Selector,
    /// Debug builds: whether the `Poll` has an active `Waker` (one at a
    /// time), shared by every handle to it.
    #[cfg(all(debug_assertions, not(target_os = "wasi")))]
    waker_slot: crate::waker::WakerSlot,
}

impl Poll {
    cfg_os_poll! {
        /// Creates a new event queue.
        ///
        /// On Linux this is `epoll_create1(EPOLL_CLOEXEC)`, on kqueue systems
        /// `kqueue()`; an OS error (for example `EMFILE`) is returned as is.
        pub fn new() -> io::Result<Poll> {
            sys::Selector::new().map(|selector| Poll {
                registry: Registry {
                    selector,
                    #[cfg(all(debug_assertions, not(target_os = "wasi")))]
                    waker_slot: Default::default(),
                },
            })
        }
    }

    /// The registry of this queue.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Waits for readiness events and writes them into `events`.
    ///
    /// `events` is cleared first. `timeout` bounds the wait:
    ///
    /// * `None` blocks until at least one event arrives (a [`Waker`] can
    ///   provide one);
    /// * `Some(Duration::ZERO)` checks for events and returns at once;
    /// * any other value is rounded *up*, never down, to the OS's
    ///   resolution, so a short timeout never turns into a busy loop.
    ///
    /// The resolution, per platform (on top of it the kernel adds its timer
    /// slack, 50 µs by default on Linux; a thread that needs tighter
    /// wake-ups can lower its own with `prctl(PR_SET_TIMERSLACK)`):
    ///
    /// | platform | call | resolution |
    /// |---|---|---|
    /// | Linux, Android (epoll), 64-bit | `epoll_pwait2` (Linux 5.11+) | 1 ns |
    /// | the same on older kernels, 32-bit targets | `epoll_wait` | 1 ms |
    /// | poll(2) backend | `ppoll` where available, else `poll` | 1 ns, else 1 ms |
    /// | macOS, iOS, BSDs (kqueue) | `kevent` (a `timespec`) | 1 ns |
    /// | Windows | `GetQueuedCompletionStatusEx` | 1 ms |
    /// | WASI | `poll` / `poll_oneoff` | 1 ms |
    ///
    /// On epoll, whole milliseconds, zero and `None` always use
    /// `epoll_wait`; the first `ENOSYS` from `epoll_pwait2` switches the
    /// process to `epoll_wait` for good.
    ///
    /// Returning with no events means the timeout expired (or, rarely, a
    /// readiness change was consumed internally).
    ///
    /// # Errors
    ///
    /// If a signal interrupts the wait, `poll` returns an error of kind
    /// [`Interrupted`](io::ErrorKind::Interrupted); the caller decides
    /// whether to poll again. A zero-capacity `events` gives
    /// [`InvalidInput`](io::ErrorKind::InvalidInput). Other OS errors are
    /// returned as is.
    ///
    /// [`Waker`]: crate::Waker
    pub fn poll(&mut self, events: &mut Events, timeout: Option<Duration>) -> io::Result<()> {
        if events.capacity() == 0 {
            events.clear();
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "cannot poll into an `Events` buffer with zero capacity",
            ));
        }
        self.registry.selector.select(events.sys(), timeout)
    }
}

#[cfg(unix)]
impl AsRawFd for Poll {
    fn as_raw_fd(&self) -> RawFd {
        self.registry.as_raw_fd()
    }
}

impl fmt::Debug for Poll {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Poll").finish_non_exhaustive()
    }
}

impl Registry {
    /// Registers `source` so that `poll` reports its readiness under `token`.
    ///
    /// `interests` selects which readiness to report; a source is always
    /// registered edge-triggered. Tokens need not be unique, but events can
    /// only be told apart by token.
    ///
    /// # Errors
    ///
    /// * The source is already registered (with this or another registry):
    ///   [`AlreadyExists`](io::ErrorKind::AlreadyExists), "I/O source
    ///   already registered with a \`Registry\`".
    /// * The OS rejects the source (for example a closed or invalid file
    ///   descriptor, `EBADF`): the OS error.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[cfg(all(feature = "os-ext", unix))]
    /// # fn main() -> std::io::Result<()> {
    /// use mio::unix::pipe;
    /// use mio::{Interest, Poll, Token};
    ///
    /// let poll = Poll::new()?;
    /// let (_sender, mut receiver) = pipe::new()?;
    /// poll.registry().register(&mut receiver, Token(1), Interest::READABLE)?;
    /// let again = poll.registry().register(&mut receiver, Token(1), Interest::READABLE);
    /// assert_eq!(again.unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-ext", unix)))]
    /// # fn main() {}
    /// ```
    pub fn register<S>(&self, source: &mut S, token: Token, interests: Interest) -> io::Result<()>
    where
        S: event::Source + ?Sized,
    {
        trace!("register: token={:?} interests={:?}", token, interests);
        source.register(self, token, interests)
    }

    /// Replaces the token and interests of a registered source.
    ///
    /// Readiness that is already there is reported again after a
    /// `reregister` (on epoll the source is re-armed), so this is also a way
    /// to ask "is it ready now?".
    ///
    /// # Errors
    ///
    /// * The source is not registered: [`NotFound`](io::ErrorKind::NotFound),
    ///   "I/O source not registered with \`Registry\`".
    /// * The source is registered with another `Poll`:
    ///   [`AlreadyExists`](io::ErrorKind::AlreadyExists), "I/O source
    ///   already registered with a different \`Registry\`". (Clones made
    ///   with [`Registry::try_clone`] are the same `Poll`.)
    /// * OS errors as is.
    pub fn reregister<S>(&self, source: &mut S, token: Token, interests: Interest) -> io::Result<()>
    where
        S: event::Source + ?Sized,
    {
        trace!("reregister: token={:?} interests={:?}", token, interests);
        source.reregister(self, token, interests)
    }

    /// Removes a source from the queue; no events for it are returned by
    /// later calls to `poll`.
    ///
    /// Dropping a source deregisters it too, but an explicit `deregister`
    /// keeps the source usable, for example to register it with another
    /// `Poll`.
    ///
    /// # Errors
    ///
    /// * The source is not registered: [`NotFound`](io::ErrorKind::NotFound),
    ///   "I/O source not registered with \`Registry\`".
    /// * The source is registered with another `Poll`:
    ///   [`AlreadyExists`](io::ErrorKind::AlreadyExists), "I/O source
    ///   already registered with a different \`Registry\`". (Clones made
    ///   with [`Registry::try_clone`] are the same `Poll`.)
    /// * OS errors as is.
    pub fn deregister<S>(&self, source: &mut S) -> io::Result<()>
    where
        S: event::Source + ?Sized,
    {
        trace!("deregister");
        source.deregister(self)
    }

    /// Returns a new handle to the same queue, for use on another thread.
    ///
    /// On epoll and kqueue this duplicates the poller's file descriptor;
    /// the poll(2) backend shares its state between the handles.
    pub fn try_clone(&self) -> io::Result<Registry> {
        self.selector.try_clone().map(|selector| Registry {
            selector,
            #[cfg(all(debug_assertions, not(target_os = "wasi")))]
            waker_slot: self.waker_slot.share(),
        })
    }

    /// Debug builds: the `Poll`'s place for its one active `Waker`.
    #[cfg(all(debug_assertions, not(target_os = "wasi")))]
    pub(crate) fn waker_slot(&self) -> &crate::waker::WakerSlot {
        &self.waker_slot
    }

    /// The OS poller behind this registry; the sources' `Source` impls talk
    /// to it. (None on WASI preview 1 without `net`: it has no `Waker`.)
    #[cfg_attr(
        all(target_os = "wasi", target_env = "p1", not(feature = "net")),
        allow(dead_code)
    )]
    pub(crate) fn selector(&self) -> &sys::Selector {
        &self.selector
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").finish_non_exhaustive()
    }
}

#[cfg(unix)]
impl AsRawFd for Registry {
    fn as_raw_fd(&self) -> RawFd {
        self.selector.as_raw_fd()
    }
}

#[cfg(unix)]
impl AsFd for Registry {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.selector.as_fd()
    }
}
