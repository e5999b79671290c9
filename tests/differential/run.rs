//! Differential scenario runner (`harness = false`; `scripts/differential.sh`
//! runs it on every backend and compares).
//!
//! A seed drives a random sequence of operations on sockets and pipes
//! (create, register, reregister, deregister, I/O on both ends, shutdown,
//! close without deregistering so that the descriptor number is reused,
//! wake). After each operation the runner waits until the kernel has
//! settled (data and FINs across the loopback), then polls and checks,
//! within the run:
//!
//! * **No event for a dead token**: every registration gets a fresh token;
//!   a token that was deregistered, replaced by `reregister`, or whose
//!   source was closed must never come back.
//! * **No missed readiness**: when a registered direction is "armed"
//!   (registered or reregistered, or the last read/write hit `WouldBlock`,
//!   and no event reported it since) and poll(2) says the descriptor is
//!   ready that way right now (so the next read or write makes progress),
//!   an event must report it within a bounded wait (5 s). Spurious events
//!   are allowed and do not disarm: a user's read would just see
//!   `WouldBlock` and stay armed.
//! * A wake is reported.
//!
//! Each step writes one summary line that depends only on the seed and the
//! kernel (the operation, its coarse I/O outcome, the set of readiness the
//! backend had to report), so two backends' summaries for one seed must be
//! identical; the script diffs them. The one thing left out is a TCP
//! socket's writability, which depends on when the loopback acknowledged
//! data (the within-run check still applies to it).
//!
//! **libkqueue.** With `MIO_DIFFERENTIAL_LIBKQUEUE=1` (set by the script for
//! the kqueue backend, which runs here over libkqueue, an emulation on
//! epoll) the runner allows for one libkqueue difference that shows in these
//! scenarios: when it reports an error event it reads, and so clears, the
//! socket's `SO_ERROR` (a kernel leaves it for the next read or write, and
//! poll(2) keeps showing it). So the runner keeps the error as pending
//! itself until the read or write that would have returned it: an error
//! event counts as the readiness it stood for even when poll(2) no longer
//! shows it, the source counts as ready (and reported at once, as on a
//! kernel) while the error is pending, and that read or write is summarized
//! with a `libkqueue:` mark: the script compares such a step without its I/O
//! outcome, and the runner does not re-arm on it (as on the error it stands
//! for). Where the kernel's failing call would have moved nothing (any
//! write; a UDP read) the runner skips it, so that the sockets' state stays
//! the kernel's (a UDP send that went through would bring a new ICMP error). libkqueue's other differences (error events also flagged
//! `EV_EOF`, a read edge bringing a write event too) are spurious or extra
//! events, which the rules allow already; it keeping a closed descriptor's
//! filters is worked around by the selector, so it stays checked here.
//!
//! Arguments: `--seed S` | `--from S --seeds N`, `--steps K`, `--out DIR`
//! (summaries to DIR/S.txt), `--verbose`. Without arguments (as under
//! `cargo test`) it runs three short seeds.

use crate::sources;

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::net::Shutdown;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use std::{env, fs, io, process};

use mio::{Events, Interest, Poll, Token, Waker};

use sources::{Kind, Outcome, Peer, A, KINDS};

const WAKE: Token = Token(0);
const SLOTS: usize = 6;
/// How long readiness that the kernel shows may take to be reported.
const DEADLINE: Duration = Duration::from_secs(5);

/// splitmix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

struct Slot {
    kind: Kind,
    a: A,
    peer: Option<Peer>,
    registration: Option<(Token, Interest)>,
    armed_read: bool,
    armed_write: bool,
    /// Bytes the peer wrote that A has not read (stream kinds), while it
    /// can be tracked.
    unread: Option<usize>,
    /// libkqueue only: an error event was reported, and libkqueue took the
    /// socket's `SO_ERROR` with it, since A's last read or write.
    error_taken: bool,
}

struct Run {
    seed: u64,
    verbose: bool,
    /// The backend is kqueue over libkqueue (see the module docs).
    libkqueue: bool,
    rng: Rng,
    poll: Poll,
    events: Events,
    waker: Waker,
    slots: Vec<Option<Slot>>,
    next_token: usize,
    dead: HashSet<usize>,
    wake_pending: bool,
    summary: String,
    violations: Vec<String>,
    recent: Vec<String>,
    step: usize,
}

fn interest_for(rng: &mut Rng, kind: Kind) -> Interest {
    match kind {
        Kind::PipeRecv => Interest::READABLE,
        Kind::PipeSend => Interest::WRITABLE,
        _ => match rng.below(3) {
            0 => Interest::READABLE,
            1 => Interest::WRITABLE,
            _ => Interest::READABLE | Interest::WRITABLE,
        },
    }
}

fn interest_name(interest: Interest) -> &'static str {
    match (interest.is_readable(), interest.is_writable()) {
        (true, true) => "RW",
        (true, false) => "R",
        _ => "W",
    }
}

impl Run {
    fn new(seed: u64, verbose: bool, libkqueue: bool) -> io::Result<Run> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKE)?;
        Ok(Run {
            seed,
            verbose,
            libkqueue,
            rng: Rng(seed),
            poll,
            events: Events::with_capacity(64),
            waker,
            slots: (0..SLOTS).map(|_| None).collect(),
            next_token: 1,
            dead: HashSet::new(),
            wake_pending: false,
            summary: String::new(),
            violations: Vec::new(),
            recent: Vec::new(),
            step: 0,
        })
    }

    fn violation(&mut self, what: String) {
        let mut message = format!("seed {} step {}: {}", self.seed, self.step, what);
        for line in &self.recent {
            let _ = write!(message, "\n    {line}");
        }
        self.violations.push(message);
    }

    fn fresh_token(&mut self) -> Token {
        let token = Token(self.next_token);
        self.next_token += 1;
        token
    }

    fn retire(&mut self, index: usize) {
        if let Some((token, _)) = self.slots[index]
            .as_mut()
            .and_then(|s| s.registration.take())
        {
            self.dead.insert(token.0);
        }
    }

    /// One random operation; returns its description and outcome.
    fn operate(&mut self) -> String {
        if self.rng.chance(5) {
            self.waker.wake().expect("wake");
            self.wake_pending = true;
            return "wake".to_string();
        }
        let index = self.rng.below(SLOTS);
        if self.slots[index].is_none() {
            let kind = KINDS[self.rng.below(KINDS.len())];
            let (a, peer) = sources::create(kind).expect("create a source");
            if kind == Kind::Tcp {
                small_buffers(&a, &peer);
            }
            let unread = matches!(kind, Kind::Tcp | Kind::Unix | Kind::PipeRecv).then_some(0);
            self.slots[index] = Some(Slot {
                kind,
                a,
                peer: Some(peer),
                registration: None,
                armed_read: false,
                armed_write: false,
                unread,
                error_taken: false,
            });
            return format!("{index}: create {kind:?}");
        }
        let choice = self.rng.below(13);
        let n = 1 + self.rng.below(4096);
        let interest = interest_for(&mut self.rng, self.slots[index].as_ref().unwrap().kind);
        let new_token = self.rng.chance(50);
        let how = [Shutdown::Read, Shutdown::Write, Shutdown::Both][self.rng.below(3)];
        match choice {
            0 | 1 => {
                let token = self.fresh_token();
                let slot = self.slots[index].as_mut().unwrap();
                match slot.registration {
                    None => {
                        let result =
                            self.poll
                                .registry()
                                .register(slot.a.source(), token, interest);
                        if let Err(e) = result {
                            self.violation(format!("register failed: {e}"));
                            return format!("{index}: register failed");
                        }
                        slot.registration = Some((token, interest));
                        slot.armed_read = true;
                        slot.armed_write = true;
                        format!("{index}: register {} {}", token.0, interest_name(interest))
                    }
                    Some((old, _)) => {
                        let token = if new_token { token } else { old };
                        let result =
                            self.poll
                                .registry()
                                .reregister(slot.a.source(), token, interest);
                        if let Err(e) = result {
                            self.violation(format!("reregister failed: {e}"));
                            return format!("{index}: reregister failed");
                        }
                        slot.registration = Some((token, interest));
                        slot.armed_read = true;
                        slot.armed_write = true;
                        if token != old {
                            self.dead.insert(old.0);
                        }
                        format!(
                            "{index}: reregister {} {}",
                            token.0,
                            interest_name(interest)
                        )
                    }
                }
            }
            2 => {
                let slot = self.slots[index].as_mut().unwrap();
                if slot.registration.is_none() {
                    return format!("{index}: (not registered)");
                }
                if let Err(e) = self.poll.registry().deregister(slot.a.source()) {
                    self.violation(format!("deregister failed: {e}"));
                }
                self.retire(index);
                format!("{index}: deregister")
            }
            3 | 4 => {
                let slot = self.slots[index].as_mut().unwrap();
                let fd = slot.a.fd();
                let (outcome, written) = match slot.peer.as_mut() {
                    Some(peer) => peer.write(n),
                    None => (Outcome::NotApplicable, 0),
                };
                if written > 0 {
                    match slot.unread.as_mut() {
                        Some(unread) => {
                            *unread += written;
                            let want = *unread;
                            sources::settle(fd, libc::POLLIN, || {
                                sources::bytes_available(fd) >= want
                            });
                        }
                        None => {
                            sources::settle(fd, libc::POLLIN, || sources::level(fd).0);
                        }
                    }
                }
                format!("{index}: peer write {n} -> {outcome:?}")
            }
            5 | 6 => {
                let slot = self.slots[index].as_mut().unwrap();
                let taken = take_error(slot, true);
                // A datagram socket's read fails with the error before it
                // takes a datagram (a stream's returns what is queued
                // first, as libkqueue's does): skip the read here.
                let outcome = if taken && slot.kind == Kind::Udp {
                    Outcome::NotApplicable
                } else {
                    slot.a.drain()
                };
                if let (Outcome::Blocked(_), false) = (outcome, taken) {
                    slot.armed_read = true;
                }
                if slot.unread.is_some() {
                    slot.unread = Some(sources::bytes_available(slot.a.fd()));
                }
                format!(
                    "{index}: read -> {}",
                    shown_taken(taken, format!("{outcome:?}"))
                )
            }
            7 => {
                let slot = self.slots[index].as_mut().unwrap();
                let (chunk, cap) = match slot.kind {
                    Kind::Udp => (1024, 16 * 1024),
                    _ => (64 * 1024, 32 << 20),
                };
                let cap = if self.rng.chance(50) { 100 } else { cap };
                let chunk = chunk.min(cap);
                let taken = take_error(slot, false);
                // The write would fail with the error and send nothing.
                let outcome = if taken {
                    Outcome::NotApplicable
                } else {
                    slot.a.fill(chunk, cap)
                };
                if let (Outcome::Blocked(_), false) = (outcome, taken) {
                    slot.armed_write = true;
                }
                quiesce_outgoing(slot);
                // Whether a TCP write near a full buffer moves bytes or
                // blocks depends on how far the loopback acknowledged
                // earlier data: only errors are the same every run.
                let shown = match (slot.kind, outcome) {
                    (Kind::Tcp, Outcome::Blocked(_) | Outcome::Capped) => "_".to_string(),
                    _ => format!("{outcome:?}"),
                };
                let shown = shown_taken(taken, shown);
                format!("{index}: write {cap} -> {shown}")
            }
            8 => {
                let slot = self.slots[index].as_mut().unwrap();
                let outcome = match slot.peer.as_mut() {
                    Some(peer) => peer.drain(),
                    None => Outcome::NotApplicable,
                };
                quiesce_outgoing(slot);
                format!("{index}: peer read -> {outcome:?}")
            }
            9 => {
                let slot = self.slots[index].as_mut().unwrap();
                let outcome = match slot.peer.as_ref() {
                    Some(peer) => peer.shutdown_write(),
                    None => Outcome::NotApplicable,
                };
                if outcome == Outcome::Blocked(false) {
                    wait_read_closed(slot);
                }
                format!("{index}: peer shutdown write -> {outcome:?}")
            }
            10 => {
                let slot = self.slots[index].as_mut().unwrap();
                let outcome = slot.a.shutdown(how);
                if how != Shutdown::Write {
                    slot.unread = None;
                }
                format!("{index}: shutdown {how:?} -> {outcome:?}")
            }
            11 => {
                let slot = self.slots[index].as_mut().unwrap();
                if slot.peer.take().is_none() {
                    return format!("{index}: (peer gone)");
                }
                wait_read_closed(slot);
                format!("{index}: close peer")
            }
            _ => {
                // Close without deregistering half of the time: the next
                // source created likely gets the same descriptor number.
                let deregister = self.rng.chance(50);
                if deregister && self.slots[index].as_ref().unwrap().registration.is_some() {
                    let slot = self.slots[index].as_mut().unwrap();
                    if let Err(e) = self.poll.registry().deregister(slot.a.source()) {
                        self.violation(format!("deregister failed: {e}"));
                    }
                }
                self.retire(index);
                self.slots[index] = None;
                format!("{index}: close (deregistered first: {deregister})")
            }
        }
    }

    /// Polls until every armed, registered, ready direction was reported
    /// (bounded), checking every event's token; returns the summary of what
    /// had to be reported.
    fn check_events(&mut self) -> String {
        let mut expected: Vec<(usize, char)> = Vec::new();
        let mut by_token: HashMap<usize, usize> = HashMap::new();
        // libkqueue only: what an error it took would still show on a
        // kernel; counted as reported at once (see the module docs).
        let mut pending_error: Vec<(usize, char)> = Vec::new();
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let slot = match slot {
                Some(slot) => slot,
                None => continue,
            };
            if let Some((token, interest)) = slot.registration {
                by_token.insert(token.0, i);
                let (readable, writable) = sources::level(slot.a.fd());
                let error = slot.error_taken;
                if interest.is_readable() && slot.armed_read && (readable || error) {
                    expected.push((i, 'R'));
                    if !readable {
                        pending_error.push((i, 'R'));
                        slot.armed_read = false;
                    }
                }
                if interest.is_writable() && slot.armed_write && (writable || error) {
                    expected.push((i, 'W'));
                    if !writable {
                        pending_error.push((i, 'W'));
                        slot.armed_write = false;
                    }
                }
            }
        }
        if self.wake_pending {
            expected.push((usize::MAX, 'K'));
        }
        let mut met: Vec<bool> = expected.iter().map(|e| pending_error.contains(e)).collect();
        let deadline = Instant::now() + DEADLINE;
        let mut first = true;
        loop {
            let all_met = met.iter().all(|&m| m);
            if all_met && !first {
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                for (k, &(i, dir)) in expected.iter().enumerate() {
                    if !met[k] {
                        let what = match self.slots.get(i).and_then(|s| s.as_ref()) {
                            Some(slot) => format!(
                                "missed readiness: slot {i} ({:?}, {:?}) is {} ready (poll(2) says so) and armed, \
                                 but no event reported it within {:?}",
                                slot.kind, slot.registration, dir, DEADLINE
                            ),
                            None => format!("missed wake within {DEADLINE:?}"),
                        };
                        self.violation(what);
                    }
                }
                break;
            }
            let timeout = if all_met {
                Duration::ZERO
            } else {
                (deadline - now).min(Duration::from_millis(100))
            };
            first = false;
            match self.poll.poll(&mut self.events, Some(timeout)) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => panic!("poll: {e}"),
            }
            let mut seen = Vec::new();
            for event in self.events.iter() {
                seen.push((
                    event.token(),
                    event.is_error(),
                    event.is_readable() || event.is_read_closed() || event.is_error(),
                    event.is_writable() || event.is_write_closed() || event.is_error(),
                    format!("{event:?}"),
                ));
            }
            for (token, error, readable, writable, debug) in seen {
                if self.verbose {
                    eprintln!("    event {debug}");
                }
                if token == WAKE {
                    self.wake_pending = false;
                    mark(&expected, &mut met, usize::MAX, 'K');
                    continue;
                }
                let index = match by_token.get(&token.0) {
                    Some(&index) => index,
                    None => {
                        let why = if self.dead.contains(&token.0) {
                            "deregistered, replaced or closed"
                        } else {
                            "never registered"
                        };
                        self.violation(format!("event for token {} ({why}): {debug}", token.0));
                        continue;
                    }
                };
                let slot = self.slots[index].as_mut().unwrap();
                let interest = slot.registration.unwrap().1;
                // Only readiness that is real now counts (and disarms); a
                // spurious event leaves the direction armed, as a user's
                // read or write would see `WouldBlock`.
                let (mut level_read, mut level_write) = sources::level(slot.a.fd());
                if self.libkqueue && error {
                    // libkqueue took `SO_ERROR` while reporting this: what
                    // poll(2) showed before may be gone now.
                    slot.error_taken = true;
                    level_read |= readable;
                    level_write |= writable;
                }
                if readable && interest.is_readable() && level_read && slot.armed_read {
                    slot.armed_read = false;
                    mark(&expected, &mut met, index, 'R');
                }
                if writable && interest.is_writable() && level_write && slot.armed_write {
                    slot.armed_write = false;
                    mark(&expected, &mut met, index, 'W');
                }
            }
        }
        // The summary leaves out a TCP socket's writability: how much of
        // a blocked fill the loopback acknowledged before the write gave up
        // varies with timing, and with it whether the socket is writable
        // right after (the checks above still hold it to the rule).
        let mut line = String::from("expect");
        for &(i, dir) in &expected {
            match dir {
                'K' => line.push_str(" wake"),
                'W' if self.slots[i].as_ref().map(|s| s.kind) == Some(Kind::Tcp) => {}
                _ => {
                    let _ = write!(line, " {i}{dir}");
                }
            }
        }
        line
    }

    fn run(&mut self, steps: usize) {
        for step in 0..steps {
            self.step = step;
            let op = self.operate();
            if self.verbose {
                eprintln!("step {step}: {op}");
            }
            self.recent.push(format!("step {step}: {op}"));
            if self.recent.len() > 12 {
                self.recent.remove(0);
            }
            let expect = self.check_events();
            let _ = writeln!(self.summary, "{step} {op} | {expect}");
        }
    }
}

/// Whether an error libkqueue took would have been this read's or write's
/// outcome on a kernel kqueue (then it is not compared); clears the note if
/// so. A write on a Unix stream socket fails with `EPIPE` and leaves the
/// error for the next read.
fn take_error(slot: &mut Slot, read: bool) -> bool {
    if !read && slot.kind == Kind::Unix {
        return false;
    }
    std::mem::replace(&mut slot.error_taken, false)
}

/// An outcome for the summary, marked if `take_error` says that it is not
/// compared.
fn shown_taken(taken: bool, outcome: String) -> String {
    if taken {
        format!("libkqueue:{outcome}")
    } else {
        outcome
    }
}

fn mark(expected: &[(usize, char)], met: &mut [bool], index: usize, dir: char) {
    if let Some(k) = expected.iter().position(|&e| e == (index, dir)) {
        met[k] = true;
    }
}

/// Small fixed buffers on a TCP pair: no autotuning, so a fill blocks at
/// the same point every run, well under the cap.
fn small_buffers(a: &A, peer: &Peer) {
    set_buffer(a.fd(), libc::SO_SNDBUF, 32 * 1024);
    set_buffer(peer.fd(), libc::SO_RCVBUF, 32 * 1024);
}

fn set_buffer(fd: i32, option: libc::c_int, size: libc::c_int) {
    // SAFETY: setsockopt reads one int from a valid pointer.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            option,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt: {}", io::Error::last_os_error());
}

/// Bytes A wrote that its peer has not read yet (SIOCOUTQ).
fn outgoing(fd: i32) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: SIOCOUTQ (TIOCOUTQ) writes one int to a valid pointer.
    let rc = unsafe { libc::ioctl(fd, libc::TIOCOUTQ, &mut n) };
    if rc < 0 {
        0
    } else {
        n as usize
    }
}

/// After A wrote or its peer read: on TCP, wait until what is in flight
/// landed (A's queue empty, or the peer's window full and A's queue no
/// longer moving). The peer keeps reading if this was a peer read, so
/// that "the peer read everything" is a fact, not a race.
fn quiesce_outgoing(slot: &mut Slot) {
    if slot.kind != Kind::Tcp {
        return;
    }
    let fd = slot.a.fd();
    let mut last = usize::MAX;
    let mut stable = 0;
    sources::settle(fd, 0, || {
        let now = outgoing(fd);
        if now == 0 {
            return true;
        }
        if now == last {
            stable += 1;
        } else {
            stable = 0;
            last = now;
        }
        // Not moving for a while: the peer's window is full.
        stable >= 3
    });
}

/// After the peer shut down its writing side or closed: wait for the FIN
/// (or reset) to reach A.
fn wait_read_closed(slot: &Slot) {
    // Pipes and Unix sockets see it at once; UDP has no such thing.
    if slot.kind != Kind::Tcp {
        return;
    }
    let fd = slot.a.fd();
    let closed = libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR;
    sources::settle(fd, closed, || {
        sources::wait_fd(fd, closed, Duration::ZERO) & closed != 0
    });
}

pub(crate) fn main() {
    let mut seed = None;
    let mut from = 1u64;
    let mut count = 3u64;
    let mut steps = 40usize;
    let mut out: Option<PathBuf> = None;
    let mut verbose = false;
    let libkqueue = env::var_os("MIO_DIFFERENTIAL_LIBKQUEUE").is_some_and(|v| v == "1");
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| panic!("{name} needs a value"))
        };
        match arg.as_str() {
            "--seed" => seed = Some(value("--seed").parse().expect("--seed N")),
            "--from" => from = value("--from").parse().expect("--from N"),
            "--seeds" => count = value("--seeds").parse().expect("--seeds N"),
            "--steps" => steps = value("--steps").parse().expect("--steps N"),
            "--out" => out = Some(PathBuf::from(value("--out"))),
            "--verbose" => verbose = true,
            // What `cargo test` hands every test binary.
            "--list" => return,
            _ => {}
        }
    }
    let seeds: Vec<u64> = match seed {
        Some(seed) => vec![seed],
        None => (from..from + count).collect(),
    };
    if let Some(out) = &out {
        fs::create_dir_all(out).expect("create the output directory");
    }
    let started = Instant::now();
    let mut failed = Vec::new();
    for &seed in &seeds {
        let mut run = Run::new(seed, verbose, libkqueue).expect("create a Poll");
        run.run(steps);
        if let Some(out) = &out {
            fs::write(out.join(format!("{seed}.txt")), &run.summary).expect("write the summary");
        }
        for violation in &run.violations {
            eprintln!("VIOLATION {violation}");
        }
        if !run.violations.is_empty() {
            failed.push(seed);
        }
    }
    eprintln!(
        "differential: {} seeds x {steps} steps in {:.1?}, {} failed",
        seeds.len(),
        started.elapsed(),
        failed.len()
    );
    if !failed.is_empty() {
        eprintln!("failing seeds: {failed:?} (replay one with --seed S --verbose)");
        process::exit(1);
    }
}
