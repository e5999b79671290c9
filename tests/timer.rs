//! `mio::timer::Timer`: fires, never before its time; intervals count;
//! cancel, re-arm, re-register. Lower bounds on time only: a loaded machine
//! may make anything late, nothing may make a timer early.

// WASI has no `mio::timer` (no threads, pipes or timer descriptors to build
// it on).
#![cfg(all(feature = "timer", not(target_os = "wasi")))]

// Every test here is portable: they run on every Unix backend and on
// Windows.
#[cfg(any(unix, windows))]
mod util;

#[cfg(any(unix, windows))]
mod portable {
    use std::io::ErrorKind;
    use std::thread;
    use std::time::{Duration, Instant};

    use mio::timer::Timer;
    use mio::{Events, Interest, Poll, Token};

    use super::util::{expect_no_event_for, expect_token, poll_once, WAIT};

    const TIMER: Token = Token(1);
    const MS: Duration = Duration::from_millis(1);

    fn setup() -> (Poll, Events, Timer) {
        let poll = Poll::new().unwrap();
        let events = Events::with_capacity(16);
        let mut timer = Timer::new().unwrap();
        poll.registry()
            .register(&mut timer, TIMER, Interest::READABLE)
            .unwrap();
        (poll, events, timer)
    }

    fn assert_would_block(timer: &Timer, context: &str) {
        match timer.read() {
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            other => panic!("{}: expected WouldBlock, got {:?}", context, other),
        }
    }

    /// Polls until the timer reports and `read` gives expirations (skipping
    /// spurious events); returns them.
    fn wait_expirations(poll: &mut Poll, events: &mut Events, timer: &Timer) -> u64 {
        let deadline = Instant::now() + WAIT;
        loop {
            assert!(Instant::now() < deadline, "the timer did not fire");
            expect_token(poll, events, TIMER);
            match timer.read() {
                Ok(n) => return n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                Err(e) => panic!("read: {}", e),
            }
        }
    }

    #[test]
    fn a_timeout_fires_once_and_never_early() {
        let (mut poll, mut events, timer) = setup();
        assert_would_block(&timer, "disarmed");
        let start = Instant::now();
        timer.set_timeout(60 * MS).unwrap();
        assert_would_block(&timer, "just armed");
        let seen = expect_token(&mut poll, &mut events, TIMER);
        assert!(seen.readable, "{:?}", seen);
        assert!(
            start.elapsed() >= 60 * MS,
            "fired after {:?}",
            start.elapsed()
        );
        assert_eq!(timer.read().unwrap(), 1);
        assert_would_block(&timer, "after the read");
        expect_no_event_for(&mut poll, &mut events, TIMER, "a one-shot fires once");
        assert_would_block(&timer, "still nothing");
    }

    #[test]
    fn a_zero_timeout_fires_at_once() {
        let (mut poll, mut events, timer) = setup();
        timer.set_timeout(Duration::ZERO).unwrap();
        assert_eq!(wait_expirations(&mut poll, &mut events, &timer), 1);
        assert_would_block(&timer, "after the read");
    }

    #[test]
    fn the_first_expiry_of_an_interval_is_one_period_away() {
        let (mut poll, mut events, timer) = setup();
        let start = Instant::now();
        timer.set_interval(80 * MS).unwrap();
        let n = wait_expirations(&mut poll, &mut events, &timer);
        assert!(n >= 1);
        assert!(
            start.elapsed() >= 80 * MS * n as u32,
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn intervals_count_every_expiration_and_never_early() {
        let (mut poll, mut events, timer) = setup();
        let period = 15 * MS;
        let start = Instant::now();
        timer.set_interval(period).unwrap();
        let mut total = 0;
        let mut reads = 0;
        while total < 8 {
            total += wait_expirations(&mut poll, &mut events, &timer);
            reads += 1;
            // The n-th expiry is due n periods after arming.
            assert!(
                start.elapsed() >= period * total as u32,
                "{} expirations after {:?}",
                total,
                start.elapsed()
            );
        }
        assert!(reads >= 1);
        timer.cancel().unwrap();
    }

    #[test]
    fn a_late_read_counts_every_period_that_ended() {
        let (_poll, _events, timer) = setup();
        let period = 10 * MS;
        let before = Instant::now();
        timer.set_interval(period).unwrap();
        let armed = Instant::now();
        // Let at least six periods end without reading.
        thread::sleep((armed + 6 * period + 2 * MS).saturating_duration_since(Instant::now()));
        let n = timer.read().unwrap();
        let elapsed = before.elapsed();
        assert!(n >= 5, "only {} expirations after six periods", n);
        // Never early: no more expirations than periods that ended.
        assert!(
            u128::from(n) <= elapsed.as_nanos() / period.as_nanos(),
            "{} expirations within {:?}",
            n,
            elapsed
        );
        assert_would_block(&timer, "everything was taken");
    }

    #[test]
    fn a_first_expiry_and_a_different_interval() {
        let (mut poll, mut events, timer) = setup();
        let start = Instant::now();
        timer.set(5 * MS, Some(40 * MS)).unwrap();
        let mut total = wait_expirations(&mut poll, &mut events, &timer);
        assert!(start.elapsed() >= 5 * MS);
        while total < 3 {
            total += wait_expirations(&mut poll, &mut events, &timer);
        }
        // The third expiry is due at 5 + 2 * 40 ms.
        assert!(start.elapsed() >= 85 * MS, "{:?}", start.elapsed());
    }

    #[test]
    fn cancel_stops_the_timer_and_it_can_be_armed_again() {
        let (mut poll, mut events, timer) = setup();
        timer.set_timeout(30 * MS).unwrap();
        timer.cancel().unwrap();
        let quiet_until = Instant::now() + 120 * MS;
        while Instant::now() < quiet_until {
            let seen = poll_once(&mut poll, &mut events, Some(quiet_until - Instant::now()));
            // A spurious event is allowed; an expiry is not.
            if !seen.is_empty() {
                assert_would_block(&timer, "cancelled");
            }
        }
        assert_would_block(&timer, "cancelled");

        // Periodic, cancelled after its first expiry: nothing more.
        timer.set_interval(10 * MS).unwrap();
        assert!(wait_expirations(&mut poll, &mut events, &timer) >= 1);
        timer.cancel().unwrap();
        assert_would_block(&timer, "cancelled interval");
        expect_no_event_for(&mut poll, &mut events, TIMER, "cancelled interval");

        let start = Instant::now();
        timer.set_timeout(20 * MS).unwrap();
        assert_eq!(wait_expirations(&mut poll, &mut events, &timer), 1);
        assert!(start.elapsed() >= 20 * MS);
    }

    #[test]
    fn arming_again_without_reading_reports_the_new_expiry() {
        let (mut poll, mut events, timer) = setup();
        timer.set_timeout(Duration::ZERO).unwrap();
        expect_token(&mut poll, &mut events, TIMER);
        // The event was not followed by a read: arming discards it and
        // still reports the next expiry (the poll(2) backend re-arms).
        let start = Instant::now();
        timer.set_timeout(30 * MS).unwrap();
        assert_eq!(wait_expirations(&mut poll, &mut events, &timer), 1);
        assert!(start.elapsed() >= 30 * MS);
    }

    #[test]
    fn arming_again_moves_the_deadline() {
        let (mut poll, mut events, timer) = setup();
        timer.set_timeout(20 * MS).unwrap();
        let start = Instant::now();
        timer.set_timeout(150 * MS).unwrap();
        assert_eq!(wait_expirations(&mut poll, &mut events, &timer), 1);
        assert!(start.elapsed() >= 150 * MS, "{:?}", start.elapsed());
    }

    #[test]
    fn zero_intervals_are_refused() {
        let timer = Timer::new().unwrap();
        for result in [
            timer.set_interval(Duration::ZERO),
            timer.set(MS, Some(Duration::ZERO)),
        ] {
            assert_eq!(result.unwrap_err().kind(), ErrorKind::InvalidInput);
        }
        // Refusing leaves the timer as it was: disarmed.
        assert_would_block(&timer, "after refusals");
        // Huge durations are fine; they just never come.
        timer.set(Duration::MAX, Some(Duration::MAX)).unwrap();
        assert_would_block(&timer, "far future");
    }

    #[test]
    fn reregister_and_deregister() {
        let (mut poll, mut events, mut timer) = setup();
        poll.registry()
            .reregister(&mut timer, Token(9), Interest::READABLE)
            .unwrap();
        timer.set_timeout(Duration::ZERO).unwrap();
        expect_token(&mut poll, &mut events, Token(9));
        assert_eq!(timer.read().unwrap(), 1);

        poll.registry().deregister(&mut timer).unwrap();
        timer.set_timeout(Duration::ZERO).unwrap();
        expect_no_event_for(&mut poll, &mut events, Token(9), "deregistered");
        // It still counts.
        assert_eq!(timer.read().unwrap(), 1);
        poll.registry()
            .register(&mut timer, TIMER, Interest::READABLE)
            .unwrap();
        timer.set_timeout(Duration::ZERO).unwrap();
        assert_eq!(wait_expirations(&mut poll, &mut events, &timer), 1);
    }

    #[test]
    fn registration_rules() {
        let (poll, _events, mut timer) = setup();
        let err = poll
            .registry()
            .register(&mut timer, TIMER, Interest::READABLE)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        poll.registry().deregister(&mut timer).unwrap();
        let err = poll.registry().deregister(&mut timer).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = poll
            .registry()
            .reregister(&mut timer, TIMER, Interest::READABLE)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn a_due_timer_registered_late_is_reported() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let mut timer = Timer::new().unwrap();
        timer.set_timeout(Duration::ZERO).unwrap();
        thread::sleep(5 * MS);
        poll.registry()
            .register(&mut timer, TIMER, Interest::READABLE)
            .unwrap();
        assert_eq!(wait_expirations(&mut poll, &mut events, &timer), 1);
    }

    #[test]
    fn dropping_the_poll_or_the_timer_with_events_on_their_way() {
        let (poll, _events, timer) = setup();
        timer.set_timeout(Duration::ZERO).unwrap();
        thread::sleep(5 * MS);
        drop(poll);
        // The timer still counts without its `Poll`.
        assert_eq!(timer.read().unwrap(), 1);
        timer.set_interval(MS).unwrap();
        thread::sleep(5 * MS);
        drop(timer);

        let (mut poll, mut events, timer) = setup();
        timer.set_interval(MS).unwrap();
        thread::sleep(5 * MS);
        drop(timer);
        expect_no_event_for(&mut poll, &mut events, TIMER, "timer dropped");
    }

    #[test]
    fn many_timers_each_fire_once_at_their_time() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let start = Instant::now();
        let mut timers: Vec<(Timer, Duration, bool)> = (0..20)
            .map(|i| {
                let mut timer = Timer::new().unwrap();
                poll.registry()
                    .register(&mut timer, Token(i), Interest::READABLE)
                    .unwrap();
                let after = MS * (5 * (i as u32 % 7));
                timer.set_timeout(after).unwrap();
                (timer, after, false)
            })
            .collect();
        let deadline = Instant::now() + WAIT;
        while timers.iter().any(|(_, _, fired)| !fired) {
            assert!(Instant::now() < deadline, "not every timer fired");
            for seen in poll_once(&mut poll, &mut events, Some(WAIT)) {
                let (timer, after, fired) = &mut timers[seen.token.0];
                match timer.read() {
                    Ok(n) => {
                        assert_eq!(n, 1);
                        assert!(!*fired, "fired twice");
                        assert!(start.elapsed() >= *after);
                        *fired = true;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => panic!("read: {}", e),
                }
            }
        }
    }

    #[test]
    fn a_timer_is_used_from_another_thread() {
        let (mut poll, mut events, timer) = setup();
        let timer = std::sync::Arc::new(timer);
        let theirs = std::sync::Arc::clone(&timer);
        thread::spawn(move || theirs.set_timeout(10 * MS).unwrap())
            .join()
            .unwrap();
        assert_eq!(wait_expirations(&mut poll, &mut events, &timer), 1);
        assert!(format!("{:?}", timer).starts_with("Timer"));
    }
}

#[cfg(not(any(unix, windows)))]
#[test]
fn timers_are_unsupported_here() {
    let err = mio::timer::Timer::new().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
}
