//! `tokio-echo`: a Tokio TCP echo load on loopback, to compare Tokio on
//! this mio with Tokio on upstream mio end to end.
//!
//! One process, one multi-threaded Tokio runtime (2 workers by default):
//! an echo server, and N client tasks that each connect, then send a
//! message of S bytes and read the echo back, again and again, until they
//! have echoed B bytes. Every message is a round trip through Tokio's I/O
//! driver, i.e. through mio's `poll`, on both the server and the client
//! side. The clock starts once every client is connected and stops when the
//! last one is done.
//!
//! ```text
//! tokio-echo [--clients N] [--bytes B] [--msg S] [--workers W] [--timeout-s T]
//! ```
//!
//! Prints one line: `bytes=… secs=… mb_per_s=… msgs_per_s=… cpu_s=…`, where
//! `cpu_s` is the CPU time (user + system, all threads) the process used
//! during the timed part, from `/proc/self/stat` (10 ms resolution). Exits
//! with an error if the run takes longer than T seconds (default 120).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Barrier;

struct Args {
    clients: usize,
    bytes: usize,
    msg: usize,
    workers: usize,
    timeout: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        clients: 50,
        bytes: 2 << 20,
        msg: 512,
        workers: 2,
        timeout: Duration::from_secs(120),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v: usize = it
            .next()
            .ok_or(format!("{flag} needs a value"))?
            .parse()
            .map_err(|e| format!("{flag}: {e}"))?;
        match flag.as_str() {
            "--clients" => a.clients = v.max(1),
            "--bytes" => a.bytes = v.max(1),
            "--msg" => a.msg = v.max(1),
            "--workers" => a.workers = v.max(1),
            "--timeout-s" => a.timeout = Duration::from_secs(v as u64),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(a)
}

/// Echoes everything it reads until the peer closes.
async fn echo(mut stream: TcpStream) -> std::io::Result<()> {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

/// One client: connects, waits for everyone, then echoes `bytes` bytes in
/// messages of `msg` bytes. Returns the number of messages.
async fn client(
    addr: SocketAddr,
    bytes: usize,
    msg: usize,
    start: Arc<Barrier>,
) -> std::io::Result<u64> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let out = vec![0x5au8; msg];
    let mut back = vec![0u8; msg];
    start.wait().await;
    let mut done = 0;
    let mut messages = 0;
    while done < bytes {
        let len = msg.min(bytes - done);
        stream.write_all(&out[..len]).await?;
        stream.read_exact(&mut back[..len]).await?;
        if back[..len] != out[..len] {
            return Err(std::io::Error::other("echo mismatch"));
        }
        done += len;
        messages += 1;
    }
    stream.shutdown().await?;
    Ok(messages)
}

/// CPU time (user + system) of the whole process so far, in seconds, from
/// `/proc/self/stat`; 0 if it cannot be read.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name, which is in parentheses: utime and
    // stime are fields 14 and 15 of the line, 12 and 13 after the `)`.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // USER_HZ is 100 on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

async fn run(a: &Args) -> std::io::Result<(Duration, u64, f64)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(async move {
                        if let Err(e) = echo(stream).await {
                            eprintln!("tokio-echo: server: {e}");
                        }
                    });
                }
                Err(e) => {
                    eprintln!("tokio-echo: accept: {e}");
                    return;
                }
            }
        }
    });
    // Every client plus this task meet at the barrier: the clock starts
    // when all are connected.
    let start = Arc::new(Barrier::new(a.clients + 1));
    let mut tasks = Vec::with_capacity(a.clients);
    for _ in 0..a.clients {
        tasks.push(tokio::spawn(client(addr, a.bytes, a.msg, start.clone())));
    }
    start.wait().await;
    let t0 = Instant::now();
    let cpu0 = cpu_seconds();
    let mut messages = 0;
    for t in tasks {
        messages += t.await.map_err(std::io::Error::other)??;
    }
    Ok((t0.elapsed(), messages, cpu_seconds() - cpu0))
}

fn main() {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("tokio-echo: {e}\nusage: tokio-echo [--clients N] [--bytes B] [--msg S] [--workers W] [--timeout-s T]");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.workers)
        .enable_all()
        .build()
        .expect("build the runtime");
    let result = rt.block_on(async { tokio::time::timeout(a.timeout, run(&a)).await });
    match result {
        Ok(Ok((elapsed, messages, cpu))) => {
            let total = (a.clients * a.bytes) as f64;
            let secs = elapsed.as_secs_f64();
            println!(
                "bytes={} secs={:.6} mb_per_s={:.3} msgs_per_s={:.1} cpu_s={:.2}",
                a.clients * a.bytes,
                secs,
                total / secs / 1e6,
                messages as f64 / secs,
                cpu
            );
        }
        Ok(Err(e)) => {
            eprintln!("tokio-echo: {e}");
            std::process::exit(1);
        }
        Err(_) => {
            eprintln!("tokio-echo: timed out after {:?}", a.timeout);
            std::process::exit(1);
        }
    }
    // Don't wait for the server's tasks.
    rt.shutdown_background();
}
