//! `mio::signal::Signals`: signals raised by other threads are received
//! once per batch; two sets both see a signal; a handler installed before
//! keeps working; dispositions come back when the last set goes; bad
//! numbers are refused.
//!
//! The tests change process-wide signal dispositions, so they take turns
//! (`SERIAL`).

#![cfg(all(unix, feature = "signal"))]

mod util;

use std::io::ErrorKind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};
use std::{mem, ptr};

use libc::c_int;
use mio::signal::Signals;
use mio::{Events, Interest, Poll, Token};

use util::{expect_no_event_for, expect_token, WAIT};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Raises `signal` on a new thread (raise(3) sends it to the calling
/// thread) and waits for that thread.
fn raise_elsewhere(signal: c_int) {
    thread::spawn(move || {
        // SAFETY: raise has no memory-safety preconditions; every signal
        // raised here has a handler (a `Signals` wants it).
        assert_eq!(unsafe { libc::raise(signal) }, 0);
    })
    .join()
    .unwrap();
}

/// The current disposition of `signal`: its handler address and flags.
fn disposition(signal: c_int) -> (libc::sighandler_t, c_int) {
    // SAFETY: all-zero is a valid sigaction to be overwritten.
    let mut current: libc::sigaction = unsafe { mem::zeroed() };
    // SAFETY: a null new action only queries into `current`.
    assert_eq!(
        unsafe { libc::sigaction(signal, ptr::null(), &mut current) },
        0
    );
    (current.sa_sigaction, current.sa_flags & libc::SA_SIGINFO)
}

/// Sets `signal`'s disposition to `handler` (without SA_SIGINFO); returns
/// the old one for `restore`.
fn set_disposition(signal: c_int, handler: libc::sighandler_t) -> libc::sigaction {
    // SAFETY: all-zero is a valid sigaction (empty mask, no flags).
    let mut new: libc::sigaction = unsafe { mem::zeroed() };
    new.sa_sigaction = handler;
    // SAFETY: as above.
    let mut old: libc::sigaction = unsafe { mem::zeroed() };
    // SAFETY: both are valid sigactions; `handler` is SIG_DFL, SIG_IGN or
    // an `extern "C" fn(c_int)` of this file.
    assert_eq!(unsafe { libc::sigaction(signal, &new, &mut old) }, 0);
    old
}

fn restore(signal: c_int, old: &libc::sigaction) {
    // SAFETY: `old` is what sigaction returned for this signal.
    assert_eq!(unsafe { libc::sigaction(signal, old, ptr::null_mut()) }, 0);
}

/// Polls until `token` is reported and drains `signals`; returns what it
/// yielded (spurious events skipped), asserting no duplicates in a batch.
fn receive_batch(
    poll: &mut Poll,
    events: &mut Events,
    token: Token,
    signals: &mut Signals,
) -> Vec<c_int> {
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "no signal arrived");
        expect_token(poll, events, token);
        let batch: Vec<c_int> = signals.pending().collect();
        let mut unique = batch.clone();
        unique.dedup();
        assert_eq!(unique, batch, "a signal twice in one batch");
        if !batch.is_empty() {
            return batch;
        }
    }
}

fn setup(signals: &[c_int]) -> (Poll, Events, Signals) {
    let poll = Poll::new().unwrap();
    let events = Events::with_capacity(16);
    let mut set = Signals::new(signals).unwrap();
    poll.registry()
        .register(&mut set, Token(0), Interest::READABLE)
        .unwrap();
    (poll, events, set)
}

#[test]
fn a_signal_from_another_thread_is_received_once() {
    let _serial = serial();
    let (mut poll, mut events, mut signals) = setup(&[libc::SIGUSR1]);
    assert_eq!(signals.receive().unwrap(), None);
    raise_elsewhere(libc::SIGUSR1);
    let seen = expect_token(&mut poll, &mut events, Token(0));
    assert!(seen.readable);
    assert_eq!(signals.receive().unwrap(), Some(libc::SIGUSR1));
    assert_eq!(signals.receive().unwrap(), None);
    expect_no_event_for(&mut poll, &mut events, Token(0), "one arrival");

    // Sent to the process rather than a thread.
    thread::spawn(|| {
        // SAFETY: kill has no memory-safety preconditions.
        assert_eq!(unsafe { libc::kill(libc::getpid(), libc::SIGUSR1) }, 0);
    })
    .join()
    .unwrap();
    assert_eq!(
        receive_batch(&mut poll, &mut events, Token(0), &mut signals),
        [libc::SIGUSR1]
    );
}

#[test]
fn arrivals_before_a_read_coalesce_into_one_batch() {
    let _serial = serial();
    let (mut poll, mut events, mut signals) =
        setup(&[libc::SIGUSR2, libc::SIGWINCH, libc::SIGUSR1]);
    for _ in 0..3 {
        raise_elsewhere(libc::SIGUSR2);
    }
    raise_elsewhere(libc::SIGWINCH);
    let mut batch = receive_batch(&mut poll, &mut events, Token(0), &mut signals);
    batch.sort_unstable();
    let mut expected = vec![libc::SIGUSR2, libc::SIGWINCH];
    expected.sort_unstable();
    assert_eq!(batch, expected);
    assert_eq!(signals.receive().unwrap(), None);
    expect_no_event_for(&mut poll, &mut events, Token(0), "drained");
}

#[test]
fn many_threads_raising_at_once() {
    let _serial = serial();
    let (mut poll, mut events, mut signals) = setup(&[libc::SIGUSR1]);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            thread::spawn(|| {
                for _ in 0..100 {
                    // SAFETY: as in `raise_elsewhere`.
                    assert_eq!(unsafe { libc::raise(libc::SIGUSR1) }, 0);
                }
            })
        })
        .collect();
    let mut batches = 0;
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(Instant::now() < deadline, "the raising threads hang");
        let finished = threads.iter().all(|t| t.is_finished());
        util::poll_once(&mut poll, &mut events, Some(Duration::from_millis(10)));
        // One batch holds each signal once, however often it arrived.
        let batch: Vec<c_int> = signals.pending().collect();
        assert!(batch.is_empty() || batch == [libc::SIGUSR1], "{:?}", batch);
        batches += batch.len();
        if finished {
            break;
        }
    }
    for t in threads {
        t.join().unwrap();
    }
    assert!((1..=800).contains(&batches), "{} batches", batches);
    assert_eq!(signals.receive().unwrap(), None);
}

#[test]
fn two_sets_both_see_a_signal_they_share() {
    let _serial = serial();
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut a = Signals::new(&[libc::SIGUSR1]).unwrap();
    let mut b = Signals::new(&[libc::SIGUSR1, libc::SIGUSR2]).unwrap();
    poll.registry()
        .register(&mut a, Token(1), Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, Token(2), Interest::READABLE)
        .unwrap();

    raise_elsewhere(libc::SIGUSR1);
    // Both events may come from one poll.
    let mut seen = [false; 2];
    let deadline = Instant::now() + WAIT;
    while seen != [true, true] {
        assert!(Instant::now() < deadline, "only {:?} reported", seen);
        for s in util::poll_once(&mut poll, &mut events, Some(WAIT)) {
            seen[s.token.0 - 1] = true;
        }
    }
    assert_eq!(a.pending().collect::<Vec<_>>(), [libc::SIGUSR1]);
    assert_eq!(b.pending().collect::<Vec<_>>(), [libc::SIGUSR1]);

    // Only b wants SIGUSR2.
    raise_elsewhere(libc::SIGUSR2);
    assert_eq!(
        receive_batch(&mut poll, &mut events, Token(2), &mut b),
        [libc::SIGUSR2]
    );
    expect_no_event_for(&mut poll, &mut events, Token(1), "a does not want SIGUSR2");
    assert_eq!(a.receive().unwrap(), None);

    // Dropping a leaves b receiving SIGUSR1.
    drop(a);
    raise_elsewhere(libc::SIGUSR1);
    assert_eq!(
        receive_batch(&mut poll, &mut events, Token(2), &mut b),
        [libc::SIGUSR1]
    );
}

static PLAIN_CALLS: AtomicUsize = AtomicUsize::new(0);
static INFO_CALLS: AtomicUsize = AtomicUsize::new(0);

extern "C" fn plain_handler(_: c_int) {
    PLAIN_CALLS.fetch_add(1, Ordering::SeqCst);
}

extern "C" fn info_handler(_: c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    assert!(!info.is_null());
    INFO_CALLS.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn a_handler_installed_before_is_chained_and_restored() {
    let _serial = serial();
    let signal = libc::SIGUSR2;
    let before = set_disposition(signal, plain_handler as *const () as libc::sighandler_t);
    let installed = disposition(signal);
    {
        let (mut poll, mut events, mut signals) = setup(&[signal]);
        assert_ne!(disposition(signal), installed, "ours is installed");
        let calls = PLAIN_CALLS.load(Ordering::SeqCst);
        raise_elsewhere(signal);
        assert_eq!(
            receive_batch(&mut poll, &mut events, Token(0), &mut signals),
            [signal]
        );
        assert_eq!(PLAIN_CALLS.load(Ordering::SeqCst), calls + 1, "chained");
    }
    assert_eq!(disposition(signal), installed, "restored after drop");
    let calls = PLAIN_CALLS.load(Ordering::SeqCst);
    raise_elsewhere(signal);
    assert_eq!(PLAIN_CALLS.load(Ordering::SeqCst), calls + 1);
    restore(signal, &before);
}

#[test]
fn a_siginfo_handler_installed_before_is_chained_and_restored() {
    let _serial = serial();
    let signal = libc::SIGURG;
    // SAFETY: all-zero is a valid sigaction (empty mask).
    let mut new: libc::sigaction = unsafe { mem::zeroed() };
    new.sa_sigaction = info_handler as *const () as libc::sighandler_t;
    new.sa_flags = libc::SA_SIGINFO;
    // SAFETY: as above.
    let mut before: libc::sigaction = unsafe { mem::zeroed() };
    // SAFETY: valid sigactions; `info_handler` takes three arguments.
    assert_eq!(unsafe { libc::sigaction(signal, &new, &mut before) }, 0);
    let installed = disposition(signal);
    {
        let (mut poll, mut events, mut signals) = setup(&[signal]);
        let calls = INFO_CALLS.load(Ordering::SeqCst);
        raise_elsewhere(signal);
        assert_eq!(
            receive_batch(&mut poll, &mut events, Token(0), &mut signals),
            [signal]
        );
        assert_eq!(INFO_CALLS.load(Ordering::SeqCst), calls + 1, "chained");
    }
    assert_eq!(disposition(signal), installed, "restored after drop");
    restore(signal, &before);
}

#[test]
fn dispositions_are_restored_when_the_last_set_goes() {
    let _serial = serial();
    // SIGHUP: the default (terminate). SIGPIPE: ignored (Rust's runtime
    // ignores it at start-up). Both must come back as they were.
    for signal in [libc::SIGHUP, libc::SIGPIPE] {
        let original = disposition(signal);
        let mut first = Signals::new(&[signal]).unwrap();
        let second = Signals::new(&[signal]).unwrap();
        assert_ne!(disposition(signal), original);
        drop(second);
        assert_ne!(disposition(signal), original, "a set still wants it");
        first.remove(signal).unwrap();
        assert!(!first.contains(signal));
        assert_eq!(disposition(signal), original, "signal {}", signal);
        // Adding it back installs the handler again.
        first.add(signal).unwrap();
        assert_ne!(disposition(signal), original);
        drop(first);
        assert_eq!(disposition(signal), original, "signal {}", signal);
    }
}

#[test]
fn an_ignored_signal_is_received_while_wanted() {
    let _serial = serial();
    // SIGPIPE is ignored by Rust's runtime; a set still receives it.
    let original = disposition(libc::SIGPIPE);
    {
        let (mut poll, mut events, mut signals) = setup(&[libc::SIGPIPE]);
        raise_elsewhere(libc::SIGPIPE);
        assert_eq!(
            receive_batch(&mut poll, &mut events, Token(0), &mut signals),
            [libc::SIGPIPE]
        );
    }
    assert_eq!(disposition(libc::SIGPIPE), original);
}

#[test]
fn add_remove_and_contains() {
    let _serial = serial();
    let (mut poll, mut events, mut signals) = setup(&[]);
    assert!(!signals.contains(libc::SIGUSR1));
    signals.add(libc::SIGUSR1).unwrap();
    signals.add(libc::SIGUSR1).unwrap();
    assert!(signals.contains(libc::SIGUSR1));
    raise_elsewhere(libc::SIGUSR1);
    assert_eq!(
        receive_batch(&mut poll, &mut events, Token(0), &mut signals),
        [libc::SIGUSR1]
    );
    // Removing one that is not there is fine.
    signals.remove(libc::SIGUSR2).unwrap();
    signals.remove(libc::SIGUSR1).unwrap();
    assert!(!signals.contains(libc::SIGUSR1));
    assert!(format!("{:?}", signals).starts_with("Signals"));
}

#[test]
fn signals_that_cannot_be_received_are_refused() {
    let _serial = serial();
    let before = disposition(libc::SIGUSR1);
    for bad in [
        0,
        -1,
        1000,
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGILL,
        libc::SIGFPE,
    ] {
        let err = Signals::new(&[libc::SIGUSR1, bad]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "signal {}", bad);
        // Nothing was installed for the good one either.
        assert_eq!(disposition(libc::SIGUSR1), before);
    }
    let mut signals = Signals::new(&[]).unwrap();
    assert_eq!(
        signals.add(libc::SIGKILL).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        signals.remove(0).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    // Numbers the C library keeps for itself (glibc's 32 and 33) or beyond
    // the system's last signal: refused by sigaction, as invalid input.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    assert_eq!(signals.add(32).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(
        signals.add(100).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert!(!signals.contains(100));
}

#[test]
fn sets_beyond_the_table_are_refused_and_slots_are_reused() {
    let _serial = serial();
    let mut sets = Vec::new();
    let err = loop {
        match Signals::new(&[]) {
            Ok(set) => sets.push(set),
            Err(err) => break err,
        }
        assert!(sets.len() <= 64, "more than 64 sets");
    };
    assert_eq!(err.kind(), ErrorKind::Other);
    assert!(!sets.is_empty());
    sets.pop();
    let again = Signals::new(&[]).unwrap();
    drop((sets, again));
}
