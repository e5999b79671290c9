//! `Waker` over an eventfd(2): a `wake` adds one to the counter, which
//! makes the fd readable and, registered edge-triggered, produces one event
//! per batch of wakes the poller has not yet collected.
//!
//! Where the selector clears wake flags (epoll), only the first `wake` after
//! a poll returned writes; the others find the flag set and return at once
//! (`waker/coalesce.rs`, `sys/wake_flag.rs`).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::io::{AsRawFd, FromRawFd};

use super::coalesce::Coalesce;
use crate::sys::unix::selector::{register_waker, WakerRegistration};
use crate::sys::Selector;
use crate::Token;

#[derive(Debug)]
pub(crate) struct Waker {
    /// Whether a wake is already on its way (dropped first: the slot is
    /// free again once the descriptor is about to close).
    coalesce: Coalesce,
    /// Owned so that, with the poll(2) selector, the registration ends
    /// before the descriptor is closed (fields drop in order); nothing with
    /// the others. See `selector/mod.rs`.
    _registration: WakerRegistration,
    fd: File,
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        // SAFETY: no pointers; returns a new descriptor or -1.
        let raw = syscall!(eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK))?;
        // SAFETY: `raw` was just created and is owned by nothing else.
        let fd = unsafe { File::from_raw_fd(raw) };
        Ok(Waker {
            coalesce: Coalesce::new(selector),
            _registration: register_waker(selector, fd.as_raw_fd(), token)?,
            fd,
        })
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        if !self.coalesce.set() {
            return Ok(());
        }
        let res = self.signal();
        if res.is_err() {
            // Let the next wake try again.
            self.coalesce.unset();
        }
        res
    }

    fn signal(&self) -> io::Result<()> {
        match (&self.fd).write(&1u64.to_ne_bytes()) {
            Ok(_) => Ok(()),
            // The counter is at its maximum (never in practice: it takes
            // 2^64 - 2 uncollected writes). Empty it and write again.
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                self.reset()?;
                self.signal()
            }
            Err(err) => Err(err),
        }
    }

    fn reset(&self) -> io::Result<()> {
        let mut buf = [0u8; 8];
        match (&self.fd).read(&mut buf) {
            Ok(_) => Ok(()),
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => Ok(()),
            Err(err) => Err(err),
        }
    }
}
