//! Everything that talks to the operating system.
//!
//! Exactly one platform module is compiled in and re-exported here; all of
//! them offer the same names (`Selector`, `Waker`, `IoSourceState`,
//! `RawEvent`, the `event` accessors, ...), so the portable code above never
//! needs a `cfg`. This is also the only place with `unsafe` code.

cfg_os_poll! {
    // WASI preview 2 (and later) has poll(2) and BSD sockets in wasi-libc:
    // it takes the Unix path, with the poll(2) selector. See
    // `unix/selector/poll.rs` and `unix/waker/flag.rs` for what differs.
    #[cfg(any(unix, all(target_os = "wasi", not(target_env = "p1"))))]
    mod unix;
    #[cfg(any(unix, all(target_os = "wasi", not(target_env = "p1"))))]
    pub(crate) use self::unix::*;

    // WASI preview 1: `poll_oneoff`, no socket creation.
    #[cfg(all(target_os = "wasi", target_env = "p1"))]
    mod wasi;
    #[cfg(all(target_os = "wasi", target_env = "p1"))]
    pub(crate) use self::wasi::*;

    #[cfg(windows)]
    mod windows;
    #[cfg(windows)]
    pub(crate) use self::windows::*;
}

cfg_os_poll! {
    // Coalesced wakes: a flag per `Waker` that its selector clears after
    // every wait. Wired into the epoll, kqueue, poll(2) and Windows
    // selectors (not WASI preview 1's nor event ports', whose wakers keep
    // their own state); see the module docs for what a selector needs to
    // use it. Checked for dead code where every part of it is used.
    #[cfg_attr(
        not(any(
            windows,
            all(
                any(target_os = "linux", target_os = "android"),
                not(mio_unsupported_force_poll_poll),
                not(mio_unsupported_force_kqueue)
            )
        )),
        allow(dead_code)
    )]
    pub(crate) mod wake_flag;
}

cfg_not_os_poll! {
    mod shell;
    pub(crate) use self::shell::*;
}

// A TCP stream's or UDP socket's pending error (`SO_ERROR`). WASI preview
// 2 needs its own: see `unix/tcp.rs`. Everywhere else it is the standard
// library's.
cfg_net! {
    #[cfg(all(feature = "os-poll", target_os = "wasi", not(target_env = "p1")))]
    pub(crate) use self::unix::tcp::take_error as tcp_take_error;

    #[cfg(not(all(feature = "os-poll", target_os = "wasi", not(target_env = "p1"))))]
    pub(crate) fn tcp_take_error(
        stream: &std::net::TcpStream,
    ) -> std::io::Result<Option<std::io::Error>> {
        stream.take_error()
    }

    #[cfg(all(feature = "os-poll", target_os = "wasi", not(target_env = "p1")))]
    pub(crate) use self::unix::udp::take_error as udp_take_error;

    #[cfg(not(all(feature = "os-poll", target_os = "wasi", not(target_env = "p1"))))]
    pub(crate) fn udp_take_error(
        socket: &std::net::UdpSocket,
    ) -> std::io::Result<Option<std::io::Error>> {
        socket.take_error()
    }
}

mod event_buf;
pub(crate) mod registration;
pub use self::event_buf::Event;
pub(crate) use self::event_buf::EventBuf;
