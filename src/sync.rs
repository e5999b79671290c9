//! The synchronisation primitives of the code that shares state between
//! threads (the channel) or with a signal handler (the signal table).
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
    Arc, Mutex, MutexGuard,
};

#[cfg(loom)]
pub(crate) use loom::sync::{
    atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering},
    Arc, Mutex, MutexGuard,
};

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
