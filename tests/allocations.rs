//! The steady state of an event loop does not allocate: registering,
//! re-registering, deregistering, polling, waking and pipe I/O.
//!
//! A counting global allocator counts only on a thread that switched
//! counting on, so the test harness's own threads do not disturb it. There
//! is one test in this binary.

#![cfg(all(unix, feature = "os-ext"))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mio::unix::pipe::{self, Receiver, Sender};
use mio::unix::SourceFd;
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
const SOCKET: Token = Token(200);
const PIPES: usize = 4;

struct Loop {
    poll: Poll,
    events: Events,
    waker: Waker,
    pipes: Vec<(Sender, Receiver)>,
    socket: std::os::unix::net::UnixStream,
    peer: std::os::unix::net::UnixStream,
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

/// `Poll::poll`, repeated on `Interrupted` (a stopped-and-continued or
/// frozen-and-thawed process sees that without any signal handler).
fn poll(l: &mut Loop, timeout: Option<Duration>) -> std::io::Result<()> {
    loop {
        match l.poll.poll(&mut l.events, timeout) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

/// Reads a pipe end until WouldBlock into a stack buffer.
fn drain(receiver: &Receiver) -> Result<usize, Failure> {
    let mut buf = [0u8; 256];
    let mut total = 0;
    loop {
        match (&*receiver).read(&mut buf) {
            Ok(0) => return Err("unexpected end-of-file"),
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(total),
            Err(_) => return Err("read failed"),
        }
    }
}

/// Polls (bounded) until `token` is reported.
fn wait_for(l: &mut Loop, token: Token) -> Result<(), Failure> {
    for _ in 0..1_000 {
        poll(l, Some(Duration::from_millis(10))).map_err(|_| "poll failed")?;
        if l.events.iter().any(|e| e.token() == token) {
            return Ok(());
        }
    }
    Err("event did not arrive")
}

/// One round of everything an event loop does.
fn round(l: &mut Loop, timeout_polls: bool) -> Result<(), Failure> {
    // Register each receiver, make it ready, poll, read to WouldBlock.
    for i in 0..PIPES {
        let (sender, receiver) = &mut l.pipes[i];
        l.poll
            .registry()
            .register(receiver, Token(i), Interest::READABLE)
            .map_err(|_| "register failed")?;
        (&*sender).write_all(b"ping").map_err(|_| "write failed")?;
    }
    let mut seen = [false; PIPES];
    for _ in 0..1_000 {
        if seen.iter().all(|&s| s) {
            break;
        }
        poll(l, Some(Duration::from_millis(10))).map_err(|_| "poll failed")?;
        for event in &l.events {
            let i = event.token().0;
            check(i < PIPES, "unexpected token")?;
            check(event.is_readable(), "event is not readable")?;
            seen[i] = true;
        }
    }
    check(seen.iter().all(|&s| s), "not every pipe was reported")?;
    for (_, receiver) in &l.pipes {
        check(drain(receiver)? == 4, "wrong byte count")?;
    }

    // Reregister: the senders (writable) under new tokens and interests.
    for i in 0..PIPES {
        let (sender, receiver) = &mut l.pipes[i];
        l.poll
            .registry()
            .register(sender, Token(10 + i), Interest::READABLE)
            .map_err(|_| "register sender failed")?;
        l.poll
            .registry()
            .reregister(sender, Token(20 + i), Interest::WRITABLE)
            .map_err(|_| "reregister failed")?;
        l.poll
            .registry()
            .reregister(
                receiver,
                Token(30 + i),
                Interest::READABLE | Interest::WRITABLE,
            )
            .map_err(|_| "reregister receiver failed")?;
        wait_for(l, Token(20 + i))?;
    }

    // A socket through SourceFd.
    let fd = l.socket.as_raw_fd();
    l.poll
        .registry()
        .register(&mut SourceFd(&fd), SOCKET, Interest::READABLE)
        .map_err(|_| "register SourceFd failed")?;
    (&l.peer)
        .write_all(b"sock")
        .map_err(|_| "socket write failed")?;
    wait_for(l, SOCKET)?;
    let mut buf = [0u8; 16];
    check(
        (&l.socket)
            .read(&mut buf)
            .map_err(|_| "socket read failed")?
            == 4,
        "socket bytes",
    )?;
    l.poll
        .registry()
        .reregister(
            &mut SourceFd(&fd),
            SOCKET,
            Interest::READABLE | Interest::WRITABLE,
        )
        .map_err(|_| "reregister SourceFd failed")?;
    wait_for(l, SOCKET)?;
    l.poll
        .registry()
        .deregister(&mut SourceFd(&fd))
        .map_err(|_| "deregister SourceFd failed")?;

    // The waker, alone and in a burst.
    l.waker.wake().map_err(|_| "wake failed")?;
    wait_for(l, WAKE)?;
    for _ in 0..3 {
        l.waker.wake().map_err(|_| "wake failed")?;
    }
    wait_for(l, WAKE)?;

    // Polls that time out, with no events.
    if timeout_polls {
        poll(l, Some(Duration::from_millis(1))).map_err(|_| "poll failed")?;
        check(l.events.is_empty(), "timeout poll returned events")?;
        poll(l, Some(Duration::from_micros(100))).map_err(|_| "poll failed")?;
        check(l.events.is_empty(), "timeout poll returned events")?;
    }
    poll(l, Some(Duration::ZERO)).map_err(|_| "poll failed")?;
    check(l.events.is_empty(), "zero-timeout poll returned events")?;
    l.events.clear();

    // Deregister everything for the next round.
    for (sender, receiver) in &mut l.pipes {
        l.poll
            .registry()
            .deregister(sender)
            .map_err(|_| "deregister sender failed")?;
        l.poll
            .registry()
            .deregister(receiver)
            .map_err(|_| "deregister receiver failed")?;
    }
    Ok(())
}

#[test]
fn event_loop_does_not_allocate() {
    let poll = Poll::new().unwrap();
    let waker = Waker::new(poll.registry(), WAKE).unwrap();
    let pipes = (0..PIPES).map(|_| pipe::new().unwrap()).collect();
    let (socket, peer) = std::os::unix::net::UnixStream::pair().unwrap();
    socket.set_nonblocking(true).unwrap();
    peer.set_nonblocking(true).unwrap();
    let mut l = Loop {
        poll,
        events: Events::with_capacity(16),
        waker,
        pipes,
        socket,
        peer,
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
