use std::num::NonZeroU8;
use std::{fmt, ops};

/// The kinds of readiness a caller wants to hear about for a source.
///
/// Passed to [`Registry::register`] and [`Registry::reregister`]. An
/// `Interest` is never empty: there is no "no interest" value, so
/// [`Interest::remove`] returns `None` instead of producing one. Combine
/// values with `|` or [`Interest::add`].
///
/// [`Registry::register`]: crate::Registry::register
/// [`Registry::reregister`]: crate::Registry::reregister
///
/// # Examples
///
/// ```
/// use mio::Interest;
///
/// let both = Interest::READABLE | Interest::WRITABLE;
/// assert!(both.is_readable() && both.is_writable());
/// assert_eq!(both.remove(Interest::WRITABLE), Some(Interest::READABLE));
/// assert_eq!(Interest::READABLE.remove(Interest::READABLE), None);
/// assert_eq!(format!("{:?}", both), "READABLE | WRITABLE");
/// ```
#[derive(Copy, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interest(NonZeroU8);

const READABLE: u8 = 0b0_0001;
const WRITABLE: u8 = 0b0_0010;
// The bits below are defined everywhere so that the queries are portable, but
// the constants that set them exist only where the OS can honour them.
const AIO: u8 = 0b0_0100;
const LIO: u8 = 0b0_1000;
const PRIORITY: u8 = 0b1_0000;

const fn bits(value: u8) -> Interest {
    match NonZeroU8::new(value) {
        Some(bits) => Interest(bits),
        None => panic!("an Interest is never empty"),
    }
}

impl Interest {
    /// Interest in the source becoming readable.
    pub const READABLE: Interest = bits(READABLE);

    /// Interest in the source becoming writable.
    pub const WRITABLE: Interest = bits(WRITABLE);

    /// Interest in POSIX AIO completions (`EVFILT_AIO`).
    #[cfg(any(
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "ios",
        target_os = "macos",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
    ))]
    pub const AIO: Interest = bits(AIO);

    /// Interest in `lio_listio` completions (`EVFILT_LIO`).
    #[cfg(target_os = "freebsd")]
    pub const LIO: Interest = bits(LIO);

    /// Interest in priority (out-of-band) data, `EPOLLPRI`.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub const PRIORITY: Interest = bits(PRIORITY);

    /// Returns the union of `self` and `other`; usable in `const` context.
    ///
    /// ```
    /// use mio::Interest;
    /// const BOTH: Interest = Interest::READABLE.add(Interest::WRITABLE);
    /// assert!(BOTH.is_writable());
    /// ```
    #[allow(clippy::should_implement_trait)]
    #[must_use = "`add` returns a new Interest and leaves `self` unchanged"]
    pub const fn add(self, other: Interest) -> Interest {
        bits(self.0.get() | other.0.get())
    }

    /// Returns `self` without the kinds in `other`, or `None` if nothing would
    /// be left.
    #[must_use = "`remove` returns a new Interest and leaves `self` unchanged"]
    pub fn remove(self, other: Interest) -> Option<Interest> {
        NonZeroU8::new(self.0.get() & !other.0.get()).map(Interest)
    }

    /// Whether readable interest is included.
    pub const fn is_readable(self) -> bool {
        self.0.get() & READABLE != 0
    }

    /// Whether writable interest is included.
    pub const fn is_writable(self) -> bool {
        self.0.get() & WRITABLE != 0
    }

    /// Whether AIO interest is included.
    pub const fn is_aio(self) -> bool {
        self.0.get() & AIO != 0
    }

    /// Whether LIO interest is included.
    pub const fn is_lio(self) -> bool {
        self.0.get() & LIO != 0
    }

    /// Whether priority interest is included.
    pub const fn is_priority(self) -> bool {
        self.0.get() & PRIORITY != 0
    }
}

impl ops::BitOr for Interest {
    type Output = Interest;

    #[inline]
    fn bitor(self, other: Interest) -> Interest {
        self.add(other)
    }
}

impl ops::BitOrAssign for Interest {
    #[inline]
    fn bitor_assign(&mut self, other: Interest) {
        *self = self.add(other);
    }
}

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = [
            (READABLE, "READABLE"),
            (WRITABLE, "WRITABLE"),
            (AIO, "AIO"),
            (LIO, "LIO"),
            (PRIORITY, "PRIORITY"),
        ];
        let mut first = true;
        for (bit, name) in names {
            if self.0.get() & bit != 0 {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}
