use std::ffi::OsStr;
use std::fmt;
use std::io::{self, Read, Write};
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle, RawHandle};

use crate::{event, sys, Interest, Registry, Token};

/// A non-blocking Windows named pipe, to be registered with a
/// [`Poll`](crate::Poll).
///
/// Windows completes pipe I/O instead of reporting readiness, so a
/// `NamedPipe` keeps internal buffers and bridges the two:
///
/// * Once registered, the pipe keeps a read in flight into an internal
///   buffer. [`read`](Read::read) copies from that buffer; when it is empty
///   the next read is started and `read` returns
///   [`WouldBlock`](io::ErrorKind::WouldBlock). A completed read is a
///   readable event. End-of-file (the other end closed) is `Ok(0)`.
/// * [`write`](Write::write) copies the data (up to 64 KiB) into an internal
///   buffer, starts writing it and returns at once. While that write is in
///   flight, further writes return `WouldBlock`; its completion is a
///   writable event. An error of a write that completed is returned by the
///   next `write` (or [`take_error`](NamedPipe::take_error)).
///
/// Until the pipe is registered with a `Poll`, every I/O operation returns
/// `WouldBlock`. A pipe stays tied to the first `Poll` it is registered
/// with (Windows cannot undo that): it can be deregistered and registered
/// again with the same `Poll`, but not with another.
///
/// Dropping the pipe cancels its read and a pending connect; data already
/// accepted by `write` is still sent.
///
/// Server ends come from [`NamedPipe::new`]; for a client end, open the
/// pipe with [`std::fs::OpenOptions`] and the `FILE_FLAG_OVERLAPPED` custom
/// flag, and convert it with [`FromRawHandle`].
///
/// # Examples
///
/// ```
/// # #[cfg(windows)]
/// # fn main() -> std::io::Result<()> {
/// use mio::windows::NamedPipe;
/// use mio::{Events, Interest, Poll, Token};
/// use std::io::ErrorKind;
/// use std::time::Duration;
///
/// const SERVER: Token = Token(0);
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// let mut server = NamedPipe::new(r"\\.\pipe\mio-doc-example")?;
/// poll.registry().register(&mut server, SERVER, Interest::READABLE | Interest::WRITABLE)?;
/// match server.connect() {
///     Ok(()) => {}
///     // A writable event will say when a client has connected.
///     Err(e) if e.kind() == ErrorKind::WouldBlock => {}
///     Err(e) => return Err(e),
/// }
/// poll.poll(&mut events, Some(Duration::from_millis(10)))?;
/// # Ok(())
/// # }
/// # #[cfg(not(windows))]
/// # fn main() {}
/// ```
pub struct NamedPipe {
    inner: sys::named_pipe::NamedPipe,
}

impl NamedPipe {
    /// Creates the first instance of a new named pipe called `addr` (such
    /// as `\\.\pipe\name`): duplex, byte-oriented, with 64 KiB buffers and
    /// no limit on instances. Fails if a pipe of that name exists.
    ///
    /// Call [`connect`](NamedPipe::connect) after registering it to wait
    /// for a client. For other settings, create the pipe yourself with
    /// `FILE_FLAG_OVERLAPPED` and use [`FromRawHandle`].
    pub fn new<A: AsRef<OsStr>>(addr: A) -> io::Result<NamedPipe> {
        sys::named_pipe::NamedPipe::new(addr.as_ref()).map(|inner| NamedPipe { inner })
    }

    /// Waits for a client to connect to this server end
    /// (`ConnectNamedPipe`), without blocking.
    ///
    /// `Ok(())` means a client is connected. Otherwise this returns
    /// [`WouldBlock`](io::ErrorKind::WouldBlock): the connection is in
    /// progress (a writable event follows when it is established; call
    /// `connect` again, or [`take_error`](NamedPipe::take_error) to see
    /// whether it failed), or the pipe is not registered yet.
    pub fn connect(&self) -> io::Result<()> {
        self.inner.connect()
    }

    /// Disconnects the server end from its client (`DisconnectNamedPipe`);
    /// data not yet read is discarded. The pipe can then
    /// [`connect`](NamedPipe::connect) to the next client.
    pub fn disconnect(&self) -> io::Result<()> {
        self.inner.disconnect()
    }

    /// Takes the error of a `connect` or `write` that completed in the
    /// background and failed, clearing it. `Ok(None)` when there is none.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

impl Read for NamedPipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl Read for &NamedPipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf)
    }
}

impl Write for NamedPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    /// Does nothing: a write is handed to the OS as soon as it is accepted.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Write for &NamedPipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf)
    }

    /// Does nothing: a write is handed to the OS as soon as it is accepted.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl event::Source for NamedPipe {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.inner.register(registry.selector(), token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.inner.reregister(registry.selector(), token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        self.inner.deregister(registry.selector())
    }
}

impl AsRawHandle for NamedPipe {
    fn as_raw_handle(&self) -> RawHandle {
        self.inner.as_raw_handle()
    }
}

impl FromRawHandle for NamedPipe {
    /// Takes ownership of `handle`, which must be an open pipe handle
    /// (either end) opened for overlapped I/O (`FILE_FLAG_OVERLAPPED`), and
    /// owned by nothing else.
    unsafe fn from_raw_handle(handle: RawHandle) -> NamedPipe {
        NamedPipe {
            inner: sys::named_pipe::NamedPipe::from(OwnedHandle::from_raw_handle(handle)),
        }
    }
}

impl fmt::Debug for NamedPipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}
