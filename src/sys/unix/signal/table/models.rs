//! Loom models of the signal table (`--cfg loom`, `scripts/loom.sh`): the
//! handler's dispatch racing registration, unsubscription and release, on
//! the real table with loom's atomics and mutex.
//!
//! The handler is called directly on a model thread, as the kernel would
//! call it on some thread. Its write(2) is replaced by [`wrote`], which
//! records the descriptor and whether it was still open: the models open
//! and close made-up descriptor numbers with [`open`] and [`close`].
//! `subscribe` and `release` still call sigaction(2) for real (for
//! `SIGNAL`, which nothing raises); loom does not model it, and the
//! properties here do not depend on it.

use std::os::unix::io::RawFd;
use std::ptr;
use std::sync::Mutex as StdMutex;

use loom::thread;

use super::{claim, handler, release, subscribe, take_pending, unsubscribe};

const SIGNAL: libc::c_int = libc::SIGUSR2;
const FD_A: RawFd = 1_000_001;
const FD_B: RawFd = 1_000_002;

/// Descriptors per execution: which are open, what was written to which,
/// and writes to a closed one. A std mutex is enough: loom runs one thread
/// at a time and switches only at its own operations, never while this is
/// held.
#[derive(Default)]
struct Fds {
    open: Vec<RawFd>,
    written: Vec<RawFd>,
    to_closed: Vec<RawFd>,
}

loom::lazy_static! {
    static ref FDS: StdMutex<Fds> = StdMutex::new(Fds::default());
}

fn fds() -> std::sync::MutexGuard<'static, Fds> {
    FDS.lock().unwrap()
}

fn open(fd: RawFd) {
    fds().open.push(fd);
}

fn close(fd: RawFd) {
    fds().open.retain(|&open| open != fd);
}

/// The handler's write(2) under loom. Records instead of asserting: a
/// panic in the `extern "C"` handler would abort the process.
pub(super) fn wrote(fd: RawFd) {
    let mut fds = fds();
    if fds.open.contains(&fd) {
        fds.written.push(fd);
    } else {
        fds.to_closed.push(fd);
    }
}

fn written(fd: RawFd) -> bool {
    fds().written.contains(&fd)
}

fn assert_no_write_to_closed() {
    let to_closed = fds().to_closed.clone();
    assert!(
        to_closed.is_empty(),
        "the handler wrote to closed descriptors {to_closed:?}"
    );
}

fn deliver() {
    handler(SIGNAL, ptr::null_mut(), ptr::null_mut());
}

/// The models take turns: sigaction(2) is process-wide, and what it
/// reports steers `install` (one `publish` or two), so two models at once
/// would make each other's executions differ, which loom refuses.
static ONE_AT_A_TIME: StdMutex<()> = StdMutex::new(());

/// Runs `f` under loom on a thread with a large stack: loom's default
/// coroutine stacks (tens of KiB) are too small for the table's `Book`.
fn check<F: Fn() + Sync + Send + 'static>(f: F) {
    let _turn = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let f = std::sync::Arc::new(f);
    crate::models::check(move || {
        let f = std::sync::Arc::clone(&f);
        spawn(move || f()).join().unwrap();
    });
}

fn spawn<F: FnOnce() + Send + 'static>(f: F) -> thread::JoinHandle<()> {
    thread::Builder::new().stack_size(1 << 20).spawn(f).unwrap()
}

/// A set released (and its pipe closed) while the handler runs for a
/// signal it wants: the handler writes before the close or not at all.
#[test]
fn loom_signal_release_waits_for_handler() {
    check(|| {
        open(FD_A);
        let index = claim(FD_A).unwrap();
        subscribe(index, SIGNAL).unwrap();
        let signal = spawn(deliver);
        release(index);
        close(FD_A);
        signal.join().unwrap();
        assert_no_write_to_closed();
    });
}

/// Subscribing while the signal arrives: if the handler wrote the byte,
/// the set finds the signal pending.
#[test]
fn loom_signal_subscribe_racing_dispatch() {
    check(|| {
        open(FD_A);
        let index = claim(FD_A).unwrap();
        let signal = spawn(deliver);
        subscribe(index, SIGNAL).unwrap();
        signal.join().unwrap();
        let pending = take_pending(index);
        if written(FD_A) {
            assert!(pending.contains(SIGNAL), "byte written, signal not pending");
        }
        release(index);
        close(FD_A);
        assert_no_write_to_closed();
    });
}

/// One of two sets that want the signal unsubscribes while it arrives:
/// the other still gets the byte and the signal.
#[test]
fn loom_signal_unsubscribe_leaves_other_set() {
    check(|| {
        open(FD_A);
        open(FD_B);
        let a = claim(FD_A).unwrap();
        let b = claim(FD_B).unwrap();
        subscribe(a, SIGNAL).unwrap();
        subscribe(b, SIGNAL).unwrap();
        let signal = spawn(deliver);
        unsubscribe(a, SIGNAL);
        signal.join().unwrap();
        assert!(written(FD_B), "the set that kept the signal got no byte");
        assert!(take_pending(b).contains(SIGNAL));
        assert!(!take_pending(a).contains(SIGNAL), "unsubscribed set");
        release(a);
        release(b);
        close(FD_A);
        close(FD_B);
        assert_no_write_to_closed();
    });
}

/// A slot released and claimed again by a set that wants nothing, while
/// the signal arrives: the old pipe is written before its close or not at
/// all, and the new one never.
#[test]
fn loom_signal_slot_reuse() {
    check(|| {
        open(FD_A);
        let a = claim(FD_A).unwrap();
        subscribe(a, SIGNAL).unwrap();
        let signal = spawn(deliver);
        release(a);
        close(FD_A);
        open(FD_B);
        let b = claim(FD_B).unwrap();
        signal.join().unwrap();
        assert_no_write_to_closed();
        assert!(!written(FD_B), "a set that wants nothing was written to");
        assert!(take_pending(b).is_empty());
        release(b);
        close(FD_B);
    });
}
