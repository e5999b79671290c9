//! `Timer` on kqueue systems: a private kqueue holding one one-shot
//! `EVFILT_TIMER` (kqueue(2)). The private kqueue's descriptor is readable
//! while the timer's event is pending, so it is what the face registers: it
//! works with the kqueue selector (`EVFILT_READ` on a kqueue) and with the
//! poll(2) one alike, and the timer's events never mix with the selector's.
//!
//! The schedule (`schedule.rs`) decides what is due from the monotonic
//! clock; the kernel timer only wakes the poller, and each read drains its
//! event and arms the next one-shot. `Instant` reads the clock the kernel
//! timer runs on (`CLOCK_MONOTONIC`, or `mach_absolute_time` on Apple's
//! systems); were the wake-up ever early, the read would find nothing due
//! and arm the timer for the rest.

use std::os::unix::io::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use std::{fmt, io, mem, ptr};

use super::kqueue_args::{TimerChange, TimerConsts, Unit};
use super::schedule::Schedule;

#[cfg(not(target_os = "netbsd"))]
type Filter = libc::c_short;
#[cfg(not(target_os = "netbsd"))]
type Flags = libc::c_ushort;
#[cfg(target_os = "netbsd")]
type Filter = u32;
#[cfg(target_os = "netbsd")]
type Flags = u32;

/// The units this system's `EVFILT_TIMER` takes, finest first.
#[cfg(any(
    target_os = "ios",
    target_os = "macos",
    target_os = "tvos",
    target_os = "visionos",
    target_os = "watchos",
))]
const UNITS: &[Unit] = &[
    Unit {
        fflags: libc::NOTE_NSECONDS,
        nanos: 1,
    },
    Unit {
        fflags: libc::NOTE_USECONDS,
        nanos: 1_000,
    },
    super::kqueue_args::MILLISECONDS,
    Unit {
        fflags: libc::NOTE_SECONDS,
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
    filt_timer: libc::EVFILT_TIMER,
    ev_add: libc::EV_ADD,
    ev_delete: libc::EV_DELETE,
    ev_oneshot: libc::EV_ONESHOT,
    units: UNITS,
    // `data` is an `intptr_t` on most systems, an `int64_t` on some: this
    // bound holds for all of them.
    max_data: isize::MAX as i64,
};

/// The timer's `ident`: any number does, the kqueue holds nothing else.
const IDENT: libc::uintptr_t = 1;

pub(crate) struct Timer {
    kq: OwnedFd,
    schedule: Mutex<Schedule>,
}

impl Timer {
    pub(crate) fn new() -> io::Result<Timer> {
        Ok(Timer {
            kq: new_kqueue()?,
            schedule: Mutex::new(Schedule::disarmed()),
        })
    }

    pub(crate) fn set(&self, first: Duration, interval: Option<Duration>) -> io::Result<()> {
        let mut schedule = self.schedule();
        // An event of the old schedule would only be a spurious wake-up.
        self.drain()?;
        let now = Instant::now();
        schedule.arm(now, first, interval);
        self.arm_kernel(&schedule, now)
    }

    pub(crate) fn cancel(&self) -> io::Result<()> {
        let mut schedule = self.schedule();
        schedule.cancel();
        self.delete_kernel()?;
        self.drain().map(drop)
    }

    pub(crate) fn read(&self) -> io::Result<u64> {
        let mut schedule = self.schedule();
        // Drain first, count second: an expiry after the count leaves its
        // own event behind, so none is lost.
        let woken = self.drain()?;
        let now = Instant::now();
        let count = schedule.take(now);
        // The one-shot fired (or fires any moment now for what was just
        // counted): arm it for the next expiry. Otherwise it is still
        // armed for the right deadline.
        if woken || count > 0 {
            self.arm_kernel(&schedule, now)?;
        }
        if count == 0 {
            Err(io::ErrorKind::WouldBlock.into())
        } else {
            Ok(count)
        }
    }

    fn schedule(&self) -> MutexGuard<'_, Schedule> {
        // Every update of the schedule is a few plain stores.
        self.schedule.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One-shot for the schedule's next deadline (measured from `now`,
    /// taken before this call, so never early), or none.
    fn arm_kernel(&self, schedule: &Schedule, now: Instant) -> io::Result<()> {
        match schedule.deadline() {
            Some(deadline) => {
                let delay = deadline.saturating_duration_since(now);
                self.submit(HOST.once_after(delay))
            }
            None => self.delete_kernel(),
        }
    }

    fn delete_kernel(&self) -> io::Result<()> {
        match self.submit(HOST.delete()) {
            Err(err) if err.raw_os_error() == Some(libc::ENOENT) => Ok(()),
            result => result,
        }
    }

    fn submit(&self, change: TimerChange<Filter, Flags>) -> io::Result<()> {
        let mut kev = blank_kevent();
        kev.ident = IDENT;
        kev.filter = change.filter;
        kev.flags = change.flags;
        kev.fflags = change.fflags;
        kev.data = change.data as _;
        // SAFETY: one initialised change that outlives the call, no event
        // list (errors come back as -1 and errno), no timeout needed since
        // nothing is waited for.
        syscall!(kevent(
            self.kq.as_raw_fd(),
            &kev,
            1,
            ptr::null_mut(),
            0,
            ptr::null()
        ))
        .map(drop)
    }

    /// Takes the timer's pending event, if any: whether there was one.
    fn drain(&self) -> io::Result<bool> {
        let mut out = [blank_kevent(); 1];
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: no changes; the kernel writes at most one event into
        // `out`; `zero` outlives the call and makes it return at once.
        let n = syscall!(kevent(
            self.kq.as_raw_fd(),
            ptr::null(),
            0,
            out.as_mut_ptr(),
            1,
            &zero
        ))?;
        Ok(n > 0)
    }
}

impl AsRawFd for Timer {
    fn as_raw_fd(&self) -> RawFd {
        self.kq.as_raw_fd()
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timer")
            .field("kq", &self.kq.as_raw_fd())
            .field("deadline", &self.schedule().deadline())
            .finish()
    }
}

fn blank_kevent() -> libc::kevent {
    // SAFETY: `kevent` is plain data (integers and a pointer that is never
    // dereferenced); all-zero is a valid value.
    unsafe { mem::zeroed() }
}

/// A new kqueue, close-on-exec.
fn new_kqueue() -> io::Result<OwnedFd> {
    #[cfg(target_os = "netbsd")]
    {
        // SAFETY: no pointers; returns a new descriptor or -1.
        let fd = syscall!(kqueue1(libc::O_CLOEXEC))?;
        // SAFETY: `fd` was just created and is owned by nothing else.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }
    #[cfg(not(target_os = "netbsd"))]
    {
        // SAFETY: no arguments; returns a new descriptor or -1.
        let fd = syscall!(kqueue())?;
        // SAFETY: `fd` was just created and is owned by nothing else;
        // wrapping it first means an error below closes it.
        let kq = unsafe { OwnedFd::from_raw_fd(fd) };
        // SAFETY: plain fcntl on a descriptor we own.
        syscall!(fcntl(kq.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC))?;
        Ok(kq)
    }
}
