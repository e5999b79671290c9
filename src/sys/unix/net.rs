//! Socket helpers shared by the TCP, UDP and Unix-domain backends: creating
//! a socket that is non-blocking and close-on-exec from its first moment,
//! accepting connections the same way, and converting between
//! `std::net::SocketAddr` and the C `sockaddr_in`/`sockaddr_in6` structs.
//!
//! Everything here is generic over the address family, so that every socket
//! backend (including `uds/`) creates and accepts sockets the same way.

use std::io;
use std::mem::{self, size_of};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// Creates a socket of `domain` (`AF_INET`, `AF_INET6`, `AF_UNIX`) and
/// `socket_type` (`SOCK_STREAM`, `SOCK_DGRAM`, ...) that is non-blocking and
/// close-on-exec.
///
/// Where the OS supports `SOCK_NONBLOCK | SOCK_CLOEXEC` this is a single
/// socket(2) call, so no other thread's `fork`+`exec` can ever inherit the
/// descriptor. Platforms without those flags (Apple's) get them from
/// fcntl(2) right after creation; on Apple platforms `SO_NOSIGPIPE` is also
/// turned on, as they have no `MSG_NOSIGNAL`.
pub(crate) fn new_socket(domain: libc::c_int, socket_type: libc::c_int) -> io::Result<OwnedFd> {
    #[cfg(any(
        target_os = "android",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "hurd",
        target_os = "illumos",
        target_os = "linux",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "solaris",
    ))]
    let socket_type = socket_type | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // WASI has no exec, so no close-on-exec: wasi-libc accepts only
    // `SOCK_NONBLOCK` among the flags (preview 2 sockets).
    #[cfg(target_os = "wasi")]
    let socket_type = socket_type | libc::SOCK_NONBLOCK;

    // SAFETY: socket(2) takes only integers and reads no memory.
    let fd = syscall!(socket(domain, socket_type, 0))?;
    // SAFETY: `fd` was just returned by socket(2), so it is open and owned
    // by nobody else; wrapping it first means any error below closes it.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };

    #[cfg(not(any(
        target_os = "android",
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "hurd",
        target_os = "illumos",
        target_os = "linux",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "solaris",
        target_os = "wasi",
    )))]
    {
        set_cloexec(socket.as_raw_fd())?;
        super::set_nonblocking(socket.as_raw_fd(), true)?;
    }
    #[cfg(any(
        target_os = "ios",
        target_os = "macos",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
    ))]
    set_int_option(socket.as_raw_fd(), libc::SOL_SOCKET, libc::SO_NOSIGPIPE, 1)?;

    Ok(socket)
}

/// Accepts one pending connection on the listening socket `listener`.
///
/// The new socket is non-blocking and close-on-exec (accept4(2) where it
/// exists, fcntl(2) right after accept(2) elsewhere), returned with the
/// peer's IPv4 or IPv6 address.
pub(crate) fn accept(listener: BorrowedFd<'_>) -> io::Result<(OwnedFd, SocketAddr)> {
    // SAFETY: `sockaddr_storage` is plain integers and byte arrays, for
    // which all zeroes is a valid value.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let mut len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let socket = accept_nonblocking(listener.as_raw_fd(), &mut storage, &mut len)?;

    #[cfg(any(
        target_os = "ios",
        target_os = "macos",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
    ))]
    set_int_option(socket.as_raw_fd(), libc::SOL_SOCKET, libc::SO_NOSIGPIPE, 1)?;

    // Converted here, so the 128-byte buffer is never copied around.
    Ok((socket, to_socket_addr(&storage, len)?))
}

/// accept4(2) with `SOCK_NONBLOCK | SOCK_CLOEXEC`: one call, no window in
/// which the descriptor is inheritable.
#[cfg(any(
    target_os = "android",
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "hurd",
    target_os = "illumos",
    target_os = "linux",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "solaris",
))]
fn accept_nonblocking(
    fd: libc::c_int,
    storage: &mut libc::sockaddr_storage,
    len: &mut libc::socklen_t,
) -> io::Result<OwnedFd> {
    // SAFETY: `storage` is a writable `sockaddr_storage` and `*len` holds
    // its exact size, so the kernel writes at most that many bytes into it.
    let new = syscall!(accept4(
        fd,
        (storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr>(),
        len,
        libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
    ))?;
    // SAFETY: `new` was just returned by accept4, so it is open and owned
    // by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// accept4(2) with `SOCK_NONBLOCK` only: WASI has no exec, and wasi-libc
/// (preview 2) takes no other flag.
#[cfg(target_os = "wasi")]
fn accept_nonblocking(
    fd: libc::c_int,
    storage: &mut libc::sockaddr_storage,
    len: &mut libc::socklen_t,
) -> io::Result<OwnedFd> {
    // SAFETY: `storage` is a writable `sockaddr_storage` and `*len` holds
    // its exact size, so wasi-libc writes at most that many bytes into it.
    let new = syscall!(accept4(
        fd,
        (storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr>(),
        len,
        libc::SOCK_NONBLOCK,
    ))?;
    // SAFETY: `new` was just returned by accept4, so it is open and owned
    // by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// accept(2) followed by fcntl(2), for platforms without accept4 (Apple).
#[cfg(not(any(
    target_os = "android",
    target_os = "dragonfly",
    target_os = "freebsd",
    target_os = "hurd",
    target_os = "illumos",
    target_os = "linux",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "solaris",
    target_os = "wasi",
)))]
fn accept_nonblocking(
    fd: libc::c_int,
    storage: &mut libc::sockaddr_storage,
    len: &mut libc::socklen_t,
) -> io::Result<OwnedFd> {
    // SAFETY: as for accept4 above.
    let new = syscall!(accept(
        fd,
        (storage as *mut libc::sockaddr_storage).cast::<libc::sockaddr>(),
        len,
    ))?;
    // SAFETY: `new` was just returned by accept, so it is open and owned by
    // nobody else; wrapping it first means an error below closes it.
    let socket = unsafe { OwnedFd::from_raw_fd(new) };
    set_cloexec(socket.as_raw_fd())?;
    super::set_nonblocking(socket.as_raw_fd(), true)?;
    Ok(socket)
}

/// Sets `FD_CLOEXEC` on `fd`, for platforms that cannot ask for it when the
/// descriptor is created.
#[allow(dead_code)] // only the fallback paths (Apple, ...) use it
fn set_cloexec(fd: libc::c_int) -> io::Result<()> {
    // SAFETY: fcntl with F_SETFD takes an integer argument and reads no
    // memory; a bad descriptor gives EBADF.
    syscall!(fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC)).map(drop)
}

/// Sets an `int`-valued socket option with setsockopt(2).
pub(crate) fn set_int_option(
    fd: libc::c_int,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: the option value points at a live `c_int` and the length
    // passed is exactly its size.
    syscall!(setsockopt(
        fd,
        level,
        name,
        (&value as *const libc::c_int).cast::<libc::c_void>(),
        size_of::<libc::c_int>() as libc::socklen_t,
    ))
    .map(drop)
}

/// Reads an `int`-valued socket option with getsockopt(2).
pub(crate) fn int_option(
    fd: libc::c_int,
    level: libc::c_int,
    name: libc::c_int,
) -> io::Result<libc::c_int> {
    let mut value: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes, the size of `value`,
    // which lives until the call returns.
    syscall!(getsockopt(
        fd,
        level,
        name,
        (&mut value as *mut libc::c_int).cast::<libc::c_void>(),
        &mut len,
    ))?;
    Ok(value)
}

/// An IPv4 or IPv6 socket address in the C layout the socket calls take.
///
/// A union of the two structs, so that one value of a fixed size can be
/// passed for either family; [`SocketAddrCRepr::as_ptr`] gives the pointer
/// for bind(2)/connect(2)/sendto(2), paired with the length that
/// [`socket_addr`] returned.
#[repr(C)]
pub(crate) union SocketAddrCRepr {
    v4: libc::sockaddr_in,
    v6: libc::sockaddr_in6,
}

impl SocketAddrCRepr {
    /// The address as the generic `sockaddr` pointer the socket calls take.
    pub(crate) fn as_ptr(&self) -> *const libc::sockaddr {
        (self as *const SocketAddrCRepr).cast::<libc::sockaddr>()
    }
}

/// Converts `addr` to its C representation, plus the length to pass with it.
///
/// The port is stored in network byte order. The IP address bytes are
/// copied in the order `octets()` gives them, which already is network
/// order. The IPv6 `flowinfo` and `scope_id` are copied unchanged, exactly
/// as the standard library does in both directions, so an address makes the
/// same round trip through mio as through `std::net`.
pub(crate) fn socket_addr(addr: &SocketAddr) -> (SocketAddrCRepr, libc::socklen_t) {
    match addr {
        SocketAddr::V4(addr) => {
            // SAFETY: `sockaddr_in` is plain integers (and padding bytes on
            // some platforms), for which all zeroes is a valid value.
            let mut sin: libc::sockaddr_in = unsafe { mem::zeroed() };
            sin.sin_family = libc::AF_INET as libc::sa_family_t;
            sin.sin_port = addr.port().to_be();
            sin.sin_addr = libc::in_addr {
                // `s_addr` holds the bytes in network order in memory.
                s_addr: u32::from_ne_bytes(addr.ip().octets()),
            };
            #[cfg(any(
                target_os = "dragonfly",
                target_os = "freebsd",
                target_os = "ios",
                target_os = "macos",
                target_os = "netbsd",
                target_os = "openbsd",
                target_os = "tvos",
                target_os = "visionos",
                target_os = "watchos",
            ))]
            {
                sin.sin_len = size_of::<libc::sockaddr_in>() as u8;
            }
            (
                SocketAddrCRepr { v4: sin },
                size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        }
        SocketAddr::V6(addr) => {
            // SAFETY: `sockaddr_in6` is plain integers and byte arrays, for
            // which all zeroes is a valid value.
            let mut sin6: libc::sockaddr_in6 = unsafe { mem::zeroed() };
            sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            sin6.sin6_port = addr.port().to_be();
            sin6.sin6_addr = libc::in6_addr {
                s6_addr: addr.ip().octets(),
            };
            sin6.sin6_flowinfo = addr.flowinfo();
            sin6.sin6_scope_id = addr.scope_id();
            #[cfg(any(
                target_os = "dragonfly",
                target_os = "freebsd",
                target_os = "ios",
                target_os = "macos",
                target_os = "netbsd",
                target_os = "openbsd",
                target_os = "tvos",
                target_os = "visionos",
                target_os = "watchos",
            ))]
            {
                sin6.sin6_len = size_of::<libc::sockaddr_in6>() as u8;
            }
            (
                SocketAddrCRepr { v6: sin6 },
                size_of::<libc::sockaddr_in6>() as libc::socklen_t,
            )
        }
    }
}

/// Converts an address the kernel wrote into `storage` (from accept(2),
/// recvfrom(2), getsockname(2), ...) back to a `SocketAddr`.
///
/// `len` is the length the kernel reported. Fails with `InvalidInput` for
/// families other than `AF_INET`/`AF_INET6` or a length too short for the
/// family's struct.
pub(crate) fn to_socket_addr(
    storage: &libc::sockaddr_storage,
    len: libc::socklen_t,
) -> io::Result<SocketAddr> {
    let len = len as usize;
    let raw = storage as *const libc::sockaddr_storage;
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
            // SAFETY: the family says the storage holds a `sockaddr_in`;
            // `sockaddr_storage` is at least as large and as aligned as any
            // socket address struct, so reading one from it is in bounds and
            // aligned, and all its fields are plain integers.
            let sin = unsafe { &*raw.cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            let port = u16::from_be(sin.sin_port);
            Ok(SocketAddr::V4(SocketAddrV4::new(ip, port)))
        }
        libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
            // SAFETY: as above, for `sockaddr_in6`.
            let sin6 = unsafe { &*raw.cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            let port = u16::from_be(sin6.sin6_port);
            Ok(SocketAddr::V6(SocketAddrV6::new(
                ip,
                port,
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not an IPv4 or IPv6 socket address",
        )),
    }
}

/// The address family (`AF_INET` or `AF_INET6`) of `addr`.
pub(crate) fn domain_of(addr: &SocketAddr) -> libc::c_int {
    match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(addr: SocketAddr) -> SocketAddr {
        let (repr, len) = socket_addr(&addr);
        // SAFETY: all zeroes is a valid `sockaddr_storage`, and the copy
        // stays within both the source (`len` bytes of `repr`) and the
        // larger destination.
        let storage = unsafe {
            let mut storage: libc::sockaddr_storage = mem::zeroed();
            std::ptr::copy_nonoverlapping(
                repr.as_ptr().cast::<u8>(),
                (&mut storage as *mut libc::sockaddr_storage).cast::<u8>(),
                len as usize,
            );
            storage
        };
        to_socket_addr(&storage, len).unwrap()
    }

    #[test]
    fn v4_layout_is_network_order() {
        let addr: SocketAddr = "192.168.1.2:258".parse().unwrap();
        let (repr, len) = socket_addr(&addr);
        assert_eq!(len as usize, size_of::<libc::sockaddr_in>());
        // SAFETY: `socket_addr` filled the `v4` variant for a V4 address.
        let sin = unsafe { repr.v4 };
        assert_eq!(libc::c_int::from(sin.sin_family), libc::AF_INET);
        assert_eq!(sin.sin_port.to_ne_bytes(), [1, 2]);
        assert_eq!(sin.sin_addr.s_addr.to_ne_bytes(), [192, 168, 1, 2]);
        assert_eq!(round_trip(addr), addr);
    }

    #[test]
    fn v6_layout_and_round_trip() {
        let ip: Ipv6Addr = "fe80::1:2".parse().unwrap();
        let addr = SocketAddr::V6(SocketAddrV6::new(ip, 0x1234, 7, 3));
        let (repr, len) = socket_addr(&addr);
        assert_eq!(len as usize, size_of::<libc::sockaddr_in6>());
        // SAFETY: `socket_addr` filled the `v6` variant for a V6 address.
        let sin6 = unsafe { repr.v6 };
        assert_eq!(libc::c_int::from(sin6.sin6_family), libc::AF_INET6);
        assert_eq!(sin6.sin6_port.to_ne_bytes(), [0x12, 0x34]);
        assert_eq!(sin6.sin6_addr.s6_addr, ip.octets());
        assert_eq!(sin6.sin6_scope_id, 3);
        assert_eq!(sin6.sin6_flowinfo, 7);
        assert_eq!(round_trip(addr), addr);
    }

    #[test]
    fn unknown_family_or_short_length_is_rejected() {
        // SAFETY: all zeroes is a valid `sockaddr_storage`.
        let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
        storage.ss_family = libc::AF_UNSPEC as libc::sa_family_t;
        let len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        assert!(to_socket_addr(&storage, len).is_err());
        storage.ss_family = libc::AF_INET as libc::sa_family_t;
        assert!(to_socket_addr(&storage, 4).is_err());
    }
}
