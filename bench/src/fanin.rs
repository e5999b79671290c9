//! Workload 2, **fan-in**: N connected loopback TCP connections (1,000 and
//! 10,000) whose receiving ends are all registered (readable,
//! edge-triggered) with one poller; writes are spread over all of them.
//!
//! The sending ends live in a child process (this same binary, run as
//! `mio-bench fanin-writer`), because 10,000 pairs in one process would need
//! 20,000 descriptors and the per-process limit here is 20,000. One *batch*
//! is: the parent tells the child to write; the child writes one byte to
//! each of the N connections, in a strided order that spreads neighbouring
//! writes over the whole set, and answers when done; the parent checks
//! that every byte is in its receive queue (`FIONREAD`, untimed). Only then
//! does the parent start its clock and run its event loop until it has handled N
//! events: `poll`, then for each event read that connection until
//! `WouldBlock`. The clock stops when the N-th event is handled.
//!
//! So the timed part is exactly the poller's side of a busy server: about
//! N/1024 `epoll_wait` calls returning full buffers, and 2 `recv` per event.
//! Reported: events handled per second (N × batches / timed seconds).

use std::io::{self, BufRead, Read, Write};
use std::net::{SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use crate::fixture::{self, drain, drain_fd, EVENTS};
use crate::harness::{Budget, Clock, Impl, Measurement};

/// Byte from parent to child: write one byte on every connection.
const GO: u8 = b'w';
/// Byte from child to parent: the batch is written.
const DONE: u8 = b'd';

/// N accepted connections and the child process holding the other ends.
pub struct Fixture {
    conns: Vec<OwnedFd>,
    child: Child,
    to_child: ChildStdin,
    from_child: ChildStdout,
    /// Whether to check (untimed) that a batch was delivered before timing
    /// it; `profile` turns it off so that syscall counts show only the
    /// event loop (and 1 pipe `write` + 1 pipe `read` per batch).
    pub check_delivery: bool,
}

impl Fixture {
    /// Starts the writer child and accepts its `n` connections.
    pub fn new(n: usize) -> io::Result<Fixture> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        // A deeper backlog than std's, for the child's bursts of connects.
        // SAFETY: listen(2) on our own listening socket, integers only.
        fixture::cvt(unsafe { libc::listen(listener.as_raw_fd(), 4096) })?;
        let addr = listener.local_addr()?;
        let mut child = Command::new(std::env::current_exe()?)
            .arg("fanin-writer")
            .arg(addr.to_string())
            .arg(n.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let to_child = child.stdin.take().expect("piped stdin");
        let mut from_child = child.stdout.take().expect("piped stdout");
        // Accept while the child connects (the backlog is smaller than n).
        let mut conns = Vec::with_capacity(n);
        for _ in 0..n {
            let (s, _) = listener.accept()?;
            s.set_nonblocking(true)?;
            conns.push(OwnedFd::from(s));
        }
        let mut ready = [0u8; 1];
        from_child.read_exact(&mut ready)?;
        if ready[0] != b'r' {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "fan-in writer not ready",
            ));
        }
        Ok(Fixture {
            conns,
            child,
            to_child,
            from_child,
            check_delivery: true,
        })
    }

    /// Has the child write one batch and waits until it is written.
    fn write_batch(&mut self) -> io::Result<()> {
        self.to_child.write_all(&[GO])?;
        self.to_child.flush()?;
        let mut b = [0u8; 1];
        self.from_child.read_exact(&mut b)?;
        if b[0] != DONE {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "fan-in writer"));
        }
        if self.check_delivery {
            self.wait_delivered()?;
        }
        Ok(())
    }

    /// Waits (untimed) until every connection has its byte in the receive
    /// queue (`FIONREAD` > 0). On loopback `send` normally delivers before
    /// it returns, but on a loaded machine the kernel may defer delivery to
    /// `ksoftirqd`; without this check the timed part could include waiting
    /// for it.
    fn wait_delivered(&self) -> io::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut from = 0;
        while from < self.conns.len() {
            let mut queued: libc::c_int = 0;
            // SAFETY: FIONREAD writes one c_int.
            fixture::cvt(unsafe {
                libc::ioctl(self.conns[from].as_raw_fd(), libc::FIONREAD, &mut queued)
            })?;
            if queued > 0 {
                from += 1;
            } else if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "fan-in: bytes not delivered",
                ));
            } else {
                std::thread::sleep(Duration::from_micros(50));
            }
        }
        Ok(())
    }

    /// One run of `imp`: batches until the budget's time (of timed event
    /// handling) or its operation count (events) is reached.
    pub fn run(&mut self, imp: Impl, budget: Budget) -> io::Result<Measurement> {
        let conns = std::mem::take(&mut self.conns);
        let (m, conns) = match imp {
            Impl::Ours => ours::run(self, conns, budget)?,
            Impl::Upstream => upstream::run(self, conns, budget)?,
            Impl::Polling => with_polling(self, conns, budget)?,
            Impl::Epoll => with_epoll(self, conns, budget)?,
        };
        self.conns = conns;
        Ok(m)
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = self.to_child.write_all(b"q");
        let _ = self.to_child.flush();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Drives batches: `handle` runs one batch's event loop (until n events)
/// and returns how many it handled; this times it.
fn batches(
    fx: &mut Fixture,
    n: usize,
    budget: Budget,
    mut handle: impl FnMut() -> io::Result<u64>,
) -> io::Result<Measurement> {
    let mut timed = Duration::ZERO;
    let mut cpu = Duration::ZERO;
    let mut events = 0u64;
    while events < budget.max_ops && timed < budget.time {
        fx.write_batch()?;
        let clock = Clock::start();
        let handled = handle()?;
        let m = clock.stop(handled);
        timed += m.elapsed;
        cpu += m.cpu;
        if handled < n as u64 {
            return Err(io::Error::other("batch ended early"));
        }
        events += handled;
    }
    Ok(Measurement {
        ops: events,
        elapsed: timed,
        cpu,
    })
}

/// The run for a mio API (this crate and upstream).
macro_rules! with_mio {
    ($mio:ident) => {
        pub(super) fn run(
            fx: &mut Fixture,
            conns: Vec<OwnedFd>,
            budget: Budget,
        ) -> io::Result<(Measurement, Vec<OwnedFd>)> {
            use $mio::net::TcpStream;
            use $mio::{Events, Interest, Poll, Token};

            let n = conns.len();
            let mut poll = Poll::new()?;
            let mut events = Events::with_capacity(EVENTS);
            let mut streams: Vec<TcpStream> = conns.into_iter().map(TcpStream::from).collect();
            for (i, s) in streams.iter_mut().enumerate() {
                poll.registry().register(s, Token(i), Interest::READABLE)?;
            }
            let mut buf = [0u8; 64];
            let m = batches(fx, n, budget, || {
                let mut handled = 0u64;
                while handled < n as u64 {
                    poll.poll(&mut events, None)?;
                    for event in events.iter() {
                        drain(&streams[event.token().0], &mut buf)?;
                        handled += 1;
                    }
                }
                Ok(handled)
            })?;
            drop(poll);
            Ok((m, streams.into_iter().map(OwnedFd::from).collect()))
        }
    };
}

mod ours {
    use super::*;
    with_mio!(mio);
}

mod upstream {
    use super::*;
    with_mio!(mio_upstream);
}

fn with_polling(
    fx: &mut Fixture,
    conns: Vec<OwnedFd>,
    budget: Budget,
) -> io::Result<(Measurement, Vec<OwnedFd>)> {
    use polling::{Event, Events, PollMode, Poller};
    use std::num::NonZeroUsize;

    let n = conns.len();
    let poller = Poller::new()?;
    let mut events = Events::with_capacity(NonZeroUsize::new(EVENTS).unwrap());
    let streams: Vec<TcpStream> = conns.into_iter().map(TcpStream::from).collect();
    for (i, s) in streams.iter().enumerate() {
        // SAFETY: every stream is deleted below before it can be dropped.
        unsafe { poller.add_with_mode(s, Event::readable(i), PollMode::Edge)? };
    }
    let mut buf = [0u8; 64];
    let m = batches(fx, n, budget, || {
        let mut handled = 0u64;
        while handled < n as u64 {
            events.clear();
            poller.wait(&mut events, None)?;
            for event in events.iter() {
                drain(&streams[event.key], &mut buf)?;
                handled += 1;
            }
        }
        Ok(handled)
    })?;
    for s in &streams {
        poller.delete(s)?;
    }
    Ok((m, streams.into_iter().map(OwnedFd::from).collect()))
}

fn with_epoll(
    fx: &mut Fixture,
    conns: Vec<OwnedFd>,
    budget: Budget,
) -> io::Result<(Measurement, Vec<OwnedFd>)> {
    let n = conns.len();
    let ep = fixture::epoll_create()?;
    let ep_fd = ep.as_raw_fd();
    let fds: Vec<i32> = conns.iter().map(|c| c.as_raw_fd()).collect();
    for (i, &fd) in fds.iter().enumerate() {
        fixture::epoll_add(ep_fd, fd, fixture::EPOLL_READABLE, i as u64)?;
    }
    let mut events: Vec<libc::epoll_event> = Vec::with_capacity(EVENTS);
    let mut buf = [0u8; 64];
    let m = batches(fx, n, budget, || {
        let mut handled = 0u64;
        while handled < n as u64 {
            fixture::epoll_wait(ep_fd, &mut events, -1)?;
            for event in &events {
                drain_fd(fds[event.u64 as usize], &mut buf)?;
                handled += 1;
            }
        }
        Ok(handled)
    })?;
    drop(ep);
    Ok((m, conns))
}

/// The child process: connects `n` times to `addr`, then writes one byte to
/// every connection each time the parent asks. Exits on `q` or end of input.
pub fn writer_main(addr: SocketAddrV4, n: usize) -> io::Result<()> {
    // Connect in bursts of non-blocking connects (one blocking connect at
    // a time costs a scheduler round trip each on a loaded machine).
    let mut conns: Vec<TcpStream> = Vec::with_capacity(n);
    while conns.len() < n {
        let burst = (n - conns.len()).min(1024);
        let pending: Vec<OwnedFd> = (0..burst)
            .map(|_| fixture::connect_nonblocking(addr))
            .collect::<io::Result<_>>()?;
        let mut pfds: Vec<libc::pollfd> = pending
            .iter()
            .map(|fd| libc::pollfd {
                fd: fd.as_raw_fd(),
                events: libc::POLLOUT,
                revents: 0,
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            // SAFETY: `pfds` is a live array of `pfds.len()` pollfds.
            fixture::cvt(unsafe {
                libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, 100)
            })?;
            if pfds.iter().all(|p| p.revents != 0) {
                break;
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "fan-in writer: connect",
                ));
            }
        }
        for fd in pending {
            let s = TcpStream::from(fd);
            if let Some(err) = s.take_error()? {
                return Err(err);
            }
            s.set_nonblocking(false)?;
            // The previous batch's byte may be unacknowledged (delayed ACK):
            // without NODELAY, Nagle would hold the next one back.
            s.set_nodelay(true)?;
            conns.push(s);
        }
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    out.write_all(b"r")?;
    out.flush()?;
    // A stride coprime with n visits every connection once per batch, with
    // neighbouring writes far apart.
    let stride = (1..)
        .map(|k: usize| 7919 * k)
        .find(|&s| gcd(s, n) == 1)
        .expect("a stride")
        % n.max(1);
    let stride = if stride == 0 { 1 } else { stride };
    let stdin = io::stdin();
    let mut input = stdin.lock();
    loop {
        let buf = input.fill_buf()?;
        let Some(&cmd) = buf.first() else {
            return Ok(());
        };
        input.consume(1);
        match cmd {
            GO => {
                let mut i = 0;
                for _ in 0..n {
                    fixture::send_byte(conns[i].as_raw_fd())?;
                    i = (i + stride) % n;
                }
                out.write_all(&[DONE])?;
                out.flush()?;
            }
            _ => return Ok(()),
        }
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}
