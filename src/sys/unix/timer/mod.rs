//! The OS side of `mio::timer::Timer`.
//!
//! * Linux, Android (`timerfd.rs`): a timerfd on `CLOCK_MONOTONIC`; the
//!   kernel keeps the schedule and counts the expirations. The face wraps
//!   it in an `IoSource`, like a socket.
//! * the kqueue selector (`kqueue.rs`): an `EVFILT_TIMER` in the `Poll`'s
//!   own kqueue, added when the timer is registered; no descriptor at all.
//!   The face hands it the selector, as on Windows.
//! * every other Unix (`thread.rs`), and kqueue systems under the forced
//!   poll(2) selector: a helper thread per timer writes to a pipe when a
//!   deadline passes; the face wraps the pipe in an `IoSource`.
//!
//! The last two count expirations themselves from the monotonic clock
//! (`schedule.rs`); their kernel timer, or thread, only wakes the poller.
//!
//! Every flavour has `new`, `set(first, interval)`, `cancel`, `read` (one
//! non-blocking read: the expirations, or `WouldBlock`) and `Debug`. The
//! descriptor flavours are `AsRawFd`; the kqueue one has `register`,
//! `reregister` and `deregister` instead.

#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(all(mio_unsupported_force_kqueue, not(mio_unsupported_force_poll_poll)))
))]
mod timerfd;
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(all(mio_unsupported_force_kqueue, not(mio_unsupported_force_poll_poll)))
))]
pub(crate) use self::timerfd::Timer;

cfg_kqueue_selector! {
    mod kqueue;
    pub(crate) use self::kqueue::Timer;
}

// The fallback. Its unit tests run on every host, Linux included.
#[cfg(any(
    test,
    not(any(
        target_os = "android",
        target_os = "linux",
        all(
            any(
                target_os = "dragonfly",
                target_os = "freebsd",
                target_os = "ios",
                target_os = "macos",
                target_os = "netbsd",
                target_os = "openbsd",
                target_os = "tvos",
                target_os = "visionos",
                target_os = "watchos",
            ),
            not(mio_unsupported_force_poll_poll)
        ),
    ))
))]
#[cfg_attr(
    any(target_os = "linux", target_os = "android"),
    allow(dead_code, unreachable_pub)
)]
mod thread;
#[cfg(not(any(
    target_os = "android",
    target_os = "linux",
    all(
        any(
            target_os = "dragonfly",
            target_os = "freebsd",
            target_os = "ios",
            target_os = "macos",
            target_os = "netbsd",
            target_os = "openbsd",
            target_os = "tvos",
            target_os = "visionos",
            target_os = "watchos",
        ),
        not(mio_unsupported_force_poll_poll)
    ),
)))]
pub(crate) use self::thread::Timer;

// Plain arithmetic, used wherever the timer is not a timerfd; unit-tested on
// every host.
#[cfg(any(
    test,
    not(all(
        any(target_os = "linux", target_os = "android"),
        not(all(mio_unsupported_force_kqueue, not(mio_unsupported_force_poll_poll)))
    ))
))]
#[cfg_attr(
    all(
        any(target_os = "linux", target_os = "android"),
        not(all(mio_unsupported_force_kqueue, not(mio_unsupported_force_poll_poll)))
    ),
    allow(dead_code)
)]
mod schedule;

// The `EVFILT_TIMER` change arithmetic; unit-tested on every host.
#[cfg(test)]
#[allow(dead_code)]
mod kqueue_args;
cfg_kqueue_selector! {
    #[cfg(not(test))]
    mod kqueue_args;
}
