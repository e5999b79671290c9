//! The epoll selector (Linux, Android, illumos, Redox): one epoll instance,
//! every source registered edge-triggered (`EPOLLET`), the token stored in
//! the event's `u64`.
//!
//! Timeouts: `epoll_pwait2` (Linux 5.11+) takes a `timespec`, so a timeout
//! that is not a whole number of milliseconds is waited for to the
//! nanosecond (plus the kernel's timer slack, 50 µs by default). The first
//! time the kernel answers `ENOSYS` (or `EPERM`, what some container
//! seccomp profiles return for system calls they do not know), that is
//! remembered process-wide and every later wait uses `epoll_wait`, whose
//! milliseconds are rounded up. `None`, zero and whole milliseconds always
//! go to `epoll_wait`, which is exact for them. 32-bit targets use
//! `epoll_wait` only: their `libc::timespec` need not be the kernel's
//! 64-bit one.
//!
//! Wakes: after every wait, and before the events are handed back, the
//! flags of the `Waker`s registered here are cleared (`sys/wake_flag.rs`).
//!
//! epoll(7), epoll_ctl(2), epoll_wait(2), epoll_pwait2(2); illumos: epoll(5).

use std::os::unix::io::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use std::{io, ptr};

use crate::sys::wake_flag::WakeFlags;
use crate::sys::EventBuf;
use crate::{Interest, Token};

/// What the kernel writes per ready source.
pub(crate) type RawEvent = libc::epoll_event;

/// Source of selector ids; 0 is never handed out, it means "not registered".
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

/// Set once `epoll_pwait2` turned out to be missing: from then on every
/// wait in this process uses `epoll_wait`. Only a hint (relaxed): a thread
/// that has not seen it yet gets `ENOSYS` once more and falls back too.
static PWAIT2_MISSING: AtomicBool = AtomicBool::new(false);

#[derive(Debug)]
pub(crate) struct Selector {
    /// Shared by clones made with `try_clone`: they are the same queue.
    id: usize,
    ep: OwnedFd,
    /// The flags of the `Waker`s registered here; shared by clones.
    wake_flags: Arc<WakeFlags>,
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
            wake_flags: Arc::new(WakeFlags::new()),
        })
    }

    pub(crate) fn try_clone(&self) -> io::Result<Selector> {
        let ep = self.ep.try_clone()?;
        Ok(Selector {
            id: self.id,
            ep,
            wake_flags: Arc::clone(&self.wake_flags),
        })
    }

    /// Where a `Waker` registers its wake flag.
    pub(crate) fn wake_flags(&self) -> &WakeFlags {
        &self.wake_flags
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
        self.select_with(events, timeout, &PWAIT2_MISSING)
    }

    /// `select`, with the "is `epoll_pwait2` missing" flag as an argument so
    /// that tests can force the fallback.
    fn select_with(
        &self,
        events: &mut EventBuf,
        timeout: Option<Duration>,
        pwait2_missing: &AtomicBool,
    ) -> io::Result<()> {
        let buf = events.raw_mut();
        buf.clear();
        let max = max_events(buf.capacity());
        let res = wait(
            self.ep.as_raw_fd(),
            buf.as_mut_ptr(),
            max,
            timeout,
            pwait2_missing,
        );
        // After the wait, whatever it returned, and before the events are
        // handed back: see `sys/wake_flag.rs`.
        self.wake_flags.clear_all();
        let n = res?;
        // SAFETY: the wait initialised the first `n` entries (n <= max).
        unsafe { buf.set_len(n) };
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

/// One wait for at most `max` events into `buf`; returns how many arrived.
///
/// `buf` must have room for `max` entries.
fn wait(
    ep: RawFd,
    buf: *mut libc::epoll_event,
    max: libc::c_int,
    timeout: Option<Duration>,
    pwait2_missing: &AtomicBool,
) -> io::Result<usize> {
    // Miri emulates epoll_wait but not the raw epoll_pwait2 system call:
    // under it every wait takes the millisecond path.
    #[cfg(all(
        any(target_os = "linux", target_os = "android"),
        target_pointer_width = "64",
        not(miri)
    ))]
    if let Some(timeout) = timeout {
        if timeout.subsec_nanos() % 1_000_000 != 0 && !pwait2_missing.load(Ordering::Relaxed) {
            let ts = libc::timespec {
                tv_sec: timeout.as_secs().min(libc::time_t::MAX as u64) as libc::time_t,
                tv_nsec: timeout.subsec_nanos() as libc::c_long,
            };
            // SAFETY: the kernel writes at most `max` entries to `buf`,
            // which has room for them (the caller's contract); `ts` lives
            // for the call; a null signal mask means "leave it alone", and
            // its size argument is then ignored. On 64-bit targets
            // `libc::timespec` is the kernel's `__kernel_timespec`.
            let res = syscall!(syscall(
                libc::SYS_epoll_pwait2,
                ep,
                buf,
                max,
                &ts as *const libc::timespec,
                ptr::null::<libc::sigset_t>(),
                0usize
            ));
            match res {
                Ok(n) => return Ok(n as usize),
                Err(err)
                    if matches!(err.raw_os_error(), Some(libc::ENOSYS) | Some(libc::EPERM)) =>
                {
                    pwait2_missing.store(true, Ordering::Relaxed);
                }
                Err(err) => return Err(err),
            }
        }
    }
    #[cfg(not(all(
        any(target_os = "linux", target_os = "android"),
        target_pointer_width = "64",
        not(miri)
    )))]
    let _ = pwait2_missing;
    let timeout_ms = timeout.map_or(-1, timeout_millis);
    // SAFETY: the kernel writes at most `max` entries to `buf`, which has
    // room for them (the caller's contract).
    let n = syscall!(epoll_wait(ep, buf, max, timeout_ms))?;
    Ok(n as usize)
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

    /// Shortest of `tries` empty waits of `timeout`, each checked to last at
    /// least `timeout`.
    fn shortest_wait(sel: &Selector, timeout: Duration, missing: &AtomicBool) -> Duration {
        let mut events = EventBuf::with_capacity(4);
        let mut shortest = Duration::MAX;
        for _ in 0..20 {
            let start = std::time::Instant::now();
            sel.select_with(&mut events, Some(timeout), missing)
                .unwrap();
            let took = start.elapsed();
            assert!(events.events().is_empty());
            assert!(took >= timeout, "{:?} < {:?}", took, timeout);
            shortest = shortest.min(took);
        }
        shortest
    }

    #[test]
    fn fallback_rounds_sub_millisecond_timeouts_up() {
        // Forced fallback: `epoll_wait` in whole milliseconds.
        let sel = Selector::new().unwrap();
        let missing = AtomicBool::new(true);
        let shortest = shortest_wait(&sel, Duration::from_micros(200), &missing);
        assert!(
            shortest >= Duration::from_millis(1),
            "fallback waited only {:?}",
            shortest
        );
        // Zero never blocks on either path.
        let mut events = EventBuf::with_capacity(4);
        sel.select_with(&mut events, Some(Duration::ZERO), &missing)
            .unwrap();
    }

    #[test]
    fn epoll_pwait2_waits_less_than_a_millisecond() {
        let sel = Selector::new().unwrap();
        let missing = AtomicBool::new(false);
        let shortest = shortest_wait(&sel, Duration::from_micros(200), &missing);
        if missing.load(Ordering::Relaxed) || cfg!(any(not(target_pointer_width = "64"), miri)) {
            // A kernel older than 5.11 (or an emulator without the call), or
            // a 32-bit target, which always waits with `epoll_wait`: whole
            // milliseconds.
            assert!(shortest >= Duration::from_millis(1));
        } else {
            assert!(
                shortest < Duration::from_millis(1),
                "shortest 200 µs wait took {:?}",
                shortest
            );
        }
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
