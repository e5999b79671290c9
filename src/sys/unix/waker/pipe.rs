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
    sender: File,
    receiver: File,
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let (receiver, sender) = new_pipe()?;
        let receiver = File::from(receiver);
        let sender = File::from(sender);
        Ok(Waker {
            coalesce: Coalesce::new(selector),
            _registration: register_waker(selector, receiver.as_raw_fd(), token)?,
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
