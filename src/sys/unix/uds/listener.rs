//! Listening stream sockets: bind + listen, and accept.

use std::io;
use std::os::unix::io::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::net::{SocketAddr, UnixListener, UnixStream};
use std::sync::OnceLock;

use super::addr::{Parsed, RawAddr};
use super::{finish, new_socket};

/// The listen(2) backlog; the kernel caps it at its own maximum
/// (`net.core.somaxconn` on Linux).
const BACKLOG: libc::c_int = 1024;

/// A non-blocking listener bound to `address`.
pub(crate) fn bind_listener(address: &SocketAddr) -> io::Result<UnixListener> {
    let raw = RawAddr::from_std(address)?;
    let fd = new_socket(libc::SOCK_STREAM)?;
    // SAFETY: `raw` holds a `sockaddr_un` valid for `raw.len()` bytes and
    // outlives the call, which only reads it.
    syscall!(bind(fd.as_raw_fd(), raw.as_ptr(), raw.len()))?;
    // SAFETY: no pointers.
    syscall!(listen(fd.as_raw_fd(), BACKLOG))?;
    Ok(UnixListener::from(fd))
}

/// Accepts one pending connection as a non-blocking, close-on-exec stream,
/// with the peer's address.
///
/// The address comes from accept(2)'s own output and is rebuilt as std's
/// type without another system call. std has no constructor for the unnamed
/// address (what an unbound client has, the common case), so the first
/// unnamed peer's address is taken from getpeername(2) (std's `peer_addr`)
/// and cloned for later ones. Anything std cannot rebuild also falls back
/// to `peer_addr`, at the cost of one system call.
pub(crate) fn accept(listener: &UnixListener) -> io::Result<(UnixStream, SocketAddr)> {
    let (fd, raw) = loop {
        let mut raw = RawAddr::buffer();
        match accept_raw(listener, &mut raw) {
            Ok(fd) => break (fd, raw),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    };
    let stream = UnixStream::from(finish(fd)?);
    let address = match raw.to_std() {
        Parsed::Named(address) => address,
        Parsed::Unnamed => unnamed_address(&stream)?,
        Parsed::Unknown => stream.peer_addr()?,
    };
    Ok((stream, address))
}

fn unnamed_address(stream: &UnixStream) -> io::Result<SocketAddr> {
    static UNNAMED: OnceLock<SocketAddr> = OnceLock::new();
    if let Some(address) = UNNAMED.get() {
        return Ok(address.clone());
    }
    let address = stream.peer_addr()?;
    if address.is_unnamed() {
        // A racing thread may have set it first; both values are equal.
        let _ = UNNAMED.set(address.clone());
    }
    Ok(address)
}

#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
    target_os = "illumos",
))]
fn accept_raw(listener: &UnixListener, raw: &mut RawAddr) -> io::Result<OwnedFd> {
    let (addr, len) = raw.out_parts();
    // SAFETY: `addr` points to a `sockaddr_un` of the size `*len` holds; the
    // kernel writes at most that many bytes there and stores the real length
    // through `len`. Both come from `raw`, exclusively borrowed meanwhile.
    let fd = syscall!(accept4(
        listener.as_raw_fd(),
        addr,
        len,
        super::SOCKET_FLAGS
    ))?;
    // SAFETY: `fd` was just created and is owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Apple has no accept4(2); [`finish`] sets the flags afterwards.
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly",
    target_os = "illumos",
)))]
fn accept_raw(listener: &UnixListener, raw: &mut RawAddr) -> io::Result<OwnedFd> {
    let (addr, len) = raw.out_parts();
    // SAFETY: as for accept4 above: a writable `sockaddr_un` and its size.
    let fd = syscall!(accept(listener.as_raw_fd(), addr, len))?;
    // SAFETY: `fd` was just created and is owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// A stream socket bound to `address` and connected to `to`: a named
    /// peer, which std cannot make.
    fn bound_client(address: &SocketAddr, to: &SocketAddr) -> OwnedFd {
        let fd = new_socket(libc::SOCK_STREAM).unwrap();
        let local = RawAddr::from_std(address).unwrap();
        // SAFETY: `local` is a valid address of `local.len()` bytes.
        syscall!(bind(fd.as_raw_fd(), local.as_ptr(), local.len())).unwrap();
        let remote = RawAddr::from_std(to).unwrap();
        // SAFETY: `remote` is a valid address of `remote.len()` bytes.
        syscall!(connect(fd.as_raw_fd(), remote.as_ptr(), remote.len())).unwrap();
        fd
    }

    fn accept_now(listener: &UnixListener) -> (UnixStream, SocketAddr) {
        // Unix connects complete synchronously: the connection is queued.
        accept(listener).unwrap()
    }

    /// What accept(2) itself reported, before any fallback.
    fn accept_parsed(listener: &UnixListener) -> Parsed {
        let mut raw = RawAddr::buffer();
        let _fd = accept_raw(listener, &mut raw).unwrap();
        raw.to_std()
    }

    fn named(parsed: Parsed) -> SocketAddr {
        match parsed {
            Parsed::Named(address) => address,
            Parsed::Unnamed => panic!("parsed as unnamed"),
            Parsed::Unknown => panic!("not parsed"),
        }
    }

    struct Dir(PathBuf);

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn accept_reports_a_pathname_peer() {
        let dir = Dir(std::env::temp_dir().join(format!("mio-uds-unit-{}", std::process::id())));
        let _ = std::fs::remove_dir_all(&dir.0);
        std::fs::create_dir(&dir.0).unwrap();
        let server_path = dir.0.join("server.sock");
        let client_path = dir.0.join("client.sock");

        let server_addr = SocketAddr::from_pathname(&server_path).unwrap();
        let listener = bind_listener(&server_addr).unwrap();
        let client_addr = SocketAddr::from_pathname(&client_path).unwrap();
        let _client = bound_client(&client_addr, &server_addr);

        let (stream, peer) = accept_now(&listener);
        assert_eq!(peer.as_pathname(), Some(&*client_path));
        assert_eq!(
            stream.peer_addr().unwrap().as_pathname(),
            Some(&*client_path)
        );

        // Without a system call: the address came from accept(2) itself.
        std::fs::remove_file(&client_path).unwrap();
        let _client = bound_client(&client_addr, &server_addr);
        let peer = named(accept_parsed(&listener));
        assert_eq!(peer.as_pathname(), Some(&*client_path));
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn accept_reports_an_abstract_peer() {
        #[cfg(target_os = "android")]
        use std::os::android::net::SocketAddrExt;
        #[cfg(target_os = "linux")]
        use std::os::linux::net::SocketAddrExt;

        let pid = std::process::id();
        let server_name = format!("mio-uds-unit-server-{pid}");
        let client_name = format!("mio-uds-unit-client-{pid}\0x");
        let server_addr = SocketAddr::from_abstract_name(server_name.as_bytes()).unwrap();
        let listener = bind_listener(&server_addr).unwrap();
        let client_addr = SocketAddr::from_abstract_name(client_name.as_bytes()).unwrap();
        let _client = bound_client(&client_addr, &server_addr);

        let peer = named(accept_parsed(&listener));
        assert_eq!(peer.as_abstract_name(), Some(client_name.as_bytes()));
        drop(_client);
        let _client = bound_client(&client_addr, &server_addr);
        let (_stream, peer) = accept_now(&listener);
        assert_eq!(peer.as_abstract_name(), Some(client_name.as_bytes()));

        // And an unbound peer, twice (the second from the cache).
        for _ in 0..2 {
            let _c = super::super::connect_stream(&server_addr).unwrap();
            let (stream, peer) = accept_now(&listener);
            assert!(peer.is_unnamed());
            assert!(stream.peer_addr().unwrap().is_unnamed());
        }
    }
}
