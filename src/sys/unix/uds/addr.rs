//! Unix socket addresses in the kernel's form (`sockaddr_un`), built from a
//! std `SocketAddr` and read back into one. unix(7) names the three kinds:
//!
//! * pathname: `sun_path` holds the path and a terminating NUL; the length
//!   passed to the kernel counts that NUL.
//! * abstract (Linux, Android): `sun_path[0]` is NUL and the name is the
//!   bytes after it, exactly as many as the length says; no terminator, and
//!   NUL bytes inside the name are ordinary bytes.
//! * unnamed: only the family, the length is the offset of `sun_path`.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::{io, mem};

#[cfg(target_os = "android")]
use std::os::android::net::SocketAddrExt;
#[cfg(target_os = "linux")]
use std::os::linux::net::SocketAddrExt;

/// A `sockaddr_un` plus the number of its bytes that are meaningful.
pub(super) struct RawAddr {
    addr: libc::sockaddr_un,
    len: libc::socklen_t,
}

impl RawAddr {
    /// The unnamed address: the family and nothing else.
    pub(super) fn unnamed() -> RawAddr {
        // SAFETY: `sockaddr_un` is a C struct of integers and byte arrays,
        // for which all-zero bytes are a valid value.
        let mut addr: libc::sockaddr_un = unsafe { mem::zeroed() };
        addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
        let len = path_offset(&addr) as libc::socklen_t;
        RawAddr { addr, len }
    }

    /// Room for the kernel to write an address into (accept(2)); `len` is
    /// the capacity until the kernel overwrites it with the real length.
    pub(super) fn buffer() -> RawAddr {
        let mut raw = RawAddr::unnamed();
        raw.len = mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
        raw
    }

    /// The pathname address for `path`.
    ///
    /// Fails with `InvalidInput` if the path contains a NUL byte or does not
    /// fit in `sun_path` together with its terminating NUL. An empty path
    /// gives the unnamed address, as std's `SocketAddr::from_pathname` does.
    pub(super) fn from_path(path: &Path) -> io::Result<RawAddr> {
        let bytes = path.as_os_str().as_bytes();
        if bytes.contains(&0) {
            return Err(invalid("Unix socket paths must not contain NUL bytes"));
        }
        let mut raw = RawAddr::unnamed();
        if bytes.is_empty() {
            return Ok(raw);
        }
        // `>=`: one byte must stay free for the terminator.
        if bytes.len() >= raw.addr.sun_path.len() {
            return Err(invalid("Unix socket path is longer than sun_path allows"));
        }
        copy_into(&mut raw.addr.sun_path, bytes);
        // The array was zeroed, so the terminator is already in place.
        raw.len = (path_offset(&raw.addr) + bytes.len() + 1) as libc::socklen_t;
        Ok(raw)
    }

    /// The abstract address named `name` (the bytes after the leading NUL).
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub(super) fn from_abstract(name: &[u8]) -> io::Result<RawAddr> {
        let mut raw = RawAddr::unnamed();
        // The leading NUL takes one byte of `sun_path`.
        if name.len() >= raw.addr.sun_path.len() {
            return Err(invalid(
                "abstract Unix socket name is longer than sun_path allows",
            ));
        }
        copy_into(&mut raw.addr.sun_path[1..], name);
        raw.len = (path_offset(&raw.addr) + 1 + name.len()) as libc::socklen_t;
        Ok(raw)
    }

    /// The kernel form of a std address, whichever kind it is.
    pub(super) fn from_std(addr: &SocketAddr) -> io::Result<RawAddr> {
        if let Some(path) = addr.as_pathname() {
            return RawAddr::from_path(path);
        }
        #[cfg(any(target_os = "linux", target_os = "android"))]
        if let Some(name) = addr.as_abstract_name() {
            return RawAddr::from_abstract(name);
        }
        Ok(RawAddr::unnamed())
    }

    pub(super) fn as_ptr(&self) -> *const libc::sockaddr {
        (&self.addr as *const libc::sockaddr_un).cast()
    }

    pub(super) fn len(&self) -> libc::socklen_t {
        self.len
    }

    /// Pointers for a call that writes an address and its length, taken
    /// from one borrow so neither invalidates the other.
    pub(super) fn out_parts(&mut self) -> (*mut libc::sockaddr, *mut libc::socklen_t) {
        let addr = (&mut self.addr as *mut libc::sockaddr_un).cast();
        (addr, &mut self.len)
    }

    /// Reads the address back as std's type, without a system call.
    pub(super) fn to_std(&self) -> Parsed {
        let offset = path_offset(&self.addr);
        let len = self.len as usize;
        if len <= offset {
            return Parsed::Unnamed;
        }
        // `sun_path` as bytes (`c_char` is signed on some targets); the
        // whole struct's size is a constant bound on its length.
        let mut bytes = [0u8; mem::size_of::<libc::sockaddr_un>()];
        let bytes = &mut bytes[..self.addr.sun_path.len()];
        for (dst, src) in bytes.iter_mut().zip(self.addr.sun_path.iter()) {
            // No cast: `c_char` is already `u8` on some targets.
            *dst = src.to_ne_bytes()[0];
        }
        // A kernel may report more than the struct holds (truncation).
        let used = &bytes[..(len - offset).min(bytes.len())];
        match used.first() {
            None => Parsed::Unnamed,
            Some(0) => abstract_or_unnamed(&used[1..]),
            Some(_) => {
                // Linux allows a path that fills `sun_path` with no
                // terminator; elsewhere the length may count trailing NULs.
                let end = used.iter().position(|&b| b == 0).unwrap_or(used.len());
                let path = Path::new(OsStr::from_bytes(&used[..end]));
                match SocketAddr::from_pathname(path) {
                    Ok(addr) => Parsed::Named(addr),
                    // e.g. a 108-byte path, which std cannot represent here.
                    Err(_) => Parsed::Unknown,
                }
            }
        }
    }
}

/// What [`RawAddr::to_std`] made of an address.
pub(super) enum Parsed {
    /// A pathname or abstract address, rebuilt as std's type.
    Named(SocketAddr),
    /// The unnamed address; std offers no constructor for it.
    Unnamed,
    /// An address std cannot rebuild from its parts.
    Unknown,
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn abstract_or_unnamed(name: &[u8]) -> Parsed {
    match SocketAddr::from_abstract_name(name) {
        Ok(addr) => Parsed::Named(addr),
        Err(_) => Parsed::Unknown,
    }
}

/// Without abstract addresses a leading NUL means an empty path, which is
/// how some BSD kernels report an unnamed peer.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn abstract_or_unnamed(_: &[u8]) -> Parsed {
    Parsed::Unnamed
}

/// Byte offset of `sun_path` in `sockaddr_un`; `offset_of!` is newer than
/// the MSRV.
fn path_offset(addr: &libc::sockaddr_un) -> usize {
    let base = addr as *const libc::sockaddr_un as usize;
    let path = addr.sun_path.as_ptr() as usize;
    path - base
}

fn copy_into(dst: &mut [libc::c_char], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s as libc::c_char;
    }
}

fn invalid(msg: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

// Properties over arbitrary paths, names and kernel output.
#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    fn path_len(raw: &RawAddr) -> usize {
        raw.len() as usize - path_offset(&raw.addr)
    }

    #[test]
    fn pathname_counts_the_terminator() {
        let raw = RawAddr::from_path(Path::new("/tmp/sock")).unwrap();
        assert_eq!(path_len(&raw), "/tmp/sock".len() + 1);
        assert_eq!(raw.addr.sun_path[9], 0);
        assert_eq!(raw.addr.sun_family, libc::AF_UNIX as libc::sa_family_t);
    }

    #[test]
    fn pathname_limits() {
        let room = RawAddr::unnamed().addr.sun_path.len();
        let longest = "a".repeat(room - 1);
        let raw = RawAddr::from_path(Path::new(&longest)).unwrap();
        assert_eq!(path_len(&raw), room);
        let err = RawAddr::from_path(Path::new(&"a".repeat(room)))
            .err()
            .unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        let err = RawAddr::from_path(Path::new("a\0b")).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }

    #[test]
    fn empty_path_is_unnamed() {
        let raw = RawAddr::from_path(Path::new("")).unwrap();
        assert_eq!(path_len(&raw), 0);
        assert!(matches!(raw.to_std(), Parsed::Unnamed));
    }

    #[test]
    fn pathname_round_trip() {
        let raw = RawAddr::from_path(Path::new("/tmp/x.sock")).unwrap();
        match raw.to_std() {
            Parsed::Named(addr) => assert_eq!(addr.as_pathname(), Some(Path::new("/tmp/x.sock"))),
            _ => panic!("pathname address did not round-trip"),
        }
        let std_addr = SocketAddr::from_pathname("/tmp/y.sock").unwrap();
        let raw = RawAddr::from_std(&std_addr).unwrap();
        assert_eq!(path_len(&raw), "/tmp/y.sock".len() + 1);
    }

    #[test]
    fn unterminated_full_length_path_is_unknown() {
        let mut raw = RawAddr::buffer();
        let room = raw.addr.sun_path.len();
        copy_into(&mut raw.addr.sun_path, "b".repeat(room).as_bytes());
        match raw.to_std() {
            // std keeps room for a terminator, so it cannot hold this one.
            Parsed::Unknown => {}
            Parsed::Named(addr) => assert_eq!(addr.as_pathname().unwrap().as_os_str().len(), room),
            Parsed::Unnamed => panic!("a full path parsed as unnamed"),
        }
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn abstract_round_trip() {
        let raw = RawAddr::from_abstract(b"mio\0name").unwrap();
        // No terminator: the leading NUL plus the name.
        assert_eq!(path_len(&raw), 1 + 8);
        assert_eq!(raw.addr.sun_path[0], 0);
        match raw.to_std() {
            Parsed::Named(addr) => assert_eq!(addr.as_abstract_name(), Some(&b"mio\0name"[..])),
            _ => panic!("abstract address did not round-trip"),
        }
        let room = raw.addr.sun_path.len();
        assert!(RawAddr::from_abstract(&vec![b'x'; room - 1]).is_ok());
        let err = RawAddr::from_abstract(&vec![b'x'; room]).err().unwrap();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);

        let std_addr = SocketAddr::from_abstract_name(b"other").unwrap();
        let raw = RawAddr::from_std(&std_addr).unwrap();
        assert_eq!(path_len(&raw), 1 + 5);
    }
}
