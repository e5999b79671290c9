//! Every interleaving (up to the preemption bound) of senders, the
//! receiver and disconnection, on the real channel types.
//!
//! "Readable" is the stand-in flag of `channel::imp` under loom: what a
//! poll would report. The property that matters is that no message and no
//! disconnection is ever stranded: once every thread is done, either the
//! receiver has seen everything, or the flag is set so that the next poll
//! reports an event and the receiver finds the rest.

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc as StdArc;

use loom::thread;

use crate::channel::{channel, Receiver, TryRecvError, TrySendError};

/// What one event's worth of receiving found.
#[derive(Default)]
struct Received {
    messages: Vec<u32>,
    disconnected: bool,
}

/// Receives until `Empty` or `Disconnected`, as after an event.
fn receive_all(receiver: &Receiver<u32>, into: &mut Received) {
    loop {
        match receiver.try_recv() {
            Ok(message) => {
                assert!(!into.disconnected, "a message after Disconnected");
                into.messages.push(message);
            }
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => {
                into.disconnected = true;
                return;
            }
        }
    }
}

/// Polls `rounds` times on the receiver's thread: receives only when the
/// flag says there is something.
fn poll_and_receive(receiver: &Receiver<u32>, got: &mut Received, rounds: usize) {
    for _ in 0..rounds {
        if got.disconnected {
            return;
        }
        if receiver.model_readable() {
            receive_all(receiver, got);
        }
        thread::yield_now();
    }
}

/// After every sender is done: unless the receiver already saw the end,
/// an event must be pending, and receiving then finds the rest.
fn finish(receiver: &Receiver<u32>, got: &mut Received) {
    if !got.disconnected {
        assert!(
            receiver.model_readable(),
            "lost wake-up: messages {:?} received, not disconnected, and no event pending",
            got.messages
        );
        receive_all(receiver, got);
    }
    assert!(got.disconnected, "every sender is gone but no Disconnected");
}

#[test]
fn loom_channel_two_senders_one_receiver() {
    super::check(|| {
        let (sender, receiver) = channel::<u32>(2).unwrap();
        let other = sender.clone();
        let a = thread::spawn(move || {
            sender.try_send(1).unwrap();
        });
        let b = thread::spawn(move || {
            other.try_send(2).unwrap();
        });
        let mut got = Received::default();
        poll_and_receive(&receiver, &mut got, 2);
        a.join().unwrap();
        b.join().unwrap();
        finish(&receiver, &mut got);
        got.messages.sort_unstable();
        assert_eq!(got.messages, [1, 2]);
    });
}

/// Capacity one: a sender may find the channel full; per-sender order holds
/// and every accepted message arrives exactly once.
#[test]
fn loom_channel_full_and_order() {
    super::check(|| {
        let (sender, receiver) = channel::<u32>(1).unwrap();
        let other = sender.clone();
        let a = thread::spawn(move || {
            let mut sent = Vec::new();
            for message in [10, 11] {
                match sender.try_send(message) {
                    Ok(()) => sent.push(message),
                    Err(TrySendError::Full(m)) => assert_eq!(m, message),
                    Err(e) => panic!("{e:?}"),
                }
            }
            sent
        });
        let b = thread::spawn(move || match other.try_send(20) {
            Ok(()) => vec![20],
            Err(TrySendError::Full(20)) => Vec::new(),
            Err(e) => panic!("{e:?}"),
        });
        let mut got = Received::default();
        poll_and_receive(&receiver, &mut got, 2);
        let mut sent = a.join().unwrap();
        sent.extend(b.join().unwrap());
        finish(&receiver, &mut got);
        let from_a: Vec<u32> = got.messages.iter().copied().filter(|&m| m < 20).collect();
        let mut sorted_a = from_a.clone();
        sorted_a.sort_unstable();
        assert_eq!(from_a, sorted_a, "one sender's messages out of order");
        got.messages.sort_unstable();
        sent.sort_unstable();
        assert_eq!(got.messages, sent);
    });
}

/// A sender that clones itself on another thread while the original is
/// dropped: `Disconnected` comes only after the last of them, and after
/// every message they sent.
#[test]
fn loom_channel_clone_racing_drop() {
    super::check(|| {
        let (sender, receiver) = channel::<u32>(2).unwrap();
        let original = sender.clone();
        let a = thread::spawn(move || {
            let clone = sender.clone();
            drop(sender);
            clone.try_send(7).unwrap();
        });
        let b = thread::spawn(move || drop(original));
        let mut got = Received::default();
        poll_and_receive(&receiver, &mut got, 2);
        a.join().unwrap();
        b.join().unwrap();
        finish(&receiver, &mut got);
        assert_eq!(got.messages, [7]);
    });
}

/// Counts drops, to check that a message is dropped exactly once whether
/// it was refused, left in the buffer or received.
struct Counted(StdArc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// The receiver dropped while two senders send: each message is either
/// refused with `Disconnected` (and given back) or accepted, and then
/// dropped with the buffer; never lost or dropped twice.
#[test]
fn loom_channel_receiver_dropped_while_sending() {
    super::check(|| {
        let drops = StdArc::new(AtomicUsize::new(0));
        let (sender, receiver) = channel::<Counted>(1).unwrap();
        let other = sender.clone();
        let spawn_send = |sender: crate::channel::Sender<Counted>| {
            let drops = StdArc::clone(&drops);
            thread::spawn(move || match sender.try_send(Counted(drops)) {
                Ok(()) => 1,
                Err(TrySendError::Full(m)) | Err(TrySendError::Disconnected(m)) => {
                    drop(m);
                    0
                }
            })
        };
        let a = spawn_send(sender);
        let b = spawn_send(other);
        drop(receiver);
        let accepted: usize = a.join().unwrap() + b.join().unwrap();
        assert!(accepted <= 1, "capacity one accepted {accepted}");
        assert_eq!(drops.load(SeqCst), 2, "a message lost or dropped twice");
    });
}
