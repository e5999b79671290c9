//! TCP on WASI preview 1: accepting is all there is to do here. Preview 1
//! has no call that creates, binds or connects a socket (`sock_accept` is
//! its only constructor), so `TcpListener::bind` and `TcpStream::connect`
//! do not exist on this target.

use std::io;
use std::net::{self, SocketAddr};

/// Accepts one pending connection and makes it non-blocking.
///
/// The address is what the standard library reports: preview 1's
/// `sock_accept` does not give the peer's address, and std returns an
/// unspecified one in its place.
pub(crate) fn accept(listener: &net::TcpListener) -> io::Result<(net::TcpStream, SocketAddr)> {
    let (stream, addr) = listener.accept()?;
    stream.set_nonblocking(true)?;
    Ok((stream, addr))
}
