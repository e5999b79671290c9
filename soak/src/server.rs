//! The server process: listeners and every server-side connection in one
//! `Poll`, the client child started and steered through its stdin, the run's
//! phases, the checks and the report.

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Registry, Token};

use crate::conn::{Conn, Ctx, Role, Stats};
use crate::procfs::{self, bytes};
use crate::{budget_per_tick, check_fd_budget, Opts, RssWatch, Table, TICK};

/// Listener tokens sit far above any connection slot.
const LISTENER_BASE: usize = 1 << 40;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Accepting until every connection is up and has sent its header.
    Connecting,
    /// Full-duplex traffic on every connection.
    Traffic,
    /// Trailers, FINs, final verification, closes.
    Closing,
}

/// Kills and reaps the child if the server gives up early.
struct ChildGuard(Option<Child>);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// What the client reported on its `RESULT` line.
#[derive(Debug, Default)]
struct ClientResult {
    fields: Vec<(String, String)>,
}

impl ClientResult {
    fn parse(line: &str) -> ClientResult {
        ClientResult {
            fields: line
                .split_whitespace()
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn get(&self, key: &str) -> Result<u64, String> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse().ok())
            .ok_or_else(|| format!("the client's RESULT line has no number {key}"))
    }
}

/// Whether `Poll` runs on epoll, from what its descriptor is.
fn backend_name(poll: &Poll) -> String {
    use std::os::unix::io::AsRawFd;
    let link = std::fs::read_link(format!("/proc/self/fd/{}", poll.as_raw_fd()))
        .map(|p| p.display().to_string())
        .unwrap_or_else(|e| format!("? ({e})"));
    if link.contains("eventpoll") {
        "epoll".to_string()
    } else if cfg!(mio_unsupported_force_kqueue) {
        format!("kqueue over libkqueue (Poll's descriptor is {link})")
    } else {
        format!("poll(2) (Poll's descriptor is {link}, not an epoll instance)")
    }
}

fn buf_name(bytes: usize) -> String {
    if bytes == 0 {
        "kernel default".to_string()
    } else {
        bytes.to_string()
    }
}

fn spawn_client(opts: &Opts, addrs: &[SocketAddr]) -> Result<Child, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let connect = addrs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    Command::new(exe)
        .arg("--client")
        .args(["--connect", &connect])
        .args(["--connections", &opts.connections.to_string()])
        .args(["--seed", &opts.seed.to_string()])
        .args(["--sndbuf", &opts.sndbuf.to_string()])
        .args(["--rcvbuf", &opts.rcvbuf.to_string()])
        .args(["--rate", &opts.rate.to_string()])
        .args(["--window", &opts.window.to_string()])
        .args(["--rss-tolerance", &opts.rss_tolerance.to_string()])
        .args(["--stall-timeout", &opts.stall_timeout.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the client process: {e}"))
}

/// Echoes the child's stdout with a prefix and returns its `RESULT` line.
/// The pipe is kept open until `release` says so (or is dropped), so that
/// the server's descriptor count does not depend on when the child exits.
fn echo_child_output(child: &mut Child) -> (JoinHandle<Option<String>>, mpsc::Sender<()>) {
    let stdout = child.stdout.take().expect("piped stdout");
    let (release, released) = mpsc::channel::<()>();
    let handle = thread::spawn(move || {
        let mut result = None;
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        while matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
            let text = line.trim_end();
            println!("[client] {text}");
            if text.starts_with("RESULT ") {
                result = Some(text.to_string());
            }
            line.clear();
        }
        let _ = released.recv();
        result
    });
    (handle, release)
}

fn tell(stdin: &mut ChildStdin, command: &str) -> Result<(), String> {
    writeln!(stdin, "{command}")
        .and_then(|()| stdin.flush())
        .map_err(|e| format!("cannot send `{command}` to the client: {e}"))
}

struct Server {
    opts: Opts,
    started: Instant,
    ctx: Ctx,
    table: Table,
    accepted: u64,
    closed: u64,
    rss: RssWatch,
}

impl Server {
    fn accept_all(&mut self, listener: &TcpListener, registry: &Registry) -> Result<(), String> {
        loop {
            match listener.accept() {
                Ok((stream, _peer)) => {
                    if self.accepted >= u64::from(self.opts.connections) {
                        return Err(format!(
                            "accepted more than the {} connections the client opens",
                            self.opts.connections
                        ));
                    }
                    procfs::set_socket_buffers(&stream, self.opts.sndbuf, self.opts.rcvbuf)?;
                    self.table
                        .insert(Conn::server(stream, &self.ctx), registry)?;
                    self.accepted += 1;
                }
                Err(err) if err.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(err) if err.kind() == ErrorKind::Interrupted => self.ctx.stats.interrupted += 1,
                Err(err) => return Err(format!("accept failed: {err}")),
            }
        }
    }

    fn progress(&self) -> u64 {
        let s = &self.ctx.stats;
        s.tx_bytes + s.rx_bytes + s.streams_verified + self.accepted + self.closed
    }

    fn report(&self, phase: Phase) {
        let s: &Stats = &self.ctx.stats;
        println!(
            "[server] {:>6.1}s {:<10} live={} accepted={} closed={} c2s={} s2c={} events={} \
             polls={} partial_writes={} interrupted={} errors=0 rss={} hwm={}",
            self.started.elapsed().as_secs_f64(),
            format!("{phase:?}"),
            self.table.live(),
            self.accepted,
            self.closed,
            bytes(s.rx_bytes),
            bytes(s.tx_bytes),
            s.events,
            s.polls,
            s.partial_writes,
            s.interrupted,
            bytes(self.rss.last.rss_kib * 1024),
            bytes(self.rss.last.hwm_kib * 1024),
        );
    }
}

pub fn run(opts: &Opts) -> Result<(), String> {
    check_fd_budget(opts.connections, "server")?;
    let n = opts.connections as usize;
    let mut poll = Poll::new().map_err(|e| format!("Poll::new: {e}"))?;
    let mut events = Events::with_capacity(1024);
    // Tokens closed during the current batch of events (see the loop).
    let mut closed_in_this_poll: Vec<usize> = Vec::with_capacity(1024);
    let backend = backend_name(&poll);

    let mut listeners = Vec::with_capacity(opts.listeners);
    let mut addrs = Vec::with_capacity(opts.listeners);
    for i in 0..opts.listeners {
        let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())
            .map_err(|e| format!("bind listener: {e}"))?;
        poll.registry()
            .register(&mut listener, Token(LISTENER_BASE + i), Interest::READABLE)
            .map_err(|e| format!("register listener: {e}"))?;
        addrs.push(listener.local_addr().map_err(|e| e.to_string())?);
        listeners.push(listener);
    }

    let warmup = opts.warmup.unwrap_or((opts.seconds / 4).min(10));
    println!(
        "[server] mio soak: {} connections over {} listeners, {} s of traffic ({} s warm-up), \
         {} per connection and direction, SO_SNDBUF {}, SO_RCVBUF {}, seed {}, backend {}",
        opts.connections,
        opts.listeners,
        opts.seconds,
        warmup,
        if opts.rate == 0 {
            "no rate limit".to_string()
        } else {
            format!("{} B/s", opts.rate)
        },
        buf_name(opts.sndbuf),
        buf_name(opts.rcvbuf),
        opts.seed,
        backend
    );

    let mut child = ChildGuard(Some(spawn_client(opts, &addrs)?));
    let (echo, release_echo) = echo_child_output(child.0.as_mut().unwrap());
    let mut child_stdin = child.0.as_mut().unwrap().stdin.take().expect("piped stdin");

    let fds_start = procfs::fd_count()?;
    let mut server = Server {
        opts: opts.clone(),
        started: Instant::now(),
        ctx: Ctx::new(
            Role::Server,
            opts.seed,
            opts.connections,
            budget_per_tick(opts.rate),
        ),
        table: Table::with_capacity(n),
        accepted: 0,
        closed: 0,
        rss: RssWatch::new(opts.rss_tolerance),
    };
    server.rss.sample("server")?;

    let mut phase = Phase::Connecting;
    let mut all_up_at = None;
    let mut traffic_end = None;
    let mut warm_at = None;
    let mut closing_started = None;
    let mut last_progress = (server.progress(), Instant::now());
    let mut next_tick = Instant::now() + TICK;
    let mut next_report = Instant::now() + Duration::from_secs(opts.report_every);
    let mut identified = 0u64;
    let mut child_status = None;
    // Stream bytes (client->server, server->client) when all connections
    // were up, and moved during the traffic phase.
    let mut bytes_at_start = (0, 0);
    let mut bytes_in_traffic = (0, 0);

    loop {
        let timeout = next_tick.saturating_duration_since(Instant::now());
        match poll.poll(&mut events, Some(timeout)) {
            Ok(()) => server.ctx.stats.polls += 1,
            Err(err) if err.kind() == ErrorKind::Interrupted => {
                server.ctx.stats.interrupted += 1;
                continue;
            }
            Err(err) => return Err(format!("poll failed: {err}")),
        }
        // On kqueue a socket's READ and WRITE filters are two events of one
        // poll: the first may close a connection the second still names.
        // Only an event for a connection closed by an earlier poll is stale.
        closed_in_this_poll.clear();
        for event in events.iter() {
            server.ctx.stats.events += 1;
            let token = event.token().0;
            if token >= LISTENER_BASE {
                let listener = listeners
                    .get(token - LISTENER_BASE)
                    .ok_or_else(|| format!("event for unknown token {token}"))?;
                server.accept_all(listener, poll.registry())?;
                continue;
            }
            let Some(conn) = server.table.get_mut(token) else {
                if closed_in_this_poll.contains(&token) {
                    continue;
                }
                return Err(format!(
                    "event {event:?} for token {token}, which is not registered \
                     (deregistered and closed earlier)"
                ));
            };
            let was_identified = conn.id().is_some();
            conn.on_event(event, &mut server.ctx)?;
            if !was_identified && conn.id().is_some() {
                identified += 1;
            }
            if conn.is_done() {
                server.table.close(token, poll.registry())?;
                server.closed += 1;
                closed_in_this_poll.push(token);
            }
        }

        let now = Instant::now();
        if now < next_tick {
            continue;
        }
        next_tick = now + TICK;
        server.closed += server.table.refill_all(&mut server.ctx, poll.registry())? as u64;
        server.rss.sample("server")?;
        if child_status.is_none() {
            let c = child.0.as_mut().unwrap();
            if let Some(status) = c.try_wait().map_err(|e| format!("try_wait: {e}"))? {
                // The client may finish its side of the shutdown first.
                if phase != Phase::Closing || !status.success() {
                    return Err(format!(
                        "the client process exited in phase {phase:?} ({status}); \
                         its message is above"
                    ));
                }
                child_status = Some(status);
            }
        }
        let progress = server.progress();
        if progress != last_progress.0 {
            last_progress = (progress, now);
        } else if now - last_progress.1 > Duration::from_secs(opts.stall_timeout) {
            return Err(format!(
                "no progress for {} s in phase {:?}: {} live, {} accepted, {} closed; \
                 some open connections:{}",
                opts.stall_timeout,
                phase,
                server.table.live(),
                server.accepted,
                server.closed,
                server.table.sample(5)
            ));
        }
        if now >= next_report {
            next_report = now + Duration::from_secs(opts.report_every);
            server.report(phase);
        }

        match phase {
            Phase::Connecting => {
                if server.accepted == u64::from(opts.connections)
                    && identified == u64::from(opts.connections)
                {
                    let took = server.started.elapsed();
                    println!(
                        "[server] all {} connections up after {:.1} s ({} open descriptors)",
                        opts.connections,
                        took.as_secs_f64(),
                        procfs::fd_count()?
                    );
                    all_up_at = Some(now);
                    let s = &server.ctx.stats;
                    bytes_at_start = (s.rx_bytes, s.tx_bytes);
                    warm_at = Some(now + Duration::from_secs(warmup));
                    traffic_end = Some(now + Duration::from_secs(opts.seconds));
                    phase = Phase::Traffic;
                } else if server.started.elapsed() > Duration::from_secs(opts.connect_timeout) {
                    return Err(format!(
                        "only {} of {} connections accepted ({} identified) after {} s",
                        server.accepted, opts.connections, identified, opts.connect_timeout
                    ));
                }
            }
            Phase::Traffic => {
                if server.rss.baseline_kib.is_none() && now >= warm_at.unwrap() {
                    server.rss.warm_up()?;
                    tell(&mut child_stdin, "warm")?;
                    println!(
                        "[server] warm-up done: RSS baseline {} (limit {})",
                        bytes(server.rss.baseline_kib.unwrap() * 1024),
                        bytes(server.rss.limit_kib().unwrap() * 1024)
                    );
                }
                if now >= traffic_end.unwrap() {
                    if server.table.live() != opts.connections as usize {
                        return Err(format!(
                            "only {} connections live at the end of traffic",
                            server.table.live()
                        ));
                    }
                    if server.rss.baseline_kib.is_none() {
                        // A run shorter than its warm-up: baseline now.
                        server.rss.warm_up()?;
                        tell(&mut child_stdin, "warm")?;
                    }
                    server.report(phase);
                    let s = &server.ctx.stats;
                    bytes_in_traffic =
                        (s.rx_bytes - bytes_at_start.0, s.tx_bytes - bytes_at_start.1);
                    println!("[server] traffic done; closing every connection");
                    tell(&mut child_stdin, "stop")?;
                    phase = Phase::Closing;
                    closing_started = Some(now);
                    let mut done = Vec::new();
                    for (token, conn) in server.table.iter_mut() {
                        conn.stop(&mut server.ctx)?;
                        if conn.is_done() {
                            done.push(token);
                        }
                    }
                    for token in done {
                        server.table.close(token, poll.registry())?;
                        server.closed += 1;
                    }
                }
            }
            Phase::Closing => {}
        }
        if phase == Phase::Closing && server.table.live() == 0 {
            break;
        }
    }

    let closing_took = closing_started.unwrap().elapsed();
    let traffic_secs = (closing_started.unwrap() - all_up_at.unwrap()).as_secs_f64();
    server.rss.sample("server")?;
    server.report(phase);
    let fds_end = procfs::fd_count()?;
    if fds_end != fds_start {
        return Err(format!(
            "descriptor leak: {fds_start} open before the connections, {fds_end} after \
             all were closed; open now: {}",
            procfs::fd_listing()
        ));
    }
    if server.ctx.stats.streams_verified != u64::from(opts.connections) {
        return Err(format!(
            "{} of {} client->server streams verified",
            server.ctx.stats.streams_verified, opts.connections
        ));
    }

    // The client closes its ends, checks itself and exits.
    drop(child_stdin);
    let deadline = Instant::now() + Duration::from_secs(opts.stall_timeout);
    let status = loop {
        if let Some(status) = child_status {
            child.0 = None;
            break status;
        }
        let c = child.0.as_mut().unwrap();
        if let Some(status) = c.try_wait().map_err(|e| format!("try_wait: {e}"))? {
            child.0 = None;
            break status;
        }
        if Instant::now() > deadline {
            return Err(format!(
                "the client did not exit within {} s of the end",
                opts.stall_timeout
            ));
        }
        thread::sleep(Duration::from_millis(20));
    };
    drop(release_echo);
    let result_line = echo.join().map_err(|_| "client output thread panicked")?;
    if !status.success() {
        return Err(format!(
            "the client failed ({status}); its message is above"
        ));
    }
    let client =
        ClientResult::parse(&result_line.ok_or("the client exited without a RESULT line")?);
    let s = &server.ctx.stats;
    if client.get("tx")? != s.rx_bytes || client.get("rx")? != s.tx_bytes {
        return Err(format!(
            "byte counts disagree: client sent {} and received {}, server received {} and sent {}",
            client.get("tx")?,
            client.get("rx")?,
            s.rx_bytes,
            s.tx_bytes
        ));
    }
    if client.get("streams_verified")? != u64::from(opts.connections) {
        return Err("the client did not verify every server->client stream".into());
    }

    let total = server.started.elapsed();
    let mem = procfs::memory()?;
    println!("[server] ================= mio soak: PASS =================");
    println!("[server] backend:        {backend}");
    println!(
        "[server] connections:    {} simultaneous, through one Poll (all up after {:.1} s)",
        opts.connections,
        (all_up_at.unwrap() - server.started).as_secs_f64()
    );
    println!(
        "[server] bytes:          client->server {} ({} B), server->client {} ({} B), in all",
        bytes(s.rx_bytes),
        s.rx_bytes,
        bytes(s.tx_bytes),
        s.tx_bytes,
    );
    println!(
        "[server] traffic phase:  {:.1} s with every connection up: client->server {}, \
         server->client {}, {}/s both ways together",
        traffic_secs,
        bytes(bytes_in_traffic.0),
        bytes(bytes_in_traffic.1),
        bytes(((bytes_in_traffic.0 + bytes_in_traffic.1) as f64 / traffic_secs.max(0.001)) as u64)
    );
    println!(
        "[server] verified:       {} streams each way, every byte in order, lengths and \
         checksums of all trailers",
        opts.connections
    );
    println!(
        "[server] events:         server {} in {} polls; client {} in {} polls",
        s.events,
        s.polls,
        client.get("events")?,
        client.get("polls")?
    );
    println!(
        "[server] writes:         server {} ({} partial), client {} ({} partial); \
         interrupted (retried): server {}, client {}",
        s.writes,
        s.partial_writes,
        client.get("writes")?,
        client.get("partial_writes")?,
        s.interrupted,
        client.get("interrupted")?
    );
    println!("[server] errors:         0");
    println!(
        "[server] memory:         server peak RSS (VmHWM) {}, RSS after warm-up {} .. max {} \
         (limit {}); client peak RSS {}, after warm-up {} .. max {}",
        bytes(mem.hwm_kib * 1024),
        bytes(server.rss.baseline_kib.unwrap() * 1024),
        bytes(server.rss.max_after_kib * 1024),
        bytes(server.rss.limit_kib().unwrap() * 1024),
        bytes(client.get("hwm_kib")? * 1024),
        bytes(client.get("warm_rss_kib")? * 1024),
        bytes(client.get("max_rss_after_warmup_kib")? * 1024),
    );
    println!(
        "[server] descriptors:    server {} before the connections and {} after closing them \
         all; client {} and {}",
        fds_start,
        fds_end,
        client.get("fds_start")?,
        client.get("fds_end")?
    );
    println!(
        "[server] shutdown:       all {} connections closed by both ends in {:.1} s",
        opts.connections,
        closing_took.as_secs_f64()
    );
    println!(
        "[server] duration:       {:.1} s in all",
        total.as_secs_f64()
    );
    Ok(())
}
