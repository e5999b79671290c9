//! `Timer` on Windows: a threadpool timer (CreateThreadpoolTimer) whose
//! callback, once the expiry is due, posts a completion packet to the
//! selector's port through a [`Notify`].
//!
//! The expirations are counted here, against `Instant` (the monotonic
//! clock, QueryPerformanceCounter), not by the OS timer: the OS timer only
//! wakes the callback, which checks the deadline and arms itself again for
//! the rest if it woke early. So neither an event nor `read` ever counts an
//! expiry before its time. The OS timer is always one-shot, armed for the
//! next deadline only while that expiry has not been reported yet; a
//! periodic timer's following deadlines are computed from the first (its
//! phase is kept), and `read` arms the OS timer for the next one.
//!
//! Threadpool timers have the system timer's resolution (about 15.6 ms
//! unless a process raised it): a timer fires late by up to that much,
//! never early.

use std::ffi::c_void;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use std::{fmt, io, ptr};

use windows_sys::Win32::Foundation::FILETIME;
use windows_sys::Win32::System::Threading::{
    CloseThreadpoolTimer, CreateThreadpoolTimer, SetThreadpoolTimer,
    WaitForThreadpoolTimerCallbacks, PTP_CALLBACK_INSTANCE, PTP_TIMER,
};

use super::channel::Notify;
use super::selector::lock;
use super::Selector;
use crate::{Interest, Token};

pub(crate) struct Timer {
    os: OsTimer,
    state: Arc<TimerState>,
}

/// The threadpool timer handle.
struct OsTimer(PTP_TIMER);

// SAFETY: a threadpool timer may be set, waited for and closed from any
// thread; this crate calls `SetThreadpoolTimer` only with the state's lock
// held, so calls never race.
unsafe impl Send for OsTimer {}
// SAFETY: as above.
unsafe impl Sync for OsTimer {}

struct TimerState {
    inner: Mutex<TimerInner>,
    notify: Notify,
}

struct TimerInner {
    /// The next expiry not yet read; `None` when disarmed (or when it is
    /// too far away to be represented: it never comes).
    next: Option<Instant>,
    interval: Option<Duration>,
    /// The expiry at `next` was reported (the `Notify` is set); nothing
    /// more is reported until a `read`, `set` or `cancel`.
    notified: bool,
}

impl Timer {
    pub(crate) fn new() -> io::Result<Timer> {
        let state = Arc::new(TimerState {
            inner: Mutex::new(TimerInner {
                next: None,
                interval: None,
                notified: false,
            }),
            notify: Notify::new(),
        });
        let context = Arc::as_ptr(&state) as *mut c_void;
        // SAFETY: `context` points to the state, which `Timer` keeps alive
        // until its `Drop` has waited for the last callback; the default
        // environment (null) uses the process's threadpool.
        let handle = unsafe { CreateThreadpoolTimer(Some(callback), context, ptr::null()) };
        if handle == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Timer {
            os: OsTimer(handle),
            state,
        })
    }

    pub(crate) fn set(&self, first: Duration, interval: Option<Duration>) -> io::Result<()> {
        let mut inner = self.state.lock();
        inner.next = Instant::now().checked_add(first);
        inner.interval = interval;
        self.state.reset(&mut inner);
        update(&self.state, &mut inner, self.os.0);
        Ok(())
    }

    pub(crate) fn cancel(&self) -> io::Result<()> {
        let mut inner = self.state.lock();
        inner.next = None;
        inner.interval = None;
        self.state.reset(&mut inner);
        // SAFETY: the handle is open; a null due time cancels the timer.
        unsafe { SetThreadpoolTimer(self.os.0, ptr::null(), 0, 0) };
        Ok(())
    }

    pub(crate) fn read(&self) -> io::Result<u64> {
        let mut inner = self.state.lock();
        let now = Instant::now();
        let result = match inner.next {
            Some(next) if now >= next => {
                let expirations = match inner.interval {
                    Some(interval) => {
                        let periods = (now - next).as_nanos() / interval.as_nanos();
                        inner.next = interval
                            .as_nanos()
                            .checked_mul(periods + 1)
                            .and_then(duration_from_nanos)
                            .and_then(|advance| next.checked_add(advance));
                        u64::try_from(periods + 1).unwrap_or(u64::MAX)
                    }
                    None => {
                        inner.next = None;
                        1
                    }
                };
                Ok(expirations)
            }
            _ => Err(io::ErrorKind::WouldBlock.into()),
        };
        // Everything due was taken (or nothing was): report the next expiry.
        self.state.reset(&mut inner);
        update(&self.state, &mut inner, self.os.0);
        result
    }

    pub(crate) fn register(
        &self,
        selector: &Selector,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.state.notify.register(selector, token, interests)
    }

    pub(crate) fn reregister(
        &self,
        selector: &Selector,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.state.notify.reregister(selector, token, interests)
    }

    pub(crate) fn deregister(&self, selector: &Selector) -> io::Result<()> {
        self.state.notify.deregister(selector)
    }
}

impl TimerState {
    fn lock(&self) -> MutexGuard<'_, TimerInner> {
        lock(&self.inner)
    }

    /// Forgets that the current expiry was reported.
    fn reset(&self, inner: &mut TimerInner) {
        inner.notified = false;
        self.notify.clear();
    }
}

/// Reports the next expiry if it is due, else arms the OS timer for it.
/// Called with the state's lock held.
fn update(state: &TimerState, inner: &mut TimerInner, os: PTP_TIMER) {
    if inner.notified {
        return;
    }
    let next = match inner.next {
        Some(next) => next,
        None => return,
    };
    let now = Instant::now();
    if now >= next {
        inner.notified = true;
        state.notify.notify();
        return;
    }
    // Relative due times are negative, in 100 ns units; rounded up so that
    // the callback rarely wakes early (it re-arms if it does).
    let units = ((next - now).as_nanos() + 99) / 100;
    let units = i64::try_from(units).unwrap_or(i64::MAX);
    let due = (-units) as u64;
    let due = FILETIME {
        dwLowDateTime: due as u32,
        dwHighDateTime: (due >> 32) as u32,
    };
    // SAFETY: the handle is open (callers hold it or run in its callback);
    // `due` is read during the call only. Period 0: one-shot.
    unsafe { SetThreadpoolTimer(os, &due, 0, 0) };
}

/// The threadpool callback: the OS timer expired.
unsafe extern "system" fn callback(_: PTP_CALLBACK_INSTANCE, context: *mut c_void, os: PTP_TIMER) {
    // SAFETY: `context` is the `TimerState` the `Timer` owns; its `Drop`
    // waits for running callbacks before releasing it, so it is alive.
    let state = unsafe { &*(context as *const TimerState) };
    let mut inner = state.lock();
    update(state, &mut inner, os);
}

impl Drop for Timer {
    fn drop(&mut self) {
        {
            let mut inner = self.state.lock();
            // A callback running after this finds nothing to do, and arms
            // nothing again.
            inner.next = None;
            inner.interval = None;
        }
        self.state.notify.close();
        // SAFETY: the handle is open. Cancelled, then the callbacks queued
        // are cancelled and those running waited for (outside the lock they
        // take), then closed: no callback uses the state after this.
        unsafe {
            SetThreadpoolTimer(self.os.0, ptr::null(), 0, 0);
            WaitForThreadpoolTimerCallbacks(self.os.0, 1);
            CloseThreadpoolTimer(self.os.0);
        }
    }
}

impl fmt::Debug for Timer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.state.lock();
        f.debug_struct("Timer")
            .field("next", &inner.next)
            .field("interval", &inner.interval)
            .finish()
    }
}

fn duration_from_nanos(nanos: u128) -> Option<Duration> {
    const NANOS_PER_SEC: u128 = 1_000_000_000;
    let secs = u64::try_from(nanos / NANOS_PER_SEC).ok()?;
    Some(Duration::new(secs, (nanos % NANOS_PER_SEC) as u32))
}
