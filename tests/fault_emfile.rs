//! Fault injection: `accept` when the process is out of descriptors
//! (`EMFILE`).
//!
//! Lowering `RLIMIT_NOFILE` affects the whole process, which other tests
//! running in parallel threads would trip over; so this is the only test in
//! its binary. The limit is restored when the test ends, passing or not.
//!
//! What must hold: `accept` fails with `EMFILE` and leaves the connection
//! queued; polling meanwhile does not turn into a busy loop (the listener is
//! not reported again and again: counted over several polls, not timed);
//! once descriptors are free, the queued connections are accepted and the
//! listener keeps reporting new ones.

// Fuchsia has no descriptor limit to lower.
#![cfg(all(unix, not(target_os = "fuchsia"), feature = "os-poll", feature = "net"))]

use std::fs::File;
use std::io::{self, ErrorKind};
use std::net::{self, SocketAddr};
use std::os::unix::io::AsRawFd;
use std::time::{Duration, Instant};

use mio::event::Event;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const LISTENER: Token = Token(0);
const DEADLINE: Duration = Duration::from_secs(20);
/// One poll of the "nothing (or hardly anything) happens" checks.
const QUIET: Duration = Duration::from_millis(50);
/// Polls over which listener events are counted while at `EMFILE`.
const QUIET_POLLS: usize = 10;
/// Most listener events allowed over those polls: a backend may report a
/// new connection, or one spurious event, but not one per poll.
const MAX_EVENTS_AT_EMFILE: usize = 2;

fn get_limit() -> libc::rlimit {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` into the struct given.
    let res = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    assert_eq!(res, 0, "getrlimit: {}", io::Error::last_os_error());
    lim
}

fn set_limit(lim: &libc::rlimit) {
    // SAFETY: setrlimit reads one `rlimit` from the struct given.
    let res = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, lim) };
    assert_eq!(res, 0, "setrlimit: {}", io::Error::last_os_error());
}

/// Puts the original limit back, also when the test panics.
struct RestoreLimit(libc::rlimit);

impl Drop for RestoreLimit {
    fn drop(&mut self) {
        set_limit(&self.0);
    }
}

/// Polls once, retrying when interrupted; returns the listener's events.
fn listener_events(poll: &mut Poll, events: &mut Events, timeout: Duration) -> usize {
    loop {
        match poll.poll(events, Some(timeout)) {
            Ok(()) => {
                return events
                    .iter()
                    .filter(|e: &&Event| e.token() == LISTENER)
                    .count()
            }
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => panic!("poll failed: {err}"),
        }
    }
}

/// Polls until the listener is reported.
fn wait_for_listener(poll: &mut Poll, events: &mut Events, what: &str) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let now = Instant::now();
        assert!(
            now < deadline,
            "no listener event {what} within {DEADLINE:?}"
        );
        if listener_events(poll, events, deadline - now) > 0 {
            return;
        }
    }
}

fn assert_emfile(result: io::Result<(TcpStream, SocketAddr)>, context: &str) {
    match result {
        Ok((_, peer)) => panic!("{context}: accept succeeded (peer {peer}) at the limit"),
        Err(err) => assert_eq!(
            err.raw_os_error(),
            Some(libc::EMFILE),
            "{context}: expected EMFILE, got {err:?}"
        ),
    }
}

/// Polls `QUIET_POLLS` times; at every listener event tries `accept`
/// (which must fail with `EMFILE`), as a server would. Panics if the
/// listener is reported more than `MAX_EVENTS_AT_EMFILE` times: that is a
/// server spinning on an event it cannot act on.
fn assert_no_busy_loop(poll: &mut Poll, events: &mut Events, listener: &TcpListener, when: &str) {
    let mut reported = 0;
    for _ in 0..QUIET_POLLS {
        let n = listener_events(poll, events, QUIET);
        if n > 0 {
            assert_emfile(listener.accept(), when);
        }
        reported += n;
    }
    eprintln!("{when}: {reported} listener events in {QUIET_POLLS} polls");
    assert!(
        reported <= MAX_EVENTS_AT_EMFILE,
        "{when}: the listener was reported {reported} times in {QUIET_POLLS} polls while \
         accept could only fail with EMFILE (a busy loop)"
    );
}

/// Opens descriptors until `EMFILE`; returns them.
fn fill_descriptor_table() -> Vec<File> {
    let mut fillers = Vec::new();
    loop {
        match File::open("/dev/null") {
            Ok(file) => fillers.push(file),
            Err(err) if err.raw_os_error() == Some(libc::EMFILE) => return fillers,
            Err(err) => panic!("filling the descriptor table: {err}"),
        }
        assert!(
            fillers.len() < 100_000,
            "the lowered limit did not take effect"
        );
    }
}

#[test]
fn accept_at_emfile_recovers_without_busy_looping() {
    let original = get_limit();
    let _restore = RestoreLimit(original);

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    // A low limit with room for what comes before the table is filled.
    let probe = File::open("/dev/null").unwrap();
    let next_fd = probe.as_raw_fd() as libc::rlim_t;
    drop(probe);
    let low = libc::rlimit {
        rlim_cur: (next_fd + 64).min(original.rlim_max),
        rlim_max: original.rlim_max,
    };
    set_limit(&low);

    // Connections queue up in the kernel; then the table fills.
    let mut clients: Vec<net::TcpStream> = (0..3)
        .map(|_| net::TcpStream::connect(addr).unwrap())
        .collect();
    let mut fillers = fill_descriptor_table();

    // The listener is reported; accept fails with EMFILE and leaves the
    // connection queued.
    wait_for_listener(&mut poll, &mut events, "for the queued connections");
    assert_emfile(listener.accept(), "first accept");
    assert_emfile(listener.accept(), "second accept");
    assert_no_busy_loop(&mut poll, &mut events, &listener, "at EMFILE");

    // One more connection arrives while still at the limit (its client
    // takes the one descriptor freed for it). Still no busy loop.
    fillers.pop();
    clients.push(net::TcpStream::connect(addr).unwrap());
    assert_emfile(listener.accept(), "accept after a new connection");
    assert_no_busy_loop(
        &mut poll,
        &mut events,
        &listener,
        "at EMFILE with a new connection",
    );

    // Descriptors free up: every queued connection is accepted right away
    // (the server retries after freeing descriptors, as it must, since a
    // failed accept need not be followed by another event).
    drop(fillers);
    let mut expected: Vec<SocketAddr> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
    let mut accepted = Vec::new();
    let deadline = Instant::now() + DEADLINE;
    while !expected.is_empty() {
        assert!(
            Instant::now() < deadline,
            "connections {expected:?} were never accepted"
        );
        match listener.accept() {
            Ok((stream, peer)) => {
                let at = expected
                    .iter()
                    .position(|&a| a == peer)
                    .unwrap_or_else(|| panic!("accepted an unknown peer {peer}"));
                expected.remove(at);
                accepted.push(stream);
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                wait_for_listener(&mut poll, &mut events, "for the remaining connections");
            }
            Err(err) => panic!("accept after freeing descriptors: {err:?}"),
        }
    }
    match listener.accept() {
        Err(err) if err.kind() == ErrorKind::WouldBlock => {}
        other => panic!("expected WouldBlock once the queue is empty, got {other:?}"),
    }

    // The listener keeps working: a new connection is reported and accepted.
    let late = net::TcpStream::connect(addr).unwrap();
    wait_for_listener(&mut poll, &mut events, "for a connection after recovery");
    let (_stream, peer) = listener.accept().expect("accept after recovery");
    assert_eq!(peer, late.local_addr().unwrap());
    drop(accepted);
}
