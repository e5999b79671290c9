//! Unix-domain sockets: creating them non-blocking and close-on-exec,
//! binding, listening, connecting and accepting. unix(7), socket(2),
//! socketpair(2), accept4(2).
//!
//! Each function hands back a std socket type; everything after creation
//! (reads, writes, addresses, shutdown) is std's own code.

use std::io;
use std::os::unix::io::{FromRawFd, OwnedFd};

mod addr;
mod datagram;
mod listener;
mod stream;

pub(crate) use self::datagram::{bind_datagram, datagram_pair, unbound_datagram};
pub(crate) use self::listener::{accept, bind_listener};
pub(crate) use self::stream::{connect_stream, stream_pair};

/// `SOCK_NONBLOCK | SOCK_CLOEXEC` where socket(2), socketpair(2) and
/// accept4(2) take them, so a descriptor is never visible without them.
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
    target_os = "illumos",
))]
const SOCKET_FLAGS: libc::c_int = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;

/// Elsewhere (Apple) the flags are set by [`finish`] right after creation.
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
    target_os = "illumos",
)))]
const SOCKET_FLAGS: libc::c_int = 0;

/// Makes a new descriptor non-blocking and close-on-exec where the creating
/// call could not. Not atomic: another thread's fork+exec in between
/// inherits it, which the OS gives no way to avoid.
fn finish(fd: OwnedFd) -> io::Result<OwnedFd> {
    if SOCKET_FLAGS == 0 {
        use std::os::unix::io::AsRawFd;
        // SAFETY: fcntl on a descriptor we own; F_SETFD takes an integer.
        syscall!(fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC))?;
        crate::sys::unix::set_nonblocking(fd.as_raw_fd(), true)?;
    }
    Ok(fd)
}

/// A new, unbound, unconnected `AF_UNIX` socket of type `ty`.
fn new_socket(ty: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: no pointers; returns a new descriptor or -1.
    let fd = syscall!(socket(libc::AF_UNIX, ty | SOCKET_FLAGS, 0))?;
    // SAFETY: `fd` was just created and is owned by nothing else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    finish(fd)
}

/// Two connected `AF_UNIX` sockets of type `ty`.
fn new_pair(ty: libc::c_int) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [libc::c_int; 2] = [-1, -1];
    // SAFETY: `fds` has room for the two descriptors socketpair writes.
    syscall!(socketpair(
        libc::AF_UNIX,
        ty | SOCKET_FLAGS,
        0,
        fds.as_mut_ptr()
    ))?;
    // SAFETY: both descriptors were just created and are owned by nothing
    // else; wrapping both before `finish` means an error closes them.
    let (a, b) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    Ok((finish(a)?, finish(b)?))
}
