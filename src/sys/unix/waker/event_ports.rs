//! `Waker` over an event port's user events (port_send(3C)): no descriptor
//! of its own beyond a duplicate of the port's. `wake` posts a
//! `PORT_SOURCE_USER` event whose user value is the token; wakes coalesce
//! until a poll has taken it (see `selector/event_ports.rs`).

use std::io;

use crate::sys::Selector;
use crate::Token;

#[derive(Debug)]
pub(crate) struct Waker {
    /// The same port as the `Poll`'s, through its own descriptor, so the
    /// waker outlives no borrow and can move to any thread.
    selector: Selector,
    token: Token,
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let selector = selector.try_clone()?;
        Ok(Waker { selector, token })
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        self.selector.wake(self.token)
    }
}
