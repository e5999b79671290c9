//! One `Selector` per kernel interface; exactly one is compiled.

// Which selector a target gets is decided once, by the `cfg_*_selector!`
// macros in `macros.rs`.
cfg_epoll_selector! {
    mod epoll;
    pub(crate) use self::epoll::{event, RawEvent, Selector};
}

cfg_kqueue_selector! {
    mod kqueue;
    pub(crate) use self::kqueue::{event, RawEvent, Selector};
    #[cfg(feature = "timer")]
    pub(crate) use self::kqueue::{Filter, Flags};
}

cfg_event_ports_selector! {
    mod event_ports;
    pub(crate) use self::event_ports::{event, RawEvent, Selector};
}

cfg_poll_selector! {
    mod poll;
    #[cfg_attr(target_os = "wasi", allow(unused_imports))] // `Registration`: pipe waker, `net`
    pub(crate) use self::poll::{event, RawEvent, Registration, Selector};
}
// How the eventfd and pipe `Waker`s register their descriptor, so that
// they need not know the selector. The poll(2) selector hands back a
// registration that the waker owns and ends before closing the descriptor
// (see `poll.rs`); the others register it like any source, and closing the
// descriptor ends the registration.
#[allow(unused_macros)] // not with the poll(2) selector
macro_rules! plain_waker_registration {
    () => {
        /// Nothing to keep: closing the descriptor ends the registration.
        #[allow(dead_code)] // unused where the `Waker` needs no descriptor
        pub(crate) type WakerRegistration = ();

        #[allow(dead_code)] // unused where the `Waker` needs no descriptor
        pub(crate) fn register_waker(
            selector: &Selector,
            fd: std::os::fd::RawFd,
            token: crate::Token,
        ) -> std::io::Result<()> {
            selector.register(fd, token, crate::Interest::READABLE)
        }
    };
}
cfg_epoll_selector! {
    plain_waker_registration!();
}
cfg_kqueue_selector! {
    plain_waker_registration!();
}
cfg_event_ports_selector! {
    plain_waker_registration!();
}
cfg_poll_selector! {
    #[cfg(unix)]
    pub(crate) use self::poll::Registration as WakerRegistration;

    #[cfg(unix)]
    pub(crate) fn register_waker(
        selector: &Selector,
        fd: std::os::fd::RawFd,
        token: crate::Token,
    ) -> std::io::Result<WakerRegistration> {
        selector.register_waker(fd, token, crate::Interest::READABLE)
    }
}

// The flag `Waker` of WASI (preview 2), which has no descriptor to wake.
#[cfg(target_os = "wasi")]
pub(crate) use self::poll::FlagWake;

// The poll(2) selector's registration table is plain data: its unit tests
// (a model-based property test among them) run on every host, also where
// another selector is compiled.
#[cfg(all(
    test,
    not(any(
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
    ))
))]
#[path = "poll/table.rs"]
#[allow(dead_code)]
mod poll_table;

// The kqueue selector's flag arithmetic is plain integer code: its unit
// tests run on every host, Linux included.
#[cfg(test)]
#[allow(dead_code)]
mod kqueue_flags;
cfg_kqueue_selector! {
    #[cfg(not(test))]
    mod kqueue_flags;
}
