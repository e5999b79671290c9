//! Helpers shared by the TCP and UDP integration tests.
//!
//! Every wait is bounded: helpers poll in a loop until a deadline and panic
//! with a message naming what was awaited and what was seen instead.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
#[cfg(any(unix, target_os = "wasi"))]
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

use mio::event::Event;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

/// How long a test waits for something that should happen promptly.
/// Generous: the machines running the suite can be heavily loaded.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// How long a test watches for an event that must *not* come. A late
/// mistaken event can only make such a check pass wrongly, never fail
/// wrongly, so this stays short.
pub const SILENCE: Duration = Duration::from_millis(50);

/// `127.0.0.1` with port 0: the OS picks a free port.
pub fn any_local_v4() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// `[::1]` with port 0, or `None` when this machine cannot bind IPv6
/// loopback sockets (IPv6 disabled, containers without `lo` v6).
pub fn any_local_v6() -> Option<SocketAddr> {
    let addr: SocketAddr = "[::1]:0".parse().unwrap();
    match std::net::UdpSocket::bind(addr) {
        Ok(_) => Some(addr),
        Err(err) => {
            eprintln!("skipping the IPv6 part: cannot bind [::1]: {err}");
            None
        }
    }
}

/// The parts of an [`Event`] the tests check, copied so they outlive the
/// `Events` buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Observed {
    pub token: Token,
    pub readable: bool,
    pub writable: bool,
    pub error: bool,
    pub read_closed: bool,
    pub write_closed: bool,
}

impl Observed {
    /// The readiness of both events together (same token).
    pub fn union(&self, other: &Observed) -> Observed {
        Observed {
            token: self.token,
            readable: self.readable || other.readable,
            writable: self.writable || other.writable,
            error: self.error || other.error,
            read_closed: self.read_closed || other.read_closed,
            write_closed: self.write_closed || other.write_closed,
        }
    }

    pub fn from_event(event: &Event) -> Observed {
        Observed {
            token: event.token(),
            readable: event.is_readable(),
            writable: event.is_writable(),
            error: event.is_error(),
            read_closed: event.is_read_closed(),
            write_closed: event.is_write_closed(),
        }
    }
}

/// Polls until an event for `token` satisfies `wanted`, and returns it.
/// Panics after [`DEADLINE`] with every event seen meanwhile.
pub fn await_event<F>(
    poll: &mut Poll,
    events: &mut Events,
    token: Token,
    what: &str,
    wanted: F,
) -> Observed
where
    F: Fn(&Observed) -> bool,
{
    let deadline = Instant::now() + DEADLINE;
    let mut seen = Vec::new();
    loop {
        let now = Instant::now();
        if now >= deadline {
            panic!("no event for {token:?} that is {what} within {DEADLINE:?}; saw {seen:#?}");
        }
        poll_retrying(poll, events, Some(deadline - now));
        let mut merged: Option<Observed> = None;
        for event in events.iter() {
            let observed = Observed::from_event(event);
            if observed.token == token && wanted(&observed) {
                return observed;
            }
            if observed.token == token {
                merged = Some(merged.map_or(observed, |m| m.union(&observed)));
            }
            seen.push(observed);
        }
        // On kqueue one change of state can come as an event per filter
        // (read side, write side), where epoll gives one event: what those
        // events of one poll say together counts as one event.
        if backend::SPLIT_EVENTS {
            if let Some(merged) = merged.filter(|m| wanted(m)) {
                return merged;
            }
        }
    }
}

/// Waits for a readable event for `token`.
pub fn await_readable(poll: &mut Poll, events: &mut Events, token: Token) -> Observed {
    await_event(poll, events, token, "readable", |e| e.readable)
}

/// Waits for a writable event for `token`.
pub fn await_writable(poll: &mut Poll, events: &mut Events, token: Token) -> Observed {
    await_event(poll, events, token, "writable", |e| e.writable)
}

/// Waits until the registered `token` reports that its peer closed:
/// `read_closed`, and `readable` with it. WASI's poll(2) has no hang-up
/// flag for sockets: there a peer's close is a plain readable event (a read
/// then returns end-of-file), which is what is awaited.
pub fn await_read_closed(poll: &mut Poll, events: &mut Events, token: Token) -> Observed {
    #[cfg(not(target_os = "wasi"))]
    let event = await_event(poll, events, token, "read-closed", |e| e.read_closed);
    #[cfg(target_os = "wasi")]
    let event = await_readable(poll, events, token);
    event
}

/// Polls for [`SILENCE`] and panics if any event for `token` arrives.
pub fn assert_no_event(poll: &mut Poll, events: &mut Events, token: Token, context: &str) {
    let deadline = Instant::now() + SILENCE;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        poll_retrying(poll, events, Some(deadline - now));
        for event in events.iter() {
            let observed = Observed::from_event(event);
            assert_ne!(
                observed.token, token,
                "{context}: unexpected event {observed:?}"
            );
        }
    }
}

/// One `poll` call that retries when interrupted by a signal.
pub fn poll_retrying(poll: &mut Poll, events: &mut Events, timeout: Option<Duration>) {
    loop {
        match poll.poll(events, timeout) {
            Ok(()) => return,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => panic!("poll failed: {err}"),
        }
    }
}

/// Asserts that `result` is a `WouldBlock` error.
#[track_caller]
pub fn assert_would_block<T: std::fmt::Debug>(result: io::Result<T>) {
    match result {
        Err(err) if err.kind() == ErrorKind::WouldBlock => {}
        other => panic!("expected WouldBlock, got {other:?}"),
    }
}

/// What [`read_available`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Drained {
    pub data: Vec<u8>,
    /// A read returned 0: the peer closed its writing half.
    pub eof: bool,
}

/// Reads until `WouldBlock` or end-of-file, as an edge-triggered reader
/// must. Other errors panic.
pub fn read_available<R: Read>(mut reader: R) -> Drained {
    let mut drained = Drained::default();
    let mut buf = [0; 4096];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => {
                drained.eof = true;
                return drained;
            }
            Ok(n) => drained.data.extend_from_slice(&buf[..n]),
            Err(err) if err.kind() == ErrorKind::WouldBlock => return drained,
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => panic!("read failed: {err}"),
        }
    }
}

/// Reads from the registered `stream` until `len` bytes have arrived,
/// waiting for readable events in between. Panics at end-of-file.
pub fn read_exactly(
    poll: &mut Poll,
    events: &mut Events,
    stream: &TcpStream,
    token: Token,
    len: usize,
) -> Vec<u8> {
    let mut got = Vec::new();
    loop {
        let drained = read_available(stream);
        got.extend_from_slice(&drained.data);
        assert!(got.len() <= len, "read {} bytes, expected {len}", got.len());
        if got.len() == len {
            return got;
        }
        assert!(
            !drained.eof,
            "end-of-file after {} of {len} bytes",
            got.len()
        );
        await_readable(poll, events, token);
    }
}

/// Writes until `WouldBlock`, returning how many bytes went out.
pub fn fill<W: Write>(mut writer: W) -> usize {
    let chunk = [0xA5; 64 * 1024];
    let mut total = 0;
    loop {
        match writer.write(&chunk) {
            Ok(n) => total += n,
            Err(err) if err.kind() == ErrorKind::WouldBlock => return total,
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => panic!("write failed: {err}"),
        }
    }
}

/// Writes all of `data` to the registered `stream`, waiting for writable
/// events whenever the send buffer is full.
pub fn write_fully(
    poll: &mut Poll,
    events: &mut Events,
    mut stream: &TcpStream,
    token: Token,
    mut data: &[u8],
) {
    while !data.is_empty() {
        match stream.write(data) {
            Ok(n) => data = &data[n..],
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                await_writable(poll, events, token);
            }
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => panic!("write failed: {err}"),
        }
    }
}

/// Accepts one connection from the registered `listener`, waiting for a
/// readable event if none is queued yet.
pub fn accept_one(
    poll: &mut Poll,
    events: &mut Events,
    listener: &TcpListener,
    token: Token,
) -> (TcpStream, SocketAddr) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        match listener.accept() {
            Ok(accepted) => return accepted,
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "no connection to accept");
                await_readable(poll, events, token);
            }
            Err(err) => panic!("accept failed: {err}"),
        }
    }
}

/// Tokens used by [`connected_pair`].
pub const PAIR_LISTENER: Token = Token(1000);
pub const PAIR_CLIENT: Token = Token(1001);
pub const PAIR_SERVER: Token = Token(1002);

/// A connected pair of mio streams over loopback at `addr` (port 0):
/// `(client, server)`, the client registered as [`PAIR_CLIENT`] and the
/// server as [`PAIR_SERVER`], both for reading and writing, and the client
/// known to be connected.
pub fn connected_pair(
    poll: &mut Poll,
    events: &mut Events,
    addr: SocketAddr,
) -> (TcpStream, TcpStream) {
    let mut listener = TcpListener::bind(addr).expect("bind");
    poll.registry()
        .register(&mut listener, PAIR_LISTENER, Interest::READABLE)
        .unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).expect("connect");
    poll.registry()
        .register(
            &mut client,
            PAIR_CLIENT,
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    let (mut server, peer) = accept_one(poll, events, &listener, PAIR_LISTENER);
    await_connected(poll, events, &client, PAIR_CLIENT);
    assert_eq!(peer, client.local_addr().unwrap());
    poll.registry()
        .register(
            &mut server,
            PAIR_SERVER,
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    (client, server)
}

/// Waits until the registered (writable) `stream` has finished connecting:
/// it was writable and `peer_addr` succeeds. Panics if the connect failed.
pub fn await_connected(poll: &mut Poll, events: &mut Events, stream: &TcpStream, token: Token) {
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(err) = stream.take_error().unwrap() {
            panic!("connect failed: {err}");
        }
        if stream.peer_addr().is_ok() {
            return;
        }
        assert!(Instant::now() < deadline, "connect did not finish");
        await_writable(poll, events, token);
    }
}

/// Whether `fd` has `O_NONBLOCK` set. (Unix only: Winsock has no call that
/// reads a socket's blocking mode back, and WASI's fcntl(F_GETFL) fails
/// on sockets.)
#[cfg(unix)]
pub fn is_nonblocking<F: AsRawFd>(fd: &F) -> bool {
    // SAFETY: fcntl(F_GETFL) only reads the descriptor's flags.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    assert!(flags >= 0, "fcntl: {}", io::Error::last_os_error());
    flags & libc::O_NONBLOCK != 0
}

/// Whether `fd` has `FD_CLOEXEC` set. WASI has no exec: every descriptor
/// counts as close-on-exec there.
#[cfg(target_os = "wasi")]
pub fn is_cloexec<F: AsRawFd>(_: &F) -> bool {
    true
}

/// Whether `fd` has `FD_CLOEXEC` set.
#[cfg(unix)]
pub fn is_cloexec<F: AsRawFd>(fd: &F) -> bool {
    // SAFETY: fcntl(F_GETFD) only reads the descriptor's flags.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFD) };
    assert!(flags >= 0, "fcntl: {}", io::Error::last_os_error());
    flags & libc::FD_CLOEXEC != 0
}

/// Reads an `int` socket option.
#[cfg(any(unix, target_os = "wasi"))]
pub fn int_sockopt<F: AsRawFd>(fd: &F, level: libc::c_int, name: libc::c_int) -> libc::c_int {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes into `value`.
    let res = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            level,
            name,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    assert_eq!(res, 0, "getsockopt: {}", io::Error::last_os_error());
    value
}

/// Makes closing `fd` send a reset instead of a FIN (`SO_LINGER` with a
/// zero timeout).
#[cfg(any(unix, target_os = "wasi"))]
pub fn set_linger_zero<F: AsRawFd>(fd: &F) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the option value points at a live `linger` of the size given.
    let res = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(res, 0, "setsockopt: {}", io::Error::last_os_error());
}

/// A TCP port on 127.0.0.1 where nothing listens: a socket is bound to it
/// but never listens, so connecting is refused, and the port stays taken
/// (no other process can start listening there) while this value lives.
#[cfg(any(unix, target_os = "wasi"))]
pub struct ClosedPort {
    _socket: OwnedFd,
    pub addr: SocketAddr,
}

#[cfg(any(unix, target_os = "wasi"))]
impl ClosedPort {
    pub fn new() -> ClosedPort {
        let socket = bound_v4_socket();
        // The standard library reads the bound address for us.
        let std_socket = std::net::TcpStream::from(socket);
        let addr = std_socket.local_addr().unwrap();
        ClosedPort {
            _socket: OwnedFd::from(std_socket),
            addr,
        }
    }
}

/// A listener on 127.0.0.1 whose accept queue is full: it listens with a
/// backlog of 0 and one connection is already queued, so Linux drops the
/// SYN of the next connect, which stays in progress until the queued
/// connection is accepted and the SYN is retransmitted (after about a
/// second).
///
/// Linux and Android only: that is the backlog behaviour it relies on.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub struct StalledListener {
    pub listener: std::net::TcpListener,
    pub queued: std::net::TcpStream,
}

#[cfg(any(target_os = "linux", target_os = "android"))]
impl StalledListener {
    pub fn new() -> StalledListener {
        let socket = bound_v4_socket();
        // SAFETY: listen(2) takes only integers.
        let res = unsafe { libc::listen(socket.as_raw_fd(), 0) };
        assert_eq!(res, 0, "listen: {}", io::Error::last_os_error());
        let listener = std::net::TcpListener::from(socket);
        let queued = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        StalledListener { listener, queued }
    }
}

/// A blocking TCP socket bound to 127.0.0.1 on a port the OS picks.
#[cfg(any(unix, target_os = "wasi"))]
fn bound_v4_socket() -> OwnedFd {
    // Apple's socket(2) takes no SOCK_CLOEXEC.
    // WASI has no exec, and wasi-libc rejects SOCK_CLOEXEC.
    #[cfg(not(any(
        target_os = "ios",
        target_os = "macos",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
        target_os = "wasi",
    )))]
    let ty = libc::SOCK_STREAM | libc::SOCK_CLOEXEC;
    #[cfg(any(
        target_os = "ios",
        target_os = "macos",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
        target_os = "wasi",
    ))]
    let ty = libc::SOCK_STREAM;
    // SAFETY: socket(2) takes only integers.
    let fd = unsafe { libc::socket(libc::AF_INET, ty, 0) };
    assert!(fd >= 0, "socket: {}", io::Error::last_os_error());
    // SAFETY: `fd` was just created and is owned by nothing else.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    // Zeroed first: the BSDs' `sockaddr_in` has one more field, `sin_len`,
    // which their bind(2) fills in from the length argument.
    // SAFETY: `sockaddr_in` is plain integers; all zeroes is a valid value.
    let mut sin: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    sin.sin_family = libc::AF_INET as libc::sa_family_t;
    sin.sin_port = 0;
    sin.sin_addr = libc::in_addr {
        s_addr: u32::from_ne_bytes([127, 0, 0, 1]),
    };
    // SAFETY: `sin` is a valid `sockaddr_in` of the length given.
    let res = unsafe {
        libc::bind(
            fd,
            (&sin as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    assert_eq!(res, 0, "bind: {}", io::Error::last_os_error());
    socket
}

#[path = "../util/wine.rs"]
mod wine;
#[allow(unused_imports)]
pub use self::wine::under_wine;

/// The socket's handle number (its descriptor on Unix, its `SOCKET` on
/// Windows), to check that conversions keep the same socket.
#[cfg(any(unix, target_os = "wasi"))]
pub fn raw_socket<F: AsRawFd>(socket: &F) -> u64 {
    socket.as_raw_fd() as u64
}

/// The socket's handle number (its descriptor on Unix, its `SOCKET` on
/// Windows), to check that conversions keep the same socket.
#[cfg(windows)]
pub fn raw_socket<F: std::os::windows::io::AsRawSocket>(socket: &F) -> u64 {
    socket.as_raw_socket()
}

#[cfg(windows)]
#[allow(unused_imports)]
pub use self::windows::*;

/// The helpers above for Windows sockets, over Winsock.
#[cfg(windows)]
mod windows {
    use std::io;
    use std::mem::size_of;
    use std::net::SocketAddr;
    use std::os::windows::io::{AsRawSocket, FromRawSocket, OwnedSocket};

    use windows_sys::Win32::Foundation::{GetHandleInformation, HANDLE_FLAG_INHERIT};
    use windows_sys::Win32::Networking::WinSock::{
        bind, getsockopt, setsockopt, socket, AF_INET, INVALID_SOCKET, IN_ADDR, IN_ADDR_0, LINGER,
        SOCKADDR_IN, SOCKET, SOCK_STREAM, SOL_SOCKET, SO_LINGER,
    };

    /// Whether the socket is kept from child processes (no
    /// `HANDLE_FLAG_INHERIT`), Windows' counterpart of close-on-exec.
    pub fn is_cloexec<S: AsRawSocket>(socket: &S) -> bool {
        let mut flags = 0u32;
        // SAFETY: a socket is a kernel handle; `flags` is writable.
        let ok = unsafe { GetHandleInformation(socket.as_raw_socket() as _, &mut flags) };
        assert_ne!(
            ok,
            0,
            "GetHandleInformation: {}",
            io::Error::last_os_error()
        );
        flags & HANDLE_FLAG_INHERIT == 0
    }

    /// Reads an `int` socket option.
    pub fn int_sockopt<S: AsRawSocket>(socket: &S, level: i32, name: i32) -> i32 {
        let mut value: i32 = 0;
        let mut len = size_of::<i32>() as i32;
        // SAFETY: Winsock writes at most `len` bytes into `value`.
        let res = unsafe {
            getsockopt(
                socket.as_raw_socket() as SOCKET,
                level,
                name,
                (&mut value as *mut i32).cast(),
                &mut len,
            )
        };
        assert_eq!(res, 0, "getsockopt: {}", io::Error::last_os_error());
        value
    }

    /// Makes closing the socket send a reset instead of a FIN (`SO_LINGER`
    /// with a zero timeout).
    pub fn set_linger_zero<S: AsRawSocket>(socket: &S) {
        let linger = LINGER {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: the option value points at a live `LINGER` of the size
        // given.
        let res = unsafe {
            setsockopt(
                socket.as_raw_socket() as SOCKET,
                SOL_SOCKET,
                SO_LINGER,
                (&linger as *const LINGER).cast(),
                size_of::<LINGER>() as i32,
            )
        };
        assert_eq!(res, 0, "setsockopt: {}", io::Error::last_os_error());
    }

    /// As on Unix: a TCP port on 127.0.0.1 held by a bound socket that never
    /// listens, so connecting is refused.
    pub struct ClosedPort {
        _socket: OwnedSocket,
        pub addr: SocketAddr,
    }

    impl ClosedPort {
        pub fn new() -> ClosedPort {
            // Winsock is started by any standard library socket call.
            drop(std::net::UdpSocket::bind("127.0.0.1:0"));
            // SAFETY: socket takes only integers.
            let raw = unsafe { socket(i32::from(AF_INET), SOCK_STREAM, 0) };
            assert_ne!(
                raw,
                INVALID_SOCKET,
                "socket: {}",
                io::Error::last_os_error()
            );
            // SAFETY: `raw` was just created and is owned by nothing else.
            let owned = unsafe { OwnedSocket::from_raw_socket(raw as u64) };
            let sin = SOCKADDR_IN {
                sin_family: AF_INET,
                sin_port: 0,
                sin_addr: IN_ADDR {
                    S_un: IN_ADDR_0 {
                        S_addr: u32::from_ne_bytes([127, 0, 0, 1]),
                    },
                },
                sin_zero: [0; 8],
            };
            // SAFETY: `sin` is a valid `SOCKADDR_IN` of the length given.
            let res = unsafe {
                bind(
                    raw,
                    (&sin as *const SOCKADDR_IN).cast(),
                    size_of::<SOCKADDR_IN>() as i32,
                )
            };
            assert_eq!(res, 0, "bind: {}", io::Error::last_os_error());
            // The standard library reads the bound address for us.
            let std_socket = std::net::TcpStream::from(owned);
            let addr = std_socket.local_addr().unwrap();
            ClosedPort {
                _socket: OwnedSocket::from(std_socket),
                addr,
            }
        }
    }
}

#[path = "../util/backend.rs"]
pub mod backend;
