//! Workload 7, **timeout precision**: how late an empty `poll` with a short
//! timeout returns.
//!
//! Nothing is registered (for mio: nothing but the poller; for `polling`:
//! an empty `Poller`), so every `poll` ends by its timeout. Each run cycles
//! through the requested timeouts (50 µs, 200 µs, 700 µs, 1.5 ms), one
//! `poll` each, until the run's time is spent, and records for each
//! `poll` its *overshoot*: elapsed time minus the requested timeout.
//!
//! Raw epoll is the floor: `epoll_pwait2` with the exact `timespec` (Linux
//! 5.11+; where the kernel lacks it, `epoll_wait` with milliseconds
//! rounded up, as a plain epoll user would write). Overshoot includes the
//! kernel's timer slack (50 µs by default for a normal thread) and the
//! scheduling delay of waking the thread, the same for every
//! implementation.
//!
//! Reported per timeout: the median and the 90th percentile of the
//! overshoots of a round's polls (all slices pooled), in µs.

use std::io;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use crate::fixture::{self, EVENTS};
use crate::harness::{Budget, Impl};

/// The requested timeouts.
pub const TIMEOUTS: [Duration; 4] = [
    Duration::from_micros(50),
    Duration::from_micros(200),
    Duration::from_micros(700),
    Duration::from_micros(1500),
];

/// Overshoots (seconds) of one run, per entry of [`TIMEOUTS`].
pub type Sample = [Vec<f64>; 4];

/// One run of `imp`.
///
/// With `MIO_BENCH_TIMER_SLACK_NS` set, the thread's timer slack is set to
/// that many nanoseconds first (`prctl(PR_SET_TIMERSLACK)`; the default is
/// 50,000): it shows how much of the overshoot is the kernel's slack.
pub fn run(imp: Impl, budget: Budget) -> io::Result<Sample> {
    if let Some(ns) = std::env::var("MIO_BENCH_TIMER_SLACK_NS")
        .ok()
        .and_then(|v| v.parse::<libc::c_ulong>().ok())
    {
        // SAFETY: no pointers; affects only the calling thread.
        fixture::cvt(unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, ns) })?;
    }
    match imp {
        Impl::Ours => ours::run(budget),
        Impl::Upstream => upstream::run(budget),
        Impl::Polling => with_polling(budget),
        Impl::Epoll => with_epoll(budget),
    }
}

/// The timing loop shared by every implementation: `poll_for(t)` must
/// make one empty poll with timeout `t`.
fn time_polls(
    budget: Budget,
    mut poll_for: impl FnMut(Duration) -> io::Result<()>,
) -> io::Result<Sample> {
    let mut out: Sample = Default::default();
    let start = Instant::now();
    let mut n = 0u64;
    while n < budget.max_ops && start.elapsed() < budget.time {
        for (i, &t) in TIMEOUTS.iter().enumerate() {
            let t0 = Instant::now();
            loop {
                match poll_for(t) {
                    // A signal: poll again for what is left (never seen in
                    // practice; counted from the first call).
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    r => break r?,
                }
            }
            let dt = t0.elapsed();
            out[i].push(dt.as_secs_f64() - t.as_secs_f64());
            n += 1;
        }
    }
    Ok(out)
}

macro_rules! with_mio {
    ($mio:ident) => {
        pub(super) fn run(budget: Budget) -> io::Result<Sample> {
            use $mio::{Events, Poll};

            let mut poll = Poll::new()?;
            let mut events = Events::with_capacity(EVENTS);
            time_polls(budget, |t| {
                poll.poll(&mut events, Some(t))?;
                if events.iter().next().is_some() {
                    return Err(io::Error::other("timeout: unexpected event"));
                }
                Ok(())
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

fn with_polling(budget: Budget) -> io::Result<Sample> {
    use polling::{Events, Poller};
    use std::num::NonZeroUsize;

    let poller = Poller::new()?;
    let mut events = Events::with_capacity(NonZeroUsize::new(EVENTS).unwrap());
    time_polls(budget, |t| {
        events.clear();
        poller.wait(&mut events, Some(t))?;
        Ok(())
    })
}

fn with_epoll(budget: Budget) -> io::Result<Sample> {
    let ep = fixture::epoll_create()?;
    let fd = ep.as_raw_fd();
    let mut events: Vec<libc::epoll_event> = Vec::with_capacity(EVENTS);
    let mut pwait2 = true;
    time_polls(budget, |t| {
        if pwait2 {
            let ts = libc::timespec {
                tv_sec: t.as_secs() as libc::time_t,
                tv_nsec: t.subsec_nanos() as libc::c_long,
            };
            // SAFETY: the kernel writes at most `EVENTS` entries into the
            // vector's allocation; `ts` lives for the call; no signal mask.
            let n = unsafe {
                libc::syscall(
                    libc::SYS_epoll_pwait2,
                    fd,
                    events.as_mut_ptr(),
                    EVENTS as libc::c_int,
                    &ts as *const libc::timespec,
                    std::ptr::null::<libc::sigset_t>(),
                    0usize,
                )
            };
            if n >= 0 {
                return Ok(());
            }
            let err = io::Error::last_os_error();
            if err.raw_os_error() != Some(libc::ENOSYS) {
                return Err(err);
            }
            pwait2 = false;
        }
        let ms = t.as_nanos().div_ceil(1_000_000) as libc::c_int;
        fixture::epoll_wait(fd, &mut events, ms)
    })
}
