//! `mio::windows::NamedPipe`: connecting, reading and writing through the
//! internal buffers, end-of-file, registration rules, and use after the
//! `Poll` is gone.
#![cfg(all(windows, feature = "os-ext"))]

mod util;

use std::fs::OpenOptions;
use std::io::{ErrorKind, Read, Write};
use std::os::windows::fs::OpenOptionsExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, IntoRawHandle};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mio::windows::NamedPipe;
use mio::{Events, Interest, Poll, Token};
use windows_sys::Win32::Storage::FileSystem::FILE_FLAG_OVERLAPPED;

use util::{expect_event, expect_no_event_for, expect_no_events, poll_once, WAIT};

const SERVER: Token = Token(0);
const CLIENT: Token = Token(1);

/// A pipe name no other test (or run) uses.
fn pipe_name() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!(
        r"\\.\pipe\mio-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Opens the client end of pipe `name` for overlapped I/O.
fn open_client(name: &str) -> NamedPipe {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(FILE_FLAG_OVERLAPPED)
        .open(name)
        .unwrap_or_else(|err| panic!("open {name}: {err}"));
    // SAFETY: the handle was just opened for overlapped I/O and is given up
    // by the `File`.
    unsafe { NamedPipe::from_raw_handle(file.into_raw_handle()) }
}

/// Waits (bounded) until `connect` on the registered `server` succeeds.
fn await_connected(poll: &mut Poll, events: &mut Events, server: &NamedPipe) {
    let deadline = Instant::now() + WAIT;
    loop {
        match server.connect() {
            Ok(()) => return,
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "the client never connected");
                if let Some(err) = server.take_error().unwrap() {
                    panic!("connect failed: {err}");
                }
                expect_event(poll, events, SERVER, "writable (connected)", |e| e.writable);
            }
            Err(err) => panic!("connect: {err}"),
        }
    }
}

/// A registered server and client, connected.
fn connected_pair(poll: &mut Poll, events: &mut Events) -> (NamedPipe, NamedPipe) {
    let name = pipe_name();
    let mut server = NamedPipe::new(&name).unwrap();
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    match server.connect() {
        Ok(()) => panic!("connected before any client opened the pipe"),
        Err(err) => assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err:?}"),
    }
    let mut client = open_client(&name);
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    await_connected(poll, events, &server);
    (server, client)
}

/// Reads `len` bytes from the registered `pipe`, draining until
/// `WouldBlock` and waiting for readable events in between.
fn read_exactly(
    poll: &mut Poll,
    events: &mut Events,
    mut pipe: &NamedPipe,
    token: Token,
    len: usize,
) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = [0; 8192];
    let deadline = Instant::now() + WAIT;
    while got.len() < len {
        match pipe.read(&mut buf) {
            Ok(0) => panic!("end-of-file after {} of {len} bytes", got.len()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "read stalled at {}", got.len());
                expect_event(poll, events, token, "readable", |e| e.readable);
            }
            Err(err) => panic!("read: {err}"),
        }
    }
    assert_eq!(got.len(), len);
    got
}

/// Writes all of `data` to the registered `pipe`, waiting for writable
/// events whenever a write is still in flight.
fn write_all(
    poll: &mut Poll,
    events: &mut Events,
    mut pipe: &NamedPipe,
    token: Token,
    mut data: &[u8],
) {
    let deadline = Instant::now() + WAIT;
    while !data.is_empty() {
        match pipe.write(data) {
            Ok(n) => data = &data[n..],
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "write stalled");
                expect_event(poll, events, token, "writable", |e| e.writable);
            }
            Err(err) => panic!("write: {err}"),
        }
    }
}

#[test]
fn server_and_client_exchange_data() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (server, client) = connected_pair(&mut poll, &mut events);

    write_all(&mut poll, &mut events, &client, CLIENT, b"ping");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &server, SERVER, 4),
        b"ping"
    );
    write_all(&mut poll, &mut events, &server, SERVER, b"pong");
    assert_eq!(
        read_exactly(&mut poll, &mut events, &client, CLIENT, 4),
        b"pong"
    );
}

#[test]
fn large_transfers_cross_the_internal_buffers() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (server, client) = connected_pair(&mut poll, &mut events);
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();

    // Write and read in turns on one thread, as an event loop would.
    let mut sent = 0;
    let mut received = Vec::new();
    let mut buf = [0; 16 * 1024];
    let deadline = Instant::now() + WAIT * 3;
    while received.len() < data.len() {
        assert!(
            Instant::now() < deadline,
            "transfer stalled at {}",
            received.len()
        );
        while sent < data.len() {
            match (&client).write(&data[sent..]) {
                Ok(n) => sent += n,
                Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                Err(err) => panic!("write: {err}"),
            }
        }
        loop {
            match (&server).read(&mut buf) {
                Ok(0) => panic!("unexpected end-of-file"),
                Ok(n) => received.extend_from_slice(&buf[..n]),
                Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                Err(err) => panic!("read: {err}"),
            }
        }
        if received.len() < data.len() {
            poll_once(&mut poll, &mut events, Some(WAIT));
        }
    }
    assert!(received == data, "the data arrived changed");
}

#[test]
fn a_write_in_flight_makes_the_next_write_wait_for_a_writable_event() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (server, client) = connected_pair(&mut poll, &mut events);

    // More than the pipe buffers: the write stays in flight until the
    // server reads.
    let big = vec![7u8; 256 * 1024];
    let mut sent = (&client).write(&big).unwrap();
    assert!(sent > 0);
    match (&client).write(b"more") {
        Err(err) => assert_eq!(err.kind(), ErrorKind::WouldBlock),
        // The first write completed at once (a large pipe buffer).
        Ok(n) => sent += n,
    }
    // Reading makes room; the write completes and reports writable.
    let mut received = 0;
    let mut writable = false;
    let mut buf = [0; 16 * 1024];
    let deadline = Instant::now() + WAIT;
    while received < sent || !writable {
        assert!(
            Instant::now() < deadline,
            "received {received} of {sent}, writable: {writable}"
        );
        loop {
            match (&server).read(&mut buf) {
                Ok(0) => panic!("unexpected end-of-file"),
                Ok(n) => received += n,
                Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                Err(err) => panic!("read: {err}"),
            }
        }
        for event in poll_once(&mut poll, &mut events, Some(util::QUIET)) {
            writable |= event.token == CLIENT && event.writable;
        }
    }
    assert_eq!(received, sent);
}

#[test]
fn reading_before_data_arrives_would_block_then_an_event_comes() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (server, client) = connected_pair(&mut poll, &mut events);

    let mut buf = [0; 16];
    assert_eq!(
        (&server).read(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    expect_no_event_for(&mut poll, &mut events, SERVER, "no data yet");
    (&client).write_all(b"late").unwrap();
    let event = expect_event(&mut poll, &mut events, SERVER, "readable", |e| e.readable);
    assert!(!event.read_closed && !event.error, "{event:?}");
    assert_eq!((&server).read(&mut buf).unwrap(), 4);
    assert_eq!(&buf[..4], b"late");
}

#[test]
fn dropping_the_client_gives_read_closed_and_end_of_file() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (server, client) = connected_pair(&mut poll, &mut events);

    (&client).write_all(b"bye").unwrap();
    // Let the write complete before the handle goes.
    expect_event(&mut poll, &mut events, CLIENT, "writable", |e| e.writable);
    drop(client);
    assert_eq!(
        read_exactly(&mut poll, &mut events, &server, SERVER, 3),
        b"bye"
    );
    let deadline = Instant::now() + WAIT;
    loop {
        match (&server).read(&mut [0; 8]) {
            Ok(0) => break,
            Ok(n) => panic!("{n} bytes after the last write"),
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "no end-of-file");
                let event =
                    expect_event(&mut poll, &mut events, SERVER, "readable", |e| e.readable);
                assert!(event.read_closed, "{event:?}");
            }
            Err(err) => panic!("read: {err}"),
        }
    }
    // End-of-file stays.
    assert_eq!((&server).read(&mut [0; 8]).unwrap(), 0);
}

#[test]
fn disconnect_then_serve_another_client() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let name = pipe_name();
    let mut server = NamedPipe::new(&name).unwrap();
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    assert_eq!(server.connect().unwrap_err().kind(), ErrorKind::WouldBlock);

    for round in 0..3u8 {
        let mut client = open_client(&name);
        poll.registry()
            .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
            .unwrap();
        await_connected(&mut poll, &mut events, &server);
        write_all(&mut poll, &mut events, &client, CLIENT, &[round; 3]);
        assert_eq!(
            read_exactly(&mut poll, &mut events, &server, SERVER, 3),
            [round; 3]
        );
        poll.registry().deregister(&mut client).unwrap();
        drop(client);
        server.disconnect().unwrap();
        // Listen for the next one.
        match server.connect() {
            Ok(()) => panic!("connected with no client"),
            Err(err) => assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err:?}"),
        }
    }
}

#[test]
fn io_before_registration_would_block() {
    let name = pipe_name();
    let server = NamedPipe::new(&name).unwrap();
    assert_eq!(server.connect().unwrap_err().kind(), ErrorKind::WouldBlock);
    let client = open_client(&name);
    assert_eq!(
        (&client).read(&mut [0; 4]).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert_eq!(
        (&client).write(b"x").unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert!(client.take_error().unwrap().is_none());
}

#[test]
fn registration_errors() {
    let mut poll = Poll::new().unwrap();
    let other = Poll::new().unwrap();
    let name = pipe_name();
    let mut server = NamedPipe::new(&name).unwrap();

    // Not registered yet.
    let err = poll.registry().deregister(&mut server).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = poll
        .registry()
        .reregister(&mut server, SERVER, Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);

    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .unwrap();
    // Twice with the same poll, or with another.
    let err = poll
        .registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    let err = other
        .registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    let err = other.registry().deregister(&mut server).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert_eq!(
        err.to_string(),
        "I/O source already registered with a different `Registry`"
    );
    let err = other
        .registry()
        .reregister(&mut server, SERVER, Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert_eq!(
        err.to_string(),
        "I/O source already registered with a different `Registry`"
    );

    // Reregister and deregister work; deregistering twice does not.
    poll.registry()
        .reregister(&mut server, Token(9), Interest::WRITABLE)
        .unwrap();
    poll.registry().deregister(&mut server).unwrap();
    let err = poll.registry().deregister(&mut server).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);

    // A pipe stays with its first poll: the same poll takes it back, and
    // it still works there.
    let err = other
        .registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    let mut events = Events::with_capacity(8);
    let _ = server.connect();
    let mut client = open_client(&name);
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    await_connected(&mut poll, &mut events, &server);
}

#[test]
fn deregistered_pipe_reports_nothing_and_reregistering_reports_what_is_ready() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut server, client) = connected_pair(&mut poll, &mut events);

    poll.registry().deregister(&mut server).unwrap();
    (&client).write_all(b"while away").unwrap();
    expect_no_event_for(&mut poll, &mut events, SERVER, "deregistered");
    poll.registry()
        .register(&mut server, Token(5), Interest::READABLE)
        .unwrap();
    assert_eq!(
        read_exactly(&mut poll, &mut events, &server, Token(5), 10),
        b"while away"
    );
}

#[test]
fn using_a_pipe_after_its_poll_is_dropped_is_an_error() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (server, client) = connected_pair(&mut poll, &mut events);
    // Leave operations in flight: a read on each end, a write on one.
    (&client).write_all(b"in flight").unwrap();
    drop(poll);

    for result in [
        (&server).read(&mut [0; 16]).map(drop),
        (&server).write(b"x").map(drop),
        (&client).write(b"x").map(drop),
        server.connect(),
    ] {
        let err = result.unwrap_err();
        assert_ne!(err.kind(), ErrorKind::WouldBlock, "{err:?}");
    }
    drop((server, client));
}

#[test]
fn dropping_a_pipe_with_operations_in_flight_is_clean() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    for _ in 0..20 {
        let (server, client) = connected_pair(&mut poll, &mut events);
        (&server).write_all(b"unread").unwrap();
        drop(server);
        drop(client);
    }
    // The cancelled operations come back through the port and report
    // nothing for the dropped pipes.
    for _ in 0..3 {
        let got = poll_once(&mut poll, &mut events, Some(util::QUIET));
        assert!(
            got.iter().all(|e| e.token != SERVER || !e.readable),
            "{got:?}"
        );
    }
}

#[test]
fn new_refuses_a_name_in_use() {
    // Wine ignores FILE_FLAG_FIRST_PIPE_INSTANCE and creates a second
    // instance; Windows refuses it (ERROR_ACCESS_DENIED).
    if util::under_wine() {
        return;
    }
    let name = pipe_name();
    let _first = NamedPipe::new(&name).unwrap();
    assert!(NamedPipe::new(&name).is_err());
}

#[test]
fn debug_and_raw_handle() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<NamedPipe>();
    let name = pipe_name();
    let server = NamedPipe::new(&name).unwrap();
    assert!(!server.as_raw_handle().is_null());
    let text = format!("{server:?}");
    assert!(text.contains("NamedPipe"), "{text}");
}

/// A client that connects and closes at once, before the server asks
/// again: `connect` reports the pipe connected (Windows answers
/// `ERROR_NO_DATA`), not an error, and reading gives end-of-file. Tokio's
/// `NamedPipeServer::connect` relies on this.
#[test]
fn connect_after_the_client_came_and_went_is_ok_then_end_of_file() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let name = pipe_name();
    let mut server = NamedPipe::new(&name).unwrap();
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    let err = server.connect().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err:?}");
    drop(open_client(&name));
    await_connected(&mut poll, &mut events, &server);
    server
        .connect()
        .expect("connect again after the client left");

    let deadline = Instant::now() + WAIT;
    let mut buf = [0; 16];
    loop {
        match (&server).read(&mut buf) {
            Ok(0) => break,
            Ok(n) => panic!("read {n} bytes from a client that sent none"),
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "no end-of-file");
                poll_once(&mut poll, &mut events, Some(WAIT / 10));
            }
            Err(err) => panic!("read: {err}"),
        }
    }
}

#[test]
fn a_server_without_a_client_reports_nothing() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let name = pipe_name();
    let mut server = NamedPipe::new(&name).unwrap();
    let both = Interest::READABLE | Interest::WRITABLE;
    poll.registry().register(&mut server, SERVER, both).unwrap();
    // Nothing to read and nobody to write to: no event, not even at once.
    poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
    assert!(
        events.is_empty(),
        "a server with no client reported {:?}",
        events.iter().collect::<Vec<_>>()
    );
    expect_no_events(&mut poll, &mut events, "registered, no client");
    // Waiting for a client changes nothing, nor does a reregister.
    match server.connect() {
        Ok(()) => panic!("connected before any client opened the pipe"),
        Err(err) => assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err:?}"),
    }
    poll.registry()
        .reregister(&mut server, SERVER, both)
        .unwrap();
    poll.poll(&mut events, Some(Duration::ZERO)).unwrap();
    assert!(
        events.is_empty(),
        "a server waiting for a client reported {:?}",
        events.iter().collect::<Vec<_>>()
    );
    // A client arrives: the connect completes, a writable event.
    let mut client = open_client(&name);
    poll.registry()
        .register(&mut client, CLIENT, Interest::WRITABLE)
        .unwrap();
    await_connected(&mut poll, &mut events, &server);
    client.write_all(b"hi").unwrap();
    let got = read_exactly(&mut poll, &mut events, &server, SERVER, 2);
    assert_eq!(got, b"hi");
}
