//! The backend compiled when `os-poll` is off: the same names as a real
//! backend, but no selector can be created, so nothing here ever runs
//! against the OS. Operations that would need one fail with `Unsupported`.

use std::io;
use std::time::Duration;

#[cfg(unix)]
use std::os::unix::io::{AsFd, AsRawFd, BorrowedFd, RawFd};

use crate::{Interest, Token};

/// What a real backend would fill in; never produced here.
pub(crate) type RawEvent = usize;

/// Error returned by every call that needs the OS poller.
#[allow(dead_code)]
pub(crate) fn unsupported() -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        "this operation needs mio's `os-poll` feature",
    )
}

/// A selector that cannot exist: `Poll::new` is not compiled without
/// `os-poll`, so every method is unreachable.
#[derive(Debug)]
pub(crate) enum Selector {}

impl Selector {
    pub(crate) fn try_clone(&self) -> io::Result<Selector> {
        match *self {}
    }

    #[allow(dead_code)]
    pub(crate) fn id(&self) -> usize {
        match *self {}
    }

    pub(crate) fn select(&self, _: &mut super::EventBuf, _: Option<Duration>) -> io::Result<()> {
        match *self {}
    }
}

#[cfg(unix)]
impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        match *self {}
    }
}

#[cfg(unix)]
impl AsFd for Selector {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match *self {}
    }
}

/// A waker that cannot exist, like the selector it would need. (WASI
/// preview 1 has no `Waker` at all.)
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
#[derive(Debug)]
pub(crate) enum Waker {}

#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
impl Waker {
    pub(crate) fn new(selector: &Selector, _: Token) -> io::Result<Waker> {
        match *selector {}
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        match *self {}
    }
}

/// Per-source state: none.
#[allow(dead_code)]
pub(crate) struct IoSourceState;

#[allow(dead_code)]
impl IoSourceState {
    pub(crate) fn new() -> IoSourceState {
        IoSourceState
    }

    pub(crate) fn do_io<T, F, R>(&self, _direction: Option<Interest>, f: F, io: &T) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        f(io)
    }

    /// `raw` is the platform's handle type (`RawFd`, `RawSocket`).
    pub(crate) fn register<Raw>(
        &mut self,
        selector: &Selector,
        _: Token,
        _: Interest,
        _raw: Raw,
    ) -> io::Result<()> {
        match *selector {}
    }

    pub(crate) fn reregister<Raw>(
        &mut self,
        selector: &Selector,
        _: Token,
        _: Interest,
        _raw: Raw,
    ) -> io::Result<()> {
        match *selector {}
    }

    pub(crate) fn deregister<Raw>(&mut self, selector: &Selector, _raw: Raw) -> io::Result<()> {
        match *selector {}
    }
}

/// Event accessors; there are never events to read.
pub(crate) mod event {
    use std::fmt;

    use super::RawEvent;
    use crate::Token;

    pub(crate) fn token(raw: &RawEvent) -> Token {
        Token(*raw)
    }

    pub(crate) fn is_readable(_: &RawEvent) -> bool {
        false
    }

    pub(crate) fn is_writable(_: &RawEvent) -> bool {
        false
    }

    pub(crate) fn is_error(_: &RawEvent) -> bool {
        false
    }

    pub(crate) fn is_read_closed(_: &RawEvent) -> bool {
        false
    }

    pub(crate) fn is_write_closed(_: &RawEvent) -> bool {
        false
    }

    pub(crate) fn is_priority(_: &RawEvent) -> bool {
        false
    }

    pub(crate) fn is_aio(_: &RawEvent) -> bool {
        false
    }

    pub(crate) fn is_lio(_: &RawEvent) -> bool {
        false
    }

    pub(crate) struct Details<'a>(pub(crate) &'a RawEvent);

    impl fmt::Debug for Details<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "(no OS backend) {}", self.0)
        }
    }
}

cfg_net! {
    pub(crate) mod tcp;
    // WASI preview 1 has no `UdpSocket`.
    #[cfg(not(all(target_os = "wasi", target_env = "p1")))]
    pub(crate) mod udp;
    #[cfg(unix)]
    pub(crate) mod uds;
}
