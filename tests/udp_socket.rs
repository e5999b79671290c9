//! `mio::net::UdpSocket`: datagrams over loopback, connected sockets,
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

use std::io::ErrorKind;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
#[cfg(any(unix, target_os = "wasi"))]
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
#[cfg(windows)]
use std::os::windows::io::{AsRawSocket, AsSocket, FromRawSocket, IntoRawSocket, OwnedSocket};
use std::time::Duration;

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};

#[cfg(not(any(mio_unsupported_force_poll_poll, windows, target_os = "wasi")))]
use net_util::assert_no_event;
#[cfg(unix)]
use net_util::is_nonblocking;
use net_util::{
    any_local_v4, any_local_v6, assert_would_block, await_event, await_readable, await_writable,
    int_sockopt, is_cloexec, raw_socket, under_wine,
};
#[cfg(windows)]
use windows_sys::Win32::Networking::WinSock as winsock;

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
    // Winsock cannot read the blocking mode back; the `WouldBlock` below
    // shows it there.
    #[cfg(unix)]
    assert!(is_nonblocking(&socket));
    assert!(is_cloexec(&socket));
    #[cfg(unix)]
    {
        assert_eq!(
            int_sockopt(&socket, libc::SOL_SOCKET, libc::SO_REUSEADDR),
            0
        );
        assert_eq!(
            int_sockopt(&socket, libc::SOL_SOCKET, libc::SO_TYPE),
            libc::SOCK_DGRAM
        );
    }
    #[cfg(windows)]
    {
        use winsock::{SOCK_DGRAM, SOL_SOCKET, SO_REUSEADDR, SO_TYPE};
        assert_eq!(int_sockopt(&socket, SOL_SOCKET, SO_REUSEADDR), 0);
        assert_eq!(int_sockopt(&socket, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
    }
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
    // Epoll only: on the poll(2) backend, reaching `WouldBlock` re-arms every
    // interest of the socket (its I/O calls do not say which direction
    // blocked), so B's writable readiness, reported before, is reported
    // again: a spurious event, which mio allows. Windows re-arms the same
    // way.
    #[cfg(not(any(mio_unsupported_force_poll_poll, windows, target_os = "wasi")))]
    assert_no_event(&mut poll, &mut events, B, "after draining");
    // Nothing readable, though. (Not checked on WASI: jco's host may report
    // the drained socket readable again, a spurious event mio allows.)
    #[cfg(any(mio_unsupported_force_poll_poll, windows))]
    {
        net_util::poll_retrying(&mut poll, &mut events, Some(net_util::SILENCE));
        for event in events.iter() {
            assert!(
                event.token() != B || !event.is_readable(),
                "after draining: unexpected {:?}",
                event
            );
        }
    }
}

// Not on WASI: there a receive into a short buffer leaves the datagram
// queued (the next receive returns it whole) instead of discarding the rest.
#[cfg(not(target_os = "wasi"))]
#[test]
fn a_short_buffer_truncates_the_datagram() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (a, b) = registered_pair(&mut poll, any_local_v4());
    a.send_to(b"0123456789", b.local_addr().unwrap()).unwrap();
    a.send_to(b"next", b.local_addr().unwrap()).unwrap();
    await_readable(&mut poll, &mut events, B);
    let mut small = [0; 4];
    #[cfg(unix)]
    {
        let (n, _) = b.recv_from(&mut small).unwrap();
        assert_eq!((n, &small), (4, b"0123"));
    }
    // Winsock fills the buffer and reports the truncation as WSAEMSGSIZE.
    #[cfg(windows)]
    {
        let err = b.recv_from(&mut small).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(winsock::WSAEMSGSIZE), "{err:?}");
        assert_eq!(&small, b"0123");
    }
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
    #[cfg(unix)]
    assert!(
        matches!(
            err.raw_os_error(),
            Some(libc::EDESTADDRREQ) | Some(libc::ENOTCONN)
        ),
        "{err:?}"
    );
    // Wine answers WSAEINVAL where Windows answers WSAENOTCONN.
    #[cfg(windows)]
    assert!(
        matches!(
            err.raw_os_error(),
            Some(winsock::WSAEDESTADDRREQ) | Some(winsock::WSAENOTCONN)
        ) || under_wine() && err.raw_os_error() == Some(winsock::WSAEINVAL),
        "{err:?}"
    );
}

// Not on WASI: wasi-libc's recv(2) rejects MSG_PEEK (`Unsupported`).
#[cfg(not(target_os = "wasi"))]
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

// Not on WASI: its UDP sockets report no ICMP errors.
#[cfg(not(target_os = "wasi"))]
#[test]
#[cfg_attr(
    mio_unsupported_force_kqueue,
    ignore = "libkqueue: reads SO_ERROR for each error event, which clears the socket's pending error"
)]
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
    // Taking the error cleared it. Not under wine, whose SO_ERROR keeps
    // returning the error (Windows resets it when read).
    if !under_wine() {
        assert!(socket.take_error().unwrap().is_none());
    }
}

// Not on WASI: its sockets have none of these options (wasi-libc returns
// `ENOPROTOOPT`).
#[cfg(not(target_os = "wasi"))]
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
    #[cfg(unix)]
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err:?}");
    #[cfg(windows)]
    assert_eq!(err.raw_os_error(), Some(winsock::WSAEINVAL), "{err:?}");
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

    // WASI sockets have none of the options below (`ENOPROTOOPT`).
    #[cfg(not(target_os = "wasi"))]
    ipv6_options(&a);
}

#[cfg(not(target_os = "wasi"))]
fn ipv6_options(a: &UdpSocket) {
    // The answer depends on the `net.ipv6.bindv6only` sysctl; it must be
    // readable either way.
    let only_v6 = a.only_v6().unwrap();
    #[cfg(unix)]
    assert_eq!(
        only_v6,
        int_sockopt(a, libc::IPPROTO_IPV6, libc::IPV6_V6ONLY) != 0
    );
    #[cfg(windows)]
    assert_eq!(
        only_v6,
        int_sockopt(a, winsock::IPPROTO_IPV6, winsock::IPV6_V6ONLY) != 0
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
    let mut buf = [0; 8];
    // A readable event may be spurious (mio allows it; jco's WASI host
    // gives some): wait again on `WouldBlock`.
    let n = loop {
        await_readable(&mut poll, &mut events, B);
        match b.try_io(|| b.recv_from(&mut buf)) {
            Ok((n, _)) => break n,
            Err(err) if err.kind() == ErrorKind::WouldBlock => {}
            Err(err) => panic!("recv_from: {err}"),
        }
    };
    assert_eq!(&buf[..n], b"try");
    assert_would_block(b.try_io(|| b.recv_from(&mut buf)));
}

#[test]
fn from_std_keeps_the_socket_and_into_std_gives_it_back() {
    let std_socket = std::net::UdpSocket::bind(any_local_v4()).unwrap();
    std_socket.set_nonblocking(true).unwrap();
    let addr = std_socket.local_addr().unwrap();
    let fd = raw_socket(&std_socket);

    let socket = UdpSocket::from_std(std_socket);
    assert_eq!(raw_socket(&socket), fd);
    assert_eq!(socket.local_addr().unwrap(), addr);
    assert_would_block(socket.recv(&mut [0; 4]));

    let back: std::net::UdpSocket = socket.into();
    assert_eq!(raw_socket(&back), fd);
    assert_eq!(
        back.recv(&mut [0; 4]).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
}

// Unix only: Winsock cannot read a socket's blocking mode back.
// Unix only: WASI's fcntl(F_GETFL) does not work on sockets (`EINVAL`).
#[cfg(unix)]
#[test]
fn from_std_does_not_change_the_blocking_mode() {
    let std_socket = std::net::UdpSocket::bind(any_local_v4()).unwrap();
    let socket = UdpSocket::from_std(std_socket);
    assert!(!is_nonblocking(&socket));
}

#[cfg(any(unix, target_os = "wasi"))]
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

#[cfg(windows)]
#[test]
fn socket_conversions_round_trip() {
    let socket = UdpSocket::bind(any_local_v4()).unwrap();
    let addr = socket.local_addr().unwrap();
    let raw_before = socket.as_raw_socket();
    assert_eq!(socket.as_socket().as_raw_socket(), raw_before);

    let raw = socket.into_raw_socket();
    assert_eq!(raw, raw_before);
    // SAFETY: `raw` came from `into_raw_socket` and is owned by nothing else.
    let socket = unsafe { UdpSocket::from_raw_socket(raw) };
    assert_eq!(socket.local_addr().unwrap(), addr);

    let owned = OwnedSocket::from(socket);
    assert_eq!(owned.as_raw_socket(), raw_before);
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

/// A fresh socket has no pending error: `Ok(None)`, also where the host has
/// no `SO_ERROR` to read (jco's WASI sockets fail it with `ENOPROTOOPT`).
#[test]
fn take_error_of_a_healthy_socket_is_none() {
    let socket = UdpSocket::bind(any_local_v4()).unwrap();
    assert!(socket.take_error().unwrap().is_none());
    let peer = UdpSocket::bind(any_local_v4()).unwrap();
    socket.connect(peer.local_addr().unwrap()).unwrap();
    assert!(socket.take_error().unwrap().is_none());
}

/// A connected UDP socket whose peer port is closed gets an ICMP error:
/// reported once, as an error (readable on Windows, where `recv` returns
/// it), never as read-closed: the socket is not closed, and a caller that
/// keeps read-closed for good (as Tokio does) would then call `recv` in a
/// loop for ever. Under wine `recv` never returns the error (it says
/// `WouldBlock`; wine reports the ICMP error to AFD polls as a connect
/// failure): after that `WouldBlock`, the same condition must not be
/// reported again and again.
// WASI runtimes do not pass ICMP errors on.
#[cfg(not(target_os = "wasi"))]
#[test]
#[cfg_attr(
    mio_unsupported_force_kqueue,
    ignore = "libkqueue: flags every error event EV_EOF, and reads (so clears) SO_ERROR"
)]
fn icmp_error_on_a_connected_socket_is_reported_once_and_not_as_closed() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut socket = UdpSocket::bind(any_local_v4()).unwrap();
    // A port nobody listens on any more.
    let closed = std::net::UdpSocket::bind(any_local_v4()).unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    socket.connect(closed_addr).unwrap();
    poll.registry()
        .register(&mut socket, A, Interest::READABLE)
        .unwrap();
    socket.send(b"anyone?").unwrap();

    let seen = await_event(&mut poll, &mut events, A, "the ICMP error", |o| {
        o.readable || o.error
    });
    assert!(
        !seen.read_closed,
        "an ICMP error is not a closed socket: {seen:?}"
    );

    let mut buf = [0; 16];
    let mut repeated = Vec::new();
    for _ in 0..10 {
        match socket.recv(&mut buf) {
            Ok(n) => panic!("received {n} bytes from a closed port"),
            // Linux: ECONNREFUSED; Windows: WSAECONNRESET. Reported once.
            Err(err) if err.kind() != ErrorKind::WouldBlock => break,
            Err(_) => {
                poll.poll(&mut events, Some(Duration::from_millis(20)))
                    .unwrap();
                repeated.extend(events.iter().map(|e| format!("{e:?}")));
            }
        }
    }
    assert!(
        repeated.is_empty(),
        "the same condition came back after WouldBlock: {repeated:?}"
    );
}
