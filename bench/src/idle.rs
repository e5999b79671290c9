//! Workload 5, **idle scale**: one ready descriptor among 19,000 registered
//! ones.
//!
//! The descriptors are 19,000 eventfds (one descriptor each, so 19,000
//! registrations fit under the 20,000 per-process limit; a pipe or socket
//! pair would cost two). Each is registered readable, edge-triggered (mio
//! through `unix::SourceFd`). Then, repeatedly: add 1 to one eventfd chosen
//! pseudo-randomly, time one `poll` (which must return exactly that one
//! event), and read the eventfd back to 0 (untimed), so nothing else is
//! ever ready.
//!
//! Reported:
//! * the time of one `poll` (median of the run's polls, in µs): with epoll
//!   it should not depend on the number of idle registrations;
//! * the memory per registration: growth of this process's resident set
//!   (`/proc/self/statm`) from before creating the poller to after the
//!   19,000 registrations, divided by 19,000. This is user-space memory,
//!   the cost a library adds. The kernel's own per-registration memory (an
//!   `epitem` and a wait-queue entry, the same whoever calls `epoll_ctl`)
//!   is not in it, and cannot be measured from here: those slab caches are
//!   merged with other caches of the same size (see BENCHMARKS.md).

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use crate::fixture::{self, EVENTS};
use crate::harness::{Budget, Impl};

/// What one run measured.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Median time of one `poll`, in seconds.
    pub poll_secs: f64,
    /// Resident-set growth per registration, in bytes.
    pub rss_per_reg: f64,
}

/// The eventfds every run registers.
pub struct Fixture {
    fds: Vec<OwnedFd>,
}

impl Fixture {
    /// Creates `n` eventfds.
    pub fn new(n: usize) -> io::Result<Fixture> {
        let fds = (0..n)
            .map(|_| fixture::eventfd())
            .collect::<io::Result<_>>()?;
        Ok(Fixture { fds })
    }

    /// One run of `imp`.
    pub fn run(&mut self, imp: Impl, budget: Budget) -> io::Result<Sample> {
        let raw: Vec<RawFd> = self.fds.iter().map(|f| f.as_raw_fd()).collect();
        match imp {
            Impl::Ours => ours::run(&raw, budget),
            Impl::Upstream => upstream::run(&raw, budget),
            Impl::Polling => with_polling(&self.fds, &raw, budget),
            Impl::Epoll => with_epoll(&raw, budget),
        }
    }
}

/// Resident-set probe around registration.
struct Probe {
    rss: u64,
}

impl Probe {
    fn take() -> io::Result<Probe> {
        Ok(Probe {
            rss: fixture::rss_bytes()?,
        })
    }

    /// Growth since `take`, per registration, in bytes.
    fn per_registration(&self, n: usize) -> io::Result<f64> {
        let after = fixture::rss_bytes()?;
        Ok((after as f64 - self.rss as f64) / n as f64)
    }
}

/// Deterministic pseudo-random index sequence (an LCG), the same for every
/// implementation.
struct Picker(u64);

impl Picker {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// The timing loop shared by every implementation: `poll_one(i)` must
/// poll once and check that exactly token `i` came back.
fn time_polls(
    raw: &[RawFd],
    budget: Budget,
    mut poll_one: impl FnMut(usize) -> io::Result<()>,
) -> io::Result<f64> {
    let mut picker = Picker(0x5eed);
    let mut times: Vec<Duration> = Vec::with_capacity(budget.max_ops.min(1 << 20) as usize);
    let mut spent = Duration::ZERO;
    while (times.len() as u64) < budget.max_ops && spent < budget.time {
        let i = picker.next(raw.len());
        fixture::eventfd_add(raw[i])?;
        let t = Instant::now();
        poll_one(i)?;
        let dt = t.elapsed();
        fixture::eventfd_clear(raw[i])?;
        spent += dt;
        times.push(dt);
    }
    times.sort();
    Ok(times[times.len() / 2].as_secs_f64())
}

fn wrong(i: usize, got: &[usize]) -> io::Error {
    io::Error::other(format!("idle: expected exactly token {i}, got {got:?}"))
}

/// The run for a mio API (this crate and upstream).
macro_rules! with_mio {
    ($mio:ident) => {
        pub(super) fn run(raw: &[RawFd], budget: Budget) -> io::Result<Sample> {
            use $mio::unix::SourceFd;
            use $mio::{Events, Interest, Poll, Token};

            let mut events = Events::with_capacity(EVENTS);
            let probe = Probe::take()?;
            let mut poll = Poll::new()?;
            for (i, fd) in raw.iter().enumerate() {
                poll.registry()
                    .register(&mut SourceFd(fd), Token(i), Interest::READABLE)?;
            }
            let rss_per_reg = probe.per_registration(raw.len())?;
            let poll_secs = time_polls(raw, budget, |i| {
                poll.poll(&mut events, None)?;
                let mut it = events.iter();
                match (it.next(), it.next()) {
                    (Some(e), None) if e.token() == Token(i) => Ok(()),
                    _ => Err(wrong(
                        i,
                        &events.iter().map(|e| e.token().0).collect::<Vec<_>>(),
                    )),
                }
            })?;
            Ok(Sample {
                poll_secs,
                rss_per_reg,
            })
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

fn with_polling(fds: &[OwnedFd], raw: &[RawFd], budget: Budget) -> io::Result<Sample> {
    use polling::{Event, Events, PollMode, Poller};
    use std::num::NonZeroUsize;

    let mut events = Events::with_capacity(NonZeroUsize::new(EVENTS).unwrap());
    let probe = Probe::take()?;
    let poller = Poller::new()?;
    for (i, fd) in fds.iter().enumerate() {
        // SAFETY: every fd is deleted below, and outlives the poller anyway.
        unsafe { poller.add_with_mode(fd, Event::readable(i), PollMode::Edge)? };
    }
    let rss_per_reg = probe.per_registration(fds.len())?;
    let poll_secs = time_polls(raw, budget, |i| {
        events.clear();
        poller.wait(&mut events, None)?;
        let mut it = events.iter();
        match (it.next(), it.next()) {
            (Some(e), None) if e.key == i => Ok(()),
            _ => Err(wrong(i, &events.iter().map(|e| e.key).collect::<Vec<_>>())),
        }
    })?;
    for fd in fds {
        poller.delete(fd)?;
    }
    Ok(Sample {
        poll_secs,
        rss_per_reg,
    })
}

fn with_epoll(raw: &[RawFd], budget: Budget) -> io::Result<Sample> {
    let mut events: Vec<libc::epoll_event> = Vec::with_capacity(EVENTS);
    let probe = Probe::take()?;
    let ep = fixture::epoll_create()?;
    let ep_fd = ep.as_raw_fd();
    for (i, &fd) in raw.iter().enumerate() {
        fixture::epoll_add(ep_fd, fd, fixture::EPOLL_READABLE, i as u64)?;
    }
    let rss_per_reg = probe.per_registration(raw.len())?;
    let poll_secs = time_polls(raw, budget, |i| {
        fixture::epoll_wait(ep_fd, &mut events, -1)?;
        match events.as_slice() {
            [e] if e.u64 == i as u64 => Ok(()),
            _ => Err(wrong(
                i,
                &events.iter().map(|e| e.u64 as usize).collect::<Vec<_>>(),
            )),
        }
    })?;
    Ok(Sample {
        poll_secs,
        rss_per_reg,
    })
}
