//! UDP without an OS backend: every call fails with `Unsupported`.

use std::io;
use std::net::{self, SocketAddr};

use super::unsupported;

pub(crate) fn bind(_: SocketAddr) -> io::Result<net::UdpSocket> {
    Err(unsupported())
}

pub(crate) fn only_v6(_: &net::UdpSocket) -> io::Result<bool> {
    Err(unsupported())
}
