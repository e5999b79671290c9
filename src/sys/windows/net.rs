//! Socket helpers shared by TCP and UDP: Winsock start-up, creating sockets
//! that are non-blocking and not inherited by child processes, and
//! converting between `std::net::SocketAddr` and Winsock's `SOCKADDR_IN`/
//! `SOCKADDR_IN6`.

use std::mem::{self, size_of};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::windows::io::{FromRawSocket, OwnedSocket, RawSocket};
use std::sync::Once;
use std::{io, ptr};

use windows_sys::Win32::Networking::WinSock::{
    ioctlsocket, WSAGetLastError, WSASocketW, WSAStartup, ADDRESS_FAMILY, AF_INET, AF_INET6,
    FIONBIO, IN6_ADDR, IN6_ADDR_0, INVALID_SOCKET, IN_ADDR, IN_ADDR_0, SOCKADDR, SOCKADDR_IN,
    SOCKADDR_IN6, SOCKADDR_IN6_0, SOCKADDR_STORAGE, SOCKET, SOCKET_ERROR, WSADATA,
    WSA_FLAG_NO_HANDLE_INHERIT, WSA_FLAG_OVERLAPPED,
};

/// Starts Winsock (version 2.2) once per process. It is reference counted
/// and never cleaned up here, like the standard library does.
pub(crate) fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        // SAFETY: `data` is a writable WSADATA for the call to fill in.
        let mut data: WSADATA = unsafe { mem::zeroed() };
        // SAFETY: as above.
        let res = unsafe { WSAStartup(0x0202, &mut data) };
        // On failure, the socket calls that follow report it.
        let _ = res;
    });
}

/// The last Winsock error of this thread.
pub(crate) fn last_error() -> io::Error {
    // SAFETY: reads the calling thread's last-error value.
    io::Error::from_raw_os_error(unsafe { WSAGetLastError() })
}

/// Checks a Winsock call that returns `SOCKET_ERROR` on failure.
pub(crate) fn check(res: i32) -> io::Result<i32> {
    if res == SOCKET_ERROR {
        Err(last_error())
    } else {
        Ok(res)
    }
}

/// A new socket of `family` and `socket_type`: overlapped (so it can be
/// used by overlapped APIs), not inheritable from its first moment, and
/// non-blocking.
pub(crate) fn new_socket(family: ADDRESS_FAMILY, socket_type: i32) -> io::Result<OwnedSocket> {
    init();
    // SAFETY: no protocol info is passed; the call reads no memory.
    let raw = unsafe {
        WSASocketW(
            i32::from(family),
            socket_type,
            0,
            ptr::null(),
            0,
            WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT,
        )
    };
    if raw == INVALID_SOCKET {
        return Err(last_error());
    }
    // SAFETY: `raw` was just created and is owned by nothing else; wrapping
    // it first means any error below closes it.
    let socket = unsafe { OwnedSocket::from_raw_socket(raw as RawSocket) };
    set_nonblocking(raw, true)?;
    Ok(socket)
}

/// Turns non-blocking mode on or off (`FIONBIO`).
pub(crate) fn set_nonblocking(socket: SOCKET, nonblocking: bool) -> io::Result<()> {
    let mut value = u32::from(nonblocking);
    // SAFETY: `value` is a writable u32, as FIONBIO expects.
    check(unsafe { ioctlsocket(socket, FIONBIO, &mut value) }).map(drop)
}

pub(crate) fn family_of(addr: &SocketAddr) -> ADDRESS_FAMILY {
    match addr {
        SocketAddr::V4(_) => AF_INET,
        SocketAddr::V6(_) => AF_INET6,
    }
}

/// A socket address in the C layout Winsock takes, and its length.
#[repr(C)]
pub(crate) union RawSocketAddr {
    v4: SOCKADDR_IN,
    v6: SOCKADDR_IN6,
}

impl RawSocketAddr {
    pub(crate) fn as_ptr(&self) -> *const SOCKADDR {
        (self as *const RawSocketAddr).cast()
    }
}

pub(crate) fn socket_addr(addr: &SocketAddr) -> (RawSocketAddr, i32) {
    match addr {
        SocketAddr::V4(addr) => {
            let sin = SOCKADDR_IN {
                sin_family: AF_INET,
                sin_port: addr.port().to_be(),
                sin_addr: IN_ADDR {
                    S_un: IN_ADDR_0 {
                        S_addr: u32::from_ne_bytes(addr.ip().octets()),
                    },
                },
                sin_zero: [0; 8],
            };
            (RawSocketAddr { v4: sin }, size_of::<SOCKADDR_IN>() as i32)
        }
        SocketAddr::V6(addr) => {
            let sin6 = SOCKADDR_IN6 {
                sin6_family: AF_INET6,
                sin6_port: addr.port().to_be(),
                sin6_flowinfo: addr.flowinfo(),
                sin6_addr: IN6_ADDR {
                    u: IN6_ADDR_0 {
                        Byte: addr.ip().octets(),
                    },
                },
                Anonymous: SOCKADDR_IN6_0 {
                    sin6_scope_id: addr.scope_id(),
                },
            };
            (RawSocketAddr { v6: sin6 }, size_of::<SOCKADDR_IN6>() as i32)
        }
    }
}

/// The address Winsock wrote into `storage` (`len` bytes of it).
pub(crate) fn to_socket_addr(storage: &SOCKADDR_STORAGE, len: i32) -> io::Result<SocketAddr> {
    let len = len as usize;
    match storage.ss_family {
        AF_INET if len >= size_of::<SOCKADDR_IN>() => {
            // SAFETY: the family says the storage holds a SOCKADDR_IN, which
            // SOCKADDR_STORAGE is large and aligned enough for.
            let sin = unsafe { &*(storage as *const SOCKADDR_STORAGE).cast::<SOCKADDR_IN>() };
            // SAFETY: every bit pattern is a valid u32.
            let ip = unsafe { sin.sin_addr.S_un.S_addr };
            Ok(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(ip.to_ne_bytes()),
                u16::from_be(sin.sin_port),
            )))
        }
        AF_INET6 if len >= size_of::<SOCKADDR_IN6>() => {
            // SAFETY: as above, for SOCKADDR_IN6.
            let sin6 = unsafe { &*(storage as *const SOCKADDR_STORAGE).cast::<SOCKADDR_IN6>() };
            // SAFETY: every bit pattern is valid for both union fields.
            let (ip, scope_id) = unsafe { (sin6.sin6_addr.u.Byte, sin6.Anonymous.sin6_scope_id) };
            Ok(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(ip),
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                scope_id,
            )))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "unexpected address family",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        for text in ["127.0.0.1:8080", "[::1]:443", "[fe80::1%3]:9"] {
            let addr: SocketAddr = text.parse().unwrap();
            let (raw, len) = socket_addr(&addr);
            // SAFETY: all zeroes is a valid SOCKADDR_STORAGE.
            let mut storage: SOCKADDR_STORAGE = unsafe { mem::zeroed() };
            // SAFETY: `len` bytes of `raw` are initialised and fit.
            unsafe {
                ptr::copy_nonoverlapping(
                    raw.as_ptr().cast::<u8>(),
                    (&mut storage as *mut SOCKADDR_STORAGE).cast::<u8>(),
                    len as usize,
                )
            };
            assert_eq!(to_socket_addr(&storage, len).unwrap(), addr);
        }
    }
}
