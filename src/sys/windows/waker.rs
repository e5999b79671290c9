//! `Waker` over PostQueuedCompletionStatus: a wake posts one packet to the
//! selector's completion port, which `select` turns into a readable event
//! with the waker's token.
//!
//! Wakes coalesce like the Unix ones: each `Waker` holds a wake flag
//! registered with its selector (`sys/wake_flag.rs`), only the `wake` that
//! sets the flag posts a packet, and the selector clears the flags each
//! time GetQueuedCompletionStatusEx returns, before it hands back the
//! events. The packet carries a reference to the waker's state, so a packet
//! of a waker dropped before the poll collects it is recognised and
//! reported as nothing.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::{fmt, io};

use super::afd::POLL_RECEIVE;
use super::selector::{SelectorInner, KEY_WAKER};
use super::Selector;
use crate::sys::wake_flag::WakeHandle;
use crate::Token;

pub(crate) struct Waker {
    /// Whether a packet is already on its way (`sys/wake_flag.rs`).
    coalesce: WakeHandle,
    state: Arc<WakerState>,
    /// Weak: a waker must not keep a dropped `Poll`'s port open.
    selector: Weak<SelectorInner>,
}

struct WakerState {
    token: usize,
    /// The `Waker` was dropped: its packet reports nothing.
    dropped: AtomicBool,
}

impl Waker {
    pub(crate) fn new(selector: &Selector, token: Token) -> io::Result<Waker> {
        Ok(Waker {
            coalesce: WakeHandle::new(selector.wake_flags()),
            state: Arc::new(WakerState {
                token: usize::from(token),
                dropped: AtomicBool::new(false),
            }),
            selector: Arc::downgrade(selector.inner()),
        })
    }

    pub(crate) fn wake(&self) -> io::Result<()> {
        // No `Poll` left to wake: nothing to do, as a write to an eventfd
        // nobody polls would do nothing.
        let selector = match self.selector.upgrade() {
            Some(selector) => selector,
            None => return Ok(()),
        };
        if !self.coalesce.flag().set() {
            // An earlier wake's packet has not been collected yet.
            return Ok(());
        }
        let context = Arc::into_raw(Arc::clone(&self.state));
        selector.op_started();
        if let Err(err) = selector.port().post(KEY_WAKER, context as *mut _) {
            selector.op_abandoned();
            // SAFETY: the packet was not posted, so the reference given up
            // above came back unused.
            drop(unsafe { Arc::from_raw(context) });
            // Let the next wake try again.
            self.coalesce.flag().unset();
            return Err(err);
        }
        Ok(())
    }
}

impl Drop for Waker {
    fn drop(&mut self) {
        self.state.dropped.store(true, Ordering::Release);
    }
}

impl fmt::Debug for Waker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waker")
            .field("token", &self.state.token)
            .finish()
    }
}

/// Handles a packet posted by `wake`.
///
/// # Safety
///
/// `context` must be the `lpOverlapped` of a packet posted by
/// `Waker::wake`, just dequeued (once).
pub(crate) unsafe fn complete(context: usize, draining: bool) -> Option<(usize, u32)> {
    let state = Arc::from_raw(context as *const WakerState);
    if draining || state.dropped.load(Ordering::Acquire) {
        None
    } else {
        Some((state.token, POLL_RECEIVE))
    }
}
