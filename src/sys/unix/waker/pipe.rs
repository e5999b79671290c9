//! `Waker` over a non-blocking self-pipe: `wake` writes one byte to the
//! write end; the read end is registered edge-triggered. A full pipe means
//! plenty of wakes are already pending; it is emptied and written again so
//! that a fresh edge is guaranteed.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::io::AsRawFd;

use crate::sys::unix::new_pipe;
use crate::sys::unix::selector::{register_waker, WakerRegistration};
use crate::sys::Selector;
use crate::Token;

#[derive(Debug)]
pub(crate) struct Waker {
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
            _registration: register_waker(selector, receiver.as_raw_fd(), token)?,
            sender,
            receiver,
        })
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
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
