//! The synchronisation primitives of the code that shares state between
//! threads (the channel, the `Waker`s' wake flags) or with a signal handler
//! (the signal table).
//!
//! Normally these are std's. Under `--cfg loom` (model checking, run by
//! `scripts/loom.sh`) they are loom's, so that the models in `src/models/`
//! and in the modules themselves exercise the real types, with every
//! interleaving loom explores. Only code reached through this module is
//! modelled: what it does not route (system calls, the `Poll`) is outside
//! the models, and the few places that stand in for a descriptor under
//! loom say so where they do it.

#![allow(unused_imports)] // each user takes only what it needs

#[cfg(not(loom))]
pub(crate) use std::sync::{
    atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering},
    Arc, Mutex, MutexGuard, OnceLock,
};

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering},
    Arc, Mutex, MutexGuard,
};

#[cfg(loom)]
pub(crate) use self::loom_once::OnceLock;

/// Loom has no `OnceLock`: the subset the crate uses (`get`, `set`), with
/// std's cell holding the value and a loom flag publishing it, so that loom
/// sees the release of `set` and the acquire of `get`.
#[cfg(loom)]
mod loom_once {
    use loom::sync::atomic::{AtomicBool, Ordering};
    use std::fmt;

    pub(crate) struct OnceLock<T> {
        value: std::sync::OnceLock<T>,
        published: AtomicBool,
    }

    impl<T> Default for OnceLock<T> {
        fn default() -> OnceLock<T> {
            OnceLock {
                value: std::sync::OnceLock::new(),
                published: AtomicBool::new(false),
            }
        }
    }

    impl<T> OnceLock<T> {
        /// The value, once a `set` published it (acquire).
        pub(crate) fn get(&self) -> Option<&T> {
            if self.published.load(Ordering::Acquire) {
                self.value.get()
            } else {
                None
            }
        }

        /// Stores `value` if the cell is empty; otherwise hands it back,
        /// after the winning `set` published its value (std's `set` waits
        /// for a running initialisation too).
        pub(crate) fn set(&self, value: T) -> Result<(), T> {
            match self.value.set(value) {
                Ok(()) => {
                    self.published.store(true, Ordering::Release);
                    Ok(())
                }
                Err(value) => {
                    while !self.published.load(Ordering::Acquire) {
                        loom::thread::yield_now();
                    }
                    Err(value)
                }
            }
        }
    }

    impl<T: fmt::Debug> fmt::Debug for OnceLock<T> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.debug_tuple("OnceLock").field(&self.get()).finish()
        }
    }
}

/// Lets another thread run while this one waits for it (a short spin).
#[allow(dead_code)]
pub(crate) fn yield_now() {
    #[cfg(not(loom))]
    std::thread::yield_now();
    #[cfg(loom)]
    loom::thread::yield_now();
}

/// Nothing, except under loom: a `SeqCst` fence.
///
/// Between a `SeqCst` write and a `SeqCst` read of another atomic (the
/// store-buffering pattern: each side writes its flag, then reads the
/// other's), the C11 model already forbids both reads seeing the old
/// values. Loom treats `SeqCst` accesses as `AcqRel` and would report that
/// outcome; it does model `fence(SeqCst)`. Calls of this mark those places
/// so that the models check what the code already guarantees.
#[allow(dead_code)]
#[inline(always)]
pub(crate) fn seq_cst_fence_for_loom() {
    #[cfg(loom)]
    loom::sync::atomic::fence(Ordering::SeqCst);
}
