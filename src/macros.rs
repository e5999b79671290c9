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
