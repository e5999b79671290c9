//! `Waker`: wakes before and during a poll, from one and from many threads,
//! coalescing, and lots of wakes (enough to fill the pipe of the pipe-based
//! waker, `--cfg mio_unsupported_force_waker_pipe`).

// WASI preview 1 has no `Waker`.
#![cfg(all(feature = "os-poll", not(all(target_os = "wasi", target_env = "p1"))))]
// Some imports serve only the tests WASI leaves out (threads, ...).
#![cfg_attr(target_os = "wasi", allow(unused_imports))]

mod util;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use mio::{Events, Poll, Token, Waker};

use util::{current_tid, expect_no_events, poll_once, wait_until_sleeping, Watchdog, QUIET, WAIT};

const WAKE: Token = Token(10);

/// Polls once (bounded) and returns how many events carried `token`;
/// asserts there are no events with any other token.
fn waker_events(poll: &mut Poll, events: &mut Events, timeout: Duration) -> usize {
    let got = poll_once(poll, events, Some(timeout));
    assert!(
        got.iter().all(|s| s.token == WAKE),
        "unexpected events besides the waker's: {:?}",
        got
    );
    for seen in &got {
        assert!(seen.readable, "waker event is not readable: {:?}", seen);
        assert!(!seen.writable && !seen.error, "{:?}", seen);
    }
    got.len()
}

#[test]
fn wake_before_poll_is_seen_by_a_later_poll() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), WAKE).unwrap();
    expect_no_events(&mut poll, &mut events, "before any wake");
    waker.wake().unwrap();
    assert_eq!(waker_events(&mut poll, &mut events, WAIT), 1);
    expect_no_events(&mut poll, &mut events, "after the wake was collected");
}

#[test]
fn wake_before_poll_is_seen_with_zero_timeout() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), WAKE).unwrap();
    waker.wake().unwrap();
    // The wake completed before the poll started: no waiting is needed.
    assert_eq!(waker_events(&mut poll, &mut events, Duration::ZERO), 1);
}

#[test]
fn wakes_before_a_poll_coalesce() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), WAKE).unwrap();
    for _ in 0..10 {
        waker.wake().unwrap();
    }
    assert_eq!(waker_events(&mut poll, &mut events, WAIT), 1);
    assert_eq!(waker_events(&mut poll, &mut events, QUIET), 0);
}

#[test]
fn every_wake_after_a_poll_is_a_new_event() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), WAKE).unwrap();
    // More rounds than a pipe holds bytes, so that the pipe waker has to
    // empty its pipe on the way.
    for round in 0..70_000 {
        waker.wake().unwrap();
        let n = waker_events(&mut poll, &mut events, WAIT);
        assert_eq!(n, 1, "round {}", round);
    }
    expect_no_events(&mut poll, &mut events, "after the last round");
}

#[test]
fn many_wakes_without_polling_then_one_more() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), WAKE).unwrap();
    // Far more uncollected wakes than a pipe can buffer.
    for _ in 0..200_000 {
        waker.wake().unwrap();
    }
    assert_eq!(waker_events(&mut poll, &mut events, WAIT), 1);
    assert_eq!(waker_events(&mut poll, &mut events, QUIET), 0);
    // The waker still produces a fresh edge afterwards.
    waker.wake().unwrap();
    assert_eq!(waker_events(&mut poll, &mut events, WAIT), 1);
    assert_eq!(waker_events(&mut poll, &mut events, QUIET), 0);
}

// Not on WASI: no threads (spawning one fails with `Unsupported`).
#[cfg(not(target_os = "wasi"))]
#[test]
fn wakes_from_many_threads() {
    const THREADS: usize = 8;
    const WAKES: usize = 100;
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Arc::new(Waker::new(poll.registry(), WAKE).unwrap());
    let start = Arc::new(Barrier::new(THREADS));
    let finished = Arc::new(AtomicUsize::new(0));

    let handles: Vec<_> = (0..THREADS)
        .map(|_| {
            let waker = Arc::clone(&waker);
            let start = Arc::clone(&start);
            let finished = Arc::clone(&finished);
            thread::spawn(move || {
                start.wait();
                for _ in 0..WAKES {
                    waker.wake().unwrap();
                }
                finished.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();

    // Collect while the threads are running...
    let deadline = Instant::now() + WAIT;
    let mut seen = 0;
    while finished.load(Ordering::SeqCst) < THREADS {
        assert!(Instant::now() < deadline, "waking threads did not finish");
        let n = waker_events(&mut poll, &mut events, Duration::from_millis(5));
        assert!(n <= 1, "one waker, one event per poll at most; got {}", n);
        seen += n;
    }
    for handle in handles {
        handle.join().unwrap();
    }
    // ... and after they are done; then there is nothing left.
    while seen == 0 && Instant::now() < deadline {
        seen += waker_events(&mut poll, &mut events, QUIET);
    }
    seen += waker_events(&mut poll, &mut events, Duration::ZERO);
    assert!(seen >= 1, "no waker event for {} wakes", THREADS * WAKES);
    assert!(
        seen <= THREADS * WAKES,
        "{} events for {} wakes",
        seen,
        THREADS * WAKES
    );
    assert_eq!(waker_events(&mut poll, &mut events, QUIET), 0);

    // All threads are done: a burst of wakes gives exactly one event.
    for _ in 0..5 {
        waker.wake().unwrap();
    }
    assert_eq!(waker_events(&mut poll, &mut events, WAIT), 1);
    assert_eq!(waker_events(&mut poll, &mut events, QUIET), 0);
}

// Not on WASI: no threads (spawning one fails with `Unsupported`).
#[cfg(not(target_os = "wasi"))]
#[test]
fn wake_from_another_thread_ends_poll_none() {
    const ROUNDS: usize = 200;
    let _watchdog = Watchdog::new(
        "wake_from_another_thread_ends_poll_none",
        Duration::from_secs(120),
    );
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Arc::new(Waker::new(poll.registry(), WAKE).unwrap());

    let (go_tx, go_rx) = mpsc::channel::<Option<util::Tid>>();
    let remote = Arc::clone(&waker);
    let handle = thread::spawn(move || {
        while let Ok(Some(tid)) = go_rx.recv() {
            // Now and then, make sure the poll is already asleep, so that
            // both orders (wake first, poll first) are exercised.
            if tid != 0 {
                wait_until_sleeping(tid);
            }
            remote.wake().unwrap();
        }
    });

    for round in 0..ROUNDS {
        let tid = if round % 10 == 0 { current_tid() } else { 0 };
        go_tx.send(Some(tid)).unwrap();
        loop {
            util::poll_retry(&mut poll, &mut events, None).unwrap();
            let tokens: Vec<Token> = events.iter().map(|e| e.token()).collect();
            assert!(
                tokens.iter().all(|&t| t == WAKE),
                "round {}: {:?}",
                round,
                tokens
            );
            if !tokens.is_empty() {
                break;
            }
        }
    }
    go_tx.send(None).unwrap();
    handle.join().unwrap();
    expect_no_events(&mut poll, &mut events, "after the last round");
}

#[test]
fn waking_one_poll_leaves_another_alone() {
    let mut first = Poll::new().unwrap();
    let mut second = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let first_waker = Waker::new(first.registry(), Token(1)).unwrap();
    let _second_waker = Waker::new(second.registry(), Token(2)).unwrap();
    first_waker.wake().unwrap();
    expect_no_events(&mut second, &mut events, "the other Poll");
    let got = poll_once(&mut first, &mut events, Some(WAIT));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].token, Token(1));
}

#[test]
fn waker_registered_through_a_cloned_registry() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let registry = poll.registry().try_clone().unwrap();
    let waker = Waker::new(&registry, WAKE).unwrap();
    drop(registry);
    waker.wake().unwrap();
    assert_eq!(waker_events(&mut poll, &mut events, WAIT), 1);
}

#[test]
fn waker_token_is_not_interpreted() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), Token(usize::MAX)).unwrap();
    waker.wake().unwrap();
    let got = poll_once(&mut poll, &mut events, Some(WAIT));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].token, Token(usize::MAX));
}

#[test]
fn dropped_waker_reports_nothing() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), WAKE).unwrap();
    waker.wake().unwrap();
    drop(waker);
    // The waker's descriptor is closed, which removes it from the poller
    // together with its pending readiness.
    expect_no_events(&mut poll, &mut events, "after dropping a woken waker");
    // A new waker can take its place.
    let waker = Waker::new(poll.registry(), WAKE).unwrap();
    waker.wake().unwrap();
    assert_eq!(waker_events(&mut poll, &mut events, WAIT), 1);
}

#[test]
fn wake_after_poll_is_dropped_is_harmless() {
    let poll = Poll::new().unwrap();
    let waker = Waker::new(poll.registry(), WAKE).unwrap();
    drop(poll);
    for _ in 0..100_000 {
        waker.wake().unwrap();
    }
}

#[test]
fn waker_is_send_sync_and_debug() {
    fn assert_send_sync<T: Send + Sync + std::fmt::Debug>() {}
    assert_send_sync::<Waker>();
    let poll = Poll::new().unwrap();
    let waker = Waker::new(poll.registry(), WAKE).unwrap();
    assert!(format!("{:?}", waker).starts_with("Waker"));
}

// Several `Waker`s on one `Poll` are allowed in release builds only: debug
// builds check that one is active (see `one_waker_per_poll_*`). CI runs this
// file in release too.
#[cfg(not(debug_assertions))]
#[test]
fn a_pending_wake_of_one_waker_does_not_swallow_another() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let a = Waker::new(poll.registry(), Token(1)).unwrap();
    let b = Waker::new(poll.registry(), Token(2)).unwrap();
    for round in 0..100 {
        a.wake().unwrap();
        a.wake().unwrap();
        // `a`'s wake is pending; `b`'s must still signal.
        b.wake().unwrap();
        let mut tokens = Vec::new();
        let deadline = Instant::now() + WAIT;
        while tokens.len() < 2 {
            assert!(Instant::now() < deadline, "round {}: {:?}", round, tokens);
            for seen in poll_once(&mut poll, &mut events, Some(WAIT)) {
                tokens.push(seen.token);
            }
        }
        tokens.sort();
        assert_eq!(tokens, [Token(1), Token(2)], "round {}", round);
        expect_no_events(&mut poll, &mut events, "after both wakes");
    }
}

#[test]
fn a_new_waker_after_a_dropped_pending_one_still_wakes() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    for round in 0..20 {
        let waker = Waker::new(poll.registry(), WAKE).unwrap();
        waker.wake().unwrap();
        if round % 2 == 0 {
            // Dropped with its wake pending and never collected.
            drop(waker);
            continue;
        }
        assert_eq!(waker_events(&mut poll, &mut events, WAIT), 1, "{}", round);
        // Woken again after the poll: a fresh event.
        waker.wake().unwrap();
        assert_eq!(waker_events(&mut poll, &mut events, WAIT), 1, "{}", round);
    }
}

#[test]
fn a_wake_after_a_poll_that_returned_for_something_else_is_seen() {
    // The flag is cleared after every wait, also one that returned without
    // the waker's event; the next wake must still end a poll.
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), WAKE).unwrap();
    for _ in 0..100 {
        let got = poll_once(&mut poll, &mut events, Some(Duration::from_micros(100)));
        assert!(got.is_empty());
        waker.wake().unwrap();
        waker.wake().unwrap();
        assert_eq!(waker_events(&mut poll, &mut events, WAIT), 1);
    }
}

/// `THREADS` threads each publish a sequence number and wake, `wakes` times
/// in all, and each then waits until the poller has acknowledged having
/// seen that number after a `poll` returned. A lost wake leaves its thread
/// (and the poller, whose polls are bounded) waiting: the test fails after
/// `WAIT` instead of hanging. Wakes of different threads coalesce.
#[cfg(not(target_os = "wasi"))]
fn every_wake_is_observed(wakes: u64) {
    use std::sync::atomic::AtomicU64;

    const THREADS: usize = 4;
    let per_thread = wakes / THREADS as u64;
    let _watchdog = Watchdog::new("every_wake_is_observed", Duration::from_secs(600));
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Arc::new(Waker::new(poll.registry(), WAKE).unwrap());
    let published: Arc<Vec<AtomicU64>> =
        Arc::new((0..THREADS).map(|_| AtomicU64::new(0)).collect());
    let acked: Arc<Vec<AtomicU64>> = Arc::new((0..THREADS).map(|_| AtomicU64::new(0)).collect());

    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let waker = Arc::clone(&waker);
            let published = Arc::clone(&published);
            let acked = Arc::clone(&acked);
            thread::spawn(move || {
                for seq in 1..=per_thread {
                    published[t].store(seq, Ordering::Release);
                    waker.wake().unwrap();
                    let deadline = Instant::now() + WAIT;
                    while acked[t].load(Ordering::Acquire) < seq {
                        assert!(
                            Instant::now() < deadline,
                            "thread {}: wake {} never observed",
                            t,
                            seq
                        );
                        thread::park_timeout(Duration::from_millis(100));
                    }
                }
            })
        })
        .collect();
    let threads: Vec<thread::Thread> = handles.iter().map(|h| h.thread().clone()).collect();

    let mut seen = [0u64; THREADS];
    let mut polls = 0u64;
    while seen.iter().any(|&s| s < per_thread) {
        util::poll_retry(&mut poll, &mut events, Some(WAIT)).unwrap();
        polls += 1;
        let woken = events.iter().any(|e| e.token() == WAKE);
        let mut progress = false;
        for t in 0..THREADS {
            let p = published[t].load(Ordering::Acquire);
            if p > seen[t] {
                seen[t] = p;
                acked[t].store(p, Ordering::Release);
                threads[t].unpark();
                progress = true;
            }
        }
        assert!(
            woken || progress || events.is_empty(),
            "events without the waker's token"
        );
        assert!(
            woken || progress,
            "poll timed out after {:?} with wakes outstanding: seen {:?}",
            WAIT,
            seen
        );
    }
    for h in handles {
        h.join().unwrap();
    }
    // Every wake was needed at most once per poll; coalescing means fewer
    // polls than wakes is possible, never more events than polls.
    assert!(polls <= wakes + 1, "{} polls for {} wakes", polls, wakes);
}

// Not on WASI: no threads.
#[cfg(not(target_os = "wasi"))]
#[test]
fn every_wake_from_four_threads_is_observed() {
    // Small enough for a debug build on a busy machine (a few seconds).
    every_wake_is_observed(if cfg!(debug_assertions) {
        40_000
    } else {
        400_000
    });
}

/// The full million; run with
/// `cargo test --release --test waker -- --ignored million`.
#[cfg(not(target_os = "wasi"))]
#[test]
#[ignore = "long: a million wakes; run in release"]
fn a_million_wakes_from_four_threads_are_observed() {
    every_wake_is_observed(1_000_000);
}

// One active `Waker` per `Poll`: debug builds check it (not on WASI).
#[allow(dead_code)] // WASI does not check
const ONE_WAKER: &str = "Only a single `Waker` can be active per `Poll` instance";

#[cfg(all(debug_assertions, not(target_os = "wasi")))]
#[test]
#[should_panic(expected = "Only a single `Waker` can be active per `Poll` instance")]
fn second_waker_for_a_poll_panics_in_debug_builds() {
    let poll = Poll::new().unwrap();
    let _first = Waker::new(poll.registry(), Token(1)).unwrap();
    let _second = Waker::new(poll.registry(), Token(2));
}

#[cfg(all(debug_assertions, not(target_os = "wasi")))]
#[test]
#[should_panic(expected = "Only a single `Waker` can be active per `Poll` instance")]
fn second_waker_through_a_cloned_registry_panics_in_debug_builds() {
    let poll = Poll::new().unwrap();
    let clone = poll.registry().try_clone().unwrap();
    let _first = Waker::new(&clone, Token(1)).unwrap();
    let _second = Waker::new(poll.registry(), Token(2));
}

#[cfg(all(debug_assertions, not(target_os = "wasi")))]
#[test]
fn the_panic_message_is_exact() {
    let poll = Poll::new().unwrap();
    let _first = Waker::new(poll.registry(), Token(1)).unwrap();
    let registry = poll.registry();
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = Waker::new(registry, Token(2));
    }))
    .unwrap_err();
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap();
    assert_eq!(message, ONE_WAKER);
}

#[test]
fn dropping_the_waker_frees_its_place() {
    // Also through registry clones: the place belongs to the `Poll`.
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let clone = poll.registry().try_clone().unwrap();
    for round in 0..3 {
        let registry = if round % 2 == 0 {
            &clone
        } else {
            poll.registry()
        };
        let waker = Waker::new(registry, WAKE).unwrap();
        waker.wake().unwrap();
        assert_eq!(waker_events(&mut poll, &mut events, WAIT), 1);
    }
    // Each `Poll` has a place of its own.
    let other = Poll::new().unwrap();
    let _a = Waker::new(poll.registry(), WAKE).unwrap();
    let _b = Waker::new(other.registry(), WAKE).unwrap();
}

#[cfg(not(debug_assertions))]
#[test]
fn release_builds_allow_several_wakers() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let first = Waker::new(poll.registry(), Token(1)).unwrap();
    let second = Waker::new(poll.registry(), Token(2)).unwrap();
    first.wake().unwrap();
    second.wake().unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        poll.poll(&mut events, Some(WAIT)).unwrap();
        assert!(!events.is_empty(), "wakes lost: saw {:?}", seen);
        seen.extend(events.iter().map(|e| e.token()));
    }
    seen.sort();
    assert_eq!(seen, [Token(1), Token(2)]);
}
