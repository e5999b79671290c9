//! The Windows backend.
//!
//! Windows reports completions, not readiness; this backend builds
//! readiness on top of an I/O completion port (`iocp.rs`):
//!
//! * sockets ask the AFD driver, the kernel side of Winsock, to complete a
//!   poll request when they become ready (`afd.rs`, `sock_state.rs`), and
//!   are re-armed when the user's I/O returns `WouldBlock`
//!   (`io_source.rs`), which makes them edge-triggered like epoll;
//! * `Waker` posts a packet to the port (`waker.rs`);
//! * the `timer` and `channel` sources post packets too, through a
//!   readiness flag with a registration (`channel.rs`, `timer.rs`);
//! * named pipes run overlapped reads and writes into internal buffers,
//!   whose completions are the events (`named_pipe.rs`).
//!
//! `selector.rs` waits on the port and turns packets into events.

mod afd;
mod iocp;

mod selector;
pub(crate) use self::selector::{RawEvent, Selector};

/// The `Event` accessors over `RawEvent`.
pub(crate) mod event;

mod waker;
pub(crate) use self::waker::Waker;

cfg_net! {
    mod sock_state;
    mod io_source;
    pub(crate) use self::io_source::IoSourceState;

    mod net;
    pub(crate) mod tcp;
    pub(crate) mod udp;
}

cfg_os_ext! {
    pub(crate) mod named_pipe;
}

// Readiness by posted packets, for the timer and the channel receiver.
#[cfg(any(feature = "timer", feature = "channel"))]
mod channel;
#[cfg(feature = "channel")]
pub(crate) use self::channel::{notify_pair, Notify};

cfg_timer! {
    mod timer;
    pub(crate) use self::timer::Timer;
}
