//! `Timer` over a timerfd (timerfd_create(2)): `CLOCK_MONOTONIC`,
//! non-blocking, close-on-exec. The kernel keeps the schedule, counts the
//! expirations, and resets the count when the timer is set or read.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::io::{AsRawFd, FromRawFd, RawFd};
use std::ptr;
use std::time::Duration;

#[derive(Debug)]
pub(crate) struct Timer {
    fd: File,
}

impl Timer {
    pub(crate) fn new() -> io::Result<Timer> {
        // SAFETY: no pointers; returns a new descriptor or -1.
        let raw = syscall!(timerfd_create(
            libc::CLOCK_MONOTONIC,
            libc::TFD_NONBLOCK | libc::TFD_CLOEXEC
        ))?;
        // SAFETY: `raw` was just created and is owned by nothing else.
        let fd = unsafe { File::from_raw_fd(raw) };
        Ok(Timer { fd })
    }

    /// Arms the timer: first expiry after `first`, then every `interval`
    /// (never zero: the face refuses it). Discards unread expirations.
    pub(crate) fn set(&self, first: Duration, interval: Option<Duration>) -> io::Result<()> {
        // An all-zero `it_value` would disarm the timer; the earliest
        // expiry a timerfd can be given is one nanosecond from now.
        let first = first.max(Duration::from_nanos(1));
        self.settime(timespec(first), interval.map_or(ZERO, timespec))
    }

    /// Disarms the timer and discards unread expirations.
    pub(crate) fn cancel(&self) -> io::Result<()> {
        self.settime(ZERO, ZERO)
    }

    fn settime(&self, value: libc::timespec, interval: libc::timespec) -> io::Result<()> {
        let spec = libc::itimerspec {
            it_interval: interval,
            it_value: value,
        };
        // SAFETY: `spec` is a valid itimerspec that outlives the call; the
        // old value is not asked for (null).
        syscall!(timerfd_settime(
            self.fd.as_raw_fd(),
            0,
            &spec,
            ptr::null_mut()
        ))
        .map(drop)
    }

    /// The expirations since the last read, or `WouldBlock`.
    pub(crate) fn read(&self) -> io::Result<u64> {
        let mut buf = [0u8; 8];
        // timerfd(2): a read gives exactly one u64, or fails with EAGAIN.
        let n = (&self.fd).read(&mut buf)?;
        if n != buf.len() {
            return Err(io::ErrorKind::InvalidData.into());
        }
        Ok(u64::from_ne_bytes(buf))
    }
}

impl AsRawFd for Timer {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

const ZERO: libc::timespec = libc::timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

/// `d` as a timespec; seconds beyond `time_t` are clamped (the kernel caps
/// them further, at about 292 years).
fn timespec(d: Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: d.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
        tv_nsec: d.subsec_nanos() as _,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespecs_clamp_instead_of_wrapping() {
        let ts = timespec(Duration::new(3, 7));
        assert_eq!((ts.tv_sec, ts.tv_nsec), (3, 7));
        let ts = timespec(Duration::MAX);
        assert_eq!(ts.tv_sec, libc::time_t::MAX);
    }
}
