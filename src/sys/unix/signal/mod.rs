//! The OS side of `mio::signal::Signals`: a self-pipe per set of signals,
//! written by a process-wide signal handler (`table.rs`), whose read end
//! the face registers. See the face's module docs for the design choice.

mod set;
mod table;

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::io::{AsRawFd, OwnedFd, RawFd};

use libc::c_int;

pub(crate) use self::set::SignalSet;
use crate::sys::new_pipe;

/// Refuses what cannot or must not be caught: numbers that are no signal,
/// `SIGKILL` and `SIGSTOP` (sigaction(2) refuses them), and the fault
/// signals `SIGSEGV`, `SIGBUS`, `SIGILL` and `SIGFPE` (when raised by a
/// fault, a handler that returns makes the faulting instruction run again,
/// forever).
pub(crate) fn check(signal: c_int) -> io::Result<()> {
    let refused = if set::position(signal).is_none() {
        Some("not a signal number")
    } else if signal == libc::SIGKILL || signal == libc::SIGSTOP {
        Some("SIGKILL and SIGSTOP cannot be caught")
    } else if [libc::SIGSEGV, libc::SIGBUS, libc::SIGILL, libc::SIGFPE].contains(&signal) {
        Some("fault signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE) cannot be received as events")
    } else {
        None
    };
    match refused {
        Some(why) => Err(io::Error::new(io::ErrorKind::InvalidInput, why)),
        None => Ok(()),
    }
}

/// One set's pipe and its slot in the process-wide table.
pub(crate) struct SignalPipe {
    receiver: File,
    /// The write end: only the handler writes to it, by number. Closed
    /// after the slot is released (fields drop after `drop`).
    _sender: OwnedFd,
    slot: usize,
}

impl SignalPipe {
    pub(crate) fn new() -> io::Result<SignalPipe> {
        let (receiver, sender) = new_pipe()?;
        let slot = table::claim(sender.as_raw_fd())?;
        Ok(SignalPipe {
            receiver: File::from(receiver),
            _sender: sender,
            slot,
        })
    }

    /// Adds `signal` (checked by `check`), installing the handler for it if
    /// no set had it yet.
    pub(crate) fn add(&self, signal: c_int) -> io::Result<()> {
        check(signal)?;
        table::subscribe(self.slot, signal)
    }

    /// Removes `signal`; restores its previous disposition if no set has
    /// it any more. Nothing happens for a signal that is not in the set.
    pub(crate) fn remove(&self, signal: c_int) {
        table::unsubscribe(self.slot, signal);
    }

    pub(crate) fn signals(&self) -> SignalSet {
        table::wanted(self.slot)
    }

    /// One non-blocking read of the pipe: `Ok(true)` if it emptied it.
    pub(crate) fn read(&self) -> io::Result<bool> {
        let mut buf = [0u8; 64];
        let n = (&self.receiver).read(&mut buf)?;
        Ok(n < buf.len())
    }

    /// Takes the signals that arrived since the last call. Read the pipe
    /// empty first: a signal that arrives afterwards writes again.
    pub(crate) fn take_pending(&self) -> SignalSet {
        table::take_pending(self.slot)
    }
}

impl Drop for SignalPipe {
    fn drop(&mut self) {
        table::release(self.slot);
    }
}

impl AsRawFd for SignalPipe {
    fn as_raw_fd(&self) -> RawFd {
        self.receiver.as_raw_fd()
    }
}

impl fmt::Debug for SignalPipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalPipe")
            .field("fd", &self.receiver.as_raw_fd())
            .field("signals", &self.signals())
            .finish()
    }
}
