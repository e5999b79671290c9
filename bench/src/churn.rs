//! Workload 4, **churn**: short-lived connections, one at a time, through
//! one poller: connect, accept, register, deregister, close.
//!
//! One operation (one connection) is:
//! 1. a non-blocking `connect` to a loopback listener that is registered
//!    (readable, edge-triggered) with the poller (mio:
//!    `TcpStream::connect`; `polling` and raw epoll: the same two syscalls,
//!    `socket(SOCK_NONBLOCK|SOCK_CLOEXEC)` + `connect`);
//! 2. `poll` until the listener is readable, then `accept` until
//!    `WouldBlock` (`accept4(SOCK_NONBLOCK|SOCK_CLOEXEC)`, 2 calls);
//! 3. register the accepted stream (readable), then deregister it;
//! 4. close the accepted stream, then the client (the server side closes
//!    first, so the TIME_WAIT state stays on the server side and the
//!    client's ephemeral ports are free again at once).
//!
//! Reported: connections per second. Per connection an implementation that
//! adds nothing makes 9 syscalls (socket, connect, epoll_wait, 2 accept4,
//! 2 epoll_ctl, 2 close); the kernel's TCP handshake and teardown dominate.

use std::io;
use std::net::SocketAddrV4;
use std::os::fd::{AsRawFd, OwnedFd};

use crate::fixture::{self, EVENTS};
use crate::harness::{Budget, Clock, Impl, Measurement};

/// Token of the listener.
const LISTENER: usize = 0;
/// Token of the accepted connection.
const CONN: usize = 1;

/// The listener every run uses.
pub struct Fixture {
    listener: Option<OwnedFd>,
    addr: SocketAddrV4,
}

impl Fixture {
    /// Binds the loopback listener.
    pub fn new() -> io::Result<Fixture> {
        let (listener, addr) = fixture::listener()?;
        Ok(Fixture {
            listener: Some(listener),
            addr,
        })
    }

    /// One run of `imp`.
    pub fn run(&mut self, imp: Impl, budget: Budget) -> io::Result<Measurement> {
        let listener = self.listener.take().expect("fixture in use");
        let (m, listener) = match imp {
            Impl::Ours => ours::run(listener, self.addr, budget)?,
            Impl::Upstream => upstream::run(listener, self.addr, budget)?,
            Impl::Polling => with_polling(listener, self.addr, budget)?,
            Impl::Epoll => with_epoll(listener, self.addr, budget)?,
        };
        self.listener = Some(listener);
        Ok(m)
    }
}

/// The run for a mio API (this crate and upstream).
macro_rules! with_mio {
    ($mio:ident) => {
        pub(super) fn run(
            listener: OwnedFd,
            addr: SocketAddrV4,
            budget: Budget,
        ) -> io::Result<(Measurement, OwnedFd)> {
            use $mio::net::{TcpListener, TcpStream};
            use $mio::{Events, Interest, Poll, Token};

            let mut poll = Poll::new()?;
            let mut events = Events::with_capacity(EVENTS);
            let mut listener = TcpListener::from(listener);
            poll.registry()
                .register(&mut listener, Token(LISTENER), Interest::READABLE)?;
            let addr = addr.into();

            let clock = Clock::start();
            let start = clock.wall;
            let mut conns = 0u64;
            while !budget.done(conns, start) {
                let client = TcpStream::connect(addr)?;
                let mut accepted = None;
                while accepted.is_none() {
                    poll.poll(&mut events, None)?;
                    for event in events.iter() {
                        if event.token() == Token(LISTENER) {
                            loop {
                                match listener.accept() {
                                    Ok((s, _)) => accepted = Some(s),
                                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                                    Err(e) => return Err(e),
                                }
                            }
                        }
                    }
                }
                let mut stream = accepted.unwrap();
                poll.registry()
                    .register(&mut stream, Token(CONN), Interest::READABLE)?;
                poll.registry().deregister(&mut stream)?;
                drop(stream);
                drop(client);
                conns += 1;
            }
            let m = clock.stop(conns);
            drop(poll);
            Ok((m, listener.into()))
        }
    };
}

mod ours {
    use super::*;
    with_mio!(mio);
}

mod upstream {
    use super::*;
    with_mio!(mio_upstream);
}

fn with_polling(
    listener: OwnedFd,
    addr: SocketAddrV4,
    budget: Budget,
) -> io::Result<(Measurement, OwnedFd)> {
    use polling::{Event, Events, PollMode, Poller};
    use std::num::NonZeroUsize;

    let poller = Poller::new()?;
    let mut events = Events::with_capacity(NonZeroUsize::new(EVENTS).unwrap());
    let lfd = listener.as_raw_fd();
    // SAFETY: the listener is deleted below before it is given back.
    unsafe { poller.add_with_mode(&listener, Event::readable(LISTENER), PollMode::Edge)? };

    let clock = Clock::start();
    let start = clock.wall;
    let mut conns = 0u64;
    while !budget.done(conns, start) {
        let client = fixture::connect_nonblocking(addr)?;
        let mut accepted = None;
        while accepted.is_none() {
            events.clear();
            poller.wait(&mut events, None)?;
            for event in events.iter() {
                if event.key == LISTENER {
                    while let Some(s) = fixture::accept_nonblocking(lfd)? {
                        accepted = Some(s);
                    }
                }
            }
        }
        let stream = accepted.unwrap();
        // SAFETY: deleted on the next line, before it is dropped.
        unsafe { poller.add_with_mode(&stream, Event::readable(CONN), PollMode::Edge)? };
        poller.delete(&stream)?;
        drop(stream);
        drop(client);
        conns += 1;
    }
    let m = clock.stop(conns);
    poller.delete(&listener)?;
    Ok((m, listener))
}

fn with_epoll(
    listener: OwnedFd,
    addr: SocketAddrV4,
    budget: Budget,
) -> io::Result<(Measurement, OwnedFd)> {
    let ep = fixture::epoll_create()?;
    let ep_fd = ep.as_raw_fd();
    let lfd = listener.as_raw_fd();
    fixture::epoll_add(ep_fd, lfd, fixture::EPOLL_READABLE, LISTENER as u64)?;
    let mut events: Vec<libc::epoll_event> = Vec::with_capacity(EVENTS);

    let clock = Clock::start();
    let start = clock.wall;
    let mut conns = 0u64;
    while !budget.done(conns, start) {
        let client = fixture::connect_nonblocking(addr)?;
        let mut accepted = None;
        while accepted.is_none() {
            fixture::epoll_wait(ep_fd, &mut events, -1)?;
            for event in &events {
                if event.u64 == LISTENER as u64 {
                    while let Some(s) = fixture::accept_nonblocking(lfd)? {
                        accepted = Some(s);
                    }
                }
            }
        }
        let stream = accepted.unwrap();
        fixture::epoll_add(
            ep_fd,
            stream.as_raw_fd(),
            fixture::EPOLL_READABLE,
            CONN as u64,
        )?;
        fixture::epoll_del(ep_fd, stream.as_raw_fd())?;
        drop(stream);
        drop(client);
        conns += 1;
    }
    let m = clock.stop(conns);
    drop(ep);
    Ok((m, listener))
}
