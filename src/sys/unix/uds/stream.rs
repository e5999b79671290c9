//! Connected stream sockets: connect and socketpair.

use std::io;
use std::os::unix::io::AsRawFd;
use std::os::unix::net::{SocketAddr, UnixStream};

use super::addr::RawAddr;
use super::{new_pair, new_socket};

/// Starts a non-blocking connection to `address`.
///
/// Linux completes a Unix connect at once or fails with `EAGAIN` when the
/// listener's backlog is full (connect(2), unix(7)); that socket is not
/// connecting, so the error is returned (`WouldBlock`) and the caller tries
/// again later. `EINPROGRESS`, which other kernels may report, means the
/// connection is under way: the socket is returned and becomes writable
/// when it completes.
pub(crate) fn connect_stream(address: &SocketAddr) -> io::Result<UnixStream> {
    let raw = RawAddr::from_std(address)?;
    let fd = new_socket(libc::SOCK_STREAM)?;
    // SAFETY: `raw` holds a `sockaddr_un` valid for `raw.len()` bytes and
    // outlives the call, which only reads it.
    match syscall!(connect(fd.as_raw_fd(), raw.as_ptr(), raw.len())) {
        Ok(_) => {}
        Err(err) if err.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(err) => return Err(err),
    }
    Ok(UnixStream::from(fd))
}

/// Two connected, non-blocking stream sockets.
pub(crate) fn stream_pair() -> io::Result<(UnixStream, UnixStream)> {
    let (a, b) = new_pair(libc::SOCK_STREAM)?;
    Ok((UnixStream::from(a), UnixStream::from(b)))
}
