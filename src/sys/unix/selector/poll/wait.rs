//! The poll(2) call itself, and how a timeout reaches it.
//!
//! Where libc has `ppoll` (Linux, Android, FreeBSD, DragonFly, NetBSD), the
//! timeout goes in as a `timespec`: a sub-millisecond timeout waits that
//! long, not a whole millisecond. Elsewhere (Apple systems and OpenBSD when
//! poll(2) is forced, illumos and Solaris, WASI) poll(2) takes milliseconds,
//! rounded up so that a sub-millisecond timeout sleeps instead of spinning.
//! Either way a zero timeout never blocks and `None` blocks until an event.

use std::io;
use std::time::Duration;

/// Waits for the descriptors in `fds` for at most `timeout` (`None`:
/// without limit); how many have results. EINTR comes back as
/// `Interrupted`, like epoll_wait's.
pub(super) fn poll(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> io::Result<usize> {
    #[cfg(any(
        target_os = "android",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "linux",
        target_os = "netbsd",
    ))]
    {
        let spec = timeout.map(timespec);
        let spec_ptr = spec
            .as_ref()
            .map_or(std::ptr::null(), |spec| spec as *const libc::timespec);
        // SAFETY: `fds` is an initialised array of `len` pollfds that nothing
        // else touches during the call; ppoll only writes their `revents`
        // fields. `spec_ptr` is null or points at a timespec that lives
        // until the call returns; a null signal mask leaves the mask alone.
        let n = syscall!(ppoll(
            fds.as_mut_ptr(),
            fds.len() as libc::nfds_t,
            spec_ptr,
            std::ptr::null()
        ))?;
        Ok(n as usize)
    }
    #[cfg(not(any(
        target_os = "android",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "linux",
        target_os = "netbsd",
    )))]
    {
        let millis = timeout.map_or(-1, timeout_millis);
        // SAFETY: `fds` is an initialised array of `len` pollfds that nothing
        // else touches during the call; poll(2) only writes their `revents`
        // fields.
        let n = syscall!(poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, millis))?;
        Ok(n as usize)
    }
}

/// `timeout` as a timespec; seconds beyond `time_t` are clamped (that is
/// longer than any program runs).
#[cfg_attr(
    not(any(
        target_os = "android",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "linux",
        target_os = "netbsd",
    )),
    allow(dead_code)
)]
fn timespec(timeout: Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: timeout.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as _,
    }
}

/// Milliseconds for poll(2), rounded up so that a sub-millisecond timeout
/// sleeps instead of spinning, and capped at what a `c_int` holds.
#[cfg_attr(
    any(
        target_os = "android",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "linux",
        target_os = "netbsd",
    ),
    allow(dead_code)
)]
fn timeout_millis(timeout: Duration) -> libc::c_int {
    const NANOS_PER_MILLI: u128 = 1_000_000;
    let millis = (timeout.as_nanos() + NANOS_PER_MILLI - 1) / NANOS_PER_MILLI;
    millis.min(libc::c_int::MAX as u128) as libc::c_int
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_round_up_to_whole_milliseconds() {
        assert_eq!(timeout_millis(Duration::ZERO), 0);
        assert_eq!(timeout_millis(Duration::from_nanos(1)), 1);
        assert_eq!(timeout_millis(Duration::from_micros(999)), 1);
        assert_eq!(timeout_millis(Duration::from_millis(1)), 1);
        assert_eq!(timeout_millis(Duration::from_micros(1001)), 2);
        assert_eq!(timeout_millis(Duration::MAX), libc::c_int::MAX);
    }

    #[test]
    fn timespecs_keep_sub_millisecond_parts_and_clamp() {
        let ts = timespec(Duration::from_micros(200));
        assert_eq!((ts.tv_sec, ts.tv_nsec), (0, 200_000));
        let ts = timespec(Duration::new(3, 7));
        assert_eq!((ts.tv_sec, ts.tv_nsec), (3, 7));
        let ts = timespec(Duration::MAX);
        assert_eq!(ts.tv_sec, libc::time_t::MAX);
        assert_eq!(ts.tv_nsec, 999_999_999);
    }
}
