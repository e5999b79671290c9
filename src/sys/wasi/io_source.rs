//! Per-source state for the `poll_oneoff` selector, which emulates edge
//! triggering: the source keeps its registration and re-arms it when an I/O
//! call returns `WouldBlock`. Dropping the state (the source is dropped or
//! turned back into its standard library type) ends the registration.

use std::io;
use std::os::fd::RawFd;

use super::selector::Registration;
use crate::sys::Selector;
use crate::{Interest, Token};

pub(crate) struct IoSourceState {
    registration: Option<Registration>,
}

#[allow(dead_code)] // unused when only `os-poll` is enabled
impl IoSourceState {
    pub(crate) fn new() -> IoSourceState {
        IoSourceState { registration: None }
    }

    /// Runs `f`; a `WouldBlock` re-arms `direction` (`None`: everything).
    #[inline]
    pub(crate) fn do_io<T, F, R>(&self, direction: Option<Interest>, f: F, io: &T) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        let result = f(io);
        if let (Err(err), Some(registration)) = (&result, &self.registration) {
            if err.kind() == io::ErrorKind::WouldBlock {
                registration.rearm(direction);
            }
        }
        result
    }

    pub(crate) fn register(
        &mut self,
        selector: &Selector,
        token: Token,
        interests: Interest,
        fd: RawFd,
    ) -> io::Result<()> {
        self.registration = Some(selector.register(fd, token, interests)?);
        Ok(())
    }

    pub(crate) fn reregister(
        &mut self,
        selector: &Selector,
        token: Token,
        interests: Interest,
        fd: RawFd,
    ) -> io::Result<()> {
        selector.reregister(fd, token, interests)
    }

    pub(crate) fn deregister(&mut self, selector: &Selector, fd: RawFd) -> io::Result<()> {
        let result = selector.deregister(fd);
        self.registration = None;
        result
    }
}
