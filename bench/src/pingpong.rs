//! Workload 1, **ping-pong**: one byte back and forth over one loopback TCP
//! connection, both ends registered (readable, edge-triggered) with one
//! poller in one thread.
//!
//! One round trip is: write 1 byte on end A; `poll` until B is readable; read
//! B until `WouldBlock`; write 1 byte on B; `poll` until A is readable; read
//! A until `WouldBlock`. That is 2 `send`, 4 `recv` (2 of them `EAGAIN`) and
//! 2 `epoll_wait` per round trip for an implementation that adds nothing,
//! so the figure is the latency floor of the event loop: any syscall,
//! allocation or lock a library adds shows up directly.
//!
//! Reported: round trips per second. One thread and one poller (not two
//! threads) so that the figure is CPU cost, not scheduler wake-up latency,
//! on a 2-core machine that other people share.

use std::io::{self, Write};
use std::os::fd::{AsRawFd, OwnedFd};

use crate::fixture::{self, drain, drain_fd, EVENTS};
use crate::harness::{Budget, Clock, Impl, Measurement};

/// Token of end A (and polling key / epoll `u64`).
const A: usize = 0;
/// Token of end B.
const B: usize = 1;

/// The connection every run uses, reused across runs.
pub struct Fixture {
    ends: Option<(OwnedFd, OwnedFd)>,
}

impl Fixture {
    /// Connects the pair.
    pub fn new() -> io::Result<Fixture> {
        Ok(Fixture {
            ends: Some(fixture::tcp_pair()?),
        })
    }

    /// One run of `imp`.
    pub fn run(&mut self, imp: Impl, budget: Budget) -> io::Result<Measurement> {
        let (a, b) = self.ends.take().expect("fixture in use");
        let (m, a, b) = match imp {
            Impl::Ours => ours::run(a, b, budget)?,
            Impl::Upstream => upstream::run(a, b, budget)?,
            Impl::Polling => with_polling(a, b, budget)?,
            Impl::Epoll => with_epoll(a, b, budget)?,
        };
        self.ends = Some((a, b));
        Ok(m)
    }
}

/// The run for a mio API; instantiated for this crate and for upstream,
/// whose types are distinct but whose API is the same.
macro_rules! with_mio {
    ($mio:ident) => {
        pub(super) fn run(
            a: OwnedFd,
            b: OwnedFd,
            budget: Budget,
        ) -> io::Result<(Measurement, OwnedFd, OwnedFd)> {
            use $mio::net::TcpStream;
            use $mio::{Events, Interest, Poll, Token};

            let mut poll = Poll::new()?;
            let mut events = Events::with_capacity(EVENTS);
            let mut a = TcpStream::from(a);
            let mut b = TcpStream::from(b);
            poll.registry()
                .register(&mut a, Token(A), Interest::READABLE)?;
            poll.registry()
                .register(&mut b, Token(B), Interest::READABLE)?;
            let mut buf = [0u8; 64];

            let clock = Clock::start();
            let start = clock.wall;
            let mut trips = 0u64;
            while !budget.done(trips, start) {
                for (from, to) in [(A, B), (B, A)] {
                    let sender = if from == A { &mut a } else { &mut b };
                    sender.write_all(&[1])?;
                    let mut seen = false;
                    while !seen {
                        poll.poll(&mut events, None)?;
                        for event in events.iter() {
                            let token = event.token().0;
                            let stream = if token == A { &a } else { &b };
                            drain(stream, &mut buf)?;
                            seen |= token == to;
                        }
                    }
                }
                trips += 1;
            }
            let m = clock.stop(trips);
            drop(poll);
            Ok((m, a.into(), b.into()))
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
    a: OwnedFd,
    b: OwnedFd,
    budget: Budget,
) -> io::Result<(Measurement, OwnedFd, OwnedFd)> {
    use polling::{Event, Events, PollMode, Poller};
    use std::net::TcpStream;
    use std::num::NonZeroUsize;

    let poller = Poller::new()?;
    let mut events = Events::with_capacity(NonZeroUsize::new(EVENTS).unwrap());
    let mut a = TcpStream::from(a);
    let mut b = TcpStream::from(b);
    // SAFETY: both are deleted below before they can be dropped.
    unsafe {
        poller.add_with_mode(&a, Event::readable(A), PollMode::Edge)?;
        poller.add_with_mode(&b, Event::readable(B), PollMode::Edge)?;
    }
    let mut buf = [0u8; 64];

    let clock = Clock::start();
    let start = clock.wall;
    let mut trips = 0u64;
    while !budget.done(trips, start) {
        for (from, to) in [(A, B), (B, A)] {
            let sender = if from == A { &mut a } else { &mut b };
            sender.write_all(&[1])?;
            let mut seen = false;
            while !seen {
                // `wait` appends: clear first, as mio's `poll` does itself.
                events.clear();
                poller.wait(&mut events, None)?;
                for event in events.iter() {
                    let stream = if event.key == A { &a } else { &b };
                    drain(stream, &mut buf)?;
                    seen |= event.key == to;
                }
            }
        }
        trips += 1;
    }
    let m = clock.stop(trips);
    poller.delete(&a)?;
    poller.delete(&b)?;
    Ok((m, a.into(), b.into()))
}

fn with_epoll(
    a: OwnedFd,
    b: OwnedFd,
    budget: Budget,
) -> io::Result<(Measurement, OwnedFd, OwnedFd)> {
    let ep = fixture::epoll_create()?;
    let ep_fd = ep.as_raw_fd();
    let fds = [a.as_raw_fd(), b.as_raw_fd()];
    fixture::epoll_add(ep_fd, fds[A], fixture::EPOLL_READABLE, A as u64)?;
    fixture::epoll_add(ep_fd, fds[B], fixture::EPOLL_READABLE, B as u64)?;
    let mut events: Vec<libc::epoll_event> = Vec::with_capacity(EVENTS);
    let mut buf = [0u8; 64];

    let clock = Clock::start();
    let start = clock.wall;
    let mut trips = 0u64;
    while !budget.done(trips, start) {
        for (from, to) in [(A, B), (B, A)] {
            fixture::send_byte(fds[from])?;
            let mut seen = false;
            while !seen {
                fixture::epoll_wait(ep_fd, &mut events, -1)?;
                for event in &events {
                    let token = event.u64 as usize;
                    drain_fd(fds[token], &mut buf)?;
                    seen |= token == to;
                }
            }
        }
        trips += 1;
    }
    let m = clock.stop(trips);
    drop(ep);
    Ok((m, a, b))
}
