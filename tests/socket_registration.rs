//! Registration rules with sockets, on every platform with `net`: double
//! registration, unknown sources, moving between polls, registering from
//! another thread during a blocked poll, many sockets at once, and sockets
//! that outlive their `Poll`. On Windows these exercise the AFD poll
//! requests (their cancellation and re-submission) directly.
// WASI preview 1 cannot create sockets (no `bind`, no `connect`): its
// `from_std`/`accept` path is compile-checked only.
#![cfg(all(
    feature = "os-poll",
    feature = "net",
    not(all(target_os = "wasi", target_env = "p1"))
))]
// Some imports serve only the tests WASI leaves out (threads, ...).
#![cfg_attr(target_os = "wasi", allow(unused_imports))]

mod net_util;

use std::io::{ErrorKind, Read, Write};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use net_util::{
    accept_one, any_local_v4, assert_no_event, connected_pair, poll_retrying, read_available,
    read_exactly, DEADLINE, PAIR_CLIENT, PAIR_SERVER,
};

#[test]
fn registering_twice_is_already_exists() {
    let poll = Poll::new().unwrap();
    let other = Poll::new().unwrap();
    let mut listener = TcpListener::bind(any_local_v4()).unwrap();
    poll.registry()
        .register(&mut listener, Token(1), Interest::READABLE)
        .unwrap();
    let err = poll
        .registry()
        .register(&mut listener, Token(2), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    let err = other
        .registry()
        .register(&mut listener, Token(3), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
}

#[test]
fn unregistered_sources_are_not_found() {
    let poll = Poll::new().unwrap();
    let other = Poll::new().unwrap();
    let mut listener = TcpListener::bind(any_local_v4()).unwrap();
    let err = poll
        .registry()
        .reregister(&mut listener, Token(1), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = poll.registry().deregister(&mut listener).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);

    poll.registry()
        .register(&mut listener, Token(1), Interest::READABLE)
        .unwrap();
    // Registered with `poll`: `other` cannot touch it.
    let err = other.registry().deregister(&mut listener).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    let err = other
        .registry()
        .reregister(&mut listener, Token(1), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);

    poll.registry().deregister(&mut listener).unwrap();
    let err = poll.registry().deregister(&mut listener).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn a_deregistered_socket_can_move_to_another_poll() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut other = Poll::new().unwrap();
    let mut other_events = Events::with_capacity(16);
    let (mut client, server) = connected_pair(&mut poll, &mut events, any_local_v4());

    poll.registry().deregister(&mut client).unwrap();
    // Data that arrives while the socket is registered nowhere.
    (&server).write_all(b"meanwhile").unwrap();
    assert_no_event(&mut poll, &mut events, PAIR_CLIENT, "deregistered");
    other
        .registry()
        .register(&mut client, Token(7), Interest::READABLE)
        .unwrap();
    assert_eq!(
        read_exactly(&mut other, &mut other_events, &client, Token(7), 9),
        b"meanwhile"
    );
    // And back again.
    other.registry().deregister(&mut client).unwrap();
    poll.registry()
        .register(&mut client, PAIR_CLIENT, Interest::READABLE)
        .unwrap();
    (&server).write_all(b"home").unwrap();
    assert_eq!(
        read_exactly(&mut poll, &mut events, &client, PAIR_CLIENT, 4),
        b"home"
    );
    assert_no_event(&mut other, &mut other_events, Token(7), "moved away");
}

#[test]
fn no_stale_event_after_deregister_and_token_reuse() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (client, mut server) = connected_pair(&mut poll, &mut events, any_local_v4());
    // Let the connection's first events pass.
    assert_no_event(&mut poll, &mut events, Token(usize::MAX), "settling");

    // Ready, then deregistered before any poll sees it.
    (&client).write_all(b"stale").unwrap();
    thread::sleep(Duration::from_millis(50));
    poll.registry().deregister(&mut server).unwrap();
    // Another socket takes over the token and is quiet.
    let mut listener = TcpListener::bind(any_local_v4()).unwrap();
    poll.registry()
        .register(&mut listener, PAIR_SERVER, Interest::READABLE)
        .unwrap();
    assert_no_event(&mut poll, &mut events, PAIR_SERVER, "token reused");
    assert_eq!(read_available(&server).data, b"stale");
}

#[test]
fn dropping_registered_sockets_with_pending_readiness_is_clean() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(64);
    for round in 0..20 {
        let (client, server) = connected_pair(&mut poll, &mut events, any_local_v4());
        (&client).write_all(b"unread").unwrap();
        (&server).write_all(b"unread").unwrap();
        if round % 2 == 0 {
            drop(client);
            drop(server);
        } else {
            drop(server);
            drop(client);
        }
        poll_retrying(&mut poll, &mut events, Some(Duration::ZERO));
    }
    // Nothing reports the dropped sockets' tokens now.
    assert_no_event(&mut poll, &mut events, PAIR_SERVER, "after the drops");
    assert_no_event(&mut poll, &mut events, PAIR_CLIENT, "after the drops");
}

// Not on WASI: no threads (spawning one fails with `Unsupported`).
#[cfg(not(target_os = "wasi"))]
#[test]
fn registering_from_another_thread_reaches_a_blocked_poll() {
    let mut poll = Poll::new().unwrap();
    let registry = poll.registry().try_clone().unwrap();
    let (tx, rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        // Give the poll below time to block.
        thread::sleep(Duration::from_millis(100));
        let mut listener = TcpListener::bind(any_local_v4()).unwrap();
        registry
            .register(&mut listener, Token(3), Interest::READABLE)
            .unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        // Both stay alive until the poll has seen the connection.
        rx.recv().unwrap();
        drop((listener, client));
    });
    let mut events = Events::with_capacity(8);
    loop {
        poll_retrying(&mut poll, &mut events, None);
        if events
            .iter()
            .any(|e| e.token() == Token(3) && e.is_readable())
        {
            break;
        }
    }
    tx.send(()).unwrap();
    handle.join().unwrap();
}

#[test]
fn many_sockets_at_once() {
    // More sockets than one AFD handle serves on Windows (32).
    const PAIRS: usize = 50;
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(256);
    let mut listener = TcpListener::bind(any_local_v4()).unwrap();
    poll.registry()
        .register(&mut listener, Token(0), Interest::READABLE)
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let mut pairs = Vec::new();
    for i in 0..PAIRS {
        let client = std::net::TcpStream::connect(addr).unwrap();
        let (mut stream, _) = accept_one(&mut poll, &mut events, &listener, Token(0));
        poll.registry()
            .register(&mut stream, Token(1 + i), Interest::READABLE)
            .unwrap();
        pairs.push((client, stream));
    }
    for (i, (client, _)) in pairs.iter_mut().enumerate() {
        client.write_all(&[i as u8]).unwrap();
    }
    let mut seen = vec![false; PAIRS];
    let deadline = std::time::Instant::now() + DEADLINE;
    while seen.iter().any(|s| !s) {
        assert!(std::time::Instant::now() < deadline, "missing: {seen:?}");
        poll_retrying(&mut poll, &mut events, Some(DEADLINE));
        for event in events.iter() {
            let i = event.token().0;
            if (1..=PAIRS).contains(&i) {
                let (_, stream) = &pairs[i - 1];
                let mut byte = [0; 1];
                if let Ok(1) = (&*stream).read(&mut byte) {
                    assert_eq!(byte[0] as usize, i - 1);
                    seen[i - 1] = true;
                }
            }
        }
    }
    // Half are deregistered, half dropped; none reports anything after.
    for (i, (_, mut stream)) in pairs.into_iter().enumerate() {
        if i % 2 == 0 {
            poll.registry().deregister(&mut stream).unwrap();
        }
    }
    for _ in 0..3 {
        poll_retrying(&mut poll, &mut events, Some(Duration::from_millis(20)));
        for event in events.iter() {
            assert_eq!(event.token(), Token(0), "{event:?}");
        }
    }
}

// Not on WASI: jco delivers loopback data only while the guest waits in poll(2),
// and with the `Poll` dropped nothing does.
#[cfg(not(target_os = "wasi"))]
#[test]
fn sockets_outlive_their_poll() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (client, server) = connected_pair(&mut poll, &mut events, any_local_v4());
    // Polls in flight for both (Windows), nothing reported yet.
    (&client).write_all(b"after").unwrap();
    drop(poll);

    // The sockets still work as sockets.
    thread::sleep(Duration::from_millis(50));
    let mut buf = [0; 16];
    assert_eq!((&server).read(&mut buf).unwrap(), 5);
    let err = (&server).read(&mut buf).unwrap_err();
    // Nothing is left to read. On Windows the socket would have to be armed
    // again for a poll that is gone: an error says no event will follow.
    // Unix has nothing to re-arm and reports plain `WouldBlock`.
    if cfg!(windows) {
        assert_ne!(err.kind(), ErrorKind::WouldBlock, "{err:?}");
    } else {
        assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err:?}");
    }
    (&server).write_all(b"still").unwrap();
    drop((client, server));
}

#[test]
fn a_registry_clone_keeps_the_queue_for_its_sources() {
    let poll = Poll::new().unwrap();
    let registry = poll.registry().try_clone().unwrap();
    drop(poll);
    let mut listener = TcpListener::bind(any_local_v4()).unwrap();
    registry
        .register(&mut listener, Token(1), Interest::READABLE)
        .unwrap();
    let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    registry
        .reregister(&mut listener, Token(2), Interest::READABLE)
        .unwrap();
    registry.deregister(&mut listener).unwrap();
}

#[test]
fn reading_partially_then_to_would_block_rearms() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (client, server) = connected_pair(&mut poll, &mut events, any_local_v4());
    for round in 0..50u8 {
        (&client).write_all(&[round; 100]).unwrap();
        let got = read_exactly(&mut poll, &mut events, &server, PAIR_SERVER, 100);
        assert!(got.iter().all(|&b| b == round));
    }
}
