//! Unix backends; also WASI preview 2, whose wasi-libc offers poll(2) and
//! BSD sockets (see `selector/poll.rs` and `waker/flag.rs`).

/// Calls a `libc` function that reports failure as `-1` plus `errno`, and
/// turns that into an `io::Error` carrying the OS error. The expansion is an
/// `unsafe` call: every use site states why its arguments are valid.
macro_rules! syscall {
    ($fn: ident ( $($arg: expr),* $(,)? ) ) => {{
        #[allow(unused_unsafe)]
        let res = unsafe { libc::$fn($($arg, )*) };
        if res == -1 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(res)
        }
    }};
}

mod selector;
pub(crate) use self::selector::{event, RawEvent, Selector};

mod waker;
pub(crate) use self::waker::Waker;

// Kernels with native edge triggering need no per-source state; the
// poll(2) selector re-arms a source when its I/O hits `WouldBlock`.
cfg_io_source! {
    #[cfg(not(any(
        mio_unsupported_force_poll_poll,
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
    )))]
    mod io_source;
    #[cfg(not(any(
        mio_unsupported_force_poll_poll,
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
    )))]
    pub(crate) use self::io_source::IoSourceState;

    #[cfg(any(
        mio_unsupported_force_poll_poll,
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
    mod io_source_poll;
    #[cfg(any(
        mio_unsupported_force_poll_poll,
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
    pub(crate) use self::io_source_poll::IoSourceState;
}

mod fd;
#[cfg(unix)]
#[allow(unused_imports)]
pub(crate) use self::fd::new_pipe;
#[allow(unused_imports)]
pub(crate) use self::fd::set_nonblocking;

cfg_net! {
    mod net;
    pub(crate) mod tcp;
    pub(crate) mod udp;
    // WASI has no Unix-domain sockets.
    #[cfg(unix)]
    pub(crate) mod uds;
}

// The rest is Unix only: WASI (preview 2, which also compiles this folder)
// has no pipes, eventfd, timerfd, signals or threads to build them on, and
// `lib.rs` compiles their public modules out there.
#[cfg(unix)]
cfg_timer! {
    mod timer;
    pub(crate) use self::timer::Timer;
}

#[cfg(unix)]
cfg_signal! {
    pub(crate) mod signal;
}

#[cfg(unix)]
cfg_channel! {
    mod notify;
    pub(crate) use self::notify::{notify_pair, NotifyReceiver, NotifySender};
}
