//! The event buffer `poll` fills, shared by every backend: a `Vec` of the
//! backend's raw event type, and `Event`, a zero-cost view of one entry.

use super::RawEvent;

/// A readiness event, as returned by [`Poll::poll`](crate::Poll::poll).
///
/// An `Event` is a view over one entry of the buffer the OS filled; it is
/// handed out by reference while iterating [`Events`](crate::Events), and
/// reading its accessors costs a few bit tests.
///
/// Readiness is a hint: an event says an operation *may* now make progress,
/// and the caller must still be ready for `WouldBlock`. Sources are
/// edge-triggered, so after an event the caller performs the operation until
/// it returns `WouldBlock`; only then will another event be delivered.
#[repr(transparent)]
#[derive(Clone)]
pub struct Event {
    pub(crate) raw: RawEvent,
}

/// Storage for one poll's worth of raw events, allocated once.
pub(crate) struct EventBuf {
    raw: Vec<RawEvent>,
}

impl EventBuf {
    pub(crate) fn with_capacity(capacity: usize) -> EventBuf {
        EventBuf {
            raw: Vec::with_capacity(capacity),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.raw.capacity()
    }

    pub(crate) fn clear(&mut self) {
        self.raw.clear();
    }

    /// The events of the last poll.
    pub(crate) fn events(&self) -> &[Event] {
        let raw: &[RawEvent] = &self.raw;
        // SAFETY: `Event` is `repr(transparent)` over `RawEvent`, so a slice
        // of one has the layout of a slice of the other; the new slice
        // borrows `self` exactly like `raw` did.
        unsafe { std::slice::from_raw_parts(raw.as_ptr().cast::<Event>(), raw.len()) }
    }

    /// The backing vector, for the selector to fill.
    #[allow(dead_code)] // unused by the shell backend
    pub(crate) fn raw_mut(&mut self) -> &mut Vec<RawEvent> {
        &mut self.raw
    }
}
