//! Networking primitives: TCP, UDP and Unix-domain sockets that can be
//! registered with a [`Poll`](crate::Poll).
//!
//! Each type wraps the matching `std::net` socket and behaves like it, with
//! two differences:
//!
//! * Sockets created by this module (`bind`, `connect`, `accept`) are
//!   non-blocking and close-on-exec from the moment they exist. An operation
//!   that cannot finish at once fails with
//!   [`ErrorKind::WouldBlock`](std::io::ErrorKind::WouldBlock) instead of
//!   waiting; wait for the socket's next event, then try again.
//! * Each type implements [`event::Source`](crate::event::Source), so it can
//!   be registered with a [`Registry`](crate::Registry).
//!
//! Sockets converted from the standard library with `from_std` (or from a
//! raw descriptor) keep whatever blocking mode they had: set them
//! non-blocking first, with the standard library's `set_nonblocking(true)`.
//!
//! # Examples
//!
//! A UDP round trip on the loopback interface:
//!
//! ```
//! # #[cfg(all(feature = "os-poll", feature = "net"))]
//! # fn main() -> std::io::Result<()> {
//! use mio::net::UdpSocket;
//! use mio::{Events, Interest, Poll, Token};
//! use std::io::ErrorKind;
//! use std::time::Duration;
//!
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(8);
//!
//! let sender = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
//! let mut receiver = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
//! poll.registry().register(&mut receiver, Token(0), Interest::READABLE)?;
//!
//! sender.send_to(b"ping", receiver.local_addr()?)?;
//!
//! let mut buf = [0; 16];
//! loop {
//!     match receiver.recv_from(&mut buf) {
//!         Ok((n, from)) => {
//!             assert_eq!(&buf[..n], b"ping");
//!             assert_eq!(from, sender.local_addr()?);
//!             break;
//!         }
//!         // Not there yet: wait for the next readiness event.
//!         Err(e) if e.kind() == ErrorKind::WouldBlock => {
//!             poll.poll(&mut events, Some(Duration::from_secs(5)))?;
//!         }
//!         Err(e) => return Err(e),
//!     }
//! }
//! # Ok(())
//! # }
//! # #[cfg(not(all(feature = "os-poll", feature = "net")))]
//! # fn main() {}
//! ```

mod tcp;
pub use self::tcp::{TcpListener, TcpStream};

// WASI preview 1 has no way to create or receive a UDP socket.
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
mod udp;
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
pub use self::udp::UdpSocket;

#[cfg(unix)]
mod uds;
#[cfg(unix)]
#[cfg_attr(docsrs, doc(cfg(unix)))]
pub use self::uds::{UnixDatagram, UnixListener, UnixStream};
