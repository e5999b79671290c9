//! The WASI preview 1 selector: `poll_oneoff` over a table of registered
//! descriptors, with edge triggering emulated in user space.
//!
//! # Shape
//!
//! A `Poll` and its `Registry` clones share one `State`: a table from
//! descriptor to registration (token, interests, and which of them are
//! armed), behind a mutex. Each `select` builds one `fd_read` subscription
//! per descriptor armed for reading and one `fd_write` per descriptor armed
//! for writing, plus a relative `CLOCK_MONOTONIC` subscription for the
//! timeout, and calls `poll_oneoff` once. The subscription and result
//! buffers are the poller's own and only grow.
//!
//! # Edge triggering
//!
//! `poll_oneoff` is level-triggered. Once an event has reported a
//! readiness, that direction is no longer subscribed to until an I/O call
//! on the source returns `WouldBlock` (`Registration::rearm`, through
//! `IoSourceState::do_io`) or the source is reregistered: the contract users
//! already follow for epoll, so no event is lost. Re-arming on `WouldBlock`
//! of an operation whose direction is unknown re-arms both directions,
//! which can cost one spurious event.
//!
//! # Waiting forever
//!
//! Preview 1 programs run one thread and have no `Waker`: a `poll(None)`
//! with nothing subscribed could never return, and `poll_oneoff` rejects an
//! empty subscription list. That case fails with `InvalidInput` instead of
//! hanging.
//!
//! # Closed descriptors
//!
//! A registration ends when its source is deregistered or dropped (the
//! source owns it). A descriptor closed some other way while registered
//! makes `poll_oneoff` report `EBADF` for it: the entry is then removed
//! without an event.

use std::collections::HashMap;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};
use std::{fmt, io};

use crate::sys::EventBuf;
use crate::{Interest, Token};

/// Readiness bits of a `RawEvent` and of an entry's interests.
const READ: u8 = 1 << 0;
const WRITE: u8 = 1 << 1;
/// The peer hung up, as reported on a read subscription.
const READ_HUP: u8 = 1 << 2;
/// The peer hung up, as reported on a write subscription.
const WRITE_HUP: u8 = 1 << 3;
/// The subscription failed with an error other than `EBADF`.
const ERROR: u8 = 1 << 4;

/// `userdata` of the timeout's clock subscription. Descriptor
/// subscriptions carry `fd << 2 | kind`, which never reaches it.
const CLOCK_USERDATA: u64 = u64::MAX;
const KIND_READ: u64 = 1;
const KIND_WRITE: u64 = 2;

/// One event as `select` writes it: the token and the readiness bits.
#[derive(Clone, Copy)]
pub(crate) struct RawEvent {
    token: usize,
    flags: u8,
}

/// Source of selector ids; 0 is never handed out, it means "not registered".
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

pub(crate) struct Selector {
    state: Arc<State>,
}

/// What a `Poll` and its `Registry` clones share.
struct State {
    id: usize,
    table: Mutex<Table>,
    /// Only `select` (the one `Poll`) takes this.
    poller: Mutex<Poller>,
}

/// The poller's buffers, kept between calls.
struct Poller {
    subscriptions: Vec<wasi::Subscription>,
    results: Vec<wasi::Event>,
}

struct Table {
    entries: HashMap<RawFd, Entry>,
    next_serial: u64,
}

/// One registered descriptor.
#[derive(Clone, Copy)]
struct Entry {
    token: Token,
    /// `READ`/`WRITE`: what the registration asked for.
    interests: u8,
    /// The subset currently subscribed to.
    armed: u8,
    /// Readiness gathered from the results of the current `select`.
    pending: u8,
    /// Tells this registration apart from a later one of the same number.
    serial: u64,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        Ok(Selector {
            state: Arc::new(State {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                table: Mutex::new(Table {
                    entries: HashMap::new(),
                    next_serial: 1,
                }),
                poller: Mutex::new(Poller {
                    subscriptions: Vec::new(),
                    results: Vec::new(),
                }),
            }),
        })
    }

    pub(crate) fn try_clone(&self) -> io::Result<Selector> {
        Ok(Selector {
            state: Arc::clone(&self.state),
        })
    }

    #[cfg_attr(not(feature = "net"), allow(dead_code))]
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
        let mut wait = timeout;
        loop {
            self.select_once(&mut poller, out, wait)?;
            // Some hosts (Node's) wake a clock subscription early: a
            // timeout never ends before its time, so wait for the rest.
            match deadline {
                Some(deadline) if out.is_empty() => {
                    let now = Instant::now();
                    if now >= deadline {
                        return Ok(());
                    }
                    wait = Some(deadline - now);
                }
                _ => return Ok(()),
            }
        }
    }

    /// One `poll_oneoff` call: subscribes to every armed direction and to
    /// `timeout`, and turns the results into events.
    fn select_once(
        &self,
        poller: &mut Poller,
        out: &mut Vec<RawEvent>,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        let Poller {
            subscriptions,
            results,
        } = poller;
        subscriptions.clear();
        {
            let table = lock(&self.state.table);
            for (&fd, entry) in &table.entries {
                if entry.armed & READ != 0 {
                    subscriptions.push(fd_subscription(fd, KIND_READ));
                }
                if entry.armed & WRITE != 0 {
                    subscriptions.push(fd_subscription(fd, KIND_WRITE));
                }
            }
        }
        if let Some(timeout) = timeout {
            subscriptions.push(clock_subscription(timeout));
        }
        if subscriptions.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "poll without a timeout and with nothing to wait for would never return (WASI preview 1 has no Waker)",
            ));
        }
        results.clear();
        results.reserve(subscriptions.len());
        // SAFETY: `subscriptions` holds `len` initialised subscriptions, and
        // `results` has room for at least as many events, which is all that
        // poll_oneoff writes (one per subscription at most); it returns how
        // many it wrote, and only those are marked initialised below.
        let written = unsafe {
            wasi::poll_oneoff(
                subscriptions.as_ptr(),
                results.as_mut_ptr(),
                subscriptions.len(),
            )
        }
        .map_err(errno)?;
        // SAFETY: poll_oneoff initialised the first `written` events, and
        // `written` is at most the capacity reserved above.
        unsafe { results.set_len(written.min(subscriptions.len())) };
        lock(&self.state.table).collect(results, out);
        Ok(())
    }

    /// Registers `fd`; the returned handle re-arms the registration and ends
    /// it when dropped.
    #[cfg_attr(not(feature = "net"), allow(dead_code))]
    pub(crate) fn register(
        &self,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<Registration> {
        let mut table = lock(&self.state.table);
        if table.entries.contains_key(&fd) {
            return Err(io::Error::from(io::ErrorKind::AlreadyExists));
        }
        let serial = table.next_serial;
        table.next_serial += 1;
        let interests = interest_bits(interests);
        table.entries.insert(
            fd,
            Entry {
                token,
                interests,
                armed: interests,
                pending: 0,
                serial,
            },
        );
        Ok(Registration {
            state: Arc::downgrade(&self.state),
            fd,
            serial,
        })
    }

    #[cfg_attr(not(feature = "net"), allow(dead_code))]
    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let mut table = lock(&self.state.table);
        let entry = table.entries.get_mut(&fd).ok_or_else(not_found)?;
        entry.token = token;
        entry.interests = interest_bits(interests);
        entry.armed = entry.interests;
        Ok(())
    }

    #[cfg_attr(not(feature = "net"), allow(dead_code))]
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        lock(&self.state.table)
            .entries
            .remove(&fd)
            .map(drop)
            .ok_or_else(not_found)
    }
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Selector")
            .field("id", &self.state.id)
            .finish()
    }
}

/// A registration owned by its source: re-arms it, and ends it when
/// dropped. Holds the selector weakly, so a source outliving its `Poll`
/// keeps nothing of it alive.
pub(crate) struct Registration {
    state: Weak<State>,
    fd: RawFd,
    serial: u64,
}

impl Registration {
    /// Subscribes again to what an I/O call that hit `WouldBlock` waits
    /// for: `Some(READABLE)` for a read, `Some(WRITABLE)` for a write,
    /// `None` (both) when the direction is unknown.
    #[cfg_attr(not(feature = "net"), allow(dead_code))]
    pub(crate) fn rearm(&self, direction: Option<Interest>) {
        let Some(state) = self.state.upgrade() else {
            return;
        };
        let mask = direction.map_or(READ | WRITE, interest_bits);
        let mut table = lock(&state.table);
        if let Some(entry) = table.entries.get_mut(&self.fd) {
            if entry.serial == self.serial {
                entry.armed |= entry.interests & mask;
            }
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(state) = self.state.upgrade() {
            let mut table = lock(&state.table);
            if table.entries.get(&self.fd).map(|e| e.serial) == Some(self.serial) {
                table.entries.remove(&self.fd);
            }
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

impl Table {
    /// Turns the results of one `poll_oneoff` into events (one per
    /// descriptor, at most `out`'s capacity) and disarms what was reported.
    fn collect(&mut self, results: &[wasi::Event], out: &mut Vec<RawEvent>) {
        let mut closed = Vec::new();
        for result in results {
            if result.userdata == CLOCK_USERDATA {
                continue;
            }
            let fd = (result.userdata >> 2) as RawFd;
            let Some(entry) = self.entries.get_mut(&fd) else {
                continue;
            };
            if result.error == wasi::ERRNO_BADF {
                // Closed behind our back: forget it, report nothing.
                closed.push(fd);
                continue;
            }
            let hangup = result.fd_readwrite.flags & wasi::EVENTRWFLAGS_FD_READWRITE_HANGUP != 0;
            let mut bits = if result.type_ == wasi::EVENTTYPE_FD_READ {
                READ | if hangup { READ_HUP } else { 0 }
            } else {
                WRITE | if hangup { WRITE_HUP } else { 0 }
            };
            if result.error != wasi::ERRNO_SUCCESS {
                bits |= ERROR;
            }
            entry.pending |= bits;
        }
        for fd in closed {
            self.entries.remove(&fd);
        }
        for result in results {
            if result.userdata == CLOCK_USERDATA {
                continue;
            }
            let fd = (result.userdata >> 2) as RawFd;
            let Some(entry) = self.entries.get_mut(&fd) else {
                continue;
            };
            let flags = entry.pending;
            entry.pending = 0;
            // A full buffer leaves the rest armed: the next poll reports it.
            if flags == 0 || out.len() == out.capacity() {
                continue;
            }
            out.push(RawEvent {
                token: entry.token.0,
                flags,
            });
            entry.armed &= !(flags & (READ | WRITE));
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every edit under these locks is a few plain stores: a panic leaves
    // the data consistent, so poisoning is ignored.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn interest_bits(interests: Interest) -> u8 {
    let mut bits = 0;
    if interests.is_readable() {
        bits |= READ;
    }
    if interests.is_writable() {
        bits |= WRITE;
    }
    bits
}

fn fd_subscription(fd: RawFd, kind: u64) -> wasi::Subscription {
    let fd_readwrite = wasi::SubscriptionFdReadwrite {
        file_descriptor: fd as wasi::Fd,
    };
    let (tag, u) = if kind == KIND_READ {
        (
            wasi::EVENTTYPE_FD_READ,
            wasi::SubscriptionUU {
                fd_read: fd_readwrite,
            },
        )
    } else {
        (
            wasi::EVENTTYPE_FD_WRITE,
            wasi::SubscriptionUU {
                fd_write: fd_readwrite,
            },
        )
    };
    wasi::Subscription {
        userdata: (fd as u32 as u64) << 2 | kind,
        u: wasi::SubscriptionU { tag: tag.raw(), u },
    }
}

/// A relative timeout on the monotonic clock, rounded up to whole
/// milliseconds: WASI timestamps are nanoseconds, but hosts built on
/// millisecond timers (Node's) truncate, which would end the wait early.
fn clock_subscription(timeout: Duration) -> wasi::Subscription {
    const NANOS_PER_MILLI: u128 = 1_000_000;
    let millis = (timeout.as_nanos() + NANOS_PER_MILLI - 1) / NANOS_PER_MILLI;
    let nanos = (millis * NANOS_PER_MILLI).min(u128::from(u64::MAX)) as u64;
    wasi::Subscription {
        userdata: CLOCK_USERDATA,
        u: wasi::SubscriptionU {
            tag: wasi::EVENTTYPE_CLOCK.raw(),
            u: wasi::SubscriptionUU {
                clock: wasi::SubscriptionClock {
                    id: wasi::CLOCKID_MONOTONIC,
                    timeout: nanos,
                    precision: 0,
                    flags: 0,
                },
            },
        },
    }
}

fn errno(err: wasi::Errno) -> io::Error {
    io::Error::from_raw_os_error(i32::from(err.raw()))
}

fn not_found() -> io::Error {
    io::Error::from(io::ErrorKind::NotFound)
}

pub(crate) mod event {
    use std::fmt;

    use super::{RawEvent, ERROR, READ, READ_HUP, WRITE, WRITE_HUP};
    use crate::Token;

    fn has(raw: &RawEvent, bits: u8) -> bool {
        raw.flags & bits != 0
    }

    pub(crate) fn token(raw: &RawEvent) -> Token {
        Token(raw.token)
    }

    pub(crate) fn is_readable(raw: &RawEvent) -> bool {
        has(raw, READ)
    }

    pub(crate) fn is_writable(raw: &RawEvent) -> bool {
        has(raw, WRITE)
    }

    pub(crate) fn is_error(raw: &RawEvent) -> bool {
        has(raw, ERROR)
    }

    pub(crate) fn is_read_closed(raw: &RawEvent) -> bool {
        has(raw, READ_HUP)
    }

    pub(crate) fn is_write_closed(raw: &RawEvent) -> bool {
        has(raw, WRITE_HUP)
    }

    pub(crate) fn is_priority(_: &RawEvent) -> bool {
        false
    }

    pub(crate) fn is_aio(_: &RawEvent) -> bool {
        false
    }

    pub(crate) fn is_lio(_: &RawEvent) -> bool {
        false
    }

    /// The event's bits by name, for `Event`'s `Debug` output.
    pub(crate) struct Details<'a>(pub(crate) &'a RawEvent);

    impl fmt::Debug for Details<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let names = [
                (READ, "FD_READ"),
                (WRITE, "FD_WRITE"),
                (READ_HUP, "READ_HANGUP"),
                (WRITE_HUP, "WRITE_HANGUP"),
                (ERROR, "ERROR"),
            ];
            let mut list = f.debug_list();
            for (bit, name) in names {
                if self.0.flags & bit != 0 {
                    list.entry(&format_args!("{name}"));
                }
            }
            list.finish()
        }
    }
}
