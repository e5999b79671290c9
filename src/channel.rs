//! A bounded multi-producer, single-consumer channel whose receiving end is
//! an event source (feature `channel`).
//!
//! [`channel`] creates a [`Sender`] and a [`Receiver`]. Senders (clone
//! them, move them to other threads) put messages in with
//! [`Sender::try_send`]; the receiver, registered with a [`Poll`], becomes
//! readable when a message arrives or when the last sender goes away, and
//! takes messages out with [`Receiver::try_recv`]. Nothing blocks: a full
//! channel refuses the message and gives it back.
//!
//! # Semantics
//!
//! * **Bounded.** The buffer holds `capacity` messages and is allocated
//!   once, by [`channel`]; sending and receiving allocate nothing.
//! * **Order.** Messages from one sender arrive in the order it sent them;
//!   messages from different senders interleave in the order their
//!   `try_send` calls took effect. Each message is received once.
//! * **Edge-triggered**, like every source. An event means "messages
//!   arrived, or the last sender left": call [`try_recv`] until it returns
//!   [`TryRecvError::Empty`] or [`TryRecvError::Disconnected`]; only then
//!   does the next message produce a new event. An event may be spurious
//!   (`try_recv` returns `Empty` at once).
//! * **Cost.** Both ends share a mutex over the buffer, held for a push or
//!   a pop. The receiver's descriptor (an eventfd on Linux, a pipe
//!   elsewhere; on Windows a completion packet posted to the `Poll`'s port)
//!   is written only when a message arrives in an empty channel that was
//!   drained since, and read only when `try_recv` finds the channel empty:
//!   a busy channel costs no system calls per message.
//! * **Disconnection.** When every [`Sender`] is dropped, the receiver gets
//!   an event; once the buffer is empty, `try_recv` returns
//!   [`TryRecvError::Disconnected`]. When the [`Receiver`] is dropped,
//!   `try_send` returns [`TrySendError::Disconnected`] and the messages still
//!   in the buffer are dropped.
//! * **Platforms**: every Unix system, with every selector, and Windows.
//!   Elsewhere [`channel`] returns [`ErrorKind::Unsupported`].
//!
//! # Examples
//!
//! ```
//! # #[cfg(any(unix, windows))]
//! # fn main() -> std::io::Result<()> {
//! use mio::channel::{self, TryRecvError};
//! use mio::{Events, Interest, Poll, Token};
//! use std::io::ErrorKind;
//! use std::thread;
//! use std::time::Duration;
//!
//! const MESSAGES: Token = Token(0);
//!
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(8);
//! let (sender, mut receiver) = channel::channel::<u32>(16)?;
//! poll.registry().register(&mut receiver, MESSAGES, Interest::READABLE)?;
//!
//! let worker = thread::spawn(move || {
//!     for i in 0..100 {
//!         let mut message = i;
//!         // Full: wait a little and try again.
//!         while let Err(e) = sender.try_send(message) {
//!             message = e.into_inner();
//!             thread::sleep(Duration::from_millis(1));
//!         }
//!     }
//!     // Dropping the sender disconnects the channel.
//! });
//!
//! let mut received = Vec::new();
//! 'outer: loop {
//!     match poll.poll(&mut events, Some(Duration::from_secs(10))) {
//!         Err(e) if e.kind() == ErrorKind::Interrupted => continue,
//!         result => result?,
//!     }
//!     // Edge-triggered: receive until the channel is empty.
//!     loop {
//!         match receiver.try_recv() {
//!             Ok(message) => received.push(message),
//!             Err(TryRecvError::Empty) => break,
//!             Err(TryRecvError::Disconnected) => break 'outer,
//!         }
//!     }
//! }
//! worker.join().unwrap();
//! assert_eq!(received, (0..100).collect::<Vec<_>>());
//! # Ok(())
//! # }
//! # #[cfg(not(any(unix, windows)))]
//! # fn main() {}
//! ```
//!
//! [`Poll`]: crate::Poll
//! [`try_recv`]: Receiver::try_recv
//! [`ErrorKind::Unsupported`]: std::io::ErrorKind::Unsupported

use std::collections::VecDeque;
use std::error::Error;
use std::sync::PoisonError;
use std::{fmt, io, mem};

use crate::sync::{Arc, Mutex, MutexGuard};
use crate::{event, Interest, Registry, Token};

/// Creates a channel that holds up to `capacity` messages.
///
/// # Errors
///
/// [`ErrorKind::InvalidInput`] if `capacity` is zero;
/// [`ErrorKind::OutOfMemory`] if the buffer cannot be allocated; what the
/// OS reports when it runs out of descriptors; [`ErrorKind::Unsupported`]
/// on platforms other than Unix and Windows.
///
/// ```
/// # #[cfg(any(unix, windows))]
/// # fn main() -> std::io::Result<()> {
/// use mio::channel::{channel, TryRecvError, TrySendError};
///
/// let (sender, receiver) = channel(2)?;
/// sender.try_send("a").unwrap();
/// sender.try_send("b").unwrap();
/// // Capacity reached: the message comes back.
/// assert_eq!(sender.try_send("c"), Err(TrySendError::Full("c")));
/// assert_eq!(receiver.try_recv(), Ok("a"));
/// assert_eq!(receiver.try_recv(), Ok("b"));
/// assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
///
/// assert!(channel::<()>(0).is_err());
/// # Ok(())
/// # }
/// # #[cfg(not(any(unix, windows)))]
/// # fn main() {}
/// ```
///
/// [`ErrorKind::InvalidInput`]: std::io::ErrorKind::InvalidInput
/// [`ErrorKind::OutOfMemory`]: std::io::ErrorKind::OutOfMemory
/// [`ErrorKind::Unsupported`]: std::io::ErrorKind::Unsupported
pub fn channel<T>(capacity: usize) -> io::Result<(Sender<T>, Receiver<T>)> {
    if capacity == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a channel's capacity must not be zero",
        ));
    }
    let mut queue = VecDeque::new();
    queue.try_reserve_exact(capacity).map_err(|_| {
        io::Error::new(
            io::ErrorKind::OutOfMemory,
            "cannot allocate the channel's buffer",
        )
    })?;
    let (notifier, source) = imp::pair()?;
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue,
            capacity,
            senders: 1,
            notifier: Some(notifier),
            notified: false,
        }),
    });
    Ok((
        Sender {
            shared: Arc::clone(&shared),
        },
        Receiver { shared, source },
    ))
}

/// What both ends share.
struct Shared<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    /// Never grows beyond `capacity`, so it never reallocates.
    queue: VecDeque<T>,
    capacity: usize,
    senders: usize,
    /// Makes the receiver's descriptor readable; `None` once the receiver
    /// is gone. Dropped with the receiver, so that its descriptor (an
    /// eventfd the two share) is closed then, which ends its registration.
    notifier: Option<imp::Notifier>,
    /// The descriptor was made readable and not drained since. Both change
    /// only under the lock, so a message never waits in the buffer without
    /// the descriptor being readable, or the receiver about to find it by
    /// draining the buffer first.
    notified: bool,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // The lock is held for a push, a pop or a counter update, none of
        // which can leave the state half done: poisoning is ignored.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> State<T> {
    /// Makes the receiver readable unless it is already (or gone).
    fn notify(&mut self) {
        // Under the lock, with the receiver alive: a pipe's reader exists
        // (no EPIPE).
        if let (Some(notifier), false) = (&self.notifier, self.notified) {
            self.notified = true;
            notifier.notify();
        }
    }
}

/// The sending end of a [`channel`]: clone it to send from several places.
///
/// ```
/// # #[cfg(any(unix, windows))]
/// # fn main() -> std::io::Result<()> {
/// use mio::channel::channel;
/// use std::thread;
///
/// let (sender, receiver) = channel(8)?;
/// let handles: Vec<_> = (0..2)
///     .map(|i| {
///         let sender = sender.clone();
///         thread::spawn(move || sender.try_send(i).unwrap())
///     })
///     .collect();
/// for handle in handles {
///     handle.join().unwrap();
/// }
/// let mut got = vec![receiver.try_recv().unwrap(), receiver.try_recv().unwrap()];
/// got.sort();
/// assert_eq!(got, [0, 1]);
/// # Ok(())
/// # }
/// # #[cfg(not(any(unix, windows)))]
/// # fn main() {}
/// ```
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Puts `message` in the channel, without blocking.
    ///
    /// The receiver gets an event if the channel was empty (and drained)
    /// before.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] when the channel holds `capacity` messages,
    /// [`TrySendError::Disconnected`] when the receiver is gone; both give
    /// the message back.
    pub fn try_send(&self, message: T) -> Result<(), TrySendError<T>> {
        let mut state = self.shared.lock();
        if state.notifier.is_none() {
            return Err(TrySendError::Disconnected(message));
        }
        if state.queue.len() >= state.capacity {
            return Err(TrySendError::Full(message));
        }
        state.queue.push_back(message);
        state.notify();
        Ok(())
    }

    /// How many messages the channel holds at most.
    pub fn capacity(&self) -> usize {
        self.shared.lock().capacity
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.shared.lock().senders += 1;
        Sender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.senders -= 1;
        if state.senders == 0 {
            // The receiver learns of the disconnection from an event.
            state.notify();
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("Sender")
            .field("capacity", &state.capacity)
            .field("len", &state.queue.len())
            .field("disconnected", &state.notifier.is_none())
            .finish()
    }
}

/// The receiving end of a [`channel`]: an event source, readable when
/// messages arrive or the last [`Sender`] is dropped.
///
/// ```
/// # #[cfg(any(unix, windows))]
/// # fn main() -> std::io::Result<()> {
/// use mio::channel::{channel, TryRecvError};
/// use mio::{Events, Interest, Poll, Token};
/// use std::time::Duration;
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// let (sender, mut receiver) = channel::<&str>(4)?;
/// poll.registry().register(&mut receiver, Token(7), Interest::READABLE)?;
///
/// drop(sender);
/// poll.poll(&mut events, Some(Duration::from_secs(10)))?;
/// assert_eq!(events.iter().next().map(|e| e.token()), Some(Token(7)));
/// assert_eq!(receiver.try_recv(), Err(TryRecvError::Disconnected));
/// # Ok(())
/// # }
/// # #[cfg(not(any(unix, windows)))]
/// # fn main() {}
/// ```
pub struct Receiver<T> {
    shared: Arc<Shared<T>>,
    source: imp::Source,
}

impl<T> Receiver<T> {
    /// Takes the oldest message, without blocking.
    ///
    /// # Errors
    ///
    /// [`TryRecvError::Empty`] when there is no message,
    /// [`TryRecvError::Disconnected`] when there is none and every sender is
    /// gone. Either one also re-arms the event: after an event, receive
    /// until one of them.
    pub fn try_recv(&self) -> Result<T, TryRecvError> {
        let mut state = self.shared.lock();
        if let Some(message) = state.queue.pop_front() {
            return Ok(message);
        }
        // Empty: drain the descriptor under the lock, so that the next
        // message (which finds `notified` false) makes it readable again.
        // Reading a descriptor we own does not fail in practice; if it did,
        // the worst outcome is a spurious event.
        let _ = self.source.drain();
        state.notified = false;
        if state.senders == 0 {
            Err(TryRecvError::Disconnected)
        } else {
            Err(TryRecvError::Empty)
        }
    }

    /// How many messages the channel holds at most.
    pub fn capacity(&self) -> usize {
        self.shared.lock().capacity
    }
}

#[cfg(all(test, loom))]
impl<T> Receiver<T> {
    /// Whether the stand-in for the descriptor is readable: what a poll
    /// would report (models only).
    pub(crate) fn model_readable(&self) -> bool {
        self.source.readable()
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (queue, notifier) = {
            let mut state = self.shared.lock();
            (mem::take(&mut state.queue), state.notifier.take())
        };
        // Outside the lock: the messages left, and the senders' handle on
        // the descriptor, so that `source` closes it.
        drop((queue, notifier));
    }
}

impl<T> event::Source for Receiver<T> {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.source.register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.source.reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        self.source.deregister(registry)
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.shared.lock();
        f.debug_struct("Receiver")
            .field("source", &self.source)
            .field("capacity", &state.capacity)
            .field("len", &state.queue.len())
            .field("senders", &state.senders)
            .finish()
    }
}

/// Why [`Sender::try_send`] did not send; holds the message.
///
/// ```
/// # #[cfg(any(unix, windows))]
/// # fn main() -> std::io::Result<()> {
/// use mio::channel::{channel, TrySendError};
///
/// let (sender, receiver) = channel(1)?;
/// drop(receiver);
/// let err = sender.try_send(5).unwrap_err();
/// assert!(err.is_disconnected());
/// assert_eq!(err.to_string(), "sending on a disconnected channel");
/// assert_eq!(err.into_inner(), 5);
/// # Ok(())
/// # }
/// # #[cfg(not(any(unix, windows)))]
/// # fn main() {}
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum TrySendError<T> {
    /// The channel holds `capacity` messages.
    Full(T),
    /// The [`Receiver`] was dropped.
    Disconnected(T),
}

impl<T> TrySendError<T> {
    /// The message that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(message) | TrySendError::Disconnected(message) => message,
        }
    }

    /// Whether the channel was full.
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// Whether the receiver was gone.
    pub fn is_disconnected(&self) -> bool {
        matches!(self, TrySendError::Disconnected(_))
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Disconnected(_) => f.write_str("Disconnected(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("sending on a full channel"),
            TrySendError::Disconnected(_) => f.write_str("sending on a disconnected channel"),
        }
    }
}

impl<T> Error for TrySendError<T> {}

/// Why [`Receiver::try_recv`] returned no message.
///
/// ```
/// # #[cfg(any(unix, windows))]
/// # fn main() -> std::io::Result<()> {
/// use mio::channel::{channel, TryRecvError};
///
/// let (sender, receiver) = channel::<u8>(1)?;
/// assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
/// drop(sender);
/// assert_eq!(receiver.try_recv(), Err(TryRecvError::Disconnected));
/// assert_eq!(
///     TryRecvError::Empty.to_string(),
///     "receiving on an empty channel"
/// );
/// # Ok(())
/// # }
/// # #[cfg(not(any(unix, windows)))]
/// # fn main() {}
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TryRecvError {
    /// No message now; senders remain.
    Empty,
    /// No message, and every [`Sender`] was dropped: none will come.
    Disconnected,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("receiving on an empty channel"),
            TryRecvError::Disconnected => {
                f.write_str("receiving on an empty and disconnected channel")
            }
        }
    }
}

impl Error for TryRecvError {}

/// The receiver's readiness: a notification descriptor in an `IoSource`.
#[cfg(all(unix, not(loom)))]
mod imp {
    use std::io;

    use crate::drain::drain;
    use crate::io_source::IoSource;
    use crate::{event, sys, Interest, Registry, Token};

    pub(super) struct Notifier(sys::NotifySender);

    #[derive(Debug)]
    pub(super) struct Source(IoSource<sys::NotifyReceiver>);

    pub(super) fn pair() -> io::Result<(Notifier, Source)> {
        let (sender, receiver) = sys::notify_pair()?;
        Ok((Notifier(sender), Source(IoSource::new(receiver))))
    }

    impl Notifier {
        pub(super) fn notify(&self) {
            self.0.notify();
        }
    }

    impl Source {
        pub(super) fn drain(&self) -> io::Result<()> {
            drain(&self.0, |receiver| receiver.read())
        }

        pub(super) fn register(
            &mut self,
            registry: &Registry,
            token: Token,
            interests: Interest,
        ) -> io::Result<()> {
            event::Source::register(&mut self.0, registry, token, interests)
        }

        pub(super) fn reregister(
            &mut self,
            registry: &Registry,
            token: Token,
            interests: Interest,
        ) -> io::Result<()> {
            event::Source::reregister(&mut self.0, registry, token, interests)
        }

        pub(super) fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
            event::Source::deregister(&mut self.0, registry)
        }
    }
}

/// The receiver's readiness on Windows: a flag that posts a completion
/// packet to the `Poll`'s port when set while registered
/// (`sys/windows/channel.rs`).
#[cfg(all(windows, not(loom)))]
mod imp {
    use std::io;

    use crate::{sys, Interest, Registry, Token};

    pub(super) struct Notifier(sys::Notify);

    #[derive(Debug)]
    pub(super) struct Source(sys::Notify);

    pub(super) fn pair() -> io::Result<(Notifier, Source)> {
        let (sender, receiver) = sys::notify_pair();
        Ok((Notifier(sender), Source(receiver)))
    }

    impl Notifier {
        pub(super) fn notify(&self) {
            self.0.notify();
        }
    }

    impl Source {
        pub(super) fn drain(&self) -> io::Result<()> {
            self.0.clear();
            Ok(())
        }

        pub(super) fn register(
            &mut self,
            registry: &Registry,
            token: Token,
            interests: Interest,
        ) -> io::Result<()> {
            self.0.register(registry.selector(), token, interests)
        }

        pub(super) fn reregister(
            &mut self,
            registry: &Registry,
            token: Token,
            interests: Interest,
        ) -> io::Result<()> {
            self.0.reregister(registry.selector(), token, interests)
        }

        pub(super) fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
            self.0.deregister(registry.selector())
        }
    }

    impl Drop for Source {
        fn drop(&mut self) {
            // Packets still on their way report nothing.
            self.0.close();
        }
    }
}

/// No notification where the backend has none: `pair` fails, so no value
/// of these types ever exists.
#[cfg(not(any(unix, windows, loom)))]
mod imp {
    use std::io;

    use crate::{Interest, Registry, Token};

    pub(super) enum Notifier {}

    #[derive(Debug)]
    pub(super) enum Source {}

    pub(super) fn pair() -> io::Result<(Notifier, Source)> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "channels are not implemented on this platform yet",
        ))
    }

    impl Notifier {
        pub(super) fn notify(&self) {
            match *self {}
        }
    }

    impl Source {
        pub(super) fn drain(&self) -> io::Result<()> {
            match *self {}
        }

        pub(super) fn register(&mut self, _: &Registry, _: Token, _: Interest) -> io::Result<()> {
            match *self {}
        }

        pub(super) fn reregister(&mut self, _: &Registry, _: Token, _: Interest) -> io::Result<()> {
            match *self {}
        }

        pub(super) fn deregister(&mut self, _: &Registry) -> io::Result<()> {
            match *self {}
        }
    }
}

/// Under `--cfg loom` (model checking, `scripts/loom.sh`) only: a flag loom
/// sees stands in for the descriptor. `notify` makes it readable, `drain`
/// reads it empty, as a write and reads until `WouldBlock` do; the models
/// treat "readable" as "a poll reports an event". There is no `Poll` under
/// loom, so registering fails.
#[cfg(loom)]
mod imp {
    use std::io;

    use crate::sync::{Arc, AtomicBool, Ordering};
    use crate::{Interest, Registry, Token};

    pub(super) struct Notifier(Arc<AtomicBool>);

    #[derive(Debug)]
    pub(super) struct Source(Arc<AtomicBool>);

    pub(super) fn pair() -> io::Result<(Notifier, Source)> {
        let flag = Arc::new(AtomicBool::new(false));
        Ok((Notifier(Arc::clone(&flag)), Source(flag)))
    }

    fn no_poll() -> io::Error {
        io::Error::new(io::ErrorKind::Unsupported, "no `Poll` under loom")
    }

    impl Notifier {
        pub(super) fn notify(&self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    impl Source {
        pub(super) fn drain(&self) -> io::Result<()> {
            self.0.store(false, Ordering::SeqCst);
            Ok(())
        }

        #[cfg(test)]
        pub(super) fn readable(&self) -> bool {
            self.0.load(Ordering::SeqCst)
        }

        pub(super) fn register(&mut self, _: &Registry, _: Token, _: Interest) -> io::Result<()> {
            Err(no_poll())
        }

        pub(super) fn reregister(&mut self, _: &Registry, _: Token, _: Interest) -> io::Result<()> {
            Err(no_poll())
        }

        pub(super) fn deregister(&mut self, _: &Registry) -> io::Result<()> {
            Err(no_poll())
        }
    }
}
