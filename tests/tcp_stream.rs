//! `mio::net::TcpStream`: connecting, reading and writing, closing,
//! options and conversions.
// WASI preview 1 cannot create sockets (no `bind`, no `connect`): its
// `from_std`/`accept` path is compile-checked only.
#![cfg(all(
    feature = "os-poll",
    feature = "net",
    not(all(target_os = "wasi", target_env = "p1"))
))]
// Some helpers serve only the tests WASI leaves out.
#![cfg_attr(target_os = "wasi", allow(unused_imports, unused_variables))]

mod net_util;

use std::io::{ErrorKind, IoSlice, IoSliceMut, Read, Write};
use std::net::Shutdown;
#[cfg(any(unix, target_os = "wasi"))]
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
#[cfg(windows)]
use std::os::windows::io::{AsRawSocket, AsSocket, FromRawSocket, IntoRawSocket, OwnedSocket};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

#[cfg(unix)]
use net_util::is_nonblocking;
#[cfg(any(target_os = "linux", target_os = "android"))]
use net_util::StalledListener;
use net_util::{
    any_local_v4, any_local_v6, assert_no_event, assert_would_block, await_connected, await_event,
    await_read_closed, await_readable, await_writable, connected_pair, fill, is_cloexec,
    poll_retrying, raw_socket, read_available, read_exactly, set_linger_zero, under_wine,
    ClosedPort, DEADLINE, PAIR_CLIENT, PAIR_SERVER,
};

const STREAM: Token = Token(0);

#[test]
fn connect_returns_at_once_and_the_stream_becomes_writable() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let server = std::net::TcpListener::bind(any_local_v4()).unwrap();

    let mut stream = TcpStream::connect(server.local_addr().unwrap()).unwrap();
    // Winsock cannot read the blocking mode back; that `connect` returned
    // before the connection was accepted shows it there.
    #[cfg(unix)]
    assert!(is_nonblocking(&stream));
    assert!(is_cloexec(&stream));
    poll.registry()
        .register(&mut stream, STREAM, Interest::WRITABLE)
        .unwrap();
    await_connected(&mut poll, &mut events, &stream, STREAM);
    assert_eq!(stream.peer_addr().unwrap(), server.local_addr().unwrap());
    assert!(stream.take_error().unwrap().is_none());

    let (mut accepted, peer) = server.accept().unwrap();
    assert_eq!(peer, stream.local_addr().unwrap());
    (&stream).write_all(b"hello").unwrap();
    let mut buf = [0; 5];
    accepted.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hello");
}

// Not on WASI under jco: its host cannot hold a TCP port bound without
// listening (`ClosedPort`), and a connect there is reported writable with
// no error.
#[cfg(not(target_os = "wasi"))]
#[test]
#[cfg_attr(
    mio_unsupported_force_kqueue,
    ignore = "libkqueue: reads SO_ERROR for each error event, which clears the socket's pending error"
)]
fn connect_to_a_closed_port_reports_the_error() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let closed = ClosedPort::new();

    let mut stream = match TcpStream::connect(closed.addr) {
        Ok(stream) => stream,
        // Allowed: the OS may know at once.
        Err(err) => {
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
            return;
        }
    };
    poll.registry()
        .register(&mut stream, STREAM, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    let event = await_event(
        &mut poll,
        &mut events,
        STREAM,
        "an error or write-closed",
        |e| e.error || e.write_closed,
    );
    assert!(event.error, "{event:?}");
    let err = stream.take_error().unwrap().expect("a pending error");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    // Taking the error cleared it. Not under wine, whose SO_ERROR keeps
    // returning a failed connect's error (Windows resets it when read).
    if !under_wine() {
        assert!(stream.take_error().unwrap().is_none());
    }
    // Never connected.
    assert_eq!(
        stream.peer_addr().unwrap_err().kind(),
        ErrorKind::NotConnected
    );
}

// Needs `StalledListener`: Linux drops the SYN of a connect to a full
// accept queue, which keeps the connect in progress.
#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn not_writable_and_no_peer_addr_until_connected() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let stalled = StalledListener::new();

    let mut stream = TcpStream::connect(stalled.listener.local_addr().unwrap()).unwrap();
    poll.registry()
        .register(&mut stream, STREAM, Interest::WRITABLE)
        .unwrap();
    // The SYN was dropped: the connect is in progress.
    assert_eq!(
        stream.peer_addr().unwrap_err().kind(),
        ErrorKind::NotConnected
    );
    assert_no_event(&mut poll, &mut events, STREAM, "while connecting");
    assert!(stream.take_error().unwrap().is_none());

    // Make room in the accept queue; the retransmitted SYN gets through.
    let (_first, _) = stalled.listener.accept().unwrap();
    await_connected(&mut poll, &mut events, &stream, STREAM);
    assert_eq!(
        stream.peer_addr().unwrap(),
        stalled.listener.local_addr().unwrap()
    );
    drop(stalled.queued);
}

#[test]
fn read_and_write_round_trip_draining_until_would_block() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut client, mut server) = connected_pair(&mut poll, &mut events, any_local_v4());

    let mut buf = [0; 16];
    assert_would_block(server.read(&mut buf));

    client.write_all(b"hello world").unwrap();
    client.flush().unwrap();
    let got = read_exactly(&mut poll, &mut events, &server, PAIR_SERVER, 11);
    assert_eq!(got, b"hello world");
    assert_would_block(server.read(&mut buf));

    server.write_all(b"back").unwrap();
    let got = read_exactly(&mut poll, &mut events, &client, PAIR_CLIENT, 4);
    assert_eq!(got, b"back");
}

// Not on WASI: wasi-libc's writev/readv on a socket move one buffer per
// call (a partial transfer, as POSIX allows), and this test expects the
// whole vector in one call.
#[cfg(not(target_os = "wasi"))]
#[test]
fn vectored_reads_and_writes() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut client, mut server) = connected_pair(&mut poll, &mut events, any_local_v4());

    let written = client
        .write_vectored(&[IoSlice::new(b"abc"), IoSlice::new(b"defg")])
        .unwrap();
    assert_eq!(written, 7);
    await_readable(&mut poll, &mut events, PAIR_SERVER);

    let (mut first, mut second) = ([0; 2], [0; 8]);
    let mut got = 0;
    while got < 7 {
        let mut bufs = [IoSliceMut::new(&mut first), IoSliceMut::new(&mut second)];
        // All 7 bytes were written in one call; over loopback they arrive
        // together, but stay correct if they do not.
        match server.read_vectored(&mut bufs) {
            Ok(n) => {
                assert_eq!(n, 7, "loopback delivered a partial write");
                got = n;
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                await_readable(&mut poll, &mut events, PAIR_SERVER);
            }
            Err(err) => panic!("read_vectored: {err}"),
        }
    }
    assert_eq!(&first, b"ab");
    assert_eq!(&second[..5], b"cdefg");

    // And through `&TcpStream`.
    let written = (&server)
        .write_vectored(&[IoSlice::new(b"x"), IoSlice::new(b"yz")])
        .unwrap();
    assert_eq!(written, 3);
    await_readable(&mut poll, &mut events, PAIR_CLIENT);
    let mut one = [0; 1];
    let mut two = [0; 2];
    let n = (&client)
        .read_vectored(&mut [IoSliceMut::new(&mut one), IoSliceMut::new(&mut two)])
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!((&one, &two), (b"x", b"yz"));
}

// Not on WASI: wasi-libc's recv(2) rejects MSG_PEEK (`Unsupported`).
#[cfg(not(target_os = "wasi"))]
#[test]
fn peek_leaves_the_data_in_place() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (client, server) = connected_pair(&mut poll, &mut events, any_local_v4());

    let mut buf = [0; 8];
    assert_would_block(server.peek(&mut buf));
    (&client).write_all(b"peek").unwrap();
    await_readable(&mut poll, &mut events, PAIR_SERVER);
    assert_eq!(server.peek(&mut buf).unwrap(), 4);
    assert_eq!(&buf[..4], b"peek");
    assert_eq!(server.peek(&mut buf).unwrap(), 4);
    let drained = read_available(&server);
    assert_eq!(drained.data, b"peek");
}

#[test]
fn full_send_buffer_would_block_until_the_peer_reads() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (client, server) = connected_pair(&mut poll, &mut events, any_local_v4());

    let sent = fill(&client);
    assert!(sent > 0);
    assert_would_block((&client).write(b"more"));

    // Once the peer drains enough, the writer gets a new writable event.
    // Keep draining on every readable event of the peer until then.
    let deadline = Instant::now() + DEADLINE;
    let mut received = 0;
    'wait: loop {
        received += read_available(&server).data.len();
        assert!(
            Instant::now() < deadline,
            "no writable event after draining"
        );
        poll_retrying(&mut poll, &mut events, Some(DEADLINE));
        for event in events.iter() {
            if event.token() == PAIR_CLIENT && event.is_writable() {
                break 'wait;
            }
        }
    }
    assert!((&client).write(b"more").unwrap() > 0);
    received += read_available(&server).data.len();
    assert!(received <= sent + 4);
}

// Not on WASI under jco: its host closes both directions on
// `shutdown(Write)` (reads return end-of-file, writes to it fail), so there
// is no half-close to test.
#[cfg(not(target_os = "wasi"))]
#[test]
fn shutdown_write_makes_the_peer_read_eof() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (client, server) = connected_pair(&mut poll, &mut events, any_local_v4());

    (&client).write_all(b"last words").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    // Wine reports the peer's FIN (AFD_POLL_DISCONNECT) only once the data
    // before it has been read, where Windows (and Unix) report it at once:
    // under wine the read-closed event is awaited after the drain instead.
    if !under_wine() {
        let event = await_event(&mut poll, &mut events, PAIR_SERVER, "read-closed", |e| {
            e.read_closed
        });
        assert!(event.readable, "{event:?}");
    }

    let mut drained = read_available(&server);
    while !drained.eof {
        await_readable(&mut poll, &mut events, PAIR_SERVER);
        let more = read_available(&server);
        drained.data.extend(more.data);
        drained.eof = more.eof;
    }
    assert_eq!(drained.data, b"last words");
    if under_wine() {
        let event = await_event(&mut poll, &mut events, PAIR_SERVER, "read-closed", |e| {
            e.read_closed
        });
        assert!(event.readable, "{event:?}");
    }

    // The other direction still works (half-close).
    (&server).write_all(b"reply").unwrap();
    let got = read_exactly(&mut poll, &mut events, &client, PAIR_CLIENT, 5);
    assert_eq!(got, b"reply");
    let err = (&client).write(b"x").unwrap_err();
    #[cfg(unix)]
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    // Winsock reports a send after `shutdown(SD_SEND)` as WSAESHUTDOWN.
    #[cfg(windows)]
    assert_eq!(
        err.raw_os_error(),
        Some(windows_sys::Win32::Networking::WinSock::WSAESHUTDOWN),
        "{err:?}"
    );
}

#[test]
fn shutdown_both_closes_both_halves() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (client, server) = connected_pair(&mut poll, &mut events, any_local_v4());

    client.shutdown(Shutdown::Both).unwrap();
    await_read_closed(&mut poll, &mut events, PAIR_SERVER);
    assert!(read_available(&server).eof);
    // Reading our own shut-down half gives end-of-file at once.
    assert_eq!((&client).read(&mut [0; 4]).unwrap(), 0);
}

// Not on WASI: no `SO_LINGER`, so no way to make a close send a reset.
#[cfg(not(target_os = "wasi"))]
#[test]
#[cfg_attr(
    mio_unsupported_force_kqueue,
    ignore = "libkqueue: reads SO_ERROR for each error event, which clears the socket's pending error"
)]
fn peer_reset_is_reported() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (client, server) = connected_pair(&mut poll, &mut events, any_local_v4());

    set_linger_zero(&client);
    drop(client);
    let event = await_event(&mut poll, &mut events, PAIR_SERVER, "closed", |e| {
        e.read_closed || e.error
    });
    assert!(event.read_closed, "{event:?}");
    // Under wine, reading a socket whose reset was already reported by a
    // poll returns end-of-file instead of WSAECONNRESET (wine's own poll
    // consumes the pending error); Windows reports the reset.
    if !under_wine() {
        let err = (&server).read(&mut [0; 8]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    }
}

// Not on WASI under jco: once the stream has been polled, the peer's close
// raises no event there (a read does return end-of-file). The close shows
// in `shutdown_both_closes_both_halves` instead.
#[cfg(not(target_os = "wasi"))]
#[test]
fn dropping_the_peer_gives_read_closed_and_eof() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (client, server) = connected_pair(&mut poll, &mut events, any_local_v4());

    drop(server);
    await_read_closed(&mut poll, &mut events, PAIR_CLIENT);
    assert!(read_available(&client).eof);
}

#[test]
fn options_can_be_set_and_read() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (client, _server) = connected_pair(&mut poll, &mut events, any_local_v4());

    client.set_nodelay(true).unwrap();
    assert!(client.nodelay().unwrap());
    client.set_nodelay(false).unwrap();
    assert!(!client.nodelay().unwrap());

    client.set_ttl(17).unwrap();
    assert_eq!(client.ttl().unwrap(), 17);

    assert!(client.take_error().unwrap().is_none());
}

#[test]
fn try_io_passes_results_through() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (client, server) = connected_pair(&mut poll, &mut events, any_local_v4());

    assert_would_block(server.try_io(|| (&server).read(&mut [0; 4])));
    let n = client.try_io(|| (&client).write(b"via try_io")).unwrap();
    assert_eq!(n, 10);
    let got = read_exactly(&mut poll, &mut events, &server, PAIR_SERVER, 10);
    assert_eq!(got, b"via try_io");
    assert_eq!(client.try_io(|| Ok(5)).unwrap(), 5);
}

#[test]
fn ipv6_round_trip() {
    let Some(addr) = any_local_v6() else { return };
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (client, server) = connected_pair(&mut poll, &mut events, addr);
    assert!(client.peer_addr().unwrap().is_ipv6());
    assert_eq!(client.peer_addr().unwrap(), server.local_addr().unwrap());
    (&client).write_all(b"six").unwrap();
    assert_eq!(
        read_exactly(&mut poll, &mut events, &server, PAIR_SERVER, 3),
        b"six"
    );
}

#[test]
fn from_std_keeps_the_stream_and_into_std_gives_it_back() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let listener = std::net::TcpListener::bind(any_local_v4()).unwrap();
    let std_stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (mut peer, _) = listener.accept().unwrap();
    std_stream.set_nonblocking(true).unwrap();
    let fd = raw_socket(&std_stream);

    let mut stream = TcpStream::from_std(std_stream);
    assert_eq!(raw_socket(&stream), fd);
    assert_eq!(stream.peer_addr().unwrap(), listener.local_addr().unwrap());
    poll.registry()
        .register(&mut stream, STREAM, Interest::READABLE)
        .unwrap();
    peer.write_all(b"std").unwrap();
    assert_eq!(
        read_exactly(&mut poll, &mut events, &stream, STREAM, 3),
        b"std"
    );
    poll.registry().deregister(&mut stream).unwrap();

    let back: std::net::TcpStream = stream.into();
    assert_eq!(raw_socket(&back), fd);
    // Still non-blocking.
    assert_eq!(
        (&back).read(&mut [0; 4]).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

// Unix only: Winsock cannot read a socket's blocking mode back.
// Unix only: WASI's fcntl(F_GETFL) does not work on sockets (`EINVAL`).
#[cfg(unix)]
#[test]
fn from_std_does_not_change_the_blocking_mode() {
    let listener = std::net::TcpListener::bind(any_local_v4()).unwrap();
    let std_stream = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let stream = TcpStream::from_std(std_stream);
    assert!(!is_nonblocking(&stream));
}

#[cfg(any(unix, target_os = "wasi"))]
#[test]
fn fd_conversions_round_trip() {
    let listener = std::net::TcpListener::bind(any_local_v4()).unwrap();
    let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let local = stream.local_addr().unwrap();
    let fd = stream.as_raw_fd();
    assert_eq!(stream.as_fd().as_raw_fd(), fd);

    let raw = stream.into_raw_fd();
    assert_eq!(raw, fd);
    // SAFETY: `raw` came from `into_raw_fd` and is owned by nothing else.
    let stream = unsafe { TcpStream::from_raw_fd(raw) };
    assert_eq!(stream.local_addr().unwrap(), local);

    let owned = OwnedFd::from(stream);
    assert_eq!(owned.as_raw_fd(), fd);
    let stream = TcpStream::from(owned);
    assert_eq!(stream.local_addr().unwrap(), local);
}

#[cfg(windows)]
#[test]
fn socket_conversions_round_trip() {
    let listener = std::net::TcpListener::bind(any_local_v4()).unwrap();
    let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let local = stream.local_addr().unwrap();
    let socket = stream.as_raw_socket();
    assert_eq!(stream.as_socket().as_raw_socket(), socket);

    let raw = stream.into_raw_socket();
    assert_eq!(raw, socket);
    // SAFETY: `raw` came from `into_raw_socket` and is owned by nothing else.
    let stream = unsafe { TcpStream::from_raw_socket(raw) };
    assert_eq!(stream.local_addr().unwrap(), local);

    let owned = OwnedSocket::from(stream);
    assert_eq!(owned.as_raw_socket(), socket);
    let stream = TcpStream::from(owned);
    assert_eq!(stream.local_addr().unwrap(), local);
}

#[test]
fn debug_shows_the_addresses() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (client, _server) = connected_pair(&mut poll, &mut events, any_local_v4());
    let text = format!("{client:?}");
    assert!(text.contains("TcpStream"), "{text}");
    assert!(
        text.contains(&client.local_addr().unwrap().to_string()),
        "{text}"
    );
    assert!(
        text.contains(&client.peer_addr().unwrap().to_string()),
        "{text}"
    );
}

#[test]
fn reregister_switches_interest() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut client, server) = connected_pair(&mut poll, &mut events, any_local_v4());

    // Only readable now: writability (already there) is no longer reported.
    poll.registry()
        .reregister(&mut client, STREAM, Interest::READABLE)
        .unwrap();
    (&server).write_all(b"r").unwrap();
    let event = await_readable(&mut poll, &mut events, STREAM);
    assert!(!event.writable, "{event:?}");
    assert_eq!(read_available(&client).data, b"r");

    poll.registry()
        .reregister(&mut client, STREAM, Interest::WRITABLE)
        .unwrap();
    await_writable(&mut poll, &mut events, STREAM);

    poll.registry().deregister(&mut client).unwrap();
    (&server).write_all(b"q").unwrap();
    assert_no_event(&mut poll, &mut events, STREAM, "after deregister");
}

/// A stream dropped while registered (never deregistered) reports nothing
/// for its token afterwards, and a stream that gets its descriptor number
/// before the next poll registers and sees only its own events.
#[test]
fn dropped_registered_stream_is_silent_and_its_number_reusable() {
    const OLD: Token = PAIR_CLIENT;
    const LISTENER: Token = Token(10);
    const NEW: Token = Token(11);
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (old, mut old_server) = connected_pair(&mut poll, &mut events, any_local_v4());
    let mut listener = mio::net::TcpListener::bind(any_local_v4()).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let old_raw = raw_socket(&old);
    drop(old);

    // No poll in between: the new stream most likely takes the old number.
    let mut new = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let reused = raw_socket(&new) == old_raw;
    println!("descriptor number reused: {reused}");
    poll.registry()
        .register(&mut new, NEW, Interest::READABLE | Interest::WRITABLE)
        .expect("registering the new stream");
    let deadline = Instant::now() + DEADLINE;
    let (mut server, _) = loop {
        match listener.accept() {
            Ok(accepted) => break accepted,
            Err(err) if err.kind() == ErrorKind::WouldBlock => {}
            Err(err) => panic!("accept: {err}"),
        }
        assert!(Instant::now() < deadline, "no connection to accept");
        poll_retrying(&mut poll, &mut events, Some(Duration::from_millis(20)));
        assert!(
            events.iter().all(|e| e.token() != OLD),
            "old token reported"
        );
    };
    server.write_all(b"new").unwrap();
    // The old peer's close reaches its server side; the old token stays
    // silent while the new stream reports its data.
    let mut got_new = false;
    while !got_new {
        assert!(Instant::now() < deadline, "the new stream saw no data");
        poll_retrying(&mut poll, &mut events, Some(Duration::from_millis(20)));
        for event in events.iter() {
            assert_ne!(event.token(), OLD, "old token reported: {event:?}");
            if event.token() == NEW && event.is_readable() {
                got_new = true;
            }
        }
    }
    let mut buf = [0; 3];
    (&new).read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"new");
    assert_no_event(&mut poll, &mut events, OLD, "after the new stream's data");
    let _ = old_server.read(&mut [0; 8]);
}

/// `take_error` of a healthy stream, connecting, connected and accepted,
/// is `Ok(None)` (on WASI: not `EINPROGRESS` while connecting).
#[test]
fn take_error_of_healthy_streams_is_none() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let listener = mio::net::TcpListener::bind(any_local_v4()).unwrap();
    let connecting = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    assert!(connecting.take_error().unwrap().is_none(), "connecting");
    drop(connecting);
    let (client, server) = connected_pair(&mut poll, &mut events, any_local_v4());
    assert!(client.take_error().unwrap().is_none(), "connected");
    assert!(server.take_error().unwrap().is_none(), "accepted");
}

/// A failed connect is a final condition: reported once. An operation that
/// then returns `WouldBlock` (here through `try_io`) must not bring the
/// same stale condition back as a new event each time, or a caller that
/// retries until `WouldBlock` never gets out of the loop.
// WASI runtimes differ in how a refused connect is reported. The poll(2)
// backend re-arms every condition after `WouldBlock` and so reports the
// failure again: a dead socket stays level-ready (POLLIN, POLLOUT, POLLHUP),
// so masking POLLERR/POLLHUP alone would not help. Only a `WouldBlock` that
// did no I/O (as here) triggers it: a real read or write on a hung-up socket
// returns end-of-file or an error, never `WouldBlock`. A fix would keep the
// entry parked while the reported hang-up persists (no new readiness can
// appear on a socket or pipe while POLLHUP holds).
#[cfg(not(any(target_os = "wasi", mio_unsupported_force_poll_poll)))]
#[test]
fn a_failed_connect_is_reported_once_even_after_would_block() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    // A port nobody listens on any more.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let mut stream = match TcpStream::connect(addr) {
        Ok(stream) => stream,
        // Refused at once: nothing to poll.
        Err(_) => return,
    };
    poll.registry()
        .register(
            &mut stream,
            Token(0),
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    let deadline = Instant::now() + std::time::Duration::from_secs(10);
    loop {
        poll.poll(&mut events, Some(std::time::Duration::from_millis(100)))
            .unwrap();
        if events.iter().any(|e| e.is_error() || e.is_write_closed()) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the failed connect was never reported"
        );
    }
    let mut repeated = Vec::new();
    for _ in 0..10 {
        let result: std::io::Result<()> = stream.try_io(|| Err(ErrorKind::WouldBlock.into()));
        assert_eq!(result.unwrap_err().kind(), ErrorKind::WouldBlock);
        poll.poll(&mut events, Some(std::time::Duration::from_millis(20)))
            .unwrap();
        repeated.extend(events.iter().map(|e| format!("{e:?}")));
    }
    assert!(
        repeated.is_empty(),
        "the failed connect came back after WouldBlock: {repeated:?}"
    );
}
