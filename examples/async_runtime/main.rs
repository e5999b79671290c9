//! A small async runtime on `mio` and `std` alone, serving a TCP echo.
//!
//! ```text
//! # serve on 127.0.0.1:9000 until stdin closes (Ctrl-D)
//! cargo run --example async_runtime --features "os-poll net"
//!
//! # serve, run 8 clients x 1000 messages on the same runtime, count the
//! # allocations per echoed message after warm-up (expected: 0), and exit
//! cargo run --example async_runtime --features "os-poll net" -- \
//!     --clients 8 --messages 1000 --check-allocations
//! ```
//!
//! Read it in this order:
//! 1. `runtime.rs`: the reactor, the executor, and sockets as futures;
//! 2. `echo.rs`: the echo server and the client load written with them;
//! 3. `counting_alloc.rs`: how the allocations are counted;
//! 4. this file: the command line.

mod counting_alloc;
mod echo;
mod runtime;

use std::io::{self, Read};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use runtime::{Async, Runtime};

// The counting allocator is always the global allocator of this program: a
// global allocator is chosen when the program is built, not at run time.
// It only counts when `--check-allocations` turns counting on; otherwise it
// is a plain pass-through to the system allocator.
#[global_allocator]
static ALLOCATOR: counting_alloc::CountingAlloc = counting_alloc::CountingAlloc;

struct Args {
    addr: Option<SocketAddr>,
    clients: usize,
    messages: usize,
    check_allocations: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: None,
        clients: 0,
        messages: 500,
        check_allocations: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--addr" => {
                let v = value("--addr")?;
                args.addr = Some(v.parse().map_err(|e| format!("bad --addr {v:?}: {e}"))?);
            }
            "--clients" => {
                let v = value("--clients")?;
                args.clients = v.parse().map_err(|e| format!("bad --clients {v:?}: {e}"))?;
            }
            "--messages" => {
                let v = value("--messages")?;
                args.messages = v
                    .parse()
                    .map_err(|e| format!("bad --messages {v:?}: {e}"))?;
            }
            "--check-allocations" => args.check_allocations = true,
            "-h" | "--help" => {
                return Err("usage: async_runtime [--addr ADDR] [--clients N] \
                            [--messages M] [--check-allocations]"
                    .into())
            }
            other => return Err(format!("unknown argument {other:?} (try --help)")),
        }
    }
    // Counting needs something to count: default to a small load.
    if args.check_allocations && args.clients == 0 {
        args.clients = 4;
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let result = if args.clients > 0 {
        load(&args)
    } else {
        serve(
            args.addr
                .unwrap_or_else(|| "127.0.0.1:9000".parse().unwrap()),
        )
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("async_runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Echo server only, until stdin reaches end-of-file.
fn serve(addr: SocketAddr) -> io::Result<bool> {
    // Room for 4096 tasks and sockets: allocated now, never grown.
    let runtime = Runtime::new(4096, 4096)?;
    let handle = runtime.handle();
    let listener = Async::<mio::net::TcpListener>::bind(&handle, addr)?;
    println!(
        "echo server listening on {}",
        listener.get_ref().local_addr()?
    );
    println!("close stdin (Ctrl-D) to stop");
    echo::serve(&handle, listener)?;

    // Cross-thread spawning: this thread blocks on stdin; at end-of-file it
    // spawns a task onto the runtime (a `Send` future, handed over through
    // a mutex and a `mio::Waker`), and that task stops the runtime.
    let spawner = runtime.spawner();
    std::thread::spawn(move || {
        let mut sink = [0u8; 256];
        let mut stdin = io::stdin();
        while !matches!(stdin.read(&mut sink), Ok(0) | Err(_)) {}
        let inner = spawner.clone();
        spawner.spawn(async move {
            println!("stdin closed: shutting down");
            inner.shutdown();
        });
    });
    runtime.run()?;
    Ok(true)
}

/// Echo server plus an in-process client load, then a report.
fn load(args: &Args) -> io::Result<bool> {
    let addr = args.addr.unwrap_or_else(|| "127.0.0.1:0".parse().unwrap());
    let report = echo::run_load(
        addr,
        args.clients,
        args.messages,
        args.check_allocations,
        Duration::from_secs(120),
    )?;
    println!(
        "echo on {}: {} clients x {} messages of {} bytes",
        report.addr,
        report.clients,
        args.messages,
        echo::MESSAGE_LEN
    );
    let secs = report.elapsed.as_secs_f64();
    println!(
        "echoed and checked {} messages ({} bytes) in {:.3} s ({:.0} messages/s), {} errors",
        report.messages,
        report.bytes,
        secs,
        report.messages as f64 / secs.max(1e-9),
        report.errors
    );
    let mut ok = report.errors == 0 && !report.timed_out;
    if report.timed_out {
        eprintln!("stopped by the watchdog: the load did not finish in time");
    }
    if args.check_allocations {
        match report.allocations {
            Some(n) => {
                println!(
                    "allocations after warm-up: {n} in {} messages = {:.3} per message",
                    report.measured_messages,
                    n as f64 / (report.measured_messages.max(1)) as f64
                );
                ok &= n == 0;
            }
            None => {
                println!("allocations after warm-up: not measured (run did not finish)");
                ok = false;
            }
        }
    }
    if report.messages != (args.clients * args.messages) as u64 {
        ok = false;
    }
    Ok(ok)
}
