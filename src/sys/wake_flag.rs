//! Coalesced wakes: a `Waker::wake` that finds an earlier wake of the same
//! `Waker` not yet observed by the poller skips its syscall.
//!
//! # Protocol
//!
//! Every `Waker` owns one [`WakeFlag`], registered with its selector's
//! [`WakeFlags`] when the `Waker` is created.
//!
//! * `wake` calls [`WakeFlag::set`]; only the call that turned the flag
//!   from clear to set signals the kernel (writes the eventfd or the pipe).
//!   Every other call returns at once: a signal is already on its way.
//! * The selector calls [`WakeFlags::clear_all`] each time its wait returns,
//!   and before it hands the events back to the caller. Never before the
//!   wait: a wake skipped between the caller's look at the previous batch of
//!   events and that clear would be lost (its signal was consumed by the
//!   previous wait, and nothing else would end the next one).
//!
//! The state is per `Waker`: a pending wake of one `Waker` never swallows a
//! wake of another registered with the same `Poll`.
//!
//! A selector that *consumes* the signal itself (poll(2) drains the waker's
//! descriptor) must clear after that consumption, not before it: a wake
//! that set the flag and wrote between a clear and a drain would have its
//! write eaten and leave the flag set with nothing pending. epoll consumes
//! nothing (the descriptor is edge-triggered and never read).
//!
//! ## Why "each time the wait returns" rather than "when the waker's event
//! is seen"
//!
//! Clearing when the selector sees the waker's own event would skip a few
//! more writes under mixed load, but it needs the selector to recognise the
//! event, and the only thing an epoll event carries is the user's token,
//! which need not be unique (a socket may share the waker's token). Clearing
//! after every wait needs no recognition at all, costs one relaxed load per
//! registered `Waker` per wait (nothing when no wake is pending), and is as
//! safe: clearing *more* often than necessary only ever costs an extra
//! write, never a wake (see below). In a wake storm, where the poller
//! returns only because of wakes, both rules skip the same writes. It also
//! fits every backend alike: poll(2) drains the waker's descriptor,
//! kqueue's `EV_CLEAR` resets the user event, Windows dequeues a completion
//! packet, and none of them has to tell the flag which event was whose.
//!
//! ## No wake is lost
//!
//! Atomic operations (all on one flag, so they are totally ordered in its
//! modification order):
//!
//! * `set`: `swap(true, Release)`. Every `wake` does this read-modify-write,
//!   the ones that skip included.
//! * `clear`: a `Relaxed` load; if it reads `true`, `swap(false, Acquire)`.
//!
//! Take a wake `K` that skipped: its swap read `true`, written by the set
//! `S` of the waker that did signal, with no clear between `S` and `K` in
//! the flag's modification order (only clears write `false`). `S`'s caller
//! writes the descriptor after its swap.
//!
//! 1. *Some clear comes after `K`.* `S`'s write makes the descriptor ready;
//!    the kernel ends some wait `R` that returns after that write (the
//!    kernel's wait-queue locks order the write before the return, so `S`'s
//!    swap happens before `R` returns). After `R` the selector loads the
//!    flag; by coherence it reads `S`'s `true` or a later value, and a later
//!    `false` can only come from a clear after `S`, hence after `K`. Either
//!    way there is a clear `C` after `K`.
//! 2. *The first such clear `C` synchronises with `K`.* Between `K` and `C`
//!    in modification order there are only other skipping swaps (a new set
//!    needs a clear first), which are read-modify-writes and so continue
//!    `K`'s release sequence. `C`'s acquire swap reads from that sequence,
//!    so everything `K`'s thread did before `wake` (e.g. pushing a message)
//!    happens before everything the poller does after `C`.
//! 3. *The caller sees the waker's event at or after `C`.* `C` follows some
//!    wait `R'` and precedes the hand-back of `R'`'s events. `S`'s write is
//!    consumed by `R'` (then `R'`'s events, handed back after `C`, carry
//!    the token) or by a later wait (then that one's events do): it cannot
//!    have been consumed by a wait before `R'`, because that wait's own
//!    clear would lie between `S` and `C`, and then before `K` (contradicting
//!    "no clear between `S` and `K`") or after `K` (contradicting "`C` is
//!    the first").
//!
//! So every wake is followed by a `poll` that returns the waker's token and
//! after which the waking thread's earlier writes are visible. Clearing at
//! any extra point after a wait returned keeps 1-3 true (the argument never
//! needs a clear *not* to happen), which is what makes "after every wait"
//! safe.
//!
//! If the signalling write fails, [`WakeFlag::unset`] clears the flag again
//! so that the next `wake` retries, and the error goes to that `wake`'s
//! caller; wakes that skipped while that write was being attempted are
//! covered only by the next successful wake. (eventfd and pipe writes do
//! not fail in practice: a full counter or pipe is emptied and written
//! again.)
//!
//! # Registration
//!
//! [`WakeFlags`] is an append-only list of slots shared by the selector
//! and its clones (`Registry::try_clone`); walking it allocates nothing and
//! takes no lock. A dropped `Waker` releases its slot, and the next `Waker`
//! created on that selector reuses it, so the list is as long as the most
//! `Waker`s ever alive at once, usually one.
//!
//! # Model checking
//!
//! The atomics, `Arc` and `OnceLock` come from `crate::sync`: std's, or
//! under `--cfg loom` loom's (and a loom-visible once-cell), so that the
//! models in `src/models/wake_flag.rs` run this code. The list's links are
//! `OnceLock`s (a one-time publish with acquire reads).

use crate::sync::{Arc, AtomicBool, OnceLock, Ordering};

/// One `Waker`'s "a wake is on its way" bit.
#[derive(Debug, Default)]
pub(crate) struct WakeFlag {
    pending: AtomicBool,
}

impl WakeFlag {
    /// Marks a wake pending. Returns `true` if the caller must signal the
    /// kernel, `false` if an earlier, not yet observed wake already does.
    #[inline]
    pub(crate) fn set(&self) -> bool {
        !self.pending.swap(true, Ordering::Release)
    }

    /// Undoes a [`set`](WakeFlag::set) that returned `true` whose signal
    /// could not be sent, so that the next wake tries again.
    #[inline]
    pub(crate) fn unset(&self) {
        self.pending.store(false, Ordering::Release);
    }

    /// Called by the poller after its wait returned, before it hands back
    /// the events: every wake from now on signals again.
    #[inline]
    pub(crate) fn clear(&self) {
        // The load keeps the common case (nothing pending) free of writes
        // to a line the waking threads may be using; the swap is the
        // acquire that pairs with the skipped wakes' releases.
        if self.pending.load(Ordering::Relaxed) {
            self.pending.swap(false, Ordering::Acquire);
        }
    }

    /// Whether a wake is pending (for tests).
    #[cfg(test)]
    pub(crate) fn is_set(&self) -> bool {
        self.pending.load(Ordering::Acquire)
    }
}

/// One entry of [`WakeFlags`].
#[derive(Debug, Default)]
struct Slot {
    flag: WakeFlag,
    /// Held by a live `Waker` (see [`WakeHandle`]).
    in_use: AtomicBool,
    /// The next slot, published once.
    next: OnceLock<Arc<Slot>>,
}

/// The wake flags of every `Waker` registered with one selector.
///
/// The selector keeps it in an `Arc` shared with its clones, calls
/// [`clear_all`](WakeFlags::clear_all) after every wait, and hands it to
/// `Waker::new` through [`WakeHandle::new`].
#[derive(Debug, Default)]
pub(crate) struct WakeFlags {
    /// A sentinel: the list's first slot is `head.next`.
    head: Slot,
}

impl WakeFlags {
    /// An empty list.
    pub(crate) fn new() -> WakeFlags {
        WakeFlags::default()
    }

    /// Clears every registered flag (see the module docs for when).
    #[inline]
    pub(crate) fn clear_all(&self) {
        let mut slot = &self.head;
        while let Some(next) = slot.next.get() {
            next.flag.clear();
            slot = next;
        }
    }

    /// Claims a free slot, or appends a new one.
    fn claim(&self) -> Arc<Slot> {
        let mut slot = &self.head;
        loop {
            match slot.next.get() {
                Some(next) => {
                    if next
                        .in_use
                        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
                        .is_ok()
                    {
                        // A previous `Waker`'s signal may have gone to a
                        // descriptor that is closed now: start clear.
                        next.flag.unset();
                        return Arc::clone(next);
                    }
                    slot = next;
                }
                None => {
                    let fresh = Arc::new(Slot {
                        in_use: AtomicBool::new(true),
                        ..Slot::default()
                    });
                    match slot.next.set(Arc::clone(&fresh)) {
                        Ok(()) => return fresh,
                        // Another thread appended first: keep walking from
                        // here (its slot is in use, ours is discarded).
                        Err(_) => continue,
                    }
                }
            }
        }
    }
}

/// A `Waker`'s claim on its slot in a [`WakeFlags`]; releases it on drop.
#[derive(Debug)]
pub(crate) struct WakeHandle {
    slot: Arc<Slot>,
}

impl WakeHandle {
    /// Registers a new flag with `flags`. Allocates at most once (a new
    /// slot); never on the `wake` or `poll` path.
    pub(crate) fn new(flags: &WakeFlags) -> WakeHandle {
        WakeHandle {
            slot: flags.claim(),
        }
    }

    /// This `Waker`'s flag.
    #[inline]
    pub(crate) fn flag(&self) -> &WakeFlag {
        &self.slot.flag
    }
}

impl Drop for WakeHandle {
    fn drop(&mut self) {
        self.slot.in_use.store(false, Ordering::Release);
    }
}

// Plain threads: not under loom (its models are in src/models/wake_flag.rs).
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_wake_signals_until_cleared() {
        let flags = WakeFlags::new();
        let h = WakeHandle::new(&flags);
        assert!(h.flag().set());
        assert!(!h.flag().set());
        assert!(!h.flag().set());
        flags.clear_all();
        assert!(h.flag().set());
        h.flag().unset();
        assert!(h.flag().set());
    }

    #[test]
    fn flags_are_per_waker() {
        let flags = WakeFlags::new();
        let a = WakeHandle::new(&flags);
        let b = WakeHandle::new(&flags);
        assert!(a.flag().set());
        // A pending wake of `a` does not swallow one of `b`.
        assert!(b.flag().set());
        flags.clear_all();
        assert!(!a.flag().is_set() && !b.flag().is_set());
    }

    #[test]
    fn slots_are_reused_and_start_clear() {
        let flags = WakeFlags::new();
        let a = WakeHandle::new(&flags);
        assert!(a.flag().set());
        let a_ptr = Arc::as_ptr(&a.slot);
        drop(a);
        let b = WakeHandle::new(&flags);
        assert_eq!(Arc::as_ptr(&b.slot), a_ptr, "the freed slot is reused");
        assert!(b.flag().set(), "a reused slot starts clear");
        let c = WakeHandle::new(&flags);
        assert_ne!(Arc::as_ptr(&c.slot), a_ptr);
    }

    // WASI has no threads.
    #[cfg(not(target_os = "wasi"))]
    #[test]
    fn concurrent_registration_gives_distinct_slots() {
        let flags = Arc::new(WakeFlags::new());
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let flags = Arc::clone(&flags);
                std::thread::spawn(move || {
                    (0..50).map(|_| WakeHandle::new(&flags)).collect::<Vec<_>>()
                })
            })
            .collect();
        let all: Vec<WakeHandle> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        let mut ptrs: Vec<*const Slot> = all.iter().map(|h| Arc::as_ptr(&h.slot)).collect();
        ptrs.sort();
        ptrs.dedup();
        assert_eq!(ptrs.len(), 200);
    }
}
