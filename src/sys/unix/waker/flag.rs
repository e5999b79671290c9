//! `Waker` for WASI preview 2: a flag in the poll(2) selector's table.
//!
//! WASI has neither eventfd nor pipes, and a WASI preview 2 program runs a
//! single thread. `wake` therefore can only be called while the thread is
//! not inside `Poll::poll`; it sets a flag, and the next `poll` sees it
//! before blocking, polls without waiting, and reports one readable event
//! with the waker's token. Wakes coalesce until that event is reported.

use std::io;

use crate::sys::unix::selector::FlagWake;
use crate::sys::Selector;
use crate::Token;

#[derive(Debug)]
pub(crate) struct Waker {
    flag: FlagWake,
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        Ok(Waker {
            flag: selector.register_flag_waker(token),
        })
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        self.flag.wake();
        Ok(())
    }
}
