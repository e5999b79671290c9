//! TCP sockets: the calls the standard library cannot make for us because
//! its sockets are created blocking and inheritable.

use std::io;
use std::net::{self, SocketAddr};
use std::os::fd::{AsFd, AsRawFd};

use super::net::{domain_of, new_socket, set_int_option, socket_addr};

/// Backlog passed to listen(2). The kernel caps it at its own limit
/// (`net.core.somaxconn` on Linux).
const LISTEN_BACKLOG: libc::c_int = 1024;

/// Creates a non-blocking listener bound to `addr`: socket, `SO_REUSEADDR`,
/// bind, listen.
///
/// `SO_REUSEADDR` lets a restarted server bind its port while connections
/// of the previous run are still in `TIME_WAIT`; on Unix it does not allow
/// two live listeners on one port.
pub(crate) fn bind(addr: SocketAddr) -> io::Result<net::TcpListener> {
    let socket = new_socket(domain_of(&addr), libc::SOCK_STREAM)?;
    let fd = socket.as_raw_fd();
    set_reuse_address(fd)?;
    let (raw_addr, raw_len) = socket_addr(&addr);
    // SAFETY: `raw_addr` is a valid socket address of `raw_len` bytes that
    // lives until the call returns.
    syscall!(bind(fd, raw_addr.as_ptr(), raw_len))?;
    // SAFETY: listen(2) takes only integers.
    syscall!(listen(fd, LISTEN_BACKLOG))?;
    Ok(net::TcpListener::from(socket))
}

/// Turns on `SO_REUSEADDR`.
#[cfg(unix)]
fn set_reuse_address(fd: libc::c_int) -> io::Result<()> {
    set_int_option(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)
}

/// Asks for `SO_REUSEADDR` where the host allows it. WASI preview 2 hosts
/// may not implement the option (wasi-libc maps it to the host's own
/// reuse policy, and some hosts reject setting it): a refusal is ignored,
/// since the listener works without it.
#[cfg(target_os = "wasi")]
fn set_reuse_address(fd: libc::c_int) -> io::Result<()> {
    let _ = set_int_option(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1);
    Ok(())
}

/// Starts a non-blocking connect to `addr` and returns without waiting for
/// it to finish.
///
/// `EINPROGRESS` is the normal answer and counts as success: the socket
/// becomes writable once the handshake is over, and then `take_error`
/// (`SO_ERROR`) or `peer_addr` tells whether it succeeded. Errors the
/// kernel knows at once (no route, refused on some systems, ...) are
/// returned here.
pub(crate) fn connect(addr: SocketAddr) -> io::Result<net::TcpStream> {
    let socket = new_socket(domain_of(&addr), libc::SOCK_STREAM)?;
    let (raw_addr, raw_len) = socket_addr(&addr);
    // SAFETY: `raw_addr` is a valid socket address of `raw_len` bytes that
    // lives until the call returns.
    match syscall!(connect(socket.as_raw_fd(), raw_addr.as_ptr(), raw_len)) {
        Ok(_) => {}
        Err(err) if err.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(err) => return Err(err),
    }
    Ok(net::TcpStream::from(socket))
}

/// Accepts one pending connection, returning it non-blocking and
/// close-on-exec together with the peer's address.
pub(crate) fn accept(listener: &net::TcpListener) -> io::Result<(net::TcpStream, SocketAddr)> {
    let (socket, addr) = super::net::accept(listener.as_fd())?;
    Ok((net::TcpStream::from(socket), addr))
}

/// Takes the pending error of a stream (`SO_ERROR`).
///
/// wasi-libc reports `EINPROGRESS` there while a non-blocking connect has
/// not finished (preview 2 connects in two steps, and the second runs when
/// poll(2) sees the socket writable), where Unix reports no error: that is
/// not an error of the socket, so it is `Ok(None)` here, as on Unix. A
/// connect that failed reports its real error once it is over. See
/// `pending_error` for hosts without `SO_ERROR`.
#[cfg(target_os = "wasi")]
pub(crate) fn take_error(stream: &net::TcpStream) -> io::Result<Option<io::Error>> {
    pending_error(stream.take_error())
}

/// What `SO_ERROR` says on WASI preview 2, made to mean what it means on
/// Unix. A host may have no such option at all (jco's fails with
/// `ENOPROTOOPT`): it keeps no pending error to report, so that is
/// `Ok(None)`, not a failure of `take_error`. `EINPROGRESS` (a connect still
/// under way) is no error of the socket either.
#[cfg(target_os = "wasi")]
pub(crate) fn pending_error(taken: io::Result<Option<io::Error>>) -> io::Result<Option<io::Error>> {
    match taken {
        Err(err) if err.raw_os_error() == Some(libc::ENOPROTOOPT) => Ok(None),
        Ok(Some(err)) if err.raw_os_error() == Some(libc::EINPROGRESS) => Ok(None),
        other => other,
    }
}
