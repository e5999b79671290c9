//! A TCP echo server for many simultaneous connections, on one thread.
//!
//! ```text
//! cargo run --release --example tcp_server --features "os-poll net" -- \
//!     [ADDRESS] [--seconds N] [--stop-file PATH] [--verbose]
//! ```
//!
//! It listens on 127.0.0.1:9000 unless another address is given, and sends
//! every byte it receives back to the sender. Talk to it with, for example,
//! `nc 127.0.0.1 9000`, or load it with the `tcp_load` example from another
//! terminal. Once a second it prints the open connections and the echo
//! throughput. It runs until Ctrl-C, or for `--seconds N`, or until the
//! file given to `--stop-file` exists (checked once a second), and then
//! prints a summary.
//!
//! The program is the same on every platform: Linux (epoll, or poll(2)),
//! the BSDs and macOS (kqueue), Windows, and WASI. It uses nothing but
//! `mio` and `std`, and no threads: the once-a-second report comes from
//! the `Poll` timeout, not from a timer thread.
//!
//! Readiness is edge-triggered, so each handler works until `WouldBlock`:
//! the listener accepts every waiting connection, a connection reads
//! everything available, and data that cannot be written at once is kept
//! and sent when the connection becomes writable again.

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};

/// The listener's token. Connection `i` of the slab has token `i + 1`.
const SERVER: Token = Token(0);

/// Stop reading from a connection while this much echo is still unsent,
/// so that a client which sends but never reads cannot make us buffer
/// without bound.
const MAX_PENDING: usize = 1024 * 1024;

/// How often the figures are printed.
const TICK: Duration = Duration::from_secs(1);

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
    /// Handles one readiness event; adds the bytes read to `echoed`.
    /// Returns `false` when the connection is finished and should be
    /// dropped.
    fn handle(
        &mut self,
        registry: &Registry,
        token: Token,
        readable: bool,
        buf: &mut [u8],
        echoed: &mut u64,
    ) -> io::Result<bool> {
        let mut reading = readable && !self.peer_done;
        loop {
            let drained = if reading {
                self.read_all(buf, echoed)?
            } else {
                true
            };
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
    fn read_all(&mut self, buf: &mut [u8], echoed: &mut u64) -> io::Result<bool> {
        while self.pending.len() < MAX_PENDING {
            match self.stream.read(buf) {
                Ok(0) => {
                    self.peer_done = true;
                    return Ok(true);
                }
                Ok(n) => {
                    *echoed += n as u64;
                    // Try to answer straight from `buf`: with a client that
                    // keeps up, `pending` is never used.
                    let mut sent = 0;
                    if self.pending.is_empty() {
                        sent = self.write_some(&buf[..n])?;
                    }
                    self.pending.extend_from_slice(&buf[sent..n]);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(true),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(false)
    }

    /// Writes as much of `data` as the socket takes now.
    fn write_some(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut sent = 0;
        while sent < data.len() {
            match self.stream.write(&data[sent..]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => sent += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(sent)
    }

    /// Writes pending bytes until done or `WouldBlock`.
    fn write_pending(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            let sent = self.write_some(&pending);
            self.pending = pending;
            self.pending.drain(..sent?);
        }
        Ok(())
    }
}

struct Args {
    addr: SocketAddr,
    seconds: Option<u64>,
    stop_file: Option<PathBuf>,
    verbose: bool,
}

fn parse_args() -> io::Result<Args> {
    let bad = |msg: String| io::Error::new(ErrorKind::InvalidInput, msg);
    let mut args = Args {
        addr: "127.0.0.1:9000".parse().unwrap(),
        seconds: None,
        stop_file: None,
        verbose: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" => {
                let v = it
                    .next()
                    .ok_or_else(|| bad("--seconds needs a value".into()))?;
                args.seconds = Some(
                    v.parse()
                        .map_err(|e| bad(format!("bad --seconds {v:?}: {e}")))?,
                );
            }
            "--stop-file" => {
                let v = it
                    .next()
                    .ok_or_else(|| bad("--stop-file needs a path".into()))?;
                args.stop_file = Some(v.into());
            }
            "--verbose" => args.verbose = true,
            "-h" | "--help" => {
                println!(
                    "usage: tcp_server [ADDRESS] [--seconds N] [--stop-file PATH] [--verbose]"
                );
                std::process::exit(0);
            }
            other => {
                args.addr = other
                    .parse()
                    .map_err(|e| bad(format!("bad address {other:?}: {e}")))?;
            }
        }
    }
    Ok(args)
}

/// Connections by token: a slab (a vector plus a list of free places), so
/// that a token finds its connection by indexing, and tokens are reused.
struct Slab {
    entries: Vec<Option<Connection>>,
    free: Vec<usize>,
    open: usize,
}

impl Slab {
    fn insert(&mut self, conn: Connection) -> Token {
        self.open += 1;
        match self.free.pop() {
            Some(i) => {
                self.entries[i] = Some(conn);
                Token(i + 1)
            }
            None => {
                self.entries.push(Some(conn));
                Token(self.entries.len())
            }
        }
    }

    fn get_mut(&mut self, token: Token) -> Option<&mut Connection> {
        self.entries.get_mut(token.0.checked_sub(1)?)?.as_mut()
    }

    fn remove(&mut self, token: Token) -> Option<Connection> {
        let i = token.0.checked_sub(1)?;
        let conn = self.entries.get_mut(i)?.take()?;
        self.free.push(i);
        self.open -= 1;
        Some(conn)
    }
}

/// Every connection is a file descriptor, and the default soft limit (often
/// 1024) is far below what the machine allows: raise it to the hard limit.
#[cfg(all(unix, not(target_os = "fuchsia")))]
fn raise_fd_limit() {
    // SAFETY: plain system calls on a local struct.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// Windows, WASI and Fuchsia have no such limit to raise.
#[cfg(any(not(unix), target_os = "fuchsia"))]
fn raise_fd_limit() {}

fn main() -> io::Result<()> {
    let args = parse_args()?;
    raise_fd_limit();

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut server = TcpListener::bind(args.addr)?;
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)?;

    let local = server.local_addr()?;
    println!("echo server listening on {local}");
    println!("try: nc {} {}", local.ip(), local.port());

    let mut connections = Slab {
        entries: Vec::new(),
        free: Vec::new(),
        open: 0,
    };
    let mut buf = vec![0; 64 * 1024];

    // Figures: totals, and the bytes echoed since the last report.
    let mut accepted: u64 = 0;
    let mut closed: u64 = 0;
    let mut accept_errors: u64 = 0;
    let mut peak_open = 0;
    let mut echoed_total: u64 = 0;
    let mut echoed_tick: u64 = 0;

    let start = Instant::now();
    let deadline = args.seconds.map(|s| start + Duration::from_secs(s));
    let mut next_tick = start + TICK;
    let mut last_tick = start;

    loop {
        // Once a second: print, and see whether we are asked to stop.
        let now = Instant::now();
        if now >= next_tick {
            let secs = now.duration_since(last_tick).as_secs_f64();
            println!(
                "{:>4}s  open {:>6}  accepted {:>7}  closed {:>7}  echoed {:>8.2} MB/s{}",
                now.duration_since(start).as_secs(),
                connections.open,
                accepted,
                closed,
                echoed_tick as f64 / secs / 1e6,
                if accept_errors > 0 {
                    format!("  accept errors {accept_errors}")
                } else {
                    String::new()
                },
            );
            echoed_total += echoed_tick;
            echoed_tick = 0;
            last_tick = now;
            while next_tick <= now {
                next_tick += TICK;
            }
            if let Some(path) = &args.stop_file {
                if path.exists() {
                    println!("stop file {} found", path.display());
                    break;
                }
            }
        }
        if deadline.is_some_and(|d| now >= d) {
            break;
        }

        // Sleep until an event, or the next report, or the deadline:
        // whichever comes first. This is the only timer the server needs.
        let mut wake_at = next_tick;
        if let Some(d) = deadline {
            wake_at = wake_at.min(d);
        }
        match poll.poll(&mut events, Some(wake_at.saturating_duration_since(now))) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }

        for event in events.iter() {
            if event.token() == SERVER {
                // Accept every waiting connection.
                loop {
                    let (stream, addr) = match server.accept() {
                        Ok(accepted) => accepted,
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        // A connection reset before we accepted it, too
                        // many open files, ...: count it, keep serving.
                        // (The next connection brings a new event.)
                        Err(e) => {
                            if accept_errors == 0 {
                                eprintln!("accept failed: {e}");
                            }
                            accept_errors += 1;
                            break;
                        }
                    };
                    let conn = Connection {
                        // Registered below, once it has its token.
                        stream,
                        addr,
                        pending: Vec::new(),
                        peer_done: false,
                        interest: Interest::READABLE,
                    };
                    let token = connections.insert(conn);
                    let conn = connections.get_mut(token).unwrap();
                    if let Err(e) =
                        poll.registry()
                            .register(&mut conn.stream, token, Interest::READABLE)
                    {
                        eprintln!("{addr}: register failed: {e}");
                        connections.remove(token);
                        continue;
                    }
                    accepted += 1;
                    peak_open = peak_open.max(connections.open);
                    if args.verbose {
                        println!("{addr} connected");
                    }
                }
                continue;
            }

            let token = event.token();
            let Some(conn) = connections.get_mut(token) else {
                // Already closed during this round of events.
                continue;
            };
            let readable = event.is_readable() || event.is_read_closed() || event.is_error();
            let keep =
                match conn.handle(poll.registry(), token, readable, &mut buf, &mut echoed_tick) {
                    Ok(keep) => keep,
                    Err(e) => {
                        if args.verbose {
                            eprintln!("{}: {e}", conn.addr);
                        }
                        false
                    }
                };
            if !keep {
                // Dropping the stream closes it, which also removes it from
                // the poller.
                let conn = connections.remove(token).unwrap();
                closed += 1;
                if args.verbose {
                    println!("{} disconnected", conn.addr);
                }
            }
        }
    }

    echoed_total += echoed_tick;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "done after {secs:.1} s: accepted {accepted}, peak {peak_open} open, {} still open, \
         echoed {echoed_total} bytes ({:.2} MB/s), {accept_errors} accept errors",
        connections.open,
        echoed_total as f64 / secs / 1e6,
    );
    Ok(())
}
