//! Unix-domain sockets without an OS backend: every call fails with
//! `Unsupported`, with the same signatures as the Unix backend's `uds`.

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram, UnixListener, UnixStream};

use super::unsupported;

pub(crate) fn bind_listener(_: &SocketAddr) -> io::Result<UnixListener> {
    Err(unsupported())
}

pub(crate) fn accept(_: &UnixListener) -> io::Result<(UnixStream, SocketAddr)> {
    Err(unsupported())
}

pub(crate) fn connect_stream(_: &SocketAddr) -> io::Result<UnixStream> {
    Err(unsupported())
}

pub(crate) fn stream_pair() -> io::Result<(UnixStream, UnixStream)> {
    Err(unsupported())
}

pub(crate) fn bind_datagram(_: &SocketAddr) -> io::Result<UnixDatagram> {
    Err(unsupported())
}

pub(crate) fn unbound_datagram() -> io::Result<UnixDatagram> {
    Err(unsupported())
}

pub(crate) fn datagram_pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
    Err(unsupported())
}
