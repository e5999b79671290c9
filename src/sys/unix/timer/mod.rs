//! The OS side of `mio::timer::Timer`: a descriptor that becomes readable
//! when the timer expires and, read, gives the number of expirations since
//! the last read. The portable face wraps it in an `IoSource`, so it works
//! with every selector, the poll(2) one included.
//!
//! * Linux, Android (`timerfd.rs`): a timerfd on `CLOCK_MONOTONIC`; the
//!   kernel keeps the schedule and counts the expirations.
//! * kqueue systems (`kqueue.rs`): a private kqueue holding one one-shot
//!   `EVFILT_TIMER`; its descriptor is what gets registered.
//! * every other Unix (`thread.rs`): a helper thread per timer writes to a
//!   pipe when a deadline passes.
//!
//! The last two count expirations themselves from the monotonic clock
//! (`schedule.rs`); their kernel timer, or thread, only wakes the poller.
//!
//! Every flavour has the same interface: `new`, `set(first, interval)`,
//! `cancel`, `read` (one non-blocking read: the expirations, or
//! `WouldBlock`), `Debug` and `AsRawFd` (the descriptor to poll).

#[cfg(any(target_os = "linux", target_os = "android"))]
mod timerfd;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) use self::timerfd::Timer;

#[cfg(any(
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "ios",
    target_os = "macos",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "tvos",
    target_os = "visionos",
    target_os = "watchos",
))]
mod kqueue;
#[cfg(any(
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "ios",
    target_os = "macos",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "tvos",
    target_os = "visionos",
    target_os = "watchos",
))]
pub(crate) use self::kqueue::Timer;

// The fallback. Its unit tests run on every host, Linux included.
#[cfg(any(
    test,
    not(any(
        target_os = "android",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "ios",
        target_os = "linux",
        target_os = "macos",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
    ))
))]
#[cfg_attr(
    any(target_os = "linux", target_os = "android"),
    allow(dead_code, unreachable_pub)
)]
mod thread;
#[cfg(not(any(
    target_os = "android",
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "ios",
    target_os = "linux",
    target_os = "macos",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "tvos",
    target_os = "visionos",
    target_os = "watchos",
)))]
pub(crate) use self::thread::Timer;

// Plain arithmetic, used wherever the timer is not a timerfd; unit-tested on
// every host.
#[cfg(any(test, not(any(target_os = "linux", target_os = "android"))))]
#[cfg_attr(any(target_os = "linux", target_os = "android"), allow(dead_code))]
mod schedule;

// The `EVFILT_TIMER` change arithmetic; unit-tested on every host.
#[cfg(any(
    test,
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "ios",
    target_os = "macos",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "tvos",
    target_os = "visionos",
    target_os = "watchos",
))]
#[cfg_attr(
    not(any(
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "ios",
        target_os = "macos",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
    )),
    allow(dead_code)
)]
mod kqueue_args;
