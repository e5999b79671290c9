#![cfg(all(unix, feature = "os-poll", feature = "net"))]

use std::io::{ErrorKind, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
use std::os::unix::io::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::net as stdnet;

use mio::net::{UnixListener, UnixStream};
use mio::{Events, Interest, Poll, Token};

mod uds_util;
use uds_util::*;

const LISTENER: Token = Token(0);
const CLIENT: Token = Token(1);
const SERVER: Token = Token(2);

fn poll() -> (Poll, Events) {
    (Poll::new().unwrap(), Events::with_capacity(16))
}

/// Waits for the listener and accepts exactly one connection.
// Only the Linux/Android tests below accept.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn accept_one(poll: &mut Poll, events: &mut Events, listener: &UnixListener) -> UnixStream {
    loop {
        match listener.accept() {
            Ok((stream, _)) => return stream,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                wait_readable(poll, events, LISTENER);
            }
            Err(e) => panic!("accept failed: {e}"),
        }
    }
}

/// Sends `data` from `from` and reads it all at `to`, polling `to_token`.
fn transfer(
    poll: &mut Poll,
    events: &mut Events,
    mut from: &UnixStream,
    to: &UnixStream,
    to_token: Token,
    data: &[u8],
) {
    from.write_all(data).unwrap();
    let mut got = Vec::new();
    while got.len() < data.len() {
        wait_readable(poll, events, to_token);
        let (more, eof) = drain(to);
        assert!(!eof, "unexpected end-of-file");
        got.extend(more);
    }
    assert_eq!(got, data);
}

#[test]
fn connect_accept_echo_over_a_path() {
    let dir = TempDir::new();
    let path = dir.join("echo.sock");
    let (mut poll, mut events) = poll();

    let mut listener = UnixListener::bind(&path).unwrap();
    assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(&*path));
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    let mut client = UnixStream::connect(&path).unwrap();
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    wait_writable(&mut poll, &mut events, CLIENT);

    let (mut server, addr) = loop {
        match listener.accept() {
            Ok(pair) => break pair,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                wait_readable(&mut poll, &mut events, LISTENER);
            }
            Err(e) => panic!("accept failed: {e}"),
        }
    };
    // Edge-triggered: the single pending connection is gone.
    assert_would_block(listener.accept());

    // The client never bound, so the server sees it unnamed, and the client
    // sees the listener's path.
    assert!(addr.is_unnamed(), "{addr:?}");
    assert!(client.local_addr().unwrap().is_unnamed());
    assert_eq!(client.peer_addr().unwrap().as_pathname(), Some(&*path));
    assert_eq!(server.local_addr().unwrap().as_pathname(), Some(&*path));
    assert!(server.peer_addr().unwrap().is_unnamed());
    assert!(client.take_error().unwrap().is_none());

    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .unwrap();
    transfer(&mut poll, &mut events, &client, &server, SERVER, b"hello");
    transfer(&mut poll, &mut events, &server, &client, CLIENT, b"world");
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn connect_accept_over_an_abstract_name() {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::SocketAddr;

    let name = abstract_name();
    let address = SocketAddr::from_abstract_name(&name).unwrap();
    let (mut poll, mut events) = poll();

    let mut listener = UnixListener::bind_addr(&address).unwrap();
    assert_eq!(
        listener.local_addr().unwrap().as_abstract_name(),
        Some(&name[..])
    );
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    let mut client = UnixStream::connect_addr(&address).unwrap();
    assert_eq!(
        client.peer_addr().unwrap().as_abstract_name(),
        Some(&name[..])
    );
    let mut server = accept_one(&mut poll, &mut events, &listener);
    poll.registry()
        .register(&mut client, CLIENT, Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)
        .unwrap();
    transfer(
        &mut poll,
        &mut events,
        &client,
        &server,
        SERVER,
        b"abstract",
    );
    transfer(&mut poll, &mut events, &server, &client, CLIENT, b"reply");
}

#[test]
fn connect_to_nothing_fails() {
    let dir = TempDir::new();
    let err = UnixStream::connect(dir.join("missing.sock")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);

    // A socket file whose listener is gone.
    let path = dir.join("stale.sock");
    drop(UnixListener::bind(&path).unwrap());
    let err = UnixStream::connect(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}

#[test]
fn connect_rejects_bad_paths() {
    let long = "x".repeat(200);
    let err = UnixStream::connect(&long).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = UnixStream::connect("a\0b").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

/// With the listener's queue full, Linux refuses a non-blocking connect
/// with EAGAIN; mio reports that as `WouldBlock` and no socket.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn connect_to_a_full_backlog_would_block() {
    let dir = TempDir::new();
    let path = dir.join("full.sock");
    let mut listener = UnixListener::bind(&path).unwrap();
    let mut clients = Vec::new();
    let err = loop {
        match UnixStream::connect(&path) {
            Ok(client) => clients.push(client),
            Err(e) => break e,
        }
        assert!(clients.len() < 10_000, "backlog never filled");
    };
    assert_eq!(err.kind(), ErrorKind::WouldBlock, "{err}");

    // Accepting one makes room again.
    let (mut poll, mut events) = poll();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let _first = accept_one(&mut poll, &mut events, &listener);
    let _again = UnixStream::connect(&path).unwrap();
}

#[test]
fn pair_round_trip_and_addresses() {
    let (mut poll, mut events) = poll();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    assert!(a.local_addr().unwrap().is_unnamed());
    assert!(a.peer_addr().unwrap().is_unnamed());
    poll.registry()
        .register(&mut a, CLIENT, Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, SERVER, Interest::READABLE)
        .unwrap();
    transfer(&mut poll, &mut events, &a, &b, SERVER, b"one");
    transfer(&mut poll, &mut events, &b, &a, CLIENT, b"two");

    // `Read`/`Write` on the owned value too.
    a.write_all(b"owned").unwrap();
    wait_readable(&mut poll, &mut events, SERVER);
    let mut buf = [0; 5];
    b.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"owned");
    a.flush().unwrap();
}

#[test]
fn vectored_io() {
    let (mut poll, mut events) = poll();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, SERVER, Interest::READABLE)
        .unwrap();

    let n = a
        .write_vectored(&[IoSlice::new(b"abc"), IoSlice::new(b"defg")])
        .unwrap();
    assert_eq!(n, 7);
    wait_readable(&mut poll, &mut events, SERVER);
    let (mut x, mut y) = ([0; 4], [0; 8]);
    let n = (&b)
        .read_vectored(&mut [IoSliceMut::new(&mut x), IoSliceMut::new(&mut y)])
        .unwrap();
    assert_eq!(n, 7);
    assert_eq!(&x, b"abcd");
    assert_eq!(&y[..3], b"efg");
    assert_would_block(b.read_vectored(&mut [IoSliceMut::new(&mut x)]));
    assert_would_block((&b).read(&mut x));
}

/// Fill the socket until `WouldBlock`, then drain the other end until
/// `WouldBlock`: the writer gets a new writable edge, and everything
/// written arrives.
#[test]
fn edge_triggered_fill_and_drain() {
    let (mut poll, mut events) = poll();
    let (mut a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut a, CLIENT, Interest::WRITABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, SERVER, Interest::READABLE)
        .unwrap();
    wait_writable(&mut poll, &mut events, CLIENT);

    let chunk = [7u8; 8192];
    let written = fill(&a, &chunk);
    assert!(written > 0);

    let deadline = std::time::Instant::now() + DEADLINE;
    let mut received = 0;
    let mut writable_again = false;
    while received < written || !writable_again {
        poll_once(
            &mut poll,
            &mut events,
            deadline,
            "all data and a writable edge",
        );
        for event in events.iter() {
            if event.token() == CLIENT && event.is_writable() {
                writable_again = true;
            }
        }
        let (got, eof) = drain(&b);
        assert!(!eof);
        assert!(got.iter().all(|&x| x == 7));
        received += got.len();
    }
    assert_eq!(received, written);
    // Drained: no more readable events until new data arrives.
    expect_no_event(&mut poll, &mut events, SERVER);
    // And the writer can write again.
    assert!((&a).write(&chunk).unwrap() > 0);
}

#[test]
fn shutdown_write_is_seen_as_read_closed() {
    let (mut poll, mut events) = poll();
    let (a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, SERVER, Interest::READABLE)
        .unwrap();

    (&a).write_all(b"last words").unwrap();
    a.shutdown(Shutdown::Write).unwrap();
    let seen = wait_for(&mut poll, &mut events, SERVER, "read_closed", |e| {
        e.is_read_closed()
    });
    assert!(seen.readable);
    let (got, eof) = drain(&b);
    assert_eq!(got, b"last words");
    assert!(eof, "no end-of-file after shutdown");

    // The other direction still works.
    let err = (&a).write(b"x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    (&b).write_all(b"still open").unwrap();
    let mut buf = [0; 10];
    (&a).read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"still open");
}

#[test]
fn dropped_peer_closes_both_directions() {
    let (mut poll, mut events) = poll();
    let (a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, SERVER, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    wait_writable(&mut poll, &mut events, SERVER);

    drop(a);
    let seen = wait_for(&mut poll, &mut events, SERVER, "read_closed", |e| {
        e.is_read_closed()
    });
    if uds_util::backend::SPLIT_EVENTS {
        // kqueue reports the write side with a filter, and an event, of
        // its own: in the same poll, or a later one.
        if !seen.write_closed && !seen_in(&events, SERVER, |e| e.is_write_closed()) {
            wait_for(&mut poll, &mut events, SERVER, "write_closed", |e| {
                e.is_write_closed()
            });
        }
    } else {
        assert!(seen.write_closed, "{seen:?}");
    }
    assert_eq!(drain(&b), (Vec::new(), true));
    let err = (&b).write(b"nobody").unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::BrokenPipe | ErrorKind::ConnectionReset
        ),
        "{err}"
    );
}

#[test]
fn from_std_keeps_non_blocking_mode() {
    let (mut poll, mut events) = poll();
    let (a, b) = stdnet::UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    b.set_nonblocking(true).unwrap();
    let a = UnixStream::from_std(a);
    let mut b = UnixStream::from_std(b);
    let mut buf = [0; 4];
    assert_would_block((&a).read(&mut buf));

    poll.registry()
        .register(&mut b, SERVER, Interest::READABLE)
        .unwrap();
    transfer(&mut poll, &mut events, &a, &b, SERVER, b"std!");
}

#[cfg(target_os = "linux")]
#[test]
fn created_sockets_are_non_blocking_and_close_on_exec() {
    let dir = TempDir::new();
    let path = dir.join("flags.sock");
    let (mut poll, mut events) = poll();
    let mut listener = UnixListener::bind(&path).unwrap();
    assert_eq!(fd_flags(listener.as_raw_fd()), (true, true));
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let client = UnixStream::connect(&path).unwrap();
    assert_eq!(fd_flags(client.as_raw_fd()), (true, true));
    let accepted = accept_one(&mut poll, &mut events, &listener);
    assert_eq!(fd_flags(accepted.as_raw_fd()), (true, true));
    let (a, b) = UnixStream::pair().unwrap();
    assert_eq!(fd_flags(a.as_raw_fd()), (true, true));
    assert_eq!(fd_flags(b.as_raw_fd()), (true, true));
}

#[test]
fn try_io_passes_results_through() {
    let (mut poll, mut events) = poll();
    let (a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, SERVER, Interest::READABLE)
        .unwrap();
    let dup = stdnet::UnixStream::from(b.as_fd().try_clone_to_owned().unwrap());

    let mut buf = [0; 8];
    assert_would_block(b.try_io(|| (&dup).read(&mut buf)));
    (&a).write_all(b"via fd").unwrap();
    wait_readable(&mut poll, &mut events, SERVER);
    let n = b.try_io(|| (&dup).read(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"via fd");
    assert_eq!(b.try_io(|| Ok(42)).unwrap(), 42);
}

#[test]
fn fd_conversions_round_trip() {
    let (a, b) = UnixStream::pair().unwrap();
    let raw = a.as_raw_fd();
    assert_eq!(a.as_fd().as_raw_fd(), raw);

    let raw = a.into_raw_fd();
    // SAFETY: `raw` came from `into_raw_fd` and nothing else owns it.
    let a = unsafe { UnixStream::from_raw_fd(raw) };
    assert_eq!(a.as_raw_fd(), raw);

    let owned = OwnedFd::from(a);
    assert_eq!(owned.as_raw_fd(), raw);
    let a = UnixStream::from(owned);
    let std_a = stdnet::UnixStream::from(a);
    assert_eq!(std_a.as_raw_fd(), raw);
    let a = UnixStream::from_std(std_a);

    // Still the same connection.
    (&a).write_all(b"x").unwrap();
    let mut buf = [0; 1];
    let (mut poll, mut events) = poll();
    let mut b = b;
    poll.registry()
        .register(&mut b, SERVER, Interest::READABLE)
        .unwrap();
    wait_readable(&mut poll, &mut events, SERVER);
    (&b).read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"x");
}

#[test]
fn debug_shows_the_socket() {
    let (a, _b) = UnixStream::pair().unwrap();
    let text = format!("{a:?}");
    assert!(text.contains("UnixStream"), "{text}");
    assert!(text.contains(&a.as_raw_fd().to_string()), "{text}");
}

#[test]
fn register_twice_and_deregister() {
    let (mut poll, mut events) = poll();
    let (a, mut b) = UnixStream::pair().unwrap();
    poll.registry()
        .register(&mut b, SERVER, Interest::READABLE)
        .unwrap();
    poll.registry()
        .reregister(&mut b, CLIENT, Interest::READABLE)
        .unwrap();
    (&a).write_all(b"x").unwrap();
    wait_readable(&mut poll, &mut events, CLIENT);
    poll.registry().deregister(&mut b).unwrap();
    (&a).write_all(b"y").unwrap();
    expect_no_event(&mut poll, &mut events, CLIENT);
    assert_eq!(drain(&b).0, b"xy");
}
