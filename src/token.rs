/// Associates readiness events with the [`event::Source`] that produced them.
///
/// A `Token` is handed to [`Registry::register`] together with a source; every
/// [`Event`] for that source carries the same token, so the caller can find
/// the state it keeps for the source (an index into a slab, a map key, ...).
/// Mio does not interpret the value: any `usize` is fine, including
/// `usize::MAX`.
///
/// [`event::Source`]: crate::event::Source
/// [`Registry::register`]: crate::Registry::register
/// [`Event`]: crate::event::Event
///
/// # Examples
///
/// ```
/// use mio::Token;
///
/// let token = Token(7);
/// assert_eq!(usize::from(token), 7);
/// assert!(Token(1) < Token(2));
/// ```
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Token(pub usize);

impl From<Token> for usize {
    fn from(token: Token) -> usize {
        token.0
    }
}
