//! `Waker` over a non-blocking self-pipe: `wake` writes one byte to the
//! write end; the read end is registered edge-triggered. A full pipe means
//! plenty of wakes are already pending; it is emptied and written again so
//! that a fresh edge is guaranteed.
//!
//! Where the selector clears wake flags (epoll), only the first `wake` after
//! a poll returned writes; the others find the flag set and return at once
//! (`waker/coalesce.rs`, `sys/wake_flag.rs`).

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::io::AsRawFd;

use super::coalesce::Coalesce;
use crate::sys::unix::new_pipe;
use crate::sys::Selector;
use crate::{Interest, Token};

#[derive(Debug)]
pub(crate) struct Waker {
    /// Whether a wake is already on its way (dropped first: the slot is
    /// free again once the descriptors are about to close).
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
    sender: File,
    receiver: File,
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let (receiver, sender) = new_pipe()?;
        let receiver = File::from(receiver);
        let sender = File::from(sender);
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
        selector.register(receiver.as_raw_fd(), token, Interest::READABLE)?;
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
            _registration: selector.register_waker(
                receiver.as_raw_fd(),
                token,
                Interest::READABLE,
            )?,
            sender,
            receiver,
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
        loop {
            match (&self.sender).write(&[1]) {
                Ok(_) => return Ok(()),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => self.drain()?,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }

    fn drain(&self) -> io::Result<()> {
        let mut buf = [0u8; 512];
        loop {
            match (&self.receiver).read(&mut buf) {
                Ok(n) if n > 0 => {}
                Ok(_) => return Ok(()),
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }
}
