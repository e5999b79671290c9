//! Readiness by posted packets, for the sources that are not handles: the
//! `channel` receiver and the `Timer`.
//!
//! A [`Notify`] is a readiness flag with a registration. `notify` sets the
//! flag and, when registered, posts one packet to the selector's completion
//! port (like `Waker::wake`), which `select` turns into a readable event
//! with the registration's token; `clear` resets the flag. The owner calls
//! `notify` only on the transitions it reports (a message arriving in a
//! drained channel, the last sender leaving, a timer's expiry being due),
//! and `clear` when its user found nothing more (the channel drained, the
//! timer read), so there is one packet per transition: edge-triggered, as
//! an eventfd under `EPOLLET`.
//!
//! Registering while the flag is set posts a packet at once (a readable
//! eventfd reports on registration too). A packet carries a reference to
//! the state, not a token: when it is dequeued the current registration
//! decides, so a packet of a source since deregistered, registered
//! elsewhere or dropped reports nothing. Posting allocates nothing.

use std::sync::{Arc, Mutex, Weak};
use std::{fmt, io};

use super::afd::POLL_RECEIVE;
use super::selector::{lock, SelectorInner, KEY_NOTIFY};
use super::Selector;
use crate::sys::registration;
use crate::{Interest, Token};

/// A readiness flag that posts a packet when set while registered. Clones
/// share it.
#[derive(Clone)]
pub(crate) struct Notify {
    state: Arc<NotifyState>,
}

struct NotifyState {
    inner: Mutex<NotifyInner>,
}

struct NotifyInner {
    /// Set by `notify`, reset by `clear`.
    pending: bool,
    registration: Option<Registration>,
}

struct Registration {
    /// Weak: a source must not keep a dropped `Poll`'s port open.
    selector: Weak<SelectorInner>,
    selector_id: usize,
    token: usize,
    readable: bool,
}

impl Notify {
    pub(crate) fn new() -> Notify {
        Notify {
            state: Arc::new(NotifyState {
                inner: Mutex::new(NotifyInner {
                    pending: false,
                    registration: None,
                }),
            }),
        }
    }

    /// Sets the flag; posts a packet if registered.
    pub(crate) fn notify(&self) {
        let mut inner = lock(&self.state.inner);
        inner.pending = true;
        let selector = self.post(&inner);
        // Unlocked first: should this be the last reference to the
        // selector, its drop dispatches packets, which lock the state.
        drop(inner);
        drop(selector);
    }

    /// Resets the flag: the next `notify` is a new edge.
    pub(crate) fn clear(&self) {
        lock(&self.state.inner).pending = false;
    }

    pub(crate) fn register(
        &self,
        selector: &Selector,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let mut inner = lock(&self.state.inner);
        if inner.registration.is_some() {
            return Err(registration::already_registered());
        }
        inner.registration = Some(Registration {
            selector: Arc::downgrade(selector.inner()),
            selector_id: selector.id(),
            token: usize::from(token),
            readable: interests.is_readable(),
        });
        let selector = if inner.pending {
            self.post(&inner)
        } else {
            None
        };
        drop(inner);
        drop(selector);
        Ok(())
    }

    pub(crate) fn reregister(
        &self,
        selector: &Selector,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let mut inner = lock(&self.state.inner);
        check(&inner, selector)?;
        if let Some(registration) = &mut inner.registration {
            registration.token = usize::from(token);
            registration.readable = interests.is_readable();
        }
        // A packet on its way carries no token: it reports the new one.
        // Posting again covers a flag set while the interest was not
        // readable; at worst the event is reported twice.
        let selector = if inner.pending {
            self.post(&inner)
        } else {
            None
        };
        drop(inner);
        drop(selector);
        Ok(())
    }

    pub(crate) fn deregister(&self, selector: &Selector) -> io::Result<()> {
        let mut inner = lock(&self.state.inner);
        check(&inner, selector)?;
        inner.registration = None;
        Ok(())
    }

    /// Ends the registration, if any: packets on their way report nothing.
    /// For the owner's `Drop`.
    pub(crate) fn close(&self) {
        lock(&self.state.inner).registration = None;
    }

    /// Posts a packet if registered for readable with a live selector. A
    /// failed post (the port is closing) is dropped: the event could not
    /// be reported anyway. Returns the selector, for the caller to drop
    /// after unlocking `inner`.
    fn post(&self, inner: &NotifyInner) -> Option<Arc<SelectorInner>> {
        let registration = match &inner.registration {
            Some(registration) if registration.readable => registration,
            _ => return None,
        };
        let selector = registration.selector.upgrade()?;
        let context = Arc::into_raw(Arc::clone(&self.state));
        selector.op_started();
        if selector.port().post(KEY_NOTIFY, context as *mut _).is_err() {
            selector.op_abandoned();
            // SAFETY: the packet was not posted, so the reference given up
            // above came back unused.
            drop(unsafe { Arc::from_raw(context) });
        }
        Some(selector)
    }
}

impl fmt::Debug for Notify {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = lock(&self.state.inner);
        f.debug_struct("Notify")
            .field("pending", &inner.pending)
            .field("token", &inner.registration.as_ref().map(|r| r.token))
            .finish()
    }
}

/// Checks that a `reregister` or `deregister` goes through the selector the
/// flag is registered with.
fn check(inner: &NotifyInner, selector: &Selector) -> io::Result<()> {
    let current = inner.registration.as_ref().map_or(0, |r| r.selector_id);
    registration::check(current, selector.id())
}

/// Handles a packet posted by `Notify::post` on the selector `selector`.
///
/// # Safety
///
/// `context` must be the `lpOverlapped` of a packet posted by
/// `Notify::post`, just dequeued (once).
pub(crate) unsafe fn complete(
    selector: &SelectorInner,
    context: usize,
    draining: bool,
) -> Option<(usize, u32)> {
    let state = Arc::from_raw(context as *const NotifyState);
    if draining {
        return None;
    }
    let inner = lock(&state.inner);
    match &inner.registration {
        // Still registered here and still set: a packet of a flag cleared
        // since is spurious, skip it.
        Some(registration)
            if registration.selector_id == selector.id()
                && registration.readable
                && inner.pending =>
        {
            Some((registration.token, POLL_RECEIVE))
        }
        _ => None,
    }
}

/// The channel's two handles on one flag: the senders' side notifies, the
/// receiver's side is the registered source.
pub(crate) fn notify_pair() -> (Notify, Notify) {
    let notify = Notify::new();
    (notify.clone(), notify)
}
