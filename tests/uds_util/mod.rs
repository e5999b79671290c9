//! Helpers shared by the Unix-domain socket tests: a private temporary
//! directory per test, unique abstract names, and bounded waits on a `Poll`.

#![allow(dead_code)] // each test file uses a different subset

use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mio::event::Event;
use mio::{Events, Poll, Token};

/// How long any wait may take before the test fails. Generous: the machine
/// is shared; a passing run never waits this long.
pub const DEADLINE: Duration = Duration::from_secs(10);

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new() -> TempDir {
        let path = std::env::temp_dir().join(format!("mio-uds-test-{}", unique()));
        // A leftover from a crashed run with a recycled pid goes first.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir(&path).expect("cannot create temp dir");
        TempDir { path }
    }

    /// A path for a socket named `name` inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// An abstract socket name no other test (or test run) uses.
pub fn abstract_name() -> Vec<u8> {
    format!("mio-uds-test-{}", unique()).into_bytes()
}

/// Polls until an event for `token` satisfies `pred`; returns a copy of the
/// interesting flags. Panics after [`DEADLINE`].
pub fn wait_for(
    poll: &mut Poll,
    events: &mut Events,
    token: Token,
    what: &str,
    pred: impl Fn(&Event) -> bool,
) -> Seen {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let now = Instant::now();
        if now >= deadline {
            panic!("no event for {token:?} with {what} within {DEADLINE:?}");
        }
        match poll.poll(events, Some(deadline - now)) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => panic!("poll failed: {e}"),
        }
        for event in events.iter() {
            if event.token() == token && pred(event) {
                return Seen::from(event);
            }
        }
    }
}

/// Whether the last poll's `events` hold one for `token` that satisfies
/// `pred`.
pub fn seen_in(events: &Events, token: Token, pred: impl Fn(&Event) -> bool) -> bool {
    events.iter().any(|e| e.token() == token && pred(e))
}

pub fn wait_readable(poll: &mut Poll, events: &mut Events, token: Token) -> Seen {
    wait_for(poll, events, token, "readable", |e| e.is_readable())
}

pub fn wait_writable(poll: &mut Poll, events: &mut Events, token: Token) -> Seen {
    wait_for(poll, events, token, "writable", |e| e.is_writable())
}

/// Asserts that a poll with a short timeout returns no event for `token`.
/// (A short wait can only miss a late event, never invent one.)
pub fn expect_no_event(poll: &mut Poll, events: &mut Events, token: Token) {
    poll.poll(events, Some(Duration::from_millis(50)))
        .expect("poll failed");
    for event in events.iter() {
        assert_ne!(event.token(), token, "unexpected event: {event:?}");
    }
}

/// The flags of one event, kept after the `Events` buffer is reused.
#[derive(Debug, Clone, Copy)]
pub struct Seen {
    pub readable: bool,
    pub writable: bool,
    pub read_closed: bool,
    pub write_closed: bool,
    pub error: bool,
}

impl From<&Event> for Seen {
    fn from(e: &Event) -> Seen {
        Seen {
            readable: e.is_readable(),
            writable: e.is_writable(),
            read_closed: e.is_read_closed(),
            write_closed: e.is_write_closed(),
            error: e.is_error(),
        }
    }
}

/// Reads until `WouldBlock` or end-of-file; returns the bytes and whether
/// end-of-file was seen.
pub fn drain(mut reader: impl Read) -> (Vec<u8>, bool) {
    let mut got = Vec::new();
    let mut buf = [0; 4096];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return (got, true),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return (got, false),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("read failed: {e}"),
        }
    }
}

/// Writes `chunk` repeatedly until `WouldBlock`; returns the bytes written.
pub fn fill(mut writer: impl Write, chunk: &[u8]) -> usize {
    let mut total = 0;
    loop {
        match writer.write(chunk) {
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return total,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("write failed: {e}"),
        }
        assert!(total < 64 << 20, "socket buffer never filled");
    }
}

/// Asserts that `result` failed with `WouldBlock`.
pub fn assert_would_block<T: std::fmt::Debug>(result: io::Result<T>) {
    match result {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("expected WouldBlock, got {other:?}"),
    }
}

/// Polls once, with whatever is left until `deadline`; panics once it has
/// passed, naming `what` was awaited.
pub fn poll_once(poll: &mut Poll, events: &mut Events, deadline: Instant, what: &str) {
    let now = Instant::now();
    if now >= deadline {
        panic!("timed out waiting for {what}");
    }
    match poll.poll(events, Some(deadline - now)) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::Interrupted => {}
        Err(e) => panic!("poll failed: {e}"),
    }
}

/// `(non-blocking, close-on-exec)` for a descriptor of this process, read
/// from /proc/self/fdinfo (octal `flags:` line, see proc(5)).
#[cfg(target_os = "linux")]
pub fn fd_flags(fd: std::os::unix::io::RawFd) -> (bool, bool) {
    const O_NONBLOCK: u32 = 0o4000;
    const O_CLOEXEC: u32 = 0o2000000;
    let info = std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}")).unwrap();
    let flags = info
        .lines()
        .find_map(|line| line.strip_prefix("flags:"))
        .expect("no flags line in fdinfo");
    let flags = u32::from_str_radix(flags.trim(), 8).unwrap();
    (flags & O_NONBLOCK != 0, flags & O_CLOEXEC != 0)
}

#[path = "../util/backend.rs"]
pub mod backend;
