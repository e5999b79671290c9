use std::io::{self};
use std::net::Shutdown;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use crate::io_source::IoSource;
use crate::sys;

/// A non-blocking Unix-domain stream socket, to be registered with a
/// [`Poll`](crate::Poll).
///
/// Streams come from [`UnixStream::connect`], [`UnixStream::pair`],
/// [`UnixListener::accept`](crate::net::UnixListener::accept), or from the
/// standard library through [`UnixStream::from_std`]. Reads and writes that
/// cannot proceed return [`WouldBlock`](io::ErrorKind::WouldBlock).
/// Readiness is edge-triggered: after a readable event read until
/// `WouldBlock`, after a writable event write until `WouldBlock` (or until
/// nothing is left to send).
///
/// # Examples
///
/// ```
/// # #[cfg(all(feature = "os-poll", feature = "net"))]
/// # fn main() -> std::io::Result<()> {
/// use mio::net::UnixStream;
/// use mio::{Events, Interest, Poll, Token};
/// use std::io::{ErrorKind, Read, Write};
/// use std::time::Duration;
///
/// let (mut a, mut b) = UnixStream::pair()?;
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// poll.registry().register(&mut b, Token(1), Interest::READABLE)?;
///
/// a.write_all(b"ping")?;
/// let mut got = Vec::new();
/// while got.len() < 4 {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     let mut buf = [0; 64];
///     loop {
///         match b.read(&mut buf) {
///             Ok(n) => got.extend_from_slice(&buf[..n]),
///             Err(e) if e.kind() == ErrorKind::WouldBlock => break,
///             Err(e) => return Err(e),
///         }
///     }
/// }
/// assert_eq!(got, b"ping");
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
/// # fn main() {}
/// ```
pub struct UnixStream {
    inner: IoSource<net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket bound to the filesystem path `path`.
    ///
    /// Fails with `InvalidInput` if the path is too long for a Unix socket
    /// address or contains a NUL byte; otherwise as
    /// [`connect_addr`](UnixStream::connect_addr).
    pub fn connect<P: AsRef<Path>>(path: P) -> io::Result<UnixStream> {
        let address = SocketAddr::from_pathname(path)?;
        UnixStream::connect_addr(&address)
    }

    /// Connects to the socket bound to `address`, a pathname or (Linux,
    /// Android) abstract address.
    ///
    /// The socket is created non-blocking and close-on-exec, and the call
    /// does not wait. On Linux a Unix connection is made at once or not at
    /// all:
    ///
    /// * Nothing listens there: `NotFound` (no such path) or
    ///   `ConnectionRefused`.
    /// * The listener's queue of unaccepted connections is full:
    ///   [`WouldBlock`](io::ErrorKind::WouldBlock). No connection is pending
    ///   in that case; call `connect_addr` again later.
    ///
    /// Other kernels may instead start the connection and complete it in the
    /// background; as with TCP, the stream then becomes writable when it is
    /// connected, and [`take_error`](UnixStream::take_error) reports a
    /// failure.
    pub fn connect_addr(address: &SocketAddr) -> io::Result<UnixStream> {
        sys::uds::connect_stream(address).map(UnixStream::from_std)
    }

    /// Wraps a stream from the standard library.
    ///
    /// Its blocking mode is left alone: a std stream is blocking unless
    /// `set_nonblocking(true)` was called on it, and a blocking stream
    /// makes reads and writes wait instead of returning `WouldBlock`. Set
    /// it non-blocking before wrapping it.
    pub fn from_std(stream: net::UnixStream) -> UnixStream {
        UnixStream {
            inner: IoSource::new(stream),
        }
    }

    /// Creates two streams connected to each other (socketpair(2)), both
    /// non-blocking and close-on-exec. Both have unnamed addresses.
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = sys::uds::stream_pair()?;
        Ok((UnixStream::from_std(a), UnixStream::from_std(b)))
    }

    /// Returns this end's address; unnamed unless the socket was bound.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Returns the address of the socket this one is connected to.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Returns and clears the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    /// Shuts down the reading half, the writing half, or both.
    ///
    /// After `Shutdown::Write` the peer reads end-of-file, and a poll
    /// reports [`is_read_closed`](crate::event::Event::is_read_closed) for
    /// it.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// Runs an I/O operation of the caller's own on the socket (for
    /// example a `libc` call this type does not wrap, through
    /// [`as_raw_fd`](std::os::unix::io::AsRawFd::as_raw_fd)).
    ///
    /// `f` should return [`WouldBlock`](io::ErrorKind::WouldBlock) when the
    /// operation would block, so that backends that emulate edge triggering
    /// can re-arm the socket; its result is passed through unchanged.
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net"))]
    /// # fn main() -> std::io::Result<()> {
    /// use mio::net::UnixStream;
    /// use std::io::{ErrorKind, Read};
    /// use std::os::unix::io::AsFd;
    ///
    /// let (a, _b) = UnixStream::pair()?;
    /// // A second handle to the same socket, used inside `try_io`.
    /// let dup = std::os::unix::net::UnixStream::from(a.as_fd().try_clone_to_owned()?);
    /// let mut buf = [0; 8];
    /// let err = a.try_io(|| (&dup).read(&mut buf)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::WouldBlock);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
    /// # fn main() {}
    /// ```
    pub fn try_io<F, T>(&self, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        self.inner.do_io(|_| f())
    }
}

impl_io_source_traits!(UnixStream, net::UnixStream);
impl_read!(UnixStream);
impl_write!(UnixStream);
