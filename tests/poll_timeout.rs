//! `Poll::poll` timeouts: never shorter than asked, sub-millisecond ones
//! honoured (not rounded to zero), and on epoll with `epoll_pwait2` (Linux
//! 5.11+) not rounded up to a whole millisecond either.

#![cfg(all(feature = "os-poll", unix))]

mod util;

use std::time::{Duration, Instant};

use mio::{Events, Poll};

/// The shortest of `tries` empty polls of `timeout`, each checked to have
/// lasted at least `timeout`.
fn shortest_poll(timeout: Duration, tries: usize) -> Duration {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let mut shortest = Duration::MAX;
    for _ in 0..tries {
        let start = Instant::now();
        util::poll_retry(&mut poll, &mut events, Some(timeout)).unwrap();
        let took = start.elapsed();
        assert!(events.is_empty());
        assert!(
            took >= timeout,
            "a {:?} poll returned after {:?}",
            timeout,
            took
        );
        shortest = shortest.min(took);
    }
    shortest
}

#[test]
fn sub_millisecond_timeouts_are_waited_for() {
    for micros in [1, 50, 200, 999] {
        shortest_poll(Duration::from_micros(micros), 5);
    }
    shortest_poll(Duration::from_nanos(1), 5);
}

#[test]
fn zero_timeout_does_not_block() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let start = Instant::now();
    for _ in 0..100 {
        poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
    }
    // 100 non-blocking polls; a generous bound for a loaded machine.
    assert!(start.elapsed() < Duration::from_secs(5));
}

/// Whether this kernel has `epoll_pwait2` (Linux 5.11 and later).
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    target_pointer_width = "64",
    not(mio_unsupported_force_poll_poll),
    not(mio_unsupported_force_kqueue)
))]
fn kernel_has_epoll_pwait2() -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut parts = release.trim().split(|c: char| !c.is_ascii_digit());
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) >= (5, 11)
}

#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    target_pointer_width = "64",
    not(mio_unsupported_force_poll_poll),
    not(mio_unsupported_force_kqueue)
))]
#[test]
fn epoll_waits_less_than_a_millisecond_for_200_microseconds() {
    if !kernel_has_epoll_pwait2() {
        eprintln!("skipped: kernel without epoll_pwait2");
        return;
    }
    // The best of 20 on a busy machine: robust against preemption, still
    // far below the 1 ms that rounding up to milliseconds would give.
    let shortest = shortest_poll(Duration::from_micros(200), 20);
    assert!(
        shortest < Duration::from_millis(1),
        "shortest 200 µs poll took {:?}",
        shortest
    );
}
