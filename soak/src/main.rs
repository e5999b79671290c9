//! mio soak: many simultaneous loopback TCP connections through one `Poll`,
//! every byte of both directions verified, for a bounded time.
//!
//! The server (this process) holds one end of every connection in a single
//! `Poll`; the client ends live in a child process (this binary run with
//! `--client`), so that each process stays under the per-process descriptor
//! limit. See `scripts/soak.sh` and `soak/README.md`.
//!
//! Exit status 0 means every check passed; anything else prints what failed.

mod client;
mod conn;
mod pattern;
mod procfs;
mod server;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use mio::{Registry, Token};

use crate::conn::Conn;

/// Descriptors a process needs besides its connections: stdio, the poller,
/// its wake descriptor(s), listeners, the pipes to the child, the directory
/// handle used to count descriptors, and slack.
pub const FD_RESERVE: u64 = 40;

/// How often each process samples its memory, checks for stalls and
/// refills the connections' write budgets.
pub const TICK: Duration = Duration::from_millis(250);

/// Write budget per connection and tick for `--rate`.
pub fn budget_per_tick(rate: u64) -> i64 {
    if rate == 0 {
        0
    } else {
        ((rate as u128 * TICK.as_millis() / 1000) as i64).max(1)
    }
}

#[derive(Clone, Debug)]
pub struct Opts {
    /// Run as the client child process.
    pub client: bool,
    /// Client: where to connect, round-robin.
    pub connect: Vec<SocketAddr>,
    /// Seconds of traffic once every connection is up.
    pub seconds: u64,
    pub connections: u32,
    /// Listening sockets (ports) of the server.
    pub listeners: usize,
    /// Client: connections allowed to be connecting or waiting for the
    /// server's first byte at once; bounds the server's accept queues.
    pub window: usize,
    /// `SO_SNDBUF` of every connection; 0 keeps the kernel's.
    pub sndbuf: usize,
    /// `SO_RCVBUF` of every connection; 0 keeps the kernel's.
    pub rcvbuf: usize,
    /// Stream bytes per second each connection writes in each direction
    /// (on average; single writes stay random up to 64 KiB); 0: no limit.
    pub rate: u64,
    /// Seconds between progress lines.
    pub report_every: u64,
    /// Seconds of traffic before the memory baseline is taken.
    pub warmup: Option<u64>,
    /// Allowed RSS growth after warm-up, percent of the baseline.
    pub rss_tolerance: u64,
    /// Seconds without any progress that count as a hang.
    pub stall_timeout: u64,
    /// Seconds allowed for all connections to come up.
    pub connect_timeout: u64,
    pub seed: u64,
}

impl Default for Opts {
    fn default() -> Opts {
        Opts {
            client: false,
            connect: Vec::new(),
            seconds: 60,
            connections: 19_000,
            listeners: 4,
            window: 256,
            sndbuf: 8192,
            rcvbuf: 0,
            rate: 2048,
            report_every: 10,
            warmup: None,
            rss_tolerance: 10,
            stall_timeout: 60,
            connect_timeout: 300,
            seed: 0,
        }
    }
}

const USAGE: &str = "\
usage: mio-soak [options]
  --seconds N          seconds of traffic once all connections are up (default 60)
  --connections N      simultaneous connections (default 19000)
  --listeners N        listening ports (default 4)
  --window N           connects in flight at once, per client (default 256)
  --rate BYTES         stream bytes per second per connection and direction,
                       0 = as fast as possible (default 2048)
  --sndbuf BYTES       SO_SNDBUF per socket, 0 = kernel default (default 8192: large
                       writes are partial)
  --rcvbuf BYTES       SO_RCVBUF per socket, 0 = kernel default (default 0)
  --report-every N     seconds between progress lines (default 10)
  --warmup N           seconds of traffic before the RSS baseline (default min(10, seconds/4))
  --rss-tolerance PCT  allowed RSS growth after warm-up (default 10)
  --stall-timeout N    seconds without progress that fail the run (default 60)
  --connect-timeout N  seconds allowed to bring all connections up (default 300)
  --seed N             seed of the byte streams (default: from the clock)
  (--client and --connect ADDR,... are used by the server for its child)";

fn parse_args() -> Result<Opts, String> {
    let mut opts = Opts::default();
    let mut seed = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--client" {
            opts.client = true;
            continue;
        }
        if arg == "-h" || arg == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))?;
        let num = || -> Result<u64, String> {
            value
                .parse::<u64>()
                .map_err(|e| format!("{arg} {value}: {e}"))
        };
        match arg.as_str() {
            "--connect" => {
                opts.connect = value
                    .split(',')
                    .map(|a| a.parse().map_err(|e| format!("--connect {a}: {e}")))
                    .collect::<Result<_, String>>()?
            }
            "--seconds" => opts.seconds = num()?,
            "--connections" => {
                opts.connections =
                    u32::try_from(num()?).map_err(|_| "--connections too large".to_string())?
            }
            "--listeners" => opts.listeners = num()?.max(1) as usize,
            "--window" => opts.window = num()?.max(1) as usize,
            "--sndbuf" => opts.sndbuf = num()? as usize,
            "--rcvbuf" => opts.rcvbuf = num()? as usize,
            "--rate" => opts.rate = num()?,
            "--report-every" => opts.report_every = num()?.max(1),
            "--warmup" => opts.warmup = Some(num()?),
            "--rss-tolerance" => opts.rss_tolerance = num()?,
            "--stall-timeout" => opts.stall_timeout = num()?.max(1),
            "--connect-timeout" => opts.connect_timeout = num()?.max(1),
            "--seed" => seed = Some(num()?),
            _ => return Err(format!("unknown option {arg}\n{USAGE}")),
        }
    }
    opts.seed = seed.unwrap_or_else(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        pattern::mix(now.as_nanos() as u64 ^ u64::from(std::process::id()))
    });
    if opts.connections == 0 {
        return Err("--connections must be at least 1".into());
    }
    if opts.client && opts.connect.is_empty() {
        return Err("--client needs --connect".into());
    }
    Ok(opts)
}

/// Fails early, with the arithmetic, when the descriptor limit cannot hold
/// the connections.
pub fn check_fd_budget(connections: u32, who: &str) -> Result<(), String> {
    let limit = procfs::fd_limit()?;
    let need = u64::from(connections) + FD_RESERVE;
    if need > limit {
        return Err(format!(
            "{who}: {connections} connections need about {need} descriptors \
             ({connections} + {FD_RESERVE} reserve) but RLIMIT_NOFILE is {limit}"
        ));
    }
    Ok(())
}

/// Connections by token (= slot index), with slots reused after a close.
/// Sized once for the whole run: nothing grows while traffic flows.
pub struct Table {
    slots: Vec<Option<Conn>>,
    free: Vec<usize>,
    live: usize,
}

impl Table {
    pub fn with_capacity(n: usize) -> Table {
        Table {
            slots: Vec::with_capacity(n),
            free: Vec::with_capacity(n),
            live: 0,
        }
    }

    /// Stores `conn` and registers it for reading and writing under its
    /// slot's token.
    pub fn insert(&mut self, conn: Conn, registry: &Registry) -> Result<usize, String> {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        let slot = &mut self.slots[index];
        let conn = slot.insert(conn);
        registry
            .register(
                &mut conn.stream,
                Token(index),
                mio::Interest::READABLE | mio::Interest::WRITABLE,
            )
            .map_err(|e| format!("register (token {index}): {e}"))?;
        self.live += 1;
        Ok(index)
    }

    pub fn get_mut(&mut self, index: usize) -> Option<&mut Conn> {
        self.slots.get_mut(index).and_then(Option::as_mut)
    }

    /// Deregisters and closes the connection in `index`.
    pub fn close(&mut self, index: usize, registry: &Registry) -> Result<(), String> {
        let mut conn = self.slots[index].take().expect("closing an empty slot");
        registry
            .deregister(&mut conn.stream)
            .map_err(|e| format!("deregister (token {index}): {e}"))?;
        drop(conn);
        self.free.push(index);
        self.live -= 1;
        Ok(())
    }

    pub fn live(&self) -> usize {
        self.live
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (usize, &mut Conn)> {
        self.slots
            .iter_mut()
            .enumerate()
            .filter_map(|(i, s)| s.as_mut().map(|c| (i, c)))
    }

    /// Refills every connection's write budget; closes those done.
    pub fn refill_all(
        &mut self,
        ctx: &mut crate::conn::Ctx,
        registry: &Registry,
    ) -> Result<usize, String> {
        if ctx.budget_per_tick == 0 {
            return Ok(0);
        }
        let mut closed = 0;
        for index in 0..self.slots.len() {
            if let Some(conn) = self.slots[index].as_mut() {
                conn.refill(ctx)?;
                if conn.is_done() {
                    self.close(index, registry)?;
                    closed += 1;
                }
            }
        }
        Ok(closed)
    }

    /// Descriptions of up to `n` connections still open.
    pub fn sample(&mut self, n: usize) -> String {
        self.iter_mut()
            .take(n)
            .map(|(i, c)| format!("\n  token {i}: {}", c.describe()))
            .collect()
    }
}

/// RSS after warm-up must stay within `tolerance` percent of the baseline
/// taken at the end of warm-up (with a floor of [`RSS_FLOOR_KIB`]).
///
/// Why a tolerance at all: the soak allocates everything it needs before
/// traffic starts (connection table, buffers, the `Events` array) and mio
/// promises not to allocate in `poll`, `register` or I/O, so a correct run
/// stays flat. What still moves RSS is page-granular noise: progress-line
/// formatting and `/proc` reads allocating and freeing small strings, the
/// allocator trimming or re-touching a page of a free list, a thread's stack
/// touching one more page. That is a few pages, far below 10% of a process
/// holding thousands of connections; a per-event or per-connection-per-second
/// leak grows without bound and crosses it within seconds to minutes.
pub struct RssWatch {
    tolerance: u64,
    pub baseline_kib: Option<u64>,
    pub max_after_kib: u64,
    pub last: procfs::Memory,
}

/// At small connection counts 10% is a handful of pages: allow 1 MiB.
pub const RSS_FLOOR_KIB: u64 = 1024;

impl RssWatch {
    pub fn new(tolerance: u64) -> RssWatch {
        RssWatch {
            tolerance,
            baseline_kib: None,
            max_after_kib: 0,
            last: procfs::Memory::default(),
        }
    }

    pub fn limit_kib(&self) -> Option<u64> {
        self.baseline_kib
            .map(|b| b + (b * self.tolerance / 100).max(RSS_FLOOR_KIB))
    }

    /// Takes the baseline now.
    pub fn warm_up(&mut self) -> Result<(), String> {
        self.last = procfs::memory()?;
        self.baseline_kib = Some(self.last.rss_kib);
        self.max_after_kib = self.last.rss_kib;
        Ok(())
    }

    /// Samples the RSS; fails if it grew beyond the limit since warm-up.
    pub fn sample(&mut self, who: &str) -> Result<(), String> {
        self.last = procfs::memory()?;
        if let (Some(base), Some(limit)) = (self.baseline_kib, self.limit_kib()) {
            self.max_after_kib = self.max_after_kib.max(self.last.rss_kib);
            if self.last.rss_kib > limit {
                return Err(format!(
                    "{who}: RSS grew after warm-up: {} KiB now, {} KiB at the end of \
                     warm-up, limit {} KiB (+{}%, at least +{} KiB)",
                    self.last.rss_kib, base, limit, self.tolerance, RSS_FLOOR_KIB
                ));
            }
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(opts) => opts,
        Err(msg) => {
            eprintln!("mio-soak: {msg}");
            return ExitCode::from(2);
        }
    };
    let result = if opts.client {
        client::run(&opts)
    } else {
        server::run(&opts)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            let who = if opts.client { "client" } else { "server" };
            eprintln!("mio-soak {who}: FAIL: {msg}");
            ExitCode::FAILURE
        }
    }
}
