//! A TCP server that takes its listening socket from systemd socket
//! activation instead of binding one itself.
//!
//! Under socket activation the service manager binds the port, starts the
//! program with the socket as file descriptor 3, and sets `LISTEN_FDS` (how
//! many sockets were passed) and `LISTEN_PID` (the pid they are meant for).
//! To try it without a unit file:
//!
//! ```text
//! cargo build --example tcp_listenfd_server --features "os-poll net"
//! systemd-socket-activate -l 127.0.0.1:9000 target/debug/examples/tcp_listenfd_server
//! nc 127.0.0.1 9000
//! ```
//!
//! Each client gets a one-line greeting, and the connection is closed.

#[cfg(unix)]
use std::collections::HashMap;
#[cfg(unix)]
use std::io::{self, ErrorKind, Write};
#[cfg(unix)]
use std::os::unix::io::FromRawFd;

#[cfg(unix)]
use mio::net::{TcpListener, TcpStream};
#[cfg(unix)]
use mio::{Events, Interest, Poll, Token};

/// The first descriptor a service manager passes (`SD_LISTEN_FDS_START`).
#[cfg(unix)]
const FIRST_PASSED_FD: i32 = 3;

#[cfg(unix)]
const SERVER: Token = Token(0);

/// Checks the socket-activation variables and takes over descriptor 3.
#[cfg(unix)]
fn listener_from_environment() -> Result<TcpListener, String> {
    let pid = std::env::var("LISTEN_PID")
        .map_err(|_| "LISTEN_PID is not set: not started by socket activation".to_string())?;
    if pid.parse::<u32>().ok() != Some(std::process::id()) {
        return Err(format!(
            "LISTEN_PID is {pid}, not our pid {}: the sockets are meant for another process",
            std::process::id()
        ));
    }
    let count = std::env::var("LISTEN_FDS")
        .map_err(|_| "LISTEN_FDS is not set".to_string())?
        .parse::<u32>()
        .map_err(|e| format!("LISTEN_FDS is not a number: {e}"))?;
    if count < 1 {
        return Err("LISTEN_FDS is 0: no socket was passed".into());
    }
    // Child processes must not take the sockets for theirs.
    std::env::remove_var("LISTEN_PID");
    std::env::remove_var("LISTEN_FDS");
    std::env::remove_var("LISTEN_FDNAMES");

    // SAFETY: the service manager passed descriptor 3 to this process (the
    // variables checked above say so), and nothing else in it owns it.
    let passed = unsafe { std::net::TcpListener::from_raw_fd(FIRST_PASSED_FD) };
    // Fails with "not a socket" (or similar) if descriptor 3 is something
    // else.
    let addr = passed
        .local_addr()
        .map_err(|e| format!("descriptor {FIRST_PASSED_FD} is not a TCP socket: {e}"))?;
    // Passed descriptors are inheritable; a duplicate made by `try_clone` is
    // close-on-exec. Then make it non-blocking, which `from_std` requires.
    let listener = passed
        .try_clone()
        .map_err(|e| format!("cannot duplicate the socket: {e}"))?;
    drop(passed);
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot make the socket non-blocking: {e}"))?;
    println!("serving on {addr} (socket from the service manager)");
    Ok(TcpListener::from_std(listener))
}

#[cfg(unix)]
fn main() -> io::Result<()> {
    let mut server = match listener_from_environment() {
        Ok(listener) => listener,
        Err(reason) => {
            eprintln!("tcp_listenfd_server: {reason}");
            eprintln!(
                "run it under socket activation, e.g. \
                 `systemd-socket-activate -l 127.0.0.1:9000 {}`",
                std::env::args()
                    .next()
                    .unwrap_or_else(|| "tcp_listenfd_server".into())
            );
            std::process::exit(2);
        }
    };

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(128);
    poll.registry()
        .register(&mut server, SERVER, Interest::READABLE)?;

    // Each connection and the part of its greeting not yet sent.
    let mut clients: HashMap<Token, (TcpStream, Vec<u8>)> = HashMap::new();
    let mut next_token = 1;

    loop {
        match poll.poll(&mut events, None) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        for event in events.iter() {
            if event.token() == SERVER {
                loop {
                    match server.accept() {
                        Ok((mut stream, addr)) => {
                            let token = Token(next_token);
                            next_token += 1;
                            // The greeting goes out on the first writable
                            // event, which comes as soon as it fits.
                            poll.registry()
                                .register(&mut stream, token, Interest::WRITABLE)?;
                            let greeting = format!("hello, {addr}\n").into_bytes();
                            clients.insert(token, (stream, greeting));
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                        Err(e) => {
                            eprintln!("accept failed: {e}");
                            break;
                        }
                    }
                }
                continue;
            }

            let token = event.token();
            let Some((stream, unsent)) = clients.get_mut(&token) else {
                continue;
            };
            let finished = loop {
                if unsent.is_empty() {
                    break true;
                }
                match stream.write(unsent) {
                    Ok(n) => {
                        unsent.drain(..n);
                    }
                    // The rest goes out on the next writable event.
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break false,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => {
                        eprintln!("write failed: {e}");
                        break true;
                    }
                }
            };
            if finished {
                // Dropping the stream closes the connection.
                clients.remove(&token);
            }
        }
    }
}

/// Socket activation passes descriptors, which are Unix's.
#[cfg(not(unix))]
fn main() {
    eprintln!("tcp_listenfd_server needs Unix socket activation (file descriptors)");
}
