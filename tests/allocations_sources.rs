//! The event sources beyond mio 1.x allocate nothing in their steady state:
//! arming and reading a timer, delivering and receiving a signal, and
//! `try_send`/`try_recv` on a channel, each through a `poll` loop.
//!
//! A counting global allocator counts only on the thread that switched
//! counting on. The signal is raised on that thread (raise(3) runs the
//! handler there before it returns), so the handler is counted too. There
//! is one test in this binary.
//!
//! On Windows, which has no `Signals`, the timer and the channel are
//! checked. The threadpool callback that posts a timer's packet runs on a
//! pool thread, so it is not counted; the posting code it runs is the one
//! the counted channel sends use.

#![cfg(all(
    any(unix, windows),
    feature = "timer",
    feature = "signal",
    feature = "channel"
))]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::ErrorKind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mio::channel::{channel, Receiver, Sender, TryRecvError};
#[cfg(unix)]
use mio::signal::Signals;
use mio::timer::Timer;
use mio::{Events, Interest, Poll, Token};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static DEALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // Const-initialised, no destructor: reading it never allocates.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn counting() -> bool {
    COUNTING.try_with(Cell::get).unwrap_or(false)
}

// SAFETY: every call goes to the system allocator unchanged; the counters
// are atomics.
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

/// The allocations and deallocations `f` makes on this thread.
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

const TIMER: Token = Token(1);
#[cfg(unix)]
const SIGNALS: Token = Token(2);
const CHANNEL: Token = Token(3);
const BURST: u32 = 50;

struct Loop {
    poll: Poll,
    events: Events,
    timer: Timer,
    #[cfg(unix)]
    signals: Signals,
    sender: Sender<u32>,
    receiver: Receiver<u32>,
}

/// What went wrong, without formatting (formatting allocates).
type Failure = &'static str;

fn check(condition: bool, failure: Failure) -> Result<(), Failure> {
    if condition {
        Ok(())
    } else {
        Err(failure)
    }
}

/// Polls (bounded) until `token` is reported.
fn wait_for(l: &mut Loop, token: Token) -> Result<(), Failure> {
    for _ in 0..1_000 {
        match l.poll.poll(&mut l.events, Some(Duration::from_millis(10))) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return Err("poll failed"),
        }
        if l.events.iter().any(|e| e.token() == token) {
            return Ok(());
        }
    }
    Err("event did not arrive")
}

/// Polls until the timer reports and reads it (skipping spurious events).
fn timer_expirations(l: &mut Loop) -> Result<u64, Failure> {
    for _ in 0..100 {
        wait_for(l, TIMER)?;
        match l.timer.read() {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => return Err("timer read failed"),
        }
    }
    Err("the timer never expired")
}

/// Signal: delivered to this thread, received through the loop.
#[cfg(unix)]
fn signal_round(l: &mut Loop) -> Result<(), Failure> {
    // SAFETY: raise has no memory-safety preconditions; `signals` wants
    // SIGUSR1, so its handler runs (here, before raise returns).
    check(unsafe { libc::raise(libc::SIGUSR1) } == 0, "raise")?;
    wait_for(l, SIGNALS)?;
    check(
        l.signals.receive().map_err(|_| "receive")? == Some(libc::SIGUSR1),
        "signal received",
    )?;
    check(
        l.signals.receive().map_err(|_| "receive")?.is_none(),
        "signal received once",
    )?;
    Ok(())
}

fn round(l: &mut Loop) -> Result<(), Failure> {
    // Timer: a one-shot, then an interval, cancelled.
    l.timer
        .set_timeout(Duration::ZERO)
        .map_err(|_| "set_timeout")?;
    check(timer_expirations(l)? == 1, "one-shot count")?;
    check(
        l.timer.read().map_err(|e| e.kind()) == Err(ErrorKind::WouldBlock),
        "read after read",
    )?;
    l.timer
        .set_interval(Duration::from_micros(500))
        .map_err(|_| "set_interval")?;
    check(timer_expirations(l)? >= 1, "interval count")?;
    l.timer.cancel().map_err(|_| "cancel")?;

    #[cfg(unix)]
    signal_round(l)?;

    // Channel: a burst through the loop, then send/receive in lockstep.
    for i in 0..BURST {
        l.sender.try_send(i).map_err(|_| "try_send")?;
    }
    wait_for(l, CHANNEL)?;
    let mut expected = 0;
    loop {
        match l.receiver.try_recv() {
            Ok(i) => {
                check(i == expected, "order")?;
                expected += 1;
            }
            Err(TryRecvError::Empty) => break,
            Err(TryRecvError::Disconnected) => return Err("disconnected"),
        }
    }
    check(expected == BURST, "burst size")?;
    for i in 0..200 {
        l.sender.try_send(i).map_err(|_| "try_send")?;
        check(l.receiver.try_recv() == Ok(i), "lockstep")?;
        check(
            l.receiver.try_recv() == Err(TryRecvError::Empty),
            "lockstep empty",
        )?;
    }
    // Drain the event the lockstep sends left behind, if any.
    match l.poll.poll(&mut l.events, Some(Duration::ZERO)) {
        Ok(()) | Err(_) => {}
    }
    check(
        l.receiver.try_recv() == Err(TryRecvError::Empty),
        "channel empty",
    )?;
    Ok(())
}

#[test]
fn event_sources_do_not_allocate() {
    let poll = Poll::new().unwrap();
    let mut timer = Timer::new().unwrap();
    #[cfg(unix)]
    let mut signals = Signals::new(&[libc::SIGUSR1]).unwrap();
    let (sender, mut receiver) = channel(BURST as usize).unwrap();
    poll.registry()
        .register(&mut timer, TIMER, Interest::READABLE)
        .unwrap();
    #[cfg(unix)]
    poll.registry()
        .register(&mut signals, SIGNALS, Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut receiver, CHANNEL, Interest::READABLE)
        .unwrap();
    let mut l = Loop {
        poll,
        events: Events::with_capacity(16),
        timer,
        #[cfg(unix)]
        signals,
        sender,
        receiver,
    };

    // The counter counts.
    let (allocs, deallocs, boxed) = count(|| Box::new(7u64));
    assert_eq!((allocs, deallocs), (1, 0), "the allocator does not count");
    drop(boxed);

    // Warm-up, uncounted: anything lazily initialised happens here.
    round(&mut l).expect("warm-up round");

    let (allocs, deallocs, result) = count(|| {
        for _ in 0..100 {
            round(&mut l)?;
        }
        Ok::<(), Failure>(())
    });
    result.expect("round");
    assert_eq!(allocs, 0, "allocations by the event sources");
    assert_eq!(deallocs, 0, "deallocations by the event sources");
}
