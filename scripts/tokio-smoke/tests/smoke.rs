//! Tokio on this crate: each test drives one Tokio feature that goes through
//! mio (TCP, UDP, Unix sockets, AsyncFd, child processes, signals, the
//! multi-threaded runtime's cross-thread wakeups).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn the_patched_mio_is_in_use() {
    // Tokio's `mio` resolves to this repository: cargo writes the path
    // source of every package into Cargo.lock, which must not list a
    // crates.io mio.
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .expect("Cargo.lock next to the manifest");
    let mut in_mio = false;
    for line in lock.lines() {
        if line.starts_with("name = ") {
            in_mio = line == "name = \"mio\"";
        } else if in_mio && line.starts_with("source = ") {
            panic!("Cargo.lock lists a registry mio: {}", line);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_echo_many_connections() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let (mut r, mut w) = socket.split();
                tokio::io::copy(&mut r, &mut w).await.unwrap();
            });
        }
    });

    let mut clients = Vec::new();
    for i in 0..50u32 {
        clients.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            let payload: Vec<u8> = (0..64 * 1024).map(|n| (n as u32 ^ i) as u8).collect();
            let (mut r, mut w) = stream.split();
            let write = async {
                w.write_all(&payload).await.unwrap();
                w.shutdown().await.unwrap();
            };
            let mut echoed = Vec::new();
            let read = r.read_to_end(&mut echoed);
            let (_, n) = tokio::join!(write, read);
            n.unwrap();
            assert_eq!(echoed, payload);
        }));
    }
    for client in clients {
        timeout(LIMIT, client)
            .await
            .expect("echo timed out")
            .unwrap();
    }
    server.abort();
}

#[tokio::test]
async fn udp_round_trip() {
    let a = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let b = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    a.send_to(b"ping", b.local_addr().unwrap()).await.unwrap();
    let mut buf = [0; 16];
    let (n, from) = timeout(LIMIT, b.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"ping");
    assert_eq!(from, a.local_addr().unwrap());
}

#[tokio::test]
async fn unix_stream_pair() {
    let (mut a, mut b) = tokio::net::UnixStream::pair().unwrap();
    a.write_all(b"hello").await.unwrap();
    drop(a);
    let mut got = String::new();
    timeout(LIMIT, b.read_to_string(&mut got))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, "hello");
}

#[tokio::test]
async fn async_fd_on_a_socket() {
    use std::io::{Read, Write};
    use tokio::io::unix::AsyncFd;

    let (mut writer, reader) = std::os::unix::net::UnixStream::pair().unwrap();
    reader.set_nonblocking(true).unwrap();
    let fd = AsyncFd::new(reader).unwrap();
    for round in 0..3u8 {
        writer.write_all(&[round; 10]).unwrap();
        let mut guard = timeout(LIMIT, fd.readable()).await.unwrap().unwrap();
        let mut buf = [0; 32];
        let n = guard
            .try_io(|inner| inner.get_ref().read(&mut buf))
            .expect("ready")
            .unwrap();
        assert_eq!(&buf[..n], &[round; 10][..]);
    }
}

#[tokio::test]
async fn child_process_output() {
    let output = timeout(
        LIMIT,
        tokio::process::Command::new("sh")
            .args(["-c", "echo out; echo err >&2"])
            .output(),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(output.status.success());
    assert_eq!(output.stdout, b"out\n");
    assert_eq!(output.stderr, b"err\n");
}

#[tokio::test]
async fn unix_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut stream = signal(SignalKind::user_defined1()).unwrap();
    let pid = std::process::id().to_string();
    let status = std::process::Command::new("kill")
        .args(["-USR1", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    timeout(LIMIT, stream.recv())
        .await
        .expect("signal")
        .unwrap();
}

#[test]
fn wakeups_across_runtime_threads() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
        let producer = std::thread::spawn(move || {
            for i in 0..1000 {
                tx.blocking_send(i).unwrap();
            }
        });
        let mut expected = 0;
        while let Some(i) = timeout(LIMIT, rx.recv()).await.unwrap() {
            assert_eq!(i, expected);
            expected += 1;
        }
        assert_eq!(expected, 1000);
        producer.join().unwrap();
    });
}
