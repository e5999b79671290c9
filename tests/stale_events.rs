//! No event names a source after it is gone: a `Waker` dropped with a wake
//! pending, a source deregistered or dropped with readiness pending. Found
//! on the kqueue backend, checked on every backend.

#![cfg(all(unix, feature = "os-ext"))]

mod util;

use std::io::Write;

use mio::unix::pipe;
use mio::{Events, Interest, Poll, Token, Waker};

use util::{expect_no_event_for, expect_token};

#[test]
fn a_dropped_waker_leaves_no_wake_behind() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let waker = Waker::new(poll.registry(), Token(9)).unwrap();
    waker.wake().unwrap();
    drop(waker);
    expect_no_event_for(&mut poll, &mut events, Token(9), "wake of a dropped waker");
}

#[test]
fn a_deregistered_source_leaves_no_event_behind() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut sender, mut receiver) = pipe::new().unwrap();
    poll.registry()
        .register(&mut receiver, Token(1), Interest::READABLE)
        .unwrap();
    poll.registry()
        .register(&mut sender, Token(2), Interest::WRITABLE)
        .unwrap();
    // Both ends become ready; nobody polls before they are deregistered.
    sender.write_all(b"pending").unwrap();
    poll.registry().deregister(&mut receiver).unwrap();
    poll.registry().deregister(&mut sender).unwrap();
    expect_no_event_for(&mut poll, &mut events, Token(1), "deregistered receiver");
    expect_no_event_for(&mut poll, &mut events, Token(2), "deregistered sender");
}

#[test]
fn a_dropped_source_leaves_no_event_behind() {
    let mut poll = Poll::new().unwrap();
    let mut events = Events::with_capacity(8);
    let (mut sender, mut receiver) = pipe::new().unwrap();
    poll.registry()
        .register(&mut receiver, Token(1), Interest::READABLE)
        .unwrap();
    sender.write_all(b"pending").unwrap();
    drop(receiver);
    expect_no_event_for(&mut poll, &mut events, Token(1), "dropped receiver");

    // The descriptor number comes back for a new pipe: only its own
    // registration reports.
    let (mut sender2, mut receiver2) = pipe::new().unwrap();
    poll.registry()
        .register(&mut receiver2, Token(3), Interest::READABLE)
        .unwrap();
    sender2.write_all(b"new").unwrap();
    let seen = expect_token(&mut poll, &mut events, Token(3));
    assert!(seen.readable);
    expect_no_event_for(&mut poll, &mut events, Token(1), "after fd reuse");
    drop(sender);
}
