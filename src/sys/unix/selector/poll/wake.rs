//! The selector's own wake descriptor, which makes a blocked poll(2)
//! return when another thread changes the table: an eventfd on
//! Linux/Android, a non-blocking pipe elsewhere, nothing on WASI.

use std::io;
#[cfg(unix)]
use std::os::fd::AsRawFd;
use std::os::fd::{OwnedFd, RawFd};

/// Reads `fd` (non-blocking) until it is empty: an eventfd's counter or a
/// pipe's bytes.
pub(super) fn drain(fd: RawFd) {
    let mut buf = [0u8; 256];
    loop {
        // SAFETY: reads at most `buf.len()` bytes into a local buffer.
        match syscall!(read(fd, buf.as_mut_ptr().cast(), buf.len())) {
            Ok(n) if n > 0 => {}
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            // Empty (EAGAIN), end-of-file, or an error: nothing more to read.
            _ => return,
        }
    }
}

#[cfg(unix)]
pub(super) struct WakeFd {
    /// What poll(2) waits on; on Linux also what is written.
    pub(super) read: OwnedFd,
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    write: OwnedFd,
}

#[cfg(unix)]
impl WakeFd {
    pub(super) fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// A descriptor of its own for a `Registry` clone.
    pub(super) fn duplicate(&self) -> io::Result<Option<OwnedFd>> {
        self.read.try_clone().map(Some)
    }

    pub(super) fn drain(&self) {
        drain(self.read.as_raw_fd());
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(super) fn new() -> io::Result<WakeFd> {
        use std::os::fd::FromRawFd;
        // SAFETY: no pointers; returns a new descriptor or -1.
        let fd = syscall!(eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK))?;
        // SAFETY: `fd` was just created and is owned by nothing else.
        let read = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(WakeFd { read })
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub(super) fn new() -> io::Result<WakeFd> {
        let (read, write) = crate::sys::unix::new_pipe()?;
        Ok(WakeFd { read, write })
    }

    pub(super) fn signal(&self) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let (fd, bytes) = (self.read.as_raw_fd(), 1u64.to_ne_bytes());
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let (fd, bytes) = (self.write.as_raw_fd(), [1u8]);
        // SAFETY: writes `bytes.len()` bytes from a local buffer. The only
        // failure of this non-blocking write is EAGAIN (a full pipe, a
        // saturated counter), which means a wake is pending anyway.
        let _ = syscall!(write(fd, bytes.as_ptr().cast(), bytes.len()));
    }
}

/// WASI (preview 2) has no eventfd and no pipe, and needs none: it runs one
/// thread, so no register, re-arm or wake can happen while that thread is
/// blocked in poll(2), and nothing ever has to interrupt it. Slot 0 keeps a
/// descriptor of -1, which poll(2) skips; a `Waker` is a flag that `select`
/// checks before polling (see `waker/flag.rs`).
#[cfg(not(unix))]
pub(super) struct WakeFd;

#[cfg(not(unix))]
impl WakeFd {
    #[allow(clippy::unnecessary_wraps)]
    pub(super) fn new() -> io::Result<WakeFd> {
        Ok(WakeFd)
    }

    pub(super) fn fd(&self) -> RawFd {
        -1
    }

    #[allow(clippy::unnecessary_wraps)]
    pub(super) fn duplicate(&self) -> io::Result<Option<OwnedFd>> {
        Ok(None)
    }

    pub(super) fn drain(&self) {}

    pub(super) fn signal(&self) {}
}
