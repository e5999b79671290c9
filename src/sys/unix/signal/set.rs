//! A set of signal numbers as a fixed bitmap: what a `Signals` wants, and
//! what arrived for it. Plain data, no allocation.

use std::fmt;

use libc::c_int;

/// Signal numbers below this fit in the tables (Linux has 64 signals,
/// FreeBSD 128, most systems fewer).
pub(crate) const LIMIT: usize = 128;

/// Words of a bitmap of `LIMIT` bits.
pub(crate) const WORDS: usize = LIMIT / 64;

#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SignalSet([u64; WORDS]);

/// Where `signal`'s bit is: its word and the mask within it; `None` if it
/// is no number the tables hold.
pub(crate) fn position(signal: c_int) -> Option<(usize, u64)> {
    let n = usize::try_from(signal)
        .ok()
        .filter(|&n| n > 0 && n < LIMIT)?;
    Some((n / 64, 1 << (n % 64)))
}

impl SignalSet {
    pub(crate) const fn empty() -> SignalSet {
        SignalSet([0; WORDS])
    }

    pub(crate) const fn from_words(words: [u64; WORDS]) -> SignalSet {
        SignalSet(words)
    }

    /// Adds `signal`; false if it was there already or is out of range.
    #[cfg(test)]
    pub(crate) fn insert(&mut self, signal: c_int) -> bool {
        match position(signal) {
            Some((word, bit)) if self.0[word] & bit == 0 => {
                self.0[word] |= bit;
                true
            }
            _ => false,
        }
    }

    pub(crate) fn contains(&self, signal: c_int) -> bool {
        position(signal).is_some_and(|(word, bit)| self.0[word] & bit != 0)
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }

    /// The signals in either set.
    pub(crate) fn union(self, other: SignalSet) -> SignalSet {
        let mut words = self.0;
        for (word, theirs) in words.iter_mut().zip(other.0) {
            *word |= theirs;
        }
        SignalSet(words)
    }

    /// Removes and returns the lowest signal number in the set.
    pub(crate) fn pop(&mut self) -> Option<c_int> {
        for (i, word) in self.0.iter_mut().enumerate() {
            if *word != 0 {
                let bit = word.trailing_zeros();
                *word &= !(1 << bit);
                return Some((i * 64 + bit as usize) as c_int);
            }
        }
        None
    }

    /// The signal numbers, lowest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = c_int> {
        let mut rest = *self;
        std::iter::from_fn(move || rest.pop())
    }
}

impl fmt::Debug for SignalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_cover_one_to_limit() {
        assert_eq!(position(0), None);
        assert_eq!(position(-1), None);
        assert_eq!(position(1), Some((0, 2)));
        assert_eq!(position(63), Some((0, 1 << 63)));
        assert_eq!(position(64), Some((1, 1)));
        assert_eq!(position(LIMIT as c_int - 1), Some((1, 1 << 63)));
        assert_eq!(position(LIMIT as c_int), None);
    }

    #[test]
    fn insert_contains_pop() {
        let mut set = SignalSet::empty();
        assert!(set.is_empty());
        assert!(set.insert(10));
        assert!(!set.insert(10));
        assert!(!set.insert(0));
        assert!(set.insert(2));
        assert!(set.insert(100));
        assert!(set.contains(10) && set.contains(100) && !set.contains(3));
        assert_eq!(set.iter().collect::<Vec<_>>(), [2, 10, 100]);
        assert_eq!(format!("{:?}", set), "{2, 10, 100}");
        assert_eq!(set.pop(), Some(2));
        assert_eq!(set.pop(), Some(10));
        assert_eq!(set.pop(), Some(100));
        assert_eq!(set.pop(), None);
        assert!(set.is_empty());
        let high = SignalSet::from_words([1 << 5, 1 << 1]);
        assert_eq!(high.iter().collect::<Vec<_>>(), [5, 65]);
        let low = SignalSet::from_words([1 << 5 | 1 << 7, 0]);
        assert_eq!(high.union(low).iter().collect::<Vec<_>>(), [5, 7, 65]);
    }
}
