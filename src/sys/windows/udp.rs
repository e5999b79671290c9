//! UDP sockets: creation (non-blocking, not inheritable) and the one option
//! the standard library does not read.

use std::io;
use std::mem::size_of;
use std::net::{self, SocketAddr};
use std::os::windows::io::AsRawSocket;

use windows_sys::Win32::Networking::WinSock::{
    bind as winsock_bind, getsockopt, IPPROTO_IPV6, IPV6_V6ONLY, SOCKET, SOCK_DGRAM,
};

use super::net::{check, family_of, new_socket, socket_addr};

/// Creates a non-blocking UDP socket bound to `addr`.
pub(crate) fn bind(addr: SocketAddr) -> io::Result<net::UdpSocket> {
    let socket = new_socket(family_of(&addr), SOCK_DGRAM)?;
    let (raw_addr, raw_len) = socket_addr(&addr);
    // SAFETY: `raw_addr` is a valid socket address of `raw_len` bytes that
    // lives until the call returns.
    check(unsafe { winsock_bind(socket.as_raw_socket() as SOCKET, raw_addr.as_ptr(), raw_len) })?;
    Ok(net::UdpSocket::from(socket))
}

/// Whether the IPv6 socket `socket` is restricted to IPv6 (`IPV6_V6ONLY`).
/// On an IPv4 socket Winsock reports an error.
pub(crate) fn only_v6(socket: &net::UdpSocket) -> io::Result<bool> {
    let mut value: u32 = 0;
    let mut len = size_of::<u32>() as i32;
    // SAFETY: Winsock writes at most `len` bytes into `value`.
    check(unsafe {
        getsockopt(
            socket.as_raw_socket() as SOCKET,
            IPPROTO_IPV6,
            IPV6_V6ONLY,
            (&mut value as *mut u32).cast(),
            &mut len,
        )
    })?;
    Ok(value != 0)
}
