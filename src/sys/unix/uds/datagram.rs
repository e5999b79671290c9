//! Datagram sockets: bound, unbound and pairs.

use std::io;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::{SocketAddr, UnixDatagram};

use super::addr::RawAddr;
use super::{new_pair, new_socket};

/// A non-blocking datagram socket bound to `address`.
pub(crate) fn bind_datagram(address: &SocketAddr) -> io::Result<UnixDatagram> {
    let raw = RawAddr::from_std(address)?;
    let fd = new_socket(libc::SOCK_DGRAM)?;
    // SAFETY: `raw` holds a `sockaddr_un` valid for `raw.len()` bytes and
    // outlives the call, which only reads it.
    syscall!(bind(fd.as_raw_fd(), raw.as_ptr(), raw.len()))?;
    Ok(UnixDatagram::from(fd))
}

/// A non-blocking datagram socket bound to nothing.
pub(crate) fn unbound_datagram() -> io::Result<UnixDatagram> {
    new_socket(libc::SOCK_DGRAM).map(UnixDatagram::from)
}

/// Two connected, non-blocking datagram sockets.
pub(crate) fn datagram_pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
    let (a, b) = new_pair(libc::SOCK_DGRAM)?;
    Ok((UnixDatagram::from(a), UnixDatagram::from(b)))
}
