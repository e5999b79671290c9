#![cfg(all(unix, feature = "os-poll", feature = "net"))]

use std::io::ErrorKind;
use std::net::Shutdown;
use std::os::unix::io::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::net as stdnet;
use std::time::Instant;

use mio::net::UnixDatagram;
use mio::{Events, Interest, Poll, Token};

mod uds_util;
use uds_util::*;

const A: Token = Token(1);
const B: Token = Token(2);

fn poll() -> (Poll, Events) {
    (Poll::new().unwrap(), Events::with_capacity(16))
}

/// Receives one datagram at `socket` (registered with `poll`), waiting for
/// events as needed.
fn recv_one(
    poll: &mut Poll,
    events: &mut Events,
    socket: &UnixDatagram,
) -> (Vec<u8>, std::os::unix::net::SocketAddr) {
    let deadline = Instant::now() + DEADLINE;
    let mut buf = [0; 1024];
    loop {
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => return (buf[..n].to_vec(), from),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                poll_once(poll, events, deadline, "a datagram");
            }
            Err(e) => panic!("recv_from failed: {e}"),
        }
    }
}

#[test]
fn send_to_and_recv_from_between_paths() {
    let dir = TempDir::new();
    let path_a = dir.join("a.sock");
    let path_b = dir.join("b.sock");
    let (mut poll, mut events) = poll();
    let mut a = UnixDatagram::bind(&path_a).unwrap();
    let mut b = UnixDatagram::bind(&path_b).unwrap();
    assert_eq!(a.local_addr().unwrap().as_pathname(), Some(&*path_a));
    poll.registry()
        .register(&mut a, A, Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE | Interest::WRITABLE)
        .unwrap();

    assert_eq!(a.send_to(b"to b", &path_b).unwrap(), 4);
    wait_readable(&mut poll, &mut events, B);
    let (data, from) = recv_one(&mut poll, &mut events, &b);
    assert_eq!(data, b"to b");
    assert_eq!(from.as_pathname(), Some(&*path_a));

    // Reply to the address the datagram came from.
    b.send_to(b"to a", from.as_pathname().unwrap()).unwrap();
    let (data, from) = recv_one(&mut poll, &mut events, &a);
    assert_eq!(data, b"to a");
    assert_eq!(from.as_pathname(), Some(&*path_b));

    // Not connected: no peer.
    let err = a.peer_addr().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotConnected);
    let err = a.send(b"nowhere").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotConnected);
}

#[test]
fn unbound_sender_is_unnamed() {
    let dir = TempDir::new();
    let path = dir.join("rx.sock");
    let (mut poll, mut events) = poll();
    let mut rx = UnixDatagram::bind(&path).unwrap();
    poll.registry()
        .register(&mut rx, B, Interest::READABLE)
        .unwrap();
    let tx = UnixDatagram::unbound().unwrap();
    assert!(tx.local_addr().unwrap().is_unnamed());
    tx.send_to(b"anon", &path).unwrap();
    let (data, from) = recv_one(&mut poll, &mut events, &rx);
    assert_eq!(data, b"anon");
    assert!(from.is_unnamed());

    let err = tx.send_to(b"x", dir.join("missing.sock")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn connect_then_send_and_recv() {
    let dir = TempDir::new();
    let path = dir.join("server.sock");
    let (mut poll, mut events) = poll();
    let mut server = UnixDatagram::bind(&path).unwrap();
    poll.registry()
        .register(&mut server, B, Interest::READABLE)
        .unwrap();
    let client = UnixDatagram::unbound().unwrap();
    client.connect(&path).unwrap();
    assert_eq!(client.peer_addr().unwrap().as_pathname(), Some(&*path));
    assert_eq!(client.send(b"connected").unwrap(), 9);

    wait_readable(&mut poll, &mut events, B);
    let mut buf = [0; 32];
    let n = server.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"connected");
    assert_would_block(server.recv(&mut buf));
    assert!(client.take_error().unwrap().is_none());
}

#[test]
fn pair_keeps_datagram_boundaries() {
    let (mut poll, mut events) = poll();
    let (a, mut b) = UnixDatagram::pair().unwrap();
    assert!(a.local_addr().unwrap().is_unnamed());
    assert!(a.peer_addr().unwrap().is_unnamed());
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();

    a.send(b"first").unwrap();
    a.send(b"second!").unwrap();
    wait_readable(&mut poll, &mut events, B);
    let mut buf = [0; 64];
    assert_eq!(b.recv(&mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"first");
    let (n, from) = b.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"second!");
    assert!(from.is_unnamed());

    // A short buffer truncates; the rest of that datagram is gone.
    a.send(b"truncated").unwrap();
    // The queue was emptied without reaching `WouldBlock`: epoll reports the
    // new datagram anyway, as a wake-up of the socket. Epoll only: the
    // poll(2) backend re-arms on `WouldBlock`, which is all mio promises
    // (the datagram is queued by the time `send` returns).
    #[cfg(not(mio_unsupported_force_poll_poll))]
    wait_readable(&mut poll, &mut events, B);
    let mut small = [0; 4];
    assert_eq!(b.recv(&mut small).unwrap(), 4);
    assert_eq!(&small, b"trun");
    assert_would_block(b.recv(&mut buf));
}

/// Fill the peer's queue to `WouldBlock`, drain it to `WouldBlock`: every
/// datagram arrives and the sender gets a writable edge again.
#[test]
fn edge_triggered_fill_and_drain() {
    let (mut poll, mut events) = poll();
    let (mut a, mut b) = UnixDatagram::pair().unwrap();
    poll.registry()
        .register(&mut a, A, Interest::WRITABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();
    wait_writable(&mut poll, &mut events, A);

    let mut sent = 0u32;
    loop {
        match a.send(&sent.to_be_bytes()) {
            Ok(4) => sent += 1,
            Ok(n) => panic!("short datagram: {n}"),
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) => panic!("send failed: {e}"),
        }
        assert!(sent < 1_000_000, "queue never filled");
    }
    assert!(sent > 0);

    let deadline = Instant::now() + DEADLINE;
    let mut received = 0u32;
    let mut writable_again = false;
    let mut buf = [0; 16];
    while received < sent || !writable_again {
        poll_once(
            &mut poll,
            &mut events,
            deadline,
            "all datagrams and a writable edge",
        );
        for event in events.iter() {
            if event.token() == A && event.is_writable() {
                writable_again = true;
            }
        }
        loop {
            match b.recv(&mut buf) {
                Ok(n) => {
                    assert_eq!(n, 4);
                    // In order, none lost.
                    assert_eq!(buf[..4], received.to_be_bytes());
                    received += 1;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("recv failed: {e}"),
            }
        }
    }
    assert_eq!(received, sent);
    expect_no_event(&mut poll, &mut events, B);
    a.send(b"more").unwrap();
}

#[test]
fn shutdown_read_and_write() {
    let (mut poll, mut events) = poll();
    let (a, mut b) = UnixDatagram::pair().unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();

    b.shutdown(Shutdown::Read).unwrap();
    let seen = wait_for(&mut poll, &mut events, B, "read_closed", |e| {
        e.is_read_closed()
    });
    assert!(seen.readable);
    // Linux keeps reporting `WouldBlock` for a datagram socket (only
    // SOCK_SEQPACKET gets end-of-file); other kernels may return Ok(0).
    let mut buf = [0; 8];
    match b.recv(&mut buf) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("recv after shutdown: {other:?}"),
    }

    a.shutdown(Shutdown::Write).unwrap();
    let err = a.send(b"x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
}

#[test]
fn dropped_peer_fails_sends() {
    let (a, b) = UnixDatagram::pair().unwrap();
    drop(b);
    let err = a.send(b"gone").unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
        ),
        "{err}"
    );
}

#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn abstract_addresses() {
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::SocketAddr;

    let (mut poll, mut events) = poll();
    let name_rx = abstract_name();
    let name_tx = abstract_name();
    let addr_rx = SocketAddr::from_abstract_name(&name_rx).unwrap();
    let addr_tx = SocketAddr::from_abstract_name(&name_tx).unwrap();
    let mut rx = UnixDatagram::bind_addr(&addr_rx).unwrap();
    let tx = UnixDatagram::bind_addr(&addr_tx).unwrap();
    assert_eq!(
        rx.local_addr().unwrap().as_abstract_name(),
        Some(&name_rx[..])
    );
    poll.registry()
        .register(&mut rx, B, Interest::READABLE)
        .unwrap();

    // mio's send_to takes paths; reach the abstract name through std on a
    // second handle to the same socket.
    let tx_std = stdnet::UnixDatagram::from(tx.as_fd().try_clone_to_owned().unwrap());
    tx_std.send_to_addr(b"abstract", &addr_rx).unwrap();
    let (data, from) = recv_one(&mut poll, &mut events, &rx);
    assert_eq!(data, b"abstract");
    assert_eq!(from.as_abstract_name(), Some(&name_tx[..]));
}

#[test]
fn from_std_keeps_its_mode() {
    let (mut poll, mut events) = poll();
    let (a, b) = stdnet::UnixDatagram::pair().unwrap();
    b.set_nonblocking(true).unwrap();
    let mut b = UnixDatagram::from_std(b);
    let mut buf = [0; 4];
    assert_would_block(b.recv(&mut buf));
    poll.registry()
        .register(&mut b, B, Interest::READABLE)
        .unwrap();
    a.send(b"std").unwrap();
    let (data, _) = recv_one(&mut poll, &mut events, &b);
    assert_eq!(data, b"std");
}

#[test]
fn try_io_passes_results_through() {
    let (a, b) = UnixDatagram::pair().unwrap();
    let dup = stdnet::UnixDatagram::from(b.as_fd().try_clone_to_owned().unwrap());
    let mut buf = [0; 8];
    assert_would_block(b.try_io(|| dup.recv(&mut buf)));
    a.send(b"raw").unwrap();
    let n = b.try_io(|| dup.recv(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"raw");
}

#[test]
fn fd_conversions_round_trip() {
    let (a, b) = UnixDatagram::pair().unwrap();
    let raw = a.as_raw_fd();
    assert_eq!(a.as_fd().as_raw_fd(), raw);
    let raw = a.into_raw_fd();
    // SAFETY: `raw` came from `into_raw_fd` and nothing else owns it.
    let a = unsafe { UnixDatagram::from_raw_fd(raw) };
    let owned = OwnedFd::from(a);
    assert_eq!(owned.as_raw_fd(), raw);
    let a = UnixDatagram::from(owned);
    let std_a = stdnet::UnixDatagram::from(a);
    assert_eq!(std_a.as_raw_fd(), raw);
    let a = UnixDatagram::from_std(std_a);

    a.send(b"same").unwrap();
    let mut buf = [0; 8];
    assert_eq!(b.recv(&mut buf).unwrap(), 4);
}

#[test]
fn debug_shows_the_socket() {
    let dir = TempDir::new();
    let socket = UnixDatagram::bind(dir.join("dbg.sock")).unwrap();
    let text = format!("{socket:?}");
    assert!(text.contains("UnixDatagram"), "{text}");
    assert!(text.contains("dbg.sock"), "{text}");
}

#[cfg(target_os = "linux")]
#[test]
fn created_sockets_are_non_blocking_and_close_on_exec() {
    let dir = TempDir::new();
    let bound = UnixDatagram::bind(dir.join("f.sock")).unwrap();
    let unbound = UnixDatagram::unbound().unwrap();
    let (a, b) = UnixDatagram::pair().unwrap();
    for fd in [&bound, &unbound, &a, &b].map(|s| s.as_raw_fd()) {
        assert_eq!(fd_flags(fd), (true, true));
    }
}

#[test]
fn bind_errors() {
    let dir = TempDir::new();
    let path = dir.join("taken.sock");
    let _first = UnixDatagram::bind(&path).unwrap();
    let err = UnixDatagram::bind(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    let err = UnixDatagram::bind(dir.join(&"z".repeat(120))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}
