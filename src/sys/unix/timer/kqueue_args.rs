//! The `EVFILT_TIMER` changes the kqueue timer submits, as plain arithmetic
//! over one system's numbers (kqueue(2)), so that it is unit-tested on every
//! host.
//!
//! The timer is always a one-shot (`EV_ONESHOT`): the expirations are
//! counted by the schedule, not by the kernel, so a periodic timer needs no
//! periodic kernel timer, and a first expiry that differs from the period
//! (which `EVFILT_TIMER` cannot express) needs no special case. Each read
//! arms the next one-shot.
//!
//! `data` is given in the finest unit the system offers (`NOTE_NSECONDS`,
//! `NOTE_USECONDS`, ...; milliseconds without a unit flag) in which the delay
//! still fits, rounded up, so that the kernel never fires early.

use std::ops::BitOr;
use std::time::Duration;

/// One unit `EVFILT_TIMER` takes its `data` in.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unit {
    /// The `NOTE_*` flag that selects it (0 for the default, milliseconds).
    pub(crate) fflags: u32,
    /// Its length in nanoseconds.
    pub(crate) nanos: u64,
}

/// Milliseconds, what every system takes without a unit flag.
pub(crate) const MILLISECONDS: Unit = Unit {
    fflags: 0,
    nanos: 1_000_000,
};

/// One system's numbers: the filter and flags of its `<sys/event.h>`, in
/// its types (`F` for `kevent.filter`, `L` for `kevent.flags`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct TimerConsts<F, L> {
    pub(crate) filt_timer: F,
    pub(crate) ev_add: L,
    pub(crate) ev_delete: L,
    pub(crate) ev_oneshot: L,
    /// The units the system knows, finest first.
    pub(crate) units: &'static [Unit],
    /// The largest value `kevent.data` holds.
    pub(crate) max_data: i64,
}

/// One `kevent` change, minus the `ident`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TimerChange<F, L> {
    pub(crate) filter: F,
    pub(crate) flags: L,
    pub(crate) fflags: u32,
    pub(crate) data: i64,
}

/// The longest wait handed to the kernel at once (about 194 days). A longer
/// timer wakes up after this, finds nothing due, and is armed for the rest:
/// a spurious event, which keeps every system clear of overflows in its
/// unit conversions.
pub(crate) const MAX_WAIT: Duration = Duration::from_secs(1 << 24);

impl<F: Copy, L: Copy + BitOr<Output = L>> TimerConsts<F, L> {
    /// Fires once, `delay` from now, never sooner.
    pub(crate) fn once_after(&self, delay: Duration) -> TimerChange<F, L> {
        let (fflags, data) = self.data(delay);
        TimerChange {
            filter: self.filt_timer,
            flags: self.ev_add | self.ev_oneshot,
            fflags,
            data,
        }
    }

    /// Removes the timer (the kernel answers `ENOENT` if there is none).
    pub(crate) fn delete(&self) -> TimerChange<F, L> {
        TimerChange {
            filter: self.filt_timer,
            flags: self.ev_delete,
            fflags: 0,
            data: 0,
        }
    }

    /// `(fflags, data)` for `delay`: the finest unit in which the rounded-up
    /// count fits, at least one unit (some systems refuse a zero period);
    /// the coarsest, clamped, if none does.
    fn data(&self, delay: Duration) -> (u32, i64) {
        let nanos = delay.min(MAX_WAIT).as_nanos();
        let max = self.max_data.max(1);
        let mut coarsest = (MILLISECONDS.fflags, max);
        for unit in self.units {
            let per = u128::from(unit.nanos.max(1));
            let count = ((nanos + per - 1) / per).max(1);
            if count <= max as u128 {
                return (unit.fflags, count as i64);
            }
            coarsest = (unit.fflags, max);
        }
        coarsest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The numbers of each system's <sys/event.h>.
    const EV_ADD: u16 = 0x1;
    const EV_DELETE: u16 = 0x2;
    const EV_ONESHOT: u16 = 0x10;

    const FREEBSD_UNITS: &[Unit] = &[
        Unit {
            fflags: 0x8, // NOTE_NSECONDS
            nanos: 1,
        },
        Unit {
            fflags: 0x4, // NOTE_USECONDS
            nanos: 1_000,
        },
        Unit {
            fflags: 0x2, // NOTE_MSECONDS
            nanos: 1_000_000,
        },
        Unit {
            fflags: 0x1, // NOTE_SECONDS
            nanos: 1_000_000_000,
        },
    ];

    const FREEBSD: TimerConsts<i16, u16> = TimerConsts {
        filt_timer: -7,
        ev_add: EV_ADD,
        ev_delete: EV_DELETE,
        ev_oneshot: EV_ONESHOT,
        units: FREEBSD_UNITS,
        max_data: i64::MAX,
    };

    // A 32-bit `intptr_t` data field.
    const FREEBSD_32: TimerConsts<i16, u16> = TimerConsts {
        max_data: i32::MAX as i64,
        ..FREEBSD
    };

    // OpenBSD and DragonFly: milliseconds only.
    const MILLIS_ONLY: TimerConsts<i16, u16> = TimerConsts {
        units: &[MILLISECONDS],
        ..FREEBSD
    };

    // NetBSD: unsigned filters counted from 0, 32-bit flags.
    const NETBSD: TimerConsts<u32, u32> = TimerConsts {
        filt_timer: 6,
        ev_add: EV_ADD as u32,
        ev_delete: EV_DELETE as u32,
        ev_oneshot: EV_ONESHOT as u32,
        units: &[MILLISECONDS],
        max_data: i64::MAX,
    };

    fn once(fflags: u32, data: i64) -> TimerChange<i16, u16> {
        TimerChange {
            filter: -7,
            flags: EV_ADD | EV_ONESHOT,
            fflags,
            data,
        }
    }

    #[test]
    fn one_shots_use_the_finest_unit() {
        let d = Duration::from_micros(1500);
        assert_eq!(FREEBSD.once_after(d), once(0x8, 1_500_000));
        assert_eq!(
            FREEBSD.once_after(Duration::from_secs(3600)),
            once(0x8, 3_600_000_000_000)
        );
    }

    #[test]
    fn a_zero_delay_is_one_unit() {
        assert_eq!(FREEBSD.once_after(Duration::ZERO), once(0x8, 1));
        assert_eq!(MILLIS_ONLY.once_after(Duration::ZERO), once(0, 1));
    }

    #[test]
    fn coarse_units_round_up() {
        assert_eq!(MILLIS_ONLY.once_after(Duration::from_nanos(1)), once(0, 1));
        let d = Duration::from_millis(1) + Duration::from_nanos(1);
        assert_eq!(MILLIS_ONLY.once_after(d), once(0, 2));
        assert_eq!(
            MILLIS_ONLY.once_after(Duration::from_millis(250)),
            once(0, 250)
        );
    }

    #[test]
    fn a_narrow_data_field_moves_to_a_coarser_unit() {
        // 10 s is 10^10 ns: too much for 32 bits, fine in microseconds.
        let d = Duration::from_secs(10);
        assert_eq!(FREEBSD_32.once_after(d), once(0x4, 10_000_000));
        // MAX_WAIT in 32 bits: only seconds hold it.
        assert_eq!(
            FREEBSD_32.once_after(Duration::MAX),
            once(0x1, MAX_WAIT.as_secs() as i64)
        );
        // Milliseconds only, 32 bits: clamped to the largest count.
        let narrow = TimerConsts {
            max_data: i32::MAX as i64,
            ..MILLIS_ONLY
        };
        assert_eq!(narrow.once_after(MAX_WAIT), once(0, i32::MAX as i64));
    }

    #[test]
    fn long_waits_are_capped() {
        assert_eq!(
            FREEBSD.once_after(Duration::MAX),
            once(0x8, MAX_WAIT.as_nanos() as i64)
        );
    }

    #[test]
    fn deletes_and_other_integer_types() {
        assert_eq!(
            FREEBSD.delete(),
            TimerChange {
                filter: -7,
                flags: EV_DELETE,
                fflags: 0,
                data: 0
            }
        );
        let change = NETBSD.once_after(Duration::from_millis(3));
        assert_eq!((change.filter, change.flags), (6, 0x11));
        assert_eq!((change.fflags, change.data), (0, 3));
    }
}
