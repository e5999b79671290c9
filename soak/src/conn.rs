//! One soak connection, as either end sees it: the handshake header, the
//! two verified streams, the shutdown (trailer, `shutdown(Write)`,
//! end-of-file), all driven by edge-triggered events.
//!
//! Reads and writes always continue until `WouldBlock` (or end-of-file, or
//! the end of what there is to send), because with edge-triggered readiness
//! nothing else guarantees another event.

use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;

use mio::event::Event;
use mio::net::TcpStream;

use crate::pattern::{
    Direction, Incoming, Outgoing, Pattern, Rng, HEADER_LEN, HEADER_MAGIC, MAX_IO, TRAILER_LEN,
};

/// Which end of the connections this process holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Server,
    Client,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Server => "server",
            Role::Client => "client",
        }
    }

    fn sends(self) -> Direction {
        match self {
            Role::Server => Direction::ServerToClient,
            Role::Client => Direction::ClientToServer,
        }
    }

    fn receives(self) -> Direction {
        match self {
            Role::Server => Direction::ClientToServer,
            Role::Client => Direction::ServerToClient,
        }
    }
}

/// Counters for one process.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Stream bytes written (trailers and headers excluded).
    pub tx_bytes: u64,
    /// Stream bytes received and verified.
    pub rx_bytes: u64,
    pub writes: u64,
    /// Writes that accepted fewer bytes than offered.
    pub partial_writes: u64,
    pub reads: u64,
    /// `Interrupted` results (from `poll` or I/O), each retried.
    pub interrupted: u64,
    /// Events handed out by `poll`.
    pub events: u64,
    /// `poll` calls.
    pub polls: u64,
    /// Streams fully verified (trailer checked at end-of-file).
    pub streams_verified: u64,
}

/// What every connection of a process shares: buffers, the size generator,
/// counters, and the record of connection ids seen (server).
pub struct Ctx {
    pub role: Role,
    pub seed: u64,
    pub rng: Rng,
    pub stats: Stats,
    /// Number of connections of the run; ids are below it.
    pub connections: u32,
    /// Server: which ids have introduced themselves.
    pub seen_ids: Vec<bool>,
    /// Stream bytes each connection may write per tick; 0: no limit.
    pub budget_per_tick: i64,
    read_buf: Vec<u8>,
    expect_buf: Vec<u8>,
    write_buf: Vec<u8>,
}

impl Ctx {
    pub fn new(role: Role, seed: u64, connections: u32, budget_per_tick: i64) -> Ctx {
        Ctx {
            role,
            seed,
            rng: Rng::new(seed ^ role as u64),
            stats: Stats::default(),
            connections,
            seen_ids: match role {
                Role::Server => vec![false; connections as usize],
                Role::Client => Vec::new(),
            },
            budget_per_tick,
            read_buf: vec![0; MAX_IO + TRAILER_LEN],
            expect_buf: vec![0; MAX_IO + TRAILER_LEN],
            write_buf: vec![0; MAX_IO],
        }
    }
}

pub struct Conn {
    pub stream: TcpStream,
    /// The client's id; the server learns it from the header.
    id: Option<u32>,
    /// Client: the header to send; server: the header being received.
    header: [u8; HEADER_LEN],
    header_done: usize,
    /// Client: the connect finished.
    connected: bool,
    out: Option<Outgoing>,
    inc: Option<Incoming>,
    stopping: bool,
    write_shut: bool,
    read_eof: bool,
    /// Stream bytes this connection may still write before the next
    /// refill; may go negative (a write takes what the socket accepts).
    budget: i64,
    /// A write was held back for lack of budget while the socket was
    /// writable: no event will come for it, the next refill resumes it.
    waiting_for_budget: bool,
}

impl Conn {
    /// A client connection whose non-blocking connect is in progress.
    pub fn client(stream: TcpStream, ctx: &Ctx, id: u32) -> Conn {
        let mut header = [0u8; HEADER_LEN];
        header[..4].copy_from_slice(&HEADER_MAGIC.to_le_bytes());
        header[4..].copy_from_slice(&id.to_le_bytes());
        let mut conn = Conn::new(stream, false, ctx.budget_per_tick);
        conn.header = header;
        conn.identify(ctx, id);
        conn
    }

    /// A freshly accepted server connection; its id comes with the header.
    pub fn server(stream: TcpStream, ctx: &Ctx) -> Conn {
        Conn::new(stream, true, ctx.budget_per_tick)
    }

    fn new(stream: TcpStream, connected: bool, budget: i64) -> Conn {
        Conn {
            stream,
            id: None,
            header: [0; HEADER_LEN],
            header_done: 0,
            connected,
            out: None,
            inc: None,
            stopping: false,
            write_shut: false,
            read_eof: false,
            budget,
            waiting_for_budget: false,
        }
    }

    fn identify(&mut self, ctx: &Ctx, id: u32) {
        self.id = Some(id);
        self.out = Some(Outgoing::new(Pattern::new(ctx.seed, id, ctx.role.sends())));
        self.inc = Some(Incoming::new(ctx.seed, id, ctx.role.receives()));
    }

    pub fn id(&self) -> Option<u32> {
        self.id
    }

    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// The peer's first stream byte arrived (so, for a client, the server
    /// has accepted the connection and read its header).
    pub fn received_any(&self) -> bool {
        self.inc.as_ref().is_some_and(Incoming::received_any)
    }

    pub fn bytes_sent(&self) -> u64 {
        self.out.as_ref().map_or(0, Outgoing::position)
    }

    pub fn bytes_received(&self) -> u64 {
        self.inc.as_ref().map_or(0, Incoming::position)
    }

    /// Both streams are complete: trailer sent and write side shut, peer's
    /// trailer verified at end-of-file.
    pub fn is_done(&self) -> bool {
        self.write_shut && self.read_eof
    }

    /// A one-line description for diagnostics.
    pub fn describe(&self) -> String {
        format!(
            "id={:?} connected={} header={}/{} sent={} received={} stopping={} \
             trailer_left={} write_shut={} read_eof={}",
            self.id,
            self.connected,
            self.header_done,
            HEADER_LEN,
            self.bytes_sent(),
            self.bytes_received(),
            self.stopping,
            self.out.as_ref().map_or(0, |o| o.trailer_left().len()),
            self.write_shut,
            self.read_eof
        )
    }

    fn fail(&self, ctx: &Ctx, what: &str, err: impl std::fmt::Display) -> String {
        let who = match self.id {
            Some(id) => format!("connection {id}"),
            None => "a connection whose header has not arrived".to_string(),
        };
        format!(
            "{}: {}: {} failed: {} (sent {}, received {})",
            ctx.role.name(),
            who,
            what,
            err,
            self.bytes_sent(),
            self.bytes_received()
        )
    }

    /// Handles one event for this connection.
    pub fn on_event(&mut self, event: &Event, ctx: &mut Ctx) -> Result<(), String> {
        if !self.connected {
            self.check_connect(ctx)?;
            if !self.connected {
                return Ok(());
            }
            // Connected: there is room to write and no writable edge will
            // come for it beyond the one just consumed.
            self.on_writable(ctx)?;
        }
        let mut write = event.is_writable() || event.is_write_closed() || event.is_error();
        if event.is_readable() || event.is_read_closed() || event.is_error() {
            let identified_now = self.on_readable(ctx)?;
            // The server can only start sending once it knows the id; the
            // writable edge may be long gone by then.
            write |= identified_now;
        }
        if write {
            self.on_writable(ctx)?;
        }
        Ok(())
    }

    /// Adds one tick's budget and resumes a write that waited for it.
    pub fn refill(&mut self, ctx: &mut Ctx) -> Result<(), String> {
        if ctx.budget_per_tick == 0 {
            return Ok(());
        }
        self.budget = (self.budget + ctx.budget_per_tick).min(ctx.budget_per_tick);
        if self.waiting_for_budget && self.budget > 0 {
            self.waiting_for_budget = false;
            self.on_writable(ctx)?;
        }
        Ok(())
    }

    /// Starts the shutdown: the stream ends, the trailer and the FIN go out
    /// as soon as the socket takes them.
    pub fn stop(&mut self, ctx: &mut Ctx) -> Result<(), String> {
        self.stopping = true;
        if self.connected {
            self.on_writable(ctx)?;
        }
        Ok(())
    }

    fn check_connect(&mut self, ctx: &Ctx) -> Result<(), String> {
        match self.stream.take_error() {
            Ok(None) => {}
            Ok(Some(err)) => return Err(self.fail(ctx, "connect", err)),
            Err(err) => return Err(self.fail(ctx, "take_error", err)),
        }
        match self.stream.peer_addr() {
            Ok(_) => self.connected = true,
            // Still in progress: a spurious or early event.
            Err(err) if err.kind() == ErrorKind::NotConnected => {}
            Err(err) => return Err(self.fail(ctx, "connect (peer_addr)", err)),
        }
        Ok(())
    }

    /// Reads until `WouldBlock` or end-of-file, verifying everything.
    /// Returns whether the server just learnt the connection's id.
    fn on_readable(&mut self, ctx: &mut Ctx) -> Result<bool, String> {
        let mut identified_now = false;
        // Server: the header comes first, read on its own.
        while self.id.is_none() {
            let result = (&self.stream).read(&mut self.header[self.header_done..]);
            match result {
                Ok(0) => {
                    return Err(self.fail(
                        ctx,
                        "read header",
                        format!("end-of-file after {} header bytes", self.header_done),
                    ))
                }
                Ok(n) => {
                    ctx.stats.reads += 1;
                    self.header_done += n;
                    if self.header_done == HEADER_LEN {
                        let magic = u32::from_le_bytes(self.header[..4].try_into().unwrap());
                        let id = u32::from_le_bytes(self.header[4..].try_into().unwrap());
                        if magic != HEADER_MAGIC || id >= ctx.connections {
                            return Err(self.fail(
                                ctx,
                                "read header",
                                format!("bad header {:02x?}", self.header),
                            ));
                        }
                        if std::mem::replace(&mut ctx.seen_ids[id as usize], true) {
                            return Err(self.fail(
                                ctx,
                                "read header",
                                format!("connection id {id} introduced itself twice"),
                            ));
                        }
                        self.identify(ctx, id);
                        identified_now = true;
                    }
                }
                Err(err) if err.kind() == ErrorKind::WouldBlock => return Ok(false),
                Err(err) if err.kind() == ErrorKind::Interrupted => ctx.stats.interrupted += 1,
                Err(err) => return Err(self.fail(ctx, "read header", err)),
            }
        }
        if self.read_eof {
            return Ok(identified_now);
        }
        loop {
            let len = ctx.rng.io_size();
            let inc = self.inc.as_mut().expect("identified");
            let held = inc.stage(&mut ctx.read_buf);
            let result = (&self.stream).read(&mut ctx.read_buf[held..held + len]);
            match result {
                Ok(0) => {
                    let inc = self.inc.as_ref().expect("identified");
                    inc.finish()
                        .map_err(|e| format!("{}: {}", ctx.role.name(), e))?;
                    self.read_eof = true;
                    ctx.stats.streams_verified += 1;
                    return Ok(identified_now);
                }
                Ok(n) => {
                    ctx.stats.reads += 1;
                    let before = inc.position();
                    inc.accept(&ctx.read_buf[..held + n], &mut ctx.expect_buf)
                        .map_err(|e| format!("{}: {}", ctx.role.name(), e))?;
                    ctx.stats.rx_bytes += inc.position() - before;
                }
                Err(err) if err.kind() == ErrorKind::WouldBlock => return Ok(identified_now),
                Err(err) if err.kind() == ErrorKind::Interrupted => ctx.stats.interrupted += 1,
                Err(err) => return Err(self.fail(ctx, "read", err)),
            }
        }
    }

    /// Writes until `WouldBlock`, or until the trailer and the FIN are out.
    fn on_writable(&mut self, ctx: &mut Ctx) -> Result<(), String> {
        // Client: the header goes first.
        while self.header_done < HEADER_LEN && ctx.role == Role::Client {
            let result = (&self.stream).write(&self.header[self.header_done..]);
            match self.wrote(ctx, result, "write header")? {
                Some(n) => self.header_done += n,
                None => return Ok(()),
            }
        }
        if self.write_shut || self.out.is_none() {
            return Ok(());
        }
        loop {
            let out = self.out.as_mut().expect("identified");
            if self.stopping && !out.is_finished() {
                out.finish();
            }
            if out.is_finished() {
                let left = out.trailer_left();
                if left.is_empty() {
                    if let Err(err) = self.stream.shutdown(Shutdown::Write) {
                        return Err(self.fail(ctx, "shutdown(Write)", err));
                    }
                    self.write_shut = true;
                    return Ok(());
                }
                let result = (&self.stream).write(left);
                match self.wrote(ctx, result, "write trailer")? {
                    Some(n) => self.out.as_mut().unwrap().trailer_advance(n),
                    None => return Ok(()),
                }
            } else {
                if ctx.budget_per_tick > 0 && self.budget <= 0 {
                    self.waiting_for_budget = true;
                    return Ok(());
                }
                let size = ctx.rng.io_size();
                let chunk = out.next_chunk(size, &mut ctx.write_buf);
                let result = (&self.stream).write(chunk);
                match self.wrote(ctx, result, "write")? {
                    Some(0) => {}
                    Some(n) => {
                        if n < size {
                            ctx.stats.partial_writes += 1;
                        }
                        ctx.stats.tx_bytes += n as u64;
                        self.budget -= n as i64;
                        self.out.as_mut().unwrap().advance(&ctx.write_buf[..n]);
                    }
                    None => return Ok(()),
                }
            }
        }
    }

    /// Sorts out a write's result: `Some(n)` bytes written (retry on
    /// `Interrupted` is `Some(0)`), `None` on `WouldBlock`.
    fn wrote(
        &self,
        ctx: &mut Ctx,
        result: io::Result<usize>,
        what: &str,
    ) -> Result<Option<usize>, String> {
        match result {
            Ok(0) => Err(self.fail(ctx, what, "write returned 0")),
            Ok(n) => {
                ctx.stats.writes += 1;
                Ok(Some(n))
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => Ok(None),
            Err(err) if err.kind() == ErrorKind::Interrupted => {
                ctx.stats.interrupted += 1;
                Ok(Some(0))
            }
            Err(err) => Err(self.fail(ctx, what, err)),
        }
    }
}
