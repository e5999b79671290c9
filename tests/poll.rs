//! `Poll::poll`: timeouts, blocking, signals, and registering from other
//! threads while a poll is in progress.

#![cfg(feature = "os-poll")]
// WASI preview 1 leaves out the tests that need a `Waker`.
#![cfg_attr(all(target_os = "wasi", target_env = "p1"), allow(dead_code))]
// Some imports serve only the tests WASI leaves out (threads, ...).
#![cfg_attr(target_os = "wasi", allow(unused_imports))]

mod util;

#[cfg(unix)]
use std::io::ErrorKind;
#[cfg(unix)]
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
use mio::Waker;
use mio::{Events, Poll, Token};

#[cfg(unix)]
use util::WAIT;
use util::{current_tid, wait_until_sleeping, Watchdog};

const WAKER: Token = Token(1_000);

#[test]
fn new_poll_has_no_events() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    for _ in 0..3 {
        util::poll_retry(&mut poll, &mut events, Some(Duration::ZERO)).unwrap();
        assert!(events.is_empty(), "fresh Poll reported {:?}", events);
    }
}

#[test]
fn zero_timeout_returns_without_events() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    // Many zero-timeout polls in a row all return: none of them may block.
    for _ in 0..1_000 {
        util::poll_retry(&mut poll, &mut events, Some(Duration::ZERO)).unwrap();
        assert!(events.is_empty());
    }
}

#[test]
fn sub_millisecond_timeout_waits() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    for _ in 0..10 {
        let timeout = Duration::from_micros(100);
        let start = Instant::now();
        util::poll_retry(&mut poll, &mut events, Some(timeout)).unwrap();
        let elapsed = start.elapsed();
        assert!(events.is_empty(), "unexpected events: {:?}", events);
        assert!(
            elapsed >= timeout,
            "a {:?} timeout returned after only {:?}",
            timeout,
            elapsed
        );
    }
    // One nanosecond is not zero either: it must not be a non-blocking check
    // that returns before any time passed on the clock.
    let start = Instant::now();
    util::poll_retry(&mut poll, &mut events, Some(Duration::from_nanos(1))).unwrap();
    assert!(events.is_empty());
    assert!(start.elapsed() >= Duration::from_nanos(1));
}

#[test]
fn millisecond_timeout_waits_at_least_that_long() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    for ms in [1u64, 10, 25] {
        let timeout = Duration::from_millis(ms);
        let start = Instant::now();
        util::poll_retry(&mut poll, &mut events, Some(timeout)).unwrap();
        let elapsed = start.elapsed();
        assert!(events.is_empty());
        assert!(
            elapsed >= timeout,
            "{:?} timeout returned after {:?}",
            timeout,
            elapsed
        );
    }
}

// Not on WASI preview 1: it has no `Waker`.
#[cfg(not(all(target_os = "wasi", target_env = "p1")))]
#[test]
fn huge_timeout_is_accepted() {
    // A timeout beyond what the OS takes (epoll: i32 milliseconds) must not
    // overflow into a value the OS rejects (EINVAL) or a panic. A waker is
    // made ready first so that the call returns at once whatever the
    // (capped) timeout is.
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), WAKER).unwrap();
    for timeout in [
        Duration::from_secs(u64::MAX),
        Duration::MAX,
        Duration::from_millis(i32::MAX as u64 + 1),
    ] {
        waker.wake().unwrap();
        util::poll_retry(&mut poll, &mut events, Some(timeout)).unwrap();
        let tokens: Vec<Token> = events.iter().map(|e| e.token()).collect();
        assert_eq!(tokens, vec![WAKER], "timeout {:?}", timeout);
    }
}

// Not on WASI: no threads (spawning one fails with `Unsupported`).
#[cfg(not(target_os = "wasi"))]
#[test]
fn none_timeout_blocks_until_woken() {
    let _watchdog = Watchdog::new("none_timeout_blocks_until_woken", Duration::from_secs(60));
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).unwrap());
    let woken = Arc::new(AtomicBool::new(false));

    let (tid_tx, tid_rx) = mpsc::channel();
    let remote_waker = Arc::clone(&waker);
    let remote_woken = Arc::clone(&woken);
    let handle = thread::spawn(move || {
        let tid = tid_rx.recv().unwrap();
        // Best effort: give the poll a chance to really be blocked.
        wait_until_sleeping(tid);
        remote_woken.store(true, Ordering::SeqCst);
        remote_waker.wake().unwrap();
    });

    tid_tx.send(current_tid()).unwrap();
    util::poll_retry(&mut poll, &mut events, None).unwrap();
    // Nothing else is registered: the only way out is the wake, which
    // happens after the flag is set.
    assert!(
        woken.load(Ordering::SeqCst),
        "poll(None) returned before the wake"
    );
    let tokens: Vec<Token> = events.iter().map(|e| e.token()).collect();
    assert_eq!(tokens, vec![WAKER]);
    handle.join().unwrap();
}

// Signals are Unix's: Windows has no signal that interrupts a wait on a
// completion port (and `poll` never waits alertably).
#[cfg(unix)]
extern "C" fn ignore_signal(_: libc::c_int) {}

/// Installs a do-nothing SIGUSR1 handler without `SA_RESTART`. It is left in
/// place: restoring the default action could kill the process if a signal
/// sent by the test were still pending somewhere.
#[cfg(unix)]
fn install_sigusr1_handler() {
    // SAFETY: an all-zero sigaction is a valid starting point; the handler
    // is async-signal-safe (it does nothing).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = ignore_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = 0;
        libc::sigemptyset(&mut action.sa_mask);
        let rc = libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut());
        assert_eq!(rc, 0, "sigaction: {}", std::io::Error::last_os_error());
    }
}

#[cfg(unix)]
#[test]
fn signal_interrupts_a_blocked_poll() {
    install_sigusr1_handler();

    let mut poll = Poll::new().unwrap();
    // The waker only serves to end the test if the signal never gets through.
    let waker = Waker::new(poll.registry(), WAKER).unwrap();

    let (result_tx, result_rx) = mpsc::channel();
    let (exit_tx, exit_rx) = mpsc::channel::<()>();
    let poller = thread::spawn(move || {
        let mut events = Events::with_capacity(8);
        let result = poll.poll(&mut events, None);
        let tokens: Vec<Token> = events.iter().map(|e| e.token()).collect();
        result_tx.send((result, tokens)).unwrap();
        // Stay alive until the signalling side has stopped, so that its
        // pthread_kill never targets a finished thread.
        let _ = exit_rx.recv();
    });

    use std::os::unix::thread::JoinHandleExt;
    let target = poller.as_pthread_t();
    let deadline = Instant::now() + WAIT;
    let outcome = loop {
        // The signal can arrive before the poll has started, in which case it
        // is handled and lost: keep sending until the poll reports back.
        // SAFETY: `target` is a live thread: it does not exit before
        // `exit_tx` is used below.
        let rc = unsafe { libc::pthread_kill(target, libc::SIGUSR1) };
        assert_eq!(rc, 0, "pthread_kill failed: {}", rc);
        match result_rx.recv_timeout(Duration::from_millis(5)) {
            Ok(outcome) => break Some(outcome),
            Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < deadline => continue,
            Err(mpsc::RecvTimeoutError::Timeout) => break None,
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("poll thread died"),
        }
    };
    let outcome = match outcome {
        Some(outcome) => outcome,
        None => {
            waker.wake().unwrap();
            let late = result_rx.recv_timeout(WAIT);
            let _ = exit_tx.send(());
            panic!(
                "poll(None) was not interrupted by SIGUSR1 within {:?}; after a wake it returned {:?}",
                WAIT, late
            );
        }
    };
    exit_tx.send(()).unwrap();
    poller.join().unwrap();

    let (result, tokens) = outcome;
    match result {
        Err(err) => assert_eq!(
            err.kind(),
            ErrorKind::Interrupted,
            "unexpected error {:?}",
            err
        ),
        Ok(()) => panic!("poll returned Ok with {:?} instead of Interrupted", tokens),
    }
}

// On Windows `Poll` exposes no handle (as in mio).
#[cfg(unix)]
#[test]
fn poll_exposes_its_descriptor() {
    let poll = Poll::new().unwrap();
    let fd = poll.as_raw_fd();
    assert!(fd >= 0);
    assert_eq!(poll.registry().as_raw_fd(), fd);
    // The descriptor is close-on-exec.
    // SAFETY: fcntl on a descriptor that `poll` keeps open.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    assert!(flags >= 0);
    assert_ne!(flags & libc::FD_CLOEXEC, 0, "epoll fd is not close-on-exec");
    // A clone is the same queue: through a descriptor of its own
    // (a `dup`) on epoll, through the same descriptor, shared, on kqueue.
    let clone = poll.registry().try_clone().unwrap();
    if util::backend::KQUEUE {
        assert_eq!(clone.as_raw_fd(), fd);
    } else {
        assert_ne!(clone.as_raw_fd(), fd);
    }
    // SAFETY: as above, for the clone.
    let flags = unsafe { libc::fcntl(clone.as_raw_fd(), libc::F_GETFD) };
    assert_ne!(
        flags & libc::FD_CLOEXEC,
        0,
        "cloned epoll fd is not close-on-exec"
    );
}

// WASI preview 1 has no `Waker` and one thread: a poll without a timeout
// and with nothing registered could never return, so it is refused.
#[cfg(all(target_os = "wasi", target_env = "p1"))]
#[test]
fn none_timeout_with_nothing_to_wait_for_is_invalid_input() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let err = poll.poll(&mut events, None).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

#[test]
fn debug_output_of_poll_and_registry() {
    let poll = Poll::new().unwrap();
    assert!(format!("{:?}", poll).starts_with("Poll"));
    assert!(format!("{:?}", poll.registry()).starts_with("Registry"));
}

#[test]
fn poll_and_registry_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Poll>();
    assert_send_sync::<mio::Registry>();
    #[cfg(not(all(target_os = "wasi", target_env = "p1")))]
    assert_send_sync::<Waker>();
    assert_send_sync::<Events>();
}

#[cfg(all(unix, feature = "os-ext"))]
mod with_pipes {
    use std::io::{Read, Write};
    use std::sync::mpsc;
    use std::thread;
    use std::time::Duration;

    use mio::{Events, Interest, Poll, Token, Waker};

    use super::util::{current_tid, expect_token, new_pipe, wait_until_sleeping, Watchdog};

    const PIPE: Token = Token(7);
    const LATER: Token = Token(8);
    const WAKER: Token = Token(9);

    #[test]
    fn cloned_registry_registers_while_poll_is_blocked() {
        let _watchdog = Watchdog::new(
            "cloned_registry_registers_while_poll_is_blocked",
            Duration::from_secs(60),
        );
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let registry = poll.registry().try_clone().unwrap();
        // Lets the helper thread unblock the poll if its own part fails, so
        // that the failure is reported instead of hanging.
        let waker = Waker::new(poll.registry(), WAKER).unwrap();

        let (tid_tx, tid_rx) = mpsc::channel();
        let (ends_tx, ends_rx) = mpsc::channel();
        let helper = thread::spawn(move || {
            let tid = tid_rx.recv().unwrap();
            wait_until_sleeping(tid);
            let result = (|| {
                let (mut sender, mut receiver) = mio::unix::pipe::new()?;
                sender.write_all(b"ready")?;
                registry.register(&mut receiver, PIPE, Interest::READABLE)?;
                Ok::<_, std::io::Error>((sender, receiver))
            })();
            let failed = result.is_err();
            ends_tx.send(result).unwrap();
            if failed {
                waker.wake().unwrap();
            }
            // The registry clone works from here too, after the fact.
            registry
        });

        tid_tx.send(current_tid()).unwrap();
        let got = loop {
            super::util::poll_retry(&mut poll, &mut events, None).unwrap();
            if let Some(event) = events
                .iter()
                .find(|e| e.token() == PIPE || e.token() == WAKER)
            {
                break (event.token(), event.is_readable());
            }
        };
        let (_sender, mut receiver) = ends_rx.recv().unwrap().expect("helper thread failed");
        assert_eq!(
            got,
            (PIPE, true),
            "the blocked poll did not report the pipe"
        );
        let mut buf = [0u8; 16];
        assert_eq!(receiver.read(&mut buf).unwrap(), 5);
        assert_eq!(&buf[..5], b"ready");

        // The clone that came back still refers to the same queue: a source
        // registered with it is reported by the original `Poll`.
        let registry = helper.join().unwrap();
        let (mut sender, mut receiver) = new_pipe();
        registry
            .register(&mut receiver, LATER, Interest::READABLE)
            .unwrap();
        sender.write_all(b"x").unwrap();
        let seen = expect_token(&mut poll, &mut events, LATER);
        assert!(seen.readable);
        // And the original registry can deregister what the clone registered.
        poll.registry().deregister(&mut receiver).unwrap();
    }

    #[test]
    fn registration_from_another_thread_without_a_blocked_poll() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let registry = poll.registry().try_clone().unwrap();
        let (mut sender, mut receiver) = new_pipe();
        let receiver = thread::spawn(move || {
            registry
                .register(&mut receiver, PIPE, Interest::READABLE)
                .unwrap();
            receiver
        })
        .join()
        .unwrap();
        sender.write_all(b"abc").unwrap();
        let seen = expect_token(&mut poll, &mut events, PIPE);
        assert!(seen.readable);
        drop(receiver);
    }

    #[test]
    fn waiting_poll_reports_data_written_later() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (sender, mut receiver) = new_pipe();
        poll.registry()
            .register(&mut receiver, PIPE, Interest::READABLE)
            .unwrap();
        let (tid_tx, tid_rx) = mpsc::channel();
        let writer = thread::spawn(move || {
            let mut sender = sender;
            wait_until_sleeping(tid_rx.recv().unwrap());
            sender.write_all(b"late").unwrap();
            sender
        });
        tid_tx.send(current_tid()).unwrap();
        let seen = expect_token(&mut poll, &mut events, PIPE);
        assert!(seen.readable);
        let _sender = writer.join().unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(receiver.read(&mut buf).unwrap(), 4);
    }
}
