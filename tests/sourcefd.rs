//! `mio::unix::SourceFd`: any descriptor as a source, with the OS as the
//! only judge of what may be registered.

#![cfg(all(unix, feature = "os-ext"))]
// Some tests below do not hold on kqueue; their imports and helpers go
// unused there.
#![cfg_attr(
    any(
        target_os = "dragonfly",
        target_os = "freebsd",
        target_os = "ios",
        target_os = "macos",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
        mio_unsupported_force_kqueue,
    ),
    allow(unused_imports, dead_code)
)]

mod util;

use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::io::{AsRawFd, FromRawFd, OwnedFd, RawFd};

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token};

use util::{
    assert_error, assert_os_error, drain, expect_event, expect_no_events, expect_token,
    socket_pair, Drained,
};

const T: Token = Token(4);

#[test]
fn socket_through_source_fd() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (local, peer) = socket_pair();
    let fd = local.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&fd), T, Interest::READABLE)
        .unwrap();
    expect_no_events(&mut poll, &mut events, "idle socket");
    (&peer).write_all(b"over a socket").unwrap();
    let seen = expect_token(&mut poll, &mut events, T);
    assert!(seen.readable && !seen.writable);
    assert_eq!(drain(&local), Drained::WouldBlock(13));

    // Reregister for both directions under another token: the socket is
    // writable, which is reported right away.
    poll.registry()
        .reregister(
            &mut SourceFd(&fd),
            Token(5),
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    let seen = expect_event(&mut poll, &mut events, Token(5), "writable", |s| s.writable);
    assert!(!seen.readable);

    poll.registry().deregister(&mut SourceFd(&fd)).unwrap();
    (&peer).write_all(b"more").unwrap();
    expect_no_events(&mut poll, &mut events, "after deregister");
}

// Not on kqueue: it does not refuse a second registration, it updates the
// filters (see the kqueue selector's docs).
crate::not_on_kqueue! {
#[test]
fn register_twice_is_already_exists_from_the_os() {
    let poll = Poll::new().unwrap();
    let (local, _peer) = socket_pair();
    let fd = local.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&fd), T, Interest::READABLE)
        .unwrap();
    assert_error(
        poll.registry()
            .register(&mut SourceFd(&fd), T, Interest::READABLE),
        ErrorKind::AlreadyExists,
        Some(libc::EEXIST),
        "SourceFd registered twice",
    );
    // Also through a cloned registry: it is the same queue.
    let clone = poll.registry().try_clone().unwrap();
    assert_error(
        clone.register(&mut SourceFd(&fd), T, Interest::WRITABLE),
        ErrorKind::AlreadyExists,
        Some(libc::EEXIST),
        "SourceFd registered twice, through a clone",
    );
    poll.registry().deregister(&mut SourceFd(&fd)).unwrap();
}
}

// Not on kqueue: `reregister` of an unregistered descriptor adds its
// filters instead of failing.
crate::not_on_kqueue! {
#[test]
fn unregistered_descriptor_is_not_found_from_the_os() {
    let poll = Poll::new().unwrap();
    let (local, _peer) = socket_pair();
    let fd = local.as_raw_fd();
    assert_error(
        poll.registry().deregister(&mut SourceFd(&fd)),
        ErrorKind::NotFound,
        Some(libc::ENOENT),
        "deregister of an unregistered SourceFd",
    );
    assert_error(
        poll.registry()
            .reregister(&mut SourceFd(&fd), T, Interest::READABLE),
        ErrorKind::NotFound,
        Some(libc::ENOENT),
        "reregister of an unregistered SourceFd",
    );
    // Register, deregister, and the second deregister fails again.
    poll.registry()
        .register(&mut SourceFd(&fd), T, Interest::READABLE)
        .unwrap();
    poll.registry().deregister(&mut SourceFd(&fd)).unwrap();
    assert_error(
        poll.registry().deregister(&mut SourceFd(&fd)),
        ErrorKind::NotFound,
        Some(libc::ENOENT),
        "second deregister",
    );
}
}

/// What deregistering a descriptor that is not open fails with: `EBADF`,
/// except over libkqueue, which looks the descriptor up among its filters
/// before it checks it, and so answers `ENOENT`.
const DEREGISTER_BAD_FD: i32 = if util::backend::LIBKQUEUE {
    libc::ENOENT
} else {
    libc::EBADF
};

#[test]
fn invalid_descriptor_is_an_error() {
    let poll = Poll::new().unwrap();
    let fd: RawFd = -1;
    let r = poll.registry();
    assert_os_error(
        r.register(&mut SourceFd(&fd), T, Interest::READABLE),
        libc::EBADF,
        "register of fd -1",
    );
    assert_os_error(
        r.reregister(&mut SourceFd(&fd), T, Interest::READABLE),
        libc::EBADF,
        "reregister of fd -1",
    );
    assert_os_error(
        r.deregister(&mut SourceFd(&fd)),
        DEREGISTER_BAD_FD,
        "deregister of fd -1",
    );
}

/// A descriptor number that is certainly closed: a duplicate placed well
/// above the descriptors in use, then closed. Other tests of this binary
/// open descriptors concurrently, but the kernel hands out the lowest free
/// number, so nothing lands up there meanwhile.
fn closed_fd_number() -> RawFd {
    let floor = fd_floor();
    let file = File::open(env!("CARGO_MANIFEST_DIR")).unwrap();
    // SAFETY: duplicates a descriptor we own; the copy is closed right away.
    let high = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_DUPFD_CLOEXEC, floor) };
    assert!(high >= floor, "F_DUPFD: {}", io::Error::last_os_error());
    // SAFETY: `high` was just created by us and is closed exactly once.
    drop(unsafe { OwnedFd::from_raw_fd(high) });
    high
}

/// Half the soft descriptor limit, at most 1,000.
#[cfg(not(target_os = "fuchsia"))]
fn fd_floor() -> libc::c_int {
    let mut limit: libc::rlimit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
        0
    );
    (limit.rlim_cur / 2).min(1_000) as libc::c_int
}

/// Fuchsia has no descriptor limit to ask for.
#[cfg(target_os = "fuchsia")]
fn fd_floor() -> libc::c_int {
    256
}

#[test]
fn closed_descriptor_is_an_error() {
    let poll = Poll::new().unwrap();
    let fd = closed_fd_number();
    assert_os_error(
        poll.registry()
            .register(&mut SourceFd(&fd), T, Interest::READABLE),
        libc::EBADF,
        "register of a closed fd",
    );
    assert_os_error(
        poll.registry().deregister(&mut SourceFd(&fd)),
        DEREGISTER_BAD_FD,
        "deregister of a closed fd",
    );
}

// Not on kqueue: EVFILT_READ/EVFILT_WRITE accept regular files.
crate::not_on_kqueue! {
#[test]
fn regular_file_is_permission_denied() {
    let poll = Poll::new().unwrap();
    let file = File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let fd = file.as_raw_fd();
    for interest in [
        Interest::READABLE,
        Interest::WRITABLE,
        Interest::READABLE | Interest::WRITABLE,
    ] {
        assert_error(
            poll.registry().register(&mut SourceFd(&fd), T, interest),
            ErrorKind::PermissionDenied,
            Some(libc::EPERM),
            "register of a regular file",
        );
    }
    // The file is untouched and still readable.
    let mut first = [0u8; 9];
    (&file).read_exact(&mut first).unwrap();
    assert_eq!(&first, b"[package]");
}
}

// eventfd(2) is Linux's (Apple's systems lack it; the BSDs' copies are
// not what this test is about).
#[cfg(any(target_os = "linux", target_os = "android"))]
#[test]
fn eventfd_through_source_fd() {
    // SAFETY: creates a new descriptor or returns -1.
    let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    assert!(raw >= 0, "eventfd: {}", io::Error::last_os_error());
    // SAFETY: `raw` is new and owned by nothing else.
    let efd = unsafe { File::from_raw_fd(raw) };

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    poll.registry()
        .register(&mut SourceFd(&raw), T, Interest::READABLE)
        .unwrap();
    expect_no_events(&mut poll, &mut events, "zero counter");

    for round in 1..=3u64 {
        (&efd).write_all(&round.to_ne_bytes()).unwrap();
        (&efd).write_all(&round.to_ne_bytes()).unwrap();
        let seen = expect_token(&mut poll, &mut events, T);
        assert!(seen.readable, "round {}", round);
        let mut counter = [0u8; 8];
        (&efd).read_exact(&mut counter).unwrap();
        assert_eq!(u64::from_ne_bytes(counter), 2 * round);
        let err = (&efd).read(&mut counter).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        expect_no_events(&mut poll, &mut events, "drained counter");
    }
    poll.registry().deregister(&mut SourceFd(&raw)).unwrap();
}

#[test]
fn one_descriptor_in_two_polls() {
    // Unlike the crate's own types, a SourceFd is not tracked: the OS lets
    // one descriptor be registered with several epoll instances.
    let mut first = Poll::new().unwrap();
    let mut second = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (local, peer) = socket_pair();
    let fd = local.as_raw_fd();
    first
        .registry()
        .register(&mut SourceFd(&fd), Token(1), Interest::READABLE)
        .unwrap();
    second
        .registry()
        .register(&mut SourceFd(&fd), Token(2), Interest::READABLE)
        .unwrap();
    (&peer).write_all(b"both").unwrap();
    assert!(expect_token(&mut first, &mut events, Token(1)).readable);
    assert!(expect_token(&mut second, &mut events, Token(2)).readable);
    first.registry().deregister(&mut SourceFd(&fd)).unwrap();
    second.registry().deregister(&mut SourceFd(&fd)).unwrap();
}

// Not on the poll(2) backend: it has no kernel queue, and the descriptor of a
// `Poll` is its internal wake descriptor, which does not become readable when
// the sources do.
#[cfg(not(mio_unsupported_force_poll_poll))]
#[test]
#[cfg_attr(
    mio_unsupported_force_kqueue,
    ignore = "libkqueue: a kqueue descriptor never polls readable"
)]
fn a_poll_is_itself_pollable() {
    use mio::Waker;
    use util::{poll_once, WAIT};

    // An epoll instance is readable while it has events pending; registering
    // one Poll's descriptor with another nests them.
    let mut outer = Poll::new().unwrap();
    let mut inner = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let inner_fd = inner.as_raw_fd();
    outer
        .registry()
        .register(&mut SourceFd(&inner_fd), Token(1), Interest::READABLE)
        .unwrap();
    let waker = Waker::new(inner.registry(), Token(2)).unwrap();
    expect_no_events(&mut outer, &mut events, "idle inner poll");
    waker.wake().unwrap();
    let seen = expect_token(&mut outer, &mut events, Token(1));
    assert!(seen.readable);
    let got = poll_once(&mut inner, &mut events, Some(WAIT));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].token, Token(2));
}

/// A type of our own that owns a descriptor and forwards to `SourceFd`.
struct OwnSocket {
    stream: std::os::unix::net::UnixStream,
}

impl Source for OwnSocket {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        SourceFd(&self.stream.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        SourceFd(&self.stream.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        SourceFd(&self.stream.as_raw_fd()).deregister(registry)
    }
}

// Not on kqueue: the second `register` of the descriptor updates it
// instead of failing with `EEXIST`.
crate::not_on_kqueue! {
#[test]
fn custom_source_built_on_source_fd() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (local, peer) = socket_pair();
    let mut own: Box<dyn Source> = Box::new(OwnSocket { stream: local });
    poll.registry()
        .register(&mut own, T, Interest::READABLE)
        .unwrap();
    assert_error(
        poll.registry().register(&mut own, T, Interest::READABLE),
        ErrorKind::AlreadyExists,
        Some(libc::EEXIST),
        "custom source registered twice",
    );
    (&peer).write_all(b"custom").unwrap();
    assert!(expect_token(&mut poll, &mut events, T).readable);
    poll.registry()
        .reregister(&mut own, Token(6), Interest::READABLE)
        .unwrap();
    assert!(expect_token(&mut poll, &mut events, Token(6)).readable);
    poll.registry().deregister(&mut own).unwrap();
    assert_error(
        poll.registry().deregister(&mut own),
        ErrorKind::NotFound,
        Some(libc::ENOENT),
        "custom source deregistered twice",
    );
}
}

#[test]
fn source_fd_debug() {
    let fd: RawFd = 17;
    assert_eq!(format!("{:?}", SourceFd(&fd)), "SourceFd(17)");
}
