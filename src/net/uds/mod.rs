//! Unix-domain sockets: [`UnixListener`], [`UnixStream`] and
//! [`UnixDatagram`].
//!
//! Addresses are std's [`SocketAddr`](std::os::unix::net::SocketAddr): a
//! filesystem path, an abstract name (Linux and Android, through
//! `std::os::linux::net::SocketAddrExt`), or unnamed.

mod datagram;
mod listener;
mod stream;

pub use self::datagram::UnixDatagram;
pub use self::listener::UnixListener;
pub use self::stream::UnixStream;
