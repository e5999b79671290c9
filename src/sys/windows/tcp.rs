//! TCP sockets: the calls the standard library cannot make for us, because
//! its sockets are created blocking.

use std::io;
use std::mem::{self, size_of};
use std::net::{self, SocketAddr};
use std::os::windows::io::{AsRawSocket, FromRawSocket, OwnedSocket, RawSocket};

use windows_sys::Win32::Foundation::{SetHandleInformation, HANDLE_FLAG_INHERIT};
use windows_sys::Win32::Networking::WinSock::{
    accept as winsock_accept, bind as winsock_bind, connect as winsock_connect, listen,
    INVALID_SOCKET, SOCKADDR_STORAGE, SOCKET, SOCK_STREAM, WSAEWOULDBLOCK,
};

use super::net::{
    check, family_of, last_error, new_socket, set_nonblocking, socket_addr, to_socket_addr,
};

/// Backlog passed to listen; Winsock caps it at its own limit.
const LISTEN_BACKLOG: i32 = 1024;

/// Creates a non-blocking listener bound to `addr`: socket, bind, listen.
///
/// No `SO_REUSEADDR`: on Windows it would let another socket bind the same
/// port while this one listens (Winsock docs, "Using SO_REUSEADDR and
/// SO_EXCLUSIVEADDRUSE").
pub(crate) fn bind(addr: SocketAddr) -> io::Result<net::TcpListener> {
    let socket = new_socket(family_of(&addr), SOCK_STREAM)?;
    let raw = socket.as_raw_socket() as SOCKET;
    let (raw_addr, raw_len) = socket_addr(&addr);
    // SAFETY: `raw_addr` is a valid socket address of `raw_len` bytes that
    // lives until the call returns.
    check(unsafe { winsock_bind(raw, raw_addr.as_ptr(), raw_len) })?;
    // SAFETY: listen takes only integers.
    check(unsafe { listen(raw, LISTEN_BACKLOG) })?;
    Ok(net::TcpListener::from(socket))
}

/// Starts a non-blocking connect to `addr` and returns without waiting.
///
/// `WSAEWOULDBLOCK` is the normal answer and means "in progress": the
/// socket becomes writable when the connection is up, or reports
/// `AFD_POLL_CONNECT_FAIL` (an error event) when it failed.
pub(crate) fn connect(addr: SocketAddr) -> io::Result<net::TcpStream> {
    let socket = new_socket(family_of(&addr), SOCK_STREAM)?;
    let (raw_addr, raw_len) = socket_addr(&addr);
    // SAFETY: `raw_addr` is a valid socket address of `raw_len` bytes that
    // lives until the call returns.
    let res =
        unsafe { winsock_connect(socket.as_raw_socket() as SOCKET, raw_addr.as_ptr(), raw_len) };
    if let Err(err) = check(res) {
        if err.raw_os_error() != Some(WSAEWOULDBLOCK) {
            return Err(err);
        }
    }
    Ok(net::TcpStream::from(socket))
}

/// Accepts one pending connection: non-blocking and not inheritable, with
/// the peer's address.
pub(crate) fn accept(listener: &net::TcpListener) -> io::Result<(net::TcpStream, SocketAddr)> {
    // SAFETY: all zeroes is a valid SOCKADDR_STORAGE.
    let mut storage: SOCKADDR_STORAGE = unsafe { mem::zeroed() };
    let mut len = size_of::<SOCKADDR_STORAGE>() as i32;
    // SAFETY: `storage` is writable and `len` holds its exact size, so at
    // most that many bytes are written.
    let raw = unsafe {
        winsock_accept(
            listener.as_raw_socket() as SOCKET,
            (&mut storage as *mut SOCKADDR_STORAGE).cast(),
            &mut len,
        )
    };
    if raw == INVALID_SOCKET {
        return Err(last_error());
    }
    // SAFETY: `raw` was just returned by accept, so it is open and owned by
    // nobody else; wrapping it first means any error below closes it.
    let socket = unsafe { OwnedSocket::from_raw_socket(raw as RawSocket) };
    // Accepted sockets inherit the listener's properties, but neither the
    // blocking mode of a listener from `from_std` nor the inheritance flag
    // is documented to be among them: set both.
    set_nonblocking(raw, true)?;
    // SAFETY: a socket is a kernel handle; the call reads no memory.
    if unsafe { SetHandleInformation(raw as _, HANDLE_FLAG_INHERIT, 0) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let addr = to_socket_addr(&storage, len)?;
    Ok((net::TcpStream::from(socket), addr))
}
