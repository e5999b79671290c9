//! Setup shared by every implementation, so that they all get the very same
//! sockets and descriptors: loopback TCP pairs, eventfds, and the plain
//! `libc` calls that the `polling` and raw-epoll runs use where mio has a
//! method (non-blocking connect and accept, the same syscalls mio makes).
//! Also the memory probes (`/proc/self/statm`, `/proc/slabinfo`).
//!
//! Descriptors move between runs as `OwnedFd`: each run wraps them in its
//! own types and gives them back when it is done.

use std::io::{self, Read};
use std::mem;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// The events buffer capacity every implementation uses.
pub const EVENTS: usize = 1024;

/// Turns a `-1` return into the OS error.
pub fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// A loopback listener (non-blocking) and its address.
pub fn listener() -> io::Result<(OwnedFd, SocketAddrV4)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.set_nonblocking(true)?;
    let addr = match listener.local_addr()? {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(_) => unreachable!("bound to 127.0.0.1"),
    };
    Ok((listener.into(), addr))
}

/// One connected loopback TCP pair, both ends non-blocking with
/// `TCP_NODELAY` (one-byte messages must not wait for Nagle).
pub fn tcp_pair() -> io::Result<(OwnedFd, OwnedFd)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let a = TcpStream::connect(listener.local_addr()?)?;
    let (b, _) = listener.accept()?;
    for s in [&a, &b] {
        s.set_nonblocking(true)?;
        s.set_nodelay(true)?;
    }
    Ok((a.into(), b.into()))
}

/// `socket(SOCK_NONBLOCK | SOCK_CLOEXEC)` + `connect`: the two syscalls
/// `mio::net::TcpStream::connect` makes, for the runs that have no mio.
pub fn connect_nonblocking(addr: SocketAddrV4) -> io::Result<OwnedFd> {
    // SAFETY: no pointers.
    let fd = cvt(unsafe {
        libc::socket(
            libc::AF_INET,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    })?;
    // SAFETY: `fd` is new and owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    let sin = libc::sockaddr_in {
        sin_family: libc::AF_INET as libc::sa_family_t,
        sin_port: addr.port().to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_ne_bytes(addr.ip().octets()),
        },
        sin_zero: [0; 8],
    };
    // SAFETY: `sin` is a valid sockaddr_in of the size passed.
    let ret = unsafe {
        libc::connect(
            fd.as_raw_fd(),
            (&sin as *const libc::sockaddr_in).cast(),
            mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    };
    if ret == -1 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINPROGRESS) {
            return Err(err);
        }
    }
    Ok(fd)
}

/// `accept4(SOCK_NONBLOCK | SOCK_CLOEXEC)` with an address buffer, as mio's
/// `TcpListener::accept` does; `Ok(None)` on `EAGAIN`.
pub fn accept_nonblocking(listener: RawFd) -> io::Result<Option<OwnedFd>> {
    // SAFETY: all zeroes is a valid sockaddr_storage.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let mut len = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    loop {
        // SAFETY: `storage` is writable and `len` is its size.
        let fd = unsafe {
            libc::accept4(
                listener,
                (&mut storage as *mut libc::sockaddr_storage).cast(),
                &mut len,
                libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            )
        };
        if fd >= 0 {
            // SAFETY: `fd` is new and owned by nobody else.
            return Ok(Some(unsafe { OwnedFd::from_raw_fd(fd) }));
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::WouldBlock => return Ok(None),
            io::ErrorKind::Interrupted => continue,
            _ => return Err(err),
        }
    }
}

/// A non-blocking, close-on-exec eventfd with counter 0.
pub fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: no pointers.
    let fd = cvt(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })?;
    // SAFETY: `fd` is new and owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Adds 1 to an eventfd's counter (makes it readable, and produces a new
/// edge for an edge-triggered registration).
#[inline]
pub fn eventfd_add(fd: RawFd) -> io::Result<()> {
    let one = 1u64.to_ne_bytes();
    // SAFETY: writes 8 bytes from a live 8-byte buffer.
    let n = unsafe { libc::write(fd, one.as_ptr().cast(), 8) };
    if n == 8 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Resets an eventfd's counter to 0 (ignores `EAGAIN`: already 0).
pub fn eventfd_clear(fd: RawFd) -> io::Result<()> {
    let mut buf = [0u8; 8];
    // SAFETY: reads at most 8 bytes into a live 8-byte buffer.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), 8) };
    if n == 8 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    if err.kind() == io::ErrorKind::WouldBlock {
        Ok(())
    } else {
        Err(err)
    }
}

/// Reads until `WouldBlock`, as edge-triggered readiness requires; returns
/// the bytes read. End of stream is an error: no workload closes early.
#[inline]
pub fn drain<R: Read>(mut r: R, buf: &mut [u8]) -> io::Result<usize> {
    let mut total = 0;
    loop {
        match r.read(buf) {
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(total),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// [`drain`] for the raw-epoll runs: `recv(fd, buf, len, 0)`, the syscall
/// std's `TcpStream::read` (and so mio's) makes.
#[inline]
pub fn drain_fd(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    let mut total = 0;
    loop {
        // SAFETY: `buf` is writable for its length.
        let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n > 0 {
            total += n as usize;
            continue;
        }
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let err = io::Error::last_os_error();
        match err.kind() {
            io::ErrorKind::WouldBlock => return Ok(total),
            io::ErrorKind::Interrupted => {}
            _ => return Err(err),
        }
    }
}

/// Sends one byte with `send(fd, .., MSG_NOSIGNAL)`, the syscall std's
/// `TcpStream::write` (and so mio's) makes.
#[inline]
pub fn send_byte(fd: RawFd) -> io::Result<()> {
    let b = [1u8];
    // SAFETY: reads 1 byte from a live buffer.
    let n = unsafe { libc::send(fd, b.as_ptr().cast(), 1, libc::MSG_NOSIGNAL) };
    if n == 1 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Creates an epoll instance (close-on-exec) for the raw runs.
pub fn epoll_create() -> io::Result<OwnedFd> {
    // SAFETY: no pointers.
    let ep = cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
    // SAFETY: `ep` is new and owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(ep) })
}

/// `EPOLL_CTL_ADD` of `fd` with `flags`, the token in `u64`.
#[inline]
pub fn epoll_add(ep: RawFd, fd: RawFd, flags: libc::c_int, token: u64) -> io::Result<()> {
    let mut ev = libc::epoll_event {
        events: flags as u32,
        u64: token,
    };
    // SAFETY: `ev` is valid for the call.
    cvt(unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &mut ev) }).map(drop)
}

/// `EPOLL_CTL_DEL` of `fd`.
#[inline]
pub fn epoll_del(ep: RawFd, fd: RawFd) -> io::Result<()> {
    // SAFETY: DEL ignores the event pointer.
    cvt(unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut()) }).map(drop)
}

/// `epoll_wait` into `buf` (cleared first, filled up to its capacity),
/// retrying on `EINTR`, blocking when `timeout_ms` is -1.
#[inline]
pub fn epoll_wait(
    ep: RawFd,
    buf: &mut Vec<libc::epoll_event>,
    timeout_ms: libc::c_int,
) -> io::Result<()> {
    buf.clear();
    loop {
        // SAFETY: the kernel writes at most `capacity` entries into the
        // vector's allocation.
        let n = unsafe {
            libc::epoll_wait(
                ep,
                buf.as_mut_ptr(),
                buf.capacity() as libc::c_int,
                timeout_ms,
            )
        };
        if n >= 0 {
            // SAFETY: the first `n` entries were written by the kernel.
            unsafe { buf.set_len(n as usize) };
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Edge-triggered readable, with `EPOLLRDHUP`: what mio registers for
/// `Interest::READABLE`, and so what the raw loop registers too.
pub const EPOLL_READABLE: libc::c_int = libc::EPOLLIN | libc::EPOLLRDHUP | libc::EPOLLET;

/// This process's resident set size in bytes (`/proc/self/statm`).
pub fn rss_bytes() -> io::Result<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm")?;
    let resident: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "statm"))?;
    // SAFETY: no pointers.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64;
    Ok(resident * page)
}
