//! Edge triggering over level-triggered poll(2): what reporting an event
//! disarms, and what a source's `WouldBlock` arms again (see the module
//! docs of `selector/poll`).

use super::events::{is_rdhup, ALWAYS, PRI, RDHUP};
use super::table::{Entry, Flags, Mode};
use crate::Interest;

impl Entry {
    /// What to report for `revents`, if anything, and the disarming that
    /// goes with reporting it.
    pub(super) fn take(&mut self, revents: Flags) -> Option<Flags> {
        if self.parked || self.orphan {
            return None;
        }
        let mut flags = revents & (self.armed | ALWAYS);
        if self.mode == Mode::Waker {
            flags &= libc::POLLIN;
        }
        if flags == 0 {
            return None;
        }
        // After a hang-up a read no longer blocks (it returns what is left,
        // then end-of-file), and a read-side close is read readiness too;
        // epoll reports EPOLLIN with both.
        if flags & libc::POLLHUP != 0 && self.interests & libc::POLLIN != 0 {
            flags |= libc::POLLIN;
        }
        if is_rdhup(flags) {
            flags |= libc::POLLIN;
        }
        if self.mode == Mode::Edge {
            if flags & ALWAYS != 0 {
                self.armed = 0;
                self.parked = true;
            } else {
                self.armed &= !(flags & (libc::POLLIN | libc::POLLOUT | PRI | RDHUP));
            }
        }
        Some(flags)
    }

    /// Arms the interests in `mask` again; whether anything changed. Only
    /// the direction whose I/O hit `WouldBlock` is re-armed: re-arming
    /// writable after a read would report an idle, writable socket again
    /// on every poll.
    pub(super) fn rearm(&mut self, mask: Flags) -> bool {
        let armed = self.armed | (self.interests & mask);
        if self.mode != Mode::Edge || (armed == self.armed && !self.parked) {
            return false;
        }
        self.armed = armed;
        self.parked = false;
        true
    }
}

/// The poll(2) events an I/O direction waits for.
pub(super) fn rearm_mask(direction: Option<Interest>) -> Flags {
    match direction {
        Some(interest) => {
            let mut mask = 0;
            if interest.is_readable() {
                mask |= libc::POLLIN | RDHUP;
            }
            if interest.is_writable() {
                mask |= libc::POLLOUT;
            }
            if interest.is_priority() {
                mask |= PRI;
            }
            mask
        }
        None => !0,
    }
}

#[cfg(test)]
mod tests {
    use super::super::events::interest_flags;
    use super::super::table::Ident;
    use super::*;
    use crate::Token;

    fn entry(mode: Mode, interests: Interest) -> Entry {
        let interests = interest_flags(interests);
        Entry {
            fd: 3,
            token: Token(7),
            interests,
            armed: interests,
            parked: false,
            orphan: false,
            mode,
            ident: Ident { dev: 1, ino: 2 },
            serial: 1,
        }
    }

    fn both() -> Interest {
        Interest::READABLE | Interest::WRITABLE
    }

    #[test]
    fn edge_entries_disarm_what_they_report_until_rearmed() {
        let mut e = entry(Mode::Edge, both());
        assert_eq!(e.take(libc::POLLIN), Some(libc::POLLIN));
        assert_eq!(e.armed, RDHUP | libc::POLLOUT);
        assert_eq!(e.pollfd().events, RDHUP | libc::POLLOUT);
        // Readable again: not asked for, so poll(2) would not report it, and
        // a stale result is filtered out.
        assert_eq!(e.take(libc::POLLIN), None);
        assert_eq!(e.take(libc::POLLOUT), Some(libc::POLLOUT));
        assert_eq!(e.armed, RDHUP);
        assert!(e.rearm(!0));
        assert!(!e.rearm(!0), "nothing left to re-arm");
        assert_eq!(e.armed, e.interests);
    }

    #[test]
    fn rearming_one_direction_leaves_the_other_disarmed() {
        let mut e = entry(Mode::Edge, both());
        e.take(libc::POLLIN | libc::POLLOUT).unwrap();
        assert!(e.rearm(rearm_mask(Some(Interest::READABLE))));
        assert_eq!(e.armed & libc::POLLOUT, 0);
        assert_ne!(e.armed & libc::POLLIN, 0);
    }

    #[test]
    fn hang_up_and_error_park_an_edge_entry() {
        let mut e = entry(Mode::Edge, Interest::READABLE);
        assert_eq!(e.take(libc::POLLIN), Some(libc::POLLIN));
        // A hang-up is reported although nothing is armed, with IN: a read
        // no longer blocks.
        let flags = e.take(libc::POLLHUP).unwrap();
        assert_eq!(flags, libc::POLLHUP | libc::POLLIN);
        assert!(e.parked);
        assert_eq!(e.pollfd().fd, -1, "parked entries leave the poll set");
        assert_eq!(e.take(libc::POLLHUP), None);
        assert!(e.rearm(!0));
        assert_eq!(e.pollfd().fd, 3);

        let mut w = entry(Mode::Edge, Interest::WRITABLE);
        assert_eq!(w.take(libc::POLLERR), Some(libc::POLLERR));
        assert!(w.parked);
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn read_side_close_is_reported_once_with_readable() {
        let mut e = entry(Mode::Edge, Interest::READABLE);
        assert_eq!(e.take(libc::POLLIN), Some(libc::POLLIN));
        // IN is disarmed; RDHUP still arrives, and counts as readable.
        assert_eq!(e.take(RDHUP), Some(RDHUP | libc::POLLIN));
        assert_eq!(e.armed, 0);
        assert!(!e.parked, "a read-side close keeps hang-ups visible");
    }

    #[test]
    fn level_entries_stay_armed() {
        let mut e = entry(Mode::Level, both());
        for _ in 0..3 {
            assert_eq!(e.take(libc::POLLOUT), Some(libc::POLLOUT));
        }
        assert_eq!(
            e.take(libc::POLLHUP | libc::POLLOUT).unwrap() & ALWAYS,
            libc::POLLHUP
        );
        assert_eq!(e.take(libc::POLLHUP), Some(libc::POLLHUP | libc::POLLIN));
        assert!(!e.rearm(!0), "level entries are never disarmed");
    }

    #[test]
    fn waker_entries_report_plain_readability() {
        let mut e = entry(Mode::Waker, Interest::READABLE);
        assert_eq!(e.take(libc::POLLIN), Some(libc::POLLIN));
        assert_eq!(e.take(libc::POLLIN), Some(libc::POLLIN));
        assert_eq!(e.take(libc::POLLOUT), None);
    }
}
