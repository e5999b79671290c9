//! The epoll selector (Linux, Android, illumos, Redox): one epoll instance,
//! every source registered edge-triggered (`EPOLLET`), the token stored in
//! the event's `u64`.
//!
//! epoll(7), epoll_ctl(2), epoll_wait(2); illumos: epoll(5).

use std::os::unix::io::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use std::{io, ptr};

use crate::sys::EventBuf;
use crate::{Interest, Token};

/// What the kernel writes per ready source.
pub(crate) type RawEvent = libc::epoll_event;

/// Source of selector ids; 0 is never handed out, it means "not registered".
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

#[derive(Debug)]
pub(crate) struct Selector {
    /// Shared by clones made with `try_clone`: they are the same queue.
    id: usize,
    ep: OwnedFd,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        // SAFETY: no pointers; returns a new descriptor or -1.
        let fd = syscall!(epoll_create1(libc::EPOLL_CLOEXEC))?;
        // SAFETY: `fd` was just created and is owned by nothing else.
        let ep = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Selector {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            ep,
        })
    }

    pub(crate) fn try_clone(&self) -> io::Result<Selector> {
        let ep = self.ep.try_clone()?;
        Ok(Selector { id: self.id, ep })
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn id(&self) -> usize {
        self.id
    }

    pub(crate) fn select(
        &self,
        events: &mut EventBuf,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        let timeout_ms = timeout.map_or(-1, timeout_millis);
        let buf = events.raw_mut();
        buf.clear();
        let max = max_events(buf.capacity());
        // SAFETY: the kernel writes at most `max` entries, which fit in the
        // vector's allocation; `buf` is exclusively borrowed for the call.
        let n = syscall!(epoll_wait(
            self.ep.as_raw_fd(),
            buf.as_mut_ptr(),
            max,
            timeout_ms
        ))?;
        // SAFETY: epoll_wait initialised the first `n` entries (n <= max).
        unsafe { buf.set_len(n as usize) };
        Ok(())
    }

    pub(crate) fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        let mut ev = new_event(interest_to_epoll(interests), token);
        // SAFETY: `ev` is a valid epoll_event for the duration of the call.
        syscall!(epoll_ctl(
            self.ep.as_raw_fd(),
            libc::EPOLL_CTL_ADD,
            fd,
            &mut ev
        ))
        .map(drop)
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let mut ev = new_event(interest_to_epoll(interests), token);
        // SAFETY: `ev` is a valid epoll_event for the duration of the call.
        syscall!(epoll_ctl(
            self.ep.as_raw_fd(),
            libc::EPOLL_CTL_MOD,
            fd,
            &mut ev
        ))
        .map(drop)
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        // SAFETY: EPOLL_CTL_DEL ignores the event argument (Linux >= 2.6.9).
        syscall!(epoll_ctl(
            self.ep.as_raw_fd(),
            libc::EPOLL_CTL_DEL,
            fd,
            ptr::null_mut()
        ))
        .map(drop)
    }
}

impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        self.ep.as_raw_fd()
    }
}

impl AsFd for Selector {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.ep.as_fd()
    }
}

/// The `maxevents` argument of epoll_wait for a buffer of `capacity`
/// events: Linux refuses (`EINVAL`) more than `INT_MAX` bytes' worth of
/// events, whatever the buffer holds.
fn max_events(capacity: usize) -> libc::c_int {
    let limit = libc::c_int::MAX as usize / std::mem::size_of::<RawEvent>();
    capacity.min(limit) as libc::c_int
}

/// An `epoll_event` carrying `token` in its `u64`.
fn new_event(events: u32, token: Token) -> libc::epoll_event {
    libc::epoll_event {
        events,
        u64: usize::from(token) as u64,
        #[cfg(target_os = "redox")]
        _pad: 0,
    }
}

/// Milliseconds for epoll_wait, rounded up so that a sub-millisecond timeout
/// sleeps instead of spinning, and capped at what a `c_int` holds.
fn timeout_millis(timeout: Duration) -> libc::c_int {
    const NANOS_PER_MILLI: u128 = 1_000_000;
    let millis = (timeout.as_nanos() + NANOS_PER_MILLI - 1) / NANOS_PER_MILLI;
    millis.min(libc::c_int::MAX as u128) as libc::c_int
}

fn interest_to_epoll(interests: Interest) -> u32 {
    let mut flags = libc::EPOLLET;
    if interests.is_readable() {
        // RDHUP lets `is_read_closed` see a peer's shutdown(SHUT_WR).
        flags |= libc::EPOLLIN | libc::EPOLLRDHUP;
    }
    if interests.is_writable() {
        flags |= libc::EPOLLOUT;
    }
    if interests.is_priority() {
        flags |= libc::EPOLLPRI;
    }
    flags as u32
}

/// Reading an epoll event the way mio documents it.
pub(crate) mod event {
    use std::fmt;

    use super::RawEvent;
    use crate::Token;

    fn flags(raw: &RawEvent) -> libc::c_int {
        // `epoll_event` is packed on x86_64: copy the field, never borrow it.
        let events = raw.events;
        events as libc::c_int
    }

    fn has(raw: &RawEvent, bits: libc::c_int) -> bool {
        flags(raw) & bits != 0
    }

    pub(crate) fn token(raw: &RawEvent) -> Token {
        let data = raw.u64;
        Token(data as usize)
    }

    pub(crate) fn is_readable(raw: &RawEvent) -> bool {
        has(raw, libc::EPOLLIN | libc::EPOLLPRI)
    }

    pub(crate) fn is_writable(raw: &RawEvent) -> bool {
        has(raw, libc::EPOLLOUT)
    }

    pub(crate) fn is_error(raw: &RawEvent) -> bool {
        has(raw, libc::EPOLLERR)
    }

    pub(crate) fn is_read_closed(raw: &RawEvent) -> bool {
        // A full hang-up closes both halves; RDHUP only counts together with
        // IN, which the kernel always sets alongside it for a read-side close.
        has(raw, libc::EPOLLHUP) || (has(raw, libc::EPOLLIN) && has(raw, libc::EPOLLRDHUP))
    }

    pub(crate) fn is_write_closed(raw: &RawEvent) -> bool {
        // HUP: both halves gone. OUT together with ERR: the write side failed
        // (e.g. EPIPE). A bare ERR is what a pipe's write end gets once its
        // reader closed.
        has(raw, libc::EPOLLHUP)
            || (has(raw, libc::EPOLLOUT) && has(raw, libc::EPOLLERR))
            || flags(raw) == libc::EPOLLERR
    }

    pub(crate) fn is_priority(raw: &RawEvent) -> bool {
        has(raw, libc::EPOLLPRI)
    }

    pub(crate) fn is_aio(_: &RawEvent) -> bool {
        false
    }

    pub(crate) fn is_lio(_: &RawEvent) -> bool {
        false
    }

    /// The raw flags by name, for `{:#?}`.
    pub(crate) struct Details<'a>(pub(crate) &'a RawEvent);

    impl fmt::Debug for Details<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            const NAMES: [(libc::c_int, &str); 8] = [
                (libc::EPOLLIN, "EPOLLIN"),
                (libc::EPOLLPRI, "EPOLLPRI"),
                (libc::EPOLLOUT, "EPOLLOUT"),
                (libc::EPOLLERR, "EPOLLERR"),
                (libc::EPOLLHUP, "EPOLLHUP"),
                (libc::EPOLLRDHUP, "EPOLLRDHUP"),
                (libc::EPOLLRDNORM, "EPOLLRDNORM"),
                (libc::EPOLLWRNORM, "EPOLLWRNORM"),
            ];
            struct Flags(libc::c_int);
            impl fmt::Debug for Flags {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    let mut first = true;
                    for (bit, name) in NAMES {
                        if self.0 & bit != 0 {
                            if !first {
                                f.write_str(" | ")?;
                            }
                            f.write_str(name)?;
                            first = false;
                        }
                    }
                    if first {
                        f.write_str("(empty)")?;
                    }
                    Ok(())
                }
            }
            let data = self.0.u64;
            f.debug_struct("epoll_event")
                .field("events", &Flags(flags(self.0)))
                .field("u64", &data)
                .finish()
        }
    }
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
        assert_eq!(
            timeout_millis(Duration::from_secs(u64::MAX)),
            libc::c_int::MAX
        );
    }

    #[test]
    fn interests_map_to_edge_triggered_flags() {
        let r = interest_to_epoll(Interest::READABLE) as libc::c_int;
        assert_eq!(r, libc::EPOLLET | libc::EPOLLIN | libc::EPOLLRDHUP);
        let w = interest_to_epoll(Interest::WRITABLE) as libc::c_int;
        assert_eq!(w, libc::EPOLLET | libc::EPOLLOUT);
        // `Interest::PRIORITY` exists on Linux and Android only, as in mio.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        {
            let p = interest_to_epoll(Interest::PRIORITY) as libc::c_int;
            assert_eq!(p, libc::EPOLLET | libc::EPOLLPRI);
        }
    }

    fn raw(flags: libc::c_int) -> RawEvent {
        new_event(flags as u32, Token(42))
    }

    #[test]
    fn capacities_stay_within_what_epoll_wait_accepts() {
        assert_eq!(max_events(0), 0);
        assert_eq!(max_events(1 << 20), 1 << 20);
        let limit = libc::c_int::MAX / std::mem::size_of::<RawEvent>() as libc::c_int;
        assert_eq!(max_events(usize::MAX), limit);
        assert_eq!(max_events(limit as usize + 1), limit);
    }

    #[test]
    fn tokens_keep_every_bit() {
        assert_eq!(
            event::token(&new_event(0, Token(usize::MAX))),
            Token(usize::MAX)
        );
    }

    #[test]
    fn accessors_follow_epoll_flags() {
        let e = raw(libc::EPOLLIN | libc::EPOLLRDHUP);
        assert!(event::is_readable(&e) && event::is_read_closed(&e));
        assert!(!event::is_write_closed(&e));
        assert_eq!(event::token(&e), Token(42));

        let e = raw(libc::EPOLLRDHUP);
        assert!(!event::is_read_closed(&e));

        let e = raw(libc::EPOLLERR);
        assert!(event::is_error(&e) && event::is_write_closed(&e));

        let e = raw(libc::EPOLLOUT | libc::EPOLLERR | libc::EPOLLHUP);
        assert!(event::is_write_closed(&e) && event::is_read_closed(&e));

        let e = raw(libc::EPOLLPRI);
        assert!(event::is_priority(&e) && event::is_readable(&e));
        assert!(!event::is_aio(&e) && !event::is_lio(&e));
    }
}
