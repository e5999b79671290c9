//! TCP without an OS backend: every call fails with `Unsupported`.

use std::io;
use std::net::{self, SocketAddr};

use super::unsupported;

// Not on WASI preview 1, which cannot create sockets.
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
pub(crate) fn bind(_: SocketAddr) -> io::Result<net::TcpListener> {
    Err(unsupported())
}

// Not on WASI preview 1, which cannot create sockets.
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
pub(crate) fn connect(_: SocketAddr) -> io::Result<net::TcpStream> {
    Err(unsupported())
}

pub(crate) fn accept(_: &net::TcpListener) -> io::Result<(net::TcpStream, SocketAddr)> {
    Err(unsupported())
}
