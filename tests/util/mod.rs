//! Helpers shared by the integration tests of the event queue.
//!
//! Every wait here is bounded: helpers poll in a loop until a deadline and
//! panic with a message that says what was expected and what was seen.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::{self, ErrorKind, Read, Write};
#[cfg(unix)]
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use mio::event::Event;
use mio::{Events, Poll, Token};

/// How long a test waits for something that should happen "soon". Generous,
/// because the machines running the suite can be heavily loaded.
pub const WAIT: Duration = Duration::from_secs(10);

/// The timeout used to check that *nothing* is reported. Absence is never
/// flaky (a late event can only make such a check fail, not pass wrongly), so
/// this only needs to be long enough to catch a reasonably prompt mistake.
pub const QUIET: Duration = Duration::from_millis(50);

/// A copy of the parts of an [`Event`] the tests look at, so that events can
/// be kept after the `Events` buffer is reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    pub token: Token,
    pub readable: bool,
    pub writable: bool,
    pub error: bool,
    pub read_closed: bool,
    pub write_closed: bool,
    pub priority: bool,
}

impl Seen {
    /// The readiness of both events together (same token).
    pub fn union(&self, other: &Seen) -> Seen {
        Seen {
            token: self.token,
            readable: self.readable || other.readable,
            writable: self.writable || other.writable,
            error: self.error || other.error,
            read_closed: self.read_closed || other.read_closed,
            write_closed: self.write_closed || other.write_closed,
            priority: self.priority || other.priority,
        }
    }

    pub fn of(event: &Event) -> Seen {
        Seen {
            token: event.token(),
            readable: event.is_readable(),
            writable: event.is_writable(),
            error: event.is_error(),
            read_closed: event.is_read_closed(),
            write_closed: event.is_write_closed(),
            priority: event.is_priority(),
        }
    }
}

/// `Poll::poll`, repeated when it fails with `Interrupted`.
///
/// Besides real signal handlers, a process that is stopped and continued
/// (or frozen and thawed by a cgroup freezer, as can happen on shared test
/// machines) sees `epoll_wait` fail with `EINTR` without any handler
/// installed; like any caller of `poll`, the tests simply poll again.
pub fn poll_retry(
    poll: &mut Poll,
    events: &mut Events,
    timeout: Option<Duration>,
) -> io::Result<()> {
    loop {
        match poll.poll(events, timeout) {
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

/// One poll with `timeout`; returns what it reported.
pub fn poll_once(poll: &mut Poll, events: &mut Events, timeout: Option<Duration>) -> Vec<Seen> {
    poll_retry(poll, events, timeout).expect("poll failed");
    events.iter().map(Seen::of).collect()
}

/// Polls until an event for `token` that satisfies `accept` arrives, and
/// returns it. Events for other tokens, or for `token` that do not satisfy
/// `accept`, are skipped. Panics after [`WAIT`].
pub fn expect_event<F>(
    poll: &mut Poll,
    events: &mut Events,
    token: Token,
    what: &str,
    accept: F,
) -> Seen
where
    F: Fn(&Seen) -> bool,
{
    let deadline = Instant::now() + WAIT;
    let mut skipped = Vec::new();
    loop {
        let now = Instant::now();
        if now >= deadline {
            panic!(
                "no event for {:?} ({}) within {:?}; skipped events: {:?}",
                token, what, WAIT, skipped
            );
        }
        let batch = poll_once(poll, events, Some(deadline - now));
        for seen in &batch {
            if seen.token == token && accept(seen) {
                return *seen;
            }
        }
        // On kqueue one change of state can come as an event per filter
        // (read side, write side), where epoll gives one event: what those
        // events of one poll say together counts as one event.
        if backend::SPLIT_EVENTS {
            let mut merged: Option<Seen> = None;
            for seen in batch.iter().filter(|seen| seen.token == token) {
                merged = Some(match merged {
                    None => *seen,
                    Some(m) => m.union(seen),
                });
            }
            if let Some(merged) = merged.filter(|merged| accept(merged)) {
                return merged;
            }
        }
        skipped.extend(batch);
    }
}

/// Like [`expect_event`] with no condition on the readiness.
pub fn expect_token(poll: &mut Poll, events: &mut Events, token: Token) -> Seen {
    expect_event(poll, events, token, "any readiness", |_| true)
}

/// Polls once for [`QUIET`] and asserts nothing at all was reported.
pub fn expect_no_events(poll: &mut Poll, events: &mut Events, context: &str) {
    let got = poll_once(poll, events, Some(QUIET));
    assert!(
        got.is_empty(),
        "{}: expected no events, got {:?}",
        context,
        got
    );
}

/// Polls once for [`QUIET`] and asserts nothing was reported for `token`.
pub fn expect_no_event_for(poll: &mut Poll, events: &mut Events, token: Token, context: &str) {
    let got = poll_once(poll, events, Some(QUIET));
    assert!(
        got.iter().all(|seen| seen.token != token),
        "{}: expected no event for {:?}, got {:?}",
        context,
        token,
        got
    );
}

/// A connected pair of non-blocking Unix stream sockets.
#[cfg(unix)]
pub fn socket_pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().expect("socketpair");
    a.set_nonblocking(true).expect("set_nonblocking");
    b.set_nonblocking(true).expect("set_nonblocking");
    (a, b)
}

/// How a drain ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drained {
    /// `n` bytes read, then `WouldBlock`.
    WouldBlock(usize),
    /// `n` bytes read, then end-of-file.
    Eof(usize),
}

/// Reads until `WouldBlock` or end-of-file, appending to `out`.
pub fn drain_into<R: Read>(mut reader: R, out: &mut Vec<u8>) -> Drained {
    let mut buf = [0u8; 4096];
    let mut total = 0;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Drained::Eof(total),
            Ok(n) => {
                total += n;
                out.extend_from_slice(&buf[..n]);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Drained::WouldBlock(total),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("read failed: {}", e),
        }
    }
}

/// Reads until `WouldBlock` or end-of-file, discarding the data.
pub fn drain<R: Read>(reader: R) -> Drained {
    let mut sink = Vec::new();
    drain_into(reader, &mut sink)
}

/// Writes until the writer returns `WouldBlock`; returns the bytes written.
pub fn fill<W: Write>(mut writer: W) -> usize {
    let chunk = [0x5au8; 4096];
    let mut total = 0;
    loop {
        match writer.write(&chunk) {
            Ok(0) => panic!("write returned 0"),
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return total,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("write failed: {}", e),
        }
    }
}

/// Asserts that `result` is an error of `kind` (and, if given, of OS error
/// `errno`).
pub fn assert_error<T: std::fmt::Debug>(
    result: io::Result<T>,
    kind: ErrorKind,
    errno: Option<i32>,
    context: &str,
) {
    match result {
        Ok(value) => panic!(
            "{}: expected an error of kind {:?}, got Ok({:?})",
            context, kind, value
        ),
        Err(err) => {
            assert_eq!(err.kind(), kind, "{}: unexpected error {:?}", context, err);
            if let Some(errno) = errno {
                assert_eq!(
                    err.raw_os_error(),
                    Some(errno),
                    "{}: unexpected OS error in {:?}",
                    context,
                    err
                );
            }
        }
    }
}

/// Asserts that `result` failed with the OS error `errno`, whatever
/// `ErrorKind` the standard library maps it to.
pub fn assert_os_error<T: std::fmt::Debug>(result: io::Result<T>, errno: i32, context: &str) {
    match result {
        Ok(value) => panic!(
            "{}: expected OS error {}, got Ok({:?})",
            context, errno, value
        ),
        Err(err) => assert_eq!(
            err.raw_os_error(),
            Some(errno),
            "{}: unexpected error {:?}",
            context,
            err
        ),
    }
}

/// A kernel thread id, as `current_tid` returns it.
#[cfg(unix)]
pub type Tid = libc::pid_t;
/// A kernel thread id, as `current_tid` returns it.
#[cfg(any(windows, target_os = "wasi"))]
pub type Tid = i32;

/// The kernel thread id of the calling thread.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn current_tid() -> Tid {
    // SAFETY: gettid takes no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as libc::pid_t }
}

/// gettid(2) and `/proc/self/task` are Linux's: elsewhere there is no id to
/// give, and `wait_until_sleeping` (best effort) gives up at once.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn current_tid() -> Tid {
    0
}

/// Waits (bounded) until thread `tid` of this process is asleep in the
/// kernel, as read from `/proc/self/task/<tid>/stat`. Used to make it likely
/// that a thread is really blocked in `poll` before another thread acts; the
/// tests stay correct if it is not, so this gives up quietly after a while
/// and returns whether the sleep was observed.
pub fn wait_until_sleeping(tid: Tid) -> bool {
    let path = format!("/proc/self/task/{}/stat", tid);
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        let stat = match std::fs::read_to_string(&path) {
            Ok(stat) => stat,
            Err(_) => return false,
        };
        // The state follows the command name, which is in parentheses and
        // may itself contain spaces or parentheses.
        let state = stat
            .rfind(')')
            .and_then(|end| stat[end + 1..].split_whitespace().next());
        if state == Some("S") {
            return true;
        }
        thread::yield_now();
    }
    false
}

/// Guards a test that blocks in `poll(None)`: if the test is not finished
/// within `limit`, the whole process is aborted with a message, since a
/// thread blocked in the kernel cannot be made to panic.
pub struct Watchdog {
    done: Option<mpsc::Sender<()>>,
    handle: Option<thread::JoinHandle<()>>,
}

impl Watchdog {
    pub fn new(what: &'static str, limit: Duration) -> Watchdog {
        let (done, rx) = mpsc::channel::<()>();
        let handle = thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
                eprintln!(
                    "watchdog: `{}` did not finish within {:?}; aborting",
                    what, limit
                );
                std::process::abort();
            }
        });
        Watchdog {
            done: Some(done),
            handle: Some(handle),
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// The number of open file descriptors of this process.
pub fn open_fd_count() -> usize {
    // The directory handle itself is one of the entries; it is there on
    // every call, so comparisons between calls are unaffected.
    std::fs::read_dir("/proc/self/fd")
        .expect("read /proc/self/fd")
        .count()
}

#[cfg(all(unix, feature = "os-ext"))]
#[allow(unused_imports)]
pub use self::pipes::*;

#[cfg(all(unix, feature = "os-ext"))]
mod pipes {
    use mio::unix::pipe::{self, Receiver, Sender};

    /// A new non-blocking pipe.
    pub fn new_pipe() -> (Sender, Receiver) {
        pipe::new().expect("pipe::new")
    }

    /// A new pipe with `data` already written into it.
    pub fn ready_pipe(data: &[u8]) -> (Sender, Receiver) {
        let (sender, receiver) = new_pipe();
        let written = (&sender).write(data).expect("write to a new pipe");
        assert_eq!(written, data.len());
        (sender, receiver)
    }

    use std::io::Write;
}

#[path = "wine.rs"]
mod wine;
#[allow(unused_imports)]
pub use self::wine::under_wine;

#[path = "backend.rs"]
pub mod backend;
