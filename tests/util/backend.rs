//! Which selector this build of the suite runs on: the one place the tests
//! ask "is this kqueue?" (or epoll, or poll(2)), instead of lists of
//! operating systems in each file.
//!
//! Tests that cannot pass over libkqueue, the kqueue emulation the suite
//! runs on Linux (`--cfg mio_unsupported_force_kqueue`, scripts/kqueue.sh),
//! are skipped under that cfg alone, with
//! `#[cfg_attr(mio_unsupported_force_kqueue, ignore = "libkqueue: ...")]`
//! naming the libkqueue behaviour; a real kqueue runs them.

#![allow(dead_code)]

/// A readiness backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Epoll,
    /// A kernel kqueue, or libkqueue on Linux (see [`LIBKQUEUE`]).
    Kqueue,
    Poll,
    Windows,
    /// WASI preview 1's `poll_oneoff`.
    WasiP1,
}

/// The backend this test build runs on.
pub const BACKEND: Backend = if cfg!(windows) {
    Backend::Windows
} else if cfg!(all(target_os = "wasi", target_env = "p1")) {
    Backend::WasiP1
} else if cfg!(mio_unsupported_force_poll_poll) {
    Backend::Poll
} else if cfg!(any(
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "ios",
    target_os = "macos",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "tvos",
    target_os = "visionos",
    target_os = "watchos",
    mio_unsupported_force_kqueue,
)) {
    Backend::Kqueue
} else if cfg!(any(target_os = "linux", target_os = "android")) {
    Backend::Epoll
} else {
    Backend::Poll
};

/// True on the kqueue backend, kernel or emulated.
pub const KQUEUE: bool = matches!(BACKEND, Backend::Kqueue);

/// True when the kqueue backend is libkqueue on Linux rather than a kernel.
pub const LIBKQUEUE: bool = KQUEUE && cfg!(mio_unsupported_force_kqueue);

/// True where a source's readable and writable sides are separate kernel
/// filters (kqueue), so one change of state can come as two events with the
/// same token: one for the read side, one for the write side.
pub const SPLIT_EVENTS: bool = KQUEUE;

/// Wraps items (tests) that hold on every backend but kqueue, kernel or
/// emulated: where kqueue's documented semantics differ (it updates a
/// descriptor registered twice, accepts regular files, ...). Used as
/// `crate::not_on_kqueue! { #[test] fn ... }`.
#[macro_export]
macro_rules! not_on_kqueue {
    ($($item:item)*) => {
        $(
            #[cfg(not(all(
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
                    mio_unsupported_force_kqueue,
                ),
                not(mio_unsupported_force_poll_poll)
            )))]
            $item
        )*
    };
}
