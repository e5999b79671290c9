use std::io::{self};
use std::net::{self, Shutdown, SocketAddr};

use crate::io_source::IoSource;
use crate::sys;

/// A non-blocking TCP connection, to be registered with a
/// [`Poll`](crate::Poll).
///
/// Streams come from [`TcpStream::connect`], from
/// [`TcpListener::accept`](crate::net::TcpListener::accept), or from the
/// standard library through [`TcpStream::from_std`]. Reads and writes that
/// cannot proceed return [`WouldBlock`](io::ErrorKind::WouldBlock). Readiness
/// is edge-triggered: after a readable event read until `WouldBlock`, after a
/// writable event write until `WouldBlock` (or until nothing is left to
/// send).
///
/// # Examples
///
/// Connecting, then waiting for the connection to be established:
///
/// ```
/// # #[cfg(all(feature = "os-poll", feature = "net"))]
/// # fn main() -> std::io::Result<()> {
/// use mio::net::TcpStream;
/// use mio::{Events, Interest, Poll, Token};
/// use std::io::Write;
/// use std::time::Duration;
///
/// let server = std::net::TcpListener::bind("127.0.0.1:0")?;
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(16);
/// let mut stream = TcpStream::connect(server.local_addr()?)?;
/// poll.registry().register(&mut stream, Token(0), Interest::WRITABLE)?;
///
/// // Connected once writable *and* `peer_addr` succeeds.
/// loop {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     if let Some(err) = stream.take_error()? {
///         return Err(err);
///     }
///     if stream.peer_addr().is_ok() {
///         break;
///     }
/// }
/// stream.write_all(b"hello")?;
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
/// # fn main() {}
/// ```
pub struct TcpStream {
    inner: IoSource<net::TcpStream>,
}

impl TcpStream {
    /// Starts connecting to `addr` and returns at once, before the
    /// connection is established.
    ///
    /// The socket is created non-blocking and close-on-exec. To learn the
    /// outcome, register the stream for [`WRITABLE`](crate::Interest::WRITABLE)
    /// and wait for an event:
    ///
    /// * The stream is connected once it is writable **and**
    ///   [`peer_addr`](TcpStream::peer_addr) returns `Ok`. Until then
    ///   `peer_addr` fails with `NotConnected`.
    /// * A failed attempt (refused, timed out, unreachable) shows up as an
    ///   event too, usually with [`is_error`](crate::event::Event::is_error)
    ///   or [`is_write_closed`](crate::event::Event::is_write_closed) set.
    ///   [`take_error`](TcpStream::take_error) then returns the reason, and
    ///   `peer_addr` keeps failing.
    ///
    /// An event may also arrive before the outcome is known (readiness is
    /// allowed to be spurious): if `take_error` is `Ok(None)` and
    /// `peer_addr` fails with `NotConnected`, wait for the next event.
    ///
    /// Errors the OS knows at once are returned here instead.
    // WASI preview 1 cannot create sockets: only `from_std` there.
    #[cfg(not(all(target_os = "wasi", target_env = "p1")))]
    pub fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
        sys::tcp::connect(addr).map(TcpStream::from_std)
    }

    /// Wraps a stream from the standard library, for example one connected
    /// with options this type does not offer.
    ///
    /// The blocking mode is not changed: the caller must have put the stream
    /// in non-blocking mode (`stream.set_nonblocking(true)`), or reads and
    /// writes block the thread.
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net"))]
    /// # fn main() -> std::io::Result<()> {
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let std_stream = std::net::TcpStream::connect(listener.local_addr()?)?;
    /// std_stream.set_nonblocking(true)?;
    /// let stream = mio::net::TcpStream::from_std(std_stream);
    /// assert_eq!(stream.peer_addr()?, listener.local_addr()?);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
    /// # fn main() {}
    /// ```
    pub fn from_std(stream: net::TcpStream) -> TcpStream {
        TcpStream {
            inner: IoSource::new(stream),
        }
    }

    /// The address of the remote end. Fails with `NotConnected` while a
    /// [`connect`](TcpStream::connect) is still in progress or after it
    /// failed.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// The local address of this end of the connection.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Shuts down the reading half, the writing half, or both.
    ///
    /// After `Shutdown::Write` the peer reads end-of-file (and sees a
    /// read-closed event) while this end can still read what the peer sends.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// Turns Nagle's algorithm off (`true`) or on (`TCP_NODELAY`). With it
    /// off, small writes are sent at once instead of being coalesced.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.inner.set_nodelay(nodelay)
    }

    /// Whether Nagle's algorithm is off (`TCP_NODELAY`); see
    /// [`set_nodelay`](TcpStream::set_nodelay).
    pub fn nodelay(&self) -> io::Result<bool> {
        self.inner.nodelay()
    }

    /// Sets the IP time-to-live (`IP_TTL`) of packets sent on this stream.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// The IP time-to-live (`IP_TTL`) of this stream; see
    /// [`set_ttl`](TcpStream::set_ttl).
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// Takes the pending error of the socket (`SO_ERROR`), clearing it.
    /// `Ok(None)` when there is none. After a failed
    /// [`connect`](TcpStream::connect) this is the reason.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        sys::tcp_take_error(&self.inner)
    }

    /// Reads received data without removing it from the socket's queue, so
    /// the next `read` returns it again. `WouldBlock` when nothing is
    /// queued.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_read(|stream| stream.peek(buf))
    }

    /// Runs an I/O operation of the caller's own on the socket (for example
    /// a `libc` call mio does not wrap, on the descriptor from
    /// `as_raw_fd`).
    ///
    /// `f` should return [`WouldBlock`](io::ErrorKind::WouldBlock) when the
    /// operation would block, so that backends that emulate edge triggering
    /// can re-arm the source. The result of `f` is returned unchanged.
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net"))]
    /// # fn main() -> std::io::Result<()> {
    /// use std::io::{ErrorKind, Read};
    ///
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let stream = mio::net::TcpStream::connect(listener.local_addr()?)?;
    /// // Nothing was sent, so a read would block.
    /// let result = stream.try_io(|| (&stream).read(&mut [0; 8]));
    /// assert_eq!(result.unwrap_err().kind(), ErrorKind::WouldBlock);
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

impl_io_source_traits!(TcpStream, net::TcpStream);
impl_read!(TcpStream);
impl_write!(TcpStream);
