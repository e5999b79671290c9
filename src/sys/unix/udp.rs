//! UDP sockets: creation (non-blocking and close-on-exec in one call) and
//! the one option the standard library does not read.

use std::io;
use std::net::{self, SocketAddr};
use std::os::fd::AsRawFd;

use super::net::{domain_of, int_option, new_socket, socket_addr};

/// Creates a non-blocking UDP socket bound to `addr`. No `SO_REUSEADDR`:
/// two sockets bound to one port would split the datagrams between them.
pub(crate) fn bind(addr: SocketAddr) -> io::Result<net::UdpSocket> {
    let socket = new_socket(domain_of(&addr), libc::SOCK_DGRAM)?;
    let (raw_addr, raw_len) = socket_addr(&addr);
    // SAFETY: `raw_addr` is a valid socket address of `raw_len` bytes that
    // lives until the call returns.
    syscall!(bind(socket.as_raw_fd(), raw_addr.as_ptr(), raw_len))?;
    #[cfg(target_os = "wasi")]
    open_datagram_streams(socket.as_raw_fd());
    Ok(net::UdpSocket::from(socket))
}

/// WASI preview 2 receives datagrams only once the socket's datagram
/// streams exist, and wasi-libc opens them lazily, on the first send or
/// receive; until then poll(2) never reports the socket readable. An empty
/// non-blocking receive right after bind opens them: nothing can be queued
/// yet, so it only ever returns `EAGAIN`, and its result is ignored.
#[cfg(target_os = "wasi")]
fn open_datagram_streams(fd: libc::c_int) {
    let mut byte = 0u8;
    // SAFETY: the buffer is one writable byte, and the length passed is 0,
    // so recv(2) writes nothing.
    let _ = syscall!(recv(fd, (&mut byte as *mut u8).cast(), 0, 0));
}

/// Whether the IPv6 socket `socket` is restricted to IPv6 (`IPV6_V6ONLY`).
/// On an IPv4 socket the OS reports an error.
pub(crate) fn only_v6(socket: &net::UdpSocket) -> io::Result<bool> {
    int_option(socket.as_raw_fd(), libc::IPPROTO_IPV6, libc::IPV6_V6ONLY).map(|v| v != 0)
}

/// Takes the pending error of a UDP socket (`SO_ERROR`); see
/// `tcp::pending_error` for hosts that have no such option.
#[cfg(target_os = "wasi")]
pub(crate) fn take_error(socket: &net::UdpSocket) -> io::Result<Option<io::Error>> {
    super::tcp::pending_error(socket.take_error())
}
