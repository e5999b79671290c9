//! Unix backends; also WASI preview 2, whose wasi-libc offers poll(2) and
//! BSD sockets (see `selector/poll.rs` and `waker/flag.rs`).

/// Calls a `libc` function that reports failure as `-1` plus `errno`, and
/// turns that into an `io::Error` carrying the OS error. The expansion is an
/// `unsafe` call: every use site states why its arguments are valid.
macro_rules! syscall {
    // A function of another module than `libc`: the kevent items of
    // `kqueue_sys`.
    ($module: ident :: $fn: ident ( $($arg: expr),* $(,)? ) ) => {{
        #[allow(unused_unsafe)]
        let res = unsafe { $module::$fn($($arg, )*) };
        if res == -1 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(res)
        }
    }};
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

// Which selector a target gets is said once, by the `cfg_*_selector!`
// macros in `macros.rs`.
mod selector;
pub(crate) use self::selector::{event, RawEvent, Selector};

// The kevent(2) items of the kqueue backend: `libc`'s on the systems that
// have kqueue, and on Linux under `--cfg mio_unsupported_force_kqueue` those
// of libkqueue, which `libc` does not bind there.
cfg_kqueue_selector! {
    #[cfg(not(target_os = "linux"))]
    use libc as kqueue_sys;
    #[cfg(target_os = "linux")]
    mod kqueue_ffi;
    #[cfg(target_os = "linux")]
    use self::kqueue_ffi as kqueue_sys;
}

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
    // Event ports re-associate each descriptor as `select` reports it: see
    // `selector/event_ports.rs`.
    cfg_event_ports_selector! {
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
