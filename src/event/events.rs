use std::{fmt, slice};

use crate::event::Event;
use crate::sys;

/// A buffer that [`Poll::poll`](crate::Poll::poll) fills with readiness
/// events.
///
/// The buffer is allocated once, by [`Events::with_capacity`]; polling and
/// iterating never allocate. One `poll` call returns at most `capacity`
/// events; sources that are ready beyond that are reported by the next call.
///
/// # Examples
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use mio::{Events, Poll};
/// use std::time::Duration;
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(256);
/// poll.poll(&mut events, Some(Duration::ZERO))?;
/// for event in events.iter() {
///     println!("{:?}", event);
/// }
/// # Ok(())
/// # }
/// ```
pub struct Events {
    inner: sys::EventBuf,
}

/// Iterator over the [`Event`]s in an [`Events`] buffer.
///
/// Returned by [`Events::iter`] and by iterating `&Events`.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    inner: slice::Iter<'a, Event>,
}

impl Events {
    /// Returns a buffer that holds up to `capacity` events per poll.
    ///
    /// A buffer with capacity zero can be created, but polling with it fails
    /// with `ErrorKind::InvalidInput`.
    pub fn with_capacity(capacity: usize) -> Events {
        Events {
            inner: sys::EventBuf::with_capacity(capacity),
        }
    }

    /// The most events one poll can return into this buffer.
    pub fn capacity(&self) -> usize {
        self.inner.capacity()
    }

    /// `true` if the last poll returned no events (or none has run yet).
    pub fn is_empty(&self) -> bool {
        self.inner.events().is_empty()
    }

    /// Iterates over the events of the last poll.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self.inner.events().iter(),
        }
    }

    /// Forgets every event; `poll` does this itself before filling the buffer.
    pub fn clear(&mut self) {
        self.inner.clear();
    }

    pub(crate) fn sys(&mut self) -> &mut sys::EventBuf {
        &mut self.inner
    }
}

impl<'a> IntoIterator for &'a Events {
    type Item = &'a Event;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Event;

    #[inline]
    fn next(&mut self) -> Option<&'a Event> {
        self.inner.next()
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }

    #[inline]
    fn count(self) -> usize {
        self.inner.len()
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
