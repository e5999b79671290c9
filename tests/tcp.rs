//! TCP listener and streams together on one `Poll`: echo servers with many
//! connections, edge-triggered readiness, and blocking peers on threads.
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

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::thread;
use std::time::Instant;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use net_util::{
    any_local_v4, any_local_v6, assert_no_event, await_readable, connected_pair, poll_retrying,
    read_available, read_exactly, DEADLINE, PAIR_CLIENT, PAIR_SERVER,
};

const LISTENER: Token = Token(0);

/// One side of a connection in the echo test: what it still has to send
/// and what it has received.
struct Peer {
    stream: TcpStream,
    outgoing: Vec<u8>,
    received: Vec<u8>,
    done_writing: bool,
}

impl Peer {
    fn new(stream: TcpStream) -> Peer {
        Peer {
            stream,
            outgoing: Vec::new(),
            received: Vec::new(),
            done_writing: false,
        }
    }

    /// Writes as much of `outgoing` as the socket takes.
    fn flush_outgoing(&mut self) {
        while !self.outgoing.is_empty() {
            match self.stream.write(&self.outgoing) {
                Ok(n) => {
                    self.outgoing.drain(..n);
                }
                Err(err) if err.kind() == ErrorKind::WouldBlock => return,
                Err(err) => panic!("write: {err}"),
            }
        }
    }
}

/// Runs an echo server and `clients` clients, all non-blocking on one
/// `Poll`, each client sending `payload` bytes; checks every byte comes
/// back. Edge-triggered throughout: every handler works until `WouldBlock`.
fn echo_many(addr: SocketAddr, clients: usize, payload: usize) {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(256);
    let mut listener = TcpListener::bind(addr).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let addr = listener.local_addr().unwrap();

    // Odd tokens are clients, even tokens (but 0) are server-side streams.
    let mut conns: HashMap<Token, Peer> = HashMap::new();
    let mut expected: HashMap<Token, Vec<u8>> = HashMap::new();
    for i in 0..clients {
        let token = Token(2 * i + 1);
        let mut stream = TcpStream::connect(addr).unwrap();
        poll.registry()
            .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
            .unwrap();
        let data: Vec<u8> = (0..payload).map(|j| (i * 7 + j) as u8).collect();
        expected.insert(token, data.clone());
        let mut peer = Peer::new(stream);
        peer.outgoing = data;
        conns.insert(token, peer);
    }

    let mut next_server_token = 2;
    let deadline = Instant::now() + DEADLINE;
    let mut finished = 0;
    while finished < clients {
        assert!(
            Instant::now() < deadline,
            "echo did not finish: {finished} of {clients} clients done"
        );
        poll_retrying(&mut poll, &mut events, Some(DEADLINE));
        // On kqueue a stream's read and write filters are two events of one
        // poll: one of them may finish a stream the other still names. An
        // event for a stream deregistered by an earlier poll is a bug.
        let mut finished_in_this_poll = Vec::new();
        for event in events.iter() {
            let token = event.token();
            if token == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let token = Token(next_server_token);
                            next_server_token += 2;
                            poll.registry()
                                .register(
                                    &mut stream,
                                    token,
                                    Interest::READABLE | Interest::WRITABLE,
                                )
                                .unwrap();
                            conns.insert(token, Peer::new(stream));
                        }
                        Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                        Err(err) => panic!("accept: {err}"),
                    }
                }
                continue;
            }
            let is_client = token.0 % 2 == 1;
            let Some(peer) = conns.get_mut(&token) else {
                assert!(
                    finished_in_this_poll.contains(&token),
                    "event for {token:?}, deregistered by an earlier poll"
                );
                continue;
            };
            if event.is_readable() || event.is_read_closed() {
                let drained = read_available(&peer.stream);
                if is_client {
                    peer.received.extend_from_slice(&drained.data);
                    if peer.received.len() == payload {
                        assert_eq!(&peer.received, &expected[&token]);
                        finished += 1;
                    }
                } else {
                    // Echo what arrived; close our half when the client did.
                    peer.outgoing.extend_from_slice(&drained.data);
                }
                if drained.eof && !is_client {
                    peer.done_writing = true;
                }
            }
            peer.flush_outgoing();
            if is_client && peer.outgoing.is_empty() && !peer.done_writing {
                peer.done_writing = true;
                // jco's WASI host closes both directions on a half-close:
                // there the client keeps its stream open, and is done when
                // the whole echo is back (the server never sees EOF).
                #[cfg(not(target_os = "wasi"))]
                peer.stream.shutdown(std::net::Shutdown::Write).unwrap();
            }
            if !is_client && peer.done_writing && peer.outgoing.is_empty() {
                let mut peer = conns.remove(&token).unwrap();
                poll.registry().deregister(&mut peer.stream).unwrap();
                finished_in_this_poll.push(token);
            }
        }
    }
}

#[test]
fn echo_with_many_connections() {
    echo_many(any_local_v4(), 64, 1000);
}

#[test]
fn echo_large_payloads_across_full_buffers() {
    // Larger than the socket buffers: writes hit WouldBlock and must
    // resume on writable events.
    echo_many(any_local_v4(), 4, 4 * 1024 * 1024);
}

#[test]
fn echo_over_ipv6() {
    let Some(addr) = any_local_v6() else { return };
    echo_many(addr, 8, 10_000);
}

#[test]
fn no_new_event_until_drained_or_new_data_arrives() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut client, server) = connected_pair(&mut poll, &mut events, any_local_v4());
    // Let the initial writable events pass.
    assert_no_event(&mut poll, &mut events, Token(usize::MAX), "settling");

    client.write_all(b"0123456789").unwrap();
    await_readable(&mut poll, &mut events, PAIR_SERVER);
    // Read only part: edge-triggered, so the rest raises no new event.
    let mut buf = [0; 4];
    (&server).read_exact(&mut buf).unwrap();
    assert_no_event(&mut poll, &mut events, PAIR_SERVER, "data left unread");

    // New data is a new edge on epoll, which reports every wake-up of the
    // socket. Epoll only: the poll(2) backend cannot tell new data from the
    // unread rest without polling for it (and so reporting the rest on every
    // poll); it re-arms on `WouldBlock`, which is all mio promises. There the
    // rest is read, waiting for events only after a `WouldBlock`. The same
    // holds on Windows, where AFD reports "data to receive", not "new data".
    client.write_all(b"ab").unwrap();
    #[cfg(not(any(mio_unsupported_force_poll_poll, windows, target_os = "wasi")))]
    {
        await_readable(&mut poll, &mut events, PAIR_SERVER);
        assert_eq!(read_available(&server).data, b"456789ab");
    }
    #[cfg(any(mio_unsupported_force_poll_poll, windows, target_os = "wasi"))]
    assert_eq!(
        read_exactly(&mut poll, &mut events, &server, PAIR_SERVER, 8),
        b"456789ab"
    );
}

// Not on WASI: no threads.
#[cfg(not(target_os = "wasi"))]
#[test]
fn blocking_peers_on_other_threads() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let mut listener = TcpListener::bind(any_local_v4()).unwrap();
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)
        .unwrap();
    let addr = listener.local_addr().unwrap();

    let client = thread::spawn(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(b"from a thread").unwrap();
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut reply = Vec::new();
        stream.read_to_end(&mut reply).unwrap();
        reply
    });

    let (mut stream, _) = net_util::accept_one(&mut poll, &mut events, &listener, LISTENER);
    let token = Token(1);
    poll.registry()
        .register(&mut stream, token, Interest::READABLE)
        .unwrap();
    let mut got = Vec::new();
    loop {
        let drained = read_available(&stream);
        got.extend(drained.data);
        if drained.eof {
            break;
        }
        await_readable(&mut poll, &mut events, token);
    }
    assert_eq!(got, b"from a thread");
    // The reply fits in the send buffer: no need to wait for writability.
    stream.write_all(b"reply").unwrap();
    drop(stream);
    assert_eq!(client.join().unwrap(), b"reply");
}

#[test]
fn a_stream_belongs_to_one_poll_at_a_time() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let (mut client, server) = connected_pair(&mut poll, &mut events, any_local_v4());
    let mut other = Poll::new().unwrap();
    let mut other_events = Events::with_capacity(16);

    let err = other
        .registry()
        .register(&mut client, Token(5), Interest::READABLE)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);

    // Moving it: deregister from the first, register with the second.
    poll.registry().deregister(&mut client).unwrap();
    other
        .registry()
        .register(&mut client, Token(5), Interest::READABLE)
        .unwrap();
    (&server).write_all(b"moved").unwrap();
    assert_eq!(
        read_exactly(&mut other, &mut other_events, &client, Token(5), 5),
        b"moved"
    );
    assert_no_event(&mut poll, &mut events, PAIR_CLIENT, "after the move");
}
