//! Unix signals as an event source (feature `signal`, Unix only).
//!
//! A [`Signals`] is a set of signal numbers, registered with a [`Poll`]
//! like a socket. It becomes readable when any of its signals arrives;
//! [`Signals::receive`] then yields each signal that arrived, once.
//!
//! # Design: a self-pipe per set
//!
//! Each set owns a non-blocking pipe, whose read end is the source. For
//! each signal that some set wants, one process-wide handler is installed
//! with `sigaction` (`SA_SIGINFO | SA_RESTART | SA_ONSTACK`). When the
//! signal arrives, on whatever thread, the handler marks it pending in
//! every set that wants it and writes one byte to each such set's pipe;
//! then it calls the handler that was installed before it. The handler only
//! touches a fixed, pre-allocated table of atomics (64 sets, signal numbers
//! below 128) and calls write(2): it takes no lock, allocates nothing, and
//! saves and restores `errno`. When the last set that wants a signal stops
//! wanting it (by [`remove`] or by being dropped), the disposition found
//! before is put back.
//!
//! The alternatives, and why not:
//!
//! * **signalfd** (Linux) receives a signal only if it is blocked in
//!   *every* thread, or some thread that does not block it gets it the
//!   usual way (by default: the process dies). Threads started by other
//!   code, earlier or later, do not cooperate with that, so a library
//!   cannot promise it. One signalfd also takes a signal away from the
//!   others, so two sets would not both see it.
//! * **`EVFILT_SIGNAL`** (kqueue) exists only with the kqueue selector and
//!   still needs the signal's disposition changed so that it does not kill
//!   the process.
//!
//! The self-pipe works on every Unix and with every selector (epoll,
//! kqueue, poll(2)), in programs with any number of threads, and lets any
//! number of sets (and the handlers installed before) see each signal.
//!
//! # Semantics and trade-offs
//!
//! * **Coalescing.** Each pending signal is reported once per batch: a
//!   signal that arrives several times between two `receive` calls is
//!   reported once, as the OS itself does for standard signals. No
//!   `siginfo_t` (sender, value) is kept.
//! * **Edge-triggered**: after an event, take a batch with [`pending`] (or
//!   call [`receive`] until it returns `Ok(None)`); a signal that arrives
//!   afterwards makes a new event. An event may be spurious (an empty
//!   batch).
//! * **Catching replaces the default action.** While a set wants, say,
//!   `SIGINT`, Ctrl-C no longer terminates the process: the program
//!   decides. A handler installed before is called after ours (it keeps
//!   working); an ignored (`SIG_IGN`) or default disposition is not acted
//!   on while the set exists, and is restored after it.
//! * **Restoring.** If some other code installs its own handler over ours
//!   in the meantime, ours is not removed from under it (the other handler
//!   may call it): it stays installed, inert, and keeps calling the handler
//!   it replaced.
//! * **`EINTR`.** A signal handled on the thread blocked in [`Poll::poll`]
//!   interrupts it: `poll` returns [`ErrorKind::Interrupted`]; poll again.
//! * **Refused numbers** ([`ErrorKind::InvalidInput`]): anything that is no
//!   signal, `SIGKILL` and `SIGSTOP` (they cannot be caught), and the fault
//!   signals `SIGSEGV`, `SIGBUS`, `SIGILL` and `SIGFPE` (a handler that
//!   returns from a real fault makes it happen again).
//! * At most 64 sets exist at once.
//!
//! [`Poll`]: crate::Poll
//! [`Poll::poll`]: crate::Poll::poll
//! [`remove`]: Signals::remove
//! [`receive`]: Signals::receive
//! [`pending`]: Signals::pending
//! [`ErrorKind::Interrupted`]: std::io::ErrorKind::Interrupted
//! [`ErrorKind::InvalidInput`]: std::io::ErrorKind::InvalidInput

use std::fmt;
use std::io;
use std::os::unix::io::{AsRawFd, RawFd};

use libc::c_int;

use crate::drain::drain;
use crate::io_source::IoSource;
use crate::sys::signal::{check, SignalPipe, SignalSet};
use crate::{event, Interest, Registry, Token};

/// A set of Unix signals that is an event source: readable when any of
/// them arrived.
///
/// See the [module documentation](self) for the design and the semantics.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use mio::signal::Signals;
/// use mio::{Events, Interest, Poll, Token};
/// use std::io::ErrorKind;
/// use std::process::Command;
/// use std::time::Duration;
///
/// const SIGNALS: Token = Token(0);
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// let mut signals = Signals::new(&[libc::SIGUSR1, libc::SIGUSR2])?;
/// poll.registry().register(&mut signals, SIGNALS, Interest::READABLE)?;
///
/// // Someone sends us SIGUSR2.
/// let pid = std::process::id().to_string();
/// Command::new("kill").args(["-USR2", &pid]).status()?;
///
/// let mut received = Vec::new();
/// while received.is_empty() {
///     match poll.poll(&mut events, Some(Duration::from_secs(10))) {
///         // The signal may interrupt the poll itself.
///         Err(e) if e.kind() == ErrorKind::Interrupted => {}
///         result => result?,
///     }
///     // Edge-triggered: take the batch of signals that arrived.
///     received.extend(signals.pending());
/// }
/// assert_eq!(received, [libc::SIGUSR2]);
/// # Ok(())
/// # }
/// ```
pub struct Signals {
    inner: IoSource<SignalPipe>,
    /// Taken from the table, not yet handed out.
    batch: SignalSet,
}

impl Signals {
    /// Creates a set that receives `signals` (the list may be empty, and
    /// may repeat numbers).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for a number that cannot be received (see
    /// the [module documentation](self)), in which case nothing is
    /// installed; what `pipe` or `sigaction` report; an error when 64 sets
    /// exist already.
    ///
    /// [`ErrorKind::InvalidInput`]: std::io::ErrorKind::InvalidInput
    ///
    /// ```
    /// # fn main() -> std::io::Result<()> {
    /// use mio::signal::Signals;
    /// use std::io::ErrorKind;
    ///
    /// let signals = Signals::new(&[libc::SIGHUP, libc::SIGTERM])?;
    /// assert!(signals.contains(libc::SIGTERM));
    ///
    /// let err = Signals::new(&[libc::SIGKILL]).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::InvalidInput);
    /// # Ok(())
    /// # }
    /// ```
    pub fn new(signals: &[c_int]) -> io::Result<Signals> {
        for &signal in signals {
            check(signal)?;
        }
        let pipe = SignalPipe::new()?;
        for &signal in signals {
            // On failure, dropping `pipe` undoes the earlier ones.
            pipe.add(signal)?;
        }
        Ok(Signals {
            inner: IoSource::new(pipe),
            batch: SignalSet::empty(),
        })
    }

    /// Adds `signal` to the set. Adding one that is in it already does
    /// nothing.
    ///
    /// # Errors
    ///
    /// As for [`Signals::new`].
    pub fn add(&mut self, signal: c_int) -> io::Result<()> {
        self.inner.add(signal)
    }

    /// Removes `signal` from the set; if no other set wants it, its
    /// previous disposition is restored. Removing one that is not in the set
    /// does nothing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] for a number that cannot be in a set.
    ///
    /// [`ErrorKind::InvalidInput`]: std::io::ErrorKind::InvalidInput
    pub fn remove(&mut self, signal: c_int) -> io::Result<()> {
        check(signal)?;
        self.inner.remove(signal);
        Ok(())
    }

    /// Whether `signal` is in the set.
    pub fn contains(&self, signal: c_int) -> bool {
        self.inner.signals().contains(signal)
    }

    /// Takes one signal that arrived: `Ok(Some(signal))`, or `Ok(None)`
    /// when none is left, which also re-arms the event.
    ///
    /// Each signal that arrived since the last `Ok(None)` is returned once,
    /// however many times it arrived, lowest number first.
    pub fn receive(&mut self) -> io::Result<Option<c_int>> {
        if let Some(signal) = self.batch.pop() {
            return Ok(Some(signal));
        }
        // Empty the pipe first, take the flags second: a signal that
        // arrives in between writes a byte again, so none is left without
        // an event.
        drain(&self.inner, |pipe| pipe.read())?;
        self.batch = self.inner.take_pending();
        Ok(self.batch.pop())
    }

    /// An iterator over one batch: every signal that arrived since the
    /// last batch was taken, once each, lowest number first. It re-arms the
    /// event like [`receive`] returning `Ok(None)`: a signal that arrives
    /// while it runs makes a new event, and is in the next batch.
    ///
    /// Unlike a loop over [`receive`], it ends even while signals keep
    /// arriving. (The pipe's read failing, which does not happen in
    /// practice, is not reported here; [`receive`] reports it.)
    ///
    /// [`receive`]: Signals::receive
    pub fn pending(&mut self) -> Pending<'_> {
        let _ = drain(&self.inner, |pipe| pipe.read());
        let arrived = self.inner.take_pending();
        self.batch = self.batch.union(arrived);
        Pending { signals: self }
    }
}

impl event::Source for Signals {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        event::Source::register(&mut self.inner, registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        event::Source::reregister(&mut self.inner, registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        event::Source::deregister(&mut self.inner, registry)
    }
}

impl AsRawFd for Signals {
    /// The read end of the set's pipe.
    fn as_raw_fd(&self) -> RawFd {
        self.inner.as_raw_fd()
    }
}

impl fmt::Debug for Signals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signals")
            .field("fd", &self.inner.as_raw_fd())
            .field("signals", &self.inner.signals())
            .finish()
    }
}

/// The signals that arrived, from [`Signals::pending`].
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use mio::signal::Signals;
///
/// let mut signals = Signals::new(&[libc::SIGUSR1])?;
/// // Nothing arrived.
/// assert_eq!(signals.pending().count(), 0);
/// # Ok(())
/// # }
/// ```
pub struct Pending<'a> {
    signals: &'a mut Signals,
}

impl Iterator for Pending<'_> {
    type Item = c_int;

    fn next(&mut self) -> Option<c_int> {
        self.signals.batch.pop()
    }
}

impl fmt::Debug for Pending<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("signals", &self.signals)
            .finish()
    }
}
