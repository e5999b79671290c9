//! A timer's schedule kept in user space, against the monotonic clock
//! (`Instant`): where the OS timer is only a wake-up (a one-shot kqueue
//! timer, a helper thread), this decides what is due and counts it, so a
//! wake-up that comes early or twice can never make the timer fire before
//! its time or count an expiry twice.

use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub(crate) struct Schedule {
    /// The next expiry not yet counted; `None` when disarmed, or when it
    /// lies beyond what `Instant` can represent (it never comes).
    next: Option<Instant>,
    /// The period of a periodic timer; never zero.
    interval: Option<Duration>,
}

impl Schedule {
    pub(crate) const fn disarmed() -> Schedule {
        Schedule {
            next: None,
            interval: None,
        }
    }

    /// First expiry `first` after `now`, then every `interval`. Forgets
    /// whatever was due and not yet taken.
    pub(crate) fn arm(&mut self, now: Instant, first: Duration, interval: Option<Duration>) {
        self.next = now.checked_add(first);
        self.interval = interval.filter(|i| !i.is_zero());
    }

    pub(crate) fn cancel(&mut self) {
        *self = Schedule::disarmed();
    }

    /// When the next expiry is due, if ever.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.next
    }

    /// Counts the expiries due at `now` and moves on to the first one
    /// after `now`. Zero when nothing is due.
    pub(crate) fn take(&mut self, now: Instant) -> u64 {
        let next = match self.next {
            Some(next) if next <= now => next,
            _ => return 0,
        };
        let interval = match self.interval {
            Some(interval) => interval,
            None => {
                self.next = None;
                return 1;
            }
        };
        // Every period that has ended since `next` is one more expiry; the
        // phase stays that of the first expiry, whenever the reads happen.
        let count = (now - next).as_nanos() / interval.as_nanos() + 1;
        self.next = interval
            .as_nanos()
            .checked_mul(count)
            .and_then(|nanos| u64::try_from(nanos).ok())
            .and_then(|nanos| next.checked_add(Duration::from_nanos(nanos)));
        u64::try_from(count).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_one_shot_fires_once_at_its_deadline() {
        let t0 = Instant::now();
        let mut s = Schedule::disarmed();
        assert_eq!(s.take(t0), 0);
        s.arm(t0, 10 * MS, None);
        assert_eq!(s.deadline(), Some(t0 + 10 * MS));
        assert_eq!(s.take(t0 + 9 * MS), 0);
        assert_eq!(s.take(t0 + 10 * MS), 1);
        assert_eq!(s.deadline(), None);
        assert_eq!(s.take(t0 + 100 * MS), 0);
    }

    #[test]
    fn a_zero_first_expiry_is_due_at_once() {
        let t0 = Instant::now();
        let mut s = Schedule::disarmed();
        s.arm(t0, Duration::ZERO, None);
        assert_eq!(s.take(t0), 1);
    }

    #[test]
    fn a_periodic_timer_counts_every_period_and_keeps_its_phase() {
        let t0 = Instant::now();
        let mut s = Schedule::disarmed();
        s.arm(t0, 5 * MS, Some(10 * MS));
        assert_eq!(s.take(t0 + 4 * MS), 0);
        assert_eq!(s.take(t0 + 5 * MS), 1);
        assert_eq!(s.deadline(), Some(t0 + 15 * MS));
        // Read late: 15, 25 and 35 are due at 37.
        assert_eq!(s.take(t0 + 37 * MS), 3);
        assert_eq!(s.deadline(), Some(t0 + 45 * MS));
        assert_eq!(s.take(t0 + 44 * MS), 0);
        assert_eq!(s.take(t0 + 45 * MS), 1);
    }

    #[test]
    fn arming_again_forgets_what_was_due_and_cancel_disarms() {
        let t0 = Instant::now();
        let mut s = Schedule::disarmed();
        s.arm(t0, MS, Some(MS));
        s.arm(t0 + 50 * MS, 20 * MS, None);
        assert_eq!(s.take(t0 + 60 * MS), 0);
        assert_eq!(s.take(t0 + 70 * MS), 1);
        s.arm(t0, MS, Some(MS));
        s.cancel();
        assert_eq!(s.deadline(), None);
        assert_eq!(s.take(t0 + 100 * MS), 0);
    }

    #[test]
    fn deadlines_out_of_range_never_come() {
        let t0 = Instant::now();
        let mut s = Schedule::disarmed();
        s.arm(t0, Duration::MAX, None);
        assert_eq!(s.deadline(), None);
        assert_eq!(s.take(t0 + 1000 * MS), 0);
        // A period so long that the next expiry cannot be represented.
        s.arm(t0, MS, Some(Duration::MAX));
        assert_eq!(s.take(t0 + MS), 1);
        assert_eq!(s.deadline(), None);
    }

    #[test]
    fn a_zero_interval_is_a_one_shot() {
        let t0 = Instant::now();
        let mut s = Schedule::disarmed();
        s.arm(t0, MS, Some(Duration::ZERO));
        assert_eq!(s.take(t0 + 5 * MS), 1);
        assert_eq!(s.deadline(), None);
    }
}
