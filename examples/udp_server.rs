//! A UDP echo server: every datagram is sent back to where it came from.
//!
//! ```text
//! cargo run --example udp_server --features "os-poll net" [ADDRESS]
//! ```
//!
//! It listens on 127.0.0.1:9000 unless another address is given. Talk to it
//! with, for example, `nc -u 127.0.0.1 9000`.
//!
//! Readiness is edge-triggered: on a readable event the server receives
//! until `WouldBlock`. Replies that cannot be sent at once are queued and
//! sent when the socket becomes writable.

use std::collections::VecDeque;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token};

const SOCKET: Token = Token(0);

/// Replies kept while the socket's send buffer is full; beyond this many,
/// new datagrams are dropped, as UDP allows.
const MAX_QUEUED: usize = 1024;

fn main() -> io::Result<()> {
    let addr: SocketAddr = match std::env::args().nth(1) {
        Some(arg) => arg.parse().map_err(|e| {
            io::Error::new(ErrorKind::InvalidInput, format!("bad address {arg:?}: {e}"))
        })?,
        None => "127.0.0.1:9000".parse().unwrap(),
    };

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(64);
    let mut socket = UdpSocket::bind(addr)?;
    poll.registry()
        .register(&mut socket, SOCKET, Interest::READABLE)?;

    let local = socket.local_addr()?;
    println!("UDP echo server listening on {local}");
    println!("try: nc -u {} {}", local.ip(), local.port());

    let mut queue: VecDeque<(Vec<u8>, SocketAddr)> = VecDeque::new();
    let mut buf = [0; 65536];

    loop {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }

        for event in events.iter() {
            if event.token() != SOCKET {
                continue;
            }
            // First send what is queued, in order.
            send_queued(&socket, &mut queue)?;
            // Then receive until WouldBlock, echoing each datagram.
            loop {
                match socket.recv_from(&mut buf) {
                    Ok((n, from)) => {
                        println!("{n} bytes from {from}");
                        if queue.is_empty() {
                            match socket.send_to(&buf[..n], from) {
                                Ok(_) => continue,
                                Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                                Err(e) => {
                                    eprintln!("send to {from} failed: {e}");
                                    continue;
                                }
                            }
                        }
                        if queue.len() < MAX_QUEUED {
                            queue.push_back((buf[..n].to_vec(), from));
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    // An ICMP error from an earlier reply (the client went
                    // away) surfaces here on some systems: not fatal.
                    Err(e) => eprintln!("receive failed: {e}"),
                }
            }
            // Wait for writability only while replies are queued.
            let interest = if queue.is_empty() {
                Interest::READABLE
            } else {
                Interest::READABLE | Interest::WRITABLE
            };
            poll.registry().reregister(&mut socket, SOCKET, interest)?;
        }
    }
}

/// Sends queued replies until the queue is empty or the socket would block.
fn send_queued(socket: &UdpSocket, queue: &mut VecDeque<(Vec<u8>, SocketAddr)>) -> io::Result<()> {
    while let Some((data, to)) = queue.front() {
        match socket.send_to(data, *to) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) => eprintln!("send to {to} failed: {e}"),
        }
        queue.pop_front();
    }
    Ok(())
}
