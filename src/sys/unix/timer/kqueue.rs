//! `Timer` on kqueue systems: an `EVFILT_TIMER` in the `Poll`'s own kqueue
//! (kqueue(2)), added when the timer is registered. No descriptor of its
//! own and no kqueue inside another: the event comes straight out of the
//! selector's `kevent` call with the timer's token as `udata`.
//!
//! The schedule (`schedule.rs`) decides what is due from the monotonic
//! clock; the kernel timer is always a one-shot that only wakes the poller,
//! and each `read` arms the next one. `Instant` reads the clock the kernel
//! timer runs on (`CLOCK_MONOTONIC`, or `mach_absolute_time` on Apple's
//! systems); were the wake-up ever early, the read would find nothing due
//! and arm the timer for the rest.
//!
//! An unregistered timer keeps its schedule and can be read; it reports
//! nothing until it is registered, which arms the kernel timer for the
//! schedule's next deadline. A timer registered without
//! `Interest::READABLE` has no kernel timer either, as a timerfd registered
//! that way would never be reported.
//!
//! Every timer has an `ident` of its own, from a process-wide counter, so
//! that any number of timers share one kqueue.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use std::{fmt, io};

use super::kqueue_args::{TimerChange, TimerConsts, Unit};
use super::schedule::Schedule;
use crate::sys::registration::{already_registered, not_registered, registered_elsewhere};
use crate::sys::unix::kqueue_sys as kq;
use crate::sys::unix::selector::{Filter, Flags};
use crate::sys::Selector;
use crate::{Interest, Token};

/// The units this system's `EVFILT_TIMER` takes, finest first. On Linux
/// this is libkqueue, which takes Apple's unit flags.
#[cfg(any(
    target_os = "ios",
    target_os = "linux",
    target_os = "macos",
    target_os = "tvos",
    target_os = "visionos",
    target_os = "watchos",
))]
const UNITS: &[Unit] = &[
    Unit {
        fflags: kq::NOTE_NSECONDS,
        nanos: 1,
    },
    Unit {
        fflags: kq::NOTE_USECONDS,
        nanos: 1_000,
    },
    super::kqueue_args::MILLISECONDS,
    Unit {
        fflags: kq::NOTE_SECONDS,
        nanos: 1_000_000_000,
    },
];
#[cfg(target_os = "freebsd")]
const UNITS: &[Unit] = &[
    Unit {
        fflags: libc::NOTE_NSECONDS,
        nanos: 1,
    },
    Unit {
        fflags: libc::NOTE_USECONDS,
        nanos: 1_000,
    },
    Unit {
        fflags: libc::NOTE_MSECONDS,
        nanos: 1_000_000,
    },
    Unit {
        fflags: libc::NOTE_SECONDS,
        nanos: 1_000_000_000,
    },
];
// DragonFly and OpenBSD have no unit flags; NetBSD's are recent, so its
// default (milliseconds) is used there too. Rounded up, never early.
#[cfg(any(target_os = "dragonfly", target_os = "netbsd", target_os = "openbsd"))]
const UNITS: &[Unit] = &[super::kqueue_args::MILLISECONDS];

const HOST: TimerConsts<Filter, Flags> = TimerConsts {
    filt_timer: kq::EVFILT_TIMER,
    ev_add: kq::EV_ADD,
    ev_delete: kq::EV_DELETE,
    ev_oneshot: kq::EV_ONESHOT,
    units: UNITS,
    // `data` is an `intptr_t` on most systems, an `int64_t` on some: this
    // bound holds for all of them.
    max_data: isize::MAX as i64,
};

/// Source of timer idents; each timer takes one for its life.
static NEXT_IDENT: AtomicUsize = AtomicUsize::new(1);

pub(crate) struct Timer {
    ident: usize,
    state: Mutex<State>,
}

struct State {
    schedule: Schedule,
    /// The kqueue the timer is registered with, and under which token;
    /// `None` while it is not registered.
    registration: Option<Registration>,
}

struct Registration {
    selector: Selector,
    token: Token,
    interests: Interest,
}

impl Timer {
    pub(crate) fn new() -> io::Result<Timer> {
        Ok(Timer {
            ident: NEXT_IDENT.fetch_add(1, Ordering::Relaxed),
            state: Mutex::new(State {
                schedule: Schedule::disarmed(),
                registration: None,
            }),
        })
    }

    pub(crate) fn set(&self, first: Duration, interval: Option<Duration>) -> io::Result<()> {
        let mut state = self.state();
        let now = Instant::now();
        state.schedule.arm(now, first, interval);
        // An event of the old schedule still on its way is a spurious one:
        // `read` finds nothing due for it.
        self.arm_kernel(&state, now)
    }

    pub(crate) fn cancel(&self) -> io::Result<()> {
        let mut state = self.state();
        state.schedule.cancel();
        self.arm_kernel(&state, Instant::now())
    }

    pub(crate) fn read(&self) -> io::Result<u64> {
        let mut state = self.state();
        let now = Instant::now();
        let count = state.schedule.take(now);
        // The one-shot that woke the caller is spent (or, for a spurious
        // event, still armed for the same deadline, which re-adding keeps):
        // arm it for the next deadline.
        self.arm_kernel(&state, now)?;
        if count == 0 {
            Err(io::ErrorKind::WouldBlock.into())
        } else {
            Ok(count)
        }
    }

    pub(crate) fn register(
        &self,
        selector: &Selector,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let mut state = self.state();
        if state.registration.is_some() {
            return Err(already_registered());
        }
        let registration = Registration {
            selector: selector.try_clone()?,
            token,
            interests,
        };
        state.registration = Some(registration);
        let result = self.arm_kernel(&state, Instant::now());
        if result.is_err() {
            state.registration = None;
        }
        result
    }

    pub(crate) fn reregister(
        &self,
        selector: &Selector,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let mut state = self.state();
        match state.registration.as_mut() {
            Some(registration) if registration.selector.id() == selector.id() => {
                registration.token = token;
                registration.interests = interests;
            }
            Some(_) => return Err(registered_elsewhere()),
            None => return Err(not_registered()),
        }
        self.arm_kernel(&state, Instant::now())
    }

    pub(crate) fn deregister(&self, selector: &Selector) -> io::Result<()> {
        let mut state = self.state();
        match &state.registration {
            Some(registration) if registration.selector.id() == selector.id() => {
                let result = self.submit(registration, HOST.delete());
                state.registration = None;
                result
            }
            Some(_) => Err(registered_elsewhere()),
            None => Err(not_registered()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every update under the lock is a few plain stores and a kevent
        // call: a panic cannot leave the state half-updated.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes the kernel timer match the schedule: a one-shot for the next
    /// deadline (measured from `now`, taken before this call, so never
    /// early), or none. Nothing while the timer is not registered for
    /// readability.
    fn arm_kernel(&self, state: &State, now: Instant) -> io::Result<()> {
        let Some(registration) = &state.registration else {
            return Ok(());
        };
        match state.schedule.deadline() {
            Some(deadline) if registration.interests.is_readable() => {
                let delay = deadline.saturating_duration_since(now);
                self.submit(registration, HOST.once_after(delay))
            }
            _ => self.submit(registration, HOST.delete()),
        }
    }

    fn submit(
        &self,
        registration: &Registration,
        change: TimerChange<Filter, Flags>,
    ) -> io::Result<()> {
        registration.selector.submit_timer(
            self.ident,
            registration.token,
            change.filter,
            change.flags,
            change.fflags,
            change.data,
        )
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let state = self.state();
        if let Some(registration) = &state.registration {
            // Nothing to do about a failure: the kqueue outlives no timer
            // it holds, and a one-shot that fired is gone already.
            let _ = self.submit(registration, HOST.delete());
        }
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Timer")
            .field("ident", &self.ident)
            .field("deadline", &state.schedule.deadline())
            .field("token", &state.registration.as_ref().map(|r| r.token))
            .finish()
    }
}
