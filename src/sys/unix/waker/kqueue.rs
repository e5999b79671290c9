//! `Waker` over kqueue's user filter (`EVFILT_USER`): no descriptor of its
//! own beyond a duplicate of the kqueue's. `new` adds a user event whose
//! ident and udata are the token; `wake` triggers it (`NOTE_TRIGGER`).
//! Added with `EV_CLEAR`, it is reset when a poll returns it, so wakes the
//! poller has not collected yet coalesce into one event.
//!
//! Used where the OS has the user filter: Apple's systems, FreeBSD and
//! DragonFly. NetBSD and OpenBSD use the pipe waker.

use std::io;

use crate::sys::Selector;
use crate::Token;

#[derive(Debug)]
pub(crate) struct Waker {
    /// The same kqueue as the `Poll`'s, through its own descriptor, so the
    /// waker outlives no borrow and can move to any thread.
    selector: Selector,
    token: Token,
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let selector = selector.try_clone()?;
        selector.setup_waker(token)?;
        Ok(Waker { selector, token })
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        self.selector.wake(self.token)
    }
}
