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

/// Whether the kernel (or the emulator: qemu-user may not know the call)
/// has `epoll_pwait2` (Linux 5.11 and later): asked with an invalid
/// descriptor, it answers `EBADF` if it exists, `ENOSYS` if not.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn kernel_has_epoll_pwait2() -> bool {
    // SAFETY: the call reads nothing through its null pointers: it fails
    // on the descriptor (-1) or as unknown before looking at them.
    let res = unsafe {
        libc::syscall(
            libc::SYS_epoll_pwait2,
            -1,
            std::ptr::null_mut::<libc::epoll_event>(),
            1,
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<libc::sigset_t>(),
            0usize,
        )
    };
    res == -1 && std::io::Error::last_os_error().raw_os_error() != Some(libc::ENOSYS)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn kernel_has_epoll_pwait2() -> bool {
    false
}

/// Whether this backend waits with a finer unit than the millisecond:
/// epoll through `epoll_pwait2` (64-bit Linux 5.11+), poll(2) through
/// `ppoll` where libc has it, a kernel kqueue through its timespec.
/// libkqueue hands epoll_wait whole milliseconds.
fn precise_timeouts() -> bool {
    use util::backend::{Backend, BACKEND, LIBKQUEUE};
    match BACKEND {
        Backend::Epoll => cfg!(target_pointer_width = "64") && kernel_has_epoll_pwait2(),
        Backend::Poll => cfg!(any(
            target_os = "android",
            target_os = "dragonfly",
            target_os = "freebsd",
            target_os = "linux",
            target_os = "netbsd",
        )),
        Backend::Kqueue => !LIBKQUEUE,
        _ => false,
    }
}

/// A 200 µs timeout waits at least 200 µs and, where the backend takes
/// timeouts finer than a millisecond, not a whole millisecond.
#[test]
fn a_200_microsecond_poll_is_not_rounded_to_a_millisecond() {
    // The best of 20 on a busy machine: robust against preemption, still
    // far below the 1 ms that rounding up to milliseconds would give.
    let shortest = shortest_poll(Duration::from_micros(200), 20);
    if !precise_timeouts() {
        eprintln!("millisecond timeouts on this backend: shortest {shortest:?}");
        return;
    }
    assert!(
        shortest < Duration::from_millis(1),
        "shortest 200 µs poll took {:?}",
        shortest
    );
}
