//! Per-source state for kernels with native edge triggering (epoll): there
//! is nothing to remember, and I/O goes straight to the OS.

use std::io;
use std::os::fd::RawFd;

use crate::sys::Selector;
use crate::{Interest, Token};

pub(crate) struct IoSourceState;

#[allow(dead_code)] // unused when only `os-poll` is enabled
impl IoSourceState {
    pub(crate) fn new() -> IoSourceState {
        IoSourceState
    }

    #[inline]
    pub(crate) fn do_io<T, F, R>(&self, _direction: Option<Interest>, f: F, io: &T) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        f(io)
    }

    pub(crate) fn register(
        &mut self,
        selector: &Selector,
        token: Token,
        interests: Interest,
        fd: RawFd,
    ) -> io::Result<()> {
        selector.register(fd, token, interests)
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
        selector.deregister(fd)
    }
}
