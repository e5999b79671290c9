//! A fast, low-level I/O library for building non-blocking applications:
//! readiness events over the operating system's poller, with as little in
//! between as possible.
//!
//! This crate implements the public API of [mio] 1.x independently; code
//! written for mio builds and behaves the same on it, and a program switches
//! with one `[patch.crates-io]` entry.
//!
//! * [`Poll`] waits for readiness; [`Registry`] registers [`event::Source`]s
//!   with it, each under a [`Token`] and with an [`Interest`].
//! * [`Events`] is the buffer `poll` fills, allocated once.
//! * [`Waker`] wakes a `Poll` from another thread.
//! * [`net`] has TCP, UDP and Unix-domain sockets (feature `net`).
//! * [`unix`] has pipes and [`unix::SourceFd`] (feature `os-ext`, Unix);
//!   `windows` has `NamedPipe` (feature `os-ext`, Windows).
//!
//! Sources are edge-triggered: see [`Poll`] for what that means for the
//! caller, the [`guide`] for a walk through a first program, and
//! [`features`] for the cargo features.
//!
//! # Example
//!
//! ```
//! # #[cfg(all(feature = "os-ext", unix))]
//! # fn main() -> std::io::Result<()> {
//! use mio::unix::pipe;
//! use mio::{Events, Interest, Poll, Token};
//! use std::io::{ErrorKind, Read, Write};
//! use std::time::Duration;
//!
//! const RECEIVER: Token = Token(0);
//!
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(64);
//! let (mut sender, mut receiver) = pipe::new()?;
//! poll.registry().register(&mut receiver, RECEIVER, Interest::READABLE)?;
//!
//! sender.write_all(b"hello")?;
//! let mut got = Vec::new();
//! while got.len() < 5 {
//!     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//!     for event in events.iter() {
//!         assert_eq!(event.token(), RECEIVER);
//!         // Edge-triggered: read until WouldBlock.
//!         let mut buf = [0; 16];
//!         loop {
//!             match receiver.read(&mut buf) {
//!                 Ok(n) => got.extend_from_slice(&buf[..n]),
//!                 Err(e) if e.kind() == ErrorKind::WouldBlock => break,
//!                 Err(e) => return Err(e),
//!             }
//!         }
//!     }
//! }
//! assert_eq!(got, b"hello");
//! # Ok(())
//! # }
//! # #[cfg(not(all(feature = "os-ext", unix)))]
//! # fn main() {}
//! ```
//!
//! [mio]: https://docs.rs/mio/1

#![deny(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[macro_use]
mod macros;

mod interest;
mod poll;
mod sys;
mod token;
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
mod waker;

pub mod event;

cfg_io_source! {
    #[macro_use]
    mod io_source;
}

cfg_net! {
    pub mod net;
}

#[cfg(unix)]
cfg_os_ext! {
    pub mod unix;
}

#[cfg(windows)]
cfg_os_ext! {
    pub mod windows;
}

// Timers, signals and channels need a helper thread, timerfd/kqueue, or a
// pipe/eventfd to notify the poller: WASI has none of them, so these
// features compile to nothing there.
#[cfg(not(target_os = "wasi"))]
cfg_timer! {
    pub mod timer;
}

#[cfg(unix)]
cfg_signal! {
    pub mod signal;
}

#[cfg(not(target_os = "wasi"))]
cfg_channel! {
    pub mod channel;
}

// std's or (under `--cfg loom`) loom's primitives for the channel, the
// signal table and the `Waker`s' wake flags.
mod sync;

// Model checks of the channel and the wake flags (`scripts/loom.sh`).
#[cfg(all(test, loom))]
mod models;

// Reading the notification descriptors of the sources above.
#[cfg(all(unix, any(feature = "timer", feature = "signal", feature = "channel")))]
mod drain;

pub use event::Events;
pub use interest::Interest;
pub use poll::{Poll, Registry};
pub use token::Token;
// WASI preview 1 has no Waker, as in mio 1.x: its single thread can only
// wake itself, and nothing in `poll_oneoff` could carry the wake.
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
pub use waker::Waker;

pub mod features {
    //! The cargo features of this crate.
    //!
    //! | feature | default | what it enables |
    //! |---|---|---|
    //! | `os-poll` | no | [`Poll`], [`Registry`] and [`Waker`] backed by the OS poller. Without it they still exist, but no `Poll` can be created and socket constructors return `ErrorKind::Unsupported`. |
    //! | `os-ext` | no | OS-specific extensions in [`unix`](crate::unix): pipes and `SourceFd`. Implies `os-poll`. |
    //! | `net` | no | TCP, UDP and Unix-domain sockets in [`net`](crate::net). |
    //! | `timer` | no | [`timer::Timer`](crate::timer::Timer), a monotonic timer that is an event source. Implies `os-poll`. Beyond mio 1.x. |
    //! | `signal` | no | [`signal::Signals`](crate::signal::Signals), Unix signals as an event source (Unix only). Implies `os-poll`. Beyond mio 1.x. |
    //! | `channel` | no | [`channel::channel`](crate::channel::channel), a bounded MPSC channel whose receiver is an event source. Implies `os-poll`. Beyond mio 1.x. |
    //! | `log` | yes | trace records (target `mio`) through the `log` crate when sources are registered, re-registered and deregistered. |
    //!
    //! On WASI, `timer`, `signal` and `channel` compile to nothing (WASI
    //! has no threads, pipes or signals to build them on), and `os-ext`
    //! adds nothing. WASI preview 1 has no [`Waker`], no `UdpSocket`, and
    //! no `TcpListener::bind`/`TcpStream::connect`: its sockets come from
    //! the runtime, through `from_std`.
    //!
    //! A typical user enables `os-poll` and `net`:
    //!
    //! ```toml
    //! [dependencies]
    //! mio = { version = "1", features = ["os-poll", "net"] }
    //! ```
    //!
    //! `--cfg` flags choose other backends, for testing and for platforms
    //! where the default is unavailable:
    //! `mio_unsupported_force_poll_poll` uses poll(2) instead of epoll,
    //! kqueue or event ports, and `mio_unsupported_force_waker_pipe` makes
    //! [`Waker`] a pipe instead of an eventfd. On Linux,
    //! `mio_unsupported_force_kqueue` runs the kqueue backend over
    //! libkqueue (linked from the build `scripts/kqueue.sh` makes): a test
    //! configuration, not for production.
    //!
    //! [`Poll`]: crate::Poll
    //! [`Registry`]: crate::Registry
    //! [`Waker`]: crate::Waker
}

pub mod guide {
    //! A first program, step by step.
    //!
    //! # 1. Create a `Poll` and an `Events` buffer
    //!
    //! [`Poll`] is the event queue. [`Events`] is where each call to
    //! [`Poll::poll`] writes what became ready; it is allocated once, with a
    //! capacity that bounds the events returned per call.
    //!
    //! ```
    //! # #[cfg(feature = "os-poll")]
    //! # fn main() -> std::io::Result<()> {
    //! use mio::{Events, Poll};
    //!
    //! let poll = Poll::new()?;
    //! let events = Events::with_capacity(1024);
    //! # drop((poll, events));
    //! # Ok(())
    //! # }
    //! # #[cfg(not(feature = "os-poll"))]
    //! # fn main() {}
    //! ```
    //!
    //! # 2. Register sources
    //!
    //! A source is anything that implements [`event::Source`]: the sockets in
    //! [`net`], pipes in [`unix::pipe`], or any file descriptor through
    //! [`unix::SourceFd`]. Registration names a [`Token`], which comes back
    //! with each event, and an [`Interest`], which says what to wait for.
    //!
    //! # 3. Poll, then do I/O until `WouldBlock`
    //!
    //! Readiness is edge-triggered: an event means "something changed". Read
    //! (or write, or accept) in a loop until the operation returns
    //! [`ErrorKind::WouldBlock`]; only then is the source armed for the next
    //! event. Stopping early can leave data unread with no further event.
    //!
    //! ```
    //! # #[cfg(all(feature = "os-poll", feature = "net"))]
    //! # fn main() -> std::io::Result<()> {
    //! use mio::net::{TcpListener, TcpStream};
    //! use mio::{Events, Interest, Poll, Token};
    //! use std::io::ErrorKind;
    //! use std::time::Duration;
    //!
    //! const SERVER: Token = Token(0);
    //! let mut poll = Poll::new()?;
    //! let mut events = Events::with_capacity(128);
    //!
    //! let mut server = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    //! poll.registry().register(&mut server, SERVER, Interest::READABLE)?;
    //! let _client = TcpStream::connect(server.local_addr()?)?;
    //!
    //! let mut accepted = 0;
    //! while accepted == 0 {
    //!     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
    //!     for event in events.iter() {
    //!         if event.token() == SERVER {
    //!             loop {
    //!                 match server.accept() {
    //!                     Ok((_stream, _addr)) => accepted += 1,
    //!                     Err(e) if e.kind() == ErrorKind::WouldBlock => break,
    //!                     Err(e) => return Err(e),
    //!                 }
    //!             }
    //!         }
    //!     }
    //! }
    //! # Ok(())
    //! # }
    //! # #[cfg(not(all(feature = "os-poll", feature = "net")))]
    //! # fn main() {}
    //! ```
    //!
    //! # 4. Wake the loop from other threads
    //!
    //! A [`Waker`] registered with the `Poll` makes a blocked
    //! `poll(.., None)` return; share it with an `Arc`.
    //!
    //! [`Poll`]: crate::Poll
    //! [`Poll::poll`]: crate::Poll::poll
    //! [`Events`]: crate::Events
    //! [`event::Source`]: crate::event::Source
    //! [`net`]: crate::net
    //! [`unix::pipe`]: crate::unix::pipe
    //! [`unix::SourceFd`]: crate::unix::SourceFd
    //! [`Token`]: crate::Token
    //! [`Interest`]: crate::Interest
    //! [`Waker`]: crate::Waker
    //! [`ErrorKind::WouldBlock`]: std::io::ErrorKind::WouldBlock
}
