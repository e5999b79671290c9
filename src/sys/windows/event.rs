//! Reading an event the way mio documents it for Windows.
//!
//! An event's flags are the AFD poll flags that were reported (see
//! `afd.rs`); wakers and named pipes express their readiness with the same
//! flags. One flag of our own marks a failed poll request.

use std::fmt;

use super::afd::{
    POLL_ABORT, POLL_ACCEPT, POLL_CONNECT_FAIL, POLL_DISCONNECT, POLL_LOCAL_CLOSE, POLL_RECEIVE,
    POLL_RECEIVE_EXPEDITED, POLL_SEND,
};
use super::RawEvent;
use crate::Token;

/// Not an AFD flag: the source is in error. The readiness request itself
/// failed, a named pipe operation failed, or a datagram socket has a
/// pending error (see `sock_state.rs`).
pub(crate) const POLL_FAILED: u32 = 0x8000_0000;

fn has(raw: &RawEvent, bits: u32) -> bool {
    raw.flags & bits != 0
}

pub(crate) fn token(raw: &RawEvent) -> Token {
    Token(raw.token)
}

/// Data, a connection to accept, or the end of the connection: a read or
/// accept will not block.
pub(crate) fn is_readable(raw: &RawEvent) -> bool {
    has(
        raw,
        POLL_RECEIVE | POLL_ACCEPT | POLL_DISCONNECT | POLL_ABORT | POLL_CONNECT_FAIL,
    )
}

/// Room to send, or a connect that ended (a failed one included).
pub(crate) fn is_writable(raw: &RawEvent) -> bool {
    has(raw, POLL_SEND | POLL_CONNECT_FAIL)
}

pub(crate) fn is_error(raw: &RawEvent) -> bool {
    has(
        raw,
        POLL_CONNECT_FAIL | POLL_ABORT | POLL_LOCAL_CLOSE | POLL_FAILED,
    )
}

pub(crate) fn is_read_closed(raw: &RawEvent) -> bool {
    has(raw, POLL_DISCONNECT | POLL_ABORT | POLL_CONNECT_FAIL)
}

pub(crate) fn is_write_closed(raw: &RawEvent) -> bool {
    has(raw, POLL_ABORT | POLL_CONNECT_FAIL | POLL_LOCAL_CLOSE)
}

/// AFD cannot be asked for out-of-band data in a way that matches
/// `Interest::PRIORITY`, which Windows does not have.
pub(crate) fn is_priority(_: &RawEvent) -> bool {
    false
}

pub(crate) fn is_aio(_: &RawEvent) -> bool {
    false
}

pub(crate) fn is_lio(_: &RawEvent) -> bool {
    false
}

/// The flags by name, for `{:#?}`.
pub(crate) struct Details<'a>(pub(crate) &'a RawEvent);

impl fmt::Debug for Details<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(u32, &str); 9] = [
            (POLL_RECEIVE, "AFD_POLL_RECEIVE"),
            (POLL_RECEIVE_EXPEDITED, "AFD_POLL_RECEIVE_EXPEDITED"),
            (POLL_SEND, "AFD_POLL_SEND"),
            (POLL_DISCONNECT, "AFD_POLL_DISCONNECT"),
            (POLL_ABORT, "AFD_POLL_ABORT"),
            (POLL_LOCAL_CLOSE, "AFD_POLL_LOCAL_CLOSE"),
            (POLL_ACCEPT, "AFD_POLL_ACCEPT"),
            (POLL_CONNECT_FAIL, "AFD_POLL_CONNECT_FAIL"),
            (POLL_FAILED, "POLL_FAILED"),
        ];
        struct Flags(u32);
        impl fmt::Debug for Flags {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut first = true;
                for (bit, name) in NAMES {
                    if self.0 & bit != 0 {
                        if !first {
                            f.write_str(" | ")?;
                        }
                        f.write_str(name)?;
                        first = false;
                    }
                }
                if first {
                    f.write_str("(empty)")?;
                }
                Ok(())
            }
        }
        f.debug_struct("afd_event")
            .field("flags", &Flags(self.0.flags))
            .field("token", &self.0.token)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors_follow_afd_flags() {
        let e = RawEvent::new(7, POLL_RECEIVE);
        assert_eq!(token(&e), Token(7));
        assert!(is_readable(&e) && !is_writable(&e) && !is_error(&e));
        assert!(!is_read_closed(&e) && !is_write_closed(&e));

        let e = RawEvent::new(7, POLL_ACCEPT);
        assert!(is_readable(&e));

        let e = RawEvent::new(7, POLL_RECEIVE | POLL_DISCONNECT);
        assert!(is_readable(&e) && is_read_closed(&e) && !is_write_closed(&e));

        let e = RawEvent::new(7, POLL_SEND);
        assert!(is_writable(&e) && !is_readable(&e));

        let e = RawEvent::new(7, POLL_CONNECT_FAIL);
        assert!(is_error(&e) && is_writable(&e) && is_read_closed(&e) && is_write_closed(&e));

        let e = RawEvent::new(7, POLL_ABORT);
        assert!(is_error(&e) && is_read_closed(&e) && is_write_closed(&e));

        let e = RawEvent::new(7, POLL_FAILED);
        assert!(is_error(&e));
        assert!(!is_priority(&e) && !is_aio(&e) && !is_lio(&e));
    }
}
