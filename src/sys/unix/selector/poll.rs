//! The portable selector: poll(2) over a table of registered descriptors,
//! with epoll's edge-triggered semantics emulated in user space.
//!
//! Compiled with `--cfg mio_unsupported_force_poll_poll` on any Unix, and by
//! default on Unix targets that have neither epoll nor kqueue. poll(2),
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
//! wasi-libc's poll(2) runs this selector unchanged, with three
//! differences. There is no eventfd or pipe, and no second thread that could
//! change the table or wake the poller during a poll: the wake descriptor is
//! absent (slot 0 holds -1, which poll(2) skips), and the `Waker` is a flag
//! in the table (`register_flag_waker`): a pending wake makes `select` poll
//! without blocking and report the waker's event. There is no `POLLPRI`.
//! And wasi-libc reports no `POLLHUP` for a closed TCP peer: the close is a
//! readable event whose read returns end-of-file (`is_read_closed` stays
//! false). `Poll` and `Registry` have no descriptor there.
//!
//! # The descriptor of a `Poll`
//!
//! `AsRawFd for Poll` and `AsFd for Registry` give the wake descriptor (each
//! `Registry` clone its own duplicate of it): there is no kernel queue
//! object, so this descriptor is **not** an epoll instance, and it does not
//! become readable when sources do.

use std::collections::HashMap;
use std::mem::MaybeUninit;
#[cfg(unix)]
use std::os::fd::{AsFd, BorrowedFd};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};
use std::{fmt, io};

use crate::sys::EventBuf;
use crate::{Interest, Token};

/// The type of `pollfd.events` and `pollfd.revents`.
type Flags = libc::c_short;

/// Peer closed its writing side (Linux only; elsewhere a hang-up says it).
#[cfg(any(target_os = "linux", target_os = "android"))]
const RDHUP: Flags = libc::POLLRDHUP;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const RDHUP: Flags = 0;

/// Whether `flags` holds `POLLRDHUP` (never where poll(2) has no such flag).
fn is_rdhup(flags: Flags) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        flags & libc::POLLRDHUP != 0
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = flags;
        false
    }
}

/// Urgent data. WASI's poll(2) has no such flag.
#[cfg(unix)]
const PRI: Flags = libc::POLLPRI;
#[cfg(not(unix))]
const PRI: Flags = 0;

/// Conditions poll(2) reports whatever the event mask asks for.
const ALWAYS: Flags = libc::POLLERR | libc::POLLHUP;

/// One event as `select` writes it: the token and the reported flags.
#[derive(Clone, Copy)]
pub(crate) struct RawEvent {
    token: usize,
    flags: Flags,
}

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
    table: Mutex<Table>,
    /// Only `select` (that is, the one `Poll`) takes this.
    poller: Mutex<Poller>,
}

/// The poller's private side.
struct Poller {
    /// The copy of the table's `pollfd`s that poll(2) waits on.
    fds: Vec<libc::pollfd>,
    /// Where the next scan of the results starts, so that a full `Events`
    /// buffer does not always favour the same descriptors.
    cursor: usize,
}

/// How a registration is turned into events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// An `IoSource`: edge emulation, re-armed by `WouldBlock`.
    Edge,
    /// Anything registered through the plain `register` (`SourceFd`).
    Level,
    /// A `Waker`'s descriptor: level, drained when reported.
    Waker,
    /// The selector's own wake descriptor, slot 0; never reported.
    Wake,
}

/// Which file a descriptor number referred to when it was registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ident {
    dev: libc::dev_t,
    ino: libc::ino_t,
}

/// One registered descriptor.
#[derive(Clone, Copy, Debug)]
struct Entry {
    fd: RawFd,
    token: Token,
    /// The events the registration asked for.
    interests: Flags,
    /// The subset currently polled for.
    armed: Flags,
    /// Out of the poll set after a reported hang-up or error (edge mode).
    parked: bool,
    /// Out of the poll set since its owner was dropped, until the next
    /// `select` call checks whether the descriptor is still open.
    orphan: bool,
    mode: Mode,
    ident: Ident,
    /// Tells this registration apart from a later one of the same number.
    serial: u64,
}

struct Table {
    /// `pollfds[i]` is what `entries[i]` currently asks poll(2) for.
    pollfds: Vec<libc::pollfd>,
    entries: Vec<Entry>,
    /// Descriptor -> slot, for every slot but 0.
    slots: HashMap<RawFd, usize>,
    next_serial: u64,
    /// A `select` has copied the table and may be blocked in poll(2).
    polling: bool,
    /// The wake descriptor was written and not yet drained.
    wake_pending: bool,
    /// The token of the `Waker` built on a flag (`waker/flag.rs`, WASI),
    /// if there is one.
    flag_waker: Option<Token>,
    /// That waker was woken and its event not yet reported.
    flag_woken: bool,
    /// How many entries are orphans.
    orphans: usize,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        let wake = WakeFd::new()?;
        let table = Table::new(wake.fd());
        Ok(Selector {
            state: Arc::new(State {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                wake,
                table: Mutex::new(table),
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
        let mut wait = timeout;
        let mut first = true;
        loop {
            {
                let mut table = self.state.table();
                if first {
                    // Only once per call: see `State::release`.
                    table.adopt_orphans();
                    first = false;
                }
                poller.fds.clear();
                poller.fds.extend_from_slice(&table.pollfds);
                table.polling = true;
                if table.flag_woken {
                    // A pending flag wake is an event already: only look.
                    wait = Some(Duration::ZERO);
                }
            }
            let timeout_ms = wait.map_or(-1, timeout_millis);
            // SAFETY: `fds` is an initialised array of `len` pollfds that
            // nothing else touches during the call; poll(2) only writes their
            // `revents` fields.
            let result = syscall!(poll(
                poller.fds.as_mut_ptr(),
                poller.fds.len() as libc::nfds_t,
                timeout_ms
            ));
            let mut table = self.state.table();
            table.polling = false;
            // EINTR comes back as `Interrupted`, like epoll_wait's.
            let ready = result?;
            self.state.collect(&mut table, poller, out);
            drop(table);
            if ready == 0 || !out.is_empty() {
                return Ok(());
            }
            // Woken only for internal reasons (a registration change, results
            // for sources deregistered meanwhile): wait for what is left.
            wait = match (timeout, deadline) {
                (Some(_), Some(deadline)) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(());
                    }
                    Some(deadline - now)
                }
                // None, or a timeout beyond what `Instant` can represent.
                (wait, _) => wait,
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
            .add(fd, token, interest_flags(interests), Mode::Edge)?;
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
        let mut table = self.state.table();
        table.flag_waker = Some(token);
        table.flag_woken = false;
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
        self.state.modify(fd, token, interest_flags(interests))
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        self.state.remove(fd)
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
        f.debug_struct("Selector")
            .field("id", &self.state.id)
            .field(
                "wake_fd",
                &self
                    .dup
                    .as_ref()
                    .map_or(self.state.wake.fd(), |dup| dup.as_raw_fd()),
            )
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
    /// Polls for every interest again: the source's I/O hit `WouldBlock`.
    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    /// Arms again what an I/O call on the source waits for: `Some(interest)`
    /// for a read (`READABLE`) or a write (`WRITABLE`), `None` when the
    /// direction is unknown (every interest).
    pub(crate) fn rearm(&self, direction: Option<Interest>) {
        if let Some(state) = self.state.upgrade() {
            state.rearm(self.fd, self.serial, rearm_mask(direction));
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
            let mut table = state.table();
            if table.flag_waker.is_some() {
                table.flag_woken = true;
                state.nudge(&mut table);
            }
        }
    }
}

impl Drop for FlagWake {
    fn drop(&mut self) {
        if let Some(state) = self.state.upgrade() {
            let mut table = state.table();
            table.flag_waker = None;
            table.flag_woken = false;
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
    fn table(&self) -> MutexGuard<'_, Table> {
        lock(&self.table)
    }

    /// Makes a blocked poll(2) return, at most once per poll.
    fn nudge(&self, table: &mut Table) {
        if table.polling && !table.wake_pending {
            table.wake_pending = true;
            self.wake.signal();
        }
    }

    fn add(&self, fd: RawFd, token: Token, interests: Flags, mode: Mode) -> io::Result<u64> {
        let ident = identify(fd)?;
        let mut table = self.table();
        if let Some(slot) = table.slots.get(&fd).copied() {
            if table.entries[slot].ident == ident {
                return Err(io::Error::from_raw_os_error(libc::EEXIST));
            }
            // The registered file was closed without being deregistered and
            // the number now names another file: the old entry is stale.
            table.remove(slot);
        }
        let serial = table.next_serial;
        table.next_serial += 1;
        table.push(Entry {
            fd,
            token,
            interests,
            armed: interests,
            parked: false,
            orphan: false,
            mode,
            ident,
            serial,
        });
        self.nudge(&mut table);
        Ok(serial)
    }

    /// The slot of a registered, still open `fd`, after epoll's checks:
    /// `EBADF` for a closed descriptor, `EPERM` for a file, `ENOENT` for one
    /// that is not registered. A stale entry found on the way is removed.
    fn find_live(
        &self,
        table: &mut Table,
        fd: RawFd,
        ident: io::Result<Ident>,
    ) -> io::Result<usize> {
        let slot = table.slots.get(&fd).copied();
        match (slot, ident) {
            (Some(slot), Ok(ident)) if table.entries[slot].ident == ident => Ok(slot),
            (Some(slot), ident) => {
                table.remove(slot);
                self.nudge(table);
                Err(ident.err().unwrap_or_else(not_found))
            }
            (None, ident) => Err(ident.err().unwrap_or_else(not_found)),
        }
    }

    fn modify(&self, fd: RawFd, token: Token, interests: Flags) -> io::Result<()> {
        let ident = identify(fd);
        let mut table = self.table();
        let slot = self.find_live(&mut table, fd, ident)?;
        table.adopt(slot);
        let entry = &mut table.entries[slot];
        entry.token = token;
        entry.interests = interests;
        entry.armed = interests;
        entry.parked = false;
        table.sync(slot);
        self.nudge(&mut table);
        Ok(())
    }

    fn remove(&self, fd: RawFd) -> io::Result<()> {
        let ident = identify(fd);
        let mut table = self.table();
        let slot = self.find_live(&mut table, fd, ident)?;
        table.remove(slot);
        self.nudge(&mut table);
        Ok(())
    }

    fn rearm(&self, fd: RawFd, serial: u64, mask: Flags) {
        let mut table = self.table();
        if let Some(slot) = table.slot_of(fd, serial) {
            if table.entries[slot].rearm(mask) {
                table.sync(slot);
                self.nudge(&mut table);
            }
        }
    }

    /// The owner of registration `serial` is gone. A waker's descriptor is
    /// about to be closed: remove it, so that a reused number is never
    /// drained. An `IoSource` is either about to close its descriptor or
    /// handing it over to its standard library type, which keeps the
    /// registration (as on epoll). Which one is known only later, so the
    /// entry becomes an orphan: out of the poll set until the next `select`
    /// call looks (`adopt_orphans`). Waking a blocked poll makes poll(2) let
    /// go of the file, and its re-poll leaves the orphan out, so closing it
    /// closes it at once (a socket sends its FIN).
    fn release(&self, fd: RawFd, serial: u64) {
        let mut table = self.table();
        if let Some(slot) = table.slot_of(fd, serial) {
            if table.entries[slot].mode == Mode::Waker {
                table.remove(slot);
            } else if !table.entries[slot].orphan {
                table.entries[slot].orphan = true;
                table.orphans += 1;
                table.sync(slot);
            }
            self.nudge(&mut table);
        }
    }

    /// Turns the results of one poll(2) into events, at most `out`'s
    /// capacity of them; runs under the table lock.
    fn collect(&self, table: &mut Table, poller: &mut Poller, out: &mut Vec<RawEvent>) {
        let fds = &poller.fds;
        if fds[0].revents != 0 || table.wake_pending {
            self.wake.drain();
            table.wake_pending = false;
        }
        if table.flag_woken && out.len() < out.capacity() {
            if let Some(token) = table.flag_waker {
                out.push(RawEvent {
                    token: token.0,
                    flags: libc::POLLIN,
                });
            }
            table.flag_woken = false;
        }
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
                table.closed(slot);
                continue;
            }
            if out.len() == capacity {
                // Left armed: the next poll reports it.
                continue;
            }
            let entry = &mut table.entries[slot];
            if let Some(flags) = entry.take(pfd.revents) {
                if entry.mode == Mode::Waker {
                    drain(entry.fd);
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

impl Table {
    fn new(wake_fd: RawFd) -> Table {
        let wake = Entry {
            fd: wake_fd,
            token: Token(usize::MAX),
            interests: libc::POLLIN,
            armed: libc::POLLIN,
            parked: false,
            orphan: false,
            mode: Mode::Wake,
            ident: Ident { dev: 0, ino: 0 },
            serial: 0,
        };
        let mut table = Table {
            pollfds: Vec::new(),
            entries: Vec::new(),
            slots: HashMap::new(),
            next_serial: 1,
            polling: false,
            wake_pending: false,
            flag_waker: None,
            flag_woken: false,
            orphans: 0,
        };
        table.entries.push(wake);
        table.pollfds.push(wake.pollfd());
        table
    }

    fn push(&mut self, entry: Entry) {
        self.slots.insert(entry.fd, self.entries.len());
        self.pollfds.push(entry.pollfd());
        self.entries.push(entry);
    }

    fn remove(&mut self, slot: usize) {
        debug_assert!(slot > 0, "the wake descriptor is never removed");
        let entry = self.entries.swap_remove(slot);
        self.pollfds.swap_remove(slot);
        self.slots.remove(&entry.fd);
        if entry.orphan {
            self.orphans -= 1;
        }
        if let Some(moved) = self.entries.get(slot) {
            if let Some(index) = self.slots.get_mut(&moved.fd) {
                *index = slot;
            }
        }
    }

    fn sync(&mut self, slot: usize) {
        self.pollfds[slot] = self.entries[slot].pollfd();
    }

    /// The slot of the registration `serial` of `fd`, if it still exists.
    fn slot_of(&self, fd: RawFd, serial: u64) -> Option<usize> {
        let slot = *self.slots.get(&fd)?;
        (self.entries[slot].serial == serial).then_some(slot)
    }

    /// The current slot of `fd`, which was at `hint` when the poller copied
    /// the table.
    fn find(&self, fd: RawFd, hint: usize) -> Option<usize> {
        match self.entries.get(hint) {
            Some(entry) if entry.fd == fd && entry.mode != Mode::Wake => Some(hint),
            _ => self.slots.get(&fd).copied(),
        }
    }

    /// poll(2) said `POLLNVAL`: the descriptor was closed. Drop the entry,
    /// unless the number was meanwhile registered again for the same file.
    fn closed(&mut self, slot: usize) {
        let entry = self.entries[slot];
        match identify(entry.fd) {
            Ok(ident) if ident == entry.ident => {}
            _ => self.remove(slot),
        }
    }

    /// Takes an orphan back into the poll set, level-triggered: nothing
    /// re-arms it any more.
    fn adopt(&mut self, slot: usize) {
        let entry = &mut self.entries[slot];
        if entry.orphan {
            entry.orphan = false;
            entry.mode = Mode::Level;
            entry.armed = entry.interests;
            entry.parked = false;
            self.orphans -= 1;
            self.sync(slot);
        }
    }

    /// Settles the orphans: removed if their descriptor was closed (or its
    /// number reused), adopted if it is still the same open file. Scans the
    /// table only when there are orphans, which takes a dropped source.
    fn adopt_orphans(&mut self) {
        let mut slot = 1;
        while self.orphans > 0 && slot < self.entries.len() {
            let entry = self.entries[slot];
            if !entry.orphan {
                slot += 1;
            } else if identify(entry.fd).ok() == Some(entry.ident) {
                self.adopt(slot);
                slot += 1;
            } else {
                // The last entry moves into `slot`: look at it next.
                self.remove(slot);
            }
        }
    }
}

impl Entry {
    fn pollfd(&self) -> libc::pollfd {
        libc::pollfd {
            // poll(2) skips negative descriptors.
            fd: if self.parked || self.orphan {
                -1
            } else {
                self.fd
            },
            events: self.armed,
            revents: 0,
        }
    }

    /// What to report for `revents`, if anything, and the disarming that
    /// goes with reporting it.
    fn take(&mut self, revents: Flags) -> Option<Flags> {
        if self.parked || self.orphan {
            return None;
        }
        let mut flags = revents & (self.armed | ALWAYS);
        if self.mode == Mode::Waker {
            flags &= libc::POLLIN;
        }
        if flags == 0 {
            return None;
        }
        // After a hang-up a read no longer blocks (it returns what is left,
        // then end-of-file), and a read-side close is read readiness too;
        // epoll reports EPOLLIN with both.
        if flags & libc::POLLHUP != 0 && self.interests & libc::POLLIN != 0 {
            flags |= libc::POLLIN;
        }
        if is_rdhup(flags) {
            flags |= libc::POLLIN;
        }
        if self.mode == Mode::Edge {
            if flags & ALWAYS != 0 {
                self.armed = 0;
                self.parked = true;
            } else {
                self.armed &= !(flags & (libc::POLLIN | libc::POLLOUT | PRI | RDHUP));
            }
        }
        Some(flags)
    }

    /// Arms the interests in `mask` again; whether anything changed. Only
    /// the direction whose I/O hit `WouldBlock` is re-armed: re-arming
    /// writable after a read would report an idle, writable socket again
    /// on every poll.
    fn rearm(&mut self, mask: Flags) -> bool {
        let armed = self.armed | (self.interests & mask);
        if self.mode != Mode::Edge || (armed == self.armed && !self.parked) {
            return false;
        }
        self.armed = armed;
        self.parked = false;
        true
    }
}

/// The poll(2) events an I/O direction waits for.
fn rearm_mask(direction: Option<Interest>) -> Flags {
    match direction {
        Some(interest) => {
            let mut mask = 0;
            if interest.is_readable() {
                mask |= libc::POLLIN | RDHUP;
            }
            if interest.is_writable() {
                mask |= libc::POLLOUT;
            }
            if interest.is_priority() {
                mask |= PRI;
            }
            mask
        }
        None => !0,
    }
}

fn not_found() -> io::Error {
    io::Error::from_raw_os_error(libc::ENOENT)
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

/// Reads `fd` (non-blocking) until it is empty: an eventfd's counter or a
/// pipe's bytes.
fn drain(fd: RawFd) {
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

/// The selector's own wake descriptor.
#[cfg(unix)]
struct WakeFd {
    /// What poll(2) waits on; on Linux also what is written.
    read: OwnedFd,
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    write: OwnedFd,
}

#[cfg(unix)]
impl WakeFd {
    fn fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// A descriptor of its own for a `Registry` clone.
    fn duplicate(&self) -> io::Result<Option<OwnedFd>> {
        self.read.try_clone().map(Some)
    }

    fn drain(&self) {
        drain(self.read.as_raw_fd());
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn new() -> io::Result<WakeFd> {
        use std::os::fd::FromRawFd;
        // SAFETY: no pointers; returns a new descriptor or -1.
        let fd = syscall!(eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK))?;
        // SAFETY: `fd` was just created and is owned by nothing else.
        let read = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(WakeFd { read })
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn new() -> io::Result<WakeFd> {
        let (read, write) = super::super::new_pipe()?;
        Ok(WakeFd { read, write })
    }

    fn signal(&self) {
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
struct WakeFd;

#[cfg(not(unix))]
impl WakeFd {
    #[allow(clippy::unnecessary_wraps)]
    fn new() -> io::Result<WakeFd> {
        Ok(WakeFd)
    }

    fn fd(&self) -> RawFd {
        -1
    }

    #[allow(clippy::unnecessary_wraps)]
    fn duplicate(&self) -> io::Result<Option<OwnedFd>> {
        Ok(None)
    }

    fn drain(&self) {}

    fn signal(&self) {}
}

/// poll(2)'s events for `interests`.
fn interest_flags(interests: Interest) -> Flags {
    let mut flags = 0;
    if interests.is_readable() {
        // RDHUP lets `is_read_closed` see a peer's shutdown(SHUT_WR).
        flags |= libc::POLLIN | RDHUP;
    }
    if interests.is_writable() {
        flags |= libc::POLLOUT;
    }
    if interests.is_priority() {
        flags |= PRI;
    }
    flags
}

/// Milliseconds for poll(2), rounded up so that a sub-millisecond timeout
/// sleeps instead of spinning, and capped at what a `c_int` holds.
fn timeout_millis(timeout: Duration) -> libc::c_int {
    const NANOS_PER_MILLI: u128 = 1_000_000;
    let millis = (timeout.as_nanos() + NANOS_PER_MILLI - 1) / NANOS_PER_MILLI;
    millis.min(libc::c_int::MAX as u128) as libc::c_int
}

/// Reading an event the way mio documents it; the flags are poll(2)'s, with
/// the same meaning as epoll's.
pub(crate) mod event {
    use std::fmt;

    use super::{Flags, RawEvent, PRI, RDHUP};
    use crate::Token;

    fn has(raw: &RawEvent, bits: Flags) -> bool {
        raw.flags & bits != 0
    }

    pub(crate) fn token(raw: &RawEvent) -> Token {
        Token(raw.token)
    }

    pub(crate) fn is_readable(raw: &RawEvent) -> bool {
        has(raw, libc::POLLIN | PRI)
    }

    pub(crate) fn is_writable(raw: &RawEvent) -> bool {
        has(raw, libc::POLLOUT)
    }

    pub(crate) fn is_error(raw: &RawEvent) -> bool {
        has(raw, libc::POLLERR)
    }

    pub(crate) fn is_read_closed(raw: &RawEvent) -> bool {
        has(raw, libc::POLLHUP) || (has(raw, libc::POLLIN) && has(raw, RDHUP))
    }

    pub(crate) fn is_write_closed(raw: &RawEvent) -> bool {
        // As on epoll: a hang-up; an error with OUT (e.g. EPIPE); or a bare
        // error, which a pipe's write end gets once its reader is gone.
        has(raw, libc::POLLHUP)
            || (has(raw, libc::POLLOUT) && has(raw, libc::POLLERR))
            || raw.flags == libc::POLLERR
    }

    pub(crate) fn is_priority(raw: &RawEvent) -> bool {
        has(raw, PRI)
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
            struct Names(Flags);
            impl fmt::Debug for Names {
                fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    let names = [
                        (libc::POLLIN, "POLLIN"),
                        (PRI, "POLLPRI"),
                        (libc::POLLOUT, "POLLOUT"),
                        (libc::POLLERR, "POLLERR"),
                        (libc::POLLHUP, "POLLHUP"),
                        (libc::POLLNVAL, "POLLNVAL"),
                        (RDHUP, "POLLRDHUP"),
                    ];
                    let mut first = true;
                    for (bit, name) in names {
                        if bit != 0 && self.0 & bit != 0 {
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
            f.debug_struct("poll_event")
                .field("revents", &Names(self.0.flags))
                .field("token", &self.0.token)
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
        assert_eq!(timeout_millis(Duration::MAX), libc::c_int::MAX);
    }

    #[test]
    fn interests_map_to_poll_events() {
        assert_eq!(interest_flags(Interest::READABLE), libc::POLLIN | RDHUP);
        assert_eq!(interest_flags(Interest::WRITABLE), libc::POLLOUT);
        assert_eq!(
            interest_flags(Interest::READABLE | Interest::WRITABLE),
            libc::POLLIN | RDHUP | libc::POLLOUT
        );
        #[cfg(any(target_os = "linux", target_os = "android"))]
        assert_eq!(interest_flags(Interest::PRIORITY), PRI);
    }

    fn entry(mode: Mode, interests: Interest) -> Entry {
        let interests = interest_flags(interests);
        Entry {
            fd: 3,
            token: Token(7),
            interests,
            armed: interests,
            parked: false,
            orphan: false,
            mode,
            ident: Ident { dev: 1, ino: 2 },
            serial: 1,
        }
    }

    fn both() -> Interest {
        Interest::READABLE | Interest::WRITABLE
    }

    #[test]
    fn edge_entries_disarm_what_they_report_until_rearmed() {
        let mut e = entry(Mode::Edge, both());
        assert_eq!(e.take(libc::POLLIN), Some(libc::POLLIN));
        assert_eq!(e.armed, RDHUP | libc::POLLOUT);
        assert_eq!(e.pollfd().events, RDHUP | libc::POLLOUT);
        // Readable again: not asked for, so poll(2) would not report it, and
        // a stale result is filtered out.
        assert_eq!(e.take(libc::POLLIN), None);
        assert_eq!(e.take(libc::POLLOUT), Some(libc::POLLOUT));
        assert_eq!(e.armed, RDHUP);
        assert!(e.rearm(!0));
        assert!(!e.rearm(!0), "nothing left to re-arm");
        assert_eq!(e.armed, e.interests);
    }

    #[test]
    fn hang_up_and_error_park_an_edge_entry() {
        let mut e = entry(Mode::Edge, Interest::READABLE);
        assert_eq!(e.take(libc::POLLIN), Some(libc::POLLIN));
        // A hang-up is reported although nothing is armed, with IN: a read
        // no longer blocks.
        let flags = e.take(libc::POLLHUP).unwrap();
        assert_eq!(flags, libc::POLLHUP | libc::POLLIN);
        assert!(e.parked);
        assert_eq!(e.pollfd().fd, -1, "parked entries leave the poll set");
        assert_eq!(e.take(libc::POLLHUP), None);
        assert!(e.rearm(!0));
        assert_eq!(e.pollfd().fd, 3);

        let mut w = entry(Mode::Edge, Interest::WRITABLE);
        assert_eq!(w.take(libc::POLLERR), Some(libc::POLLERR));
        assert!(w.parked);
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn read_side_close_is_reported_once_with_readable() {
        let mut e = entry(Mode::Edge, Interest::READABLE);
        assert_eq!(e.take(libc::POLLIN), Some(libc::POLLIN));
        // IN is disarmed; RDHUP still arrives, and counts as readable.
        assert_eq!(e.take(RDHUP), Some(RDHUP | libc::POLLIN));
        assert_eq!(e.armed, 0);
        assert!(!e.parked, "a read-side close keeps hang-ups visible");
    }

    #[test]
    fn level_entries_stay_armed() {
        let mut e = entry(Mode::Level, both());
        for _ in 0..3 {
            assert_eq!(e.take(libc::POLLOUT), Some(libc::POLLOUT));
        }
        assert_eq!(
            e.take(libc::POLLHUP | libc::POLLOUT).unwrap() & ALWAYS,
            libc::POLLHUP
        );
        assert_eq!(e.take(libc::POLLHUP), Some(libc::POLLHUP | libc::POLLIN));
        assert!(!e.rearm(!0), "level entries are never disarmed");
    }

    #[test]
    fn waker_entries_report_plain_readability() {
        let mut e = entry(Mode::Waker, Interest::READABLE);
        assert_eq!(e.take(libc::POLLIN), Some(libc::POLLIN));
        assert_eq!(e.take(libc::POLLIN), Some(libc::POLLIN));
        assert_eq!(e.take(libc::POLLOUT), None);
    }

    fn raw(flags: Flags) -> RawEvent {
        RawEvent { token: 42, flags }
    }

    #[test]
    fn accessors_follow_poll_flags_like_epoll() {
        let e = raw(libc::POLLIN | RDHUP);
        assert!(event::is_readable(&e));
        assert_eq!(event::is_read_closed(&e), RDHUP != 0);
        assert!(!event::is_write_closed(&e) && !event::is_error(&e));
        assert_eq!(event::token(&e), Token(42));

        let e = raw(libc::POLLERR);
        assert!(event::is_error(&e) && event::is_write_closed(&e));
        assert!(!event::is_readable(&e) && !event::is_read_closed(&e));

        let e = raw(libc::POLLOUT | libc::POLLERR);
        assert!(event::is_writable(&e) && event::is_write_closed(&e));

        let e = raw(libc::POLLIN | libc::POLLHUP);
        assert!(event::is_read_closed(&e) && event::is_write_closed(&e));

        // WASI has no POLLPRI (`PRI` is 0 there).
        if PRI != 0 {
            let e = raw(PRI);
            assert!(event::is_priority(&e) && event::is_readable(&e));
            assert!(!event::is_aio(&e) && !event::is_lio(&e));
        }

        let details = format!("{:?}", event::Details(&raw(libc::POLLIN | libc::POLLOUT)));
        assert!(details.contains("POLLIN | POLLOUT"), "{}", details);
        assert!(format!("{:?}", event::Details(&raw(0))).contains("(empty)"));
    }

    #[test]
    fn swap_remove_keeps_the_map_in_step() {
        let mut table = Table::new(100);
        for fd in 10..14 {
            let mut e = entry(Mode::Level, Interest::READABLE);
            e.fd = fd;
            e.serial = fd as u64;
            table.push(e);
        }
        table.remove(table.slots[&11]);
        assert_eq!(table.entries.len(), 4);
        for (slot, e) in table.entries.iter().enumerate().skip(1) {
            assert_eq!(table.slots[&e.fd], slot);
            assert_eq!(table.pollfds[slot].fd, e.fd);
        }
        assert_eq!(table.find(13, 2), Some(2), "moved into the freed slot");
        assert_eq!(table.find(11, 2), None);
        assert_eq!(table.slot_of(12, 12), Some(table.slots[&12]));
        assert_eq!(table.slot_of(12, 99), None, "another registration");
        // Slot 0 is the wake descriptor, never found as a user entry.
        assert_eq!(table.find(100, 0), None);
    }
}
