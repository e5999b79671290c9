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
    #[cfg(not(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
    )))]
    {
        // SAFETY: `fds` has room for the two descriptors pipe2 writes.
        syscall!(pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC))?;
    }
    #[cfg(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
    ))]
    {
        // Apple has no pipe2(2): set the flags right after creation.
        // SAFETY: `fds` has room for the two descriptors pipe writes.
        syscall!(pipe(fds.as_mut_ptr()))?;
    }
    // SAFETY: both descriptors were just created and are owned by nothing
    // else; wrapping them first means an error below closes them.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    #[cfg(any(
        target_os = "macos",
        target_os = "ios",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
    ))]
    {
        use std::os::fd::AsRawFd;
        for fd in [&read, &write] {
            // SAFETY: plain fcntl on a descriptor we own.
            syscall!(fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC))?;
            set_nonblocking(fd.as_raw_fd(), true)?;
        }
    }
    Ok((read, write))
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
