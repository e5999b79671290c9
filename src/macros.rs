//! `cfg` helpers. Each wraps a list of items in one feature gate and, on
//! docs.rs, tags them with the feature that enables them.

/// Items that need the OS poller (`os-poll`).
macro_rules! cfg_os_poll {
    ($($item:item)*) => {
        $(
            #[cfg(feature = "os-poll")]
            #[cfg_attr(docsrs, doc(cfg(feature = "os-poll")))]
            $item
        )*
    };
}

/// Items used only when the OS poller is compiled out.
macro_rules! cfg_not_os_poll {
    ($($item:item)*) => {
        $(
            #[cfg(not(feature = "os-poll"))]
            $item
        )*
    };
}

/// OS extensions (`os-ext`).
#[allow(unused_macros)] // unused on WASI
macro_rules! cfg_os_ext {
    ($($item:item)*) => {
        $(
            #[cfg(feature = "os-ext")]
            #[cfg_attr(docsrs, doc(cfg(feature = "os-ext")))]
            $item
        )*
    };
}

/// Networking types (`net`).
macro_rules! cfg_net {
    ($($item:item)*) => {
        $(
            #[cfg(feature = "net")]
            #[cfg_attr(docsrs, doc(cfg(feature = "net")))]
            $item
        )*
    };
}

/// Internals shared by every type built on `IoSource` (sockets, pipes, and
/// on Unix the timer, signal and channel sources).
macro_rules! cfg_io_source {
    ($($item:item)*) => {
        $(
            #[cfg(any(
                feature = "net",
                all(
                    unix,
                    any(
                        feature = "os-ext",
                        feature = "timer",
                        feature = "signal",
                        feature = "channel"
                    )
                )
            ))]
            $item
        )*
    };
}

/// Timers (`timer`).
#[allow(unused_macros)] // unused on WASI
macro_rules! cfg_timer {
    ($($item:item)*) => {
        $(
            #[cfg(feature = "timer")]
            #[cfg_attr(docsrs, doc(cfg(feature = "timer")))]
            $item
        )*
    };
}

/// Unix signals (`signal`).
#[allow(unused_macros)] // invoked under `#[cfg(unix)]` only
macro_rules! cfg_signal {
    ($($item:item)*) => {
        $(
            #[cfg(feature = "signal")]
            #[cfg_attr(docsrs, doc(cfg(feature = "signal")))]
            $item
        )*
    };
}

/// Channels (`channel`).
#[allow(unused_macros)] // unused on WASI
macro_rules! cfg_channel {
    ($($item:item)*) => {
        $(
            #[cfg(feature = "channel")]
            #[cfg_attr(docsrs, doc(cfg(feature = "channel")))]
            $item
        )*
    };
}

/// Trace-level log record, compiled out without the `log` feature.
macro_rules! trace {
    ($($arg:tt)+) => {
        #[cfg(feature = "log")]
        {
            log::trace!(target: "mio", $($arg)+);
        }
    };
}

/// Warn-level log record, compiled out without the `log` feature.
#[allow(unused_macros)]
macro_rules! warn {
    ($($arg:tt)+) => {
        #[cfg(feature = "log")]
        {
            log::warn!(target: "mio", $($arg)+);
        }
    };
}

/// Items for the epoll selector: Linux, Android, illumos (whose epoll is
/// native, with `EPOLLET`) and Redox, unless poll(2) is forced.
/// The four `cfg_*_selector!` macros are the one place that says which
/// selector a target gets; exactly one of them compiles its items.
#[allow(unused_macros)] // not every target has every selector
macro_rules! cfg_epoll_selector {
    ($($item:item)*) => {
        $(
            #[cfg(all(
                any(
                    target_os = "android",
                    target_os = "illumos",
                    target_os = "linux",
                    target_os = "redox",
                ),
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
#[allow(unused_macros)] // not every target has every selector
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

/// Items for the event ports selector: Solaris, unless poll(2) is forced.
#[allow(unused_macros)] // not every target has every selector
macro_rules! cfg_event_ports_selector {
    ($($item:item)*) => {
        $(
            #[cfg(all(target_os = "solaris", not(mio_unsupported_force_poll_poll)))]
            $item
        )*
    };
}

/// Items for the poll(2) selector: wherever none of the above is compiled
/// (AIX, ESP-IDF, Fuchsia, Haiku, Hermit, Hurd, NTO, NuttX, Vita, Cygwin,
/// Horizon, WASI preview 2, ...), and when
/// `--cfg mio_unsupported_force_poll_poll` asks for it.
#[allow(unused_macros)] // not every target has every selector
macro_rules! cfg_poll_selector {
    ($($item:item)*) => {
        $(
            #[cfg(any(
                mio_unsupported_force_poll_poll,
                not(any(
                    target_os = "android",
                    target_os = "dragonfly",
                    target_os = "freebsd",
                    target_os = "illumos",
                    target_os = "ios",
                    target_os = "linux",
                    target_os = "macos",
                    target_os = "netbsd",
                    target_os = "openbsd",
                    target_os = "redox",
                    target_os = "solaris",
                    target_os = "tvos",
                    target_os = "visionos",
                    target_os = "watchos",
                ))
            ))]
            $item
        )*
    };
}

/// Items for timers that live in the selector's own queue: kqueue's
/// `EVFILT_TIMER` wherever the kqueue selector runs, and Windows' completion
/// port. `sys::Timer` then takes the selector to register.
#[allow(unused_macros)]
macro_rules! cfg_selector_timer {
    ($($item:item)*) => {
        $(
            #[cfg(any(
                windows,
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
                    all(target_os = "linux", mio_unsupported_force_kqueue),
                ),
                not(mio_unsupported_force_poll_poll)
            )
            ))]
            $item
        )*
    };
}

/// Items for timers that are a descriptor the selector polls: a timerfd, or
/// the helper thread's pipe. The face wraps `sys::Timer` in an `IoSource`.
#[allow(unused_macros)]
macro_rules! cfg_fd_timer {
    ($($item:item)*) => {
        $(
            #[cfg(all(
                unix,
                not(all(
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
            ))
            ))]
            $item
        )*
    };
}
