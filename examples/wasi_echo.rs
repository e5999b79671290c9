//! A TCP echo server that ends by itself: built for WASI preview 2 runners
//! (it runs unchanged on every other platform too).
//!
//! ```text
//! cargo build --example wasi_echo --features "os-poll net" --target wasm32-wasip2
//! jco run target/wasm32-wasip2/debug/examples/wasi_echo.wasm [ADDRESS] [CONNECTIONS] [SECONDS]
//! ```
//!
//! It listens on ADDRESS (default 127.0.0.1:9000), prints `listening on
//! ADDR` once bound, echoes every byte back, and exits once CONNECTIONS
//! clients (default 1) have come and gone, or after SECONDS (default 30)
//! with an error. A client sends, reads its echo, then closes: some WASI
//! hosts (jco) close both directions on a half-close, so the server does
//! not rely on one.

use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

const SERVER: Token = Token(0);

/// A client connection and the echo it has not taken yet.
struct Client {
    stream: TcpStream,
    unsent: Vec<u8>,
}

impl Client {
    /// Reads and echoes until `WouldBlock`. Returns `false` once the client
    /// has closed (or failed) and the connection is over.
    fn serve(&mut self) -> bool {
        let mut buf = [0; 4096];
        loop {
            if !self.flush() {
                return false;
            }
            match self.stream.read(&mut buf) {
                Ok(0) => return false,
                Ok(n) => self.unsent.extend_from_slice(&buf[..n]),
                Err(err) if err.kind() == ErrorKind::WouldBlock => return self.flush(),
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(err) => {
                    eprintln!("read: {err}");
                    return false;
                }
            }
        }
    }

    /// Writes what it can of the unsent echo; `false` on a write error.
    fn flush(&mut self) -> bool {
        while !self.unsent.is_empty() {
            match self.stream.write(&self.unsent) {
                Ok(n) => {
                    self.unsent.drain(..n);
                }
                Err(err) if err.kind() == ErrorKind::WouldBlock => return true,
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(err) => {
                    eprintln!("write: {err}");
                    return false;
                }
            }
        }
        true
    }
}

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:9000".into());
    let addr = addr
        .parse()
        .map_err(|_| io::Error::new(ErrorKind::InvalidInput, "not a socket address"))?;
    let wanted: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let seconds: u64 = args.next().and_then(|n| n.parse().ok()).unwrap_or(30);
    let deadline = Instant::now() + Duration::from_secs(seconds);

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(128);
    let mut listener = TcpListener::bind(addr)?;
    poll.registry()
        .register(&mut listener, SERVER, Interest::READABLE)?;
    println!("listening on {}", listener.local_addr()?);
    io::stdout().flush()?;

    let mut clients: HashMap<Token, Client> = HashMap::new();
    let mut next = 1;
    let mut done = 0;
    while done < wanted {
        let now = Instant::now();
        if now >= deadline {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                format!("{done} of {wanted} connections served in {seconds}s"),
            ));
        }
        match poll.poll(&mut events, Some(deadline - now)) {
            Ok(()) => {}
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
        for event in events.iter() {
            if event.token() == SERVER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, peer)) => {
                            let token = Token(next);
                            next += 1;
                            poll.registry().register(
                                &mut stream,
                                token,
                                Interest::READABLE | Interest::WRITABLE,
                            )?;
                            println!("accepted {peer}");
                            let mut client = Client {
                                stream,
                                unsent: Vec::new(),
                            };
                            // Data may have arrived before the registration.
                            if client.serve() {
                                clients.insert(token, client);
                            } else {
                                done += 1;
                            }
                        }
                        Err(err) if err.kind() == ErrorKind::WouldBlock => break,
                        Err(err) => return Err(err),
                    }
                }
            } else if let Some(client) = clients.get_mut(&event.token()) {
                if !client.serve() {
                    let mut client = clients.remove(&event.token()).expect("present");
                    poll.registry().deregister(&mut client.stream)?;
                    done += 1;
                    println!("closed ({done} of {wanted})");
                }
            }
        }
        io::stdout().flush()?;
    }
    Ok(())
}
