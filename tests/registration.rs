//! Registering, re-registering and deregistering the crate's own sources
//! (pipe ends), and the errors for misuse.

#![cfg(all(unix, feature = "os-ext"))]

mod util;

use std::io::{ErrorKind, Read, Write};
use std::thread;

use mio::event::Source;
use mio::unix::pipe::{Receiver, Sender};
use mio::{Events, Interest, Poll, Registry, Token};

use util::{
    assert_error, drain, expect_event, expect_no_event_for, expect_no_events, expect_token,
    new_pipe, ready_pipe, Drained,
};

const A: Token = Token(1);
const B: Token = Token(2);

#[test]
fn register_twice_with_the_same_poll_is_already_exists() {
    let poll = Poll::new().unwrap();
    let (_sender, mut receiver) = new_pipe();
    poll.registry()
        .register(&mut receiver, A, Interest::READABLE)
        .unwrap();
    assert_error(
        poll.registry()
            .register(&mut receiver, A, Interest::READABLE),
        ErrorKind::AlreadyExists,
        None,
        "second register, same token",
    );
    assert_error(
        poll.registry()
            .register(&mut receiver, B, Interest::WRITABLE),
        ErrorKind::AlreadyExists,
        None,
        "second register, other token and interest",
    );
    // The failed attempts left the first registration intact.
    poll.registry()
        .reregister(&mut receiver, B, Interest::READABLE)
        .unwrap();
    poll.registry().deregister(&mut receiver).unwrap();
}

#[test]
fn failed_second_register_keeps_the_first_registration_working() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut sender, mut receiver) = new_pipe();
    poll.registry()
        .register(&mut receiver, A, Interest::READABLE)
        .unwrap();
    assert!(poll
        .registry()
        .register(&mut receiver, B, Interest::READABLE)
        .is_err());
    sender.write_all(b"1").unwrap();
    let seen = expect_token(&mut poll, &mut events, A);
    assert!(seen.readable);
    expect_no_event_for(&mut poll, &mut events, B, "token of the failed register");
}

#[test]
fn register_with_a_second_poll_is_already_exists() {
    let mut first = Poll::new().unwrap();
    let mut second = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut sender, mut receiver) = new_pipe();
    first
        .registry()
        .register(&mut receiver, A, Interest::READABLE)
        .unwrap();
    assert_error(
        second
            .registry()
            .register(&mut receiver, B, Interest::READABLE),
        ErrorKind::AlreadyExists,
        None,
        "register with a second Poll",
    );
    // Registered with the first one, so the second cannot touch it either.
    assert_error(
        second
            .registry()
            .reregister(&mut receiver, B, Interest::READABLE),
        ErrorKind::AlreadyExists,
        None,
        "reregister with a Poll it is not registered with",
    );
    assert_error(
        second.registry().deregister(&mut receiver),
        ErrorKind::AlreadyExists,
        None,
        "deregister with a Poll it is not registered with",
    );

    // The first registration is unaffected by all of that.
    sender.write_all(b"x").unwrap();
    let seen = expect_token(&mut first, &mut events, A);
    assert!(seen.readable);
    expect_no_events(&mut second, &mut events, "second Poll");
}

#[test]
fn reregister_and_deregister_of_unregistered_source_is_not_found() {
    let poll = Poll::new().unwrap();
    let (mut sender, mut receiver) = new_pipe();
    assert_error(
        poll.registry()
            .reregister(&mut receiver, A, Interest::READABLE),
        ErrorKind::NotFound,
        None,
        "reregister of a never registered receiver",
    );
    assert_error(
        poll.registry().deregister(&mut receiver),
        ErrorKind::NotFound,
        None,
        "deregister of a never registered receiver",
    );
    assert_error(
        poll.registry()
            .reregister(&mut sender, A, Interest::WRITABLE),
        ErrorKind::NotFound,
        None,
        "reregister of a never registered sender",
    );
    assert_error(
        poll.registry().deregister(&mut sender),
        ErrorKind::NotFound,
        None,
        "deregister of a never registered sender",
    );
    // Both ends are still usable and registrable afterwards.
    poll.registry()
        .register(&mut receiver, A, Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut sender, B, Interest::WRITABLE)
        .unwrap();
}

#[test]
fn deregister_twice_is_not_found() {
    let poll = Poll::new().unwrap();
    let (_sender, mut receiver) = new_pipe();
    poll.registry()
        .register(&mut receiver, A, Interest::READABLE)
        .unwrap();
    poll.registry().deregister(&mut receiver).unwrap();
    assert_error(
        poll.registry().deregister(&mut receiver),
        ErrorKind::NotFound,
        None,
        "second deregister",
    );
    assert_error(
        poll.registry()
            .reregister(&mut receiver, A, Interest::READABLE),
        ErrorKind::NotFound,
        None,
        "reregister after deregister",
    );
}

#[test]
fn deregistered_source_gets_no_events() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut sender, mut receiver) = new_pipe();
    poll.registry()
        .register(&mut receiver, A, Interest::READABLE)
        .unwrap();
    poll.registry().deregister(&mut receiver).unwrap();
    sender.write_all(b"data").unwrap();
    expect_no_events(&mut poll, &mut events, "after deregister");
    // The data is still there to be read.
    let mut buf = [0u8; 8];
    assert_eq!(receiver.read(&mut buf).unwrap(), 4);
}

#[test]
fn deregister_drops_pending_readiness() {
    // Readiness that arrived before the deregistration but was not yet
    // collected by a poll is not reported afterwards.
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (_sender, mut receiver) = ready_pipe(b"pending");
    poll.registry()
        .register(&mut receiver, A, Interest::READABLE)
        .unwrap();
    poll.registry().deregister(&mut receiver).unwrap();
    expect_no_events(&mut poll, &mut events, "after deregister of a ready source");
}

#[test]
fn register_again_after_deregister() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut sender, mut receiver) = new_pipe();
    for round in 0..5 {
        let token = Token(100 + round);
        poll.registry()
            .register(&mut receiver, token, Interest::READABLE)
            .unwrap_or_else(|e| panic!("register in round {}: {}", round, e));
        sender.write_all(b"r").unwrap();
        let seen = expect_token(&mut poll, &mut events, token);
        assert!(seen.readable);
        assert_eq!(drain(&receiver), Drained::WouldBlock(1));
        poll.registry().deregister(&mut receiver).unwrap();
    }
}

#[test]
fn register_with_another_poll_after_deregister() {
    let mut first = Poll::new().unwrap();
    let mut second = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut sender, mut receiver) = new_pipe();

    first
        .registry()
        .register(&mut receiver, A, Interest::READABLE)
        .unwrap();
    first.registry().deregister(&mut receiver).unwrap();
    second
        .registry()
        .register(&mut receiver, B, Interest::READABLE)
        .unwrap();

    sender.write_all(b"moved").unwrap();
    let seen = expect_token(&mut second, &mut events, B);
    assert!(seen.readable);
    expect_no_events(&mut first, &mut events, "the Poll it moved away from");

    // The first Poll no longer owns it; the second one does.
    assert_error(
        first.registry().deregister(&mut receiver),
        ErrorKind::AlreadyExists,
        None,
        "deregister with the old Poll",
    );
    second.registry().deregister(&mut receiver).unwrap();

    // And back again.
    first
        .registry()
        .register(&mut receiver, A, Interest::READABLE)
        .unwrap();
    let seen = expect_token(&mut first, &mut events, A);
    assert!(
        seen.readable,
        "data still unread is reported on registration"
    );
}

#[test]
fn reregister_changes_token_and_interest() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut sender, mut receiver) = new_pipe();

    poll.registry()
        .register(&mut sender, A, Interest::READABLE)
        .unwrap();
    // A sender is never readable: nothing is reported.
    expect_no_events(&mut poll, &mut events, "sender with readable interest");

    poll.registry()
        .reregister(&mut sender, B, Interest::WRITABLE)
        .unwrap();
    let seen = expect_event(&mut poll, &mut events, B, "writable", |s| s.writable);
    assert!(!seen.readable);

    // Back to readable only: writable readiness is no longer reported even
    // after a re-arm.
    poll.registry()
        .reregister(&mut sender, A, Interest::READABLE)
        .unwrap();
    expect_no_events(&mut poll, &mut events, "sender back to readable interest");

    // Same with the receiver: WRITABLE interest does not report data.
    poll.registry()
        .register(&mut receiver, Token(3), Interest::WRITABLE)
        .unwrap();
    sender.write_all(b"data").unwrap();
    expect_no_events(&mut poll, &mut events, "receiver with writable interest");
    poll.registry()
        .reregister(
            &mut receiver,
            Token(4),
            Interest::READABLE | Interest::WRITABLE,
        )
        .unwrap();
    let seen = expect_token(&mut poll, &mut events, Token(4));
    assert!(seen.readable && !seen.writable);
}

#[test]
fn registration_through_a_cloned_registry_is_the_same_queue() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let clone = poll.registry().try_clone().unwrap();
    let (mut sender, mut receiver) = new_pipe();

    clone
        .register(&mut receiver, A, Interest::READABLE)
        .unwrap();
    // Already registered with the same queue through the original.
    assert_error(
        poll.registry()
            .register(&mut receiver, A, Interest::READABLE),
        ErrorKind::AlreadyExists,
        None,
        "register with the original after the clone",
    );
    poll.registry()
        .reregister(&mut receiver, B, Interest::READABLE)
        .unwrap();
    sender.write_all(b"c").unwrap();
    let seen = expect_token(&mut poll, &mut events, B);
    assert!(seen.readable);
    clone.deregister(&mut receiver).unwrap();

    // The clone outlives a dropped clone of its own.
    let second_clone = clone.try_clone().unwrap();
    drop(clone);
    second_clone
        .register(&mut receiver, A, Interest::READABLE)
        .unwrap();
    let seen = expect_token(&mut poll, &mut events, A);
    assert!(seen.readable);
}

#[test]
fn registry_clone_outlives_poll_without_panicking() {
    let poll = Poll::new().unwrap();
    let clone = poll.registry().try_clone().unwrap();
    drop(poll);
    let (_sender, mut receiver) = new_pipe();
    clone
        .register(&mut receiver, A, Interest::READABLE)
        .unwrap();
    clone.deregister(&mut receiver).unwrap();
}

#[test]
fn boxed_and_dyn_sources_register() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut sender, receiver) = new_pipe();
    let mut boxed: Box<dyn Source + Send> = Box::new(receiver);
    poll.registry()
        .register(&mut boxed, A, Interest::READABLE)
        .unwrap();
    assert_error(
        poll.registry().register(&mut boxed, A, Interest::READABLE),
        ErrorKind::AlreadyExists,
        None,
        "boxed source registered twice",
    );
    sender.write_all(b"b").unwrap();
    let seen = expect_token(&mut poll, &mut events, A);
    assert!(seen.readable);
    poll.registry()
        .reregister(&mut boxed, B, Interest::READABLE)
        .unwrap();
    // Reregistering re-arms: the unread byte is reported again.
    let seen = expect_token(&mut poll, &mut events, B);
    assert!(seen.readable);
    // Through an unsized `dyn Source` too.
    let dynamic: &mut dyn Source = &mut *boxed;
    poll.registry().deregister(dynamic).unwrap();
}

#[test]
fn dropping_a_registered_source_removes_it() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (sender, mut receiver) = new_pipe();
    let (mut sender2, mut receiver2) = new_pipe();
    poll.registry()
        .register(&mut receiver, A, Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut receiver2, B, Interest::READABLE)
        .unwrap();
    drop(receiver);
    // The sender of the dropped receiver now fails to write.
    let err = (&sender).write(b"x").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BrokenPipe);
    // The other registration works, and nothing is reported for the dropped one.
    sender2.write_all(b"y").unwrap();
    let got = util::poll_once(&mut poll, &mut events, Some(util::WAIT));
    assert!(
        got.iter().any(|s| s.token == B),
        "no event for B: {:?}",
        got
    );
    assert!(
        got.iter().all(|s| s.token != A),
        "event for dropped source: {:?}",
        got
    );
}

#[test]
fn tokens_are_not_interpreted() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let mut keep = Vec::new();
    for token in [
        Token(0),
        Token(usize::MAX),
        Token(usize::MAX - 1),
        // Only the top bit: bit 63, or bit 31 on 32-bit targets.
        Token(1 << (usize::BITS - 1)),
    ] {
        let (sender, mut receiver) = ready_pipe(b"t");
        poll.registry()
            .register(&mut receiver, token, Interest::READABLE)
            .unwrap();
        let seen = expect_token(&mut poll, &mut events, token);
        assert!(seen.readable, "token {:?}", token);
        keep.push((sender, receiver));
    }
    // The same token for two sources is allowed; both report it.
    let (_s1, mut r1) = ready_pipe(b"1");
    let (_s2, mut r2) = ready_pipe(b"2");
    poll.registry()
        .register(&mut r1, Token(42), Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut r2, Token(42), Interest::READABLE)
        .unwrap();
    let mut count = 0;
    let deadline = std::time::Instant::now() + util::WAIT;
    while count < 2 && std::time::Instant::now() < deadline {
        count += util::poll_once(&mut poll, &mut events, Some(util::QUIET))
            .iter()
            .filter(|s| s.token == Token(42))
            .count();
    }
    assert_eq!(count, 2, "two sources sharing a token");
}

#[test]
fn concurrent_registrations_from_many_threads() {
    const THREADS: usize = 4;
    const PER_THREAD: usize = 25;
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(16);
    let handles: Vec<thread::JoinHandle<Vec<(Sender, Receiver)>>> = (0..THREADS)
        .map(|t| {
            let registry: Registry = poll.registry().try_clone().unwrap();
            thread::spawn(move || {
                (0..PER_THREAD)
                    .map(|i| {
                        let (sender, mut receiver) = ready_pipe(b"z");
                        let token = Token(t * PER_THREAD + i);
                        registry
                            .register(&mut receiver, token, Interest::READABLE)
                            .unwrap();
                        (sender, receiver)
                    })
                    .collect()
            })
        })
        .collect();
    let _pipes: Vec<Vec<(Sender, Receiver)>> =
        handles.into_iter().map(|h| h.join().unwrap()).collect();

    let mut seen = vec![0usize; THREADS * PER_THREAD];
    let deadline = std::time::Instant::now() + util::WAIT;
    while seen.contains(&0) && std::time::Instant::now() < deadline {
        for s in util::poll_once(&mut poll, &mut events, Some(util::QUIET)) {
            seen[s.token.0] += 1;
        }
    }
    assert!(seen.iter().all(|&n| n == 1), "events per token: {:?}", seen);
}
