//! Timers that are event sources (feature `timer`).
//!
//! A [`Timer`] is registered with a [`Poll`] like a socket and becomes
//! readable when it expires, so one thread blocked in `poll` waits for
//! sockets and deadlines together, without computing poll timeouts.
//!
//! It runs on the monotonic clock: changes of the wall clock do not move
//! it. Armed with [`set_timeout`] it expires once; with [`set_interval`] or
//! [`set`] it expires periodically. After an event, [`read`] returns how
//! many expirations happened since the last read, and makes the timer
//! ready to report the next one.
//!
//! # Semantics
//!
//! * **Never early.** A timer never becomes readable, and `read` never
//!   counts an expiry, before its time. It may be late by what the OS
//!   scheduler and the timer's resolution add.
//! * **Edge-triggered**, like every source: one event per batch of
//!   expirations. Call [`read`] once after each event; it takes every
//!   expiry that is due and re-arms the notification. Expirations are not
//!   lost when `read` is called late: a periodic timer counts every period
//!   that ended, and keeps its phase.
//! * An event can be **spurious**: `read` then returns `WouldBlock`. That
//!   happens when a timer is re-armed or cancelled while its event is
//!   already on its way, for example.
//! * **Arming or cancelling discards** the expirations not yet read.
//! * **Durations.** A zero first expiry is due at once (the next `poll`
//!   reports it). A zero interval is refused with
//!   [`ErrorKind::InvalidInput`]: it would expire continuously. Durations
//!   too long for the OS are clamped; such a timer (hundreds of years) never
//!   expires in practice.
//!
//! # Platforms
//!
//! | platform | implementation |
//! |---|---|
//! | Linux, Android | a timerfd (`CLOCK_MONOTONIC`); the kernel counts the expirations |
//! | macOS, iOS, FreeBSD, NetBSD, OpenBSD, DragonFly | a one-shot `EVFILT_TIMER` in the `Poll`'s own kqueue, added on `register` and re-armed by each `read`; the expirations are counted against the monotonic clock |
//! | other Unix systems (and kqueue systems under the forced poll(2) selector) | a helper thread per timer that writes to a pipe when a deadline passes |
//! | Windows | a threadpool timer (`CreateThreadpoolTimer`) whose callback posts a completion packet to the `Poll`'s port once the expiry is due; the expirations are counted against the monotonic clock. Its resolution is the system timer's (about 15.6 ms by default): late by up to that, never early |
//!
//! A timerfd timer holds one descriptor, a fallback timer two and a thread,
//! a kqueue timer none; each works with the selector its platform builds,
//! the poll(2) one included. A kqueue timer that is not registered reports
//! nothing, but `read` still counts its expirations. Elsewhere [`Timer::new`] returns
//! [`ErrorKind::Unsupported`].
//!
//! [`Poll`]: crate::Poll
//! [`set_timeout`]: Timer::set_timeout
//! [`set_interval`]: Timer::set_interval
//! [`set`]: Timer::set
//! [`read`]: Timer::read
//! [`ErrorKind::InvalidInput`]: std::io::ErrorKind::InvalidInput
//! [`ErrorKind::Unsupported`]: std::io::ErrorKind::Unsupported

use std::time::Duration;
use std::{fmt, io};

use crate::{event, Interest, Registry, Token};

/// A monotonic timer that is an event source: readable when it expires.
///
/// See the [module documentation](self) for the semantics.
///
/// # Examples
///
/// A periodic timer in a poll loop:
///
/// ```
/// # #[cfg(any(unix, windows))]
/// # fn main() -> std::io::Result<()> {
/// use mio::timer::Timer;
/// use mio::{Events, Interest, Poll, Token};
/// use std::io::ErrorKind;
/// use std::time::{Duration, Instant};
///
/// const TICK: Token = Token(0);
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// let mut timer = Timer::new()?;
/// poll.registry().register(&mut timer, TICK, Interest::READABLE)?;
///
/// let start = Instant::now();
/// timer.set_interval(Duration::from_millis(10))?;
/// let mut ticks = 0;
/// while ticks < 3 {
///     match poll.poll(&mut events, Some(Duration::from_secs(5))) {
///         Err(e) if e.kind() == ErrorKind::Interrupted => continue,
///         result => result?,
///     }
///     for event in events.iter() {
///         assert_eq!(event.token(), TICK);
///         match timer.read() {
///             Ok(expirations) => ticks += expirations,
///             // A spurious event: nothing was due.
///             Err(e) if e.kind() == ErrorKind::WouldBlock => {}
///             Err(e) => return Err(e),
///         }
///     }
/// }
/// // Never early: three periods have passed.
/// assert!(start.elapsed() >= Duration::from_millis(30));
/// timer.cancel()?;
/// # Ok(())
/// # }
/// # #[cfg(not(any(unix, windows)))]
/// # fn main() {}
/// ```
pub struct Timer {
    inner: imp::Inner,
}

impl Timer {
    /// Creates a disarmed timer.
    ///
    /// # Errors
    ///
    /// What the OS reports when it runs out of descriptors (or, on the
    /// fallback, threads); [`ErrorKind::Unsupported`] where there is no
    /// implementation (neither Unix nor Windows).
    ///
    /// [`ErrorKind::Unsupported`]: std::io::ErrorKind::Unsupported
    pub fn new() -> io::Result<Timer> {
        Ok(Timer {
            inner: imp::Inner::new()?,
        })
    }

    /// Arms the timer to expire once, `after` from now.
    ///
    /// Replaces the previous setting and discards expirations not yet
    /// read. A zero `after` expires at once.
    ///
    /// ```
    /// # #[cfg(any(unix, windows))]
    /// # fn main() -> std::io::Result<()> {
    /// use mio::timer::Timer;
    /// use std::time::Duration;
    ///
    /// let timer = Timer::new()?;
    /// timer.set_timeout(Duration::from_secs(30))?;
    /// // Not due yet.
    /// assert_eq!(timer.read().unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(any(unix, windows)))]
    /// # fn main() {}
    /// ```
    pub fn set_timeout(&self, after: Duration) -> io::Result<()> {
        self.set(after, None)
    }

    /// Arms the timer to expire every `period`, the first time one
    /// `period` from now.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] if `period` is zero.
    ///
    /// [`ErrorKind::InvalidInput`]: std::io::ErrorKind::InvalidInput
    pub fn set_interval(&self, period: Duration) -> io::Result<()> {
        self.set(period, Some(period))
    }

    /// Arms the timer: the first expiry `first` from now, then, if
    /// `interval` is given, every `interval` after that.
    ///
    /// Replaces the previous setting and discards expirations not yet read.
    /// A zero `first` expires at once.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidInput`] if `interval` is zero.
    ///
    /// [`ErrorKind::InvalidInput`]: std::io::ErrorKind::InvalidInput
    pub fn set(&self, first: Duration, interval: Option<Duration>) -> io::Result<()> {
        if interval == Some(Duration::ZERO) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a timer's interval must not be zero",
            ));
        }
        self.inner.set(first, interval)
    }

    /// Disarms the timer and discards expirations not yet read. An event
    /// already on its way may still be reported; [`read`] then returns
    /// `WouldBlock`.
    ///
    /// [`read`]: Timer::read
    pub fn cancel(&self) -> io::Result<()> {
        self.inner.cancel()
    }

    /// Takes the expirations since the last read (or since the timer was
    /// armed): their number, at least 1.
    ///
    /// One call takes everything that is due and re-arms the notification:
    /// after an event, call it once.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::WouldBlock`] if nothing is due: the timer is disarmed,
    /// not yet expired, or was read already.
    ///
    /// [`ErrorKind::WouldBlock`]: std::io::ErrorKind::WouldBlock
    pub fn read(&self) -> io::Result<u64> {
        self.inner.read()
    }
}

impl event::Source for Timer {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.inner.register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.inner.reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        self.inner.deregister(registry)
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer").field("inner", &self.inner).finish()
    }
}

cfg_fd_timer! {
impl std::os::unix::io::AsRawFd for Timer {
    /// The descriptor that becomes readable when the timer expires (a
    /// timerfd on Linux).
    fn as_raw_fd(&self) -> std::os::unix::io::RawFd {
        self.inner.as_raw_fd()
    }
}
}

cfg_fd_timer! {
/// The OS timer in an `IoSource`, so that its reads re-arm it where edge
/// triggering is emulated.
mod imp {
    use std::io;
    use std::os::unix::io::{AsRawFd, RawFd};
    use std::time::Duration;

    use crate::drain::rearm;
    use crate::io_source::IoSource;
    use crate::{event, sys, Interest, Registry, Token};

    #[derive(Debug)]
    pub(super) struct Inner(IoSource<sys::Timer>);

    impl Inner {
        pub(super) fn new() -> io::Result<Inner> {
            Ok(Inner(IoSource::new(sys::Timer::new()?)))
        }

        pub(super) fn set(&self, first: Duration, interval: Option<Duration>) -> io::Result<()> {
            self.0.set(first, interval)?;
            // Whatever was pending is discarded: watch for the new expiry,
            // even if the last event was never followed by a read.
            rearm(&self.0);
            Ok(())
        }

        pub(super) fn cancel(&self) -> io::Result<()> {
            self.0.cancel()?;
            rearm(&self.0);
            Ok(())
        }

        pub(super) fn read(&self) -> io::Result<u64> {
            loop {
                match self.0.do_io(|timer| timer.read()) {
                    Ok(expirations) => {
                        // The read emptied the timer; `WouldBlock` re-armed
                        // it already.
                        rearm(&self.0);
                        return Ok(expirations);
                    }
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            }
        }

        pub(super) fn as_raw_fd(&self) -> RawFd {
            self.0.as_raw_fd()
        }

        pub(super) fn register(
            &mut self,
            registry: &Registry,
            token: Token,
            interests: Interest,
        ) -> io::Result<()> {
            event::Source::register(&mut self.0, registry, token, interests)
        }

        pub(super) fn reregister(
            &mut self,
            registry: &Registry,
            token: Token,
            interests: Interest,
        ) -> io::Result<()> {
            event::Source::reregister(&mut self.0, registry, token, interests)
        }

        pub(super) fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
            event::Source::deregister(&mut self.0, registry)
        }
    }
}

}

cfg_selector_timer! {
/// A timer that lives in the selector's queue: on Windows a threadpool
/// timer that posts a completion packet when the expiry is due
/// (`sys/windows/timer.rs`), on kqueue systems an `EVFILT_TIMER` in the
/// `Poll`'s kqueue (`sys/unix/timer/kqueue.rs`).
mod imp {
    use std::io;
    use std::time::Duration;

    use crate::{sys, Interest, Registry, Token};

    #[derive(Debug)]
    pub(super) struct Inner(sys::Timer);

    impl Inner {
        pub(super) fn new() -> io::Result<Inner> {
            Ok(Inner(sys::Timer::new()?))
        }

        pub(super) fn set(&self, first: Duration, interval: Option<Duration>) -> io::Result<()> {
            self.0.set(first, interval)
        }

        pub(super) fn cancel(&self) -> io::Result<()> {
            self.0.cancel()
        }

        pub(super) fn read(&self) -> io::Result<u64> {
            self.0.read()
        }

        pub(super) fn register(
            &mut self,
            registry: &Registry,
            token: Token,
            interests: Interest,
        ) -> io::Result<()> {
            self.0.register(registry.selector(), token, interests)
        }

        pub(super) fn reregister(
            &mut self,
            registry: &Registry,
            token: Token,
            interests: Interest,
        ) -> io::Result<()> {
            self.0.reregister(registry.selector(), token, interests)
        }

        pub(super) fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
            self.0.deregister(registry.selector())
        }
    }
}

}

/// No timer where the backend has none: `new` fails, so no value of this
/// type ever exists.
#[cfg(not(any(unix, windows)))]
mod imp {
    use std::io;
    use std::time::Duration;

    use crate::{Interest, Registry, Token};

    #[derive(Debug)]
    pub(super) enum Inner {}

    impl Inner {
        pub(super) fn new() -> io::Result<Inner> {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "timers are not implemented on this platform yet",
            ))
        }

        pub(super) fn set(&self, _: Duration, _: Option<Duration>) -> io::Result<()> {
            match *self {}
        }

        pub(super) fn cancel(&self) -> io::Result<()> {
            match *self {}
        }

        pub(super) fn read(&self) -> io::Result<u64> {
            match *self {}
        }

        pub(super) fn register(&mut self, _: &Registry, _: Token, _: Interest) -> io::Result<()> {
            match *self {}
        }

        pub(super) fn reregister(&mut self, _: &Registry, _: Token, _: Interest) -> io::Result<()> {
            match *self {}
        }

        pub(super) fn deregister(&mut self, _: &Registry) -> io::Result<()> {
            match *self {}
        }
    }
}
