//! Readiness events and the [`Source`] trait.
//!
//! [`Poll::poll`](crate::Poll::poll) fills an [`Events`] buffer; iterating it
//! yields one [`Event`] per source that became ready, each carrying the
//! [`Token`](crate::Token) the source was registered with.

#[allow(clippy::module_inception)]
mod event;
mod events;
mod source;

pub use self::event::Event;
pub use self::events::{Events, Iter};
pub use self::source::Source;
