//! Values at the edges of the integer types the OS interfaces use, on every
//! backend and CPU width: tokens that need every bit of a `usize` (epoll's
//! `u64`, kqueue's `udata`, event ports' `portev_user`, IOCP's completion
//! key, the poll(2) table), timeouts beyond what a C `int` of milliseconds
//! (24.8 days) or a `u32` of milliseconds (49.7 days) holds, and large
//! `Events` buffers. Run on 32-bit targets too (scripts/cross-run.sh).
//!
//! A huge timeout cannot be waited out in a test. What can be observed is
//! that it neither fails (`EINVAL` from a negative or out-of-range value)
//! nor returns early without events (a value that wrapped to zero or to a
//! few milliseconds): each poll below either has an event ready, or is
//! woken from another thread once it is seen blocked.

#![cfg(all(
    feature = "os-poll",
    feature = "net",
    not(all(target_os = "wasi", target_env = "p1"))
))]

mod util;

use std::io::Write;
use std::time::Duration;

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token, Waker};

use util::{expect_event, poll_retry, WAIT};

/// Tokens that lose bits if squeezed through anything narrower than a
/// `usize`, or through a signed type.
fn edge_tokens() -> Vec<Token> {
    let mut tokens = vec![
        Token(0),
        Token(i32::MAX as usize),
        Token(u32::MAX as usize),
        Token(usize::MAX / 2 + 1), // only the top bit
        Token(usize::MAX - 1),
        Token(usize::MAX),
    ];
    if usize::BITS > 32 {
        tokens.push(Token((u32::MAX as usize).wrapping_add(1)));
    }
    tokens
}

/// Timeouts at and around the limits of the platforms' timeout types.
fn huge_timeouts() -> Vec<Duration> {
    const MS: fn(u64) -> Duration = Duration::from_millis;
    vec![
        MS(i32::MAX as u64),     // the most a C int of milliseconds holds
        MS(i32::MAX as u64 + 1), // one more: negative as a C int
        MS(u32::MAX as u64 - 1), // Windows' INFINITE is u32::MAX
        MS(u32::MAX as u64),
        MS(u32::MAX as u64 + 1),                  // zero as a u32
        Duration::from_secs(i32::MAX as u64 + 1), // beyond a 32-bit time_t
        Duration::from_secs(u64::MAX),
        Duration::MAX,
    ]
}

/// A connected pair of loopback TCP sockets: the mio side, non-blocking, and
/// the std side, blocking.
fn tcp_pair() -> (TcpStream, std::net::TcpStream) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    client.set_nonblocking(true).unwrap();
    (TcpStream::from_std(client), server)
}

#[test]
fn edge_tokens_round_trip_through_socket_readiness() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let mut pairs = Vec::new();
    for token in edge_tokens() {
        let (mut stream, peer) = tcp_pair();
        poll.registry()
            .register(&mut stream, token, Interest::READABLE)
            .unwrap();
        pairs.push((token, stream, peer));
    }
    for (token, _, peer) in &mut pairs {
        peer.write_all(b"x").unwrap();
        let seen = expect_event(&mut poll, &mut events, *token, "readable", |s| s.readable);
        assert_eq!(seen.token, *token);
    }
}

#[cfg(all(unix, feature = "os-ext"))]
#[test]
fn edge_tokens_round_trip_through_a_pipe() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let mut pipes = Vec::new();
    for token in edge_tokens() {
        let (sender, mut receiver) = mio::unix::pipe::new().unwrap();
        poll.registry()
            .register(&mut receiver, token, Interest::READABLE)
            .unwrap();
        pipes.push((token, sender, receiver));
    }
    for (token, sender, _) in &mut pipes {
        sender.write_all(b"x").unwrap();
        expect_event(&mut poll, &mut events, *token, "readable", |s| s.readable);
    }
}

#[test]
fn edge_tokens_round_trip_through_the_waker() {
    for token in edge_tokens() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let waker = Waker::new(poll.registry(), token).unwrap();
        waker.wake().unwrap();
        let seen = expect_event(&mut poll, &mut events, token, "wake", |s| s.readable);
        assert_eq!(seen.token, token);
    }
}

/// A ready source makes even the longest timeout return at once: nothing
/// may fail with `EINVAL` on the way to the kernel.
#[test]
fn huge_timeouts_with_an_event_ready_return_it() {
    const WAKE: Token = Token(7);
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), WAKE).unwrap();
    for timeout in huge_timeouts() {
        waker.wake().unwrap();
        poll_retry(&mut poll, &mut events, Some(timeout))
            .unwrap_or_else(|err| panic!("poll with {timeout:?}: {err}"));
        let tokens: Vec<Token> = events.iter().map(|e| e.token()).collect();
        assert_eq!(tokens, [WAKE], "poll with {timeout:?}");
    }
}

/// With nothing ready, a huge timeout blocks until another thread wakes
/// the poll: it must not come back early and empty, as a timeout that
/// wrapped to zero or to a few milliseconds would.
#[cfg(not(target_os = "wasi"))] // no threads
#[test]
fn huge_timeouts_block_until_woken() {
    use std::sync::{mpsc, Arc};
    use std::thread;
    use util::{current_tid, wait_until_sleeping, Watchdog};

    const WAKE: Token = Token(usize::MAX);
    let _watchdog = Watchdog::new("huge_timeouts_block_until_woken", WAIT * 4);
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Arc::new(Waker::new(poll.registry(), WAKE).unwrap());
    let (go, wait) = mpsc::channel::<Option<util::Tid>>();
    let helper = {
        let waker = Arc::clone(&waker);
        thread::spawn(move || {
            while let Ok(Some(tid)) = wait.recv() {
                // Best effort (Linux): wake only once the poller sleeps.
                wait_until_sleeping(tid);
                waker.wake().unwrap();
            }
        })
    };
    for timeout in huge_timeouts() {
        go.send(Some(current_tid())).unwrap();
        // EINTR (a stopped and continued process) retries, with the same
        // timeout; the helper wakes once, so the retry gets that wake.
        poll_retry(&mut poll, &mut events, Some(timeout))
            .unwrap_or_else(|err| panic!("poll with {timeout:?}: {err}"));
        let tokens: Vec<Token> = events.iter().map(|e| e.token()).collect();
        assert_eq!(
            tokens,
            [WAKE],
            "poll with {timeout:?} returned before it was woken"
        );
    }
    go.send(None).unwrap();
    helper.join().unwrap();
}

/// A buffer far larger than any poll fills: the backend passes the kernel a
/// count it accepts (epoll refuses more than `INT_MAX` bytes' worth) and
/// returns what is ready.
#[test]
fn large_event_buffers_work() {
    const WAKE: Token = Token(1);
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(1 << 20);
    assert!(events.capacity() >= 1 << 20);
    let waker = Waker::new(poll.registry(), WAKE).unwrap();
    waker.wake().unwrap();
    let seen = expect_event(&mut poll, &mut events, WAKE, "wake", |s| s.readable);
    assert_eq!(seen.token, WAKE);
    assert_eq!(events.iter().count(), 1);
}
