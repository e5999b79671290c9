//! `Timer` where the OS offers no timer descriptor (the Unix systems that
//! have neither timerfd nor kqueue): a helper thread per timer sleeps until
//! the schedule's next deadline and then writes one byte to a pipe, whose
//! read end is what the face registers. The schedule (`schedule.rs`) counts
//! the expirations.
//!
//! Costs: one thread and two descriptors per timer, and a wake-up about as
//! precise as the thread scheduler. The thread is started by `new`, waits on
//! a condition variable while the timer is disarmed or its event is unread,
//! and ends when the timer is dropped.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::io::{AsRawFd, RawFd};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use super::schedule::Schedule;
use crate::sys::new_pipe;

#[derive(Debug)]
pub(crate) struct Timer {
    receiver: File,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Debug)]
struct State {
    schedule: Schedule,
    /// A byte was written for the current deadline and not yet drained.
    signalled: bool,
    /// The timer was dropped: the thread ends.
    closed: bool,
}

impl Timer {
    pub(crate) fn new() -> io::Result<Timer> {
        let (receiver, sender) = new_pipe()?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                schedule: Schedule::disarmed(),
                signalled: false,
                closed: false,
            }),
            changed: Condvar::new(),
        });
        let theirs = Arc::clone(&shared);
        let sender = File::from(sender);
        thread::Builder::new()
            .name("mio-timer".into())
            .spawn(move || run(&theirs, &sender))?;
        Ok(Timer {
            receiver: File::from(receiver),
            shared,
        })
    }

    pub(crate) fn set(&self, first: Duration, interval: Option<Duration>) -> io::Result<()> {
        let mut state = self.state();
        self.drain(&mut state)?;
        state.schedule.arm(Instant::now(), first, interval);
        self.shared.changed.notify_one();
        Ok(())
    }

    pub(crate) fn cancel(&self) -> io::Result<()> {
        let mut state = self.state();
        self.drain(&mut state)?;
        state.schedule.cancel();
        self.shared.changed.notify_one();
        Ok(())
    }

    pub(crate) fn read(&self) -> io::Result<u64> {
        let mut state = self.state();
        // Drain first, count second: an expiry after the count gets a byte
        // of its own, so none is lost.
        self.drain(&mut state)?;
        let count = state.schedule.take(Instant::now());
        // The thread waits for the next deadline now.
        self.shared.changed.notify_one();
        if count == 0 {
            Err(io::ErrorKind::WouldBlock.into())
        } else {
            Ok(count)
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.shared.state)
    }

    /// Empties the pipe; the thread may signal again.
    fn drain(&self, state: &mut State) -> io::Result<()> {
        let mut buf = [0u8; 16];
        loop {
            match (&self.receiver).read(&mut buf) {
                Ok(n) if n == buf.len() => {}
                // Short read or end-of-file: empty.
                Ok(_) => break,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        state.signalled = false;
        Ok(())
    }
}

impl AsRawFd for Timer {
    fn as_raw_fd(&self) -> RawFd {
        self.receiver.as_raw_fd()
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        self.state().closed = true;
        self.shared.changed.notify_one();
    }
}

fn lock(mutex: &Mutex<State>) -> MutexGuard<'_, State> {
    // Every update of the state is a few plain stores.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The helper thread. It writes only while holding the lock and after
/// checking `closed`, so never to a pipe whose reader is gone.
fn run(shared: &Shared, sender: &File) {
    let mut state = lock(&shared.state);
    loop {
        if state.closed {
            return;
        }
        let mut wait = None;
        if let (Some(deadline), false) = (state.schedule.deadline(), state.signalled) {
            let now = Instant::now();
            if now >= deadline {
                // A full pipe (EAGAIN) already makes the reader readable.
                let _ = (&*sender).write(&[1]);
                state.signalled = true;
            } else {
                wait = Some(deadline - now);
            }
        }
        state = match wait {
            Some(wait) => {
                shared
                    .changed
                    .wait_timeout(state, wait)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => shared
                .changed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);
    const WAIT: Duration = Duration::from_secs(10);

    /// Waits (bounded) for the pipe to become readable.
    fn wait_readable(timer: &Timer) -> bool {
        let mut pfd = libc::pollfd {
            fd: timer.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd that outlives the call.
        let n = syscall!(poll(&mut pfd, 1, WAIT.as_millis() as libc::c_int)).unwrap();
        n == 1
    }

    fn would_block(result: io::Result<u64>) -> bool {
        matches!(result, Err(ref e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    #[test]
    fn a_one_shot_fires_once_and_not_early() {
        let timer = Timer::new().unwrap();
        assert!(would_block(timer.read()));
        let start = Instant::now();
        timer.set(20 * MS, None).unwrap();
        assert!(wait_readable(&timer));
        assert!(start.elapsed() >= 20 * MS);
        assert_eq!(timer.read().unwrap(), 1);
        assert!(would_block(timer.read()));
    }

    #[test]
    fn intervals_count_and_cancel_stops() {
        let timer = Timer::new().unwrap();
        let start = Instant::now();
        timer.set(5 * MS, Some(5 * MS)).unwrap();
        let mut total = 0;
        while total < 3 {
            assert!(wait_readable(&timer));
            if let Ok(n) = timer.read() {
                total += n;
            }
        }
        assert!(start.elapsed() >= 15 * MS);
        timer.cancel().unwrap();
        assert!(would_block(timer.read()));
        // Re-armed after a cancel, it fires again.
        timer.set(Duration::ZERO, None).unwrap();
        assert!(wait_readable(&timer));
        assert_eq!(timer.read().unwrap(), 1);
    }
}
