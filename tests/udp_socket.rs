//! `mio::net::UdpSocket`: datagrams over loopback, connected sockets,
//! options and conversions.
#![cfg(all(feature = "os-poll", feature = "net"))]

mod net_util;

use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::unix::io::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};

use net_util::{
    any_local_v4, any_local_v6, assert_no_event, assert_would_block, await_event, await_readable,
    await_writable, int_sockopt, is_cloexec, is_nonblocking,
};

const A: Token = Token(0);
const B: Token = Token(1);

/// Receives one datagram from the registered `socket`, waiting for a
/// readable event if none is queued.
fn recv_one(
    poll: &mut Poll,
    events: &mut Events,
    socket: &UdpSocket,
    token: Token,
) -> (Vec<u8>, SocketAddr) {
    let mut buf = [0; 2048];
    loop {
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => return (buf[..n].to_vec(), from),
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                await_readable(poll, events, token);
            }
            Err(err) => panic!("recv_from: {err}"),
        }
    }
}

fn registered_pair(poll: &mut Poll, addr: SocketAddr) -> (UdpSocket, UdpSocket) {
    let mut a = UdpSocket::bind(addr).unwrap();
    let mut b = UdpSocket::bind(addr).unwrap();
    poll.registry()
        .register(&mut a, A, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    poll.registry()
        .register(&mut b, B, Interest::READABLE | Interest::WRITABLE)
        .unwrap();
    (a, b)
}

#[test]
fn bind_gives_a_nonblocking_cloexec_socket_without_reuseaddr() {
    let socket = UdpSocket::bind(any_local_v4()).unwrap();
    let addr = socket.local_addr().unwrap();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert!(is_nonblocking(&socket));
    assert!(is_cloexec(&socket));
    assert_eq!(
        int_sockopt(&socket, libc::SOL_SOCKET, libc::SO_REUSEADDR),
        0
    );
    assert_eq!(
        int_sockopt(&socket, libc::SOL_SOCKET, libc::SO_TYPE),
        libc::SOCK_DGRAM
    );
    assert_would_block(socket.recv_from(&mut [0; 8]));
    // Not connected.
    assert_eq!(
        socket.peer_addr().unwrap_err().kind(),
        ErrorKind::NotConnected
    );
}

#[test]
fn binding_a_used_port_fails() {
    let first = UdpSocket::bind(any_local_v4()).unwrap();
    let err = UdpSocket::bind(first.local_addr().unwrap()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
}

#[test]
fn send_to_and_recv_from() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (a, b) = registered_pair(&mut poll, any_local_v4());

    await_writable(&mut poll, &mut events, A);
    let sent = a.send_to(b"hello", b.local_addr().unwrap()).unwrap();
    assert_eq!(sent, 5);
    let (data, from) = recv_one(&mut poll, &mut events, &b, B);
    assert_eq!(data, b"hello");
    assert_eq!(from, a.local_addr().unwrap());

    b.send_to(b"back", from).unwrap();
    let (data, from) = recv_one(&mut poll, &mut events, &a, A);
    assert_eq!(data, b"back");
    assert_eq!(from, b.local_addr().unwrap());
}

#[test]
fn each_datagram_is_received_whole_and_draining_takes_them_all() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (a, b) = registered_pair(&mut poll, any_local_v4());
    let target = b.local_addr().unwrap();

    for i in 0..10u8 {
        a.send_to(&[i; 3], target).unwrap();
    }
    await_readable(&mut poll, &mut events, B);
    let mut got = Vec::new();
    let mut buf = [0; 64];
    // Datagrams sent over loopback are queued by the time send_to returns.
    loop {
        match b.recv_from(&mut buf) {
            Ok((n, _)) => got.push(buf[..n].to_vec()),
            Err(err) if err.kind() == ErrorKind::WouldBlock => break,
            Err(err) => panic!("recv_from: {err}"),
        }
    }
    let expected: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i; 3]).collect();
    assert_eq!(got, expected);
    assert_no_event(&mut poll, &mut events, B, "after draining");
}

#[test]
fn a_short_buffer_truncates_the_datagram() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (a, b) = registered_pair(&mut poll, any_local_v4());
    a.send_to(b"0123456789", b.local_addr().unwrap()).unwrap();
    a.send_to(b"next", b.local_addr().unwrap()).unwrap();
    await_readable(&mut poll, &mut events, B);
    let mut small = [0; 4];
    let (n, _) = b.recv_from(&mut small).unwrap();
    assert_eq!((n, &small), (4, b"0123"));
    // The rest of the first datagram is gone.
    let (data, _) = recv_one(&mut poll, &mut events, &b, B);
    assert_eq!(data, b"next");
}

#[test]
fn connected_sockets_send_and_recv() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (a, b) = registered_pair(&mut poll, any_local_v4());
    let stranger = UdpSocket::bind(any_local_v4()).unwrap();

    a.connect(b.local_addr().unwrap()).unwrap();
    b.connect(a.local_addr().unwrap()).unwrap();
    assert_eq!(a.peer_addr().unwrap(), b.local_addr().unwrap());

    // Datagrams from others are filtered out of a connected socket.
    stranger.send_to(b"noise", b.local_addr().unwrap()).unwrap();
    assert_eq!(a.send(b"signal").unwrap(), 6);
    await_readable(&mut poll, &mut events, B);
    let mut buf = [0; 16];
    let n = b.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"signal");
    assert_would_block(b.recv(&mut buf));

    b.send(b"reply").unwrap();
    await_readable(&mut poll, &mut events, A);
    let n = a.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"reply");
}

#[test]
fn send_on_an_unconnected_socket_fails() {
    let socket = UdpSocket::bind(any_local_v4()).unwrap();
    let err = socket.send(b"nowhere").unwrap_err();
    assert!(
        matches!(
            err.raw_os_error(),
            Some(libc::EDESTADDRREQ) | Some(libc::ENOTCONN)
        ),
        "{err:?}"
    );
}

#[test]
fn peek_and_peek_from_leave_the_datagram_queued() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (a, b) = registered_pair(&mut poll, any_local_v4());
    let mut buf = [0; 16];
    assert_would_block(b.peek_from(&mut buf));

    a.send_to(b"look", b.local_addr().unwrap()).unwrap();
    await_readable(&mut poll, &mut events, B);
    let (n, from) = b.peek_from(&mut buf).unwrap();
    assert_eq!((&buf[..n], from), (&b"look"[..], a.local_addr().unwrap()));
    let (n, _) = b.peek_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"look");

    b.connect(a.local_addr().unwrap()).unwrap();
    let n = b.peek(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"look");
    let n = b.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"look");
    assert_would_block(b.peek(&mut buf));
}

#[test]
fn connected_to_a_closed_port_reports_the_error() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut socket = UdpSocket::bind(any_local_v4()).unwrap();
    // A port that was free a moment ago and is closed again. (Another
    // program could bind it meanwhile; on a test machine that is unlikely.)
    let closed = {
        let gone = std::net::UdpSocket::bind(any_local_v4()).unwrap();
        gone.local_addr().unwrap()
    };
    socket.connect(closed).unwrap();
    poll.registry()
        .register(&mut socket, A, Interest::READABLE)
        .unwrap();
    socket.send(b"anyone?").unwrap();
    // Linux turns the ICMP port-unreachable into a pending socket error.
    let event = await_event(&mut poll, &mut events, A, "an error", |e| e.error);
    assert!(event.error, "{event:?}");
    let err = socket.take_error().unwrap().expect("a pending error");
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
    assert!(socket.take_error().unwrap().is_none());
}

#[test]
fn options_can_be_set_and_read() {
    let socket = UdpSocket::bind(any_local_v4()).unwrap();

    socket.set_broadcast(true).unwrap();
    assert!(socket.broadcast().unwrap());
    socket.set_broadcast(false).unwrap();
    assert!(!socket.broadcast().unwrap());

    socket.set_multicast_loop_v4(false).unwrap();
    assert!(!socket.multicast_loop_v4().unwrap());
    socket.set_multicast_loop_v4(true).unwrap();
    assert!(socket.multicast_loop_v4().unwrap());

    socket.set_multicast_ttl_v4(9).unwrap();
    assert_eq!(socket.multicast_ttl_v4().unwrap(), 9);

    socket.set_ttl(33).unwrap();
    assert_eq!(socket.ttl().unwrap(), 33);

    assert!(socket.take_error().unwrap().is_none());
    // IPV6_V6ONLY is not an option of an IPv4 socket.
    assert!(socket.only_v6().is_err());
}

#[test]
fn multicast_membership_v4() {
    let socket = UdpSocket::bind("0.0.0.0:0".parse().unwrap()).unwrap();
    let group = Ipv4Addr::new(239, 255, 43, 21);
    // Joining needs a multicast-capable route; sandboxes may have none.
    match socket.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST) {
        Ok(()) => socket
            .leave_multicast_v4(&group, &Ipv4Addr::LOCALHOST)
            .unwrap(),
        Err(err) => eprintln!("skipping multicast v4 membership: {err}"),
    }
    // Not a multicast address: always refused.
    let err = socket
        .join_multicast_v4(&Ipv4Addr::new(10, 0, 0, 1), &Ipv4Addr::UNSPECIFIED)
        .unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err:?}");
}

#[test]
fn ipv6_round_trip_and_options() {
    let Some(addr) = any_local_v6() else { return };
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (a, b) = registered_pair(&mut poll, addr);
    assert!(a.local_addr().unwrap().is_ipv6());

    a.send_to(b"six", b.local_addr().unwrap()).unwrap();
    let (data, from) = recv_one(&mut poll, &mut events, &b, B);
    assert_eq!(data, b"six");
    assert_eq!(from, a.local_addr().unwrap());

    // The answer depends on the `net.ipv6.bindv6only` sysctl; it must be
    // readable either way.
    let only_v6 = a.only_v6().unwrap();
    assert_eq!(
        only_v6,
        int_sockopt(&a, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY) != 0
    );

    a.set_multicast_loop_v6(false).unwrap();
    assert!(!a.multicast_loop_v6().unwrap());
    a.set_multicast_loop_v6(true).unwrap();
    assert!(a.multicast_loop_v6().unwrap());

    let group: Ipv6Addr = "ff15::4321".parse().unwrap();
    // Interface 1 is loopback on Linux; joining may still be refused in a
    // sandbox without IPv6 multicast.
    match a.join_multicast_v6(&group, 1) {
        Ok(()) => a.leave_multicast_v6(&group, 1).unwrap(),
        Err(err) => eprintln!("skipping multicast v6 membership: {err}"),
    }
}

#[test]
fn try_io_passes_results_through() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (a, b) = registered_pair(&mut poll, any_local_v4());
    let target = b.local_addr().unwrap();
    assert_eq!(a.try_io(|| a.send_to(b"try", target)).unwrap(), 3);
    await_readable(&mut poll, &mut events, B);
    let mut buf = [0; 8];
    let (n, _) = b.try_io(|| b.recv_from(&mut buf)).unwrap();
    assert_eq!(&buf[..n], b"try");
    assert_would_block(b.try_io(|| b.recv_from(&mut buf)));
}

#[test]
fn from_std_keeps_the_socket_and_into_std_gives_it_back() {
    let std_socket = std::net::UdpSocket::bind(any_local_v4()).unwrap();
    std_socket.set_nonblocking(true).unwrap();
    let addr = std_socket.local_addr().unwrap();
    let fd = std_socket.as_raw_fd();

    let socket = UdpSocket::from_std(std_socket);
    assert_eq!(socket.as_raw_fd(), fd);
    assert_eq!(socket.local_addr().unwrap(), addr);
    assert_would_block(socket.recv(&mut [0; 4]));

    let back: std::net::UdpSocket = socket.into();
    assert_eq!(back.as_raw_fd(), fd);
    assert_eq!(
        back.recv(&mut [0; 4]).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

#[test]
fn from_std_does_not_change_the_blocking_mode() {
    let std_socket = std::net::UdpSocket::bind(any_local_v4()).unwrap();
    let socket = UdpSocket::from_std(std_socket);
    assert!(!is_nonblocking(&socket));
}

#[test]
fn fd_conversions_round_trip() {
    let socket = UdpSocket::bind(any_local_v4()).unwrap();
    let addr = socket.local_addr().unwrap();
    let fd = socket.as_raw_fd();
    assert_eq!(socket.as_fd().as_raw_fd(), fd);

    let raw = socket.into_raw_fd();
    assert_eq!(raw, fd);
    // SAFETY: `raw` came from `into_raw_fd` and is owned by nothing else.
    let socket = unsafe { UdpSocket::from_raw_fd(raw) };
    assert_eq!(socket.local_addr().unwrap(), addr);

    let owned = OwnedFd::from(socket);
    assert_eq!(owned.as_raw_fd(), fd);
    let socket = UdpSocket::from(owned);
    assert_eq!(socket.local_addr().unwrap(), addr);
}

#[test]
fn debug_shows_the_address() {
    let socket = UdpSocket::bind(any_local_v4()).unwrap();
    let text = format!("{socket:?}");
    assert!(text.contains("UdpSocket"), "{text}");
    assert!(
        text.contains(&socket.local_addr().unwrap().to_string()),
        "{text}"
    );
}
