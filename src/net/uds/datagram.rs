use std::io;
use std::net::Shutdown;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use crate::io_source::IoSource;
use crate::sys;

/// A non-blocking Unix-domain datagram socket, to be registered with a
/// [`Poll`](crate::Poll).
///
/// Datagrams keep their boundaries and, unlike UDP, are not silently
/// dropped: when the receiver's queue is full, sending fails with
/// [`WouldBlock`](io::ErrorKind::WouldBlock). Readiness is edge-triggered:
/// after a readable event receive until `WouldBlock`.
///
/// # Examples
///
/// ```
/// # #[cfg(all(feature = "os-poll", feature = "net"))]
/// # fn main() -> std::io::Result<()> {
/// use mio::net::UnixDatagram;
/// use mio::{Events, Interest, Poll, Token};
/// use std::io::ErrorKind;
/// use std::time::Duration;
///
/// let dir = std::env::temp_dir();
/// let path = dir.join(format!("mio-datagram-doc-{}.sock", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let mut receiver = UnixDatagram::bind(&path)?;
/// let sender = UnixDatagram::unbound()?;
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// poll.registry().register(&mut receiver, Token(0), Interest::READABLE)?;
///
/// sender.send_to(b"ping", &path)?;
/// let mut buf = [0; 16];
/// loop {
///     match receiver.recv_from(&mut buf) {
///         Ok((n, from)) => {
///             assert_eq!(&buf[..n], b"ping");
///             assert!(from.is_unnamed());
///             break;
///         }
///         Err(e) if e.kind() == ErrorKind::WouldBlock => {
///             poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///         }
///         Err(e) => return Err(e),
///     }
/// }
/// std::fs::remove_file(&path)?;
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
/// # fn main() {}
/// ```
pub struct UnixDatagram {
    inner: IoSource<net::UnixDatagram>,
}

impl UnixDatagram {
    /// Creates a datagram socket bound to the filesystem path `path`.
    ///
    /// The socket is created non-blocking and close-on-exec. Binding creates
    /// the socket file; it fails with `AddrInUse` if `path` already exists,
    /// and with `InvalidInput` if the path is too long for a Unix socket
    /// address or contains a NUL byte.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixDatagram> {
        let address = SocketAddr::from_pathname(path)?;
        UnixDatagram::bind_addr(&address)
    }

    /// Creates a datagram socket bound to `address`, a pathname or (Linux,
    /// Android) abstract address. The socket is created non-blocking and
    /// close-on-exec.
    pub fn bind_addr(address: &SocketAddr) -> io::Result<UnixDatagram> {
        sys::uds::bind_datagram(address).map(UnixDatagram::from_std)
    }

    /// Wraps a datagram socket from the standard library.
    ///
    /// Its blocking mode is left alone: a std socket is blocking unless
    /// `set_nonblocking(true)` was called on it, and a blocking socket makes
    /// sends and receives wait instead of returning `WouldBlock`. Set it
    /// non-blocking before wrapping it.
    pub fn from_std(socket: net::UnixDatagram) -> UnixDatagram {
        UnixDatagram {
            inner: IoSource::new(socket),
        }
    }

    /// Connects the socket to the one bound at `path`: [`send`] then goes
    /// there, and only datagrams from there are received.
    ///
    /// [`send`]: UnixDatagram::send
    pub fn connect<P: AsRef<Path>>(&self, path: P) -> io::Result<()> {
        self.inner.connect(path)
    }

    /// Creates a datagram socket bound to no address, non-blocking and
    /// close-on-exec. It can send with [`send_to`](UnixDatagram::send_to)
    /// (receivers see an unnamed sender and cannot reply) or be
    /// [`connect`](UnixDatagram::connect)ed.
    pub fn unbound() -> io::Result<UnixDatagram> {
        sys::uds::unbound_datagram().map(UnixDatagram::from_std)
    }

    /// Creates two datagram sockets connected to each other
    /// (socketpair(2)), both non-blocking and close-on-exec.
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = sys::uds::datagram_pair()?;
        Ok((UnixDatagram::from_std(a), UnixDatagram::from_std(b)))
    }

    /// Returns the address this socket is bound to; unnamed if none.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Returns the address of the socket this one is connected to; fails
    /// with `NotConnected` if it is not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Receives one datagram into `buf`, returning its length and the
    /// sender's address.
    ///
    /// A datagram longer than `buf` is truncated; the rest is lost. Fails
    /// with [`WouldBlock`](io::ErrorKind::WouldBlock) when none is waiting.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.do_read(|socket| socket.recv_from(buf))
    }

    /// Receives one datagram into `buf`, returning its length; as
    /// [`recv_from`](UnixDatagram::recv_from) without the address.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_read(|socket| socket.recv(buf))
    }

    /// Sends `buf` as one datagram to the socket bound at `path`, returning
    /// the number of bytes sent.
    ///
    /// Fails with [`WouldBlock`](io::ErrorKind::WouldBlock) when the
    /// receiver's queue is full. On Linux a socket's writable readiness
    /// follows only its connected peer's queue, so no event announces that
    /// some other receiver has room again: retry later, or use a
    /// [`connect`](UnixDatagram::connect)ed socket and [`send`].
    ///
    /// [`send`]: UnixDatagram::send
    pub fn send_to<P: AsRef<Path>>(&self, buf: &[u8], path: P) -> io::Result<usize> {
        self.inner.do_write(|socket| socket.send_to(buf, path))
    }

    /// Sends `buf` as one datagram to the connected peer, returning the
    /// number of bytes sent. Fails with
    /// [`WouldBlock`](io::ErrorKind::WouldBlock) when the peer's queue is
    /// full; the socket becomes writable again when it drains.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.do_write(|socket| socket.send(buf))
    }

    /// Returns and clears the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }

    /// Shuts down receiving, sending, or both.
    ///
    /// After `Shutdown::Read` a poll reports
    /// [`is_read_closed`](crate::event::Event::is_read_closed) (on Linux an
    /// empty queue keeps answering `WouldBlock`, not end-of-file); after
    /// `Shutdown::Write`, sending fails with `BrokenPipe`.
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.inner.shutdown(how)
    }

    /// Runs an I/O operation of the caller's own on the socket (for
    /// example `sendmsg` with ancillary data, through
    /// [`as_raw_fd`](std::os::unix::io::AsRawFd::as_raw_fd)).
    ///
    /// `f` should return [`WouldBlock`](io::ErrorKind::WouldBlock) when the
    /// operation would block, so that backends that emulate edge triggering
    /// can re-arm the socket; its result is passed through unchanged.
    pub fn try_io<F, T>(&self, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        self.inner.do_io(|_| f())
    }
}

impl_io_source_traits!(UnixDatagram, net::UnixDatagram);
