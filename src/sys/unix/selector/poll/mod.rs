//! The portable selector: poll(2) over a table of registered descriptors,
//! with epoll's edge-triggered semantics emulated in user space.
//!
//! Compiled with `--cfg mio_unsupported_force_poll_poll` on any Unix, and by
//! default on Unix targets that have neither epoll nor kqueue. poll(2)
//! (ppoll(2) where libc has it, for timeouts finer than a millisecond),
//! eventfd(2), pipe(2).
//!
//! # Shape
//!
//! A `Poll` and all its `Registry` clones share one `State` (an `Arc`):
//!
//! * the **table**, behind one mutex: a `Vec<pollfd>` ready to be handed to
//!   poll(2), a parallel `Vec` of per-descriptor state (token, interests,
//!   what is armed, kind of registration) and a `HashMap` from descriptor to
//!   slot. Slot 0 is the wake descriptor. Registering appends; deregistering
//!   is a swap-remove plus one map update; nothing scans the table.
//! * the **wake descriptor**: an eventfd on Linux/Android, a non-blocking
//!   pipe elsewhere. It is always in the poll set.
//! * the **poller's buffer**: a private copy of the `pollfd` array, which
//!   is what poll(2) actually waits on.
//!
//! # Locking and waking
//!
//! `select` holds the table lock twice per poll(2) call and never across
//! it: once to copy the `pollfd` array into its buffer and mark "a poll is in
//! progress", once afterwards to turn the results into events. Any thread
//! that changes the table (register, reregister, deregister, a source
//! re-armed by its I/O, a source dropped) takes the lock, edits, and, if a
//! poll is in progress and no wake is pending yet, writes to the wake
//! descriptor. The blocked poll(2) returns, `select` drains the wake
//! descriptor, takes a fresh copy and polls again with what is left of the
//! timeout; a change made during `poll(None)` thus takes effect at once, and
//! the caller does not see an empty return for it. Deregistering wakes the
//! poll as well: Linux's poll(2) holds a reference to every file it waits
//! on, so a socket closed right after being deregistered would otherwise
//! stay open (no FIN sent) until the poll returned.
//!
//! # Edge triggering
//!
//! poll(2) is level-triggered. How an edge is emulated depends on who does
//! the descriptor's I/O:
//!
//! * **The crate's own sources** (`IoSource`: every socket and pipe type).
//!   Their I/O goes through `IoSourceState::do_io`. Once an event has
//!   reported a readiness, that readiness (`POLLIN`, `POLLOUT`, `POLLPRI`,
//!   `POLLRDHUP`, each on its own) is no longer polled for, until an I/O
//!   call on the source returns `WouldBlock` (which re-arms every interest)
//!   or the source is reregistered. That is exactly the contract users
//!   already follow for epoll, so no event is lost; re-arming all interests
//!   at once can cost an extra, spurious, event. A disarmed descriptor stays
//!   in the set with an empty event mask, so a hang-up or an error is still
//!   seen. poll(2) reports `POLLHUP` and `POLLERR` whatever is asked for, so
//!   once one of them has been reported the descriptor is parked outside
//!   the set (`fd = -1`) until it is re-armed the same way; it stays
//!   registered.
//! * **Other sources** (`unix::SourceFd`, and so Tokio's `AsyncFd`, or any
//!   custom `Source`): mio never sees their I/O, so it cannot know when they
//!   reach `WouldBlock`, and an edge rule could go silent forever. They are
//!   **level-triggered**: reported by every poll while the condition holds
//!   (including a hang-up or an error). Nothing is lost; a descriptor that
//!   stays ready without being serviced makes `poll` return at once, so
//!   consume it or deregister it.
//! * **The `Waker`**: level-triggered too, and the selector drains its
//!   descriptor when it reports it, so each batch of wakes is one event. The
//!   waker owns its registration and ends it before closing the descriptor.
//!
//! # Closed descriptors
//!
//! A descriptor closed while registered (a source dropped without being
//! deregistered) gets `POLLNVAL` from the next poll; its entry is removed
//! silently (unless an `fstat` shows the number was meanwhile registered
//! again for the same file) and never reported. Nothing else removes an
//! entry: a hang-up does not.
//!
//! A dropped `IoSource` (whose `Drop` does not deregister) is either about
//! to close its descriptor or was converted back to its standard library
//! type, which stays registered, as on epoll. Its entry leaves the poll set
//! and a blocked poll is woken, so that poll(2) lets go of the file and
//! closing it takes effect at once (Linux's poll(2) holds a reference to
//! every file it waits on: a socket would not send its FIN). The next call
//! to `select` (not the re-poll inside the woken one, which could race with
//! the close) `fstat`s it: closed, it is removed; still open, it is polled
//! again from then on, level-triggered, since nothing re-arms it any more.
//!
//! poll(2) cannot tell a closed descriptor from a reused number: if a new
//! file takes the number of a registered, closed descriptor before the next
//! poll, its readiness may be reported under the old token until the new file
//! is registered (registering notices the different file, by device and
//! inode, and replaces the stale entry) or deregistered. Deregistering before
//! closing, as Tokio does, avoids this. Anonymous-inode files (eventfd,
//! timerfd, pidfd on older Linux) all share one inode, so a reused number
//! among those is taken for the same file. A `Waker`'s descriptor is never
//! affected: the waker ends its registration before closing it.
//!
//! Regular files and directories are rejected with `EPERM`, as epoll does:
//! poll(2) would report them ready forever.
//!
//! # Cost
//!
//! * `select`: O(n) in the number of registered descriptors (one copy of the
//!   `pollfd` array plus the kernel's own scan), two lock acquisitions, and a
//!   drain `read` when a wake was pending. It allocates only when more
//!   descriptors are registered than in every earlier poll (its buffer then
//!   grows once).
//! * `register`/`reregister`/`deregister`: O(1) plus one `fstat`, and one
//!   `write` to the wake descriptor if a poll is in progress. The lock is
//!   held for a few stores, never across a poll(2); the poller holds it
//!   while copying the array and while turning results into events.
//! * Dropping a source without deregistering it: O(1), plus an `fstat` at
//!   the start of the next `select` (which scans the table only then).
//! * `WouldBlock` from a source's I/O: one lock and map lookup; one `write`
//!   to the wake descriptor when it actually re-arms something while a poll
//!   is in progress.
//!
//! # WASI preview 2
//!
//! wasi-libc's poll(2) runs this selector, with these differences. There is
//! no eventfd or pipe, and no second thread that could change the table or
//! wake the poller during a poll: the wake descriptor is absent (slot 0
//! holds -1, which poll(2) skips), and the `Waker` is a flag in the table
//! (`register_flag_waker`): a pending wake makes `select` poll without
//! blocking and report the waker's event. There is no `POLLPRI`. wasi-libc
//! reports no `POLLHUP` for a closed TCP peer: the close is a readable event
//! whose read returns end-of-file (`is_read_closed` stays false). It reports
//! a listening socket writable, so a listener is never polled for `POLLOUT`
//! (`source_flags`; one getsockopt per registration). `fstat` gives every
//! socket the same identity, so a number reused by a new socket cannot be
//! told from the old one: a dropped source's entry is removed at once
//! instead of becoming an orphan (`table::RELEASE_REMOVES`), and a socket
//! turned back into its standard library type is no longer polled. Timeouts
//! are whole milliseconds, rounded up. `Poll` and `Registry` have no
//! descriptor there.
//!
//! # The descriptor of a `Poll`
//!
//! `AsRawFd for Poll` and `AsFd for Registry` give the wake descriptor (each
//! `Registry` clone its own duplicate of it): there is no kernel queue
//! object, so this descriptor is **not** an epoll instance, and it does not
//! become readable when sources do.

//! # Files
//!
//! `table.rs` is the registration table (slots, swap-remove, descriptor to
//! slot map; plain data, tested against a model), `edge.rs` the edge
//! emulation (what a report disarms, what `WouldBlock` re-arms),
//! `events.rs` the poll(2) flags and how an event reads, `wake.rs` the wake
//! descriptor, `wait.rs` the poll(2) (or ppoll) call and its timeout; this
//! file holds the `Selector` and its locking.

use std::mem::MaybeUninit;
#[cfg(unix)]
use std::os::fd::{AsFd, BorrowedFd};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};
use std::{fmt, io};

use crate::sys::wake_flag::WakeFlags;
use crate::sys::EventBuf;
use crate::{Interest, Token};

mod edge;
pub(crate) mod events;
mod table;
mod wait;
mod wake;

pub(crate) use self::events as event;
use self::events::interest_flags;
pub(crate) use self::events::RawEvent;
use self::table::{Flags, Ident, Mode, Table};
use self::wake::WakeFd;

/// Source of selector ids; 0 is never handed out, it means "not registered".
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

pub(crate) struct Selector {
    state: Arc<State>,
    /// A clone's own duplicate of the wake descriptor, so that each handle
    /// has a descriptor of its own, as with a duplicated epoll fd.
    dup: Option<OwnedFd>,
}

/// What a `Poll` and its `Registry` clones share.
struct State {
    id: usize,
    wake: WakeFd,
    /// The wake flags of the `Waker`s registered here (`sys/wake_flag.rs`),
    /// cleared after each wait once their descriptors are drained.
    #[cfg_attr(target_os = "wasi", allow(dead_code))]
    wake_flags: WakeFlags,
    shared: Mutex<Shared>,
    /// Only `select` (that is, the one `Poll`) takes this.
    poller: Mutex<Poller>,
}

/// Everything behind the one lock.
struct Shared {
    table: Table,
    /// A `select` has copied the table and may be blocked in poll(2).
    polling: bool,
    /// The wake descriptor was written and not yet drained.
    wake_pending: bool,
    /// The token of the `Waker` built on a flag (`waker/flag.rs`, WASI),
    /// if there is one.
    flag_waker: Option<Token>,
    /// That waker was woken and its event not yet reported.
    flag_woken: bool,
}

/// The poller's private side.
struct Poller {
    /// The copy of the table's `pollfd`s that poll(2) waits on.
    fds: Vec<libc::pollfd>,
    /// Where the next scan of the results starts, so that a full `Events`
    /// buffer does not always favour the same descriptors.
    cursor: usize,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        let wake = WakeFd::new()?;
        let table = Table::new(wake.fd());
        Ok(Selector {
            state: Arc::new(State {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                wake,
                wake_flags: WakeFlags::new(),
                shared: Mutex::new(Shared {
                    table,
                    polling: false,
                    wake_pending: false,
                    flag_waker: None,
                    flag_woken: false,
                }),
                poller: Mutex::new(Poller {
                    fds: Vec::new(),
                    cursor: 0,
                }),
            }),
            dup: None,
        })
    }

    pub(crate) fn try_clone(&self) -> io::Result<Selector> {
        Ok(Selector {
            state: Arc::clone(&self.state),
            dup: self.state.wake.duplicate()?,
        })
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn id(&self) -> usize {
        self.state.id
    }

    /// The wake flags the `Waker`s of this selector register with.
    #[cfg_attr(target_os = "wasi", allow(dead_code))]
    pub(crate) fn wake_flags(&self) -> &WakeFlags {
        &self.state.wake_flags
    }

    pub(crate) fn select(
        &self,
        events: &mut EventBuf,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        let out = events.raw_mut();
        out.clear();
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut poller = lock(&self.state.poller);
        let poller = &mut *poller;
        let mut remaining = timeout;
        let mut first = true;
        loop {
            {
                let mut shared = self.state.lock();
                if first {
                    // Only once per call: see `State::release`.
                    shared.table.adopt_orphans(identify);
                    first = false;
                }
                poller.fds.clear();
                poller.fds.extend_from_slice(&shared.table.pollfds);
                shared.table.take_dirty();
                shared.polling = true;
                if shared.flag_woken {
                    // A pending flag wake is an event already: only look.
                    remaining = Some(Duration::ZERO);
                }
            }
            let result = wait::poll(&mut poller.fds, remaining);
            let mut shared = self.state.lock();
            shared.polling = false;
            let ready = result?;
            self.state.collect(&mut shared, poller, out);
            drop(shared);
            // After the wait and after `collect` drained the descriptors of
            // the `Waker`s it reports, never before: a flag cleared before
            // the drain could let a wake's write be drained unreported while
            // later wakes, seeing the flag, skip theirs (`sys/wake_flag.rs`).
            self.state.wake_flags.clear_all();
            if ready == 0 || !out.is_empty() {
                return Ok(());
            }
            // Woken only for internal reasons (a registration change, results
            // for sources deregistered meanwhile): wait for what is left.
            remaining = match (timeout, deadline) {
                (Some(_), Some(deadline)) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(());
                    }
                    Some(deadline - now)
                }
                // None, or a timeout beyond what `Instant` can represent.
                (remaining, _) => remaining,
            };
        }
    }

    /// Registers a descriptor level-triggered (`SourceFd` and custom
    /// sources): see the module docs.
    #[cfg_attr(any(not(feature = "os-ext"), target_os = "wasi"), allow(dead_code))]
    pub(crate) fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        self.state
            .add(fd, token, interest_flags(interests), Mode::Level)
            .map(drop)
    }

    /// Registers an `IoSource`: edge emulation, re-armed through the returned
    /// handle, which also ends the registration when dropped.
    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn register_edge(
        &self,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<Registration> {
        let serial = self
            .state
            .add(fd, token, source_flags(fd, interests), Mode::Edge)?;
        Ok(self.registration(fd, serial))
    }

    /// Registers a `Waker`'s descriptor: drained by `select` whenever it is
    /// reported. Dropping the handle ends the registration.
    #[cfg_attr(target_os = "wasi", allow(dead_code))]
    pub(crate) fn register_waker(
        &self,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<Registration> {
        let serial = self
            .state
            .add(fd, token, interest_flags(interests), Mode::Waker)?;
        Ok(self.registration(fd, serial))
    }

    /// Installs a `Waker` that is a flag in the table rather than a
    /// descriptor (WASI): `FlagWake::wake` sets it, the next `select` reports
    /// one readable event for `token` without blocking. Replaces an earlier
    /// flag waker of this selector (one `Waker` per `Poll`).
    #[cfg_attr(unix, allow(dead_code))]
    pub(crate) fn register_flag_waker(&self, token: Token) -> FlagWake {
        let mut shared = self.state.lock();
        shared.flag_waker = Some(token);
        shared.flag_woken = false;
        FlagWake {
            state: Arc::downgrade(&self.state),
        }
    }

    fn registration(&self, fd: RawFd, serial: u64) -> Registration {
        Registration {
            state: Arc::downgrade(&self.state),
            fd,
            serial,
        }
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let ident = identify(fd);
        let flags = source_flags(fd, interests);
        let mut shared = self.state.lock();
        let result = shared.table.reregister(fd, token, flags, ident);
        self.state.settle(&mut shared);
        result
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        let ident = identify(fd);
        let mut shared = self.state.lock();
        let result = shared.table.deregister(fd, ident);
        self.state.settle(&mut shared);
        result
    }
}

#[cfg(unix)]
impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

#[cfg(unix)]
impl AsFd for Selector {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match &self.dup {
            Some(dup) => dup.as_fd(),
            None => self.state.wake.read.as_fd(),
        }
    }
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let wake_fd = self
            .dup
            .as_ref()
            .map_or(self.state.wake.fd(), |dup| dup.as_raw_fd());
        f.debug_struct("Selector")
            .field("id", &self.state.id)
            .field("wake_fd", &wake_fd)
            .finish()
    }
}

/// A registration owned by its source (an `IoSource` or a `Waker`): re-arms
/// it, and ends its emulation when dropped (see `State::release`). Holds the
/// selector weakly, so that a source outliving its `Poll` keeps nothing of it
/// open.
pub(crate) struct Registration {
    state: Weak<State>,
    fd: RawFd,
    serial: u64,
}

impl Registration {
    /// Arms again what an I/O call on the source waits for: `Some(interest)`
    /// for a read (`READABLE`) or a write (`WRITABLE`), `None` when the
    /// direction is unknown (every interest).
    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn rearm(&self, direction: Option<Interest>) {
        if let Some(state) = self.state.upgrade() {
            state.rearm(self.fd, self.serial, edge::rearm_mask(direction));
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(state) = self.state.upgrade() {
            state.release(self.fd, self.serial);
        }
    }
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registration")
            .field("fd", &self.fd)
            .finish()
    }
}

/// The handle of a flag `Waker` (see `Selector::register_flag_waker`);
/// dropping it removes the waker.
#[cfg_attr(unix, allow(dead_code))]
pub(crate) struct FlagWake {
    state: Weak<State>,
}

#[cfg_attr(unix, allow(dead_code))]
impl FlagWake {
    /// Makes the next (or a running) `select` report the waker's event.
    /// Wakes coalesce until that event is reported. A `Poll` that is gone
    /// has nothing to wake: that is not an error, as with a descriptor.
    pub(crate) fn wake(&self) {
        if let Some(state) = self.state.upgrade() {
            let mut shared = state.lock();
            if shared.flag_waker.is_some() {
                shared.flag_woken = true;
                state.nudge(&mut shared);
            }
        }
    }
}

impl Drop for FlagWake {
    fn drop(&mut self) {
        if let Some(state) = self.state.upgrade() {
            let mut shared = state.lock();
            shared.flag_waker = None;
            shared.flag_woken = false;
        }
    }
}

impl fmt::Debug for FlagWake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FlagWake").finish()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves the table consistent (every
    // edit is a few plain stores), so poisoning is ignored.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        lock(&self.shared)
    }

    /// Makes a blocked poll(2) return, at most once per poll.
    fn nudge(&self, shared: &mut Shared) {
        if shared.polling && !shared.wake_pending {
            shared.wake_pending = true;
            self.wake.signal();
        }
    }

    /// After an edit: wakes a blocked poll if its copy of the poll set is
    /// now out of date.
    fn settle(&self, shared: &mut Shared) {
        if shared.table.take_dirty() {
            self.nudge(shared);
        }
    }

    fn add(&self, fd: RawFd, token: Token, interests: Flags, mode: Mode) -> io::Result<u64> {
        let ident = identify(fd)?;
        let mut shared = self.lock();
        let serial = shared.table.insert(fd, token, interests, mode, ident)?;
        self.settle(&mut shared);
        Ok(serial)
    }

    fn rearm(&self, fd: RawFd, serial: u64, mask: Flags) {
        let mut shared = self.lock();
        let table = &mut shared.table;
        if let Some(slot) = table.slot_of(fd, serial) {
            if table.entries[slot].rearm(mask) {
                table.sync(slot);
                self.settle(&mut shared);
            }
        }
    }

    /// The owner of registration `serial` is gone. A waker's descriptor is
    /// about to be closed: remove it, so that a reused number is never
    /// drained. An `IoSource` is either about to close its descriptor or
    /// handing it over to its standard library type, which keeps the
    /// registration (as on epoll). Which one is known only later, so the
    /// entry becomes an orphan: out of the poll set until the next `select`
    /// call looks (`Table::adopt_orphans`). Waking a blocked poll makes
    /// poll(2) let go of the file, and its re-poll leaves the orphan out, so
    /// closing it closes it at once (a socket sends its FIN).
    fn release(&self, fd: RawFd, serial: u64) {
        let mut shared = self.lock();
        shared.table.release(fd, serial);
        self.settle(&mut shared);
    }

    /// Turns the results of one poll(2) into events, at most `out`'s
    /// capacity of them; runs under the lock.
    fn collect(&self, shared: &mut Shared, poller: &mut Poller, out: &mut Vec<RawEvent>) {
        let fds = &poller.fds;
        if fds[0].revents != 0 || shared.wake_pending {
            self.wake.drain();
            shared.wake_pending = false;
        }
        if shared.flag_woken && out.len() < out.capacity() {
            if let Some(token) = shared.flag_waker {
                out.push(RawEvent {
                    token: token.0,
                    flags: libc::POLLIN,
                });
            }
            shared.flag_woken = false;
        }
        let table = &mut shared.table;
        let users = fds.len() - 1;
        if users == 0 {
            return;
        }
        let capacity = out.capacity();
        let start = poller.cursor % users;
        for k in 0..users {
            let i = 1 + (start + k) % users;
            let pfd = fds[i];
            if pfd.revents == 0 {
                continue;
            }
            // Deregistered since the copy was taken: nothing to report.
            let Some(slot) = table.find(pfd.fd, i) else {
                continue;
            };
            if pfd.revents & libc::POLLNVAL != 0 {
                table.closed(slot, identify);
                continue;
            }
            if out.len() == capacity {
                // Left armed: the next poll reports it.
                continue;
            }
            let entry = &mut table.entries[slot];
            if let Some(flags) = entry.take(pfd.revents) {
                if entry.mode == Mode::Waker {
                    wake::drain(entry.fd);
                }
                out.push(RawEvent {
                    token: entry.token.0,
                    flags,
                });
                table.sync(slot);
                if out.len() == capacity {
                    poller.cursor = start + k + 1;
                }
            }
        }
    }
}

/// poll(2)'s events for the `interests` of a registration of `fd`.
///
/// On WASI a listening socket is never polled for `POLLOUT`: wasi-libc's
/// poll(2) reports a listener writable, which it never is on Unix (epoll
/// and poll(2) report nothing for it), so `WRITABLE` on a listener would
/// bring events no write could use. One getsockopt per (re)registration.
fn source_flags(fd: RawFd, interests: Interest) -> Flags {
    let flags = interest_flags(interests);
    #[cfg(target_os = "wasi")]
    if flags & libc::POLLOUT != 0 && is_listener(fd) {
        return flags & !libc::POLLOUT;
    }
    #[cfg(not(target_os = "wasi"))]
    let _ = fd;
    flags
}

/// Whether `fd` is a listening socket (`SO_ACCEPTCONN`); not when that
/// cannot be read (not a socket).
#[cfg(target_os = "wasi")]
fn is_listener(fd: RawFd) -> bool {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes, the size of `value`,
    // which lives until the call returns.
    let result = syscall!(getsockopt(
        fd,
        libc::SOL_SOCKET,
        libc::SO_ACCEPTCONN,
        (&mut value as *mut libc::c_int).cast::<libc::c_void>(),
        &mut len,
    ));
    result.is_ok() && value != 0
}

/// Which file `fd` is, with epoll's refusals: `EBADF` for a descriptor that
/// is not open, `EPERM` for regular files and directories (poll(2) would
/// call them ready forever).
fn identify(fd: RawFd) -> io::Result<Ident> {
    let mut stat = MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat writes a whole `stat` into the buffer on success and
    // touches no other memory; a bad descriptor gives EBADF.
    syscall!(fstat(fd, stat.as_mut_ptr()))?;
    // SAFETY: fstat succeeded, so it initialised `stat`.
    let stat = unsafe { stat.assume_init() };
    let kind = stat.st_mode & libc::S_IFMT;
    if kind == libc::S_IFREG || kind == libc::S_IFDIR {
        return Err(io::Error::from_raw_os_error(libc::EPERM));
    }
    Ok(Ident {
        dev: stat.st_dev,
        ino: stat.st_ino,
    })
}
