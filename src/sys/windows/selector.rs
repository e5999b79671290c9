//! The Windows selector: one I/O completion port on which everything that
//! can become ready ends up as a completion packet.
//!
//! * Sockets: a poll request to the AFD driver per registered socket
//!   (`afd.rs`, `sock_state.rs`), completing when the socket is ready.
//! * `Waker`: a packet posted with PostQueuedCompletionStatus (`waker.rs`);
//!   the `Waker`s' wake flags are cleared after each wait returns
//!   (`sys/wake_flag.rs`).
//! * Named pipes: their overlapped reads, writes and connects
//!   (`named_pipe.rs`).
//! * Timers and channel receivers: packets posted by their readiness flag
//!   (`channel.rs`).
//!
//! `select` dequeues packets with GetQueuedCompletionStatusEx straight into
//! the caller's `Events` buffer and rewrites each entry in place into an
//! event (token + readiness flags), dropping those that carry nothing for
//! the user. Each packet's completion key says which of these produced
//! it, and its `lpOverlapped` finds the state it belongs to.
//!
//! Every operation in flight holds a strong reference to its state (an
//! `Arc` turned into the raw `lpOverlapped` pointer), so the memory the
//! kernel writes to stays alive until the packet is dequeued, whatever the
//! user drops meanwhile. `in_flight` counts those packets: when the last
//! handle to the selector goes, every operation is cancelled and the port
//! is drained until the count is zero, so that no reference leaks.

use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use std::{fmt, io};

use windows_sys::Win32::System::Threading::INFINITE;
use windows_sys::Win32::System::IO::OVERLAPPED_ENTRY;

use super::afd::Afd;
use super::iocp::CompletionPort;
use crate::sys::wake_flag::WakeFlags;
use crate::sys::EventBuf;

/// Completion key of the AFD handles: packets of socket polls.
pub(crate) const KEY_AFD: usize = 1;
/// Completion key of packets posted by a `Waker`.
pub(crate) const KEY_WAKER: usize = 2;
/// Completion key of named pipe handles.
#[allow(dead_code)] // without `os-ext`
pub(crate) const KEY_PIPE: usize = 3;
/// Completion key of packets posted for the timer and channel sources.
#[cfg(any(feature = "timer", feature = "channel"))]
pub(crate) const KEY_NOTIFY: usize = 4;

/// How many sockets share one AFD handle.
const SOCKETS_PER_AFD: usize = 32;

/// How long dropping a selector waits for cancelled operations to come
/// back before it gives up on them (leaking their state rather than
/// freeing memory the kernel may still write).
const DRAIN_LIMIT: Duration = Duration::from_secs(10);

/// Source of selector ids; 0 is never handed out, it means "not registered".
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

/// One entry of the `Events` buffer.
///
/// GetQueuedCompletionStatusEx writes `OVERLAPPED_ENTRY`s straight into the
/// buffer; this struct has the same layout (completion key, `lpOverlapped`
/// as an integer, a reserved word, byte count). `select` then rewrites each
/// entry it keeps into an event: `token` holds the user's token and `flags`
/// the readiness (AFD poll flags, see `event`). The pointer is kept as an
/// integer so that `Events` stays `Send` and `Sync`.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct RawEvent {
    /// Completion key as dequeued; the token once translated.
    pub(crate) token: usize,
    /// `lpOverlapped` as dequeued; unused once translated.
    pub(crate) overlapped: usize,
    internal: usize,
    /// Bytes transferred as dequeued; readiness flags once translated.
    pub(crate) flags: u32,
}

const _: () = assert!(
    std::mem::size_of::<RawEvent>() == std::mem::size_of::<OVERLAPPED_ENTRY>()
        && std::mem::align_of::<RawEvent>() == std::mem::align_of::<OVERLAPPED_ENTRY>()
);

impl RawEvent {
    pub(crate) fn new(token: usize, flags: u32) -> RawEvent {
        RawEvent {
            token,
            overlapped: 0,
            internal: 0,
            flags,
        }
    }
}

/// A handle to the queue; `try_clone` gives another handle to the same one.
pub(crate) struct Selector {
    id: usize,
    inner: Arc<SelectorInner>,
    /// The flags of the `Waker`s registered here; shared by clones.
    wake_flags: Arc<WakeFlags>,
}

/// The queue itself, shared by the `Selector` handles; sources keep only a
/// `Weak` to it, so dropping the `Poll` (and its registries) closes it.
pub(crate) struct SelectorInner {
    id: usize,
    port: CompletionPort,
    /// AFD handles, each shared by up to `SOCKETS_PER_AFD` sockets.
    afds: Mutex<Vec<Arc<Afd>>>,
    /// Named pipes associated with the port, to cancel their operations
    /// when the selector goes.
    #[cfg(feature = "os-ext")]
    pipes: Mutex<Vec<std::sync::Weak<super::named_pipe::PipeShared>>>,
    /// Packets that will still be queued: operations in flight and posted
    /// wakes, each holding a reference to its state.
    in_flight: AtomicUsize,
}

impl Selector {
    pub(crate) fn new() -> io::Result<Selector> {
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let inner = Arc::new(SelectorInner {
            id,
            port: CompletionPort::new()?,
            afds: Mutex::new(Vec::new()),
            #[cfg(feature = "os-ext")]
            pipes: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
        });
        Ok(Selector {
            id,
            inner,
            wake_flags: Arc::new(WakeFlags::new()),
        })
    }

    pub(crate) fn try_clone(&self) -> io::Result<Selector> {
        Ok(Selector {
            id: self.id,
            inner: Arc::clone(&self.inner),
            wake_flags: Arc::clone(&self.wake_flags),
        })
    }

    /// Where a `Waker` registers its wake flag.
    pub(crate) fn wake_flags(&self) -> &WakeFlags {
        &self.wake_flags
    }

    #[cfg_attr(not(feature = "net"), allow(dead_code))] // used by `IoSource`
    pub(crate) fn id(&self) -> usize {
        self.id
    }

    pub(crate) fn inner(&self) -> &Arc<SelectorInner> {
        &self.inner
    }

    pub(crate) fn select(
        &self,
        events: &mut EventBuf,
        timeout: Option<Duration>,
    ) -> io::Result<()> {
        let buf = events.raw_mut();
        buf.clear();
        // `None` waits for ever; so does a timeout too large for an Instant.
        let deadline = timeout.and_then(|timeout| Instant::now().checked_add(timeout));
        loop {
            let wait = match (timeout, deadline) {
                (Some(_), Some(deadline)) => millis_until(deadline),
                _ => INFINITE,
            };
            let res = self.inner.dequeue(buf.spare_capacity_mut(), wait);
            // After the wait, whatever it returned, and before the events
            // are handed back: see `sys/wake_flag.rs`.
            self.wake_flags.clear_all();
            let n = res?;
            // SAFETY: the port initialised the first `n` spare entries.
            unsafe { buf.set_len(n) };
            // Translate in place: entry `i` becomes event `kept <= i`.
            let mut kept = 0;
            for i in 0..n {
                let entry = buf[i];
                if let Some(event) = self.inner.dispatch(&entry, false) {
                    buf[kept] = event;
                    kept += 1;
                }
            }
            buf.truncate(kept);
            if kept > 0 {
                return Ok(());
            }
            // Only internal packets (or none): wait for the rest of the
            // timeout. Waits on Windows may end up to a clock tick early;
            // looping until the deadline makes the timeout a lower bound.
            if let (Some(_), Some(deadline)) = (timeout, deadline) {
                if Instant::now() >= deadline {
                    return Ok(());
                }
            }
        }
    }
}

impl fmt::Debug for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Selector")
            .field("id", &self.id)
            .field("port", &self.inner.port)
            .finish()
    }
}

impl SelectorInner {
    #[allow(dead_code)] // used by named pipes only
    pub(crate) fn id(&self) -> usize {
        self.id
    }

    pub(crate) fn port(&self) -> &CompletionPort {
        &self.port
    }

    /// Records that a packet will be queued for an operation about to
    /// start; [`SelectorInner::op_abandoned`] undoes it if the start fails.
    pub(crate) fn op_started(&self) {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn op_abandoned(&self) {
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
    }

    /// An AFD handle for one more socket: the newest one while it has
    /// room, else a new one. Handles no socket uses any more are closed.
    #[allow(dead_code)] // without `net`
    pub(crate) fn afd(&self) -> io::Result<Arc<Afd>> {
        let mut afds = lock(&self.afds);
        // Only the pool holds it: no socket, so no poll in flight.
        afds.retain(|afd| Arc::strong_count(afd) > 1);
        if let Some(afd) = afds.last() {
            if Arc::strong_count(afd) - 1 < SOCKETS_PER_AFD {
                return Ok(Arc::clone(afd));
            }
        }
        let afd = Arc::new(Afd::open(&self.port, KEY_AFD)?);
        afds.push(Arc::clone(&afd));
        Ok(afd)
    }

    /// Remembers a named pipe whose handle is now associated with the port.
    #[cfg(feature = "os-ext")]
    pub(crate) fn add_pipe(&self, pipe: std::sync::Weak<super::named_pipe::PipeShared>) {
        let mut pipes = lock(&self.pipes);
        pipes.retain(|pipe| pipe.strong_count() > 0);
        pipes.push(pipe);
    }

    fn dequeue(&self, spare: &mut [MaybeUninit<RawEvent>], wait_ms: u32) -> io::Result<usize> {
        let entries =
            spare as *mut [MaybeUninit<RawEvent>] as *mut [MaybeUninit<OVERLAPPED_ENTRY>];
        // SAFETY: `RawEvent` has the size, alignment and field layout of
        // `OVERLAPPED_ENTRY` (asserted above), and every bit pattern the OS
        // writes is a valid `RawEvent` (integers only); the slice keeps its
        // length and exclusive borrow.
        let entries = unsafe { &mut *entries };
        self.port.dequeue(entries, wait_ms)
    }

    /// Handles one dequeued packet; returns the event it gives the user, if
    /// any. `draining` is set while the selector is being dropped: states
    /// are then only released, never re-armed.
    fn dispatch(&self, entry: &RawEvent, draining: bool) -> Option<RawEvent> {
        let reported = match entry.token {
            #[cfg(feature = "net")]
            KEY_AFD => {
                self.in_flight.fetch_sub(1, Ordering::AcqRel);
                // SAFETY: packets with this key come only from AFD polls,
                // whose context is a reference given up by
                // `SockState::submit`; each packet is dequeued once.
                unsafe { super::sock_state::complete(self, entry.overlapped, draining) }
            }
            KEY_WAKER => {
                self.in_flight.fetch_sub(1, Ordering::AcqRel);
                // SAFETY: packets with this key are posted only by
                // `Waker::wake`, with a reference it gave up.
                unsafe { super::waker::complete(entry.overlapped, draining) }
            }
            #[cfg(feature = "os-ext")]
            KEY_PIPE => {
                self.in_flight.fetch_sub(1, Ordering::AcqRel);
                // SAFETY: packets with this key come only from operations
                // on named pipe handles, or posts by the pipe code, whose
                // `lpOverlapped` is one of a pipe's operation blocks, with a
                // reference given up when the operation started.
                unsafe { super::named_pipe::complete(self, entry.overlapped, draining) }
            }
            #[cfg(any(feature = "timer", feature = "channel"))]
            KEY_NOTIFY => {
                self.in_flight.fetch_sub(1, Ordering::AcqRel);
                // SAFETY: packets with this key are posted only by
                // `Notify::post`, with a reference it gave up.
                unsafe { super::channel::complete(self, entry.overlapped, draining) }
            }
            _ => None,
        };
        reported.map(|(token, flags)| RawEvent::new(token, flags))
    }
}

impl Drop for SelectorInner {
    fn drop(&mut self) {
        for afd in lock(&self.afds).iter() {
            afd.cancel_all();
        }
        #[cfg(feature = "os-ext")]
        for pipe in lock(&self.pipes).iter() {
            if let Some(pipe) = pipe.upgrade() {
                pipe.cancel_all();
            }
        }
        let deadline = Instant::now() + DRAIN_LIMIT;
        let mut entries = [MaybeUninit::<RawEvent>::uninit(); 64];
        while self.in_flight.load(Ordering::Acquire) > 0 {
            let now = Instant::now();
            if now >= deadline {
                warn!(
                    "dropping a Poll: {} operations did not finish after being cancelled; their state is leaked",
                    self.in_flight.load(Ordering::Acquire)
                );
                return;
            }
            let wait = millis_until(deadline).min(100);
            let n = match self.dequeue(&mut entries, wait) {
                Ok(n) => n,
                Err(_) => return,
            };
            for entry in &entries[..n] {
                // SAFETY: the port initialised the first `n` entries.
                let entry = unsafe { entry.assume_init() };
                self.dispatch(&entry, true);
            }
        }
    }
}

/// Locks `mutex`, also when a thread panicked while holding it: the data
/// behind every lock here stays consistent between statements.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The error for using a source whose `Poll` has been dropped.
#[allow(dead_code)] // without `net` and `os-ext`
pub(crate) fn poll_dropped() -> io::Error {
    io::Error::new(
        io::ErrorKind::Other,
        "the `Poll` this source was registered with has been dropped",
    )
}

/// Milliseconds from now until `deadline`, rounded up (so that a short
/// timeout sleeps instead of spinning) and below `INFINITE`.
fn millis_until(deadline: Instant) -> u32 {
    let left = deadline.saturating_duration_since(Instant::now());
    const NANOS_PER_MILLI: u128 = 1_000_000;
    let millis = (left.as_nanos() + NANOS_PER_MILLI - 1) / NANOS_PER_MILLI;
    millis.min(u128::from(INFINITE - 1)) as u32
}
