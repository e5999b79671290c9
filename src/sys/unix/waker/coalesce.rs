//! How the Unix `Waker`s (eventfd, pipe, kqueue's user event) coalesce their
//! wakes: each holds a [`WakeFlag`](crate::sys::wake_flag::WakeFlag)
//! registered with its selector, and signals only when its `wake` is the one
//! that set the flag. Every selector (epoll, kqueue, poll(2)) keeps the
//! flags of its `Waker`s (`Selector::wake_flags`) and clears them after each
//! return of its wait, before it hands back the events; the poll(2) one after
//! draining the `Waker`s' descriptors too. Never before the wait: see
//! `sys/wake_flag.rs` for why no wake is lost.

use crate::sys::wake_flag::WakeHandle;
use crate::sys::Selector;

/// A `Waker`'s wake flag, registered with its selector.
#[derive(Debug)]
pub(super) struct Coalesce {
    handle: WakeHandle,
}

impl Coalesce {
    pub(super) fn new(selector: &Selector) -> Coalesce {
        Coalesce {
            handle: WakeHandle::new(selector.wake_flags()),
        }
    }

    /// Marks a wake pending; `true` if the caller must signal.
    #[inline]
    pub(super) fn set(&self) -> bool {
        self.handle.flag().set()
    }

    /// The signal after a `true` from `set` failed.
    #[inline]
    pub(super) fn unset(&self) {
        self.handle.flag().unset()
    }
}
