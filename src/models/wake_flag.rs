//! The `Waker`s' coalescing flags (`sys/wake_flag.rs`), on the real
//! `WakeFlags`/`WakeHandle` types.
//!
//! A loom `AtomicBool` `signal` stands for the waker's descriptor: the wake
//! that set the flag "writes" it (`swap(true, Release)`), and a poll that
//! returns "reads" it (`swap(false, Acquire)`: the kernel orders the write
//! before the wait's return), then clears every flag before it hands the
//! events back, as the selectors do. A message counter stands for what the
//! waking thread published before `wake`.
//!
//! The property: once every `wake` returned, either some poll already saw
//! a signal after which the last message is visible, or the signal is
//! still pending, so that the next (blocking) poll returns with it. A lost
//! wake would leave the poller blocked with the message unseen.

use loom::thread;

use crate::sync::{Arc, AtomicBool, AtomicUsize, Ordering};
use crate::sys::wake_flag::{WakeFlags, WakeHandle};

/// One `Waker`: its claim on a flag, its descriptor and its messages.
struct Waker {
    handle: WakeHandle,
    signal: AtomicBool,
    message: AtomicUsize,
}

impl Waker {
    fn new(flags: &WakeFlags) -> Waker {
        Waker {
            handle: WakeHandle::new(flags),
            signal: AtomicBool::new(false),
            message: AtomicUsize::new(0),
        }
    }

    /// Publishes message `n`, then wakes as `Waker::wake` does.
    fn send_and_wake(&self, n: usize) {
        self.message.store(n, Ordering::Relaxed);
        if self.handle.flag().set() {
            // An eventfd write adds to a counter: a read-modify-write. (A
            // plain store racing with the poller's swap would also hit
            // loom's known modification-order bug, tokio-rs/loom#254.)
            self.signal.swap(true, Ordering::Release);
        }
    }
}

/// One poll: the wait returns (with or without a signal), the selector
/// clears every flag, then the caller handles the events. Returns, per
/// waker, the message seen if its signal was in this poll's events.
fn poll_once(flags: &WakeFlags, wakers: &[&Waker], seen: &mut [usize]) {
    let observed: Vec<bool> = wakers
        .iter()
        .map(|w| w.signal.swap(false, Ordering::Acquire))
        .collect();
    flags.clear_all();
    for (i, w) in wakers.iter().enumerate() {
        if observed[i] {
            seen[i] = seen[i].max(w.message.load(Ordering::Relaxed));
        }
    }
}

/// After every thread is done: the blocking poll. It returns only if some
/// signal is pending; every waker's last message must be seen by then.
fn final_poll(flags: &WakeFlags, wakers: &[&Waker], seen: &mut [usize], last: usize) {
    poll_once(flags, wakers, seen);
    for (i, &s) in seen.iter().enumerate() {
        assert_eq!(
            s, last,
            "waker {i}: its last wake was lost (no poll saw message {last})"
        );
    }
}

/// One waker waking twice against a poller polling twice: every wake
/// after a clear signals, a skipped one is covered by a pending signal.
#[test]
fn loom_wake_flag_no_lost_wake() {
    super::check(|| {
        let flags = Arc::new(WakeFlags::new());
        let waker = Arc::new(Waker::new(&flags));

        let w = Arc::clone(&waker);
        let waking = thread::spawn(move || {
            w.send_and_wake(1);
            w.send_and_wake(2);
        });

        let mut seen = [0];
        poll_once(&flags, &[&waker], &mut seen);
        poll_once(&flags, &[&waker], &mut seen);
        waking.join().unwrap();
        final_poll(&flags, &[&waker], &mut seen, 2);
    });
}

/// Two wakers on one `WakeFlags`: a pending wake of one never swallows
/// the other's, whatever the poller does in between.
#[test]
fn loom_wake_flag_two_wakers() {
    super::check(|| {
        let flags = Arc::new(WakeFlags::new());
        let a = Arc::new(Waker::new(&flags));
        let b = Arc::new(Waker::new(&flags));

        let wa = Arc::clone(&a);
        let first = thread::spawn(move || {
            wa.send_and_wake(1);
        });
        let wb = Arc::clone(&b);
        let second = thread::spawn(move || {
            wb.send_and_wake(1);
        });

        let mut seen = [0, 0];
        poll_once(&flags, &[&a, &b], &mut seen);
        first.join().unwrap();
        second.join().unwrap();
        final_poll(&flags, &[&a, &b], &mut seen, 1);
    });
}

/// A pending (unobserved) wake of `a` while `b` wakes: `b` still signals.
#[test]
fn loom_wake_flag_pending_wake_does_not_swallow_another() {
    super::check(|| {
        let flags = Arc::new(WakeFlags::new());
        let a = Waker::new(&flags);
        let b = Arc::new(Waker::new(&flags));
        // `a`'s wake is pending: no poll has seen it.
        a.send_and_wake(1);

        let wb = Arc::clone(&b);
        let waking = thread::spawn(move || {
            wb.send_and_wake(1);
        });
        waking.join().unwrap();
        assert!(
            b.signal.load(Ordering::Acquire),
            "b's wake skipped its signal"
        );
        let mut seen = [0, 0];
        final_poll(&flags, &[&a, &b], &mut seen, 1);
    });
}

/// `Waker`s created at once on one `WakeFlags` (the list's once-cell
/// links) get distinct flags, each cleared by `clear_all`.
#[test]
fn loom_wake_flag_concurrent_registration() {
    super::check(|| {
        let flags = Arc::new(WakeFlags::new());
        let f = Arc::clone(&flags);
        let other = thread::spawn(move || {
            let h = WakeHandle::new(&f);
            assert!(h.flag().set());
            h
        });
        let mine = WakeHandle::new(&flags);
        assert!(mine.flag().set());
        let theirs = other.join().unwrap();
        assert!(!std::ptr::eq(mine.flag(), theirs.flag()), "one flag twice");
        flags.clear_all();
        assert!(!mine.flag().is_set() && !theirs.flag().is_set());
    });
}
