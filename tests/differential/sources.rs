//! The sources a scenario drives: the registered end ("A", a mio type) and
//! its peer (a std type or a mio type that is never registered), with the
//! I/O the scenario does on them and a level oracle (poll(2) with a zero
//! timeout) that says what is ready right now, independently of the
//! backend under test.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{self, Shutdown};
use std::os::unix::io::{AsRawFd, RawFd};
use std::os::unix::net as unix_net;
use std::time::{Duration, Instant};

use mio::event::Source;
use mio::net::{TcpListener, TcpStream, UdpSocket, UnixStream};
use mio::unix::pipe;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Tcp,
    Unix,
    Udp,
    /// A is a pipe's read end; the peer writes.
    PipeRecv,
    /// A is a pipe's write end; the peer reads.
    PipeSend,
}

pub const KINDS: [Kind; 5] = [
    Kind::Tcp,
    Kind::Unix,
    Kind::Udp,
    Kind::PipeRecv,
    Kind::PipeSend,
];

pub enum A {
    Tcp(TcpStream),
    Unix(UnixStream),
    Udp(UdpSocket),
    PipeRecv(pipe::Receiver),
    PipeSend(pipe::Sender),
}

pub enum Peer {
    Tcp(net::TcpStream),
    Unix(unix_net::UnixStream),
    Udp(net::UdpSocket),
    PipeSend(pipe::Sender),
    PipeRecv(pipe::Receiver),
}

/// What one batch of I/O did, coarsely enough to be the same on every
/// backend: the bytes moved are left out (they depend on buffer sizes
/// only, but a summary does not need them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Stopped at `WouldBlock`; `true` if some bytes moved first.
    Blocked(bool),
    /// Read end of stream (`Ok(0)`), after some bytes or not.
    Eof(bool),
    /// Hit a cap without blocking.
    Capped,
    /// An error other than `WouldBlock`.
    Error(ErrorKind),
    /// Nothing to do for this kind.
    NotApplicable,
}

pub fn create(kind: Kind) -> io::Result<(A, Peer)> {
    Ok(match kind {
        Kind::Tcp => {
            let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
            let peer = net::TcpStream::connect(listener.local_addr()?)?;
            // The connection is established (loopback, blocking connect):
            // accept it, waiting for it to show up in the backlog.
            let deadline = Instant::now() + Duration::from_secs(10);
            let (a, _) = loop {
                match listener.accept() {
                    Ok(pair) => break pair,
                    Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < deadline => {
                        wait_fd(
                            listener.as_raw_fd(),
                            libc::POLLIN,
                            Duration::from_millis(100),
                        );
                    }
                    Err(e) => return Err(e),
                }
            };
            peer.set_nonblocking(true)?;
            a.set_nodelay(true)?;
            peer.set_nodelay(true)?;
            (A::Tcp(a), Peer::Tcp(peer))
        }
        Kind::Unix => {
            let (a, peer) = UnixStream::pair()?;
            let peer = unix_net::UnixStream::from(std::os::fd::OwnedFd::from(peer));
            peer.set_nonblocking(true)?;
            (A::Unix(a), Peer::Unix(peer))
        }
        Kind::Udp => {
            let a = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
            let peer = net::UdpSocket::bind("127.0.0.1:0")?;
            peer.connect(a.local_addr()?)?;
            a.connect(peer.local_addr()?)?;
            peer.set_nonblocking(true)?;
            (A::Udp(a), Peer::Udp(peer))
        }
        Kind::PipeRecv => {
            let (sender, receiver) = pipe::new()?;
            (A::PipeRecv(receiver), Peer::PipeSend(sender))
        }
        Kind::PipeSend => {
            let (sender, receiver) = pipe::new()?;
            (A::PipeSend(sender), Peer::PipeRecv(receiver))
        }
    })
}

impl A {
    pub fn source(&mut self) -> &mut dyn Source {
        match self {
            A::Tcp(s) => s,
            A::Unix(s) => s,
            A::Udp(s) => s,
            A::PipeRecv(s) => s,
            A::PipeSend(s) => s,
        }
    }

    pub fn fd(&self) -> RawFd {
        match self {
            A::Tcp(s) => s.as_raw_fd(),
            A::Unix(s) => s.as_raw_fd(),
            A::Udp(s) => s.as_raw_fd(),
            A::PipeRecv(s) => s.as_raw_fd(),
            A::PipeSend(s) => s.as_raw_fd(),
        }
    }

    /// Reads until `WouldBlock`, end of stream or an error.
    pub fn drain(&mut self) -> Outcome {
        let mut buf = [0u8; 16 * 1024];
        let mut moved = false;
        for _ in 0..100_000 {
            let result = match self {
                A::Tcp(s) => s.read(&mut buf),
                A::Unix(s) => s.read(&mut buf),
                A::Udp(s) => match s.recv(&mut buf) {
                    // A datagram may be empty: never end of stream.
                    Ok(n) => Ok(n.max(1)),
                    Err(e) => Err(e),
                },
                A::PipeRecv(s) => s.read(&mut buf),
                A::PipeSend(_) => return Outcome::NotApplicable,
            };
            match result {
                Ok(0) => return Outcome::Eof(moved),
                Ok(_) => moved = true,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Outcome::Blocked(moved),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Outcome::Error(e.kind()),
            }
        }
        Outcome::Capped
    }

    /// Writes `chunk`-sized pieces until `WouldBlock`, an error, or `cap`
    /// bytes.
    pub fn fill(&mut self, chunk: usize, cap: usize) -> Outcome {
        let buf = vec![0x5au8; chunk];
        let mut written = 0;
        while written < cap {
            let result = match self {
                A::Tcp(s) => s.write(&buf),
                A::Unix(s) => s.write(&buf),
                A::Udp(s) => s.send(&buf),
                A::PipeSend(s) => s.write(&buf),
                A::PipeRecv(_) => return Outcome::NotApplicable,
            };
            match result {
                Ok(n) => written += n.max(1),
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    return Outcome::Blocked(written > 0)
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Outcome::Error(e.kind()),
            }
        }
        Outcome::Capped
    }

    pub fn shutdown(&self, how: Shutdown) -> Outcome {
        let result = match self {
            A::Tcp(s) => s.shutdown(how),
            A::Unix(s) => s.shutdown(how),
            _ => return Outcome::NotApplicable,
        };
        match result {
            Ok(()) => Outcome::Blocked(false),
            Err(e) => Outcome::Error(e.kind()),
        }
    }
}

impl Peer {
    pub fn fd(&self) -> RawFd {
        match self {
            Peer::Tcp(s) => s.as_raw_fd(),
            Peer::Unix(s) => s.as_raw_fd(),
            Peer::Udp(s) => s.as_raw_fd(),
            Peer::PipeSend(s) => s.as_raw_fd(),
            Peer::PipeRecv(s) => s.as_raw_fd(),
        }
    }

    /// One write of `n` bytes (one datagram for UDP).
    pub fn write(&mut self, n: usize) -> (Outcome, usize) {
        let buf = vec![0xa5u8; n];
        let result = match self {
            Peer::Tcp(s) => s.write(&buf),
            Peer::Unix(s) => s.write(&buf),
            Peer::Udp(s) => s.send(&buf),
            Peer::PipeSend(s) => s.write(&buf),
            Peer::PipeRecv(_) => return (Outcome::NotApplicable, 0),
        };
        match result {
            Ok(n) => (Outcome::Blocked(n > 0), n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => (Outcome::Blocked(false), 0),
            Err(e) => (Outcome::Error(e.kind()), 0),
        }
    }

    /// Reads everything there is.
    pub fn drain(&mut self) -> Outcome {
        let mut buf = [0u8; 64 * 1024];
        let mut moved = false;
        for _ in 0..100_000 {
            let result = match self {
                Peer::Tcp(s) => s.read(&mut buf),
                Peer::Unix(s) => s.read(&mut buf),
                Peer::Udp(s) => s.recv(&mut buf).map(|n| n.max(1)),
                Peer::PipeRecv(s) => s.read(&mut buf),
                Peer::PipeSend(_) => return Outcome::NotApplicable,
            };
            match result {
                Ok(0) => return Outcome::Eof(moved),
                Ok(_) => moved = true,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Outcome::Blocked(moved),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Outcome::Error(e.kind()),
            }
        }
        Outcome::Capped
    }

    pub fn shutdown_write(&self) -> Outcome {
        let result = match self {
            Peer::Tcp(s) => s.shutdown(Shutdown::Write),
            Peer::Unix(s) => s.shutdown(Shutdown::Write),
            _ => return Outcome::NotApplicable,
        };
        match result {
            Ok(()) => Outcome::Blocked(false),
            Err(e) => Outcome::Error(e.kind()),
        }
    }
}

/// Level readiness right now, by poll(2) with a zero timeout:
/// (readable, writable) in the sense of "a read / a write would not block".
pub fn level(fd: RawFd) -> (bool, bool) {
    let revents = poll_once(fd, libc::POLLIN | libc::POLLOUT | libc::POLLRDHUP, 0);
    let readable = revents & (libc::POLLIN | libc::POLLRDHUP | libc::POLLHUP | libc::POLLERR) != 0;
    let writable = revents & (libc::POLLOUT | libc::POLLHUP | libc::POLLERR) != 0;
    (readable, writable)
}

/// Bytes waiting to be read on a stream socket or pipe (FIONREAD).
pub fn bytes_available(fd: RawFd) -> usize {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int to a valid pointer.
    let rc = unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) };
    if rc < 0 {
        0
    } else {
        n as usize
    }
}

/// Waits until `fd` reports one of `events` or `timeout` passes; returns
/// the last `revents`.
pub fn wait_fd(fd: RawFd, events: libc::c_short, timeout: Duration) -> libc::c_short {
    poll_once(fd, events, timeout.as_millis() as libc::c_int)
}

fn poll_once(fd: RawFd, events: libc::c_short, timeout_ms: libc::c_int) -> libc::c_short {
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    loop {
        // SAFETY: one valid pollfd.
        let rc = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
        if rc >= 0 {
            return pfd.revents;
        }
        if io::Error::last_os_error().kind() != ErrorKind::Interrupted {
            return 0;
        }
    }
}

/// Waits (bounded) until `condition` holds, polling `fd` for `events` in
/// between; false if it never did. For data or a FIN still crossing the
/// loopback.
pub fn settle(fd: RawFd, events: libc::c_short, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if condition() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        // Until `fd` reports `events`, at most 10 ms; if it already does
        // (the condition asks for more than poll(2) tells), 1 ms.
        let step = (deadline - now).min(Duration::from_millis(10));
        if wait_fd(fd, events, step) != 0 {
            poll_once(-1, 0, 1);
        }
    }
}
