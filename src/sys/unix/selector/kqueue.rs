//! The kqueue selector (macOS, iOS and the other Apple systems, FreeBSD,
//! NetBSD, OpenBSD, DragonFly): one kqueue, a descriptor's readable and
//! writable interests as two filters (`EVFILT_READ`, `EVFILT_WRITE`), each
//! added with `EV_CLEAR` so it is edge-triggered, the token in `udata`.
//!
//! kqueue(2), kevent(2) of each system. The flag arithmetic lives in
//! `kqueue_flags`, where it is unit-tested on every host.
//!
//! How this differs from epoll, as callers see it:
//! - A source that is both readable and writable can produce two events in
//!   one poll, one per filter, with the same token.
//! - The kernel does not refuse a second registration of a descriptor: the
//!   filters are updated, like a `reregister`. The socket and pipe types
//!   refuse it themselves (`AlreadyExists`); a `SourceFd` registered twice
//!   is updated instead. Likewise `reregister` of a descriptor that was
//!   never registered registers it. `deregister` fails with `NotFound` only
//!   if neither filter was registered.
//! - Each (de)registration is one `kevent` call whose changes carry
//!   `EV_RECEIPT`, so the kernel answers every change with its own error
//!   code and never hands out pending events in its place. If one filter of
//!   a `register` fails, the other may stay added; the error is returned.
//! - Deleting a filter, or closing the descriptor, also drops its pending
//!   events, so no event of a deregistered source is returned later.
//! - `Interest::AIO` and `Interest::LIO` add no filter: their events come
//!   from the `aiocb`s the caller submits with a `SIGEV_KEVENT` sigevent
//!   naming this kqueue (`Registry` is `AsRawFd`) and the token as value.

// Over libkqueue (Linux, `--cfg mio_unsupported_force_kqueue`, a test
// configuration) a few things differ from a kernel kqueue; the selector
// works around those it can, under that cfg only (`libkqueue_forget`, the
// change order in `apply`, the timeout rounding in `select`). What it cannot
// work around: libkqueue reads (and so clears) `SO_ERROR` and flags error
// events `EV_EOF`; its kqueue descriptor never polls readable; and it hands
// out at most 512 kevents a call, dropping the epoll events whose READ and
// WRITE kevents do not fit (their edges are lost).

use std::os::unix::io::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use std::{io, mem, ptr};

use super::super::kqueue_sys as kq;
use super::kqueue_flags::{settle, Change, Changes, Consts, Outcome, MAX_CHANGES};
use crate::sys::wake_flag::WakeFlags;
use crate::sys::EventBuf;
use crate::{Interest, Token};

/// What the kernel writes per ready filter: a `kevent`, wrapped so that
/// `Events` and `Event` can be `Send` and `Sync`.
#[repr(transparent)]
#[derive(Clone)]
pub(crate) struct RawEvent(kq::kevent);

// SAFETY: the only field that is not plain data is `udata`, a `void *` on
// most systems. The selector stores a token there and only ever reads it
// back as an integer; the pointer is never dereferenced, so moving or
// sharing a `RawEvent` between threads is as safe as doing so with a
// `usize`.
unsafe impl Send for RawEvent {}
// SAFETY: as above; `RawEvent` has no interior mutability.
unsafe impl Sync for RawEvent {}

/// The type of `kevent.filter` and `kevent.flags`.
#[cfg(not(target_os = "netbsd"))]
pub(crate) type Filter = libc::c_short;
#[cfg(not(target_os = "netbsd"))]
pub(crate) type Flags = libc::c_ushort;
#[cfg(target_os = "netbsd")]
pub(crate) type Filter = u32;
#[cfg(target_os = "netbsd")]
pub(crate) type Flags = u32;

/// Where the `Waker` is built on `EVFILT_USER`; NetBSD and OpenBSD use the
/// pipe waker (their user filter is recent or missing). `linux` here means
/// libkqueue (`--cfg mio_unsupported_force_kqueue`), which has the filter.
#[cfg(any(
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "ios",
    target_os = "linux",
    target_os = "macos",
    target_os = "tvos",
    target_os = "visionos",
    target_os = "watchos",
))]
const FILT_USER: Option<Filter> = Some(kq::EVFILT_USER);
#[cfg(not(any(
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "ios",
    target_os = "linux",
    target_os = "macos",
    target_os = "tvos",
    target_os = "visionos",
    target_os = "watchos",
)))]
const FILT_USER: Option<Filter> = None;

/// `EVFILT_AIO`, where `Interest::AIO` exists.
#[cfg(any(
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "ios",
    target_os = "macos",
    target_os = "tvos",
    target_os = "visionos",
    target_os = "watchos",
))]
const FILT_AIO: Option<Filter> = Some(kq::EVFILT_AIO);
#[cfg(not(any(
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "ios",
    target_os = "macos",
    target_os = "tvos",
    target_os = "visionos",
    target_os = "watchos",
)))]
const FILT_AIO: Option<Filter> = None;

/// `EVFILT_LIO`, FreeBSD only.
#[cfg(target_os = "freebsd")]
const FILT_LIO: Option<Filter> = Some(kq::EVFILT_LIO);
#[cfg(not(target_os = "freebsd"))]
const FILT_LIO: Option<Filter> = None;

/// This system's `<sys/event.h>` numbers.
const HOST: Consts<Filter, Flags> = Consts {
    filt_read: kq::EVFILT_READ,
    filt_write: kq::EVFILT_WRITE,
    filt_user: FILT_USER,
    filt_timer: kq::EVFILT_TIMER,
    filt_aio: FILT_AIO,
    filt_lio: FILT_LIO,
    ev_add: kq::EV_ADD,
    ev_delete: kq::EV_DELETE,
    ev_clear: kq::EV_CLEAR,
    ev_receipt: kq::EV_RECEIPT,
    ev_eof: kq::EV_EOF,
    ev_error: kq::EV_ERROR,
    note_trigger: kq::NOTE_TRIGGER,
};

/// Source of selector ids; 0 is never handed out, it means "not registered".
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

#[derive(Debug)]
pub(crate) struct Selector {
    /// Shared by clones made with `try_clone`: they are the same queue.
    id: usize,
    /// One descriptor shared by every clone (the `Registry` clones, the
    /// `Waker`, registered `Timer`s), closed when the last one goes. Sharing
    /// it rather than `dup`ing it costs no descriptor per clone, and is what
    /// libkqueue needs: it knows a kqueue by its descriptor number only, so
    /// a `dup` of one is not a kqueue to it.
    kq: Arc<OwnedFd>,
    /// The wake flags of the `Waker`s of this kqueue, cleared after every
    /// wait (`sys/wake_flag.rs`).
    wake_flags: Arc<WakeFlags>,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        Ok(Selector {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            kq: Arc::new(new_kqueue()?),
            wake_flags: Arc::new(WakeFlags::new()),
        })
    }

    pub(crate) fn try_clone(&self) -> io::Result<Selector> {
        Ok(Selector {
            id: self.id,
            kq: Arc::clone(&self.kq),
            wake_flags: Arc::clone(&self.wake_flags),
        })
    }

    /// The wake flags the `Waker`s of this kqueue register with.
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
        // libkqueue (Linux) hands the timeout to epoll_wait as an `int` of
        // milliseconds, rounded down and computed without an overflow check:
        // a sub-millisecond wait would return at once, and one of 2^31 ms or
        // more would wrap. Rounding up to whole milliseconds keeps "never
        // early"; the cap (24.8 days, as epoll's own) keeps it from
        // wrapping. Kernels take the timespec as it is.
        #[cfg(target_os = "linux")]
        let timeout = timeout.map(|t| {
            let ms = ((t.as_nanos() + 999_999) / 1_000_000).min(libc::c_int::MAX as u128);
            Duration::from_millis(ms as u64)
        });
        let timeout = timeout.map(to_timespec);
        let timeout_ptr = timeout
            .as_ref()
            .map_or(ptr::null(), |ts| ts as *const libc::timespec);
        let buf = events.raw_mut();
        buf.clear();
        // SAFETY: no changelist; the kernel writes at most `capacity`
        // entries (capped by `count`), which fit in the vector's allocation
        // (`RawEvent` is a transparent `kevent`), and `buf` is exclusively
        // borrowed for the call. `timeout_ptr` is null (wait forever) or
        // points at `timeout`, alive until the call returns.
        let res = syscall!(kq::kevent(
            self.kq.as_raw_fd(),
            ptr::null(),
            0,
            buf.as_mut_ptr().cast::<kq::kevent>(),
            count(buf.capacity()),
            timeout_ptr,
        ));
        // After the wait, whatever it returned, and before the events are
        // handed back: see `sys/wake_flag.rs`. A trigger the wait did not
        // collect stays pending in the kqueue for the next one.
        self.wake_flags.clear_all();
        let n = res?;
        // SAFETY: kevent initialised the first `n` entries (n <= capacity).
        unsafe { buf.set_len(n as usize) };
        Ok(())
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        self.libkqueue_forget(fd);
        let changes = HOST.register(interests);
        self.apply(fd_ident(fd), usize::from(token), &changes, false)
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        self.libkqueue_forget(fd);
        let changes = HOST.reregister(interests);
        self.apply(fd_ident(fd), usize::from(token), &changes, false)
    }

    /// libkqueue only (Linux): deletes whatever filters `fd` has, so that
    /// the add that follows is a fresh one. Two ways libkqueue differs from
    /// a kernel kqueue make this necessary:
    /// - it keeps the filters of a descriptor that was closed without being
    ///   deregistered, and adding them to a new descriptor with the same
    ///   number only updates them, which leaves the new one silent;
    /// - an add that updates a registered filter does not look at the
    ///   descriptor's state again, so a `reregister` of a source that is
    ///   ready already would report nothing.
    ///
    /// A kernel kqueue drops a descriptor's filters on close and checks the
    /// state on every add, so native systems need none of this.
    #[cfg(target_os = "linux")]
    fn libkqueue_forget(&self, fd: RawFd) {
        let _ = self.apply(fd_ident(fd), 0, &HOST.deregister(), false);
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.apply(fd_ident(fd), 0, &HOST.deregister(), true)
    }

    /// Adds the user event the `Waker` for `token` triggers. Its `ident` is
    /// the token too: user events live in their own namespace, apart from
    /// descriptors.
    #[cfg(all(
        any(
            target_os = "dragonfly",
            target_os = "freebsd",
            target_os = "ios",
            target_os = "linux",
            target_os = "macos",
            target_os = "tvos",
            target_os = "visionos",
            target_os = "watchos",
        ),
        not(mio_unsupported_force_waker_pipe)
    ))]
    pub(crate) fn setup_waker(&self, token: Token) -> io::Result<()> {
        let token = usize::from(token);
        let change = HOST.user_add(kq::EVFILT_USER);
        self.apply(token, token, &Changes::one(change), false)
    }

    /// Triggers the user event added by [`Selector::setup_waker`]. Wakes
    /// coalesce: `EV_CLEAR` resets the event when a poll returns it.
    #[cfg(all(
        any(
            target_os = "dragonfly",
            target_os = "freebsd",
            target_os = "ios",
            target_os = "linux",
            target_os = "macos",
            target_os = "tvos",
            target_os = "visionos",
            target_os = "watchos",
        ),
        not(mio_unsupported_force_waker_pipe)
    ))]
    pub(crate) fn wake(&self, token: Token) -> io::Result<()> {
        let token = usize::from(token);
        let change = HOST.user_trigger(kq::EVFILT_USER);
        loop {
            match self.apply(token, token, &Changes::one(change), false) {
                // Triggering twice is harmless, so a retry is safe.
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                result => return result,
            }
        }
    }

    /// Deletes the user event of the `Waker` for `token`, and with it a
    /// wake not yet collected: a dropped `Waker` leaves nothing behind.
    #[cfg(all(
        any(
            target_os = "dragonfly",
            target_os = "freebsd",
            target_os = "ios",
            target_os = "linux",
            target_os = "macos",
            target_os = "tvos",
            target_os = "visionos",
            target_os = "watchos",
        ),
        not(mio_unsupported_force_waker_pipe)
    ))]
    pub(crate) fn remove_waker(&self, token: Token) -> io::Result<()> {
        let token = usize::from(token);
        let change = HOST.user_delete(kq::EVFILT_USER);
        self.apply(token, token, &Changes::one(change), true)
    }

    /// Submits one `EVFILT_TIMER` change for the timer `ident`, reporting
    /// to `token`. Timers have their own ident namespace, apart from
    /// descriptors and user events. Deleting a timer that is not there
    /// (it was one-shot and fired) is not an error.
    #[cfg(feature = "timer")]
    pub(crate) fn submit_timer(
        &self,
        ident: usize,
        token: Token,
        filter: Filter,
        flags: Flags,
        fflags: u32,
        data: i64,
    ) -> io::Result<()> {
        let mut kev = blank_kevent();
        kev.ident = ident as libc::uintptr_t;
        kev.filter = filter;
        kev.flags = flags | kq::EV_RECEIPT;
        kev.fflags = fflags;
        kev.data = data as _;
        kev.udata = Udata::from_token(usize::from(token));
        let mut receipt = blank_kevent();
        let no_wait = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: one initialised change and room for its one receipt, both
        // alive until the call returns; with EV_RECEIPT the kernel answers
        // the change in `receipt` and hands out no pending event, and the
        // zero timeout means it never waits.
        syscall!(kq::kevent(
            self.kq.as_raw_fd(),
            &kev,
            1,
            &mut receipt,
            1,
            &no_wait,
        ))?;
        let errno = if receipt.flags & kq::EV_ERROR != 0 {
            wide(receipt.data)
        } else {
            0
        };
        match errno {
            0 => Ok(()),
            e if e == i64::from(libc::ENOENT) && flags & kq::EV_DELETE != 0 => Ok(()),
            e => Err(io::Error::from_raw_os_error(
                i32::try_from(e).unwrap_or(libc::EIO),
            )),
        }
    }

    /// Submits `changes` for `ident` in one kevent call, reads the receipt
    /// of each, and turns them into one result (see `settle`).
    fn apply(
        &self,
        ident: libc::uintptr_t,
        udata: usize,
        changes: &Changes<Filter, Flags>,
        missing_everywhere_is_error: bool,
    ) -> io::Result<()> {
        let changes = changes.as_slice();
        if changes.is_empty() {
            return Ok(());
        }
        let n = changes.len();
        let mut list = [blank_kevent(); MAX_CHANGES];
        for (slot, change) in list.iter_mut().zip(changes) {
            *slot = kevent_for(ident, change, udata);
        }
        // libkqueue (Linux) keeps one epoll entry per descriptor for both
        // filters, and an add of a second filter rebuilds that entry from
        // the first filter's read/write bits only: after READ then WRITE it
        // no longer asks for EPOLLRDHUP, and a peer's shutdown never shows
        // up as EV_EOF. Adding WRITE first and READ second keeps it. A
        // kernel kqueue keeps the filters apart, in any order.
        #[cfg(target_os = "linux")]
        list[..n].reverse();
        let mut receipts = [blank_kevent(); MAX_CHANGES];
        let no_wait = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `list` holds `n` initialised changes and `receipts` has
        // room for `n` entries (n <= MAX_CHANGES); both and `no_wait` live
        // until the call returns. With EV_RECEIPT every change produces one
        // receipt, so the kernel fills `receipts` with them and returns no
        // pending events; the zero timeout makes sure it never waits.
        let got = syscall!(kq::kevent(
            self.kq.as_raw_fd(),
            list.as_ptr(),
            count(n),
            receipts.as_mut_ptr(),
            count(n),
            &no_wait,
        ))?;
        let receipts = &receipts[..(got as usize).min(n)];
        let mut outcomes = [Outcome::Applied; MAX_CHANGES];
        for (outcome, change) in outcomes.iter_mut().zip(changes) {
            // One change per filter, so the filter names the receipt.
            if let Some(receipt) = receipts.iter().find(|r| r.filter == change.filter) {
                *outcome = HOST.judge(change, receipt.flags, wide(receipt.data));
            }
        }
        settle(&outcomes[..n], missing_everywhere_is_error).map_err(io::Error::from_raw_os_error)
    }
}

impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        self.kq.as_raw_fd()
    }
}

impl AsFd for Selector {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.kq.as_fd()
    }
}

/// A new kqueue, close-on-exec.
fn new_kqueue() -> io::Result<OwnedFd> {
    #[cfg(target_os = "netbsd")]
    {
        // SAFETY: no pointers; returns a new descriptor or -1.
        let fd = syscall!(kqueue1(libc::O_CLOEXEC))?;
        // SAFETY: `fd` was just created and is owned by nothing else.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
    #[cfg(not(target_os = "netbsd"))]
    {
        // SAFETY: no arguments; returns a new descriptor or -1.
        let fd = syscall!(kq::kqueue())?;
        // SAFETY: `fd` was just created and is owned by nothing else;
        // wrapping it first means an error below closes it.
        let kq = unsafe { OwnedFd::from_raw_fd(fd) };
        // kqueue(2) has no close-on-exec flag here. A kqueue is not
        // inherited by fork(2) anyway, but a plain exec(3) would keep it.
        // SAFETY: fcntl with F_SETFD takes an integer and reads no memory.
        syscall!(fcntl(kq.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC))?;
        Ok(kq)
    }
}

/// A descriptor as a kevent `ident`. Valid descriptors are non-negative;
/// a negative one turns into an ident no descriptor has, and EBADF.
fn fd_ident(fd: RawFd) -> libc::uintptr_t {
    fd as libc::uintptr_t
}

fn blank_kevent() -> kq::kevent {
    // SAFETY: `kevent` is integers plus `udata` (a pointer or an integer,
    // depending on the system) and, on some systems, an array of integers:
    // all zeroes is a valid value for every field.
    unsafe { mem::zeroed() }
}

fn kevent_for(ident: libc::uintptr_t, change: &Change<Filter, Flags>, udata: usize) -> kq::kevent {
    let mut kev = blank_kevent();
    kev.ident = ident;
    kev.filter = change.filter;
    kev.flags = change.flags;
    kev.fflags = change.fflags;
    kev.udata = Udata::from_token(udata);
    kev
}

/// The `nchanges`/`nevents` argument type of kevent(2): `int` on most
/// systems, `size_t` on NetBSD. Capped so that the `int` the call returns
/// can count them.
#[cfg(not(target_os = "netbsd"))]
fn count(n: usize) -> libc::c_int {
    n.min(libc::c_int::MAX as usize) as libc::c_int
}
#[cfg(target_os = "netbsd")]
fn count(n: usize) -> libc::size_t {
    n.min(libc::c_int::MAX as usize)
}

/// `kevent.data` is `intptr_t` on some systems and `int64_t` on others;
/// both fit an `i64` on every target Rust supports.
fn wide<D: TryInto<i64>>(data: D) -> i64 {
    data.try_into().unwrap_or(i64::MAX)
}

/// A timespec for `timeout`. Nanoseconds are exact, so nothing rounds; an
/// absurdly long timeout is capped at what `time_t` holds.
fn to_timespec(timeout: Duration) -> libc::timespec {
    let max_secs = libc::time_t::MAX as u64;
    libc::timespec {
        tv_sec: timeout.as_secs().min(max_secs) as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    }
}

/// The token in `kevent.udata`, whose type is `void *` on most systems but
/// is `intptr_t` on NetBSD in `libc` releases before 0.2.17x. Implemented
/// for both, so the selector builds with any `libc` the manifest allows.
trait Udata: Copy {
    fn from_token(token: usize) -> Self;
    fn token(self) -> usize;
}

impl Udata for *mut libc::c_void {
    fn from_token(token: usize) -> Self {
        token as *mut libc::c_void
    }

    fn token(self) -> usize {
        self as usize
    }
}

impl Udata for libc::intptr_t {
    fn from_token(token: usize) -> Self {
        token as libc::intptr_t
    }

    fn token(self) -> usize {
        self as usize
    }
}

/// Reading a kevent the way mio documents it for kqueue.
pub(crate) mod event {
    use std::fmt;

    use super::{Filter, Flags, RawEvent, Udata, HOST};
    use crate::Token;

    pub(crate) fn token(raw: &RawEvent) -> Token {
        Token({ raw.0.udata }.token())
    }

    pub(crate) fn is_readable(raw: &RawEvent) -> bool {
        HOST.is_readable(raw.0.filter)
    }

    pub(crate) fn is_writable(raw: &RawEvent) -> bool {
        HOST.is_writable(raw.0.filter)
    }

    pub(crate) fn is_error(raw: &RawEvent) -> bool {
        HOST.is_error(raw.0.flags, raw.0.fflags)
    }

    pub(crate) fn is_read_closed(raw: &RawEvent) -> bool {
        HOST.is_read_closed(raw.0.filter, raw.0.flags)
    }

    pub(crate) fn is_write_closed(raw: &RawEvent) -> bool {
        HOST.is_write_closed(raw.0.filter, raw.0.flags)
    }

    /// kqueue has no priority readiness.
    pub(crate) fn is_priority(_: &RawEvent) -> bool {
        false
    }

    pub(crate) fn is_aio(raw: &RawEvent) -> bool {
        HOST.is_aio(raw.0.filter)
    }

    pub(crate) fn is_lio(raw: &RawEvent) -> bool {
        HOST.is_lio(raw.0.filter)
    }

    /// The raw fields, flags by name, for `{:#?}`.
    pub(crate) struct Details<'a>(pub(crate) &'a RawEvent);

    impl fmt::Debug for Details<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            // A copy: `kevent` is packed on Apple's systems, so its fields
            // must not be borrowed in place.
            let kev: super::kq::kevent = self.0 .0;
            let (ident, filter, flags) = (kev.ident, kev.filter, kev.flags);
            let (fflags, data, udata) = (kev.fflags, kev.data, kev.udata);
            f.debug_struct("kevent")
                .field("ident", &ident)
                .field("filter", &FilterName(filter))
                .field("flags", &FlagNames(flags))
                .field("fflags", &fflags)
                .field("data", &data)
                .field("udata", &udata.token())
                .finish()
        }
    }

    struct FilterName(Filter);

    impl fmt::Debug for FilterName {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match HOST.filter_name(self.0) {
                Some(name) => f.write_str(name),
                None => write!(f, "{}", self.0),
            }
        }
    }

    struct FlagNames(Flags);

    impl fmt::Debug for FlagNames {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let mut first = true;
            for name in HOST.flag_names(self.0) {
                if !first {
                    f.write_str(" | ")?;
                }
                f.write_str(name)?;
                first = false;
            }
            if first {
                f.write_str("(none)")?;
            }
            Ok(())
        }
    }
}
