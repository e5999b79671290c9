//! No file descriptor outlives the object that owns it, on success paths
//! and on error paths (including running out of descriptors).
//!
//! The count is taken from /proc/self/fd, so this binary has exactly one
//! test: nothing else may open descriptors while it runs.

#![cfg(all(target_os = "linux", feature = "os-ext"))]

mod util;

use std::io::{ErrorKind, Write};
use std::os::unix::io::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::time::Duration;

use mio::unix::pipe::{self, Receiver, Sender};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token, Waker};

use util::{expect_token, open_fd_count};

const ROUNDS: usize = 50;

/// Creates and drops every kind of object once.
fn churn() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let registry = poll.registry().try_clone().unwrap();
    let clone_of_clone = registry.try_clone().unwrap();
    let waker = Waker::new(&registry, Token(0)).unwrap();
    waker.wake().unwrap();

    // Registered and unregistered pipes.
    let (mut sender, mut receiver) = pipe::new().unwrap();
    let (_unregistered_sender, _unregistered_receiver) = pipe::new().unwrap();
    poll.registry()
        .register(&mut receiver, Token(1), Interest::READABLE)
        .unwrap();
    clone_of_clone
        .register(&mut sender, Token(2), Interest::WRITABLE)
        .unwrap();
    sender.write_all(b"x").unwrap();
    expect_token(&mut poll, &mut events, Token(1));

    // Failed registrations hold on to nothing.
    assert!(poll
        .registry()
        .register(&mut receiver, Token(3), Interest::READABLE)
        .is_err());
    let other = Poll::new().unwrap();
    assert!(other
        .registry()
        .register(&mut sender, Token(3), Interest::READABLE)
        .is_err());

    // A registered end deregistered explicitly, one dropped while registered.
    poll.registry().deregister(&mut sender).unwrap();
    drop(sender);
    drop(receiver);

    // Conversions to and from owned and raw descriptors.
    let (sender, receiver) = pipe::new().unwrap();
    let owned: OwnedFd = sender.into();
    let sender = Sender::from(owned);
    let raw = receiver.into_raw_fd();
    // SAFETY: `raw` was just released by `into_raw_fd`.
    let mut receiver = unsafe { Receiver::from_raw_fd(raw) };
    poll.registry()
        .register(&mut receiver, Token(4), Interest::READABLE)
        .unwrap();
    drop((sender, receiver));

    // SourceFd borrows: the socket pair is closed by its owner.
    let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    let fd = a.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&fd), Token(5), Interest::READABLE)
        .unwrap();
    let _ = poll
        .registry()
        .register(&mut SourceFd(&fd), Token(5), Interest::READABLE);

    util::poll_retry(&mut poll, &mut events, Some(Duration::ZERO)).unwrap();
    drop(events);
    drop(waker);
    drop(registry);
    // The registry clone outlives its Poll for a moment.
    drop(poll);
    drop(clone_of_clone);
    drop(other);
}

struct RestoreLimit(libc::rlimit);

impl Drop for RestoreLimit {
    fn drop(&mut self) {
        // SAFETY: sets the limit back to the value read before.
        unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &self.0) };
    }
}

/// The lowest descriptor number not in use.
fn lowest_free_fd() -> libc::c_int {
    // SAFETY: duplicates stdin's descriptor number slot search; the copy is
    // closed immediately.
    let fd = unsafe { libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 0) };
    assert!(fd >= 0, "F_DUPFD: {}", std::io::Error::last_os_error());
    // SAFETY: `fd` is ours.
    drop(unsafe { OwnedFd::from_raw_fd(fd) });
    fd
}

/// Runs `f` with the soft descriptor limit set so that only `spare` more
/// descriptors can be opened.
fn with_spare_fds<R>(spare: libc::c_int, f: impl FnOnce() -> R) -> R {
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut old) }, 0);
    let _restore = RestoreLimit(old);
    // Descriptors are handed out lowest first; every number below the
    // lowest free one is in use, so a limit of `lowest + spare` leaves
    // exactly `spare` to open (holes above it do not count: the limit is on
    // the numbers).
    let new = libc::rlimit {
        rlim_cur: (lowest_free_fd() + spare) as libc::rlim_t,
        rlim_max: old.rlim_max,
    };
    // SAFETY: lowers the soft limit only.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) }, 0);
    f()
}

fn exhaustion() {
    // Nothing at all can be opened: creating anything fails with EMFILE.
    with_spare_fds(0, || {
        let err = Poll::new().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{:?}", err);
        let err = pipe::new().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{:?}", err);
    });
    // A Poll fits, but neither a registry clone nor a waker (nor a pipe).
    with_spare_fds(1, || {
        let poll = Poll::new().unwrap();
        let err = poll.registry().try_clone().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{:?}", err);
        let err = Waker::new(poll.registry(), Token(0)).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{:?}", err);
        let err = pipe::new().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{:?}", err);
    });
    // One descriptor spare besides the Poll: an eventfd waker fits, a pipe
    // (two descriptors) does not, whichever the waker is made of.
    with_spare_fds(2, || {
        let poll = Poll::new().unwrap();
        match Waker::new(poll.registry(), Token(0)) {
            Ok(waker) => waker.wake().unwrap(),
            Err(err) => assert_eq!(err.raw_os_error(), Some(libc::EMFILE), "{:?}", err),
        }
    });
}

/// The descriptor count, once it is back to `expected` or after a bounded
/// wait. Only libkqueue needs the wait: it closes a dropped kqueue's own
/// descriptors a moment later, on its monitoring thread. Everywhere else the
/// count is taken at once.
fn settled_fd_count(expected: usize) -> usize {
    let mut count = open_fd_count();
    if util::backend::LIBKQUEUE {
        let deadline = std::time::Instant::now() + util::WAIT;
        while count != expected && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
            count = open_fd_count();
        }
    }
    count
}

/// The descriptor count before the rounds. Over libkqueue, the warm-up's
/// kqueues are closed a moment later: wait (bounded) until the count stops
/// falling.
fn settled_baseline() -> usize {
    let mut count = open_fd_count();
    if util::backend::LIBKQUEUE {
        let deadline = std::time::Instant::now() + util::WAIT;
        loop {
            std::thread::sleep(Duration::from_millis(50));
            let now = open_fd_count();
            if now == count || std::time::Instant::now() >= deadline {
                break;
            }
            count = now;
        }
    }
    count
}

#[test]
fn no_descriptor_leaks() {
    // Warm up anything the runtime opens once and keeps.
    churn();
    let before = settled_baseline();
    for _ in 0..ROUNDS {
        churn();
    }
    let after = settled_fd_count(before);
    assert_eq!(before, after, "descriptors leaked by {} rounds", ROUNDS);

    // libkqueue: a kqueue takes descriptors of its own (an epoll instance,
    // a close-detect pipe) and a `Registry` clone or a `Waker` none, so the
    // descriptor budgets below are epoll's.
    if !util::backend::LIBKQUEUE {
        exhaustion();
        let after_exhaustion = open_fd_count();
        assert_eq!(
            before, after_exhaustion,
            "descriptors leaked on error paths"
        );
    }

    // Writing to a pipe whose receiver is gone fails without leaking.
    let (mut sender, receiver) = pipe::new().unwrap();
    drop(receiver);
    assert_eq!(
        sender.write(b"x").unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
    drop(sender);
    assert_eq!(before, settled_fd_count(before));
}
