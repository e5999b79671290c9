//! The client process: opens every connection (a bounded number in flight
//! at a time), runs the same verified streams as the server, and takes its
//! cues (`warm`, `stop`) from the server through stdin, delivered to its
//! `Poll` by a `Waker`.

use std::io::{BufRead, ErrorKind};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Poll, Token, Waker};

use crate::conn::{Conn, Ctx, Role};
use crate::procfs;
use crate::{budget_per_tick, check_fd_budget, Opts, RssWatch, Table, TICK};

const WAKER: Token = Token(1 << 40);

enum Command {
    Warm,
    Stop,
    /// stdin closed: the server is gone or done.
    Eof,
    Unknown(String),
}

/// Reads commands from stdin on a thread of its own and wakes the poller
/// for each.
fn command_reader(waker: Arc<Waker>) -> Receiver<Command> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let command = match line {
                Ok(line) => match line.trim() {
                    "warm" => Command::Warm,
                    "stop" => Command::Stop,
                    _ => Command::Unknown(line),
                },
                Err(_) => break,
            };
            if tx.send(command).is_err() {
                return;
            }
            let _ = waker.wake();
        }
        let _ = tx.send(Command::Eof);
        let _ = waker.wake();
    });
    rx
}

pub fn run(opts: &Opts) -> Result<(), String> {
    check_fd_budget(opts.connections, "client")?;
    let n = opts.connections;
    let mut poll = Poll::new().map_err(|e| format!("Poll::new: {e}"))?;
    let mut events = Events::with_capacity(1024);
    // Tokens closed during the current batch of events (see the loop).
    let mut closed_in_this_poll: Vec<usize> = Vec::with_capacity(1024);
    let waker =
        Arc::new(Waker::new(poll.registry(), WAKER).map_err(|e| format!("Waker::new: {e}"))?);
    let commands = command_reader(Arc::clone(&waker));

    let fds_start = procfs::fd_count()?;
    let mut ctx = Ctx::new(Role::Client, opts.seed, n, budget_per_tick(opts.rate));
    let mut table = Table::with_capacity(n as usize);
    let mut rss = RssWatch::new(opts.rss_tolerance);
    let mut opened = 0u32;
    let mut in_flight = 0usize;
    let mut closed = 0u32;
    let mut stopped = false;
    let mut stop_now = false;
    let mut last_progress = (0u64, Instant::now());
    let mut next_tick = Instant::now() + TICK;

    loop {
        // Keep a bounded number of connections between connect() and the
        // server's first byte, so the server's accept queues never overflow.
        while !stopped && opened < n && in_flight < opts.window {
            let addr = opts.connect[opened as usize % opts.connect.len()];
            let stream = TcpStream::connect(addr)
                .map_err(|e| format!("connect #{opened} to {addr}: {e}"))?;
            procfs::set_socket_buffers(&stream, opts.sndbuf, opts.rcvbuf)?;
            table.insert(Conn::client(stream, &ctx, opened), poll.registry())?;
            opened += 1;
            in_flight += 1;
        }

        let timeout = next_tick.saturating_duration_since(Instant::now());
        match poll.poll(&mut events, Some(timeout)) {
            Ok(()) => ctx.stats.polls += 1,
            Err(err) if err.kind() == ErrorKind::Interrupted => {
                ctx.stats.interrupted += 1;
                continue;
            }
            Err(err) => return Err(format!("poll failed: {err}")),
        }
        // As on the server: on kqueue a socket's two filters are two events
        // of one poll, and the first may close what the second names.
        closed_in_this_poll.clear();
        for event in events.iter() {
            ctx.stats.events += 1;
            let token = event.token();
            if token == WAKER {
                loop {
                    match commands.try_recv() {
                        Ok(Command::Warm) => rss.warm_up()?,
                        // Acted on after this batch: closing connections
                        // now would orphan their events later in the batch.
                        Ok(Command::Stop) => stop_now = !stopped,
                        Ok(Command::Eof) if !stopped && !stop_now => {
                            return Err("stdin closed before `stop`: the server went away".into())
                        }
                        Ok(Command::Eof) => {}
                        Ok(Command::Unknown(line)) => {
                            return Err(format!("unknown command from the server: {line:?}"))
                        }
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Disconnected) => break,
                    }
                }
                continue;
            }
            let Some(conn) = table.get_mut(token.0) else {
                if closed_in_this_poll.contains(&token.0) {
                    continue;
                }
                return Err(format!(
                    "event {event:?} for token {}, which is not registered \
                     (deregistered and closed earlier)",
                    token.0
                ));
            };
            let was_answered = conn.received_any();
            conn.on_event(event, &mut ctx)?;
            if !was_answered && conn.received_any() {
                in_flight -= 1;
            }
            if conn.is_done() {
                table.close(token.0, poll.registry())?;
                closed += 1;
                closed_in_this_poll.push(token.0);
            }
        }

        if stop_now {
            stop_now = false;
            stopped = true;
            let mut done = Vec::new();
            for (token, conn) in table.iter_mut() {
                conn.stop(&mut ctx)?;
                if conn.is_done() {
                    done.push(token);
                }
            }
            for token in done {
                table.close(token, poll.registry())?;
                closed += 1;
            }
        }
        if stopped && table.live() == 0 {
            break;
        }
        let now = Instant::now();
        if now < next_tick {
            continue;
        }
        next_tick = now + TICK;
        closed += table.refill_all(&mut ctx, poll.registry())? as u32;
        rss.sample("client")?;
        let s = &ctx.stats;
        let progress = s.tx_bytes + s.rx_bytes + s.streams_verified + u64::from(opened);
        if progress != last_progress.0 {
            last_progress = (progress, now);
        } else if now - last_progress.1 > Duration::from_secs(opts.stall_timeout) {
            return Err(format!(
                "no progress for {} s: {} opened, {} live, {} in flight, stopped={}; \
                 some open connections:{}",
                opts.stall_timeout,
                opened,
                table.live(),
                in_flight,
                stopped,
                table.sample(5)
            ));
        }
    }

    if opened != n || closed != n {
        return Err(format!(
            "opened {opened} and closed {closed} of {n} connections"
        ));
    }
    let fds_end = procfs::fd_count()?;
    if fds_end != fds_start {
        return Err(format!(
            "descriptor leak: {fds_start} open before the connections, {fds_end} after \
             all were closed; open now: {}",
            procfs::fd_listing()
        ));
    }
    rss.sample("client")?;
    let Some(warm) = rss.baseline_kib else {
        return Err("the server never sent `warm`".into());
    };
    let s = &ctx.stats;
    println!(
        "RESULT connections={n} tx={} rx={} streams_verified={} events={} polls={} writes={} \
         partial_writes={} reads={} interrupted={} warm_rss_kib={} max_rss_after_warmup_kib={} \
         hwm_kib={} fds_start={} fds_end={}",
        s.tx_bytes,
        s.rx_bytes,
        s.streams_verified,
        s.events,
        s.polls,
        s.writes,
        s.partial_writes,
        s.reads,
        s.interrupted,
        warm,
        rss.max_after_kib,
        rss.last.hwm_kib,
        fds_start,
        fds_end
    );
    Ok(())
}
