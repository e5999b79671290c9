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

/// Items for the epoll selector: Linux and Android, unless poll(2) is forced.
/// The three `cfg_*_selector!` macros are the one place that says which
/// selector a target gets; exactly one of them compiles its items.
macro_rules! cfg_epoll_selector {
    ($($item:item)*) => {
        $(
            #[cfg(all(
                any(target_os = "linux", target_os = "android"),
                not(mio_unsupported_force_poll_poll),
                not(mio_unsupported_force_kqueue)
            ))]
            $item
        )*
    };
}

/// Items for the kqueue selector: Apple systems and the BSDs, unless poll(2)
/// is forced; also Linux under `--cfg mio_unsupported_force_kqueue`, which
/// runs this selector over libkqueue (an emulation, for testing).
macro_rules! cfg_kqueue_selector {
    ($($item:item)*) => {
        $(
            #[cfg(all(
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
                    all(target_os = "linux", mio_unsupported_force_kqueue),
                ),
                not(mio_unsupported_force_poll_poll)
            ))]
            $item
        )*
    };
}

/// Items for the poll(2) selector: wherever neither epoll nor kqueue is
/// compiled, and when `--cfg mio_unsupported_force_poll_poll` asks for it.
macro_rules! cfg_poll_selector {
    ($($item:item)*) => {
        $(
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
            $item
        )*
    };
}

mod selector;
pub(crate) use self::selector::{event, RawEvent, Selector};

mod waker;
pub(crate) use self::waker::Waker;

// Kernels with native edge triggering need no per-source state; the
// poll(2) selector re-arms a source when its I/O hits `WouldBlock`.
cfg_io_source! {
    cfg_epoll_selector! {
        mod io_source;
        pub(crate) use self::io_source::IoSourceState;
    }
    cfg_kqueue_selector! {
        mod io_source;
        pub(crate) use self::io_source::IoSourceState;
    }
    cfg_poll_selector! {
        mod io_source_poll;
        pub(crate) use self::io_source_poll::IoSourceState;
    }
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

// Under `--cfg loom` the channel's models stand a flag in for it.
#[cfg(all(unix, not(loom)))]
cfg_channel! {
    mod notify;
    pub(crate) use self::notify::{notify_pair, NotifyReceiver, NotifySender};
}
