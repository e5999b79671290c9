//! A global allocator that counts, for `--check-allocations`.
//!
//! It forwards everything to the system allocator. While counting is on
//! for a thread, every allocation made on that thread adds one to that
//! thread's count. Counting per thread keeps out what other threads do
//! (the watchdog, the test harness) and measures exactly the runtime
//! thread's steady state.
// The test suite includes this file too and uses only part of it.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

pub struct CountingAlloc;

thread_local! {
    // `const` initialisers and no destructors: these thread-locals need no
    // allocation and no registration, so the allocator itself may use them.
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

fn note() {
    // `try_with`: a thread that is being torn down still allocates.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = COUNT.try_with(|n| n.set(n.get() + 1));
        }
    });
}

// SAFETY: every call goes unchanged to `System`; counting touches only
// thread-local cells.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note();
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note();
        System.alloc_zeroed(layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note();
        System.realloc(ptr, layout, new_size)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
}

/// Starts counting this thread's allocations, from zero.
pub fn start() {
    COUNT.with(|n| n.set(0));
    COUNTING.with(|on| on.set(true));
}

/// Stops counting and returns how many allocations this thread made since
/// `start`.
pub fn stop() -> u64 {
    COUNTING.with(|on| on.set(false));
    COUNT.with(|n| n.get())
}
