//! What `poll` reports: edge-triggered readiness, closed and error
//! conditions, the `Events` buffer and its capacity, and the value types
//! `Event`, `Interest` and `Token`.

#![cfg(feature = "os-poll")]
// WASI preview 1 leaves out the tests that need a `Waker`.
#![cfg_attr(all(target_os = "wasi", target_env = "p1"), allow(unused_imports))]

mod util;

use std::io::ErrorKind;
use std::time::Duration;

#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
use mio::Waker;
use mio::{Events, Interest, Poll, Token};

// Not on WASI preview 1: it has no `Waker`.
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
#[test]
fn zero_capacity_events_is_invalid_input() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(0);
    assert_eq!(events.capacity(), 0);
    assert!(events.is_empty());
    // Even with a source ready, a zero-capacity buffer is refused.
    let waker = Waker::new(poll.registry(), Token(0)).unwrap();
    waker.wake().unwrap();
    for timeout in [Some(Duration::ZERO), Some(Duration::from_millis(1)), None] {
        let err = poll.poll(&mut events, timeout).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "timeout {:?}", timeout);
        assert!(events.is_empty());
    }
    // The readiness was not consumed by the refused calls.
    let mut events = Events::with_capacity(1);
    util::poll_retry(&mut poll, &mut events, Some(util::WAIT)).unwrap();
    assert_eq!(
        events.iter().map(|e| e.token()).collect::<Vec<_>>(),
        vec![Token(0)]
    );
}

// Not on WASI preview 1: it has no `Waker`.
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
#[test]
fn events_buffer_api() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    assert_eq!(events.capacity(), 16);
    assert!(events.is_empty());
    assert_eq!(events.iter().count(), 0);
    assert_eq!(events.iter().next().map(|e| e.token()), None);
    assert_eq!(format!("{:?}", events), "[]");

    let waker = Waker::new(poll.registry(), Token(5)).unwrap();
    waker.wake().unwrap();
    util::poll_retry(&mut poll, &mut events, Some(util::WAIT)).unwrap();
    assert!(!events.is_empty());
    assert_eq!(events.capacity(), 16, "polling changed the capacity");

    // `iter`, `&Events: IntoIterator`, `size_hint` and `count` agree.
    let via_iter: Vec<Token> = events.iter().map(|e| e.token()).collect();
    let mut via_into = Vec::new();
    for event in &events {
        via_into.push(event.token());
    }
    assert_eq!(via_iter, vec![Token(5)]);
    assert_eq!(via_into, via_iter);
    assert_eq!(events.iter().size_hint(), (1, Some(1)));
    assert_eq!(events.iter().count(), 1);

    // A cloned iterator is independent of the original.
    let mut iter = events.iter();
    let clone = iter.clone();
    assert_eq!(iter.next().map(|e| e.token()), Some(Token(5)));
    assert!(iter.next().is_none());
    assert_eq!(clone.map(|e| e.token()).collect::<Vec<_>>(), vec![Token(5)]);
    assert!(format!("{:?}", events.iter()).contains("Iter"));

    // Debug of the buffer lists the events.
    let listed = format!("{:?}", events);
    assert!(
        listed.starts_with('[') && listed.contains("Token(5)"),
        "{}",
        listed
    );

    events.clear();
    assert!(events.is_empty());
    assert_eq!(events.iter().count(), 0);
    assert_eq!(events.capacity(), 16, "clear changed the capacity");

    // A poll that times out leaves the buffer empty, even if it held events.
    waker.wake().unwrap();
    util::poll_retry(&mut poll, &mut events, Some(util::WAIT)).unwrap();
    assert!(!events.is_empty());
    util::poll_retry(&mut poll, &mut events, Some(util::QUIET)).unwrap();
    assert!(
        events.is_empty(),
        "stale events left in the buffer: {:?}",
        events
    );
}

// Not on WASI preview 1: it has no `Waker`.
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
#[test]
fn event_debug_output() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let waker = Waker::new(poll.registry(), Token(77)).unwrap();
    waker.wake().unwrap();
    util::poll_retry(&mut poll, &mut events, Some(util::WAIT)).unwrap();
    let event = events.iter().next().expect("a waker event");
    assert_eq!(event.token(), Token(77));
    assert!(event.is_readable());
    assert!(!event.is_writable() && !event.is_error());
    assert!(!event.is_read_closed() && !event.is_write_closed());
    assert!(!event.is_priority() && !event.is_aio() && !event.is_lio());

    let plain = format!("{:?}", event);
    assert!(plain.starts_with("Event {"), "{}", plain);
    for field in [
        "token: Token(77)",
        "readable: true",
        "writable: false",
        "error: false",
        "read_closed: false",
        "write_closed: false",
        "priority: false",
        "aio: false",
        "lio: false",
    ] {
        assert!(plain.contains(field), "{:?} lacks {:?}", plain, field);
    }
    assert!(!plain.contains('\n'), "plain Debug is one line: {}", plain);

    let pretty = format!("{:#?}", event);
    assert!(pretty.contains('\n'), "{}", pretty);
    assert!(
        pretty.contains("Token(") && pretty.contains("77"),
        "{}",
        pretty
    );
    assert!(pretty.contains("readable: true"), "{}", pretty);
    // The alternate form adds the raw OS event on top of the plain fields.
    assert!(pretty.len() > plain.len());
    if util::backend::BACKEND == util::backend::Backend::Epoll {
        assert!(pretty.contains("EPOLLIN"), "raw flags missing: {}", pretty);
    }
    // kqueue shows the filter by name; a wake is the user filter.
    if util::backend::KQUEUE {
        assert!(
            pretty.contains("EVFILT_USER"),
            "raw filter missing: {}",
            pretty
        );
    }
    // The poll(2) backend shows poll(2)'s flags.
    #[cfg(mio_unsupported_force_poll_poll)]
    assert!(pretty.contains("POLLIN"), "raw flags missing: {}", pretty);
    // On Windows, events carry AFD poll flags; a wake is "receive".
    #[cfg(windows)]
    assert!(
        pretty.contains("AFD_POLL_RECEIVE"),
        "raw flags missing: {}",
        pretty
    );

    // An event can be cloned and outlives nothing it borrowed.
    let copy = event.clone();
    assert_eq!(copy.token(), Token(77));
    assert_eq!(format!("{:?}", copy), plain);
}

#[test]
fn interest_operations() {
    let r = Interest::READABLE;
    let w = Interest::WRITABLE;
    assert!(r.is_readable() && !r.is_writable());
    assert!(w.is_writable() && !w.is_readable());
    assert!(!r.is_aio() && !r.is_lio() && !r.is_priority());

    let both = r | w;
    assert!(both.is_readable() && both.is_writable());
    assert_eq!(both, r.add(w));
    assert_eq!(both, w | r);
    assert_eq!(r | r, r);
    let mut acc = r;
    acc |= w;
    assert_eq!(acc, both);

    assert_eq!(both.remove(w), Some(r));
    assert_eq!(both.remove(r), Some(w));
    assert_eq!(r.remove(r), None);
    assert_eq!(r.remove(w), Some(r));
    assert_eq!(both.remove(both), None);

    assert_eq!(format!("{:?}", r), "READABLE");
    assert_eq!(format!("{:?}", w), "WRITABLE");
    assert_eq!(format!("{:?}", both), "READABLE | WRITABLE");
    assert_eq!(format!("{:?}", w | r), "READABLE | WRITABLE");

    const BOTH: Interest = Interest::READABLE.add(Interest::WRITABLE);
    assert_eq!(BOTH, both);

    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let p = Interest::PRIORITY;
        assert!(p.is_priority() && !p.is_readable());
        assert_eq!(format!("{:?}", r | p), "READABLE | PRIORITY");
        assert_eq!(format!("{:?}", r | w | p), "READABLE | WRITABLE | PRIORITY");
        assert_eq!((r | p).remove(r), Some(p));
    }

    // Copy, Eq, Ord and Hash-free use in collections.
    let mut sorted = [both, w, r];
    sorted.sort();
    assert_eq!(sorted[0], r);
    assert_ne!(r, w);
}

#[test]
fn token_conversions() {
    let token = Token(12);
    assert_eq!(usize::from(token), 12);
    let back: usize = Token(usize::MAX).into();
    assert_eq!(back, usize::MAX);
    assert_eq!(Token(3).0, 3);
    assert!(Token(1) < Token(2));
    assert_eq!(Token(4), Token(4));
    assert_eq!(format!("{:?}", Token(9)), "Token(9)");
    let mut set = std::collections::HashSet::new();
    assert!(set.insert(Token(1)));
    assert!(!set.insert(Token(1)));
    let copy = token;
    assert_eq!(copy, token);
}

// Pipes and `SourceFd` are Unix's; on Windows the TCP tests cover edge
// triggering (tests/tcp.rs) and closed connections (tests/tcp_stream.rs).
#[cfg(all(unix, feature = "os-ext"))]
mod edge_triggered {
    use std::collections::HashMap;
    use std::io::{Read, Write};
    use std::time::Instant;

    use mio::unix::pipe::{Receiver, Sender};
    use mio::{Events, Interest, Poll, Token};

    use super::util::{
        drain, expect_event, expect_no_events, expect_token, fill, new_pipe, poll_once, ready_pipe,
        Drained, QUIET, WAIT,
    };

    const PIPE: Token = Token(3);

    #[test]
    fn readiness_is_reported_once_per_edge() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (mut sender, mut receiver) = new_pipe();
        poll.registry()
            .register(&mut receiver, PIPE, Interest::READABLE)
            .unwrap();
        expect_no_events(&mut poll, &mut events, "empty pipe");

        sender.write_all(&[1u8; 64]).unwrap();
        let seen = expect_token(&mut poll, &mut events, PIPE);
        assert!(seen.readable && !seen.read_closed);
        // Not read at all: no second event for the same readiness.
        expect_no_events(&mut poll, &mut events, "data left unread");

        // Read part of it, not to WouldBlock: still no new event.
        let mut buf = [0u8; 16];
        assert_eq!(receiver.read(&mut buf).unwrap(), 16);
        expect_no_events(&mut poll, &mut events, "after a partial read");

        // New data is a new edge on epoll, which reports every wake-up of
        // the file. Epoll only: the poll(2) backend cannot tell new data from
        // the unread rest without polling for it, and so reporting the rest
        // on every poll; it re-arms on `WouldBlock`, which is all mio
        // promises (below).
        sender.write_all(&[2u8; 8]).unwrap();
        #[cfg(not(mio_unsupported_force_poll_poll))]
        {
            let seen = expect_token(&mut poll, &mut events, PIPE);
            assert!(seen.readable);
        }
        expect_no_events(&mut poll, &mut events, "after the second event");

        // Drain to WouldBlock; nothing is reported until more data arrives.
        assert_eq!(drain(&receiver), Drained::WouldBlock(48 + 8));
        expect_no_events(&mut poll, &mut events, "drained pipe");
        sender.write_all(b"again").unwrap();
        let seen = expect_token(&mut poll, &mut events, PIPE);
        assert!(seen.readable);
    }

    #[test]
    fn reregister_rearms_an_already_ready_source() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (_sender, mut receiver) = ready_pipe(b"unread");
        poll.registry()
            .register(&mut receiver, PIPE, Interest::READABLE)
            .unwrap();
        // Registering an fd that is already ready reports it.
        expect_token(&mut poll, &mut events, PIPE);
        expect_no_events(&mut poll, &mut events, "consumed edge");

        for round in 0..3 {
            let token = Token(10 + round);
            poll.registry()
                .reregister(&mut receiver, token, Interest::READABLE)
                .unwrap();
            let seen = expect_token(&mut poll, &mut events, token);
            assert!(seen.readable, "round {}", round);
            expect_no_events(&mut poll, &mut events, "after the re-armed event");
        }
        // Once drained, a reregister has nothing to report.
        assert_eq!(drain(&receiver), Drained::WouldBlock(6));
        poll.registry()
            .reregister(&mut receiver, PIPE, Interest::READABLE)
            .unwrap();
        expect_no_events(&mut poll, &mut events, "reregister of a drained pipe");
    }

    #[test]
    fn writable_edges_on_a_pipe() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (mut sender, receiver) = new_pipe();
        poll.registry()
            .register(&mut sender, PIPE, Interest::WRITABLE)
            .unwrap();
        let seen = expect_event(&mut poll, &mut events, PIPE, "writable", |s| s.writable);
        assert!(!seen.readable && !seen.write_closed && !seen.error);
        expect_no_events(&mut poll, &mut events, "still writable, no new edge");

        assert!(fill(&sender) > 0);
        expect_no_events(&mut poll, &mut events, "full pipe");
        // Making room is a new edge.
        assert!(matches!(drain(&receiver), Drained::WouldBlock(n) if n > 0));
        let seen = expect_event(&mut poll, &mut events, PIPE, "writable again", |s| {
            s.writable
        });
        assert!(!seen.write_closed);
    }

    #[test]
    fn more_ready_sources_than_capacity() {
        const SOURCES: usize = 10;
        const CAPACITY: usize = 4;
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(CAPACITY);
        assert_eq!(events.capacity(), CAPACITY);
        let mut pipes: Vec<(Sender, Receiver)> = Vec::new();
        for i in 0..SOURCES {
            let (sender, mut receiver) = ready_pipe(b"r");
            poll.registry()
                .register(&mut receiver, Token(i), Interest::READABLE)
                .unwrap();
            pipes.push((sender, receiver));
        }

        // Every source is ready before the first poll, so it is filled to
        // the brim; the rest come in later calls.
        let first = poll_once(&mut poll, &mut events, Some(WAIT));
        assert_eq!(first.len(), CAPACITY, "first poll: {:?}", first);

        let mut counts: HashMap<Token, usize> = HashMap::new();
        for seen in &first {
            *counts.entry(seen.token).or_default() += 1;
        }
        let deadline = Instant::now() + WAIT;
        while counts.len() < SOURCES && Instant::now() < deadline {
            let got = poll_once(&mut poll, &mut events, Some(QUIET));
            assert!(
                got.len() <= CAPACITY,
                "poll returned more than the capacity"
            );
            for seen in got {
                assert!(seen.readable);
                *counts.entry(seen.token).or_default() += 1;
            }
        }
        // Every token exactly once overall, and then silence.
        expect_no_events(&mut poll, &mut events, "after all sources were reported");
        for i in 0..SOURCES {
            assert_eq!(
                counts.get(&Token(i)),
                Some(&1),
                "token {} in {:?}",
                i,
                counts
            );
        }
        assert_eq!(counts.len(), SOURCES);
    }

    #[test]
    fn capacity_one_reports_sources_one_by_one() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(1);
        let mut pipes = Vec::new();
        for i in 0..3 {
            let (sender, mut receiver) = ready_pipe(b"1");
            poll.registry()
                .register(&mut receiver, Token(i), Interest::READABLE)
                .unwrap();
            pipes.push((sender, receiver));
        }
        let mut tokens = Vec::new();
        for _ in 0..3 {
            let got = poll_once(&mut poll, &mut events, Some(WAIT));
            assert_eq!(got.len(), 1, "{:?}", got);
            tokens.push(got[0].token.0);
        }
        tokens.sort_unstable();
        assert_eq!(tokens, vec![0, 1, 2]);
        expect_no_events(&mut poll, &mut events, "all reported");
    }
}

#[cfg(all(unix, feature = "os-ext"))]
mod closed {
    use std::io::{ErrorKind, Write};
    use std::net::Shutdown;
    use std::os::unix::io::AsRawFd;

    use mio::unix::SourceFd;
    use mio::{Events, Interest, Poll, Token};

    use super::util::{
        drain, expect_event, expect_no_events, expect_token, fill, new_pipe, ready_pipe,
        socket_pair, Drained,
    };

    const T: Token = Token(21);

    #[test]
    fn receiver_sees_sender_dropped_after_data() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (sender, mut receiver) = ready_pipe(b"last words");
        drop(sender);
        poll.registry()
            .register(&mut receiver, T, Interest::READABLE)
            .unwrap();
        let seen = expect_token(&mut poll, &mut events, T);
        assert!(seen.readable, "data is still there: {:?}", seen);
        assert!(seen.read_closed, "the write end is gone: {:?}", seen);
        assert!(!seen.error);
        // Everything that was written can be read, then end-of-file.
        assert_eq!(drain(&receiver), Drained::Eof(10));
    }

    #[test]
    fn receiver_sees_sender_dropped_while_registered() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (sender, mut receiver) = new_pipe();
        poll.registry()
            .register(&mut receiver, T, Interest::READABLE)
            .unwrap();
        expect_no_events(&mut poll, &mut events, "open, empty pipe");
        drop(sender);
        // With nothing buffered, epoll reports a hang-up; mio maps that to
        // read-closed. (`is_readable` follows EPOLLIN, which a pipe does not
        // set for a bare hang-up, so it is not asserted either way.)
        let seen = expect_event(&mut poll, &mut events, T, "read closed", |s| s.read_closed);
        assert!(!seen.writable && !seen.error, "{:?}", seen);
        assert_eq!(drain(&receiver), Drained::Eof(0));
        expect_no_events(&mut poll, &mut events, "after the hang-up was reported");
    }

    #[test]
    fn receiver_with_data_sees_sender_dropped_while_registered() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (mut sender, mut receiver) = new_pipe();
        poll.registry()
            .register(&mut receiver, T, Interest::READABLE)
            .unwrap();
        sender.write_all(b"abc").unwrap();
        let seen = expect_token(&mut poll, &mut events, T);
        assert!(seen.readable && !seen.read_closed);
        drop(sender);
        let seen = expect_event(&mut poll, &mut events, T, "read closed", |s| s.read_closed);
        assert!(seen.readable, "data still buffered: {:?}", seen);
        assert_eq!(drain(&receiver), Drained::Eof(3));
    }

    #[test]
    fn sender_sees_receiver_dropped() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (mut sender, receiver) = new_pipe();
        poll.registry()
            .register(&mut sender, T, Interest::WRITABLE)
            .unwrap();
        let seen = expect_event(&mut poll, &mut events, T, "writable", |s| s.writable);
        assert!(!seen.write_closed && !seen.error);

        drop(receiver);
        // epoll: EPOLLOUT | EPOLLERR on the write end of a pipe with no reader.
        let seen = expect_event(&mut poll, &mut events, T, "write closed", |s| {
            s.write_closed
        });
        assert!(seen.error, "EPOLLERR expected: {:?}", seen);
        assert!(!seen.readable && !seen.read_closed, "{:?}", seen);
        let err = (&sender).write(b"x").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    }

    #[test]
    fn full_sender_sees_receiver_dropped() {
        // With the pipe full the kernel reports EPOLLERR alone, without
        // EPOLLOUT; that still counts as write-closed.
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (mut sender, receiver) = new_pipe();
        poll.registry()
            .register(&mut sender, T, Interest::WRITABLE)
            .unwrap();
        expect_event(&mut poll, &mut events, T, "writable", |s| s.writable);
        assert!(fill(&sender) > 0);
        expect_no_events(&mut poll, &mut events, "full pipe");

        drop(receiver);
        let seen = expect_event(&mut poll, &mut events, T, "error", |s| s.error);
        assert!(seen.write_closed, "{:?}", seen);
        assert!(!seen.readable && !seen.read_closed, "{:?}", seen);
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot ioctl(FIONBIO) a socketpair")]
    fn socket_peer_shutdown_write_is_read_closed() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (local, peer) = socket_pair();
        let fd = local.as_raw_fd();
        poll.registry()
            .register(&mut SourceFd(&fd), T, Interest::READABLE)
            .unwrap();
        expect_no_events(&mut poll, &mut events, "idle socket");

        peer.shutdown(Shutdown::Write).unwrap();
        let seen = expect_event(&mut poll, &mut events, T, "read closed", |s| s.read_closed);
        assert!(seen.readable, "{:?}", seen);
        assert!(
            !seen.write_closed,
            "only the peer's write side is shut: {:?}",
            seen
        );
        assert!(!seen.error);
        assert_eq!(drain(&local), Drained::Eof(0));
        // Our write side is still open towards the peer.
        (&local).write_all(b"still open").unwrap();
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot ioctl(FIONBIO) a socketpair")]
    fn socket_peer_dropped_is_read_and_write_closed() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (local, peer) = socket_pair();
        let fd = local.as_raw_fd();
        poll.registry()
            .register(
                &mut SourceFd(&fd),
                T,
                Interest::READABLE | Interest::WRITABLE,
            )
            .unwrap();
        let seen = expect_event(&mut poll, &mut events, T, "writable", |s| s.writable);
        assert!(!seen.read_closed && !seen.write_closed);

        drop(peer);
        let seen = expect_event(&mut poll, &mut events, T, "closed", |s| {
            s.read_closed && s.write_closed
        });
        assert!(seen.readable, "{:?}", seen);
        assert_eq!(drain(&local), Drained::Eof(0));
        let err = (&local).write(b"x").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot ioctl(FIONBIO) a socketpair")]
    fn socket_local_shutdown_write_is_write_closed() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (local, _peer) = socket_pair();
        let fd = local.as_raw_fd();
        poll.registry()
            .register(
                &mut SourceFd(&fd),
                T,
                Interest::READABLE | Interest::WRITABLE,
            )
            .unwrap();
        expect_event(&mut poll, &mut events, T, "writable", |s| s.writable);
        local.shutdown(Shutdown::Both).unwrap();
        let seen = expect_event(&mut poll, &mut events, T, "closed", |s| {
            s.read_closed && s.write_closed
        });
        assert!(!seen.error, "{:?}", seen);
    }

    #[test]
    #[cfg_attr(miri, ignore = "Miri cannot ioctl(FIONBIO) a socketpair")]
    fn socket_data_then_peer_shutdown() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (local, peer) = socket_pair();
        let fd = local.as_raw_fd();
        poll.registry()
            .register(&mut SourceFd(&fd), T, Interest::READABLE)
            .unwrap();
        (&peer).write_all(b"bye").unwrap();
        let seen = expect_token(&mut poll, &mut events, T);
        assert!(seen.readable && !seen.read_closed);
        peer.shutdown(Shutdown::Write).unwrap();
        let seen = expect_event(&mut poll, &mut events, T, "read closed", |s| s.read_closed);
        assert!(seen.readable);
        assert_eq!(drain(&local), Drained::Eof(3));
    }

    // kqueue has no priority readiness (mio documents `is_priority` as
    // always false there).
    #[cfg(all(
        any(target_os = "linux", target_os = "android"),
        not(mio_unsupported_force_kqueue)
    ))]
    #[test]
    #[cfg_attr(miri, ignore = "Miri has no TCP listener and no EPOLLPRI")]
    fn priority_data_on_a_tcp_socket() {
        use std::net::{TcpListener, TcpStream};
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let sender = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (receiver, _) = listener.accept().unwrap();
        receiver.set_nonblocking(true).unwrap();
        let fd = receiver.as_raw_fd();
        poll.registry()
            .register(&mut SourceFd(&fd), T, Interest::PRIORITY)
            .unwrap();
        expect_no_events(&mut poll, &mut events, "no urgent data yet");
        // SAFETY: sends one byte from a valid buffer on an open socket.
        let sent =
            unsafe { libc::send(sender.as_raw_fd(), b"!".as_ptr().cast(), 1, libc::MSG_OOB) };
        assert_eq!(
            sent,
            1,
            "send(MSG_OOB): {}",
            std::io::Error::last_os_error()
        );
        let seen = expect_event(&mut poll, &mut events, T, "priority", |s| s.priority);
        assert!(
            seen.readable,
            "priority data counts as readable: {:?}",
            seen
        );
    }
}
