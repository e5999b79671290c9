//! The flag arithmetic of the kqueue selector, kept apart from its system
//! calls: which changes a registration submits, how the receipt of one
//! change is judged, and what a returned event means for each `Event`
//! accessor.
//!
//! Nothing here touches a `libc::kevent` or needs a BSD. An OS's
//! `<sys/event.h>` numbers come in as a [`Consts`] table that is generic
//! over the integer types of the `filter` and `flags` fields, because those
//! differ (`short`/`u_short` on most systems, `uint32_t` for both on
//! NetBSD). The selector builds one table from `libc`'s constants; the unit
//! tests below build tables with the numbers of several systems' headers
//! and run on every host, Linux included.

use std::ops::{BitAnd, BitOr};

use crate::Interest;

/// An integer type of a `kevent`'s `filter` or `flags` field.
pub(crate) trait Int:
    Copy + PartialEq + BitOr<Output = Self> + BitAnd<Output = Self> + Default
{
}

impl<T> Int for T where T: Copy + PartialEq + BitOr<Output = T> + BitAnd<Output = T> + Default {}

/// The `<sys/event.h>` numbers of one OS. `F` is the type of `filter`, `L`
/// that of `flags`. Optional filters are `None` where the OS lacks them or
/// the selector does not use them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Consts<F, L> {
    pub(crate) filt_read: F,
    pub(crate) filt_write: F,
    /// `EVFILT_USER`, where the `Waker` is built on it.
    pub(crate) filt_user: Option<F>,
    /// `EVFILT_TIMER`, which the `Timer` adds to the selector's kqueue.
    pub(crate) filt_timer: F,
    pub(crate) filt_aio: Option<F>,
    pub(crate) filt_lio: Option<F>,
    pub(crate) ev_add: L,
    pub(crate) ev_delete: L,
    pub(crate) ev_clear: L,
    pub(crate) ev_receipt: L,
    pub(crate) ev_eof: L,
    pub(crate) ev_error: L,
    #[allow(dead_code)] // unused where the waker is a pipe
    pub(crate) note_trigger: u32,
}

/// One entry of a changelist, minus `ident` and `udata`, which the caller
/// fills in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Change<F, L> {
    pub(crate) filter: F,
    pub(crate) flags: L,
    pub(crate) fflags: u32,
}

/// The most changes one registration call submits: one per filter.
pub(crate) const MAX_CHANGES: usize = 2;

/// A changelist of at most [`MAX_CHANGES`] entries, without allocating.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Changes<F, L> {
    list: [Change<F, L>; MAX_CHANGES],
    len: usize,
}

impl<F: Int, L: Int> Changes<F, L> {
    fn new() -> Changes<F, L> {
        let blank = Change {
            filter: F::default(),
            flags: L::default(),
            fflags: 0,
        };
        Changes {
            list: [blank; MAX_CHANGES],
            len: 0,
        }
    }

    /// A changelist of just `change`.
    #[allow(dead_code)] // unused where the waker is a pipe
    pub(crate) fn one(change: Change<F, L>) -> Changes<F, L> {
        let mut changes = Changes::new();
        changes.push(change);
        changes
    }

    fn push(&mut self, change: Change<F, L>) {
        self.list[self.len] = change;
        self.len += 1;
    }

    pub(crate) fn as_slice(&self) -> &[Change<F, L>] {
        &self.list[..self.len]
    }
}

/// What the receipt of one change says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The change took effect (or failed in a way that does not matter).
    Applied,
    /// A delete found no such filter registered for the descriptor.
    NotRegistered,
    /// The change failed with this errno.
    Failed(i32),
}

fn has<L: Int>(flags: L, bits: L) -> bool {
    flags & bits != L::default()
}

impl<F: Int, L: Int> Consts<F, L> {
    /// Adds `filter` edge-triggered: `EV_CLEAR` resets its state each time
    /// the event is returned, so it fires again only on new activity.
    fn add(&self, filter: F) -> Change<F, L> {
        Change {
            filter,
            flags: self.ev_add | self.ev_clear | self.ev_receipt,
            fflags: 0,
        }
    }

    fn delete(&self, filter: F) -> Change<F, L> {
        Change {
            filter,
            flags: self.ev_delete | self.ev_receipt,
            fflags: 0,
        }
    }

    /// The changes that register a descriptor for `interests`.
    ///
    /// AIO and LIO interests add no filter: their events come from the
    /// `aiocb`s the caller submits with a `SIGEV_KEVENT` sigevent naming this
    /// kqueue, not from the descriptor.
    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn register(&self, interests: Interest) -> Changes<F, L> {
        let mut changes = Changes::new();
        if interests.is_readable() {
            changes.push(self.add(self.filt_read));
        }
        if interests.is_writable() {
            changes.push(self.add(self.filt_write));
        }
        changes
    }

    /// The changes that move a registered descriptor to `interests`: add
    /// each wanted filter (an add of a registered filter updates it) and
    /// delete each unwanted one.
    pub(crate) fn reregister(&self, interests: Interest) -> Changes<F, L> {
        let mut changes = Changes::new();
        for (wanted, filter) in [
            (interests.is_readable(), self.filt_read),
            (interests.is_writable(), self.filt_write),
        ] {
            changes.push(if wanted {
                self.add(filter)
            } else {
                self.delete(filter)
            });
        }
        changes
    }

    /// The changes that remove a descriptor's registration.
    pub(crate) fn deregister(&self) -> Changes<F, L> {
        let mut changes = Changes::new();
        changes.push(self.delete(self.filt_read));
        changes.push(self.delete(self.filt_write));
        changes
    }

    /// Adds the user event `user_filter` (`EVFILT_USER`) the waker triggers,
    /// edge-triggered like everything else.
    #[allow(dead_code)] // unused where the waker is a pipe
    pub(crate) fn user_add(&self, user_filter: F) -> Change<F, L> {
        self.add(user_filter)
    }

    /// Deletes the user event added by [`Consts::user_add`], together with
    /// a trigger not yet returned.
    #[allow(dead_code)] // unused where the waker is a pipe
    pub(crate) fn user_delete(&self, user_filter: F) -> Change<F, L> {
        self.delete(user_filter)
    }

    /// Triggers the user event added by [`Consts::user_add`].
    #[allow(dead_code)] // unused where the waker is a pipe
    pub(crate) fn user_trigger(&self, user_filter: F) -> Change<F, L> {
        Change {
            filter: user_filter,
            flags: self.ev_receipt,
            fflags: self.note_trigger,
        }
    }

    /// Judges the receipt (`flags`, `data`) the kernel returned for
    /// `change`. With `EV_RECEIPT` every change gets an entry with
    /// `EV_ERROR` set and `data` holding the errno, 0 on success.
    pub(crate) fn judge(&self, change: &Change<F, L>, flags: L, data: i64) -> Outcome {
        if !has(flags, self.ev_error) || data == 0 {
            return Outcome::Applied;
        }
        // An errno always fits; anything else is no errno at all.
        let errno = i32::try_from(data).unwrap_or(libc::EIO);
        if has(change.flags, self.ev_delete) && errno == libc::ENOENT {
            Outcome::NotRegistered
        } else if change.filter == self.filt_write
            && has(change.flags, self.ev_add)
            && errno == libc::EPIPE
        {
            // FreeBSD and macOS refuse EVFILT_WRITE on a pipe whose reader
            // is gone; the writer finds out from its next write instead.
            Outcome::Applied
        } else {
            Outcome::Failed(errno)
        }
    }

    /// True if `filter` is readable: `EVFILT_READ`, the waker's
    /// `EVFILT_USER`, or a timer's `EVFILT_TIMER`.
    pub(crate) fn is_readable(&self, filter: F) -> bool {
        filter == self.filt_read || filter == self.filt_timer || Some(filter) == self.filt_user
    }

    pub(crate) fn is_writable(&self, filter: F) -> bool {
        filter == self.filt_write
    }

    /// `EV_ERROR`, or `EV_EOF` with an error code in `fflags` (a socket's
    /// pending error, per kqueue(2)).
    pub(crate) fn is_error(&self, flags: L, fflags: u32) -> bool {
        has(flags, self.ev_error) || (has(flags, self.ev_eof) && fflags != 0)
    }

    pub(crate) fn is_read_closed(&self, filter: F, flags: L) -> bool {
        filter == self.filt_read && has(flags, self.ev_eof)
    }

    pub(crate) fn is_write_closed(&self, filter: F, flags: L) -> bool {
        filter == self.filt_write && has(flags, self.ev_eof)
    }

    pub(crate) fn is_aio(&self, filter: F) -> bool {
        Some(filter) == self.filt_aio
    }

    pub(crate) fn is_lio(&self, filter: F) -> bool {
        Some(filter) == self.filt_lio
    }

    /// The name of `filter`, for debug output.
    pub(crate) fn filter_name(&self, filter: F) -> Option<&'static str> {
        [
            (Some(self.filt_read), "EVFILT_READ"),
            (Some(self.filt_write), "EVFILT_WRITE"),
            (self.filt_user, "EVFILT_USER"),
            (Some(self.filt_timer), "EVFILT_TIMER"),
            (self.filt_aio, "EVFILT_AIO"),
            (self.filt_lio, "EVFILT_LIO"),
        ]
        .into_iter()
        .find(|(known, _)| *known == Some(filter))
        .map(|(_, name)| name)
    }

    /// The names of the flags in `flags` this table knows, for debug output.
    pub(crate) fn flag_names(&self, flags: L) -> impl Iterator<Item = &'static str> {
        [
            (self.ev_add, "EV_ADD"),
            (self.ev_delete, "EV_DELETE"),
            (self.ev_clear, "EV_CLEAR"),
            (self.ev_receipt, "EV_RECEIPT"),
            (self.ev_eof, "EV_EOF"),
            (self.ev_error, "EV_ERROR"),
        ]
        .into_iter()
        .filter(move |(bit, _)| has(flags, *bit))
        .map(|(_, name)| name)
    }
}

/// What a batch of changes amounts to: the first failure if any; otherwise,
/// when `missing_everywhere_is_error`, `ENOENT` if no change found its
/// filter registered (deregistering a descriptor that has neither filter).
pub(crate) fn settle(outcomes: &[Outcome], missing_everywhere_is_error: bool) -> Result<(), i32> {
    if let Some(errno) = outcomes.iter().find_map(|outcome| match outcome {
        Outcome::Failed(errno) => Some(*errno),
        _ => None,
    }) {
        return Err(errno);
    }
    let all_missing = outcomes.iter().all(|o| *o == Outcome::NotRegistered);
    if missing_everywhere_is_error && !outcomes.is_empty() && all_missing {
        Err(libc::ENOENT)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The numbers below are those of each system's <sys/event.h>.

    const EV_ADD: u16 = 0x1;
    const EV_DELETE: u16 = 0x2;
    const EV_CLEAR: u16 = 0x20;
    const EV_RECEIPT: u16 = 0x40;
    const EV_ERROR: u16 = 0x4000;
    const EV_EOF: u16 = 0x8000;
    const NOTE_TRIGGER: u32 = 0x0100_0000;

    const FREEBSD: Consts<i16, u16> = Consts {
        filt_read: -1,
        filt_write: -2,
        filt_user: Some(-11),
        filt_timer: -7,
        filt_aio: Some(-3),
        filt_lio: Some(-10),
        ev_add: EV_ADD,
        ev_delete: EV_DELETE,
        ev_clear: EV_CLEAR,
        ev_receipt: EV_RECEIPT,
        ev_eof: EV_EOF,
        ev_error: EV_ERROR,
        note_trigger: NOTE_TRIGGER,
    };

    const MACOS: Consts<i16, u16> = Consts {
        filt_user: Some(-10),
        filt_lio: None,
        ..FREEBSD
    };

    // NetBSD: unsigned filters counted up from 0, 32-bit flags; its waker
    // is the pipe, so the user filter is not used.
    const NETBSD: Consts<u32, u32> = Consts {
        filt_read: 0,
        filt_write: 1,
        filt_user: None,
        filt_timer: 6,
        filt_aio: Some(2),
        filt_lio: None,
        ev_add: EV_ADD as u32,
        ev_delete: EV_DELETE as u32,
        ev_clear: EV_CLEAR as u32,
        ev_receipt: EV_RECEIPT as u32,
        ev_eof: EV_EOF as u32,
        ev_error: EV_ERROR as u32,
        note_trigger: NOTE_TRIGGER,
    };

    // Properties against a model of the kernel's filter table.
    mod props;

    const ADD: u16 = EV_ADD | EV_CLEAR | EV_RECEIPT;
    const DEL: u16 = EV_DELETE | EV_RECEIPT;

    fn change(filter: i16, flags: u16) -> Change<i16, u16> {
        Change {
            filter,
            flags,
            fflags: 0,
        }
    }

    #[test]
    fn register_adds_one_edge_triggered_filter_per_interest() {
        let c = FREEBSD;
        assert_eq!(c.register(Interest::READABLE).as_slice(), [change(-1, ADD)]);
        assert_eq!(c.register(Interest::WRITABLE).as_slice(), [change(-2, ADD)]);
        assert_eq!(
            c.register(Interest::READABLE | Interest::WRITABLE)
                .as_slice(),
            [change(-1, ADD), change(-2, ADD)]
        );
    }

    #[test]
    fn register_uses_the_hosts_integer_types() {
        let add = (EV_ADD | EV_CLEAR | EV_RECEIPT) as u32;
        let both = NETBSD.register(Interest::READABLE | Interest::WRITABLE);
        let filters: Vec<(u32, u32)> = both
            .as_slice()
            .iter()
            .map(|c| (c.filter, c.flags))
            .collect();
        assert_eq!(filters, [(0, add), (1, add)]);
    }

    #[cfg(any(
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "ios",
        target_os = "macos",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
    ))]
    #[test]
    fn aio_and_lio_interests_add_no_filter() {
        assert!(FREEBSD.register(Interest::AIO).as_slice().is_empty());
        #[cfg(target_os = "freebsd")]
        assert!(FREEBSD.register(Interest::LIO).as_slice().is_empty());
        let mixed = FREEBSD.register(Interest::AIO | Interest::READABLE);
        assert_eq!(mixed.as_slice(), [change(-1, ADD)]);
    }

    #[test]
    fn reregister_adds_wanted_and_deletes_unwanted_filters() {
        let c = FREEBSD;
        assert_eq!(
            c.reregister(Interest::READABLE).as_slice(),
            [change(-1, ADD), change(-2, DEL)]
        );
        assert_eq!(
            c.reregister(Interest::WRITABLE).as_slice(),
            [change(-1, DEL), change(-2, ADD)]
        );
        assert_eq!(
            c.reregister(Interest::READABLE | Interest::WRITABLE)
                .as_slice(),
            [change(-1, ADD), change(-2, ADD)]
        );
    }

    #[test]
    fn deregister_deletes_both_filters() {
        assert_eq!(
            FREEBSD.deregister().as_slice(),
            [change(-1, DEL), change(-2, DEL)]
        );
    }

    #[test]
    fn waker_changes_use_the_user_filter() {
        assert_eq!(MACOS.user_add(-10), change(-10, ADD));
        let trigger = MACOS.user_trigger(-10);
        assert_eq!(trigger.filter, -10);
        assert_eq!(trigger.flags, EV_RECEIPT);
        assert_eq!(trigger.fflags, NOTE_TRIGGER);
        assert_eq!(Changes::one(trigger).as_slice(), [trigger]);
    }

    #[test]
    fn receipts_without_an_error_are_applied() {
        let c = FREEBSD;
        let add = change(-1, ADD);
        // EV_RECEIPT: EV_ERROR with data 0 is success.
        assert_eq!(c.judge(&add, EV_ERROR | ADD, 0), Outcome::Applied);
        assert_eq!(c.judge(&add, ADD, 0), Outcome::Applied);
        assert_eq!(c.judge(&add, ADD, i64::from(libc::EBADF)), Outcome::Applied);
    }

    #[test]
    fn receipt_errors_are_reported_with_their_errno() {
        let c = FREEBSD;
        let e = i64::from;
        assert_eq!(
            c.judge(&change(-1, ADD), EV_ERROR, e(libc::EBADF)),
            Outcome::Failed(libc::EBADF)
        );
        // ENOENT means "not registered" only for a delete.
        assert_eq!(
            c.judge(&change(-1, DEL), EV_ERROR, e(libc::ENOENT)),
            Outcome::NotRegistered
        );
        assert_eq!(
            c.judge(&change(-1, ADD), EV_ERROR, e(libc::ENOENT)),
            Outcome::Failed(libc::ENOENT)
        );
        // EPIPE is ignored only when adding EVFILT_WRITE.
        assert_eq!(
            c.judge(&change(-2, ADD), EV_ERROR, e(libc::EPIPE)),
            Outcome::Applied
        );
        assert_eq!(
            c.judge(&change(-1, ADD), EV_ERROR, e(libc::EPIPE)),
            Outcome::Failed(libc::EPIPE)
        );
        assert_eq!(
            c.judge(&change(-2, DEL), EV_ERROR, e(libc::EPIPE)),
            Outcome::Failed(libc::EPIPE)
        );
        // Not an errno at all.
        assert_eq!(
            c.judge(&change(-1, ADD), EV_ERROR, i64::MAX),
            Outcome::Failed(libc::EIO)
        );
    }

    #[test]
    fn receipts_are_judged_with_netbsd_numbers_too() {
        let c = NETBSD;
        let del = Change {
            filter: 1,
            flags: (EV_DELETE | EV_RECEIPT) as u32,
            fflags: 0,
        };
        let error = EV_ERROR as u32;
        let enoent = i64::from(libc::ENOENT);
        assert_eq!(c.judge(&del, error, enoent), Outcome::NotRegistered);
        let add_write = c.register(Interest::WRITABLE).as_slice()[0];
        let epipe = i64::from(libc::EPIPE);
        assert_eq!(c.judge(&add_write, error, epipe), Outcome::Applied);
    }

    #[test]
    fn settling_a_batch() {
        use Outcome::*;
        let enoent = Err(libc::ENOENT);
        // Deregister: an error only if neither filter was registered.
        assert_eq!(settle(&[NotRegistered, NotRegistered], true), enoent);
        assert_eq!(settle(&[Applied, NotRegistered], true), Ok(()));
        assert_eq!(settle(&[NotRegistered, Applied], true), Ok(()));
        // Reregister: missing filters are fine.
        assert_eq!(settle(&[NotRegistered, NotRegistered], false), Ok(()));
        // The first failure wins over everything else.
        let failed = [NotRegistered, Failed(libc::EBADF), Failed(libc::EPERM)];
        assert_eq!(settle(&failed, true), Err(libc::EBADF));
        assert_eq!(
            settle(&[Applied, Failed(libc::EPERM)], false),
            Err(libc::EPERM)
        );
        // Nothing submitted, nothing to report.
        assert_eq!(settle(&[], true), Ok(()));
    }

    #[test]
    fn readiness_follows_the_filter() {
        let c = FREEBSD;
        assert!(c.is_readable(-1) && !c.is_writable(-1));
        assert!(c.is_writable(-2) && !c.is_readable(-2));
        // The waker's user event reads as readable.
        assert!(c.is_readable(-11));
        assert!(c.is_readable(-7) && !c.is_writable(-7));
        assert!(!c.is_aio(-1) && !c.is_lio(-1));
        assert!(c.is_aio(-3) && !c.is_readable(-3));
        assert!(c.is_lio(-10) && !c.is_readable(-10));
        // macOS has no EVFILT_LIO; its -10 is EVFILT_USER.
        assert!(MACOS.is_readable(-10) && !MACOS.is_lio(-10));
        // NetBSD numbers its filters from 0; no user filter in use.
        assert!(NETBSD.is_readable(0) && NETBSD.is_writable(1));
        assert!(NETBSD.is_aio(2) && !NETBSD.is_readable(8));
    }

    #[test]
    fn closed_halves_and_errors_follow_the_flags() {
        let c = FREEBSD;
        assert!(c.is_read_closed(-1, EV_EOF) && !c.is_write_closed(-1, EV_EOF));
        assert!(c.is_write_closed(-2, EV_EOF) && !c.is_read_closed(-2, EV_EOF));
        assert!(!c.is_read_closed(-1, EV_CLEAR) && !c.is_write_closed(-2, 0));
        // EOF is an error only with an error code in fflags.
        assert!(!c.is_error(EV_EOF, 0));
        assert!(c.is_error(EV_EOF, libc::ECONNRESET as u32));
        assert!(c.is_error(EV_ERROR, 0));
        assert!(!c.is_error(EV_CLEAR, 7));
        let eof = EV_EOF as u32;
        assert!(NETBSD.is_read_closed(0, eof) && NETBSD.is_write_closed(1, eof));
        assert!(NETBSD.is_error(EV_ERROR as u32, 0));
    }

    #[test]
    fn debug_names() {
        let c = FREEBSD;
        assert_eq!(c.filter_name(-1), Some("EVFILT_READ"));
        assert_eq!(c.filter_name(-11), Some("EVFILT_USER"));
        assert_eq!(c.filter_name(-10), Some("EVFILT_LIO"));
        assert_eq!(c.filter_name(-99), None);
        assert_eq!(MACOS.filter_name(-10), Some("EVFILT_USER"));
        let names: Vec<_> = c.flag_names(EV_ADD | EV_CLEAR | EV_EOF).collect();
        assert_eq!(names, ["EV_ADD", "EV_CLEAR", "EV_EOF"]);
        assert_eq!(c.flag_names(0).count(), 0);
    }
}
