//! The Solaris selector: one event port (port_create(3C)), each descriptor
//! associated with `PORT_SOURCE_FD` and its poll(2) event mask, the token
//! as the association's user value; the `Waker` posts `PORT_SOURCE_USER`
//! events to the same port (see `waker/event_ports.rs`).
//!
//! port_associate(3C), port_getn(3C), port_send(3C).
//!
//! # Edge triggering
//!
//! An association is one-shot: once port_getn(3C) has handed out an event
//! for a descriptor, the port forgets the descriptor. `select` therefore
//! associates every reported descriptor again, with the interests it was
//! registered with, right after port_getn returns and before the events
//! are handed to the caller, under the lock that `register`, `reregister`
//! and `deregister` take. So no readiness is ever lost, and a descriptor
//! the caller deregistered meanwhile is never associated again.
//!
//! What callers see, compared with epoll:
//! - A source that the caller drains until `WouldBlock`, as mio requires,
//!   gets one event per edge, as on epoll. A source that is still ready when
//!   it is associated again (the caller did not drain it, or more data came
//!   in) is reported by the next poll again: readiness that is left alone
//!   repeats, as with a level-triggered poller, instead of going silent.
//! - Events whose descriptor was deregistered, or registered again under a
//!   different token, after port_getn returned them are dropped, so no
//!   event names a token the caller has deregistered.
//! - The port does not refuse a second `register` of a descriptor: it
//!   updates the association, like a `reregister`. (The crate's socket and
//!   pipe types refuse it themselves.) `reregister` and `deregister` of a
//!   descriptor that was never registered fail with `NotFound`.
//! - Closing a descriptor ends its association and drops its pending
//!   events. Its table entry stays until the number is registered again
//!   (which replaces it) or deregistered. A descriptor closed by another
//!   thread and reused for a new file between port_getn and the
//!   re-association is associated for the new file under the old token,
//!   until that file is registered or deregistered; deregistering before
//!   closing, as Tokio does, avoids this.
//! - The `Waker` posts at most one user event at a time: wakes coalesce
//!   until `select` has taken the pending one.
//!
//! # Cost
//!
//! * `select`: one port_getn(3C), then one table lock and, per reported
//!   descriptor, a hash lookup and one port_associate(3C) (per event, not
//!   per registered descriptor: the port, not the process, scans). No
//!   allocation.
//! * `register`/`reregister`: one port_associate(3C) and a hash insert
//!   under the table lock; `deregister`: one port_dissociate(3C) and a
//!   removal. None of them wakes a blocked `select`: the port picks up the
//!   change itself.
//! * The table holds one entry (descriptor, token, interests) per
//!   registered descriptor.

use std::collections::HashMap;
use std::os::unix::io::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use std::{io, ptr};

use crate::sys::EventBuf;
use crate::{Interest, Token};

/// What port_getn writes per event, wrapped so that `Events` and `Event`
/// can be `Send` and `Sync`.
#[repr(transparent)]
#[derive(Clone)]
pub(crate) struct RawEvent(libc::port_event);

// SAFETY: the only field that is not plain data is `portev_user`, a
// `void *`. The selector stores a token there and only ever reads it back
// as an integer; the pointer is never dereferenced, so moving or sharing a
// `RawEvent` between threads is as safe as doing so with a `usize`.
unsafe impl Send for RawEvent {}
// SAFETY: as above; `RawEvent` has no interior mutability.
unsafe impl Sync for RawEvent {}

/// Source of selector ids; 0 is never handed out, it means "not registered".
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

/// What a descriptor was registered with: re-associating needs both.
type Table = HashMap<RawFd, (Token, Interest)>;

#[derive(Debug)]
pub(crate) struct Selector {
    /// Shared by clones made with `try_clone`: they are the same queue.
    id: usize,
    port: OwnedFd,
    table: Arc<Mutex<Table>>,
    /// A user event from the `Waker` is queued and not yet taken.
    wake_pending: Arc<AtomicBool>,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        // SAFETY: no arguments; returns a new descriptor or -1.
        let fd = syscall!(port_create())?;
        // SAFETY: `fd` was just created and is owned by nothing else.
        let port = unsafe { OwnedFd::from_raw_fd(fd) };
        // port_create(3C) gives no flag for close-on-exec.
        // SAFETY: no pointers; `port` is open.
        syscall!(fcntl(port.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC))?;
        Ok(Selector {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            port,
            table: Arc::new(Mutex::new(HashMap::new())),
            wake_pending: Arc::new(AtomicBool::new(false)),
        })
    }

    pub(crate) fn try_clone(&self) -> io::Result<Selector> {
        Ok(Selector {
            id: self.id,
            port: self.port.try_clone()?,
            table: Arc::clone(&self.table),
            wake_pending: Arc::clone(&self.wake_pending),
        })
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn id(&self) -> usize {
        self.id
    }

    /// Posts a user event carrying `token` (the `Waker`'s), unless one is
    /// already queued and not yet taken by `select`.
    pub(crate) fn wake(&self, token: Token) -> io::Result<()> {
        if self.wake_pending.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        // SAFETY: the user value is the token, stored as an integer-valued
        // pointer and never dereferenced.
        let res = syscall!(port_send(
            self.port.as_raw_fd(),
            libc::c_int::from(libc::POLLIN),
            usize::from(token) as *mut libc::c_void
        ));
        if res.is_err() {
            // Nothing was queued: let the next wake try again.
            self.wake_pending.store(false, Ordering::Release);
        }
        res.map(drop)
    }

    pub(crate) fn select(
        &self,
        events: &mut EventBuf,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        let buf = events.raw_mut();
        buf.clear();
        let max = max_events(buf.capacity());
        // port_getn waits until `nget` events are there (or the timeout);
        // with `max` 0 it would only count the pending events, and store
        // that count in `nget`: nothing is written then.
        let mut nget: libc::c_uint = max.min(1);
        let mut ts = timeout.map(to_timespec);
        let ts_ptr = ts
            .as_mut()
            .map_or(ptr::null_mut(), |ts| ts as *mut libc::timespec);
        // SAFETY: the kernel writes at most `max` events, which fit in the
        // vector's allocation (`RawEvent` is `repr(transparent)` over
        // `port_event`); `nget` and the timespec are live locals.
        let res = syscall!(port_getn(
            self.port.as_raw_fd(),
            buf.as_mut_ptr().cast::<libc::port_event>(),
            max,
            &mut nget,
            ts_ptr
        ));
        let got = if max == 0 { 0 } else { nget.min(max) };
        if let Err(err) = res {
            // A timeout (ETIME) or a signal (EINTR) can still come with
            // events; `nget` says how many were taken.
            match err.raw_os_error() {
                Some(libc::ETIME) | Some(libc::EINTR) if got > 0 => {}
                Some(libc::ETIME) => return Ok(()),
                _ => return Err(err),
            }
        }
        // SAFETY: port_getn initialised the first `got` entries (got <= max).
        unsafe { buf.set_len(got as usize) };
        self.rearm(buf);
        Ok(())
    }

    /// Associates every descriptor in `buf` again and drops the events of
    /// descriptors deregistered (or given another token) meanwhile.
    fn rearm(&self, buf: &mut Vec<RawEvent>) {
        let mut table = lock(&self.table);
        let port = self.port.as_raw_fd();
        buf.retain(|RawEvent(ev)| match libc::c_int::from(ev.portev_source) {
            libc::PORT_SOURCE_USER => {
                // Taken: the next wake posts a new user event.
                self.wake_pending.store(false, Ordering::Release);
                true
            }
            libc::PORT_SOURCE_FD => {
                let fd = ev.portev_object as RawFd;
                let token = Token(ev.portev_user as usize);
                match table.get(&fd) {
                    Some(&(registered, interests)) if registered == token => {
                        if associate(port, fd, token, interests).is_err() {
                            // Closed (EBADF) since: its association is gone.
                            table.remove(&fd);
                        }
                        true
                    }
                    _ => false,
                }
            }
            _ => false,
        });
    }

    pub(crate) fn register(&self, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
        let mut table = lock(&self.table);
        associate(self.port.as_raw_fd(), fd, token, interests)?;
        table.insert(fd, (token, interests));
        Ok(())
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn reregister(
        &self,
        fd: RawFd,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let mut table = lock(&self.table);
        let entry = table
            .get_mut(&fd)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))?;
        associate(self.port.as_raw_fd(), fd, token, interests)?;
        *entry = (token, interests);
        Ok(())
    }

    #[cfg_attr(not(any(feature = "net", feature = "os-ext")), allow(dead_code))]
    pub(crate) fn deregister(&self, fd: RawFd) -> io::Result<()> {
        let mut table = lock(&self.table);
        if table.remove(&fd).is_none() {
            return Err(io::Error::from_raw_os_error(libc::ENOENT));
        }
        // SAFETY: no pointers.
        match syscall!(port_dissociate(
            self.port.as_raw_fd(),
            libc::PORT_SOURCE_FD,
            fd as libc::uintptr_t
        )) {
            Ok(_) => Ok(()),
            // Not associated: its event was just taken by a `select` that
            // has not associated it again yet (and now will not), or it was
            // closed. Either way it is gone from the port.
            Err(err) if err.raw_os_error() == Some(libc::ENOENT) => Ok(()),
            Err(err) => Err(err),
        }
    }
}

impl AsRawFd for Selector {
    fn as_raw_fd(&self) -> RawFd {
        self.port.as_raw_fd()
    }
}

impl AsFd for Selector {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.port.as_fd()
    }
}

fn lock(table: &Mutex<Table>) -> MutexGuard<'_, Table> {
    // The table is consistent after every statement: a panic elsewhere
    // while it was held leaves nothing half-done.
    table.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Associates `fd` with the port for `interests`, `token` as user value.
fn associate(port: RawFd, fd: RawFd, token: Token, interests: Interest) -> io::Result<()> {
    // SAFETY: no pointers are dereferenced: the user value is the token,
    // stored as an integer-valued pointer and only ever read back as one.
    syscall!(port_associate(
        port,
        libc::PORT_SOURCE_FD,
        fd as libc::uintptr_t,
        interest_to_poll(interests),
        usize::from(token) as *mut libc::c_void
    ))
    .map(drop)
}

fn interest_to_poll(interests: Interest) -> libc::c_int {
    let mut flags = 0;
    if interests.is_readable() {
        flags |= libc::POLLIN;
    }
    if interests.is_writable() {
        flags |= libc::POLLOUT;
    }
    libc::c_int::from(flags)
}

/// The `max` argument of port_getn for a buffer of `capacity` events.
fn max_events(capacity: usize) -> libc::c_uint {
    capacity.min(libc::c_int::MAX as usize) as libc::c_uint
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

/// Reading a port event the way mio documents it.
pub(crate) mod event {
    use std::fmt;

    use super::RawEvent;
    use crate::Token;

    fn has(raw: &RawEvent, bits: libc::c_short) -> bool {
        raw.0.portev_events & libc::c_int::from(bits) != 0
    }

    pub(crate) fn token(raw: &RawEvent) -> Token {
        Token(raw.0.portev_user as usize)
    }

    pub(crate) fn is_readable(raw: &RawEvent) -> bool {
        has(raw, libc::POLLIN | libc::POLLPRI)
    }

    pub(crate) fn is_writable(raw: &RawEvent) -> bool {
        has(raw, libc::POLLOUT)
    }

    pub(crate) fn is_error(raw: &RawEvent) -> bool {
        has(raw, libc::POLLERR | libc::POLLNVAL)
    }

    pub(crate) fn is_read_closed(raw: &RawEvent) -> bool {
        has(raw, libc::POLLHUP)
    }

    pub(crate) fn is_write_closed(raw: &RawEvent) -> bool {
        // HUP: both halves gone. OUT together with ERR: the write side
        // failed. A bare ERR is what a pipe's write end gets once its reader
        // closed.
        has(raw, libc::POLLHUP)
            || (has(raw, libc::POLLOUT) && has(raw, libc::POLLERR))
            || raw.0.portev_events == libc::c_int::from(libc::POLLERR)
    }

    pub(crate) fn is_priority(raw: &RawEvent) -> bool {
        has(raw, libc::POLLPRI)
    }

    pub(crate) fn is_aio(_: &RawEvent) -> bool {
        false
    }

    pub(crate) fn is_lio(_: &RawEvent) -> bool {
        false
    }

    /// The raw fields, for `{:#?}`.
    pub(crate) struct Details<'a>(pub(crate) &'a RawEvent);

    impl fmt::Debug for Details<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            let ev = &self.0 .0;
            f.debug_struct("port_event")
                .field("portev_events", &ev.portev_events)
                .field("portev_source", &ev.portev_source)
                .field("portev_object", &ev.portev_object)
                .field("portev_user", &(ev.portev_user as usize))
                .finish()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities_beyond_int_are_clamped() {
        assert_eq!(max_events(0), 0);
        assert_eq!(max_events(1024), 1024);
        assert_eq!(max_events(usize::MAX), libc::c_int::MAX as libc::c_uint);
    }

    #[test]
    fn timespecs_are_exact_and_capped() {
        let ts = to_timespec(Duration::new(3, 7));
        assert_eq!((ts.tv_sec, ts.tv_nsec), (3, 7));
        assert_eq!(to_timespec(Duration::MAX).tv_sec, libc::time_t::MAX);
    }
}
