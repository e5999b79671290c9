//! `mio::net::TcpListener`: binding, accepting, options and conversions.
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
use std::net::SocketAddr;
#[cfg(unix)]
use std::os::unix::io::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
#[cfg(windows)]
use std::os::windows::io::{AsRawSocket, AsSocket, FromRawSocket, IntoRawSocket, OwnedSocket};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};

#[cfg(unix)]
use net_util::is_nonblocking;
use net_util::{
    accept_one, any_local_v4, any_local_v6, assert_no_event, assert_would_block, await_readable,
    int_sockopt, is_cloexec, raw_socket,
};

const LISTENER: Token = Token(0);

#[test]
fn bind_picks_a_port_and_accept_would_block() {
    let listener = TcpListener::bind(any_local_v4()).unwrap();
    let addr = listener.local_addr().unwrap();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_would_block(listener.accept());
}

#[test]
fn bound_socket_is_nonblocking_cloexec_and_reuses_addresses() {
    let listener = TcpListener::bind(any_local_v4()).unwrap();
    // Winsock cannot read the blocking mode back; there the `WouldBlock`
    // from `accept` (bind_picks_a_port_and_accept_would_block) shows it.
    #[cfg(unix)]
    assert!(is_nonblocking(&listener));
    assert!(is_cloexec(&listener));
    #[cfg(unix)]
    {
        assert_ne!(
            int_sockopt(&listener, libc::SOL_SOCKET, libc::SO_REUSEADDR),
            0
        );
        assert_ne!(
            int_sockopt(&listener, libc::SOL_SOCKET, libc::SO_ACCEPTCONN),
            0
        );
    }
    // No SO_REUSEADDR on Windows, where it would let another socket bind
    // the port this one listens on.
    #[cfg(windows)]
    {
        use windows_sys::Win32::Networking::WinSock::{SOL_SOCKET, SO_ACCEPTCONN, SO_REUSEADDR};
        assert_eq!(int_sockopt(&listener, SOL_SOCKET, SO_REUSEADDR), 0);
        assert_ne!(int_sockopt(&listener, SOL_SOCKET, SO_ACCEPTCONN), 0);
    }
}

#[test]
fn binding_a_listening_port_again_fails() {
    let first = TcpListener::bind(any_local_v4()).unwrap();
    let err = TcpListener::bind(first.local_addr().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
}

#[test]
fn accept_reports_the_peer_and_gives_a_nonblocking_stream() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut listener = TcpListener::bind(any_local_v4()).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();

    let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (stream, peer) = accept_one(&mut poll, &mut events, &listener, LISTENER);
    assert_eq!(peer, client.local_addr().unwrap());
    assert_eq!(stream.peer_addr().unwrap(), peer);
    assert_eq!(stream.local_addr().unwrap(), listener.local_addr().unwrap());
    // On Windows the `WouldBlock` read below shows the mode.
    #[cfg(unix)]
    assert!(is_nonblocking(&stream));
    assert!(is_cloexec(&stream));

    // The accepted stream works both ways.
    let mut buf = [0; 8];
    assert_would_block((&stream).read(&mut buf));
    client.write_all(b"ping").unwrap();
    (&stream).write_all(b"pong").unwrap();
    client.read_exact(&mut buf[..4]).unwrap();
    assert_eq!(&buf[..4], b"pong");
}

#[test]
fn one_event_then_accept_drains_every_waiting_connection() {
    const CLIENTS: usize = 8;
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut listener = TcpListener::bind(any_local_v4()).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let addr = listener.local_addr().unwrap();

    // Blocking connects complete once the kernel queued the connection.
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| std::net::TcpStream::connect(addr).unwrap())
        .collect();

    await_readable(&mut poll, &mut events, LISTENER);
    let mut peers = Vec::new();
    loop {
        match listener.accept() {
            Ok((_, peer)) => peers.push(peer),
            Err(err) if err.kind() == ErrorKind::WouldBlock => break,
            Err(err) => panic!("accept: {err}"),
        }
    }
    let mut expected: Vec<SocketAddr> = clients.iter().map(|c| c.local_addr().unwrap()).collect();
    peers.sort();
    expected.sort();
    assert_eq!(peers, expected);

    // Drained: edge-triggered, so no new event until a new connection.
    assert_no_event(&mut poll, &mut events, LISTENER, "after draining");
    let _late = std::net::TcpStream::connect(addr).unwrap();
    await_readable(&mut poll, &mut events, LISTENER);
    assert!(listener.accept().is_ok());
}

#[test]
fn deregistered_listener_gets_no_events() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut listener = TcpListener::bind(any_local_v4()).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    poll.registry().deregister(&mut listener).unwrap();

    let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    assert_no_event(&mut poll, &mut events, LISTENER, "after deregister");

    // Registering again delivers the connection that is still waiting.
    poll.registry()
        .register(&mut listener, Token(7), Interest::READABLE)
        .unwrap();
    await_readable(&mut poll, &mut events, Token(7));
    assert!(listener.accept().is_ok());
}

#[test]
fn ipv6_listener_accepts() {
    let Some(addr) = any_local_v6() else { return };
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut listener = TcpListener::bind(addr).unwrap();
    assert!(listener.local_addr().unwrap().is_ipv6());
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (_stream, peer) = accept_one(&mut poll, &mut events, &listener, LISTENER);
    assert_eq!(peer, client.local_addr().unwrap());
    assert!(peer.is_ipv6());
}

#[test]
fn ttl_and_take_error() {
    let listener = TcpListener::bind(any_local_v4()).unwrap();
    listener.set_ttl(42).unwrap();
    assert_eq!(listener.ttl().unwrap(), 42);
    assert!(listener.take_error().unwrap().is_none());
}

#[test]
fn from_std_keeps_the_socket_and_into_std_gives_it_back() {
    let std_listener = std::net::TcpListener::bind(any_local_v4()).unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let fd = raw_socket(&std_listener);

    let listener = TcpListener::from_std(std_listener);
    assert_eq!(raw_socket(&listener), fd);
    assert_eq!(listener.local_addr().unwrap(), addr);
    assert_would_block(listener.accept());

    let back: std::net::TcpListener = listener.into();
    assert_eq!(raw_socket(&back), fd);
    assert_eq!(back.local_addr().unwrap(), addr);
    // Still non-blocking.
    assert_eq!(back.accept().unwrap_err().kind(), ErrorKind::WouldBlock);
}

// Unix only: Winsock cannot read a socket's blocking mode back, and
// accepting on a blocking listener to find out would hang.
#[cfg(unix)]
#[test]
fn from_std_does_not_change_the_blocking_mode() {
    let std_listener = std::net::TcpListener::bind(any_local_v4()).unwrap();
    let listener = TcpListener::from_std(std_listener);
    assert!(!is_nonblocking(&listener));
}

#[cfg(unix)]
#[test]
fn fd_conversions_round_trip() {
    let listener = TcpListener::bind(any_local_v4()).unwrap();
    let addr = listener.local_addr().unwrap();
    let fd = listener.as_raw_fd();
    assert_eq!(listener.as_fd().as_raw_fd(), fd);

    let raw = listener.into_raw_fd();
    assert_eq!(raw, fd);
    // SAFETY: `raw` came from `into_raw_fd` and is owned by nothing else.
    let listener = unsafe { TcpListener::from_raw_fd(raw) };
    assert_eq!(listener.local_addr().unwrap(), addr);

    let owned = OwnedFd::from(listener);
    assert_eq!(owned.as_raw_fd(), fd);
    let listener = TcpListener::from(owned);
    assert_eq!(listener.local_addr().unwrap(), addr);
    assert_would_block(listener.accept());
}

#[cfg(windows)]
#[test]
fn socket_conversions_round_trip() {
    let listener = TcpListener::bind(any_local_v4()).unwrap();
    let addr = listener.local_addr().unwrap();
    let socket = listener.as_raw_socket();
    assert_eq!(listener.as_socket().as_raw_socket(), socket);

    let raw = listener.into_raw_socket();
    assert_eq!(raw, socket);
    // SAFETY: `raw` came from `into_raw_socket` and is owned by nothing else.
    let listener = unsafe { TcpListener::from_raw_socket(raw) };
    assert_eq!(listener.local_addr().unwrap(), addr);

    let owned = OwnedSocket::from(listener);
    assert_eq!(owned.as_raw_socket(), socket);
    let listener = TcpListener::from(owned);
    assert_eq!(listener.local_addr().unwrap(), addr);
    assert_would_block(listener.accept());
}

#[test]
fn debug_shows_the_address() {
    let listener = TcpListener::bind(any_local_v4()).unwrap();
    let text = format!("{listener:?}");
    let addr = listener.local_addr().unwrap().to_string();
    assert!(text.contains(&addr), "{text}");
    assert!(text.contains("TcpListener"), "{text}");
}

/// A listener asked first for READABLE and then, before any poll, for
/// WRITABLE only is not reported when a client connects: a listener never
/// becomes writable, and the earlier interest is gone. (wasi-libc's poll(2)
/// treated the listening socket like a connecting one.)
#[test]
fn listener_reregistered_writable_reports_no_connection() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut listener = TcpListener::bind(any_local_v4()).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    poll.registry()
        .reregister(&mut listener, LISTENER, Interest::WRITABLE)
        .unwrap();

    const CLIENT: Token = Token(1);
    let mut client = mio::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    poll.registry()
        .register(&mut client, CLIENT, Interest::WRITABLE)
        .unwrap();
    // Polls (which also complete the client's connect) report nothing for
    // the listener.
    for _ in 0..4 {
        assert_no_event(&mut poll, &mut events, LISTENER, "writable listener");
    }

    // The connection is there: asking for READABLE again reports it.
    poll.registry()
        .reregister(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let (_stream, peer) = accept_one(&mut poll, &mut events, &listener, LISTENER);
    assert_eq!(peer, client.local_addr().unwrap());
}
