//! `Waker` over kqueue's user filter (`EVFILT_USER`): no descriptor of its
//! own, it shares the `Poll`'s kqueue. `new` adds a user event whose ident
//! and udata are the token; `wake` triggers it (`NOTE_TRIGGER`). Added with
//! `EV_CLEAR`, it is reset when a poll returns it, so wakes the poller has
//! not collected yet coalesce into one event; a wake that finds an earlier
//! one not yet observed by a poll makes no `kevent` call at all (the flag
//! of `sys/wake_flag.rs`, cleared by the selector after each wait). Dropping the `Waker` deletes
//! the user event, and with it a wake still pending: no event of a dropped
//! `Waker` is returned afterwards.
//!
//! Used where the OS has the user filter: Apple's systems, FreeBSD and
//! DragonFly, and libkqueue on Linux (`--cfg mio_unsupported_force_kqueue`).
//! NetBSD and OpenBSD use the pipe waker.

use std::io;

use super::coalesce::Coalesce;
use crate::sys::Selector;
use crate::Token;

#[derive(Debug)]
pub(crate) struct Waker {
    /// The `Poll`'s kqueue, shared, so the waker outlives no borrow and can
    /// move to any thread.
    selector: Selector,
    token: Token,
    /// Skips the trigger while an earlier one is not yet observed
    /// (`sys/wake_flag.rs`).
    coalesce: Coalesce,
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        let selector = selector.try_clone()?;
        selector.setup_waker(token)?;
        let coalesce = Coalesce::new(&selector);
        Ok(Waker {
            selector,
            token,
            coalesce,
        })
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        if !self.coalesce.set() {
            // An earlier trigger is still to be observed by a poll.
            return Ok(());
        }
        self.selector.wake(self.token).map_err(|err| {
            self.coalesce.unset();
            err
        })
    }
}

impl Drop for Waker {
    fn drop(&mut self) {
        // The only failure is a user event already gone, which leaves
        // nothing to clean up either.
        let _ = self.selector.remove_waker(self.token);
    }
}
