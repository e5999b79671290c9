//! poll(2)'s flags: which ones an interest asks for, and how a reported
//! set reads as an `Event` (with the same meaning as epoll's).

use std::fmt;

use super::table::Flags;
use crate::{Interest, Token};

/// Peer closed its writing side (Linux only; elsewhere a hang-up says it).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(super) const RDHUP: Flags = libc::POLLRDHUP;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub(super) const RDHUP: Flags = 0;

/// Urgent data. WASI's poll(2) has no such flag.
#[cfg(unix)]
pub(super) const PRI: Flags = libc::POLLPRI;
#[cfg(not(unix))]
pub(super) const PRI: Flags = 0;

/// Conditions poll(2) reports whatever the event mask asks for.
pub(super) const ALWAYS: Flags = libc::POLLERR | libc::POLLHUP;

/// Whether `flags` holds `POLLRDHUP` (never where poll(2) has no such flag).
pub(super) fn is_rdhup(flags: Flags) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        flags & libc::POLLRDHUP != 0
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = flags;
        false
    }
}

/// poll(2)'s events for `interests`.
pub(super) fn interest_flags(interests: Interest) -> Flags {
    let mut flags = 0;
    if interests.is_readable() {
        // RDHUP lets `is_read_closed` see a peer's shutdown(SHUT_WR).
        flags |= libc::POLLIN | RDHUP;
    }
    if interests.is_writable() {
        flags |= libc::POLLOUT;
    }
    if interests.is_priority() {
        flags |= PRI;
    }
    flags
}

/// One event as `select` writes it: the token and the reported flags.
#[derive(Clone, Copy)]
pub(crate) struct RawEvent {
    pub(super) token: usize,
    pub(super) flags: Flags,
}

fn has(raw: &RawEvent, bits: Flags) -> bool {
    raw.flags & bits != 0
}

pub(crate) fn token(raw: &RawEvent) -> Token {
    Token(raw.token)
}

pub(crate) fn is_readable(raw: &RawEvent) -> bool {
    has(raw, libc::POLLIN | PRI)
}

pub(crate) fn is_writable(raw: &RawEvent) -> bool {
    has(raw, libc::POLLOUT)
}

pub(crate) fn is_error(raw: &RawEvent) -> bool {
    has(raw, libc::POLLERR)
}

pub(crate) fn is_read_closed(raw: &RawEvent) -> bool {
    has(raw, libc::POLLHUP) || (has(raw, libc::POLLIN) && has(raw, RDHUP))
}

pub(crate) fn is_write_closed(raw: &RawEvent) -> bool {
    // As on epoll: a hang-up; an error with OUT (e.g. EPIPE); or a bare
    // error, which a pipe's write end gets once its reader is gone.
    has(raw, libc::POLLHUP)
        || (has(raw, libc::POLLOUT) && has(raw, libc::POLLERR))
        || raw.flags == libc::POLLERR
}

pub(crate) fn is_priority(raw: &RawEvent) -> bool {
    has(raw, PRI)
}

pub(crate) fn is_aio(_: &RawEvent) -> bool {
    false
}

pub(crate) fn is_lio(_: &RawEvent) -> bool {
    false
}

/// The raw flags by name, for `{:#?}`.
pub(crate) struct Details<'a>(pub(crate) &'a RawEvent);

impl fmt::Debug for Details<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Names(Flags);
        impl fmt::Debug for Names {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let names = [
                    (libc::POLLIN, "POLLIN"),
                    (PRI, "POLLPRI"),
                    (libc::POLLOUT, "POLLOUT"),
                    (libc::POLLERR, "POLLERR"),
                    (libc::POLLHUP, "POLLHUP"),
                    (libc::POLLNVAL, "POLLNVAL"),
                    (RDHUP, "POLLRDHUP"),
                ];
                let mut first = true;
                for (bit, name) in names {
                    if bit != 0 && self.0 & bit != 0 {
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
        f.debug_struct("poll_event")
            .field("revents", &Names(self.0.flags))
            .field("token", &self.0.token)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interests_map_to_poll_events() {
        assert_eq!(interest_flags(Interest::READABLE), libc::POLLIN | RDHUP);
        assert_eq!(interest_flags(Interest::WRITABLE), libc::POLLOUT);
        assert_eq!(
            interest_flags(Interest::READABLE | Interest::WRITABLE),
            libc::POLLIN | RDHUP | libc::POLLOUT
        );
        #[cfg(any(target_os = "linux", target_os = "android"))]
        assert_eq!(interest_flags(Interest::PRIORITY), PRI);
    }

    fn raw(flags: Flags) -> RawEvent {
        RawEvent { token: 42, flags }
    }

    #[test]
    fn accessors_follow_poll_flags_like_epoll() {
        let e = raw(libc::POLLIN | RDHUP);
        assert!(is_readable(&e));
        assert_eq!(is_read_closed(&e), RDHUP != 0);
        assert!(!is_write_closed(&e) && !is_error(&e));
        assert_eq!(token(&e), Token(42));

        let e = raw(libc::POLLERR);
        assert!(is_error(&e) && is_write_closed(&e));
        assert!(!is_readable(&e) && !is_read_closed(&e));

        let e = raw(libc::POLLOUT | libc::POLLERR);
        assert!(is_writable(&e) && is_write_closed(&e));

        let e = raw(libc::POLLIN | libc::POLLHUP);
        assert!(is_read_closed(&e) && is_write_closed(&e));

        // WASI has no POLLPRI (`PRI` is 0 there).
        if PRI != 0 {
            let e = raw(PRI);
            assert!(is_priority(&e) && is_readable(&e));
            assert!(!is_aio(&e) && !is_lio(&e));
        }

        let details = format!("{:?}", Details(&raw(libc::POLLIN | libc::POLLOUT)));
        assert!(details.contains("POLLIN | POLLOUT"), "{}", details);
        assert!(format!("{:?}", Details(&raw(0))).contains("(empty)"));
    }
}
