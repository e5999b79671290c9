//! Runs a child process and collects its stdout and stderr through one
//! `Poll`, without threads: both pipes are registered edge-triggered and
//! drained until `WouldBlock` after each event.
//!
//! ```text
//! cargo run --example child_output --features os-ext
//! cargo run --example child_output --features os-ext -- ls -l /
//! ```

#[cfg(unix)]
use std::io::{self, ErrorKind, Read};
#[cfg(unix)]
use std::process::{Command, Stdio};
#[cfg(unix)]
use std::time::Duration;

#[cfg(unix)]
use mio::unix::pipe::Receiver;
#[cfg(unix)]
use mio::{Events, Interest, Poll, Token};

#[cfg(unix)]
const STDOUT: Token = Token(1);
#[cfg(unix)]
const STDERR: Token = Token(2);

#[cfg(unix)]
fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut command = match args.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(args);
            command
        }
        None => {
            let mut command = Command::new("sh");
            command.args(["-c", "echo to stdout; echo to stderr >&2; echo done"]);
            command
        }
    };
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(8);

    // Pipes taken from a child start out blocking.
    let mut out = Receiver::from(child.stdout.take().expect("stdout is piped"));
    let mut err = Receiver::from(child.stderr.take().expect("stderr is piped"));
    out.set_nonblocking(true)?;
    err.set_nonblocking(true)?;
    poll.registry()
        .register(&mut out, STDOUT, Interest::READABLE)?;
    poll.registry()
        .register(&mut err, STDERR, Interest::READABLE)?;

    let (mut out_open, mut err_open) = (true, true);
    let (mut out_bytes, mut err_bytes) = (Vec::new(), Vec::new());
    while out_open || err_open {
        match poll.poll(&mut events, Some(Duration::from_secs(30))) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
        if events.is_empty() {
            eprintln!("no output for 30 seconds, giving up");
            break;
        }
        for event in events.iter() {
            let (pipe, open, sink) = match event.token() {
                STDOUT => (&mut out, &mut out_open, &mut out_bytes),
                STDERR => (&mut err, &mut err_open, &mut err_bytes),
                _ => unreachable!(),
            };
            *open = drain(pipe, sink)?;
        }
    }

    let status = child.wait()?;
    print!(
        "stdout ({} bytes):\n{}",
        out_bytes.len(),
        String::from_utf8_lossy(&out_bytes)
    );
    print!(
        "stderr ({} bytes):\n{}",
        err_bytes.len(),
        String::from_utf8_lossy(&err_bytes)
    );
    println!("{}", status);
    Ok(())
}

/// Reads until `WouldBlock` (still open) or end-of-file (closed).
#[cfg(unix)]
fn drain(pipe: &mut Receiver, sink: &mut Vec<u8>) -> io::Result<bool> {
    let mut buf = [0; 4096];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => return Ok(false),
            Ok(n) => sink.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(true),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// `mio::unix::pipe` is Unix's.
#[cfg(not(unix))]
fn main() {
    eprintln!("child_output reads a child's pipes through mio::unix::pipe, which is Unix's");
}
