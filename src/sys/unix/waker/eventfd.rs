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
use crate::sys::Selector;
use crate::{Interest, Token};

#[derive(Debug)]
pub(crate) struct Waker {
    /// Whether a wake is already on its way (dropped first: the slot is
    /// free again once the descriptor is about to close).
    coalesce: Coalesce,
    /// With the poll(2) selector, which drains the descriptor whenever it
    /// reports it: the registration, owned here so that it ends before the
    /// descriptor is closed (fields drop in order). See `selector/poll.rs`.
    #[cfg(any(
        mio_unsupported_force_poll_poll,
        not(any(
            target_os = "android",
            target_os = "dragonfly",
            target_os = "freebsd",
            target_os = "ios",
            target_os = "linux",
            target_os = "macos",
            target_os = "netbsd",
            target_os = "openbsd",
            target_os = "tvos",
            target_os = "visionos",
            target_os = "watchos",
        ))
    ))]
    _registration: crate::sys::unix::selector::Registration,
    fd: File,
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        // SAFETY: no pointers; returns a new descriptor or -1.
        let raw = syscall!(eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK))?;
        // SAFETY: `raw` was just created and is owned by nothing else.
        let fd = unsafe { File::from_raw_fd(raw) };
        #[cfg(not(any(
            mio_unsupported_force_poll_poll,
            not(any(
                target_os = "android",
                target_os = "dragonfly",
                target_os = "freebsd",
                target_os = "ios",
                target_os = "linux",
                target_os = "macos",
                target_os = "netbsd",
                target_os = "openbsd",
                target_os = "tvos",
                target_os = "visionos",
                target_os = "watchos",
            ))
        )))]
        selector.register(fd.as_raw_fd(), token, Interest::READABLE)?;
        Ok(Waker {
            coalesce: Coalesce::new(selector),
            #[cfg(any(
                mio_unsupported_force_poll_poll,
                not(any(
                    target_os = "android",
                    target_os = "dragonfly",
                    target_os = "freebsd",
                    target_os = "ios",
                    target_os = "linux",
                    target_os = "macos",
                    target_os = "netbsd",
                    target_os = "openbsd",
                    target_os = "tvos",
                    target_os = "visionos",
                    target_os = "watchos",
                ))
            ))]
            _registration: selector.register_waker(fd.as_raw_fd(), token, Interest::READABLE)?,
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
