//! `Waker` backends: eventfd where the OS has it, kqueue's `EVFILT_USER`
//! where the kqueue selector runs on a system that has that filter, event
//! ports' user events with the Solaris selector, a self-pipe otherwise or
//! when `--cfg mio_unsupported_force_waker_pipe` asks for it; on WASI
//! (preview 2) a flag in the poll(2) selector.
//!
//! On Linux, `--cfg mio_unsupported_force_kqueue` (the kqueue selector over
//! libkqueue) takes the `EVFILT_USER` waker too, as a kqueue system would.

// The wake flag the eventfd, pipe and kqueue `Waker`s coalesce their wakes
// with. WASI's flag waker and the event ports' waker keep their own.
#[cfg(not(all(target_os = "solaris", not(mio_unsupported_force_poll_poll))))]
#[cfg_attr(target_os = "wasi", allow(dead_code))]
mod coalesce;

#[cfg(all(
    any(target_os = "linux", target_os = "android", target_os = "illumos"),
    not(mio_unsupported_force_waker_pipe),
    not(all(mio_unsupported_force_kqueue, not(mio_unsupported_force_poll_poll)))
))]
mod eventfd;
#[cfg(all(
    any(target_os = "linux", target_os = "android", target_os = "illumos"),
    not(mio_unsupported_force_waker_pipe),
    not(all(mio_unsupported_force_kqueue, not(mio_unsupported_force_poll_poll)))
))]
pub(crate) use self::eventfd::Waker;

// Needs the kqueue selector, so not with the forced poll(2) backend.
#[cfg(all(
    any(
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "ios",
        target_os = "macos",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
        all(target_os = "linux", mio_unsupported_force_kqueue),
    ),
    not(mio_unsupported_force_waker_pipe),
    not(mio_unsupported_force_poll_poll)
))]
mod kqueue;
#[cfg(all(
    any(
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "ios",
        target_os = "macos",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
        all(target_os = "linux", mio_unsupported_force_kqueue),
    ),
    not(mio_unsupported_force_waker_pipe),
    not(mio_unsupported_force_poll_poll)
))]
pub(crate) use self::kqueue::Waker;

// Solaris: always, since a pipe would not work there. The event ports
// selector associates a descriptor again after each event, so a pipe that
// nothing drains would be reported by every poll.
cfg_event_ports_selector! {
    mod event_ports;
    pub(crate) use self::event_ports::Waker;
}

// WASI (preview 2): no descriptor to wake with, and only one thread.
#[cfg(target_os = "wasi")]
mod flag;
#[cfg(target_os = "wasi")]
pub(crate) use self::flag::Waker;

// Everywhere else none of the above is compiled: other systems, and any
// system under `mio_unsupported_force_waker_pipe`.
#[cfg(not(any(
    target_os = "wasi",
    all(target_os = "solaris", not(mio_unsupported_force_poll_poll)),
    all(
        any(target_os = "linux", target_os = "android", target_os = "illumos"),
        not(mio_unsupported_force_waker_pipe)
    ),
    all(
        any(
            target_os = "dragonfly",
            target_os = "freebsd",
            target_os = "ios",
            target_os = "macos",
            target_os = "tvos",
            target_os = "visionos",
            target_os = "watchos",
        ),
        not(mio_unsupported_force_waker_pipe),
        not(mio_unsupported_force_poll_poll)
    )
)))]
mod pipe;
#[cfg(not(any(
    target_os = "wasi",
    all(target_os = "solaris", not(mio_unsupported_force_poll_poll)),
    all(
        any(target_os = "linux", target_os = "android", target_os = "illumos"),
        not(mio_unsupported_force_waker_pipe)
    ),
    all(
        any(
            target_os = "dragonfly",
            target_os = "freebsd",
            target_os = "ios",
            target_os = "macos",
            target_os = "tvos",
            target_os = "visionos",
            target_os = "watchos",
        ),
        not(mio_unsupported_force_waker_pipe),
        not(mio_unsupported_force_poll_poll)
    )
)))]
pub(crate) use self::pipe::Waker;
