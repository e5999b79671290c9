//! A small single-threaded async runtime on top of `mio` and `std` only.
//!
//! Three pieces, each small enough to read in one sitting:
//!
//! * the **reactor** owns the `mio::Poll`. Every registered socket gets a
//!   slot (its index is the `Token`) holding at most one waker for a reader
//!   and one for a writer. When `Poll` reports an event, the reactor wakes
//!   the wakers stored in that slot and forgets them.
//! * the **executor** owns the tasks, in a slab of fixed capacity. A task is
//!   a boxed future plus the `std::task::Waker` that schedules it. Waking a
//!   task puts its index on a ready queue; the executor polls what is ready
//!   and, when nothing is, blocks in the reactor.
//! * the **I/O types** (`Async<TcpListener>`, `Async<TcpStream>`) turn the
//!   non-blocking calls into futures: try the call; if it would block, leave
//!   the task's waker with the reactor and return `Pending`.
//!
//! Everything that needs memory gets it up front (`Runtime::new`) or when a
//! task is spawned (the task is boxed once). Once running, polling a task,
//! waking it, waiting for I/O and dispatching events allocate nothing: the
//! example's `--check-allocations` mode counts this.
// The test suite includes this file too and uses only part of it.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll as TaskPoll, Wake, Waker};
use std::time::Duration;

use mio::event::Source;
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};

/// The token of the `mio::Waker`. Socket tokens are slot indexes, which are
/// far below this.
const WAKE_TOKEN: Token = Token(usize::MAX);

/// How many tasks the executor polls before it checks for I/O again, so a
/// task that keeps waking itself cannot starve the sockets.
const BUDGET: usize = 128;

/// A task's future. Tasks never leave the runtime thread, so they need not
/// be `Send`.
type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;
/// A future handed over by another thread: that one must be `Send`.
type SendFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

// ---------------------------------------------------------------------------
// The part other threads can touch.
// ---------------------------------------------------------------------------

/// State shared with wakers, which `std` requires to be `Send + Sync`: a
/// waker may be cloned into another thread and woken from there.
struct Shared {
    /// Indexes of the tasks to poll. Allocated with room for every task,
    /// and a task is on it at most once (see `queued`), so pushing never
    /// grows it.
    ready: Mutex<VecDeque<usize>>,
    /// `queued[i]`: task `i` is on `ready` already. Waking a task twice
    /// before it runs then costs nothing, and `ready` stays bounded.
    queued: Box<[AtomicBool]>,
    /// The executor is (about to be) blocked in `Poll::poll`: a waker that
    /// queues a task must then also kick the `mio::Waker`.
    sleeping: AtomicBool,
    /// Wakes a blocked `Poll::poll` from any thread.
    waker: mio::Waker,
    /// Futures spawned from other threads, picked up by the executor.
    injected: Mutex<Vec<SendFuture>>,
    /// Stop the executor at its next turn.
    shutdown: AtomicBool,
}

impl Shared {
    /// Puts task `id` on the ready queue (once) and, if the executor is
    /// asleep in the reactor, wakes it.
    fn schedule(&self, id: usize) {
        if self.queued[id].swap(true, Ordering::AcqRel) {
            return; // already queued: it will run anyway
        }
        self.ready.lock().unwrap().push_back(id);
        // The executor sets `sleeping` before it looks at `ready` for the
        // last time; we look at `sleeping` after pushing. One of the two
        // sees the other, so the wakeup cannot be lost.
        if self.sleeping.load(Ordering::SeqCst) {
            let _ = self.waker.wake();
        }
    }

    fn pop_ready(&self) -> Option<usize> {
        self.ready.lock().unwrap().pop_front()
    }

    fn has_ready(&self) -> bool {
        !self.ready.lock().unwrap().is_empty()
    }
}

/// What a `std::task::Waker` points to. Built once per task, at spawn, with
/// `Arc::new` (one allocation); every later `clone` of the `Waker` is a
/// reference count increment and every `wake` a queue push.
struct TaskWaker {
    id: usize,
    shared: Arc<Shared>,
}

impl Wake for TaskWaker {
    fn wake(self: Arc<Self>) {
        self.shared.schedule(self.id);
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.shared.schedule(self.id);
    }
}

/// The handle other threads use: spawn a `Send` future, or stop the
/// runtime. Cloning it is cheap; it can be moved anywhere.
#[derive(Clone)]
pub struct Spawner {
    shared: Arc<Shared>,
}

impl Spawner {
    /// Hands a future to the runtime thread. It allocates (the box, and the
    /// queue may grow): spawning is setup, not steady state.
    pub fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) {
        self.shared.injected.lock().unwrap().push(Box::pin(future));
        let _ = self.shared.waker.wake();
    }

    /// Asks the runtime to return from `run` at its next turn.
    pub fn shutdown(&self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        let _ = self.shared.waker.wake();
    }
}

// ---------------------------------------------------------------------------
// The executor's task slab.
// ---------------------------------------------------------------------------

struct TaskSlot {
    /// `None` while the task is being polled (it is taken out so that the
    /// task can spawn, which borrows the slab) or when the slot is free.
    future: Option<LocalFuture>,
    /// Made once at spawn, cloned for each poll.
    waker: Option<Waker>,
}

/// Fixed capacity: `slots` and `free` are allocated once and never grow.
struct TaskSlab {
    slots: Vec<TaskSlot>,
    /// Indexes of free slots, used as a stack.
    free: Vec<usize>,
}

// ---------------------------------------------------------------------------
// The reactor.
// ---------------------------------------------------------------------------

/// The wakers waiting on one registered socket.
#[derive(Default)]
struct IoSlot {
    reader: Option<Waker>,
    writer: Option<Waker>,
}

struct Reactor {
    poll: RefCell<Poll>,
    /// A second handle to the same poller, so that sockets can be
    /// registered while `poll` is borrowed elsewhere.
    registry: Registry,
    events: RefCell<Events>,
    /// Fixed capacity, like the task slab: the index is the `Token`.
    slots: RefCell<Vec<IoSlot>>,
    free: RefCell<Vec<usize>>,
}

#[derive(Clone, Copy)]
enum Direction {
    Read,
    Write,
}

impl Reactor {
    /// Takes a slot for a new socket and registers it for both directions,
    /// once. With edge-triggered readiness there is no need to change the
    /// interest later: an event arrives whenever a direction becomes ready.
    fn register(&self, source: &mut impl Source) -> io::Result<usize> {
        let slot = self.free.borrow_mut().pop().ok_or_else(|| {
            io::Error::new(ErrorKind::OutOfMemory, "all reactor slots are in use")
        })?;
        let interest = Interest::READABLE | Interest::WRITABLE;
        if let Err(e) = self.registry.register(source, Token(slot), interest) {
            self.free.borrow_mut().push(slot);
            return Err(e);
        }
        Ok(slot)
    }

    fn deregister(&self, source: &mut impl Source, slot: usize) {
        let _ = self.registry.deregister(source);
        // Drop the wakers now: a later socket gets this slot, and must not
        // wake our tasks.
        self.slots.borrow_mut()[slot] = IoSlot::default();
        self.free.borrow_mut().push(slot);
    }

    /// Leaves `waker` to be woken when `slot` is ready in `direction`.
    fn set_waker(&self, slot: usize, direction: Direction, waker: &Waker) {
        let mut slots = self.slots.borrow_mut();
        let stored = match direction {
            Direction::Read => &mut slots[slot].reader,
            Direction::Write => &mut slots[slot].writer,
        };
        match stored {
            // The same task waits again: nothing to store. (`will_wake`
            // compares the data pointers; no clone needed.)
            Some(old) if old.will_wake(waker) => {}
            // `clone` of our Arc-based waker does not allocate.
            _ => *stored = Some(waker.clone()),
        }
    }

    /// Waits for events (at most `timeout`) and wakes the tasks waiting on
    /// them.
    fn turn(&self, timeout: Option<Duration>) -> io::Result<()> {
        let mut poll = self.poll.borrow_mut();
        let mut events = self.events.borrow_mut();
        match poll.poll(&mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        }
        let mut slots = self.slots.borrow_mut();
        for event in events.iter() {
            if event.token() == WAKE_TOKEN {
                // Its only job was to end `poll`.
                continue;
            }
            let Some(slot) = slots.get_mut(event.token().0) else {
                continue;
            };
            // An error or hang-up must wake both sides: their next call
            // returns the error or end-of-file instead of blocking.
            let failed = event.is_error();
            if failed || event.is_readable() || event.is_read_closed() {
                if let Some(waker) = slot.reader.take() {
                    waker.wake();
                }
            }
            if failed || event.is_writable() || event.is_write_closed() {
                if let Some(waker) = slot.writer.take() {
                    waker.wake();
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// The runtime: executor + reactor, used from one thread.
// ---------------------------------------------------------------------------

struct Inner {
    shared: Arc<Shared>,
    tasks: RefCell<TaskSlab>,
    live: Cell<usize>,
    reactor: Reactor,
}

/// A cheap handle to the runtime for code running on its thread: tasks use
/// it to spawn tasks and to register sockets. (`Rc`, not `Arc`: it cannot
/// leave the thread, which is what makes `RefCell` inside it sound.)
#[derive(Clone)]
pub struct Handle {
    inner: Rc<Inner>,
}

/// The runtime. Create it, spawn the first tasks, then `run`.
pub struct Runtime {
    handle: Handle,
}

impl Runtime {
    /// Allocates everything the runtime will ever need for at most `tasks`
    /// tasks and `sockets` registered sockets at a time.
    pub fn new(tasks: usize, sockets: usize) -> io::Result<Runtime> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = mio::Waker::new(poll.registry(), WAKE_TOKEN)?;
        let shared = Arc::new(Shared {
            ready: Mutex::new(VecDeque::with_capacity(tasks)),
            queued: (0..tasks).map(|_| AtomicBool::new(false)).collect(),
            sleeping: AtomicBool::new(false),
            waker,
            injected: Mutex::new(Vec::new()),
            shutdown: AtomicBool::new(false),
        });
        let slab = TaskSlab {
            slots: (0..tasks)
                .map(|_| TaskSlot {
                    future: None,
                    waker: None,
                })
                .collect(),
            // Reversed so that slot 0 is handed out first.
            free: (0..tasks).rev().collect(),
        };
        let reactor = Reactor {
            poll: RefCell::new(poll),
            registry,
            events: RefCell::new(Events::with_capacity(1024)),
            slots: RefCell::new((0..sockets).map(|_| IoSlot::default()).collect()),
            free: RefCell::new((0..sockets).rev().collect()),
        };
        Ok(Runtime {
            handle: Handle {
                inner: Rc::new(Inner {
                    shared,
                    tasks: RefCell::new(slab),
                    live: Cell::new(0),
                    reactor,
                }),
            },
        })
    }

    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    pub fn spawner(&self) -> Spawner {
        self.handle.spawner()
    }

    /// Runs tasks until none is left or `shutdown` is requested.
    pub fn run(&self) -> io::Result<()> {
        let inner = &self.handle.inner;
        loop {
            self.take_injected();
            if inner.shared.shutdown.load(Ordering::SeqCst) {
                return Ok(());
            }

            // Poll what is ready, up to the budget.
            let mut polled = 0;
            while polled < BUDGET {
                let Some(id) = inner.shared.pop_ready() else {
                    break;
                };
                self.poll_task(id);
                polled += 1;
            }
            if inner.live.get() == 0 {
                return Ok(());
            }

            // Wait for I/O. Announce the sleep first, then look at the
            // queue one last time (see `Shared::schedule`); if something is
            // ready, only collect the events that are already there.
            inner.shared.sleeping.store(true, Ordering::SeqCst);
            let timeout =
                if inner.shared.has_ready() || inner.shared.shutdown.load(Ordering::SeqCst) {
                    Some(Duration::ZERO)
                } else {
                    None
                };
            let result = inner.reactor.turn(timeout);
            inner.shared.sleeping.store(false, Ordering::SeqCst);
            result?;
        }
    }

    /// Moves futures spawned by other threads into the slab.
    fn take_injected(&self) {
        let mut injected = self.handle.inner.shared.injected.lock().unwrap();
        for future in injected.drain(..) {
            if self.handle.insert(future).is_err() {
                eprintln!("task slab full: dropped a task spawned from another thread");
            }
        }
    }

    fn poll_task(&self, id: usize) {
        let inner = &self.handle.inner;
        // Take the future out, so the slab is not borrowed while the task
        // runs (it may spawn). Moving a `Box` does not allocate.
        let (mut future, waker) = {
            let mut tasks = inner.tasks.borrow_mut();
            let slot = &mut tasks.slots[id];
            match (slot.future.take(), &slot.waker) {
                (Some(future), Some(waker)) => (future, waker.clone()),
                // A stale wake-up of a finished task.
                _ => return,
            }
        };
        // Clear the flag before polling: a wake from now on queues the task
        // again, so a wake that arrives mid-poll is not lost.
        inner.shared.queued[id].store(false, Ordering::Release);
        let mut cx = Context::from_waker(&waker);
        let done = future.as_mut().poll(&mut cx).is_ready();
        let mut tasks = inner.tasks.borrow_mut();
        if done {
            tasks.slots[id].waker = None;
            tasks.free.push(id);
            inner.live.set(inner.live.get() - 1);
            // `future` is dropped here: freeing is fine, it is not counted
            // (and it happens when a task ends, not per message).
        } else {
            tasks.slots[id].future = Some(future);
        }
    }
}

impl Drop for Runtime {
    /// Tasks hold `Handle`s, and the runtime holds the tasks: a reference
    /// cycle. Dropping the tasks here breaks it, and closes their sockets.
    fn drop(&mut self) {
        let inner = &self.handle.inner;
        let slots = inner.tasks.borrow().slots.len();
        for id in 0..slots {
            // Take the future out first: dropping it drops its sockets,
            // which borrow the reactor (not the slab), but be safe anyway.
            let future = inner.tasks.borrow_mut().slots[id].future.take();
            drop(future);
        }
    }
}

impl Handle {
    pub fn spawner(&self) -> Spawner {
        Spawner {
            shared: self.inner.shared.clone(),
        }
    }

    /// Spawns a task on this thread. The one allocation is the box; the
    /// waker is made here too, once for the task's whole life.
    pub fn spawn(&self, future: impl Future<Output = ()> + 'static) -> io::Result<()> {
        self.insert(Box::pin(future))
            .map_err(|_| io::Error::new(ErrorKind::OutOfMemory, "task slab full"))
    }

    fn insert(&self, future: LocalFuture) -> Result<(), LocalFuture> {
        let inner = &self.inner;
        let id = {
            let mut tasks = inner.tasks.borrow_mut();
            let Some(id) = tasks.free.pop() else {
                return Err(future);
            };
            let waker = Waker::from(Arc::new(TaskWaker {
                id,
                shared: inner.shared.clone(),
            }));
            tasks.slots[id] = TaskSlot {
                future: Some(future),
                waker: Some(waker),
            };
            id
        };
        inner.live.set(inner.live.get() + 1);
        inner.shared.schedule(id);
        Ok(())
    }

    /// Stops the runtime at its next turn (same as `Spawner::shutdown`).
    pub fn shutdown(&self) {
        self.inner.shared.shutdown.store(true, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------
// Sockets as futures.
// ---------------------------------------------------------------------------

/// A `mio` socket registered with the runtime's reactor. Dropping it
/// deregisters the socket and frees its reactor slot.
pub struct Async<T: Source> {
    io: T,
    slot: usize,
    handle: Handle,
}

impl<T: Source> Async<T> {
    pub fn new(handle: &Handle, mut io: T) -> io::Result<Async<T>> {
        let slot = handle.inner.reactor.register(&mut io)?;
        Ok(Async {
            io,
            slot,
            handle: handle.clone(),
        })
    }

    pub fn get_ref(&self) -> &T {
        &self.io
    }

    /// The heart of the I/O types. Edge-triggered readiness says "something
    /// changed", not "the call will succeed", so we never track readiness
    /// ourselves: just try the call. If it would block, the kernel will
    /// report the next change, and the reactor will wake whoever left its
    /// waker here. (On one thread no event can slip in between the failed
    /// call and storing the waker: the reactor only runs when no task does.)
    fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        direction: Direction,
        mut op: impl FnMut(&T) -> io::Result<R>,
    ) -> TaskPoll<io::Result<R>> {
        loop {
            match op(&self.io) {
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    self.handle
                        .inner
                        .reactor
                        .set_waker(self.slot, direction, cx.waker());
                    return TaskPoll::Pending;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                result => return TaskPoll::Ready(result),
            }
        }
    }
}

impl<T: Source> Drop for Async<T> {
    fn drop(&mut self) {
        self.handle
            .inner
            .reactor
            .deregister(&mut self.io, self.slot);
    }
}

impl Async<TcpListener> {
    pub fn bind(handle: &Handle, addr: SocketAddr) -> io::Result<Async<TcpListener>> {
        Async::new(handle, TcpListener::bind(addr)?)
    }

    /// `AsyncRead`-style: the poll function a hand-written future calls.
    pub fn poll_accept(
        &self,
        cx: &mut Context<'_>,
    ) -> TaskPoll<io::Result<(Async<TcpStream>, SocketAddr)>> {
        match self.poll_io(cx, Direction::Read, |listener| listener.accept()) {
            TaskPoll::Ready(Ok((stream, addr))) => {
                TaskPoll::Ready(Async::new(&self.handle, stream).map(|s| (s, addr)))
            }
            TaskPoll::Ready(Err(e)) => TaskPoll::Ready(Err(e)),
            TaskPoll::Pending => TaskPoll::Pending,
        }
    }

    /// The same as a future, for `async` code.
    pub async fn accept(&self) -> io::Result<(Async<TcpStream>, SocketAddr)> {
        std::future::poll_fn(|cx| self.poll_accept(cx)).await
    }
}

impl Async<TcpStream> {
    /// Starts a non-blocking connect and waits until it is done.
    pub async fn connect(handle: &Handle, addr: SocketAddr) -> io::Result<Async<TcpStream>> {
        let stream = Async::new(handle, TcpStream::connect(addr)?)?;
        // The connection is established (or has failed) when the socket
        // first becomes writable. `peer_addr` tells which: it fails with
        // `NotConnected` while the handshake is still going on.
        std::future::poll_fn(|cx| {
            stream.poll_io(cx, Direction::Write, |s| {
                if let Some(e) = s.take_error()? {
                    return Err(e);
                }
                match s.peer_addr() {
                    Ok(_) => Ok(()),
                    Err(e) if e.kind() == ErrorKind::NotConnected => {
                        Err(ErrorKind::WouldBlock.into())
                    }
                    Err(e) => Err(e),
                }
            })
        })
        .await?;
        Ok(stream)
    }

    pub fn poll_read(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> TaskPoll<io::Result<usize>> {
        // `Read` is implemented for `&TcpStream`: a shared reference is
        // enough, so reads and writes need no `&mut`.
        self.poll_io(cx, Direction::Read, |mut s| s.read(buf))
    }

    pub fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> TaskPoll<io::Result<usize>> {
        self.poll_io(cx, Direction::Write, |mut s| s.write(buf))
    }

    /// Reads some bytes; `Ok(0)` is end-of-file.
    pub async fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_read(cx, buf)).await
    }

    pub async fn write(&self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_write(cx, buf)).await
    }

    pub async fn write_all(&self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.write(buf).await? {
                0 => return Err(ErrorKind::WriteZero.into()),
                n => buf = &buf[n..],
            }
        }
        Ok(())
    }

    pub async fn read_exact(&self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            match self.read(buf).await? {
                0 => return Err(ErrorKind::UnexpectedEof.into()),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }
}
