//! A load generator for the `tcp_server` example: many connections, every
//! echoed byte checked.
//!
//! ```text
//! cargo run --release --example tcp_load --features "os-poll net" -- \
//!     [ADDRESS] [--connections N] [--seconds T]
//! ```
//!
//! Run it in its own process, next to a running `tcp_server` (default
//! address 127.0.0.1:9000). It opens N connections (default 10,000 on Unix,
//! at most what the open-file limit allows; 1,000 elsewhere), then for T
//! seconds (default 10) keeps every connection busy: each writes a stream
//! of bytes from its own deterministic pattern and reads the echo back,
//! comparing every byte with the pattern. Once a second it prints the
//! connections and the throughput; at the end it stops writing, waits for
//! the last echoes, and prints a summary. It exits with status 1 on any
//! mismatch or connection error.
//!
//! Like the server, it is one thread and one `Poll`, and the same source on
//! every platform.

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

/// Echo bytes a connection may have outstanding (sent, not yet back and
/// checked). Bounded so that 10,000 connections stay within the socket
/// buffers, and so the client never blocks the server.
const WINDOW: u64 = 8 * 1024;

/// Connects in progress at a time, so the server's accept queue is not
/// flooded (a full queue drops handshakes, which are then retried only
/// after a second or more).
const MAX_CONNECTING: usize = 256;

/// How long all connections may take to be established, and how long the
/// last echoes may take to come back.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);
const DRAIN_TIMEOUT: Duration = Duration::from_secs(15);

/// Byte `pos` of connection `conn`'s stream. Different for each
/// connection, so bytes echoed to the wrong connection are caught too.
fn pattern(conn: u64, pos: u64) -> u8 {
    let x = pos.wrapping_add(conn.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    (x ^ (x >> 8) ^ (x >> 17)) as u8
}

#[derive(PartialEq)]
enum State {
    Connecting,
    Open,
    /// Failed or finished: the stream is dropped.
    Closed,
}

struct Conn {
    id: u64,
    stream: Option<TcpStream>,
    state: State,
    /// Bytes written.
    sent: u64,
    /// Bytes read back and found equal to the pattern.
    verified: u64,
}

#[derive(Default)]
struct Totals {
    connected: usize,
    open: usize,
    /// Connections that failed: connect errors, resets, early end-of-file.
    errors: usize,
    /// Connections on which an echoed byte differed from what was sent.
    mismatches: usize,
    verified: u64,
}

impl Conn {
    /// Checks whether a pending connect finished. `Ok(true)`: connected.
    fn finish_connect(&mut self) -> io::Result<bool> {
        let stream = self.stream.as_ref().unwrap();
        if let Some(e) = stream.take_error()? {
            return Err(e);
        }
        match stream.peer_addr() {
            Ok(_) => Ok(true),
            // The handshake is still going on.
            Err(e) if e.kind() == ErrorKind::NotConnected => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Reads everything available, checking it, then writes while the
    /// window has room. Readiness is edge-triggered: afterwards reading
    /// has hit `WouldBlock`, and writing has too or the window is full (then
    /// the echo coming back brings the next event).
    fn pump(&mut self, writing: bool, buf: &mut [u8], totals: &mut Totals) -> io::Result<()> {
        let mut stream = self.stream.as_ref().unwrap();
        loop {
            match stream.read(buf) {
                Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    if n as u64 > self.sent - self.verified {
                        return Err(io::Error::new(
                            ErrorKind::InvalidData,
                            "received more than was sent",
                        ));
                    }
                    for (k, &b) in buf[..n].iter().enumerate() {
                        if b != pattern(self.id, self.verified + k as u64) {
                            return Err(io::Error::new(
                                ErrorKind::InvalidData,
                                format!(
                                    "byte {} is {b:#04x}, expected {:#04x}",
                                    self.verified + k as u64,
                                    pattern(self.id, self.verified + k as u64)
                                ),
                            ));
                        }
                    }
                    self.verified += n as u64;
                    totals.verified += n as u64;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        while writing && self.sent - self.verified < WINDOW {
            let len = (WINDOW - (self.sent - self.verified)) as usize;
            let chunk = &mut buf[..len];
            for (k, b) in chunk.iter_mut().enumerate() {
                *b = pattern(self.id, self.sent + k as u64);
            }
            match stream.write(chunk) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => self.sent += n as u64,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// One turn of traffic; a connection that fails is closed and counted.
fn pump_or_close(conn: &mut Conn, writing: bool, buf: &mut [u8], totals: &mut Totals) {
    if let Err(e) = conn.pump(writing, buf, totals) {
        if e.kind() == ErrorKind::InvalidData {
            eprintln!("connection {}: MISMATCH: {e}", conn.id);
            totals.mismatches += 1;
        } else {
            if totals.errors == 0 {
                eprintln!("connection {}: {e}", conn.id);
            }
            totals.errors += 1;
        }
        conn.state = State::Closed;
        conn.stream = None;
        totals.open -= 1;
    }
}

struct Args {
    addr: SocketAddr,
    connections: Option<usize>,
    seconds: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: "127.0.0.1:9000".parse().unwrap(),
        connections: None,
        seconds: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--connections" | "-n" => {
                let v = value("--connections")?;
                args.connections = Some(
                    v.parse()
                        .map_err(|e| format!("bad --connections {v:?}: {e}"))?,
                );
            }
            "--seconds" | "-t" => {
                let v = value("--seconds")?;
                args.seconds = v.parse().map_err(|e| format!("bad --seconds {v:?}: {e}"))?;
            }
            "-h" | "--help" => {
                return Err("usage: tcp_load [ADDRESS] [--connections N] [--seconds T]".into())
            }
            other => {
                args.addr = other
                    .parse()
                    .map_err(|e| format!("bad address {other:?}: {e}"))?
            }
        }
    }
    Ok(args)
}

/// How many connections this process may open: the open-file limit (raised
/// to its hard maximum first) minus headroom for stdio, the poller and the
/// runtime's own descriptors.
#[cfg(all(unix, not(target_os = "fuchsia")))]
fn max_connections() -> usize {
    const HEADROOM: u64 = 64;
    // SAFETY: plain system calls on a local struct.
    let limit = unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1000;
        }
        if limit.rlim_cur < limit.rlim_max {
            let mut raised = limit;
            raised.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
        limit.rlim_cur as u64
    };
    limit.saturating_sub(HEADROOM).min(usize::MAX as u64) as usize
}

/// Windows has no such limit, but wine and small machines do not enjoy ten
/// thousand sockets: a smaller default. Fuchsia has no limit to ask for.
#[cfg(any(not(unix), target_os = "fuchsia"))]
fn max_connections() -> usize {
    1000
}

#[cfg(unix)]
const DEFAULT_CONNECTIONS: usize = 10_000;
#[cfg(not(unix))]
const DEFAULT_CONNECTIONS: usize = 1_000;

/// Waits (bounded) until the server accepts connections, so the two
/// programs can be started together.
fn wait_for_server(addr: SocketAddr) -> io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match std::net::TcpStream::connect(addr) {
            Ok(_) => return Ok(()),
            Err(e) if Instant::now() >= deadline => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("tcp_load: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<bool> {
    let limit = max_connections();
    let wanted = args.connections.unwrap_or(DEFAULT_CONNECTIONS);
    let n = wanted.min(limit);
    if n < wanted {
        println!("open-file limit: {n} connections instead of {wanted}");
    }
    wait_for_server(args.addr)?;

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut conns: Vec<Conn> = Vec::with_capacity(n);
    let mut totals = Totals::default();
    let mut buf = vec![0u8; WINDOW as usize];
    let mut connecting = 0;

    println!(
        "tcp_load: {n} connections to {} for {} s",
        args.addr, args.seconds
    );
    let start = Instant::now();
    // The traffic clock starts when every connection is established.
    let mut traffic_start: Option<Instant> = None;
    let mut drain_start: Option<Instant> = None;
    let mut next_tick = start + Duration::from_secs(1);
    let mut last_tick = start;
    let mut verified_at_tick = 0;
    let mut verified_at_start = 0;

    loop {
        // Open more connections, a bounded number at a time.
        while conns.len() < n && connecting < MAX_CONNECTING {
            let id = conns.len() as u64;
            let mut conn = Conn {
                id,
                stream: None,
                state: State::Closed,
                sent: 0,
                verified: 0,
            };
            match TcpStream::connect(args.addr) {
                Ok(mut stream) => {
                    // Both directions, once: the connect completes with a
                    // writable event, and later events drive the traffic.
                    poll.registry().register(
                        &mut stream,
                        Token(id as usize),
                        Interest::READABLE | Interest::WRITABLE,
                    )?;
                    conn.stream = Some(stream);
                    conn.state = State::Connecting;
                    connecting += 1;
                }
                Err(e) => {
                    if totals.errors == 0 {
                        eprintln!("connect failed: {e}");
                    }
                    totals.errors += 1;
                }
            }
            conns.push(conn);
        }

        let now = Instant::now();
        if traffic_start.is_none() && now.duration_since(start) > CONNECT_TIMEOUT {
            eprintln!("connecting took longer than {CONNECT_TIMEOUT:?}");
            totals.errors += connecting;
            for conn in conns.iter_mut().filter(|c| c.state == State::Connecting) {
                conn.state = State::Closed;
                conn.stream = None;
            }
            connecting = 0;
        }
        if traffic_start.is_none() && conns.len() == n && connecting == 0 {
            // Everyone is connected: start the traffic. The connections'
            // writable events were spent on the connect (edge-triggered:
            // no new one comes until a write blocks), so give each a first
            // turn by hand.
            println!(
                "{} connections established in {:.2} s",
                totals.connected,
                now.duration_since(start).as_secs_f64()
            );
            for conn in conns.iter_mut().filter(|c| c.state == State::Open) {
                pump_or_close(conn, true, &mut buf, &mut totals);
            }
            traffic_start = Some(Instant::now());
            verified_at_start = totals.verified;
        }
        let writing = match traffic_start {
            Some(t) => now.duration_since(t) < Duration::from_secs(args.seconds),
            // Connections wait, idle, until all are established.
            None => false,
        };
        if traffic_start.is_some() && !writing && drain_start.is_none() {
            drain_start = Some(now);
        }
        if let Some(d) = drain_start {
            // Done when every open connection got all its echo back.
            let unfinished = conns
                .iter()
                .filter(|c| c.state == State::Open && c.verified < c.sent)
                .count();
            if unfinished == 0 {
                break;
            }
            if now.duration_since(d) > DRAIN_TIMEOUT {
                eprintln!("{unfinished} connections still missing echo after {DRAIN_TIMEOUT:?}");
                totals.errors += unfinished;
                break;
            }
        }

        if now >= next_tick {
            let secs = now.duration_since(last_tick).as_secs_f64();
            println!(
                "{:>4}s  open {:>6}  verified {:>8.2} MB/s  errors {}  mismatches {}",
                now.duration_since(start).as_secs(),
                totals.open,
                (totals.verified - verified_at_tick) as f64 / secs / 1e6,
                totals.errors,
                totals.mismatches
            );
            verified_at_tick = totals.verified;
            last_tick = now;
            while next_tick <= now {
                next_tick += Duration::from_secs(1);
            }
        }

        // Sleep until an event or the next report. When the traffic time
        // ends, the `pump` calls without `writing` only read.
        match poll.poll(&mut events, Some(next_tick.saturating_duration_since(now))) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }

        for event in events.iter() {
            let Some(conn) = conns.get_mut(event.token().0) else {
                continue;
            };
            if conn.state == State::Connecting {
                match conn.finish_connect() {
                    Ok(true) => {
                        conn.state = State::Open;
                        connecting -= 1;
                        totals.connected += 1;
                        totals.open += 1;
                    }
                    Ok(false) => continue,
                    Err(e) => {
                        if totals.errors == 0 {
                            eprintln!("connection {}: connect failed: {e}", conn.id);
                        }
                        totals.errors += 1;
                        connecting -= 1;
                        conn.state = State::Closed;
                        conn.stream = None;
                        continue;
                    }
                }
            }
            if conn.state != State::Open {
                continue;
            }
            pump_or_close(conn, writing, &mut buf, &mut totals);
        }
    }

    let traffic = traffic_start
        .map(|t| drain_start.unwrap_or_else(Instant::now).duration_since(t))
        .unwrap_or_default();
    let secs = traffic.as_secs_f64().max(1e-9);
    let sent: u64 = conns.iter().map(|c| c.sent).sum();
    println!(
        "tcp_load: {} connections, {} bytes sent, {} bytes echoed and verified in {:.1} s \
         ({:.2} MB/s each way), {} errors, {} mismatches",
        totals.connected,
        sent,
        totals.verified,
        secs,
        (totals.verified - verified_at_start) as f64 / secs / 1e6,
        totals.errors,
        totals.mismatches
    );
    // Dropping the streams closes them; the server sees end-of-file.
    drop(conns);
    Ok(totals.errors == 0 && totals.mismatches == 0 && totals.verified > 0)
}
