//! The steady state of an event loop on Windows does not allocate:
//! polling, waking, socket I/O that re-arms its AFD poll on `WouldBlock`,
//! and re-registering. (Registering allocates the socket's state once, by
//! design, and deregistering frees it when its cancelled poll comes back;
//! both happen in the set-up here, not in the counted rounds.)
//!
//! The Windows counterpart of `allocations.rs`, which is built on Unix
//! pipes and `SourceFd`. Same counting allocator: it counts only on a thread
//! that switched counting on. There is one test in this binary.

#![cfg(all(windows, feature = "os-poll", feature = "net"))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Poll, Token, Waker};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static DEALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // Const-initialised and without a destructor: reading it never
    // allocates, which matters inside the allocator.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn counting() -> bool {
    COUNTING.try_with(Cell::get).unwrap_or(false)
}

// SAFETY: forwards every call to the system allocator unchanged.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if counting() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if counting() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if counting() {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if counting() {
            DEALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Counts the allocations and deallocations `f` makes on this thread.
fn count<R>(f: impl FnOnce() -> R) -> (usize, usize, R) {
    let allocs = ALLOCATIONS.load(Ordering::SeqCst);
    let deallocs = DEALLOCATIONS.load(Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    let result = f();
    COUNTING.with(|c| c.set(false));
    (
        ALLOCATIONS.load(Ordering::SeqCst) - allocs,
        DEALLOCATIONS.load(Ordering::SeqCst) - deallocs,
        result,
    )
}

const WAKE: Token = Token(100);
const UDP: Token = Token(200);
const PAIRS: usize = 4;

struct Loop {
    poll: Poll,
    events: Events,
    waker: Waker,
    /// Client and server ends; the servers are registered.
    pairs: Vec<(TcpStream, TcpStream)>,
    udp: UdpSocket,
    udp_peer: UdpSocket,
}

/// What went wrong, without formatting anything (formatting allocates).
type Failure = &'static str;

fn check(condition: bool, failure: Failure) -> Result<(), Failure> {
    if condition {
        Ok(())
    } else {
        Err(failure)
    }
}

fn poll(l: &mut Loop, timeout: Option<Duration>) -> Result<(), Failure> {
    l.poll
        .poll(&mut l.events, timeout)
        .map_err(|_| "poll failed")
}

/// Polls (bounded) until `token` is reported.
fn wait_for(l: &mut Loop, token: Token) -> Result<(), Failure> {
    for _ in 0..1_000 {
        poll(l, Some(Duration::from_millis(10)))?;
        if l.events.iter().any(|e| e.token() == token) {
            return Ok(());
        }
    }
    Err("event did not arrive")
}

/// Reads until WouldBlock (which re-arms the socket) into a stack buffer.
fn drain(mut stream: &TcpStream) -> Result<usize, Failure> {
    let mut buf = [0u8; 256];
    let mut total = 0;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return Err("unexpected end-of-file"),
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(total),
            Err(_) => return Err("read failed"),
        }
    }
}

/// One round of what an event loop does between registrations.
fn round(l: &mut Loop, timeout_polls: bool) -> Result<(), Failure> {
    // Each server gets data, is reported, and is drained to WouldBlock.
    for i in 0..PAIRS {
        (&l.pairs[i].0)
            .write_all(b"ping")
            .map_err(|_| "write failed")?;
    }
    let mut got = [0usize; PAIRS];
    for _ in 0..1_000 {
        if got.iter().all(|&n| n == 4) {
            break;
        }
        poll(l, Some(Duration::from_millis(10)))?;
        for event in &l.events {
            let i = event.token().0 % 10;
            if event.token().0 >= 10 && i < PAIRS && event.is_readable() {
                got[i] += drain(&l.pairs[i].1)?;
            }
        }
    }
    check(got.iter().all(|&n| n == 4), "not every server got its data")?;

    // Reregister each server: writable under another token, then back.
    for i in 0..PAIRS {
        let server = &mut l.pairs[i].1;
        l.poll
            .registry()
            .reregister(server, Token(50 + i), Interest::WRITABLE)
            .map_err(|_| "reregister failed")?;
        wait_for(l, Token(50 + i))?;
        let server = &mut l.pairs[i].1;
        l.poll
            .registry()
            .reregister(server, Token(10 + i), Interest::READABLE)
            .map_err(|_| "reregister back failed")?;
    }

    // A datagram, received until WouldBlock.
    let target = l.udp.local_addr().map_err(|_| "local_addr failed")?;
    l.udp_peer
        .send_to(b"dgram", target)
        .map_err(|_| "send_to failed")?;
    wait_for(l, UDP)?;
    let mut buf = [0u8; 64];
    loop {
        match l.udp.recv_from(&mut buf) {
            Ok((n, _)) => check(n == 5, "datagram size")?,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(_) => return Err("recv_from failed"),
        }
    }

    // The waker, alone and in a burst.
    l.waker.wake().map_err(|_| "wake failed")?;
    wait_for(l, WAKE)?;
    for _ in 0..3 {
        l.waker.wake().map_err(|_| "wake failed")?;
    }
    wait_for(l, WAKE)?;

    // Polls that time out, with no events.
    if timeout_polls {
        poll(l, Some(Duration::from_millis(1)))?;
        check(l.events.is_empty(), "timeout poll returned events")?;
        poll(l, Some(Duration::from_micros(100)))?;
        check(l.events.is_empty(), "timeout poll returned events")?;
    }
    // Whatever a reregister re-reported settles; then a zero-timeout poll
    // finds nothing.
    for _ in 0..3 {
        poll(l, Some(Duration::from_millis(5)))?;
    }
    poll(l, Some(Duration::ZERO))?;
    check(l.events.is_empty(), "zero-timeout poll returned events")?;
    l.events.clear();
    Ok(())
}

#[test]
fn event_loop_does_not_allocate() {
    let poll = Poll::new().unwrap();
    let waker = Waker::new(poll.registry(), WAKE).unwrap();
    let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut pairs = Vec::new();
    for i in 0..PAIRS {
        let client = std::net::TcpStream::connect(addr).unwrap();
        client.set_nonblocking(true).unwrap();
        let (mut server, _) = loop {
            match listener.accept() {
                Ok(accepted) => break accepted,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    std::thread::sleep(Duration::from_millis(1))
                }
                Err(e) => panic!("accept: {e}"),
            }
        };
        poll.registry()
            .register(&mut server, Token(10 + i), Interest::READABLE)
            .unwrap();
        pairs.push((TcpStream::from_std(client), server));
    }
    poll.registry()
        .register(&mut listener, Token(99), Interest::READABLE)
        .unwrap();
    let mut udp = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    poll.registry()
        .register(&mut udp, UDP, Interest::READABLE)
        .unwrap();
    let udp_peer = UdpSocket::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let mut l = Loop {
        poll,
        events: Events::with_capacity(16),
        waker,
        pairs,
        udp,
        udp_peer,
    };

    // Sanity check of the counter itself: it must see an allocation.
    let (allocs, deallocs, boxed) = count(|| Box::new(7u64));
    assert_eq!(
        (allocs, deallocs),
        (1, 0),
        "the counting allocator does not count"
    );
    drop(boxed);

    // Warm-up: anything lazily initialised happens here, uncounted.
    round(&mut l, true).expect("warm-up round");

    let (allocs, deallocs, result) = count(|| {
        for i in 0..300 {
            round(&mut l, i % 50 == 0)?;
        }
        Ok::<(), Failure>(())
    });
    result.expect("event loop round");
    assert_eq!(allocs, 0, "allocations during the event loop");
    assert_eq!(deallocs, 0, "deallocations during the event loop");
}
