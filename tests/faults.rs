//! Fault injection: each test makes the peer, the kernel or the program
//! misbehave in one specific way, over real sockets, and checks that mio
//! reports it the documented way and keeps working.
//!
//! Every wait is bounded: tests poll in a loop until a deadline and then
//! panic with what they were waiting for and what they saw. Nothing here
//! sleeps to let something happen, and nothing asserts how long anything
//! took; checks that something does *not* happen are counted over a few
//! short polls (a late event can only make such a check fail, not pass).
//!
//! Accepting at `EMFILE` lowers the process's descriptor limit, which a
//! multi-threaded test binary cannot do safely: it has its own binary,
//! `tests/fault_emfile.rs`.

#![cfg(all(unix, feature = "os-poll", feature = "net"))]

use std::io::{self, ErrorKind, Read, Write};
use std::net::{self, Shutdown, SocketAddr};
use std::os::unix::io::{AsRawFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Once};
use std::thread;
use std::time::{Duration, Instant};

#[path = "util/backend.rs"]
mod backend;

use mio::event::Event;
use mio::net::{TcpStream, UnixStream};
use mio::{Events, Interest, Poll, Token, Waker};

/// How long a test waits for something that must happen. Generous: the
/// machines running the suite can be heavily loaded.
const DEADLINE: Duration = Duration::from_secs(20);

/// One poll while checking that something does *not* happen.
const QUIET: Duration = Duration::from_millis(50);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The parts of an [`Event`] the tests look at, kept past the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Seen {
    token: Token,
    readable: bool,
    writable: bool,
    error: bool,
    read_closed: bool,
    write_closed: bool,
}

impl Seen {
    fn of(event: &Event) -> Seen {
        Seen {
            token: event.token(),
            readable: event.is_readable(),
            writable: event.is_writable(),
            error: event.is_error(),
            read_closed: event.is_read_closed(),
            write_closed: event.is_write_closed(),
        }
    }
}

impl Seen {
    /// The readiness of both events together (same token).
    fn union(&self, other: &Seen) -> Seen {
        Seen {
            token: self.token,
            readable: self.readable || other.readable,
            writable: self.writable || other.writable,
            error: self.error || other.error,
            read_closed: self.read_closed || other.read_closed,
            write_closed: self.write_closed || other.write_closed,
        }
    }
}

/// One `poll`, retried on `Interrupted`; returns what it reported.
fn poll_once(poll: &mut Poll, events: &mut Events, timeout: Duration) -> Vec<Seen> {
    loop {
        match poll.poll(events, Some(timeout)) {
            Ok(()) => return events.iter().map(Seen::of).collect(),
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => panic!("poll failed: {err}"),
        }
    }
}

/// Polls until an event for `token` satisfies `wanted`; panics after
/// [`DEADLINE`] with every event seen meanwhile.
fn wait_for<F>(poll: &mut Poll, events: &mut Events, token: Token, what: &str, wanted: F) -> Seen
where
    F: Fn(&Seen) -> bool,
{
    let deadline = Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    loop {
        let now = Instant::now();
        assert!(
            now < deadline,
            "no event for {token:?} that is {what} within {DEADLINE:?}; saw {seen:?}"
        );
        let batch = poll_once(poll, events, deadline - now);
        // On kqueue one change of state can come as an event per filter
        // (read side, write side), where epoll gives one: what the events of
        // one poll say for `token` counts together.
        let mine = batch.iter().filter(|e| e.token == token);
        let merged = if backend::SPLIT_EVENTS {
            mine.copied().reduce(|a, b| a.union(&b))
        } else {
            mine.copied().find(|e| wanted(e))
        };
        if let Some(event) = merged.filter(|e| wanted(e)) {
            return event;
        }
        seen.extend(batch);
    }
}

/// Polls `rounds` times for [`QUIET`] and panics on any event for `token`.
#[cfg_attr(not(any(target_os = "linux", target_os = "android")), allow(dead_code))]
fn assert_silent(poll: &mut Poll, events: &mut Events, token: Token, rounds: usize, context: &str) {
    for _ in 0..rounds {
        for event in poll_once(poll, events, QUIET) {
            assert_ne!(event.token, token, "{context}: unexpected {event:?}");
        }
    }
}

fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Accepts one connection on a non-blocking std listener, bounded.
fn accept_std(listener: &net::TcpListener) -> net::TcpStream {
    let deadline = Instant::now() + DEADLINE;
    loop {
        match listener.accept() {
            Ok((stream, _)) => return stream,
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "no connection to accept");
                thread::yield_now();
            }
            Err(err) => panic!("accept failed: {err}"),
        }
    }
}

/// A mio stream registered as `token` (readable and writable) and known to
/// be connected, and the blocking std stream at the other end.
fn mio_client_std_peer(
    poll: &mut Poll,
    events: &mut Events,
    token: Token,
) -> (TcpStream, net::TcpStream) {
    let listener = net::TcpListener::bind(localhost()).unwrap();
    listener.set_nonblocking(true).unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    poll.registry()
        .register(&mut client, token, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    let peer = accept_std(&listener);
    peer.set_nonblocking(false).unwrap();
    wait_connected(poll, events, &client, token);
    (client, peer)
}

/// Two connected mio streams, both registered (readable and writable).
fn mio_pair(poll: &mut Poll, events: &mut Events, a: Token, b: Token) -> (TcpStream, TcpStream) {
    let (client, peer) = mio_client_std_peer(poll, events, a);
    peer.set_nonblocking(true).unwrap();
    let mut server = TcpStream::from_std(peer);
    poll.registry()
        .register(&mut server, b, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    (client, server)
}

/// Waits until the registered `stream` has finished connecting.
fn wait_connected(poll: &mut Poll, events: &mut Events, stream: &TcpStream, token: Token) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(err) = stream.take_error().unwrap() {
            panic!("connect failed: {err}");
        }
        if stream.peer_addr().is_ok() {
            return;
        }
        assert!(Instant::now() < deadline, "connect did not finish");
        wait_for(poll, events, token, "writable", |e| e.writable || e.error);
    }
}

/// Byte `i` of test stream `seed`: position-dependent, so a lost,
/// duplicated or reordered byte is caught.
fn pattern_byte(seed: u64, i: u64) -> u8 {
    let x = (i ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)).wrapping_mul(0x2545_f491_4f6c_dd1d);
    (x >> 56) as u8
}

fn pattern(seed: u64, len: usize) -> Vec<u8> {
    (0..len as u64).map(|i| pattern_byte(seed, i)).collect()
}

/// One direction of a verified transfer between two non-blocking streams.
struct Flow {
    seed: u64,
    len: u64,
    sent: u64,
    received: u64,
    /// `Interrupted` results of reads and writes, each retried.
    interrupted: u64,
    /// At most this many bytes sent and not yet received (for a flow that
    /// comes back to its sender).
    window: u64,
}

impl Flow {
    fn new(seed: u64, len: u64) -> Flow {
        Flow {
            seed,
            len,
            sent: 0,
            received: 0,
            interrupted: 0,
            window: u64::MAX,
        }
    }

    fn done(&self) -> bool {
        self.sent == self.len && self.received == self.len
    }

    /// Writes until `WouldBlock` or everything is sent.
    fn write<W: Write>(&mut self, mut writer: W) {
        let mut buf = [0u8; 16 * 1024];
        while self.sent < self.len && self.sent - self.received < self.window {
            let n = (self.len - self.sent)
                .min(self.window - (self.sent - self.received))
                .min(buf.len() as u64) as usize;
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = pattern_byte(self.seed, self.sent + i as u64);
            }
            match writer.write(&buf[..n]) {
                Ok(0) => panic!("write returned 0"),
                Ok(k) => self.sent += k as u64,
                Err(err) if err.kind() == ErrorKind::WouldBlock => return,
                Err(err) if err.kind() == ErrorKind::Interrupted => self.interrupted += 1,
                Err(err) => panic!("write failed after {} bytes: {err}", self.sent),
            }
        }
    }

    /// Reads until `WouldBlock` or end-of-file, verifying every byte;
    /// returns whether end-of-file was read.
    fn read<R: Read>(&mut self, mut reader: R) -> bool {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return true,
                Ok(n) => {
                    for (i, &b) in buf[..n].iter().enumerate() {
                        let at = self.received + i as u64;
                        assert!(at < self.len, "more bytes than sent: offset {at}");
                        assert_eq!(
                            b,
                            pattern_byte(self.seed, at),
                            "wrong byte at offset {at} of stream {}",
                            self.seed
                        );
                    }
                    self.received += n as u64;
                }
                Err(err) if err.kind() == ErrorKind::WouldBlock => return false,
                Err(err) if err.kind() == ErrorKind::Interrupted => self.interrupted += 1,
                Err(err) => panic!("read failed after {} bytes: {err}", self.received),
            }
        }
    }
}

/// Moves all of `flow` from `writer` to `reader` (both registered with
/// `poll`), driven by events; other tokens' events are ignored.
fn transfer(
    poll: &mut Poll,
    events: &mut Events,
    writer: &TcpStream,
    reader: &TcpStream,
    flow: &mut Flow,
) {
    let deadline = Instant::now() + DEADLINE;
    flow.write(writer);
    flow.read(reader);
    while !flow.done() {
        assert!(
            Instant::now() < deadline,
            "transfer stuck: {} of {} bytes sent, {} received",
            flow.sent,
            flow.len,
            flow.received
        );
        poll_once(poll, events, Duration::from_millis(100));
        // Edge-triggered: act on both ends whatever was reported; both
        // calls stop at `WouldBlock`, so no readiness is left unconsumed.
        flow.write(writer);
        assert!(
            !flow.read(reader),
            "end-of-file in the middle of a transfer"
        );
    }
}

/// Reads from the registered `stream` until at least `n` bytes arrived.
fn read_at_least(
    poll: &mut Poll,
    events: &mut Events,
    stream: &TcpStream,
    token: Token,
    n: usize,
) -> Vec<u8> {
    let deadline = Instant::now() + DEADLINE;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < n {
        match (&*stream).read(&mut buf[..(n - got.len()).min(4096)]) {
            Ok(0) => panic!("end-of-file after {} bytes", got.len()),
            Ok(k) => got.extend_from_slice(&buf[..k]),
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                assert!(
                    Instant::now() < deadline,
                    "only {} of {n} bytes arrived",
                    got.len()
                );
                wait_for(poll, events, token, "readable", |e| e.readable);
            }
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => panic!("read failed: {err}"),
        }
    }
    got
}

/// Makes closing `fd` send a reset instead of a FIN.
fn set_linger_zero<S: AsRawFd>(socket: &S) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the option value points at a live `linger` of the size given.
    let res = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(
        res,
        0,
        "setsockopt(SO_LINGER): {}",
        io::Error::last_os_error()
    );
}

fn is_reset_or_broken_pipe(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
    )
}

// ---------------------------------------------------------------------------
// Peer reset mid-stream
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum ResetBy {
    /// `SO_LINGER` with a zero timeout, then `close`.
    LingerZero,
    /// `close` while data it never read is queued: the kernel resets.
    UnreadData,
}

#[test]
#[cfg_attr(
    mio_unsupported_force_kqueue,
    ignore = "libkqueue: reads SO_ERROR for each error event, which clears the socket's pending error"
)]
fn peer_reset_mid_stream() {
    const CLIENT: Token = Token(1);
    for how in [ResetBy::LingerZero, ResetBy::UnreadData] {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(16);
        let (client, mut peer) = mio_client_std_peer(&mut poll, &mut events, CLIENT);

        // Mid-stream: the peer has sent, the client has read part of it.
        let sent = pattern(7, 32 * 1024);
        peer.write_all(&sent).unwrap();
        let mut got = read_at_least(&mut poll, &mut events, &client, CLIENT, 1000);
        assert_eq!(got[..], sent[..got.len()], "{how:?}: data corrupted");

        match how {
            ResetBy::LingerZero => set_linger_zero(&peer),
            ResetBy::UnreadData => {
                (&client).write_all(b"never read by the peer").unwrap();
                // Make sure it is in the peer's queue before the close.
                peer.set_read_timeout(Some(DEADLINE)).unwrap();
                assert!(peer.peek(&mut [0u8; 1]).unwrap() > 0);
            }
        }
        drop(peer);

        let event = wait_for(
            &mut poll,
            &mut events,
            CLIENT,
            "an error or read-closed event after the reset",
            |e| e.error || e.read_closed,
        );
        // Whatever data arrived before the reset may still be read (in
        // order), then the reset shows as ConnectionReset.
        let deadline = Instant::now() + DEADLINE;
        let mut buf = [0u8; 4096];
        loop {
            assert!(Instant::now() < deadline, "{how:?}: no ConnectionReset");
            match (&client).read(&mut buf) {
                Ok(0) => panic!(
                    "{how:?}: end-of-file instead of ConnectionReset after {} bytes ({event:?})",
                    got.len()
                ),
                Ok(n) => {
                    got.extend_from_slice(&buf[..n]);
                    assert_eq!(got[..], sent[..got.len()], "{how:?}: data corrupted");
                }
                Err(err) if err.kind() == ErrorKind::ConnectionReset => break,
                Err(err) if err.kind() == ErrorKind::WouldBlock => {
                    wait_for(&mut poll, &mut events, CLIENT, "another event", |_| true);
                }
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(err) => panic!("{how:?}: expected ConnectionReset, got {err:?}"),
            }
        }
        // The connection stays dead: writing fails too.
        let err = (&client)
            .write(b"after the reset")
            .expect_err("write after a reset succeeded");
        assert!(is_reset_or_broken_pipe(&err), "{how:?}: write: {err:?}");
    }
}

// ---------------------------------------------------------------------------
// EPIPE on write after the peer closed
// ---------------------------------------------------------------------------

/// Runs `f` with SIGPIPE blocked on this thread and reports whether a
/// SIGPIPE was raised for it meanwhile (a blocked signal stays pending even
/// when its disposition is "ignore", as the Rust runtime sets it). Thread
/// local, so safe next to other tests; a pending SIGPIPE is consumed.
fn raises_sigpipe<F: FnOnce()>(f: F) -> bool {
    // SAFETY: sigset_t values are initialised by sigemptyset before use;
    // the calls only read and write the sets given.
    unsafe {
        let mut pipe_set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut pipe_set);
        libc::sigaddset(&mut pipe_set, libc::SIGPIPE);
        let mut old: libc::sigset_t = std::mem::zeroed();
        assert_eq!(
            libc::pthread_sigmask(libc::SIG_BLOCK, &pipe_set, &mut old),
            0
        );
        f();
        let mut pending: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut pending);
        assert_eq!(libc::sigpending(&mut pending), 0);
        let raised = libc::sigismember(&pending, libc::SIGPIPE) == 1;
        if raised {
            let mut sig = 0;
            libc::sigwait(&pipe_set, &mut sig);
        }
        assert_eq!(
            libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()),
            0
        );
        raised
    }
}

#[test]
fn write_after_peer_closed_fails_without_sigpipe() {
    const CLIENT: Token = Token(1);
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (client, peer) = mio_client_std_peer(&mut poll, &mut events, CLIENT);
    drop(peer);
    wait_for(&mut poll, &mut events, CLIENT, "read-closed", |e| {
        e.read_closed
    });

    let mut first_error = None;
    let mut error_event = false;
    let raised = raises_sigpipe(|| {
        // The first write after the FIN is accepted locally; the closed peer
        // answers it with a reset, and writes fail from then on.
        let deadline = Instant::now() + DEADLINE;
        let mut accepted = 0;
        loop {
            assert!(Instant::now() < deadline, "writes kept succeeding");
            match (&client).write(&[0x55; 1024]) {
                Ok(_) => {
                    accepted += 1;
                    assert!(
                        accepted < 1000,
                        "{accepted} writes to a closed peer succeeded"
                    );
                    let e = wait_for(
                        &mut poll,
                        &mut events,
                        CLIENT,
                        "an event after writing to a closed peer",
                        |e| e.error || e.write_closed || e.writable,
                    );
                    error_event |= e.error || e.write_closed;
                }
                Err(err) if err.kind() == ErrorKind::WouldBlock => {
                    wait_for(&mut poll, &mut events, CLIENT, "writable", |_| true);
                }
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(err) => {
                    first_error = Some(err);
                    break;
                }
            }
        }
        // It stays failed.
        let again = (&client).write(b"x").expect_err("write succeeded again");
        assert!(is_reset_or_broken_pipe(&again), "second failure: {again:?}");
    });
    let err = first_error.unwrap();
    assert!(
        is_reset_or_broken_pipe(&err),
        "expected BrokenPipe or ConnectionReset, got {err:?}"
    );
    assert!(!raised, "writing to a closed TCP peer raised SIGPIPE");
    // The reset is also reported as an event with the error or
    // write-closed flag (unless the failing write came first and it is
    // still to be polled).
    if !error_event {
        wait_for(
            &mut poll,
            &mut events,
            CLIENT,
            "error or write-closed",
            |e| e.error || e.write_closed,
        );
    }
}

// ---------------------------------------------------------------------------
// Half-close in both directions
// ---------------------------------------------------------------------------

/// Reads until end-of-file, waiting for events, and makes sure a
/// read-closed event was reported for `token`; returns the events for
/// `token` seen on the way.
fn read_to_eof(
    poll: &mut Poll,
    events: &mut Events,
    stream: &TcpStream,
    token: Token,
) -> Vec<Seen> {
    let deadline = Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match (&*stream).read(&mut buf) {
            Ok(0) => break,
            Ok(n) => panic!("{n} unexpected bytes before end-of-file"),
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "no end-of-file");
                seen.push(wait_for(
                    poll,
                    events,
                    token,
                    "readable or read-closed",
                    |e| e.readable || e.read_closed,
                ));
            }
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => panic!("read failed: {err}"),
        }
    }
    if !seen.iter().any(|e| e.read_closed) {
        // The end-of-file may have been read before its event was polled;
        // the read-closed readiness is still reported.
        seen.push(wait_for(poll, events, token, "read-closed", |e| {
            e.read_closed
        }));
    }
    seen
}

#[test]
fn half_close_in_both_directions() {
    // Either end may close its writing half first: the connecting side, then
    // the accepting side, and the other way round.
    for client_first in [true, false] {
        const CLIENT: Token = Token(1);
        const SERVER: Token = Token(2);
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(16);
        let (client, server) = mio_pair(&mut poll, &mut events, CLIENT, SERVER);
        let ((x, xt), (y, yt)) = if client_first {
            ((&client, CLIENT), (&server, SERVER))
        } else {
            ((&server, SERVER), (&client, CLIENT))
        };

        // X sends, then closes its writing half: Y reads everything, then
        // end-of-file, with a read-closed event.
        let mut flow = Flow::new(1, 300_000);
        transfer(&mut poll, &mut events, x, y, &mut flow);
        x.shutdown(Shutdown::Write).unwrap();
        read_to_eof(&mut poll, &mut events, y, yt);
        let err = (&*x).write(b"x").expect_err("write after shutdown(Write)");
        assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err:?}");

        // The other direction still carries data.
        let mut flow = Flow::new(2, 300_000);
        transfer(&mut poll, &mut events, y, x, &mut flow);

        // Now Y closes its writing half too.
        y.shutdown(Shutdown::Write).unwrap();
        let seen_by_x = read_to_eof(&mut poll, &mut events, x, xt);
        let err = (&*y).write(b"y").expect_err("write after shutdown(Write)");
        assert_eq!(err.kind(), ErrorKind::BrokenPipe, "{err:?}");

        // Both halves of X are closed now; Linux reports a hang-up, which
        // mio shows as both read- and write-closed.
        // On kqueue the write side's close is an event of its own (its
        // filter's), after the read side's.
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if backend::SPLIT_EVENTS {
            if !seen_by_x.iter().any(|e| e.write_closed) {
                wait_for(&mut poll, &mut events, xt, "write-closed", |e| {
                    e.write_closed
                });
            }
        } else if !seen_by_x.iter().any(|e| e.read_closed && e.write_closed) {
            wait_for(&mut poll, &mut events, xt, "read- and write-closed", |e| {
                e.read_closed && e.write_closed
            });
        }
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let _ = seen_by_x;
    }
}

// ---------------------------------------------------------------------------
// Connect to a closed port, and to one that never answers
// ---------------------------------------------------------------------------

/// A TCP port on 127.0.0.1 where nothing listens.
struct ClosedPort {
    _reserved: Option<std::os::unix::io::OwnedFd>,
    addr: SocketAddr,
}

/// Linux/Android: the socket is made with `SOCK_CLOEXEC` and bound through
/// the Linux `sockaddr_in` layout.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn bound_socket(listen_backlog: Option<libc::c_int>) -> std::os::unix::io::OwnedFd {
    use std::os::unix::io::{FromRawFd, OwnedFd};
    // SAFETY: socket(2) takes only integers.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
    assert!(fd >= 0, "socket: {}", io::Error::last_os_error());
    // SAFETY: `fd` is new and owned by nothing else.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    let sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: 0,
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: `sin` is a valid sockaddr_in of the length given.
    let res = unsafe {
        libc::bind(
            fd,
            (&sin as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    assert_eq!(res, 0, "bind: {}", io::Error::last_os_error());
    if let Some(backlog) = listen_backlog {
        // SAFETY: listen(2) takes only integers.
        let res = unsafe { libc::listen(fd, backlog) };
        assert_eq!(res, 0, "listen: {}", io::Error::last_os_error());
    }
    owned
}

impl ClosedPort {
    /// Linux/Android: the port stays reserved by a bound socket that never
    /// listens, while the value lives.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    fn new() -> ClosedPort {
        let socket = net::TcpStream::from(bound_socket(None));
        let addr = socket.local_addr().unwrap();
        ClosedPort {
            _reserved: Some(socket.into()),
            addr,
        }
    }

    /// Elsewhere: a port that was free a moment ago. Another process could
    /// take it in between, which is unlikely enough for a test.
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    fn new() -> ClosedPort {
        let listener = net::TcpListener::bind(localhost()).unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        ClosedPort {
            _reserved: None,
            addr,
        }
    }
}

#[test]
#[cfg_attr(
    mio_unsupported_force_kqueue,
    ignore = "libkqueue: reads SO_ERROR for each error event, which clears the socket's pending error"
)]
fn connect_to_a_closed_port_is_refused() {
    const CONN: Token = Token(1);
    let closed = ClosedPort::new();
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut stream = match TcpStream::connect(closed.addr) {
        Ok(stream) => stream,
        // Refusing at once is allowed too; nothing more to check then.
        Err(err) if err.kind() == ErrorKind::ConnectionRefused => return,
        Err(err) => panic!("connect: {err:?}"),
    };
    poll.registry()
        .register(&mut stream, CONN, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    wait_for(&mut poll, &mut events, CONN, "an error event", |e| e.error);
    let err = stream
        .take_error()
        .unwrap()
        .expect("take_error after a refused connect");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err:?}");
    assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
    assert!(stream.take_error().unwrap().is_none(), "error not taken");
    let err = stream
        .peer_addr()
        .expect_err("peer_addr of a refused connect");
    assert_eq!(err.kind(), ErrorKind::NotConnected, "{err:?}");
    poll.registry().deregister(&mut stream).unwrap();
}

/// Linux/Android only: it relies on Linux dropping the SYN of a connection
/// to a listener whose accept queue (backlog 0) is full.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn connect_to_a_port_that_never_answers_stays_pending() {
    const CONN: Token = Token(1);
    const OTHER: Token = Token(2);
    let listener = net::TcpListener::from(bound_socket(Some(0)));
    let addr = listener.local_addr().unwrap();
    // Fills the accept queue; it is never accepted.
    let _queued = net::TcpStream::connect(addr).unwrap();

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut stream = TcpStream::connect(addr).unwrap();
    poll.registry()
        .register(&mut stream, CONN, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    // The SYN is dropped (and its retransmissions too, while the queue is
    // full): no readiness, no error, however long one looks.
    assert_silent(
        &mut poll,
        &mut events,
        CONN,
        6,
        "connect to a listener that drops SYNs",
    );
    assert!(stream.take_error().unwrap().is_none());
    let err = stream
        .peer_addr()
        .expect_err("connected to a full listener");
    assert_eq!(err.kind(), ErrorKind::NotConnected, "{err:?}");
    // Give up on it; the Poll is unaffected.
    poll.registry().deregister(&mut stream).unwrap();
    drop(stream);
    let (_client, _peer) = mio_client_std_peer(&mut poll, &mut events, OTHER);
}

// ---------------------------------------------------------------------------
// A descriptor closed while registered, its number reused
// ---------------------------------------------------------------------------

/// Calls `make` until it returns an object whose descriptor is `fd`,
/// holding the misses (lower numbers freed meanwhile) until then. `None`
/// when a number above `fd` came first: another thread took `fd`.
fn reuse_fd<T: AsRawFd>(fd: RawFd, mut make: impl FnMut() -> T) -> Option<T> {
    let mut misses = Vec::new();
    for _ in 0..64 {
        let object = make();
        let got = object.as_raw_fd();
        if got == fd {
            return Some(object);
        }
        if got > fd {
            return None;
        }
        misses.push(object);
    }
    None
}

/// Runs `attempt` until it gets to reuse the descriptor number it wants
/// (another test's thread may take it first), at most 20 times.
fn with_reused_fd(what: &str, mut attempt: impl FnMut() -> bool) {
    for _ in 0..20 {
        if attempt() {
            return;
        }
    }
    panic!("{what}: could not get the closed descriptor's number back in 20 attempts");
}

#[test]
fn closed_and_reused_descriptor_reports_only_the_new_token() {
    const OLD: Token = Token(1);
    const NEW: Token = Token(2);
    // Twice: once with a poll between the close and the reuse (the
    // registry sees the closed descriptor first), once without.
    for poll_between in [false, true] {
        with_reused_fd("TcpStream", || {
            let mut poll = Poll::new().unwrap();
            let mut events = Events::with_capacity(16);
            let listener = net::TcpListener::bind(localhost()).unwrap();
            listener.set_nonblocking(true).unwrap();
            let addr = listener.local_addr().unwrap();

            let mut old = TcpStream::connect(addr).unwrap();
            poll.registry()
                .register(&mut old, OLD, Interest::READABLE | Interest::WRITABLE)
                .unwrap();
            let mut old_peer = accept_std(&listener);
            wait_connected(&mut poll, &mut events, &old, OLD);
            // Readiness the old registration never got to report.
            old_peer.write_all(b"pending for the old token").unwrap();
            let fd = old.as_raw_fd();
            drop(old); // closed without deregistering
            if poll_between {
                poll_once(&mut poll, &mut events, Duration::ZERO);
            }

            let Some(mut new) = reuse_fd(fd, || TcpStream::connect(addr).unwrap()) else {
                return false;
            };
            poll.registry()
                .register(&mut new, NEW, Interest::READABLE | Interest::WRITABLE)
                .unwrap_or_else(|e| panic!("registering a reused descriptor {fd}: {e}"));
            // Misses are queued too: find the new socket's peer.
            let mut new_peer = loop {
                let peer = accept_std(&listener);
                if peer.peer_addr().unwrap() == new.local_addr().unwrap() {
                    break peer;
                }
            };
            new_peer.write_all(b"for the new token").unwrap();

            let deadline = Instant::now() + DEADLINE;
            let mut new_readable = false;
            let mut rounds_after = 0;
            // Until the new token was readable, then a few quiet rounds more
            // to catch a late event for the old one.
            while rounds_after < 4 {
                assert!(
                    Instant::now() < deadline,
                    "no readable event for the new token"
                );
                for e in poll_once(&mut poll, &mut events, QUIET) {
                    assert_ne!(
                        e.token, OLD,
                        "event for the token of a closed descriptor whose number {fd} \
                         was reused (poll between: {poll_between}): {e:?}"
                    );
                    new_readable |= e.token == NEW && e.readable;
                }
                if new_readable {
                    rounds_after += 1;
                }
            }
            let mut buf = [0u8; 64];
            let n = (&new).read(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"for the new token");
            poll.registry().deregister(&mut new).unwrap();
            drop(old_peer);
            true
        });
    }
}

#[cfg(feature = "os-ext")]
#[test]
fn closed_and_reused_raw_fd_reports_only_the_new_token() {
    use mio::unix::SourceFd;
    use std::os::unix::net::UnixStream as StdUnixStream;
    const OLD: Token = Token(1);
    const NEW: Token = Token(2);

    /// A socket pair whose *first* end has the lowest new number.
    struct Pair(StdUnixStream, StdUnixStream);
    impl AsRawFd for Pair {
        fn as_raw_fd(&self) -> RawFd {
            self.0.as_raw_fd()
        }
    }
    let new_pair = || {
        let (a, b) = StdUnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        Pair(a, b)
    };

    for poll_between in [false, true] {
        with_reused_fd("SourceFd", || {
            let mut poll = Poll::new().unwrap();
            let mut events = Events::with_capacity(16);
            let old = new_pair();
            let fd = old.as_raw_fd();
            poll.registry()
                .register(&mut SourceFd(&fd), OLD, Interest::READABLE)
                .unwrap();
            (&old.1).write_all(b"pending for the old token").unwrap();
            let Pair(old_end, old_peer) = old;
            drop(old_end); // closed without deregistering
            if poll_between {
                poll_once(&mut poll, &mut events, Duration::ZERO);
            }

            let Some(new) = reuse_fd(fd, new_pair) else {
                return false;
            };
            poll.registry()
                .register(&mut SourceFd(&fd), NEW, Interest::READABLE)
                .unwrap_or_else(|e| panic!("registering a reused raw fd {fd}: {e}"));
            (&new.1).write_all(b"for the new token").unwrap();

            let deadline = Instant::now() + DEADLINE;
            let mut new_readable = false;
            let mut rounds_after = 0;
            while rounds_after < 4 {
                assert!(
                    Instant::now() < deadline,
                    "no readable event for the new token"
                );
                for e in poll_once(&mut poll, &mut events, QUIET) {
                    assert_ne!(
                        e.token, OLD,
                        "event for the token of a closed raw fd whose number {fd} was \
                         reused (poll between: {poll_between}): {e:?}"
                    );
                    new_readable |= e.token == NEW && e.readable;
                }
                if new_readable {
                    rounds_after += 1;
                }
            }
            let mut buf = [0u8; 64];
            let n = (&new.0).read(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"for the new token");
            poll.registry().deregister(&mut SourceFd(&fd)).unwrap();
            drop(old_peer);
            true
        });
    }
}

// ---------------------------------------------------------------------------
// EINTR storms during poll
// ---------------------------------------------------------------------------

extern "C" fn ignore_signal(_: libc::c_int) {}

/// A do-nothing SIGUSR1 handler installed without `SA_RESTART`, so that a
/// blocking call interrupted by it fails with `EINTR`. Left in place: only
/// threads signalled on purpose ever see it.
fn install_sigusr1_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: the sigaction is zeroed then filled in; the handler is an
        // `extern "C" fn(c_int)` that does nothing (async-signal-safe).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = ignore_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = 0;
            libc::sigemptyset(&mut action.sa_mask);
            let res = libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut());
            assert_eq!(res, 0, "sigaction: {}", io::Error::last_os_error());
        }
    });
}

/// A thread sending SIGUSR1 to one thread in a loop until
/// dropped (every ~50 µs), or until its own time limit passes (so that a poll that never
/// returns under the storm still ends, and the test can say so).
struct SignalStorm {
    stop: Option<mpsc::Sender<()>>,
    handle: Option<thread::JoinHandle<()>>,
    sent: Arc<AtomicU64>,
    expired: Arc<AtomicBool>,
}

/// A `pthread_t`, which is a pointer on some systems (Redox).
struct ThreadId(libc::pthread_t);

// SAFETY: the id is only handed back to pthread_kill, never dereferenced.
unsafe impl Send for ThreadId {}

impl ThreadId {
    /// By method, so that closures capture the whole (`Send`) wrapper.
    fn get(&self) -> libc::pthread_t {
        self.0
    }
}

impl SignalStorm {
    /// Storms the calling thread.
    fn start(limit: Duration) -> SignalStorm {
        install_sigusr1_handler();
        // SAFETY: pthread_self has no preconditions. The id stays valid:
        // `drop` joins the storm before this thread can exit.
        let target = ThreadId(unsafe { libc::pthread_self() });
        let (stop, stopped) = mpsc::channel::<()>();
        let sent = Arc::new(AtomicU64::new(0));
        let expired = Arc::new(AtomicBool::new(false));
        let (sent2, expired2) = (Arc::clone(&sent), Arc::clone(&expired));
        let handle = thread::spawn(move || {
            let end = Instant::now() + limit;
            while let Err(RecvTimeoutError::Timeout) =
                stopped.recv_timeout(Duration::from_micros(50))
            {
                if Instant::now() > end {
                    expired2.store(true, Ordering::SeqCst);
                    return;
                }
                // SAFETY: `target` is a live thread (see above).
                let res = unsafe { libc::pthread_kill(target.get(), libc::SIGUSR1) };
                assert_eq!(res, 0, "pthread_kill");
                sent2.fetch_add(1, Ordering::Relaxed);
            }
        });
        SignalStorm {
            stop: Some(stop),
            handle: Some(handle),
            sent,
            expired,
        }
    }
}

impl Drop for SignalStorm {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(handle) = self.handle.take() {
            let _ = handle.join();
        }
    }
}

/// `poll` calls and how many failed with `Interrupted` (each retried).
#[derive(Default)]
struct PollCounts {
    polls: u64,
    interrupted: u64,
}

impl PollCounts {
    /// One `poll` call; returns whether it was interrupted.
    fn poll_once(&mut self, poll: &mut Poll, events: &mut Events, timeout: Duration) -> bool {
        self.polls += 1;
        match poll.poll(events, Some(timeout)) {
            Ok(()) => false,
            Err(err) if err.kind() == ErrorKind::Interrupted => {
                self.interrupted += 1;
                true
            }
            Err(err) => panic!("poll failed: {err}"),
        }
    }

    /// `poll`, retried until it is not interrupted.
    fn poll(&mut self, poll: &mut Poll, events: &mut Events, timeout: Duration) {
        while self.poll_once(poll, events, timeout) {}
    }
}

#[test]
fn eintr_storm_during_poll_loses_nothing() {
    const CONN: Token = Token(1);
    const STORM_LIMIT: Duration = Duration::from_secs(60);
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let (mut client, mut peer) = mio_client_std_peer(&mut poll, &mut events, CONN);
    // Readable only: writes here never run into `WouldBlock` (the window
    // is small), so only reads need events, and the poller really waits.
    poll.registry()
        .reregister(&mut client, CONN, Interest::READABLE)
        .unwrap();

    // The far end echoes on a thread of its own (never signalled), so the
    // poller keeps waiting for it in `poll` while the signals come.
    peer.set_read_timeout(Some(DEADLINE)).unwrap();
    let echo = thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match peer.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if peer.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = peer.shutdown(Shutdown::Write);
    });

    let storm = SignalStorm::start(STORM_LIMIT);
    let mut counts = PollCounts::default();

    // 4 MiB out and back, every byte verified, then end-of-file; at most
    // 1 KiB on the way at a time, so that the poller often waits in `poll`.
    let mut flow = Flow::new(11, 4 << 20);
    flow.window = 1024;
    let mut shut = false;
    let deadline = Instant::now() + DEADLINE;
    loop {
        assert!(
            Instant::now() < deadline && !storm.expired.load(Ordering::SeqCst),
            "transfer stuck under the signal storm: {} of {} bytes sent, {} echoed",
            flow.sent,
            flow.len,
            flow.received
        );
        let before = (flow.sent, flow.received);
        flow.write(&client);
        if flow.sent == flow.len && !shut {
            client.shutdown(Shutdown::Write).unwrap();
            shut = true;
        }
        if flow.read(&client) {
            break;
        }
        // Wait only when neither side could move: a write held back by the
        // window did not end in `WouldBlock`, so no event would announce
        // that it can go on.
        if (flow.sent, flow.received) == before {
            counts.poll(&mut poll, &mut events, Duration::from_millis(200));
        }
    }
    assert!(
        flow.done(),
        "end-of-file after {} of {} bytes",
        flow.received,
        flow.len
    );
    echo.join().unwrap();
    let transfer_interrupted = counts.interrupted;

    // Idle polls under the storm: each call must return (interrupted or
    // timed out), not restart its timeout inside forever; and some must be
    // interrupted, or the storm did not reach the poller.
    let interrupted_before = counts.interrupted;
    for _ in 0..20 {
        counts.poll_once(&mut poll, &mut events, Duration::from_millis(20));
    }
    let idle_deadline = Instant::now() + DEADLINE;
    while counts.interrupted == interrupted_before {
        assert!(
            Instant::now() < idle_deadline,
            "no idle poll was interrupted by {} signals",
            storm.sent.load(Ordering::Relaxed)
        );
        counts.poll_once(&mut poll, &mut events, Duration::from_millis(20));
    }
    assert!(
        !storm.expired.load(Ordering::SeqCst),
        "polls with a 20 ms timeout did not return while signals kept coming \
         (the storm ran out after {STORM_LIMIT:?})"
    );
    let signals = storm.sent.load(Ordering::Relaxed);
    drop(storm);
    eprintln!(
        "{signals} signals, {} polls of which {} interrupted ({transfer_interrupted} during \
         the transfer), {} interrupted reads/writes, all retried",
        counts.polls, counts.interrupted, flow.interrupted
    );
}

// ---------------------------------------------------------------------------
// A full Events buffer under a flood
// ---------------------------------------------------------------------------

/// Reads until `WouldBlock`; returns the number of bytes.
fn drain<R: Read>(mut reader: R) -> usize {
    let mut buf = [0u8; 256];
    let mut total = 0;
    loop {
        match reader.read(&mut buf) {
            Ok(0) => panic!("unexpected end-of-file"),
            Ok(n) => total += n,
            Err(err) if err.kind() == ErrorKind::WouldBlock => return total,
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => panic!("read failed: {err}"),
        }
    }
}

#[test]
fn full_events_buffer_under_a_flood_loses_nothing() {
    const SOCKETS: usize = 64;
    for capacity in 1..=4 {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(capacity);
        let mut pairs = Vec::new();
        for i in 0..SOCKETS {
            let (mut ours, theirs) = UnixStream::pair().unwrap();
            poll.registry()
                .register(&mut ours, Token(i), Interest::READABLE)
                .unwrap();
            pairs.push((ours, theirs));
        }

        // Everything ready at once, far more than fits in one poll: every
        // token comes out, a few at a time.
        for (_, theirs) in &pairs {
            (&*theirs).write_all(b"x").unwrap();
        }
        let mut delivered = [0usize; SOCKETS];
        let deadline = Instant::now() + DEADLINE;
        while delivered.contains(&0) {
            assert!(
                Instant::now() < deadline,
                "capacity {capacity}: tokens never delivered: {:?}",
                (0..SOCKETS)
                    .filter(|&i| delivered[i] == 0)
                    .collect::<Vec<_>>()
            );
            let got = poll_once(&mut poll, &mut events, Duration::from_millis(100));
            assert!(
                got.len() <= capacity,
                "{} events in a buffer of {capacity}",
                got.len()
            );
            for e in got {
                assert!(e.token.0 < SOCKETS, "unknown token {e:?}");
                delivered[e.token.0] += 1;
                drain(&pairs[e.token.0].0);
            }
        }
        // Every byte was consumed through an event; nothing is left over.
        for (i, (ours, _)) in pairs.iter().enumerate() {
            assert_eq!(
                drain(ours),
                0,
                "capacity {capacity}: data left in socket {i}"
            );
        }

        // A sustained flood: each socket is refilled as soon as its event
        // has been handled, so all of them stay ready all the time. Every
        // one must still get its turn: nothing starves behind the others.
        let mut turns = [0usize; SOCKETS];
        let polls = 8 * SOCKETS / capacity + 16;
        for (_, theirs) in &pairs {
            (&*theirs).write_all(b"y").unwrap();
        }
        for _ in 0..polls {
            let got = poll_once(&mut poll, &mut events, Duration::from_millis(100));
            assert!(got.len() <= capacity);
            for e in got {
                turns[e.token.0] += 1;
                drain(&pairs[e.token.0].0);
                (&pairs[e.token.0].1).write_all(b"y").unwrap();
            }
        }
        let starved: Vec<usize> = (0..SOCKETS).filter(|&i| turns[i] == 0).collect();
        assert!(
            starved.is_empty(),
            "capacity {capacity}: sockets {starved:?} (of {SOCKETS}, all kept ready) got no \
             event in {polls} polls; turns per socket: {turns:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// Waker spam from many threads while registrations change
// ---------------------------------------------------------------------------

const RUN: u8 = 0;
const PAUSE: u8 = 1;
const EXIT: u8 = 2;

/// A small deterministic generator for the churn.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// One socket of the churn and what the test knows about it.
struct Churned {
    ours: UnixStream,
    theirs: UnixStream,
    /// Current registration: token and whether it includes READABLE.
    registered: Option<(Token, bool)>,
    /// Bytes written to it that no event has led us to read yet, and the
    /// iteration since when the socket has been registered for reading with
    /// such bytes waiting.
    unread: bool,
    waiting_since: Option<usize>,
}

/// Handles an event for a churned socket: it must belong to a current
/// registration (tokens are never reused); a socket registered for reading
/// is drained.
fn handle_churn_event(sockets: &mut [Churned], e: &Seen) {
    let s = sockets
        .iter_mut()
        .find(|s| matches!(s.registered, Some((t, _)) if t == e.token))
        .unwrap_or_else(|| panic!("event for a token no registered socket has: {e:?}"));
    let reading = matches!(s.registered, Some((_, true)));
    if e.readable || e.read_closed {
        assert!(
            reading,
            "readable event for a socket registered without READABLE: {e:?}"
        );
    }
    if reading {
        drain(&s.ours);
        s.unread = false;
        s.waiting_since = None;
    }
}

#[test]
fn waker_spam_while_registrations_change() {
    const WAKER: Token = Token(usize::MAX - 1);
    const THREADS: usize = 4;
    const SOCKETS: usize = 32;
    const ITERATIONS: usize = 3_000;
    /// Polls a socket registered for reading, with data waiting, may go
    /// without its event before the test calls it lost. Each poll returns
    /// promptly (the waker is always busy), so this is generous.
    const PATIENCE: usize = 200;

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
    let mode = Arc::new(AtomicU8::new(RUN));
    let paused = Arc::new(AtomicU64::new(0));
    let wakes = Arc::new(AtomicU64::new(0));
    let spammers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (waker, mode, paused, wakes) = (
                Arc::clone(&waker),
                Arc::clone(&mode),
                Arc::clone(&paused),
                Arc::clone(&wakes),
            );
            thread::spawn(move || loop {
                match mode.load(Ordering::SeqCst) {
                    RUN => {
                        waker.wake().expect("wake");
                        wakes.fetch_add(1, Ordering::Relaxed);
                    }
                    PAUSE => {
                        paused.fetch_add(1, Ordering::SeqCst);
                        while mode.load(Ordering::SeqCst) == PAUSE {
                            thread::yield_now();
                        }
                        paused.fetch_sub(1, Ordering::SeqCst);
                    }
                    _ => {
                        // A last wake after the main thread stopped polling.
                        waker.wake().expect("wake");
                        wakes.fetch_add(1, Ordering::Relaxed);
                        return;
                    }
                }
            })
        })
        .collect();
    // Stops the spammers even if the test fails half-way.
    struct Stop(Arc<AtomicU8>);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(EXIT, Ordering::SeqCst);
        }
    }
    let stop = Stop(Arc::clone(&mode));

    let mut sockets: Vec<Churned> = (0..SOCKETS)
        .map(|_| {
            let (ours, theirs) = UnixStream::pair().unwrap();
            Churned {
                ours,
                theirs,
                registered: None,
                unread: false,
                waiting_since: None,
            }
        })
        .collect();
    // Every registration gets a token never used before, so an event for a
    // stale registration cannot pass for a current one.
    let mut next_token = 0usize;
    let mut rng = Lcg(0x5eed);
    let mut waker_events = 0u64;
    let mut checkpoints = 0;

    for iteration in 0..ITERATIONS {
        // A few random changes.
        for _ in 0..3 {
            let i = rng.below(SOCKETS);
            let s = &mut sockets[i];
            match (s.registered, rng.below(4)) {
                (None, _) | (Some(_), 0) => {
                    let readable = rng.below(4) != 0;
                    let interest = if readable {
                        if rng.below(2) == 0 {
                            Interest::READABLE
                        } else {
                            Interest::READABLE | Interest::WRITABLE
                        }
                    } else {
                        Interest::WRITABLE
                    };
                    let token = Token(next_token);
                    next_token += 1;
                    if s.registered.is_none() {
                        poll.registry().register(&mut s.ours, token, interest)
                    } else {
                        poll.registry().reregister(&mut s.ours, token, interest)
                    }
                    .unwrap_or_else(|e| panic!("(re)register socket {i}: {e}"));
                    s.registered = Some((token, readable));
                }
                (Some(_), 1) => {
                    poll.registry().deregister(&mut s.ours).unwrap();
                    s.registered = None;
                }
                _ => {
                    (&s.theirs).write_all(b"z").unwrap();
                    s.unread = true;
                }
            }
            let s = &mut sockets[i];
            let listening = matches!(s.registered, Some((_, true)));
            if !(listening && s.unread) {
                s.waiting_since = None;
            } else if s.waiting_since.is_none() {
                s.waiting_since = Some(iteration);
            }
        }

        for e in poll_once(&mut poll, &mut events, Duration::from_millis(100)) {
            if e.token == WAKER {
                waker_events += 1;
            } else {
                handle_churn_event(&mut sockets, &e);
            }
        }
        for (i, s) in sockets.iter().enumerate() {
            if let Some(since) = s.waiting_since {
                assert!(
                    iteration - since < PATIENCE,
                    "socket {i} registered as {:?} for reading has had unread data for \
                     {PATIENCE} polls without an event",
                    s.registered
                );
            }
        }

        // Now and then, a quiet moment: spammers paused, no wake pending,
        // then exactly one wake from another thread must be seen.
        if iteration % 500 == 499 {
            checkpoints += 1;
            mode.store(PAUSE, Ordering::SeqCst);
            let deadline = Instant::now() + DEADLINE;
            while paused.load(Ordering::SeqCst) != THREADS as u64 {
                assert!(Instant::now() < deadline, "spammers did not pause");
                thread::yield_now();
            }
            // Drain what the spam left (the churned sockets may report too).
            let mut quiet_polls = 0;
            while quiet_polls < 2 {
                assert!(
                    Instant::now() < deadline,
                    "wake events kept coming while paused"
                );
                let got = poll_once(&mut poll, &mut events, Duration::ZERO);
                if got.iter().any(|e| e.token == WAKER) {
                    quiet_polls = 0;
                } else {
                    quiet_polls += 1;
                }
                for e in got.iter().filter(|e| e.token != WAKER) {
                    handle_churn_event(&mut sockets, e);
                }
            }
            let single = Arc::clone(&waker);
            thread::spawn(move || single.wake().unwrap())
                .join()
                .unwrap();
            let mut woken = false;
            while !woken {
                assert!(Instant::now() < deadline, "a single wake was lost");
                for e in poll_once(&mut poll, &mut events, Duration::from_millis(100)) {
                    if e.token == WAKER {
                        woken = true;
                        waker_events += 1;
                    } else {
                        handle_churn_event(&mut sockets, &e);
                    }
                }
            }
            mode.store(RUN, Ordering::SeqCst);
        }
    }

    // Stop: every spammer wakes once more after the last poll, so the next
    // poll must report the waker.
    drop(stop);
    for spammer in spammers {
        spammer.join().unwrap();
    }
    wait_for(
        &mut poll,
        &mut events,
        WAKER,
        "the spammers' last wakes",
        |_| true,
    );
    assert!(checkpoints >= ITERATIONS / 500);
    assert!(waker_events > 0);
    for s in &mut sockets {
        if s.registered.is_some() {
            poll.registry().deregister(&mut s.ours).unwrap();
        }
    }
    eprintln!(
        "{} wakes from {THREADS} threads, {waker_events} waker events, {next_token} \
         registrations over {ITERATIONS} iterations",
        wakes.load(Ordering::Relaxed)
    );
}
