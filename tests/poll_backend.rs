//! Behaviour the poll(2) backend (`--cfg mio_unsupported_force_poll_poll`)
//! has to emulate and epoll gets from the kernel: descriptors closed while
//! registered, many descriptors, registration changes and re-arming from
//! other threads while a poll is blocked, and sources that bypass mio's I/O.
//! Every test here holds on every backend.

#![cfg(all(unix, feature = "os-ext"))]

mod util;

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::io::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use mio::unix::pipe::{Receiver, Sender};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};

use util::{
    assert_error, drain, expect_event, expect_no_event_for, expect_no_events, expect_token,
    new_pipe, poll_once, poll_retry, socket_pair, Drained, Watchdog, QUIET, WAIT,
};

const STOP: Token = Token(1_000_000);

/// Moves `fd` to a number far above those in use, so that no other test of
/// this binary can be handed that number while this one closes and reuses
/// it (the kernel gives out the lowest free number).
fn high_fd(fd: OwnedFd, floor: RawFd) -> OwnedFd {
    // SAFETY: duplicates a descriptor we own into a new one we then own.
    let high = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, floor) };
    assert!(
        high >= floor,
        "F_DUPFD: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `high` was just created and is owned by nothing else.
    unsafe { OwnedFd::from_raw_fd(high) }
}

/// CPU time this thread has used, where the OS can say.
fn thread_cpu_time() -> Option<Duration> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: an all-zero rusage is valid; getrusage fills it in.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `usage` is a valid, writable rusage.
        let rc = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) };
        assert_eq!(rc, 0);
        let time = |t: libc::timeval| {
            Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
        };
        Some(time(usage.ru_utime) + time(usage.ru_stime))
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

#[test]
fn descriptor_closed_while_registered_is_dropped_without_spinning() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (local, peer) = socket_pair();
    let local = high_fd(local.into(), 4_000);
    let number = local.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&number), Token(1), Interest::READABLE)
        .unwrap();
    (&peer).write_all(b"x").unwrap();
    expect_token(&mut poll, &mut events, Token(1));

    // Closed, not deregistered, with data unread and the peer still there.
    drop(local);
    let cpu_before = thread_cpu_time();
    let start = Instant::now();
    let timeout = Duration::from_millis(200);
    poll_retry(&mut poll, &mut events, Some(timeout)).unwrap();
    let elapsed = start.elapsed();
    assert!(
        events.is_empty(),
        "events for a closed descriptor: {:?}",
        events
    );
    assert!(elapsed >= timeout, "returned after {:?}", elapsed);
    if let (Some(before), Some(after)) = (cpu_before, thread_cpu_time()) {
        assert!(
            after - before < timeout / 2,
            "poll spun: {:?} of CPU time in a {:?} wait",
            after - before,
            elapsed
        );
    }

    // The number now names another file: registering it is a fresh
    // registration, not `AlreadyExists`, and only it is reported.
    let (other, other_peer) = socket_pair();
    // SAFETY: `number` is closed and far above the numbers in use; dup2
    // makes it a copy of `other`, owned by `reused` from here.
    let reused = unsafe {
        assert_eq!(libc::dup2(other.as_raw_fd(), number), number);
        OwnedFd::from_raw_fd(number)
    };
    poll.registry()
        .register(&mut SourceFd(&number), Token(2), Interest::READABLE)
        .unwrap();
    (&other_peer).write_all(b"y").unwrap();
    let seen = expect_token(&mut poll, &mut events, Token(2));
    assert!(seen.readable);
    poll.registry().deregister(&mut SourceFd(&number)).unwrap();
    drop((reused, other));
}

#[test]
fn dropped_source_is_forgotten_and_its_number_reusable() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (sender, receiver) = new_pipe();
    let receiver_fd = high_fd(receiver.into(), 5_000);
    let number = receiver_fd.as_raw_fd();
    let mut receiver = Receiver::from(receiver_fd);
    poll.registry()
        .register(&mut receiver, Token(1), Interest::READABLE)
        .unwrap();
    (&sender).write_all(b"unread").unwrap();
    drop(receiver);
    expect_no_events(&mut poll, &mut events, "after the receiver was dropped");

    // A new pipe end under the same number registers normally.
    let (new_sender, new_receiver) = new_pipe();
    // SAFETY: as in the test above: `number` is closed and far above the
    // numbers in use.
    let mut new_receiver = unsafe {
        assert_eq!(libc::dup2(new_receiver.as_raw_fd(), number), number);
        Receiver::from(OwnedFd::from_raw_fd(number))
    };
    poll.registry()
        .register(&mut new_receiver, Token(2), Interest::READABLE)
        .unwrap();
    (&new_sender).write_all(b"z").unwrap();
    let seen = expect_token(&mut poll, &mut events, Token(2));
    assert!(seen.readable);
    expect_no_event_for(&mut poll, &mut events, Token(1), "dropped receiver");
}

#[test]
fn many_descriptors_register_report_and_deregister() {
    const PIPES: usize = 300;
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    let mut pipes: Vec<(Sender, Receiver)> = (0..PIPES).map(|_| new_pipe()).collect();
    for (i, (_, receiver)) in pipes.iter_mut().enumerate() {
        poll.registry()
            .register(receiver, Token(i), Interest::READABLE)
            .unwrap();
    }

    let collect = |poll: &mut Poll, events: &mut Events, want: usize| {
        let mut seen = vec![0usize; PIPES];
        let deadline = Instant::now() + WAIT;
        while seen.iter().sum::<usize>() < want && Instant::now() < deadline {
            for s in poll_once(poll, events, Some(QUIET)) {
                assert!(s.readable, "{:?}", s);
                seen[s.token.0] += 1;
            }
        }
        // And nothing more after that.
        for s in poll_once(poll, events, Some(QUIET)) {
            seen[s.token.0] += 1;
        }
        seen
    };

    // Every seventh pipe gets data: exactly those are reported, once each.
    let ready: Vec<usize> = (0..PIPES).filter(|i| i % 7 == 0).collect();
    for &i in &ready {
        (&pipes[i].0).write_all(b"7").unwrap();
    }
    let seen = collect(&mut poll, &mut events, ready.len());
    for (i, &n) in seen.iter().enumerate() {
        assert_eq!(n, usize::from(i % 7 == 0), "pipe {}: {:?}", i, seen);
    }
    for &i in &ready {
        assert_eq!(drain(&pipes[i].1), Drained::WouldBlock(1));
    }

    // Deregister every third one (each a swap-remove inside the poll(2)
    // backend), then make every pipe ready: only the others are reported,
    // each under its own token.
    for (i, (_, receiver)) in pipes.iter_mut().enumerate() {
        if i % 3 == 0 {
            poll.registry().deregister(receiver).unwrap();
        }
    }
    for (sender, _) in &pipes {
        (&*sender).write_all(b"a").unwrap();
    }
    let seen = collect(&mut poll, &mut events, PIPES - (PIPES + 2) / 3);
    for (i, &n) in seen.iter().enumerate() {
        assert_eq!(n, usize::from(i % 3 != 0), "pipe {}: {:?}", i, seen);
    }
    // The remaining registrations still know their descriptors.
    for (i, (_, receiver)) in pipes.iter_mut().enumerate() {
        let again = poll
            .registry()
            .register(receiver, Token(i), Interest::READABLE);
        if i % 3 == 0 {
            again.unwrap();
        } else {
            assert_error(again, ErrorKind::AlreadyExists, None, "still registered");
        }
        poll.registry().deregister(receiver).unwrap();
    }
    expect_no_events(&mut poll, &mut events, "everything deregistered");
}

/// Runs `poll(None)` on another thread until `STOP` is reported, sending
/// every other token it sees back.
fn blocked_poller(mut poll: Poll) -> (mpsc::Receiver<Token>, thread::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel();
    let (tid_tx, tid_rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        tid_tx.send(util::current_tid()).unwrap();
        let mut events = Events::with_capacity(8);
        loop {
            poll_retry(&mut poll, &mut events, None).unwrap();
            for event in events.iter() {
                if event.token() == STOP {
                    return;
                }
                tx.send(event.token()).unwrap();
            }
        }
    });
    // Best effort: let it block first.
    util::wait_until_sleeping(tid_rx.recv().unwrap());
    (rx, handle)
}

fn wait_for_token(tokens: &mpsc::Receiver<Token>, token: Token) {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokens.recv_timeout(left) {
            Ok(t) if t == token => return,
            Ok(_) => {}
            Err(_) => panic!("the blocked poll did not report {:?}", token),
        }
    }
}

#[test]
fn reregister_reaches_a_blocked_poll() {
    let _watchdog = Watchdog::new("reregister_reaches_a_blocked_poll", Duration::from_secs(60));
    let poll = Poll::new().unwrap();
    let registry = poll.registry().try_clone().unwrap();
    let waker = Waker::new(&registry, STOP).unwrap();
    let (mut sender, _receiver) = new_pipe();
    // A sender with READABLE interest never becomes ready.
    registry
        .register(&mut sender, Token(1), Interest::READABLE)
        .unwrap();
    let (tokens, handle) = blocked_poller(poll);
    registry
        .reregister(&mut sender, Token(2), Interest::WRITABLE)
        .unwrap();
    wait_for_token(&tokens, Token(2));
    waker.wake().unwrap();
    handle.join().unwrap();
}

#[test]
fn rearm_by_would_block_reaches_a_blocked_poll() {
    let _watchdog = Watchdog::new(
        "rearm_by_would_block_reaches_a_blocked_poll",
        Duration::from_secs(60),
    );
    let poll = Poll::new().unwrap();
    let registry = poll.registry().try_clone().unwrap();
    let waker = Waker::new(&registry, STOP).unwrap();
    let (sender, mut receiver) = new_pipe();
    registry
        .register(&mut receiver, Token(1), Interest::READABLE)
        .unwrap();
    let (tokens, handle) = blocked_poller(poll);
    for round in 0..20 {
        (&sender).write_all(&[round; 3]).unwrap();
        wait_for_token(&tokens, Token(1));
        // Read to WouldBlock here, while the other thread is (or is about
        // to be) blocked again: the next write must still be reported.
        assert!(matches!(drain(&receiver), Drained::WouldBlock(n) if n >= 3));
        thread::yield_now();
    }
    waker.wake().unwrap();
    handle.join().unwrap();
}

/// Whether the reader of a pipe sees end-of-file within `WAIT`.
fn sees_eof(reader: &File) -> bool {
    let mut reader = reader;
    let deadline = Instant::now() + WAIT;
    let mut buf = [0u8; 16];
    while Instant::now() < deadline {
        match reader.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(5)),
            Err(e) => panic!("read: {}", e),
        }
    }
    false
}

#[test]
fn closing_a_source_during_a_blocked_poll_closes_it_at_once() {
    let _watchdog = Watchdog::new(
        "closing_a_source_during_a_blocked_poll_closes_it_at_once",
        Duration::from_secs(120),
    );
    let poll = Poll::new().unwrap();
    let registry = poll.registry().try_clone().unwrap();
    let waker = Waker::new(&registry, STOP).unwrap();
    // Two writers, one deregistered then dropped, one dropped while still
    // registered. Their readers are plain files, read without mio.
    let (mut deregistered, reader_a) = new_pipe();
    let (mut dropped, reader_b) = new_pipe();
    let reader_a = File::from(OwnedFd::from(reader_a));
    let reader_b = File::from(OwnedFd::from(reader_b));
    registry
        .register(&mut deregistered, Token(1), Interest::WRITABLE)
        .unwrap();
    registry
        .register(&mut dropped, Token(2), Interest::WRITABLE)
        .unwrap();
    let (tokens, handle) = blocked_poller(poll);
    // Let the initial writable events pass, so that the poll blocks again.
    wait_for_token(&tokens, Token(1));
    wait_for_token(&tokens, Token(2));
    thread::sleep(QUIET);

    registry.deregister(&mut deregistered).unwrap();
    drop(deregistered);
    assert!(sees_eof(&reader_a), "the deregistered writer is still open");
    drop(dropped);
    assert!(sees_eof(&reader_b), "the dropped writer is still open");

    waker.wake().unwrap();
    handle.join().unwrap();
}

#[test]
fn timeout_holds_while_other_threads_change_registrations() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let registry = poll.registry().try_clone().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let churn = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            // Never ready: a sender asked for READABLE.
            let (mut sender, _receiver) = new_pipe();
            while !stop.load(Ordering::Relaxed) {
                registry
                    .register(&mut sender, Token(1), Interest::READABLE)
                    .unwrap();
                registry.deregister(&mut sender).unwrap();
                thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let timeout = Duration::from_millis(200);
    let start = Instant::now();
    poll_retry(&mut poll, &mut events, Some(timeout)).unwrap();
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    churn.join().unwrap();
    assert!(events.is_empty(), "{:?}", events);
    assert!(elapsed >= timeout, "returned after {:?}", elapsed);
    assert!(elapsed < WAIT, "took {:?}", elapsed);
}

#[test]
fn source_fd_keeps_reporting_without_mio_doing_its_io() {
    // Tokio's AsyncFd registers through SourceFd and does its own I/O:
    // reading to WouldBlock outside mio must never leave it silent.
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (local, peer) = socket_pair();
    let fd = local.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&fd), Token(3), Interest::READABLE)
        .unwrap();
    for round in 0..5u8 {
        (&peer).write_all(&[round; 10]).unwrap();
        let seen = expect_token(&mut poll, &mut events, Token(3));
        assert!(seen.readable, "round {}", round);
        assert_eq!(drain(&local), Drained::WouldBlock(10));
        expect_no_events(&mut poll, &mut events, "drained socket");
    }
    // Also after a partial read: the rest keeps it readable.
    (&peer).write_all(b"0123456789").unwrap();
    expect_token(&mut poll, &mut events, Token(3));
    let mut four = [0u8; 4];
    (&local).read_exact(&mut four).unwrap();
    (&peer).write_all(b"ab").unwrap();
    expect_token(&mut poll, &mut events, Token(3));
    let mut rest = Vec::new();
    assert_eq!(util::drain_into(&local, &mut rest), Drained::WouldBlock(8));
    assert_eq!(rest, b"456789ab");
    poll.registry().deregister(&mut SourceFd(&fd)).unwrap();
}

#[test]
fn hang_up_does_not_end_the_registration() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (sender, mut receiver) = new_pipe();
    poll.registry()
        .register(&mut receiver, Token(4), Interest::READABLE)
        .unwrap();
    drop(sender);
    expect_event(&mut poll, &mut events, Token(4), "read closed", |s| {
        s.read_closed
    });
    // Reported once, and no busy loop after it.
    expect_no_events(&mut poll, &mut events, "after the hang-up");
    // Still registered: a second register fails, deregister works once.
    assert_error(
        poll.registry()
            .register(&mut receiver, Token(5), Interest::READABLE),
        ErrorKind::AlreadyExists,
        None,
        "register after a hang-up",
    );
    poll.registry().deregister(&mut receiver).unwrap();
    assert_error(
        poll.registry().deregister(&mut receiver),
        ErrorKind::NotFound,
        None,
        "second deregister",
    );
}

#[test]
fn reregister_after_a_hang_up_reports_it_again() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (sender, mut receiver) = new_pipe();
    poll.registry()
        .register(&mut receiver, Token(6), Interest::READABLE)
        .unwrap();
    drop(sender);
    expect_event(&mut poll, &mut events, Token(6), "read closed", |s| {
        s.read_closed
    });
    poll.registry()
        .reregister(&mut receiver, Token(7), Interest::READABLE)
        .unwrap();
    let seen = expect_token(&mut poll, &mut events, Token(7));
    assert!(seen.read_closed, "{:?}", seen);
}

/// A read that hits `WouldBlock` re-arms readable interest only. Re-arming
/// writable too would report an idle (and so always writable) socket on
/// every poll, and a loop that tries a read after each wake-up would spin.
#[cfg(feature = "net")]
#[test]
fn read_would_block_does_not_report_writable_again() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut stream, peer) = mio::net::UnixStream::pair().unwrap();
    poll.registry()
        .register(
            &mut stream,
            Token(1),
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    let first = expect_token(&mut poll, &mut events, Token(1));
    assert!(first.writable, "a fresh stream is writable: {:?}", first);

    for round in 0..5 {
        let err = (&stream).read(&mut [0; 16]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        expect_no_events(
            &mut poll,
            &mut events,
            &format!("round {}: after a read hit WouldBlock", round),
        );
    }

    // A write that would block re-arms writable: once the peer drains, the
    // stream is reported writable again.
    let mut filled = 0;
    loop {
        match (&stream).write(&[7; 4096]) {
            Ok(n) => filled += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("write: {}", e),
        }
    }
    assert!(filled > 0);
    let mut sink = [0; 4096];
    let mut drained = 0;
    while drained < filled {
        drained += (&peer).read(&mut sink).unwrap();
    }
    let again = expect_token(&mut poll, &mut events, Token(1));
    assert!(again.writable, "writable again after draining: {:?}", again);
}
