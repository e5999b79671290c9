use std::io;
use std::net::{self, SocketAddr};

use crate::io_source::IoSource;
use crate::net::TcpStream;
use crate::sys;

/// A TCP socket that listens for connections, to be registered with a
/// [`Poll`](crate::Poll).
///
/// The listener becomes readable when connections are waiting. Readiness is
/// edge-triggered: after an event, call [`accept`](TcpListener::accept)
/// until it returns [`WouldBlock`](io::ErrorKind::WouldBlock), or the
/// remaining connections wait without a new event.
///
/// # Examples
///
/// ```
/// # #[cfg(all(feature = "os-poll", feature = "net"))]
/// # fn main() -> std::io::Result<()> {
/// use mio::net::TcpListener;
/// use mio::{Events, Interest, Poll, Token};
/// use std::io::ErrorKind;
/// use std::time::Duration;
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(16);
///
/// let mut listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
/// poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
///
/// // A client connects with the standard library's blocking socket.
/// let client = std::net::TcpStream::connect(listener.local_addr()?)?;
///
/// let (_stream, peer) = loop {
///     match listener.accept() {
///         Ok(accepted) => break accepted,
///         Err(e) if e.kind() == ErrorKind::WouldBlock => {
///             poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///         }
///         Err(e) => return Err(e),
///     }
/// };
/// assert_eq!(peer, client.local_addr()?);
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
/// # fn main() {}
/// ```
pub struct TcpListener {
    inner: IoSource<net::TcpListener>,
}

impl TcpListener {
    /// Creates a listener bound to `addr`, ready to accept connections.
    ///
    /// The socket is created non-blocking and close-on-exec, gets
    /// `SO_REUSEADDR` (on Unix: a restarted server can bind its port while
    /// old connections linger in `TIME_WAIT`), is bound, and listens with a
    /// backlog of 1024 (capped by the OS). Port 0 picks a free port; ask
    /// [`local_addr`](TcpListener::local_addr) which one.
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net"))]
    /// # fn main() -> std::io::Result<()> {
    /// use mio::net::TcpListener;
    ///
    /// let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap())?;
    /// assert_ne!(listener.local_addr()?.port(), 0);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
    /// # fn main() {}
    /// ```
    // WASI preview 1 cannot create sockets: only `from_std` there.
    #[cfg(not(all(target_os = "wasi", target_env = "p1")))]
    pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
        sys::tcp::bind(addr).map(TcpListener::from_std)
    }

    /// Wraps a listener from the standard library, for example one set up
    /// with options this type does not offer.
    ///
    /// The blocking mode is not changed: the caller must have put the
    /// listener in non-blocking mode
    /// (`listener.set_nonblocking(true)`), or `accept` blocks the thread.
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net"))]
    /// # fn main() -> std::io::Result<()> {
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// std_listener.set_nonblocking(true)?;
    /// let listener = mio::net::TcpListener::from_std(std_listener);
    /// assert_eq!(listener.accept().unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
    /// # fn main() {}
    /// ```
    pub fn from_std(listener: net::TcpListener) -> TcpListener {
        TcpListener {
            inner: IoSource::new(listener),
        }
    }

    /// Accepts one waiting connection: the new stream and the address of
    /// its peer.
    ///
    /// The stream is non-blocking and close-on-exec, and already connected.
    /// Returns [`WouldBlock`](io::ErrorKind::WouldBlock) when no connection
    /// is waiting; after an event, keep calling until it does.
    pub fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        self.inner
            .do_read(sys::tcp::accept)
            .map(|(stream, addr)| (TcpStream::from_std(stream), addr))
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Sets the IP time-to-live (`IP_TTL`) of packets sent from this socket;
    /// accepted streams may inherit it.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// The IP time-to-live (`IP_TTL`) of this socket; see
    /// [`set_ttl`](TcpListener::set_ttl).
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// Takes the pending error of the socket (`SO_ERROR`), clearing it.
    /// `Ok(None)` when there is none.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

impl_io_source_traits!(TcpListener, net::TcpListener);
