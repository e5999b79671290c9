//! `mio::channel`: several sending threads, every message once and in
//! per-sender order, capacity, disconnection both ways, and the readiness
//! rules (an event per batch, none while empty).

// WASI has no `mio::channel` (no threads, pipes or timer descriptors to build
// it on).
#![cfg(all(feature = "channel", not(target_os = "wasi")))]

// Every test here is portable: they run on every Unix backend and on
// Windows.
#[cfg(any(unix, windows))]
mod util;

#[cfg(any(unix, windows))]
mod portable {
    use std::error::Error;
    use std::io::ErrorKind;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::thread;
    use std::time::{Duration, Instant};

    use mio::channel::{channel, Receiver, TryRecvError, TrySendError};
    use mio::{Events, Interest, Poll, Token};

    use super::util::{expect_no_event_for, expect_token, poll_once, WAIT};

    const RX: Token = Token(3);

    fn setup<T>(capacity: usize) -> (Poll, Events, mio::channel::Sender<T>, Receiver<T>) {
        let poll = Poll::new().unwrap();
        let events = Events::with_capacity(16);
        let (sender, mut receiver) = channel(capacity).unwrap();
        poll.registry()
            .register(&mut receiver, RX, Interest::READABLE)
            .unwrap();
        (poll, events, sender, receiver)
    }

    #[test]
    fn several_senders_every_message_once_in_per_sender_order() {
        const SENDERS: usize = 4;
        const PER_SENDER: u64 = 20_000;
        let (mut poll, mut events, sender, receiver) = setup::<(usize, u64)>(64);
        let threads: Vec<_> = (0..SENDERS)
            .map(|id| {
                let sender = sender.clone();
                thread::spawn(move || {
                    let mut fulls = 0u64;
                    for seq in 0..PER_SENDER {
                        let mut message = (id, seq);
                        loop {
                            match sender.try_send(message) {
                                Ok(()) => break,
                                Err(TrySendError::Full(m)) => {
                                    fulls += 1;
                                    message = m;
                                    thread::yield_now();
                                }
                                Err(TrySendError::Disconnected(_)) => panic!("receiver gone"),
                            }
                        }
                    }
                    fulls
                })
            })
            .collect();
        drop(sender);

        let mut next = [0u64; SENDERS];
        let mut received = 0u64;
        let deadline = Instant::now() + 6 * WAIT;
        'outer: loop {
            assert!(Instant::now() < deadline, "took too long: {:?}", next);
            // Every poll must report something while messages are owed:
            // a lost wake-up shows as a poll that times out.
            let seen = poll_once(&mut poll, &mut events, Some(WAIT));
            assert!(
                !seen.is_empty(),
                "no event within {:?} with {} messages received: lost wake-up",
                WAIT,
                received
            );
            loop {
                match receiver.try_recv() {
                    Ok((id, seq)) => {
                        assert_eq!(seq, next[id], "sender {} out of order", id);
                        next[id] += 1;
                        received += 1;
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => break 'outer,
                }
            }
        }
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(received, SENDERS as u64 * PER_SENDER);
        assert!(next.iter().all(|&n| n == PER_SENDER), "{:?}", next);
        assert_eq!(receiver.try_recv(), Err(TryRecvError::Disconnected));
    }

    #[test]
    fn capacity_is_respected() {
        let (_poll, _events, sender, receiver) = setup::<u32>(3);
        assert_eq!(sender.capacity(), 3);
        assert_eq!(receiver.capacity(), 3);
        for i in 0..3 {
            sender.try_send(i).unwrap();
        }
        let err = sender.try_send(3).unwrap_err();
        assert!(err.is_full() && !err.is_disconnected());
        assert_eq!(err, TrySendError::Full(3));
        assert_eq!(receiver.try_recv(), Ok(0));
        sender.try_send(3).unwrap();
        assert_eq!(sender.try_send(4), Err(TrySendError::Full(4)));
        for i in 1..4 {
            assert_eq!(receiver.try_recv(), Ok(i));
        }
        assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
    }

    #[test]
    fn zero_capacity_is_refused() {
        let err = channel::<u8>(0).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn an_event_per_batch_and_none_while_empty() {
        let (mut poll, mut events, sender, receiver) = setup::<u8>(8);
        expect_no_event_for(&mut poll, &mut events, RX, "nothing sent");
        assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));

        sender.try_send(1).unwrap();
        sender.try_send(2).unwrap();
        let seen = expect_token(&mut poll, &mut events, RX);
        assert!(seen.readable, "{:?}", seen);
        assert_eq!(receiver.try_recv(), Ok(1));
        assert_eq!(receiver.try_recv(), Ok(2));
        assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
        expect_no_event_for(&mut poll, &mut events, RX, "drained");

        // The next message makes a new event.
        sender.try_send(3).unwrap();
        expect_token(&mut poll, &mut events, RX);
        assert_eq!(receiver.try_recv(), Ok(3));
        assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));

        // Received before polling: at most a spurious event, then quiet.
        sender.try_send(4).unwrap();
        assert_eq!(receiver.try_recv(), Ok(4));
        assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
        let _ = poll_once(&mut poll, &mut events, Some(Duration::ZERO));
        expect_no_event_for(&mut poll, &mut events, RX, "received early");
    }

    #[test]
    fn the_last_sender_leaving_is_an_event() {
        let (mut poll, mut events, sender, receiver) = setup::<u8>(4);
        let second = sender.clone();
        drop(sender);
        expect_no_event_for(&mut poll, &mut events, RX, "a sender remains");
        assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));

        second.try_send(9).unwrap();
        drop(second);
        expect_token(&mut poll, &mut events, RX);
        // Messages first, then the disconnection, for good.
        assert_eq!(receiver.try_recv(), Ok(9));
        assert_eq!(receiver.try_recv(), Err(TryRecvError::Disconnected));
        assert_eq!(receiver.try_recv(), Err(TryRecvError::Disconnected));
        expect_no_event_for(&mut poll, &mut events, RX, "disconnected, drained");
    }

    #[test]
    fn disconnection_while_drained_is_an_event() {
        let (mut poll, mut events, sender, receiver) = setup::<u8>(4);
        sender.try_send(1).unwrap();
        expect_token(&mut poll, &mut events, RX);
        assert_eq!(receiver.try_recv(), Ok(1));
        assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));
        thread::spawn(move || drop(sender)).join().unwrap();
        expect_token(&mut poll, &mut events, RX);
        assert_eq!(receiver.try_recv(), Err(TryRecvError::Disconnected));
    }

    /// Counts its drops.
    struct Tracked(Arc<AtomicUsize>);

    impl Drop for Tracked {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn dropping_the_receiver_disconnects_and_drops_what_was_left() {
        let drops = Arc::new(AtomicUsize::new(0));
        let (sender, receiver) = channel(4).unwrap();
        for _ in 0..3 {
            assert!(sender.try_send(Tracked(Arc::clone(&drops))).is_ok());
        }
        drop(receiver);
        assert_eq!(drops.load(Ordering::SeqCst), 3);
        match sender.try_send(Tracked(Arc::clone(&drops))) {
            Err(TrySendError::Disconnected(message)) => drop(message),
            _ => panic!("expected Disconnected"),
        }
        assert_eq!(drops.load(Ordering::SeqCst), 4);
    }

    #[test]
    fn a_dropped_receiver_reports_nothing_more() {
        // Its registration ends with it, even while senders remain and a
        // notification was pending.
        let (mut poll, mut events, sender, receiver) = setup::<u8>(4);
        sender.try_send(1).unwrap();
        drop(receiver);
        expect_no_event_for(&mut poll, &mut events, RX, "receiver dropped");
        expect_no_event_for(&mut poll, &mut events, RX, "receiver dropped, again");
        assert!(sender.try_send(2).unwrap_err().is_disconnected());
    }

    #[test]
    fn reregister_and_deregister() {
        let (mut poll, mut events, sender, mut receiver) = setup::<u8>(4);
        poll.registry()
            .reregister(&mut receiver, Token(40), Interest::READABLE)
            .unwrap();
        sender.try_send(1).unwrap();
        expect_token(&mut poll, &mut events, Token(40));
        assert_eq!(receiver.try_recv(), Ok(1));
        assert_eq!(receiver.try_recv(), Err(TryRecvError::Empty));

        poll.registry().deregister(&mut receiver).unwrap();
        sender.try_send(2).unwrap();
        expect_no_event_for(&mut poll, &mut events, Token(40), "deregistered");
        assert_eq!(receiver.try_recv(), Ok(2));
    }

    #[test]
    fn registration_rules() {
        let (poll, _events, _sender, mut receiver) = setup::<u8>(4);
        let err = poll
            .registry()
            .register(&mut receiver, RX, Interest::READABLE)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::AlreadyExists);
        poll.registry().deregister(&mut receiver).unwrap();
        let err = poll.registry().deregister(&mut receiver).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        let err = poll
            .registry()
            .reregister(&mut receiver, RX, Interest::READABLE)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[test]
    fn messages_sent_before_registering_are_reported() {
        let mut poll = Poll::new().unwrap();
        let mut events = Events::with_capacity(8);
        let (sender, mut receiver) = channel::<u8>(4).unwrap();
        sender.try_send(1).unwrap();
        poll.registry()
            .register(&mut receiver, RX, Interest::READABLE)
            .unwrap();
        expect_token(&mut poll, &mut events, RX);
        assert_eq!(receiver.try_recv(), Ok(1));
    }

    #[test]
    fn dropping_the_poll_with_an_event_on_its_way() {
        let (poll, _events, sender, receiver) = setup::<u8>(4);
        sender.try_send(1).unwrap();
        drop(poll);
        assert_eq!(receiver.try_recv(), Ok(1));
        sender.try_send(2).unwrap();
        assert_eq!(receiver.try_recv(), Ok(2));
    }

    #[test]
    fn many_short_bursts_never_lose_a_wake_up() {
        // One message at a time, the receiver polling with no slack: any
        // lost notification shows as a poll that times out.
        let (mut poll, mut events, sender, receiver) = setup::<u32>(1);
        let producer = thread::spawn(move || {
            for i in 0..5_000 {
                let mut message = i;
                while let Err(e) = sender.try_send(message) {
                    assert!(e.is_full());
                    message = e.into_inner();
                    thread::yield_now();
                }
            }
        });
        let mut expected = 0;
        loop {
            let seen = poll_once(&mut poll, &mut events, Some(WAIT));
            assert!(!seen.is_empty(), "lost wake-up after {} messages", expected);
            match receiver.try_recv() {
                Ok(i) => {
                    assert_eq!(i, expected);
                    expected += 1;
                    // Drain to Empty, as the contract says.
                    loop {
                        match receiver.try_recv() {
                            Ok(i) => {
                                assert_eq!(i, expected);
                                expected += 1;
                            }
                            Err(TryRecvError::Empty) => break,
                            Err(TryRecvError::Disconnected) => break,
                        }
                    }
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => break,
            }
            if expected == 5_000 && receiver.try_recv() == Err(TryRecvError::Disconnected) {
                break;
            }
        }
        producer.join().unwrap();
        assert_eq!(expected, 5_000);
    }

    #[test]
    fn errors_describe_themselves() {
        let full: Box<dyn Error> = Box::new(TrySendError::Full(1u8));
        assert_eq!(full.to_string(), "sending on a full channel");
        assert_eq!(format!("{:?}", TrySendError::Full(1u8)), "Full(..)");
        assert_eq!(
            format!("{:?}", TrySendError::Disconnected(String::new())),
            "Disconnected(..)"
        );
        assert_eq!(TrySendError::Disconnected(7).into_inner(), 7);
        let empty: Box<dyn Error> = Box::new(TryRecvError::Empty);
        assert_eq!(empty.to_string(), "receiving on an empty channel");
        assert_eq!(
            TryRecvError::Disconnected.to_string(),
            "receiving on an empty and disconnected channel"
        );
        let (sender, receiver) = channel::<u8>(2).unwrap();
        assert!(format!("{:?}", sender).starts_with("Sender"));
        assert!(format!("{:?}", receiver).starts_with("Receiver"));
    }

    #[test]
    fn both_ends_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<mio::channel::Sender<String>>();
        check::<Receiver<String>>();
    }
}

#[cfg(not(any(unix, windows)))]
#[test]
fn channels_are_unsupported_here() {
    let err = mio::channel::channel::<u8>(1).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Unsupported);
}
