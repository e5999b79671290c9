//! The exact errors of misused registrations, the same for every source on
//! every platform (kind and message, as mio 1.x words them):
//!
//! | case | kind | message |
//! |------|------|---------|
//! | `register` of a registered source | `AlreadyExists` | [`ALREADY`] |
//! | `reregister`/`deregister` through another `Poll` | `AlreadyExists` | [`ELSEWHERE`] |
//! | `reregister`/`deregister` of a source not registered | `NotFound` | [`NOT_REGISTERED`] |
//!
//! `SourceFd` is not covered: it hands the descriptor to the OS poller as
//! is and reports the OS's errors (tests/sourcefd.rs).
// WASI preview 1 cannot create sockets.
#![cfg(all(feature = "os-poll", not(all(target_os = "wasi", target_env = "p1"))))]

use std::io::{self, ErrorKind};

use mio::event::Source;
use mio::{Interest, Poll, Token};

const ALREADY: &str = "I/O source already registered with a `Registry`";
const ELSEWHERE: &str = "I/O source already registered with a different `Registry`";
const NOT_REGISTERED: &str = "I/O source not registered with `Registry`";

fn expect(result: io::Result<()>, kind: ErrorKind, message: &str, context: &str) {
    match result {
        Ok(()) => panic!("{context}: expected {kind:?} \"{message}\", got Ok"),
        Err(err) => {
            assert_eq!(err.kind(), kind, "{context}: {err:?}");
            assert_eq!(err.to_string(), message, "{context}: {err:?}");
        }
    }
}

/// Goes through every case with `source`, which must not be registered.
/// `name` says which source failed.
fn check_every_case<S: Source + ?Sized>(source: &mut S, name: &str) {
    let poll = Poll::new().unwrap();
    let other = Poll::new().unwrap();
    let registry = poll.registry();
    let clone = registry.try_clone().unwrap();
    let ctx = |case: &str| format!("{name}: {case}");

    // Not registered anywhere yet.
    expect(
        registry.reregister(source, Token(1), Interest::READABLE),
        ErrorKind::NotFound,
        NOT_REGISTERED,
        &ctx("reregister before register"),
    );
    expect(
        registry.deregister(source),
        ErrorKind::NotFound,
        NOT_REGISTERED,
        &ctx("deregister before register"),
    );

    registry
        .register(source, Token(1), Interest::READABLE)
        .unwrap();
    // Registered: a second register fails, through any registry.
    expect(
        registry.register(source, Token(2), Interest::READABLE),
        ErrorKind::AlreadyExists,
        ALREADY,
        &ctx("register twice"),
    );
    expect(
        clone.register(source, Token(2), Interest::READABLE),
        ErrorKind::AlreadyExists,
        ALREADY,
        &ctx("register twice, through a clone of the registry"),
    );
    expect(
        other
            .registry()
            .register(source, Token(2), Interest::READABLE),
        ErrorKind::AlreadyExists,
        ALREADY,
        &ctx("register with a second Poll"),
    );
    // Through another `Poll`.
    expect(
        other
            .registry()
            .reregister(source, Token(2), Interest::READABLE),
        ErrorKind::AlreadyExists,
        ELSEWHERE,
        &ctx("reregister through a second Poll"),
    );
    expect(
        other.registry().deregister(source),
        ErrorKind::AlreadyExists,
        ELSEWHERE,
        &ctx("deregister through a second Poll"),
    );
    // A clone of the registry is the same `Poll`.
    clone
        .reregister(source, Token(3), Interest::READABLE)
        .unwrap_or_else(|err| panic!("{}: {err:?}", ctx("reregister through a clone")));
    clone
        .deregister(source)
        .unwrap_or_else(|err| panic!("{}: {err:?}", ctx("deregister through a clone")));

    // Deregistered: not registered any more.
    expect(
        registry.deregister(source),
        ErrorKind::NotFound,
        NOT_REGISTERED,
        &ctx("deregister twice"),
    );
    expect(
        registry.reregister(source, Token(1), Interest::READABLE),
        ErrorKind::NotFound,
        NOT_REGISTERED,
        &ctx("reregister after deregister"),
    );
    expect(
        other
            .registry()
            .reregister(source, Token(1), Interest::READABLE),
        ErrorKind::NotFound,
        NOT_REGISTERED,
        &ctx("reregister after deregister, through a second Poll"),
    );
    // And it can be registered again.
    registry
        .register(source, Token(4), Interest::READABLE)
        .unwrap_or_else(|err| panic!("{}: {err:?}", ctx("register again")));
}

#[cfg(feature = "net")]
mod net {
    use super::check_every_case;
    use mio::net::{TcpListener, TcpStream, UdpSocket};

    fn loopback() -> std::net::SocketAddr {
        "127.0.0.1:0".parse().unwrap()
    }

    #[test]
    fn tcp_listener() {
        let mut listener = TcpListener::bind(loopback()).unwrap();
        check_every_case(&mut listener, "TcpListener");
    }

    #[test]
    fn tcp_stream() {
        let listener = std::net::TcpListener::bind(loopback()).unwrap();
        let mut stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        check_every_case(&mut stream, "TcpStream");
    }

    #[test]
    fn udp_socket() {
        let mut socket = UdpSocket::bind(loopback()).unwrap();
        check_every_case(&mut socket, "UdpSocket");
    }

    #[cfg(unix)]
    #[test]
    fn unix_stream_and_datagram() {
        let (mut a, _b) = mio::net::UnixStream::pair().unwrap();
        check_every_case(&mut a, "UnixStream");
        let (mut a, _b) = mio::net::UnixDatagram::pair().unwrap();
        check_every_case(&mut a, "UnixDatagram");
    }
}

#[cfg(all(unix, feature = "os-ext"))]
#[test]
fn unix_pipe_ends() {
    let (mut sender, mut receiver) = mio::unix::pipe::new().unwrap();
    check_every_case(&mut sender, "pipe::Sender");
    check_every_case(&mut receiver, "pipe::Receiver");
}

#[cfg(all(windows, feature = "os-ext"))]
#[test]
fn windows_named_pipe() {
    use mio::windows::NamedPipe;
    let name = format!(r"\\.\pipe\mio-registration-errors-{}", std::process::id());
    let mut server = NamedPipe::new(&name).unwrap();
    check_every_case(&mut server, "NamedPipe");
}

#[cfg(all(feature = "timer", not(target_os = "wasi")))]
#[test]
fn timer() {
    // Timers exist where the backend has them.
    if let Ok(mut timer) = mio::timer::Timer::new() {
        check_every_case(&mut timer, "Timer");
    }
}

#[cfg(all(feature = "channel", not(target_os = "wasi")))]
#[test]
fn channel_receiver() {
    if let Ok((_sender, mut receiver)) = mio::channel::channel::<u8>(1) {
        check_every_case(&mut receiver, "channel::Receiver");
    }
}

#[cfg(all(unix, feature = "signal"))]
#[test]
fn signals() {
    let mut signals = mio::signal::Signals::new(&[libc::SIGUSR2]).unwrap();
    check_every_case(&mut signals, "Signals");
}
