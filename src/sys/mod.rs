//! Everything that talks to the operating system.
//!
//! Exactly one platform module is compiled in and re-exported here; all of
//! them offer the same names (`Selector`, `Waker`, `IoSourceState`,
//! `RawEvent`, the `event` accessors, ...), so the portable code above never
//! needs a `cfg`. This is also the only place with `unsafe` code.

cfg_os_poll! {
    #[cfg(unix)]
    mod unix;
    #[cfg(unix)]
    pub(crate) use self::unix::*;

    #[cfg(windows)]
    mod windows;
    #[cfg(windows)]
    pub(crate) use self::windows::*;
}

cfg_not_os_poll! {
    mod shell;
    pub(crate) use self::shell::*;
}

mod event_buf;
pub use self::event_buf::Event;
pub(crate) use self::event_buf::EventBuf;
