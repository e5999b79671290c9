//! UDP sockets.

use std::io;
use std::net::{self, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::io_source::IoSource;
use crate::sys;

/// A non-blocking UDP socket, to be registered with a
/// [`Poll`](crate::Poll).
///
/// The socket becomes readable when datagrams arrive and writable when
/// there is room to send. Readiness is edge-triggered: after a readable
/// event, receive until [`WouldBlock`](io::ErrorKind::WouldBlock).
///
/// A socket can send to any address with [`send_to`](UdpSocket::send_to),
/// or be [`connect`](UdpSocket::connect)ed to one peer and use
/// [`send`](UdpSocket::send) and [`recv`](UdpSocket::recv), which then only
/// receive from that peer.
///
/// # Examples
///
/// An echo exchange between two sockets:
///
/// ```
/// # #[cfg(all(feature = "os-poll", feature = "net"))]
/// # fn main() -> std::io::Result<()> {
/// use mio::net::UdpSocket;
/// use mio::{Events, Interest, Poll, Token};
/// use std::io::ErrorKind;
/// use std::time::Duration;
///
/// const ECHOER: Token = Token(0);
/// const SENDER: Token = Token(1);
///
/// let mut poll = Poll::new()?;
/// let mut events = Events::with_capacity(16);
///
/// let mut echoer = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
/// let mut sender = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
/// sender.connect(echoer.local_addr()?)?;
/// poll.registry().register(&mut echoer, ECHOER, Interest::READABLE)?;
/// poll.registry().register(&mut sender, SENDER, Interest::READABLE)?;
///
/// sender.send(b"ping")?;
/// let mut buf = [0; 64];
/// 'outer: loop {
///     poll.poll(&mut events, Some(Duration::from_secs(5)))?;
///     for event in events.iter() {
///         match event.token() {
///             ECHOER => loop {
///                 match echoer.recv_from(&mut buf) {
///                     Ok((n, from)) => {
///                         echoer.send_to(&buf[..n], from)?;
///                     }
///                     Err(e) if e.kind() == ErrorKind::WouldBlock => break,
///                     Err(e) => return Err(e),
///                 }
///             },
///             SENDER => match sender.recv(&mut buf) {
///                 Ok(n) => {
///                     assert_eq!(&buf[..n], b"ping");
///                     break 'outer;
///                 }
///                 Err(e) if e.kind() == ErrorKind::WouldBlock => {}
///                 Err(e) => return Err(e),
///             },
///             _ => unreachable!(),
///         }
///     }
/// }
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
/// # fn main() {}
/// ```
pub struct UdpSocket {
    inner: IoSource<net::UdpSocket>,
}

impl UdpSocket {
    /// Creates a socket bound to `addr`.
    ///
    /// The socket is created non-blocking and close-on-exec. Port 0 picks
    /// a free port; ask [`local_addr`](UdpSocket::local_addr) which one.
    /// `SO_REUSEADDR` is not set.
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net"))]
    /// # fn main() -> std::io::Result<()> {
    /// use mio::net::UdpSocket;
    ///
    /// let socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// assert_ne!(socket.local_addr()?.port(), 0);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
    /// # fn main() {}
    /// ```
    pub fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
        sys::udp::bind(addr).map(UdpSocket::from_std)
    }

    /// Wraps a socket from the standard library.
    ///
    /// The blocking mode is not changed: the caller must have put the
    /// socket in non-blocking mode (`socket.set_nonblocking(true)`), or
    /// sends and receives block the thread.
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net"))]
    /// # fn main() -> std::io::Result<()> {
    /// let std_socket = std::net::UdpSocket::bind("127.0.0.1:0")?;
    /// std_socket.set_nonblocking(true)?;
    /// let socket = mio::net::UdpSocket::from_std(std_socket);
    /// let mut buf = [0; 8];
    /// assert_eq!(socket.recv(&mut buf).unwrap_err().kind(), std::io::ErrorKind::WouldBlock);
    /// # Ok(())
    /// # }
    /// # #[cfg(not(all(feature = "os-poll", feature = "net")))]
    /// # fn main() {}
    /// ```
    pub fn from_std(socket: net::UdpSocket) -> UdpSocket {
        UdpSocket {
            inner: IoSource::new(socket),
        }
    }

    /// The address the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The address the socket is [`connect`](UdpSocket::connect)ed to.
    /// Fails with `NotConnected` if it is not connected.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }

    /// Sends one datagram to `target`, returning how many bytes were sent.
    /// `WouldBlock` when the send buffer is full.
    pub fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        self.inner.do_write(|socket| socket.send_to(buf, target))
    }

    /// Receives one datagram into `buf`: its length and its sender.
    ///
    /// A datagram longer than `buf` is cut to fit; the rest is lost.
    /// `WouldBlock` when no datagram is queued.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.do_read(|socket| socket.recv_from(buf))
    }

    /// Like [`recv_from`](UdpSocket::recv_from), but leaves the datagram in
    /// the queue, so the next receive returns it again.
    pub fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.inner.do_read(|socket| socket.peek_from(buf))
    }

    /// Sends one datagram to the peer set with
    /// [`connect`](UdpSocket::connect). Fails if the socket is not
    /// connected.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.inner.do_write(|socket| socket.send(buf))
    }

    /// Receives one datagram from the peer set with
    /// [`connect`](UdpSocket::connect), returning its length; a datagram
    /// longer than `buf` is cut to fit.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_read(|socket| socket.recv(buf))
    }

    /// Like [`recv`](UdpSocket::recv), but leaves the datagram in the
    /// queue, so the next receive returns it again.
    pub fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.do_read(|socket| socket.peek(buf))
    }

    /// Sets the default peer: [`send`](UdpSocket::send) goes to `addr`, and
    /// datagrams from other addresses are dropped.
    ///
    /// No packet is sent; this only records the address (and, on most
    /// systems, lets the socket report ICMP errors such as
    /// `ConnectionRefused` from the peer).
    pub fn connect(&self, addr: SocketAddr) -> io::Result<()> {
        self.inner.connect(addr)
    }

    /// Allows or forbids sending to broadcast addresses (`SO_BROADCAST`).
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.inner.set_broadcast(on)
    }

    /// Whether sending to broadcast addresses is allowed (`SO_BROADCAST`).
    pub fn broadcast(&self) -> io::Result<bool> {
        self.inner.broadcast()
    }

    /// Whether IPv4 multicast datagrams this socket sends are looped back
    /// to the local host (`IP_MULTICAST_LOOP`).
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        self.inner.set_multicast_loop_v4(on)
    }

    /// Whether IPv4 multicast is looped back (`IP_MULTICAST_LOOP`); see
    /// [`set_multicast_loop_v4`](UdpSocket::set_multicast_loop_v4).
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        self.inner.multicast_loop_v4()
    }

    /// Sets the time-to-live of IPv4 multicast datagrams
    /// (`IP_MULTICAST_TTL`): 1 (the default) keeps them on the local
    /// network.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_multicast_ttl_v4(ttl)
    }

    /// The time-to-live of IPv4 multicast datagrams (`IP_MULTICAST_TTL`).
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        self.inner.multicast_ttl_v4()
    }

    /// Whether IPv6 multicast datagrams this socket sends are looped back
    /// to the local host (`IPV6_MULTICAST_LOOP`). Only for IPv6 sockets.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        self.inner.set_multicast_loop_v6(on)
    }

    /// Whether IPv6 multicast is looped back (`IPV6_MULTICAST_LOOP`).
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        self.inner.multicast_loop_v6()
    }

    /// Sets the IP time-to-live (`IP_TTL`) of datagrams sent from this
    /// socket.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.inner.set_ttl(ttl)
    }

    /// The IP time-to-live (`IP_TTL`) of this socket.
    pub fn ttl(&self) -> io::Result<u32> {
        self.inner.ttl()
    }

    /// Joins the IPv4 multicast group `multiaddr` on the interface with
    /// address `interface` (`Ipv4Addr::UNSPECIFIED` lets the OS choose).
    pub fn join_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.inner.join_multicast_v4(multiaddr, interface)
    }

    /// Joins the IPv6 multicast group `multiaddr` on the interface with
    /// index `interface` (0 lets the OS choose).
    pub fn join_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.inner.join_multicast_v6(multiaddr, interface)
    }

    /// Leaves an IPv4 multicast group joined with
    /// [`join_multicast_v4`](UdpSocket::join_multicast_v4).
    pub fn leave_multicast_v4(&self, multiaddr: &Ipv4Addr, interface: &Ipv4Addr) -> io::Result<()> {
        self.inner.leave_multicast_v4(multiaddr, interface)
    }

    /// Leaves an IPv6 multicast group joined with
    /// [`join_multicast_v6`](UdpSocket::join_multicast_v6).
    pub fn leave_multicast_v6(&self, multiaddr: &Ipv6Addr, interface: u32) -> io::Result<()> {
        self.inner.leave_multicast_v6(multiaddr, interface)
    }

    /// Whether this IPv6 socket handles IPv6 only (`IPV6_V6ONLY`), or also
    /// IPv4 through IPv4-mapped addresses. Fails on an IPv4 socket.
    pub fn only_v6(&self) -> io::Result<bool> {
        sys::udp::only_v6(&self.inner)
    }

    /// Takes the pending error of the socket (`SO_ERROR`), clearing it.
    /// `Ok(None)` when there is none.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        sys::udp_take_error(&self.inner)
    }

    /// Runs an I/O operation of the caller's own on the socket (for example
    /// a `libc` call mio does not wrap, such as `sendmsg`, on the descriptor
    /// from `as_raw_fd`).
    ///
    /// `f` should return [`WouldBlock`](io::ErrorKind::WouldBlock) when the
    /// operation would block, so that backends that emulate edge triggering
    /// can re-arm the source. The result of `f` is returned unchanged.
    ///
    /// ```
    /// # #[cfg(all(feature = "os-poll", feature = "net"))]
    /// # fn main() -> std::io::Result<()> {
    /// use mio::net::UdpSocket;
    ///
    /// let socket = UdpSocket::bind("127.0.0.1:0".parse().unwrap())?;
    /// let target = socket.local_addr()?;
    /// let sent = socket.try_io(|| socket.send_to(b"self", target))?;
    /// assert_eq!(sent, 4);
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

impl_io_source_traits!(UdpSocket, net::UdpSocket);
