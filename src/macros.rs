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

/// Internals shared by every type built on `IoSource` (sockets and pipes).
macro_rules! cfg_io_source {
    ($($item:item)*) => {
        $(
            #[cfg(any(feature = "net", all(unix, feature = "os-ext")))]
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
