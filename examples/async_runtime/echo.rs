//! The application on top of the runtime: a TCP echo server, and a client
//! load that checks every echoed byte and measures allocations.
// The test suite includes this file too and uses only part of it.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};

use crate::counting_alloc;
use crate::runtime::{Async, Handle, Runtime};

/// Size of one client message.
pub const MESSAGE_LEN: usize = 256;

/// Spawns the accept loop: one echo task per accepted connection.
pub fn serve(handle: &Handle, listener: Async<TcpListener>) -> io::Result<()> {
    let h = handle.clone();
    handle.spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _peer)) => {
                    // The connection's task is boxed here, once; from then
                    // on echoing allocates nothing.
                    if let Err(e) = h.spawn(echo(stream)) {
                        eprintln!("connection dropped: {e}");
                    }
                }
                Err(e) => {
                    // Out of file descriptors, a connection reset before
                    // it was accepted, ...: report it, and let other tasks
                    // run before trying again instead of spinning here.
                    eprintln!("accept failed: {e}");
                    yield_now().await;
                }
            }
        }
    })
}

/// One connection: read what comes, write it back, until end-of-file or an
/// error. The buffer lives inside the task's future, so it is part of the
/// one allocation made at spawn.
async fn echo(stream: Async<TcpStream>) {
    let mut buf = [0u8; 4096];
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if stream.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// Returns `Pending` once, after waking itself: the task goes to the back
/// of the ready queue.
fn yield_now() -> impl Future<Output = ()> {
    struct YieldNow(bool);
    impl Future for YieldNow {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                return Poll::Ready(());
            }
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
    YieldNow(false)
}

/// What a client load measured.
#[derive(Debug)]
pub struct Report {
    pub addr: SocketAddr,
    pub clients: usize,
    /// Messages echoed and checked, in all.
    pub messages: u64,
    /// Bytes echoed and checked.
    pub bytes: u64,
    pub errors: usize,
    /// Messages echoed after warm-up, while allocations were counted.
    pub measured_messages: u64,
    /// Allocations on the runtime thread after warm-up, if counted.
    pub allocations: Option<u64>,
    pub elapsed: Duration,
    /// The watchdog stopped the run.
    pub timed_out: bool,
}

/// State the client tasks share. `Rc` + `Cell`: they all run on the one
/// runtime thread.
struct Load {
    handle: Handle,
    clients: usize,
    count_allocations: bool,
    started: Instant,
    /// Clients done with their warm-up.
    arrived: Cell<usize>,
    /// Wakers of clients waiting for the others to finish warming up.
    /// Allocated with room for every client: pushing does not allocate.
    waiting: RefCell<Vec<Waker>>,
    released: Cell<bool>,
    done: Cell<usize>,
    errors: Cell<usize>,
    messages: Cell<u64>,
    measured_messages: Cell<u64>,
    allocations: Cell<Option<u64>>,
    elapsed: Cell<Duration>,
}

impl Load {
    /// The end of warm-up for one client. The last one to arrive starts the
    /// measurement and releases the others: by then every connection is
    /// accepted and every task spawned, so what follows is steady state.
    fn arrive(&self) {
        self.arrived.set(self.arrived.get() + 1);
        if self.arrived.get() == self.clients {
            if self.count_allocations {
                counting_alloc::start();
            }
            self.released.set(true);
            for waker in self.waiting.borrow_mut().drain(..) {
                waker.wake();
            }
        }
    }

    /// Waits until every client has arrived.
    async fn wait_for_all(&self) {
        let mut registered = false;
        std::future::poll_fn(|cx| {
            if self.released.get() {
                return Poll::Ready(());
            }
            if !registered {
                self.waiting.borrow_mut().push(cx.waker().clone());
                registered = true;
            }
            Poll::Pending
        })
        .await
    }

    fn finish(&self) {
        self.done.set(self.done.get() + 1);
        if self.done.get() == self.clients {
            if self.count_allocations {
                self.allocations.set(Some(counting_alloc::stop()));
            }
            self.elapsed.set(self.started.elapsed());
            self.handle.shutdown();
        }
    }
}

/// The bytes of message `i` of client `c`: different for every client and
/// message, so a byte echoed to the wrong place is caught.
fn fill(message: &mut [u8], client: usize, i: usize) {
    for (j, b) in message.iter_mut().enumerate() {
        *b = (client.wrapping_mul(31) ^ i.wrapping_mul(7) ^ j) as u8;
    }
}

async fn client(
    load: &Load,
    id: usize,
    addr: SocketAddr,
    messages: usize,
    warmup: usize,
    arrived: &mut bool,
) -> io::Result<()> {
    let stream = Async::<TcpStream>::connect(&load.handle, addr).await?;
    let mut sent = [0u8; MESSAGE_LEN];
    let mut back = [0u8; MESSAGE_LEN];
    for i in 0..messages {
        fill(&mut sent, id, i);
        stream.write_all(&sent).await?;
        stream.read_exact(&mut back).await?;
        if back != sent {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                "echo differs from what was sent",
            ));
        }
        load.messages.set(load.messages.get() + 1);
        if load.released.get() {
            load.measured_messages.set(load.measured_messages.get() + 1);
        }
        if i + 1 == warmup {
            *arrived = true;
            load.arrive();
            load.wait_for_all().await;
        }
    }
    Ok(())
}

/// Runs an echo server and `clients` clients sending `messages` messages
/// each, all as tasks of one runtime on this thread, and reports. With
/// `count_allocations` (which needs `CountingAlloc` as the global
/// allocator), this thread's allocations after warm-up are counted. The
/// run is stopped after `limit` whatever happens.
pub fn run_load(
    addr: SocketAddr,
    clients: usize,
    messages: usize,
    count_allocations: bool,
    limit: Duration,
) -> io::Result<Report> {
    if clients == 0 || messages < 2 {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            "need at least 1 client and 2 messages",
        ));
    }
    // A few messages each to warm up: connect, accept, spawn, and let
    // everything lazily set up (e.g. the first lock of a mutex) happen.
    let warmup = (messages / 4).clamp(1, 20);

    // Capacity: the accept loop, a server task and a client task per
    // connection; a listener and two sockets per connection.
    let runtime = Runtime::new(2 * clients + 2, 2 * clients + 1)?;
    let handle = runtime.handle();
    let listener = Async::<TcpListener>::bind(&handle, addr)?;
    let addr = listener.get_ref().local_addr()?;
    serve(&handle, listener)?;

    let load = Rc::new(Load {
        handle: handle.clone(),
        clients,
        count_allocations,
        started: Instant::now(),
        arrived: Cell::new(0),
        waiting: RefCell::new(Vec::with_capacity(clients)),
        released: Cell::new(false),
        done: Cell::new(0),
        errors: Cell::new(0),
        messages: Cell::new(0),
        measured_messages: Cell::new(0),
        allocations: Cell::new(None),
        elapsed: Cell::new(Duration::ZERO),
    });
    for id in 0..clients {
        let load = load.clone();
        handle.spawn(async move {
            let mut arrived = false;
            if let Err(e) = client(&load, id, addr, messages, warmup, &mut arrived).await {
                eprintln!("client {id}: {e}");
                load.errors.set(load.errors.get() + 1);
                // Do not leave the others waiting for us.
                if !arrived {
                    load.arrive();
                }
            }
            load.finish();
        })?;
    }

    // The watchdog: another thread that stops the runtime through the
    // cross-thread `Spawner` (its `mio::Waker`) if the load takes too long.
    // It waits on a channel with a timeout, so it ends as soon as we do.
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let timed_out = Arc::new(AtomicBool::new(false));
    let watchdog = {
        let spawner = runtime.spawner();
        let timed_out = timed_out.clone();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = done_rx.recv_timeout(limit) {
                timed_out.store(true, Ordering::SeqCst);
                spawner.shutdown();
            }
        })
    };

    let result = runtime.run();
    drop(done_tx);
    let _ = watchdog.join();
    result?;
    if load.count_allocations && load.allocations.get().is_none() {
        // Stopped before the end: stop counting anyway.
        counting_alloc::stop();
    }
    let messages = load.messages.get();
    Ok(Report {
        addr,
        clients,
        messages,
        bytes: messages * MESSAGE_LEN as u64,
        errors: load.errors.get(),
        measured_messages: load.measured_messages.get(),
        allocations: load.allocations.get(),
        elapsed: if load.done.get() == clients {
            load.elapsed.get()
        } else {
            load.started.elapsed()
        },
        timed_out: timed_out.load(Ordering::SeqCst),
    })
}
