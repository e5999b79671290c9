//! A TCP echo server for many simultaneous connections, on one thread.
//!
//! ```text
//! cargo run --example tcp_server --features "os-poll net" [ADDRESS]
//! ```
//!
//! It listens on 127.0.0.1:9000 unless another address is given, and sends
//! every byte it receives back to the sender. Talk to it with, for example,
//! `nc 127.0.0.1 9000`.
//!
//! Readiness is edge-triggered, so each handler works until `WouldBlock`:
//! the listener accepts every waiting connection, a connection reads
//! everything available, and data that cannot be written at once is kept
//! and sent when the connection becomes writable again.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};

const SERVER: Token = Token(0);

/// Stop reading from a connection while this much echo is still unsent,
/// so that a client which sends but never reads cannot make us buffer
/// without bound.
const MAX_PENDING: usize = 1024 * 1024;

/// One client connection and the echo bytes it has not taken yet.
struct Connection {
    stream: TcpStream,
    addr: SocketAddr,
    pending: Vec<u8>,
    /// The client closed its writing half: once `pending` is sent, close.
    peer_done: bool,
    interest: Interest,
}

impl Connection {
    /// Handles one readiness event. Returns `false` when the connection is
    /// finished and should be dropped.
    fn handle(&mut self, registry: &Registry, token: Token, readable: bool) -> io::Result<bool> {
        let mut reading = readable && !self.peer_done;
        loop {
            let drained = if reading { self.read_all()? } else { true };
            self.write_pending()?;
            // Stop once the socket is drained (the next data brings a new
            // event) or the backlog is full (reading is switched off below;
            // switching it back on re-arms the event).
            if drained || self.pending.len() >= MAX_PENDING {
                break;
            }
            reading = true;
        }
        if self.peer_done && self.pending.is_empty() {
            return Ok(false);
        }
        // Ask for writability only while there is something to send, and
        // for readability only while the backlog has room.
        let read = !self.peer_done && self.pending.len() < MAX_PENDING;
        let write = !self.pending.is_empty();
        let wanted = match (read, write) {
            (true, true) => Interest::READABLE | Interest::WRITABLE,
            (true, false) => Interest::READABLE,
            (false, true) => Interest::WRITABLE,
            (false, false) => unreachable!("finished connections returned above"),
        };
        if wanted != self.interest {
            // Re-registering also re-checks readiness, so data left unread
            // while reading was off raises a fresh event.
            registry.reregister(&mut self.stream, token, wanted)?;
            self.interest = wanted;
        }
        Ok(true)
    }

    /// Reads until `WouldBlock` or end-of-file (returns `true`: nothing is
    /// left to read for now) or until the backlog is full (`false`).
    fn read_all(&mut self) -> io::Result<bool> {
        let mut buf = [0; 16 * 1024];
        while self.pending.len() < MAX_PENDING {
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.peer_done = true;
                    return Ok(true);
                }
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(true),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(false)
    }

    /// Writes pending bytes until done or `WouldBlock`.
    fn write_pending(&mut self) -> io::Result<()> {
        while !self.pending.is_empty() {
            match self.stream.write(&self.pending) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.pending.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

fn main() -> io::Result<()> {
    let addr: SocketAddr = match std::env::args().nth(1) {
        Some(arg) => arg.parse().map_err(|e| {
            io::Error::new(ErrorKind::InvalidInput, format!("bad address {arg:?}: {e}"))
        })?,
        None => "127.0.0.1:9000".parse().unwrap(),
    };

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut server = TcpListener::bind(addr)?;
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)?;

    let local = server.local_addr()?;
    println!("echo server listening on {local}");
    println!("try: nc {} {}", local.ip(), local.port());

    let mut connections: HashMap<Token, Connection> = HashMap::new();
    let mut next_token = 1;

    loop {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }

        for event in events.iter() {
            if event.token() == SERVER {
                // Accept every waiting connection.
                loop {
                    let (mut stream, addr) = match server.accept() {
                        Ok(accepted) => accepted,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        // A connection reset before we accepted it, too
                        // many open files, ...: report it, keep serving.
                        Err(e) => {
                            eprintln!("accept failed: {e}");
                            break;
                        }
                    };
                    let token = Token(next_token);
                    next_token += 1;
                    poll.registry()
                        .register(&mut stream, token, Interest::READABLE)?;
                    println!("{addr} connected");
                    connections.insert(
                        token,
                        Connection {
                            stream,
                            addr,
                            pending: Vec::new(),
                            peer_done: false,
                            interest: Interest::READABLE,
                        },
                    );
                }
                continue;
            }

            let token = event.token();
            let Some(conn) = connections.get_mut(&token) else {
                // Already closed during this round of events.
                continue;
            };
            let readable = event.is_readable() || event.is_read_closed() || event.is_error();
            let keep = match conn.handle(poll.registry(), token, readable) {
                Ok(keep) => keep,
                Err(e) => {
                    eprintln!("{}: {e}", conn.addr);
                    false
                }
            };
            if !keep {
                // Dropping the stream closes it, which also removes it from
                // the poller.
                let conn = connections.remove(&token).unwrap();
                println!("{} disconnected", conn.addr);
            }
        }
    }
}
