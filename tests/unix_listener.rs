#![cfg(all(unix, feature = "os-poll", feature = "net"))]

// Only the abstract-name tests (Linux, Android) read.
#[cfg(any(target_os = "linux", target_os = "android"))]
use std::io::Read;
use std::io::{ErrorKind, Write};
use std::os::unix::io::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::net as stdnet;
use std::os::unix::net::SocketAddr;
use std::time::Instant;

use mio::net::{UnixListener, UnixStream};
use mio::{Events, Interest, Poll, Token};

mod uds_util;
use uds_util::*;

const LISTENER: Token = Token(0);

fn poll() -> (Poll, Events) {
    (Poll::new().unwrap(), Events::with_capacity(16))
}

/// Accepts `count` connections, draining to `WouldBlock` after each event.
fn accept_all(
    poll: &mut Poll,
    events: &mut Events,
    listener: &UnixListener,
    count: usize,
) -> Vec<(UnixStream, SocketAddr)> {
    let deadline = Instant::now() + DEADLINE;
    let mut accepted = Vec::new();
    loop {
        loop {
            match listener.accept() {
                Ok(pair) => accepted.push(pair),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("accept failed: {e}"),
            }
        }
        if accepted.len() >= count {
            return accepted;
        }
        poll_once(poll, events, deadline, "connections to accept");
    }
}

#[test]
fn bind_and_local_addr() {
    let dir = TempDir::new();
    let path = dir.join("bound.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let addr = listener.local_addr().unwrap();
    assert_eq!(addr.as_pathname(), Some(&*path));
    assert!(!addr.is_unnamed());
    assert!(path.exists(), "bind did not create the socket file");
    assert!(listener.take_error().unwrap().is_none());

    // Dropping the listener leaves the file: binding again is refused.
    drop(listener);
    let err = UnixListener::bind(&path).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AddrInUse);
    std::fs::remove_file(&path).unwrap();
    UnixListener::bind(&path).unwrap();
}

#[test]
fn bind_addr_with_a_pathname() {
    let dir = TempDir::new();
    let path = dir.join("addr.sock");
    let address = SocketAddr::from_pathname(&path).unwrap();
    let listener = UnixListener::bind_addr(&address).unwrap();
    assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(&*path));
}

#[test]
fn bind_rejects_bad_paths() {
    let dir = TempDir::new();
    // Fits in sun_path nowhere (108 bytes on Linux, 104 elsewhere).
    let long = dir.join(&"x".repeat(120));
    let err = UnixListener::bind(&long).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = UnixListener::bind("a\0b").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = UnixListener::bind(dir.join("no-such-dir").join("s.sock")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

/// The longest path that fits: sun_path minus the terminating NUL.
#[cfg(target_os = "linux")]
#[test]
fn bind_the_longest_path() {
    let dir = TempDir::new();
    let prefix = dir.path().as_os_str().len() + 1;
    let path = dir.join(&"y".repeat(107 - prefix));
    assert_eq!(path.as_os_str().len(), 107);
    let listener = UnixListener::bind(&path).unwrap();
    assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(&*path));
    let client = UnixStream::connect(&path).unwrap();
    assert_eq!(client.peer_addr().unwrap().as_pathname(), Some(&*path));
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod abstract_names {
    use super::*;
    #[cfg(target_os = "android")]
    use std::os::android::net::SocketAddrExt;
    #[cfg(target_os = "linux")]
    use std::os::linux::net::SocketAddrExt;

    #[test]
    fn bind_connect_accept() {
        let (mut poll, mut events) = poll();
        let name = abstract_name();
        let address = SocketAddr::from_abstract_name(&name).unwrap();
        let mut listener = UnixListener::bind_addr(&address).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_abstract_name(),
            Some(&name[..])
        );
        // The same name cannot be bound twice while in use.
        let err = UnixListener::bind_addr(&address).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AddrInUse);

        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)
            .unwrap();
        let client = UnixStream::connect_addr(&address).unwrap();
        let accepted = accept_all(&mut poll, &mut events, &listener, 1);
        let (server, peer) = &accepted[0];
        assert!(peer.is_unnamed());
        assert_eq!(
            server.local_addr().unwrap().as_abstract_name(),
            Some(&name[..])
        );
        (&client).write_all(b"hi").unwrap();
        let mut buf = [0; 2];
        (&*server).read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hi");

        // Abstract names vanish with the socket.
        drop(accepted);
        drop(listener);
        UnixListener::bind_addr(&address).unwrap();
    }

    /// Names may hold NUL bytes and have no terminator.
    #[test]
    fn names_with_nul_bytes() {
        let mut name = abstract_name();
        name.extend_from_slice(b"\0tail\0");
        let address = SocketAddr::from_abstract_name(&name).unwrap();
        let listener = UnixListener::bind_addr(&address).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_abstract_name(),
            Some(&name[..])
        );
        let client = UnixStream::connect_addr(&address).unwrap();
        assert_eq!(
            client.peer_addr().unwrap().as_abstract_name(),
            Some(&name[..])
        );
    }

    /// An unnamed address makes Linux pick an abstract name (autobind,
    /// unix(7)).
    #[test]
    fn bind_addr_unnamed_autobinds() {
        let (a, _b) = UnixStream::pair().unwrap();
        let unnamed = a.local_addr().unwrap();
        assert!(unnamed.is_unnamed());
        let listener = UnixListener::bind_addr(&unnamed).unwrap();
        let local = listener.local_addr().unwrap();
        let name = local
            .as_abstract_name()
            .expect("autobind gives an abstract name");
        assert!(!name.is_empty());
        UnixStream::connect_addr(&local).unwrap();
    }
}

#[test]
fn accept_drains_many_pending_connections() {
    const CLIENTS: usize = 20;
    let dir = TempDir::new();
    let path = dir.join("many.sock");
    let (mut poll, mut events) = poll();
    let mut listener = UnixListener::bind(&path).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    assert_would_block(listener.accept());

    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| UnixStream::connect(&path).unwrap())
        .collect();
    let accepted = accept_all(&mut poll, &mut events, &listener, CLIENTS);
    assert_eq!(accepted.len(), CLIENTS);
    // Every client is unbound; later ones take the cached unnamed address.
    assert!(accepted.iter().all(|(_, peer)| peer.is_unnamed()));
    assert_would_block(listener.accept());
    // Drained: nothing more until a new client arrives.
    expect_no_event(&mut poll, &mut events, LISTENER);

    let _late = UnixStream::connect(&path).unwrap();
    let more = accept_all(&mut poll, &mut events, &listener, 1);
    assert_eq!(more.len(), 1);
    drop(clients);
}

#[test]
fn accepted_streams_are_independent_of_the_listener() {
    let dir = TempDir::new();
    let path = dir.join("indep.sock");
    let (mut poll, mut events) = poll();
    let mut listener = UnixListener::bind(&path).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let client = UnixStream::connect(&path).unwrap();
    let mut accepted = accept_all(&mut poll, &mut events, &listener, 1);
    let (mut server, _) = accepted.pop().unwrap();
    drop(listener);

    // Not registered anywhere yet; registering it works with any token.
    poll.registry()
        .register(&mut server, Token(9), Interest::READABLE)
        .unwrap();
    (&client).write_all(b"after").unwrap();
    wait_readable(&mut poll, &mut events, Token(9));
    assert_eq!(drain(&server).0, b"after");
}

#[test]
fn from_std_keeps_its_mode() {
    let dir = TempDir::new();
    let path = dir.join("std.sock");
    let std_listener = stdnet::UnixListener::bind(&path).unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let mut listener = UnixListener::from_std(std_listener);
    assert_would_block(listener.accept());

    let (mut poll, mut events) = poll();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let _client = stdnet::UnixStream::connect(&path).unwrap();
    let accepted = accept_all(&mut poll, &mut events, &listener, 1);
    assert!(accepted[0].1.is_unnamed());
}

#[test]
fn fd_conversions_round_trip() {
    let dir = TempDir::new();
    let path = dir.join("fd.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let raw = listener.as_raw_fd();
    assert_eq!(listener.as_fd().as_raw_fd(), raw);

    let raw = listener.into_raw_fd();
    // SAFETY: `raw` came from `into_raw_fd` and nothing else owns it.
    let listener = unsafe { UnixListener::from_raw_fd(raw) };
    let owned = OwnedFd::from(listener);
    assert_eq!(owned.as_raw_fd(), raw);
    let listener = UnixListener::from(owned);
    let std_listener = stdnet::UnixListener::from(listener);
    assert_eq!(std_listener.as_raw_fd(), raw);
    let mut listener = UnixListener::from_std(std_listener);
    assert_eq!(listener.local_addr().unwrap().as_pathname(), Some(&*path));

    // Still listening.
    let (mut poll, mut events) = poll();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let _client = UnixStream::connect(&path).unwrap();
    assert_eq!(accept_all(&mut poll, &mut events, &listener, 1).len(), 1);
}

#[test]
fn debug_shows_the_socket() {
    let dir = TempDir::new();
    let path = dir.join("debug.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let text = format!("{listener:?}");
    assert!(text.contains("UnixListener"), "{text}");
    assert!(text.contains("debug.sock"), "{text}");
}

#[cfg(target_os = "linux")]
#[test]
fn listener_is_non_blocking_and_close_on_exec() {
    let dir = TempDir::new();
    let listener = UnixListener::bind(dir.join("flags.sock")).unwrap();
    assert_eq!(fd_flags(listener.as_raw_fd()), (true, true));
}
