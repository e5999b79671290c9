//! Per-socket readiness state: the AFD poll request of one registered
//! socket, and the edge-triggered emulation on top of it.
//!
//! # State machine
//!
//! `interests` is the set of AFD events the user's interests stand for
//! (readable: receive, accept, disconnect, abort, connect failure;
//! writable: send, abort, connect failure); `armed` is the part of it not
//! reported since the last re-arm; `polling` is the event mask of the poll
//! request in flight, if any (at most one).
//!
//! * `register`/`reregister`: `armed = interests`, then `update`.
//! * `update`: with nothing in flight and something armed, send a poll for
//!   the armed events. If a poll is in flight but misses events now armed,
//!   cancel it; its (cancelled) completion sends the new one.
//! * Completion: the events reported that are armed become one user event
//!   and are disarmed, each on its own, like epoll's separate edges (data
//!   is reported once; the peer's FIN that follows is a new event).
//!   Whatever is still armed is polled for again.
//! * The user's I/O returns `WouldBlock` (`IoSourceState::do_io`): re-arm
//!   the interests of that direction, then `update`, except the final
//!   conditions already reported (`spent`: disconnect, abort, connect
//!   failure). They cannot become true a second time, so asking for them
//!   again would only report the same stale state after every
//!   `WouldBlock`, a livelock for a caller that reads until `WouldBlock`.
//!   `reregister` asks for them again.
//! * Datagram sockets: wine reports an ICMP error (port unreachable) on a
//!   connected UDP socket as a connect failure, where Windows reports it
//!   as receivable (the next `recv` fails with `WSAECONNRESET`). Either
//!   way the socket is not closed: the event is readable and an error,
//!   never read- or write-closed.
//! * `deregister` or drop: `closed`; the poll in flight is cancelled, and
//!   its completion only releases the state.
//!
//! # Memory
//!
//! The state is allocated once, in `register`, behind an `Arc`. The poll
//! request and the status block the kernel writes live in it; a poll in
//! flight owns one strong reference (passed to the kernel as the request's
//! context, so it comes back as the packet's `lpOverlapped`), which keeps
//! that memory alive until the packet is dequeued, even if the socket and
//! its `IoSource` are long gone.

use std::cell::UnsafeCell;
use std::os::windows::io::RawSocket;
use std::sync::{Arc, Mutex, Weak};
use std::{io, mem, ptr};

use windows_sys::Win32::Foundation::STATUS_CANCELLED;
use windows_sys::Win32::Networking::WinSock::{
    getsockopt, WSAIoctl, SIO_BASE_HANDLE, SIO_BSP_HANDLE_POLL, SOCKET, SOCKET_ERROR, SOCK_DGRAM,
    SOL_SOCKET, SO_TYPE,
};
use windows_sys::Win32::System::IO::IO_STATUS_BLOCK;

use super::afd::{
    Afd, AfdPollInfo, POLL_ABORT, POLL_ACCEPT, POLL_CONNECT_FAIL, POLL_DISCONNECT,
    POLL_LOCAL_CLOSE, POLL_RECEIVE, POLL_SEND,
};
use super::event::POLL_FAILED;
use super::selector::{lock, poll_dropped, SelectorInner};
use crate::{Interest, Token};

/// AFD events that make a socket readable: data, a connection to accept,
/// or the end of the connection (all of which a read or accept reports).
const READ_EVENTS: u32 =
    POLL_RECEIVE | POLL_ACCEPT | POLL_DISCONNECT | POLL_ABORT | POLL_CONNECT_FAIL;
/// AFD events that make a socket writable, or show that it never will be.
const WRITE_EVENTS: u32 = POLL_SEND | POLL_ABORT | POLL_CONNECT_FAIL;

/// Conditions that stay true once they are: reported once, and asked for
/// again only by `reregister` (module docs).
const FINAL_EVENTS: u32 = POLL_DISCONNECT | POLL_ABORT | POLL_CONNECT_FAIL;

/// The AFD events that stand for `interests`.
fn afd_events(interests: Interest) -> u32 {
    let mut events = 0;
    if interests.is_readable() {
        events |= READ_EVENTS;
    }
    if interests.is_writable() {
        events |= WRITE_EVENTS;
    }
    events
}

pub(crate) struct SockState {
    /// The request and status block of the poll in flight. The kernel owns
    /// them from `submit` until the completion is dequeued; only then, and
    /// only with `flags` locked, does this code touch them.
    info: UnsafeCell<AfdPollInfo>,
    iosb: UnsafeCell<IO_STATUS_BLOCK>,
    afd: Arc<Afd>,
    /// The base provider socket AFD knows (see `base_socket`).
    base: SOCKET,
    /// A datagram (UDP) socket: a connect failure is not a closed socket.
    datagram: bool,
    selector: Weak<SelectorInner>,
    flags: Mutex<Flags>,
}

// SAFETY: the `UnsafeCell`s are only accessed with `flags` locked and when
// no poll is in flight (see the field docs); everything else is `Sync`.
unsafe impl Send for SockState {}
// SAFETY: as above.
unsafe impl Sync for SockState {}

struct Flags {
    token: usize,
    /// AFD events of the registered interests.
    interests: u32,
    /// AFD events not reported since the last re-arm.
    armed: u32,
    /// Final conditions already reported; a `WouldBlock` does not re-arm
    /// them (module docs).
    spent: u32,
    /// Events of the poll in flight.
    polling: Option<u32>,
    /// The poll in flight was asked to cancel.
    cancelling: bool,
    /// Deregistered, dropped, closed, or the selector is gone: no more
    /// polls and no more events.
    closed: bool,
}

impl SockState {
    /// Registers `socket`: allocates its state and sends the first poll.
    pub(crate) fn register(
        selector: &Arc<SelectorInner>,
        socket: RawSocket,
        token: Token,
        interests: Interest,
    ) -> io::Result<Arc<SockState>> {
        let base = base_socket(socket as SOCKET);
        let afd = selector.afd()?;
        let events = afd_events(interests);
        let state = Arc::new(SockState {
            info: UnsafeCell::new(AfdPollInfo::empty()),
            iosb: UnsafeCell::new(IO_STATUS_BLOCK::default()),
            afd,
            base,
            datagram: is_datagram(socket as SOCKET),
            selector: Arc::downgrade(selector),
            flags: Mutex::new(Flags {
                token: usize::from(token),
                interests: events,
                armed: events,
                spent: 0,
                polling: None,
                cancelling: false,
                closed: false,
            }),
        });
        {
            let mut flags = lock(&state.flags);
            state.update(selector, &mut flags)?;
        }
        Ok(state)
    }

    pub(crate) fn reregister(
        self: &Arc<Self>,
        selector: &SelectorInner,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let mut flags = lock(&self.flags);
        if flags.closed {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "the socket's registration has ended",
            ));
        }
        flags.token = usize::from(token);
        flags.interests = afd_events(interests);
        flags.armed = flags.interests;
        flags.spent = 0;
        self.update(selector, &mut flags)
    }

    /// The user's I/O hit `WouldBlock`: report the interests of that
    /// direction (`None`: every interest) again once they are true. Only
    /// that direction: re-arming writable after a read would report an
    /// idle, writable socket again on every poll.
    pub(crate) fn rearm(self: &Arc<Self>, direction: Option<Interest>) -> io::Result<()> {
        // Upgraded before locking, so that if this turns out to be the last
        // reference, the selector is dropped (and drains, which locks this
        // state) only after the lock is released.
        let selector = self.selector.upgrade().ok_or_else(poll_dropped)?;
        let mut flags = lock(&self.flags);
        if flags.closed {
            return Ok(());
        }
        let mask = direction.map_or(!0, afd_events);
        flags.armed |= flags.interests & mask & !flags.spent;
        self.update(&selector, &mut flags)
    }

    /// Ends the registration; the poll in flight, if any, is cancelled.
    pub(crate) fn close(&self) {
        let mut flags = lock(&self.flags);
        flags.closed = true;
        self.cancel(&mut flags);
    }

    /// Brings the poll in flight in line with `armed` (module docs).
    fn update(self: &Arc<Self>, selector: &SelectorInner, flags: &mut Flags) -> io::Result<()> {
        if flags.closed {
            self.cancel(flags);
            return Ok(());
        }
        let wanted = flags.armed;
        match flags.polling {
            Some(polling) if wanted & !polling != 0 => {
                self.cancel(flags);
                Ok(())
            }
            Some(_) => Ok(()),
            None if wanted != 0 => self.submit(selector, flags, wanted),
            None => Ok(()),
        }
    }

    fn submit(
        self: &Arc<Self>,
        selector: &SelectorInner,
        flags: &mut Flags,
        events: u32,
    ) -> io::Result<()> {
        let context = Arc::into_raw(Arc::clone(self));
        selector.op_started();
        // LOCAL_CLOSE too: closing the socket then ends the poll at once.
        // SAFETY: no poll is in flight (`polling` is `None`) and `flags` is
        // locked, so nobody else touches `info` or `iosb`; the reference
        // behind `context` keeps both alive until the completion is
        // dequeued, where `complete` takes it back.
        let result = unsafe {
            self.afd.poll(
                self.base,
                events | POLL_LOCAL_CLOSE,
                self.info.get(),
                self.iosb.get(),
                context.cast(),
            )
        };
        match result {
            Ok(()) => {
                flags.polling = Some(events);
                flags.cancelling = false;
                Ok(())
            }
            Err(err) => {
                selector.op_abandoned();
                // SAFETY: the poll was not started, so the reference given
                // up above came back unused.
                drop(unsafe { Arc::from_raw(context) });
                Err(err)
            }
        }
    }

    fn cancel(&self, flags: &mut Flags) {
        if flags.polling.is_some() && !flags.cancelling {
            flags.cancelling = true;
            // SAFETY: `iosb` is the status block of the poll in flight on
            // `afd`; cancelling only compares the pointer. A failure leaves
            // the poll to complete by itself, which is also fine.
            let _ = unsafe { self.afd.cancel(self.iosb.get()) };
        }
    }

    /// The poll in flight completed: its events become at most one user
    /// event, and the socket is polled again for what is still armed.
    fn completed(
        self: &Arc<Self>,
        selector: &SelectorInner,
        draining: bool,
    ) -> Option<(usize, u32)> {
        let mut flags = lock(&self.flags);
        flags.polling = None;
        flags.cancelling = false;
        if draining {
            flags.closed = true;
        }
        if flags.closed {
            return None;
        }
        // SAFETY: the completion was dequeued, so the kernel is done with
        // the request and the status block, and no other poll is in flight.
        let (status, reported) = unsafe {
            (
                (*self.iosb.get()).Anonymous.Status,
                (*self.info.get()).reported(),
            )
        };
        let mut ready = 0;
        if status == STATUS_CANCELLED {
            // Cancelled to poll for more (`update`): polled again below.
        } else if status < 0 {
            // The request itself failed: report it once, and stop polling a
            // socket AFD rejects rather than fail in a loop.
            flags.armed = 0;
            ready = POLL_FAILED;
        } else if let Some(events) = reported {
            if events & POLL_LOCAL_CLOSE != 0 {
                flags.closed = true;
                return None;
            }
            ready = events & flags.armed;
            flags.armed &= !ready;
            flags.spent |= ready & FINAL_EVENTS;
            if self.datagram && ready & POLL_CONNECT_FAIL != 0 {
                // An ICMP error as wine reports it (module docs).
                ready &= !POLL_CONNECT_FAIL;
                ready |= POLL_FAILED;
                if flags.interests & POLL_RECEIVE != 0 {
                    ready |= POLL_RECEIVE;
                }
            }
        }
        if self.update(selector, &mut flags).is_err() {
            flags.armed = 0;
            ready |= POLL_FAILED;
        }
        if ready == 0 {
            None
        } else {
            Some((flags.token, ready))
        }
    }
}

/// Handles the completion of a socket poll.
///
/// # Safety
///
/// `context` must be the context of a poll sent by `SockState::submit`
/// whose completion has just been dequeued (once).
pub(crate) unsafe fn complete(
    selector: &SelectorInner,
    context: usize,
    draining: bool,
) -> Option<(usize, u32)> {
    let state = Arc::from_raw(context as *const SockState);
    state.completed(selector, draining)
}

/// Whether `socket` is a datagram socket (`SO_TYPE`); if the query fails,
/// it is treated as a stream.
fn is_datagram(socket: SOCKET) -> bool {
    let mut kind: i32 = 0;
    let mut len = mem::size_of::<i32>() as i32;
    // SAFETY: `kind` is a writable i32 and `len` says so.
    let res = unsafe {
        getsockopt(
            socket,
            SOL_SOCKET,
            SO_TYPE,
            (&mut kind as *mut i32).cast(),
            &mut len,
        )
    };
    res == 0 && kind == SOCK_DGRAM
}

/// The base provider socket under `socket`: AFD polls the socket it knows,
/// which differs from `socket` when a layered service provider sits on
/// top. SIO_BASE_HANDLE asks for it; some layered providers refuse it but
/// answer SIO_BSP_HANDLE_POLL; without either, the socket itself is used.
fn base_socket(socket: SOCKET) -> SOCKET {
    for ioctl in [SIO_BASE_HANDLE, SIO_BSP_HANDLE_POLL] {
        let mut base: SOCKET = 0;
        let mut returned = 0u32;
        // SAFETY: `base` is a writable SOCKET of the size given; no input
        // buffer, no overlapped operation.
        let res = unsafe {
            WSAIoctl(
                socket,
                ioctl,
                ptr::null(),
                0,
                (&mut base as *mut SOCKET).cast(),
                mem::size_of::<SOCKET>() as u32,
                &mut returned,
                ptr::null_mut(),
                None,
            )
        };
        if res != SOCKET_ERROR && base != 0 {
            return base;
        }
    }
    socket
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interests_map_to_afd_events() {
        let read = afd_events(Interest::READABLE);
        assert_ne!(read & POLL_RECEIVE, 0);
        assert_ne!(read & POLL_ACCEPT, 0);
        assert_ne!(read & POLL_DISCONNECT, 0);
        assert_eq!(read & POLL_SEND, 0);
        let write = afd_events(Interest::WRITABLE);
        assert_ne!(write & POLL_SEND, 0);
        assert_eq!(write & POLL_RECEIVE, 0);
        assert_eq!(
            afd_events(Interest::READABLE | Interest::WRITABLE),
            read | write
        );
    }
}
