//! The async runtime example allocates nothing per echoed message once
//! warmed up. The example's own modules are compiled into this test, with
//! the same counting global allocator, and driven with a bounded load.
// WASI preview 1 has no `Waker` and no `bind`/`connect`, which the runtime
// needs.
#![cfg(all(
    feature = "os-poll",
    feature = "net",
    not(all(target_os = "wasi", target_env = "p1"))
))]

#[path = "../examples/async_runtime/counting_alloc.rs"]
mod counting_alloc;
#[path = "../examples/async_runtime/echo.rs"]
mod echo;
#[path = "../examples/async_runtime/runtime.rs"]
mod runtime;

use std::time::Duration;

#[global_allocator]
static ALLOCATOR: counting_alloc::CountingAlloc = counting_alloc::CountingAlloc;

#[test]
fn echo_allocates_nothing_per_message_after_warm_up() {
    // 4 connections x 100 messages: 20 of each for warm-up, the rest
    // counted. The watchdog bounds the run at 60 s.
    let report = echo::run_load(
        "127.0.0.1:0".parse().unwrap(),
        4,
        100,
        true,
        Duration::from_secs(60),
    )
    .expect("run the load");
    assert!(!report.timed_out, "the load did not finish: {report:?}");
    assert_eq!(report.errors, 0, "{report:?}");
    assert_eq!(report.messages, 400, "{report:?}");
    assert!(report.measured_messages >= 300, "{report:?}");
    assert_eq!(report.allocations, Some(0), "{report:?}");
}

/// The counter itself works: a zero above means nothing was allocated, not
/// that nothing was counted.
#[test]
fn counting_allocator_counts() {
    counting_alloc::start();
    let boxed = std::hint::black_box(Box::new(7u64));
    let v: Vec<u8> = std::hint::black_box(Vec::with_capacity(100));
    let n = counting_alloc::stop();
    drop((boxed, v));
    assert_eq!(n, 2);
}
