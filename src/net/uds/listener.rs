use std::io;
use std::os::unix::net::{self, SocketAddr};
use std::path::Path;

use crate::io_source::IoSource;
use crate::net::UnixStream;
use crate::sys;

/// A non-blocking Unix-domain socket that listens for stream connections,
/// to be registered with a [`Poll`](crate::Poll).
///
/// Register it for [`READABLE`](crate::Interest::READABLE); an event means one or
/// more connections are waiting. Readiness is edge-triggered: call
/// [`accept`](UnixListener::accept) until it fails with
/// [`WouldBlock`](io::ErrorKind::WouldBlock).
///
/// Dropping a listener bound to a path does not remove the socket file;
/// binding the same path again fails with `AddrInUse` until it is removed.
///
/// # Examples
///
/// ```
/// # #[cfg(all(feature = "os-poll", feature = "net"))]
/// # fn main() -> std::io::Result<()> {
/// use mio::net::{UnixListener, UnixStream};
/// use mio::{Events, Interest, Poll, Token};
/// use std::io::ErrorKind;
/// use std::time::Duration;
///
/// let path = std::env::temp_dir().join(format!("mio-listener-doc-{}.sock", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let mut listener = UnixListener::bind(&path)?;
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(8);
/// poll.registry().register(&mut listener, Token(0), Interest::READABLE)?;
///
/// let _client = UnixStream::connect(&path)?;
/// let mut accepted = Vec::new();
/// while accepted.is_empty() {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     loop {
///         match listener.accept() {
///             // The client never bound an address: its address is unnamed.
///             Ok((stream, addr)) => {
///                 assert!(addr.is_unnamed());
///                 accepted.push(stream);
///             }
///             Err(e) if e.kind() == ErrorKind::WouldBlock => break,
///             Err(e) => return Err(e),
///         }
///     }
/// }
/// std::fs::remove_file(&path)?;
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
/// # fn main() {}
/// ```
pub struct UnixListener {
    inner: IoSource<net::UnixListener>,
}

impl UnixListener {
    /// Creates a listener bound to the filesystem path `path`.
    ///
    /// The socket is created non-blocking and close-on-exec. Binding creates
    /// the socket file; it fails with `AddrInUse` if `path` already exists,
    /// and with `InvalidInput` if the path is too long for a Unix socket
    /// address (about 100 bytes) or contains a NUL byte.
    pub fn bind<P: AsRef<Path>>(path: P) -> io::Result<UnixListener> {
        let address = SocketAddr::from_pathname(path)?;
        UnixListener::bind_addr(&address)
    }

    /// Creates a listener bound to `address`.
    ///
    /// Besides pathname addresses this takes abstract ones on Linux and
    /// Android (made with `SocketAddrExt::from_abstract_name`), which live
    /// outside the filesystem and vanish with the socket. The socket is
    /// created non-blocking and close-on-exec.
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net", target_os = "linux"))]
    /// # fn main() -> std::io::Result<()> {
    /// use mio::net::UnixListener;
    /// use std::os::linux::net::SocketAddrExt;
    /// use std::os::unix::net::SocketAddr;
    ///
    /// let name = format!("mio-bind-addr-doc-{}", std::process::id());
    /// let address = SocketAddr::from_abstract_name(name.as_bytes())?;
    /// let listener = UnixListener::bind_addr(&address)?;
    /// assert_eq!(listener.local_addr()?.as_abstract_name(), Some(name.as_bytes()));
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net", target_os = "linux")))]
    /// # fn main() {}
    /// ```
    pub fn bind_addr(address: &SocketAddr) -> io::Result<UnixListener> {
        sys::uds::bind_listener(address).map(UnixListener::from_std)
    }

    /// Wraps a listener from the standard library.
    ///
    /// Its blocking mode is left alone: a std listener is blocking unless
    /// `set_nonblocking(true)` was called on it, and a blocking listener
    /// would make [`accept`](UnixListener::accept) wait instead of returning
    /// `WouldBlock`. Set it non-blocking before wrapping it.
    pub fn from_std(listener: net::UnixListener) -> UnixListener {
        UnixListener {
            inner: IoSource::new(listener),
        }
    }

    /// Accepts one waiting connection, returning the stream and the
    /// address of the peer.
    ///
    /// Fails with [`WouldBlock`](io::ErrorKind::WouldBlock) when no
    /// connection is waiting. The new stream is non-blocking and
    /// close-on-exec, and is not registered with any `Poll`. A peer that
    /// never bound an address (the usual client) has an unnamed address.
    pub fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        self.inner
            .do_read(sys::uds::accept)
            .map(|(stream, address)| (UnixStream::from_std(stream), address))
    }

    /// Returns the address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Returns and clears the socket's pending error (`SO_ERROR`), if any.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.inner.take_error()
    }
}

impl_io_source_traits!(UnixListener, net::UnixListener);
