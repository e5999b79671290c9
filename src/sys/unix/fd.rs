//! Small descriptor helpers shared by pipes and wakers.

use std::io;
use std::os::fd::RawFd;
#[cfg(unix)]
use std::os::fd::{FromRawFd, OwnedFd};

/// A non-blocking, close-on-exec pipe: `(read end, write end)`. Not on
/// WASI, which has no pipe(2).
#[cfg(unix)]
#[allow(dead_code)] // only the pipe waker and `unix::pipe` use it
pub(crate) fn new_pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [libc::c_int; 2] = [-1, -1];
    let flags_set = raw_pipe(&mut fds)?;
    // SAFETY: both descriptors were just created and are owned by nothing
    // else; wrapping them first means an error below closes them.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    if !flags_set {
        use std::os::fd::AsRawFd;
        for fd in [&read, &write] {
            // SAFETY: plain fcntl on a descriptor we own.
            syscall!(fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC))?;
            set_nonblocking(fd.as_raw_fd(), true)?;
        }
    }
    Ok((read, write))
}

/// pipe2(2) with both flags; returns whether they are set.
#[cfg(all(
    unix,
    not(any(
        target_os = "espidf",
        target_os = "haiku",
        target_os = "horizon",
        target_os = "ios",
        target_os = "macos",
        target_os = "nto",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
    ))
))]
fn raw_pipe(fds: &mut [libc::c_int; 2]) -> io::Result<bool> {
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    syscall!(pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC))?;
    Ok(true)
}

/// Systems without pipe2(2) (Apple's, Haiku, QNX, ...): a plain pipe(2),
/// whose flags the caller sets right after creation. Not atomic: another
/// thread's fork+exec in between inherits the descriptors.
#[cfg(any(
    target_os = "espidf",
    target_os = "haiku",
    target_os = "horizon",
    target_os = "ios",
    target_os = "macos",
    target_os = "nto",
    target_os = "tvos",
    target_os = "visionos",
    target_os = "watchos",
))]
fn raw_pipe(fds: &mut [libc::c_int; 2]) -> io::Result<bool> {
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    syscall!(pipe(fds.as_mut_ptr()))?;
    Ok(false)
}

/// Sets or clears `O_NONBLOCK` on `fd`.
#[allow(dead_code)]
pub(crate) fn set_nonblocking(fd: RawFd, nonblocking: bool) -> io::Result<()> {
    // SAFETY: fcntl on a caller-provided descriptor reads no memory; a bad
    // descriptor gives EBADF.
    let flags = syscall!(fcntl(fd, libc::F_GETFL))?;
    let wanted = if nonblocking {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    if wanted != flags {
        // SAFETY: as above.
        syscall!(fcntl(fd, libc::F_SETFL, wanted))?;
    }
    Ok(())
}
