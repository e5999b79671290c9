//! How the eventfd and pipe `Waker`s coalesce their wakes: through a
//! [`WakeFlag`](crate::sys::wake_flag::WakeFlag) where the selector clears
//! the flags after every wait (epoll), with a plain write per wake where it
//! does not (yet).
//!
//! A selector takes part by (1) keeping an `Arc<WakeFlags>` shared with its
//! clones and returning it from `Selector::wake_flags`, (2) calling
//! `WakeFlags::clear_all` after every return of its wait and before it
//! hands back the events, and (3) being added to the `cfg` of the first
//! `Coalesce` below (and removed from the second's). Never clear before the
//! wait: see `sys/wake_flag.rs`.

#[cfg(all(
    not(mio_unsupported_force_poll_poll),
    any(
        target_os = "android",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "ios",
        target_os = "linux",
        target_os = "macos",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
    )
))]
pub(super) use self::flagged::Coalesce;

// The epoll and kqueue selectors clear the flags after every wait: the
// selectors other than poll(2).
#[cfg(all(
    not(mio_unsupported_force_poll_poll),
    any(
        target_os = "android",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "ios",
        target_os = "linux",
        target_os = "macos",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
    )
))]
mod flagged {
    use crate::sys::wake_flag::WakeHandle;
    use crate::sys::Selector;

    /// A `Waker`'s wake flag, registered with its selector.
    #[derive(Debug)]
    pub(crate) struct Coalesce {
        handle: WakeHandle,
    }

    impl Coalesce {
        pub(crate) fn new(selector: &Selector) -> Coalesce {
            Coalesce {
                handle: WakeHandle::new(selector.wake_flags()),
            }
        }

        /// Marks a wake pending; `true` if the caller must signal.
        #[inline]
        pub(crate) fn set(&self) -> bool {
            self.handle.flag().set()
        }

        /// The signal after a `true` from `set` failed.
        #[inline]
        pub(crate) fn unset(&self) {
            self.handle.flag().unset()
        }
    }
}

// Selectors that do not clear wake flags (yet): every wake signals.

cfg_poll_selector! {
    use crate::sys::Selector;

    /// No coalescing: every wake signals.
    #[derive(Debug)]
    pub(super) struct Coalesce;

    impl Coalesce {
        pub(super) fn new(_: &Selector) -> Coalesce {
            Coalesce
        }

        #[inline]
        pub(super) fn set(&self) -> bool {
            true
        }

        #[inline]
        pub(super) fn unset(&self) {}
    }
}
