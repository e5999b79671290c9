//! `mio::unix::pipe`: round trips, blocking mode, `try_io`, child process
//! pipes and descriptor conversions.

#![cfg(all(unix, feature = "os-ext"))]

mod util;

use std::io::{ErrorKind, IoSlice, IoSliceMut, Read, Write};
use std::os::unix::io::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::process::{Command, Stdio};
use std::time::Instant;

use mio::unix::pipe::{self, Receiver, Sender};
use mio::{Events, Interest, Poll, Token};

use util::{
    drain, drain_into, expect_event, expect_no_events, expect_token, fill, new_pipe, Drained, WAIT,
};

const SENDER: Token = Token(0);
const RECEIVER: Token = Token(1);

fn fd_flags(fd: RawFd) -> (libc::c_int, libc::c_int) {
    // SAFETY: fcntl queries on descriptors the caller keeps open.
    let status = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    let descriptor = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert!(status >= 0 && descriptor >= 0, "fcntl on fd {}", fd);
    (status, descriptor)
}

fn is_nonblocking(fd: RawFd) -> bool {
    fd_flags(fd).0 & libc::O_NONBLOCK != 0
}

#[test]
fn new_pipe_round_trip() {
    let (mut sender, mut receiver) = pipe::new().unwrap();
    sender.write_all(b"hello pipe").unwrap();
    sender.flush().unwrap();
    let mut buf = [0u8; 32];
    let n = receiver.read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello pipe");
    // Empty now, and non-blocking: WouldBlock instead of waiting.
    let err = receiver.read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
}

#[test]
fn new_pipe_ends_are_nonblocking_and_close_on_exec() {
    let (sender, receiver) = new_pipe();
    for fd in [sender.as_raw_fd(), receiver.as_raw_fd()] {
        let (status, descriptor) = fd_flags(fd);
        assert_ne!(status & libc::O_NONBLOCK, 0, "fd {} is blocking", fd);
        assert_ne!(descriptor & libc::FD_CLOEXEC, 0, "fd {} is inherited", fd);
    }
    assert_eq!(
        fd_flags(receiver.as_raw_fd()).0 & libc::O_ACCMODE,
        libc::O_RDONLY
    );
    assert_eq!(
        fd_flags(sender.as_raw_fd()).0 & libc::O_ACCMODE,
        libc::O_WRONLY
    );
    assert_eq!(sender.as_fd().as_raw_fd(), sender.as_raw_fd());
    assert_eq!(receiver.as_fd().as_raw_fd(), receiver.as_raw_fd());
}

#[test]
fn read_and_write_through_shared_references() {
    let (sender, receiver) = new_pipe();
    let mut s: &Sender = &sender;
    let mut r: &Receiver = &receiver;
    s.write_all(b"by reference").unwrap();
    s.flush().unwrap();
    let mut buf = [0u8; 12];
    r.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"by reference");
    assert_eq!(r.read(&mut buf).unwrap_err().kind(), ErrorKind::WouldBlock);
}

#[test]
fn vectored_io() {
    let (mut sender, mut receiver) = new_pipe();
    let n = sender
        .write_vectored(&[
            IoSlice::new(b"abc"),
            IoSlice::new(b""),
            IoSlice::new(b"defg"),
        ])
        .unwrap();
    assert_eq!(n, 7);
    let n = (&sender).write_vectored(&[IoSlice::new(b"hi")]).unwrap();
    assert_eq!(n, 2);
    let (mut a, mut b) = ([0u8; 4], [0u8; 5]);
    let n = receiver
        .read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])
        .unwrap();
    assert_eq!(n, 9);
    assert_eq!(&a, b"abcd");
    assert_eq!(&b, b"efghi");
    let mut c = [0u8; 1];
    let err = (&receiver)
        .read_vectored(&mut [IoSliceMut::new(&mut c)])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
}

#[test]
fn end_of_file_and_broken_pipe() {
    let (sender, mut receiver) = new_pipe();
    (&sender).write_all(b"xy").unwrap();
    drop(sender);
    let mut out = Vec::new();
    assert_eq!(drain_into(&receiver, &mut out), Drained::Eof(2));
    assert_eq!(out, b"xy");
    let mut buf = [0u8; 4];
    assert_eq!(receiver.read(&mut buf).unwrap(), 0, "EOF stays EOF");

    let (mut sender, receiver) = new_pipe();
    drop(receiver);
    assert_eq!(
        sender.write(b"z").unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
}

#[test]
fn set_nonblocking_toggles_the_mode() {
    let (sender, receiver) = new_pipe();
    for fd in [sender.as_raw_fd(), receiver.as_raw_fd()] {
        assert!(is_nonblocking(fd));
    }
    receiver.set_nonblocking(false).unwrap();
    sender.set_nonblocking(false).unwrap();
    assert!(!is_nonblocking(receiver.as_raw_fd()));
    assert!(!is_nonblocking(sender.as_raw_fd()));
    // Idempotent.
    receiver.set_nonblocking(false).unwrap();
    assert!(!is_nonblocking(receiver.as_raw_fd()));

    // In blocking mode a read waits for the writer (here: another thread).
    let writer = std::thread::spawn(move || {
        (&sender).write_all(b"blocking").unwrap();
        sender
    });
    let mut buf = [0u8; 8];
    (&receiver).read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"blocking");
    let sender = writer.join().unwrap();

    receiver.set_nonblocking(true).unwrap();
    sender.set_nonblocking(true).unwrap();
    assert!(is_nonblocking(receiver.as_raw_fd()));
    assert!(is_nonblocking(sender.as_raw_fd()));
    assert_eq!(
        (&receiver).read(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    // The other flags are left alone.
    assert_eq!(
        fd_flags(receiver.as_raw_fd()).0 & libc::O_ACCMODE,
        libc::O_RDONLY
    );
}

#[test]
fn try_io_runs_the_callers_operation() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut sender, mut receiver) = new_pipe();
    poll.registry()
        .register(&mut receiver, RECEIVER, Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut sender, SENDER, Interest::WRITABLE)
        .unwrap();

    let fd = sender.as_raw_fd();
    let written = sender
        .try_io(|| {
            let data = b"raw write";
            // SAFETY: writes from a valid buffer to a descriptor we own.
            let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
            if n < 0 {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        })
        .unwrap();
    assert_eq!(written, 9);
    expect_event(&mut poll, &mut events, RECEIVER, "readable", |s| s.readable);

    let fd = receiver.as_raw_fd();
    let raw_read = |buf: &mut [u8]| {
        receiver.try_io(|| {
            // SAFETY: reads into a valid, exclusively borrowed buffer.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        })
    };
    let mut buf = [0u8; 32];
    let n = raw_read(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"raw write");
    // The caller's WouldBlock comes back unchanged.
    assert_eq!(
        raw_read(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    // Errors and values of any type pass through.
    let custom =
        sender.try_io(|| Err::<(), _>(std::io::Error::new(std::io::ErrorKind::Other, "mine")));
    assert_eq!(custom.unwrap_err().to_string(), "mine");
    assert_eq!(receiver.try_io(|| Ok("value")).unwrap(), "value");

    // After the WouldBlock a new write is a new event.
    sender.write_all(b"more").unwrap();
    expect_event(&mut poll, &mut events, RECEIVER, "readable again", |s| {
        s.readable
    });
}

#[test]
fn large_transfer_between_threads_with_polling() {
    const TOTAL: usize = 1 << 20;
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut sender, mut receiver) = new_pipe();
    poll.registry()
        .register(&mut receiver, RECEIVER, Interest::READABLE)
        .unwrap();

    let writer = std::thread::spawn(move || {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        poll.registry()
            .register(&mut sender, SENDER, Interest::WRITABLE)
            .unwrap();
        let data: Vec<u8> = (0..TOTAL).map(|i| (i % 251) as u8).collect();
        let mut offset = 0;
        let deadline = Instant::now() + WAIT;
        while offset < TOTAL {
            match (&sender).write(&data[offset..]) {
                Ok(n) => offset += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    assert!(Instant::now() < deadline, "writer stalled at {}", offset);
                    util::poll_retry(&mut poll, &mut events, Some(WAIT)).unwrap();
                }
                Err(e) => panic!("write: {}", e),
            }
        }
        // Dropping the sender ends the stream.
    });

    let mut got = Vec::with_capacity(TOTAL);
    let deadline = Instant::now() + WAIT;
    loop {
        match drain_into(&receiver, &mut got) {
            Drained::Eof(_) => break,
            Drained::WouldBlock(_) => {
                assert!(Instant::now() < deadline, "reader stalled at {}", got.len());
                util::poll_retry(&mut poll, &mut events, Some(WAIT)).unwrap();
            }
        }
    }
    writer.join().unwrap();
    assert_eq!(got.len(), TOTAL);
    assert!(
        got.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8),
        "data corrupted"
    );
}

/// Reads a polled receiver to end-of-file.
fn read_to_eof(poll: &mut Poll, events: &mut Events, receiver: &Receiver) -> Vec<u8> {
    let mut out = Vec::new();
    let deadline = Instant::now() + WAIT;
    loop {
        match drain_into(receiver, &mut out) {
            Drained::Eof(_) => return out,
            Drained::WouldBlock(_) => {
                assert!(
                    Instant::now() < deadline,
                    "no end-of-file within {:?}; got {:?}",
                    WAIT,
                    String::from_utf8_lossy(&out)
                );
                util::poll_retry(poll, events, Some(WAIT)).unwrap();
            }
        }
    }
}

#[test]
fn receiver_from_child_stdout() {
    let mut child = Command::new("printf")
        .arg("child %s\\n")
        .arg("output")
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn printf");
    let mut receiver = Receiver::from(child.stdout.take().unwrap());
    // A child's pipe starts out blocking.
    assert!(!is_nonblocking(receiver.as_raw_fd()));
    receiver.set_nonblocking(true).unwrap();

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    poll.registry()
        .register(&mut receiver, RECEIVER, Interest::READABLE)
        .unwrap();
    let out = read_to_eof(&mut poll, &mut events, &receiver);
    assert_eq!(out, b"child output\n");
    assert!(child.wait().unwrap().success());
}

#[test]
fn receiver_from_child_stderr() {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("echo to-stderr >&2")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sh");
    let mut receiver = Receiver::from(child.stderr.take().unwrap());
    receiver.set_nonblocking(true).unwrap();
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    poll.registry()
        .register(&mut receiver, RECEIVER, Interest::READABLE)
        .unwrap();
    let out = read_to_eof(&mut poll, &mut events, &receiver);
    assert_eq!(out, b"to-stderr\n");
    assert!(child.wait().unwrap().success());
}

#[test]
fn sender_to_child_stdin_and_back() {
    // `cat` copies what we write to its stdin back to its stdout; both ends
    // are polled, and more is sent than a pipe buffers, so both directions
    // have to wait for each other.
    const TOTAL: usize = 300 * 1024;
    let mut child = Command::new("cat")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn cat");
    let mut sender = Some(Sender::from(child.stdin.take().unwrap()));
    let mut receiver = Receiver::from(child.stdout.take().unwrap());
    assert!(!is_nonblocking(sender.as_ref().unwrap().as_raw_fd()));
    sender.as_ref().unwrap().set_nonblocking(true).unwrap();
    receiver.set_nonblocking(true).unwrap();

    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    poll.registry()
        .register(sender.as_mut().unwrap(), SENDER, Interest::WRITABLE)
        .unwrap();
    poll.registry()
        .register(&mut receiver, RECEIVER, Interest::READABLE)
        .unwrap();

    let data: Vec<u8> = (0..TOTAL).map(|i| (i % 199) as u8).collect();
    let mut offset = 0;
    let mut out = Vec::with_capacity(TOTAL);
    let deadline = Instant::now() + WAIT;
    loop {
        assert!(
            Instant::now() < deadline,
            "stalled: sent {}, received {}",
            offset,
            out.len()
        );
        if let Some(s) = sender.as_ref() {
            while offset < TOTAL {
                match (&*s).write(&data[offset..]) {
                    Ok(n) => offset += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => panic!("write to cat: {}", e),
                }
            }
            if offset == TOTAL {
                // Closing stdin makes cat finish.
                let mut s = sender.take().unwrap();
                poll.registry().deregister(&mut s).unwrap();
                drop(s);
            }
        }
        match drain_into(&receiver, &mut out) {
            Drained::Eof(_) => break,
            Drained::WouldBlock(_) => util::poll_retry(&mut poll, &mut events, Some(WAIT)).unwrap(),
        }
    }
    assert_eq!(offset, TOTAL);
    assert_eq!(out.len(), TOTAL);
    assert!(out == data, "cat returned different bytes");
    assert!(child.wait().unwrap().success());
}

#[test]
fn owned_fd_round_trips() {
    let (sender, receiver) = new_pipe();
    let (sfd, rfd) = (sender.as_raw_fd(), receiver.as_raw_fd());

    let owned_s: OwnedFd = sender.into();
    let owned_r: OwnedFd = OwnedFd::from(receiver);
    assert_eq!(owned_s.as_raw_fd(), sfd);
    assert_eq!(owned_r.as_raw_fd(), rfd);

    let mut sender = Sender::from(owned_s);
    let mut receiver = Receiver::from(owned_r);
    assert_eq!((sender.as_raw_fd(), receiver.as_raw_fd()), (sfd, rfd));
    sender.write_all(b"owned").unwrap();
    let mut buf = [0u8; 5];
    receiver.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"owned");

    // Into and back from raw descriptors.
    let raw_s = sender.into_raw_fd();
    let raw_r = receiver.into_raw_fd();
    assert_eq!((raw_s, raw_r), (sfd, rfd));
    // SAFETY: the raw descriptors were just released by `into_raw_fd` and are
    // owned by nothing else.
    let (mut sender, mut receiver) =
        unsafe { (Sender::from_raw_fd(raw_s), Receiver::from_raw_fd(raw_r)) };
    sender.write_all(b"raw").unwrap();
    let mut buf = [0u8; 3];
    receiver.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"raw");
    // Still non-blocking: the conversions keep the mode.
    assert!(is_nonblocking(sfd) && is_nonblocking(rfd));
}

// Apple's systems have no pipe2(2).
#[cfg(not(any(
    target_os = "ios",
    target_os = "macos",
    target_os = "tvos",
    target_os = "visionos",
    target_os = "watchos",
)))]
#[test]
fn pipe_from_foreign_descriptors_registers() {
    // A pipe made by libc, taken over with FromRawFd and polled.
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two descriptors.
    assert_eq!(
        unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) },
        0
    );
    // SAFETY: fresh descriptors, owned by nothing else.
    let (mut sender, mut receiver) =
        unsafe { (Sender::from_raw_fd(fds[1]), Receiver::from_raw_fd(fds[0])) };
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    poll.registry()
        .register(&mut receiver, RECEIVER, Interest::READABLE)
        .unwrap();
    sender.write_all(b"foreign").unwrap();
    let seen = expect_token(&mut poll, &mut events, RECEIVER);
    assert!(seen.readable);
    assert_eq!(drain(&receiver), Drained::WouldBlock(7));
}

#[test]
fn registered_pipe_converted_to_owned_fd_and_back() {
    // A registered end converted to an OwnedFd stays open and registered
    // with the OS; dropping it removes the registration.
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut sender, mut receiver) = new_pipe();
    poll.registry()
        .register(&mut receiver, RECEIVER, Interest::READABLE)
        .unwrap();
    let owned: OwnedFd = receiver.into();
    sender.write_all(b"1").unwrap();
    expect_token(&mut poll, &mut events, RECEIVER);
    drop(owned);
    let err = sender.write_all(b"2").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    expect_no_events(&mut poll, &mut events, "after the descriptor was closed");
}

#[test]
fn writable_after_full_pipe_is_drained() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut sender, receiver) = new_pipe();
    poll.registry()
        .register(&mut sender, SENDER, Interest::WRITABLE)
        .unwrap();
    expect_event(&mut poll, &mut events, SENDER, "writable", |s| s.writable);
    let written = fill(&sender);
    assert!(
        written >= 4096,
        "a pipe holds at least a page, wrote {}",
        written
    );
    expect_no_events(&mut poll, &mut events, "full pipe");
    assert_eq!(drain(&receiver), Drained::WouldBlock(written));
    expect_event(&mut poll, &mut events, SENDER, "writable again", |s| {
        s.writable
    });
}

#[test]
fn debug_output() {
    let (sender, receiver) = new_pipe();
    assert!(!format!("{:?}", sender).is_empty());
    assert!(!format!("{:?}", receiver).is_empty());
}
