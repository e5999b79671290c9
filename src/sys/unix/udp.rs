//! UDP sockets: creation (non-blocking and close-on-exec in one call) and
//! the one option the standard library does not read.

use std::io;
use std::net::{self, SocketAddr};
use std::os::unix::io::AsRawFd;

use super::net::{domain_of, int_option, new_socket, socket_addr};

/// Creates a non-blocking UDP socket bound to `addr`. No `SO_REUSEADDR`:
/// two sockets bound to one port would split the datagrams between them.
pub(crate) fn bind(addr: SocketAddr) -> io::Result<net::UdpSocket> {
    let socket = new_socket(domain_of(&addr), libc::SOCK_DGRAM)?;
    let (raw_addr, raw_len) = socket_addr(&addr);
    // SAFETY: `raw_addr` is a valid socket address of `raw_len` bytes that
    // lives until the call returns.
    syscall!(bind(socket.as_raw_fd(), raw_addr.as_ptr(), raw_len))?;
    Ok(net::UdpSocket::from(socket))
}

/// Whether the IPv6 socket `socket` is restricted to IPv6 (`IPV6_V6ONLY`).
/// On an IPv4 socket the OS reports an error.
pub(crate) fn only_v6(socket: &net::UdpSocket) -> io::Result<bool> {
    int_option(socket.as_raw_fd(), libc::IPPROTO_IPV6, libc::IPV6_V6ONLY).map(|v| v != 0)
}
