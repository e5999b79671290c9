//! The process-wide side of `Signals`: one signal handler per signal
//! number, a fixed table of the sets that want signals, and the
//! bookkeeping that installs and restores dispositions.
//!
//! # What the handler touches
//!
//! Only statics made of atomics, allocated by nobody: `SLOTS` (one per
//! live `Signals`: the write end of its pipe, the signals it wants, those
//! that arrived) and `CHAINS` (per signal, the handler that was installed
//! before ours). It takes no lock, allocates nothing, and calls only
//! write(2) and the previous handler; it saves and restores `errno`.
//!
//! # What the handler never sees
//!
//! `BOOK`, under a mutex: per signal, how many sets want it, whether our
//! handler is installed and the full `sigaction` it replaced (to restore);
//! per slot, whether it is taken. Only `Signals` calls (new, add, remove,
//! drop) take it.
//!
//! # Closing a pipe under a running handler
//!
//! A handler reads a slot's descriptor and then writes to it; the slot's
//! owner may be dropped in between, and the number reused by an unrelated
//! file. So the handler counts itself in `busy` before it reads the
//! descriptor, and `release` withdraws the descriptor and waits for `busy`
//! to reach zero before the pipe is closed. Handlers never wait for
//! anything, so this wait is short.

use std::io;
use std::mem;
use std::os::unix::io::RawFd;
use std::ptr;
use std::sync::PoisonError;

use libc::{c_int, c_void};

use super::set::{position, SignalSet, LIMIT, WORDS};
use crate::sync::Ordering::SeqCst;
use crate::sync::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Mutex, MutexGuard};

// Under `--cfg loom` (model checking, `scripts/loom.sh`) the statics below
// are loom's lazily created per-execution statics, the table has two slots
// instead of 64 (fewer atomics for loom to track), and the handler's
// write(2) is recorded by the models instead (`table/models.rs`). Nothing
// else differs.
#[cfg(loom)]
mod models;

/// How many `Signals` can be alive at once.
#[cfg(not(loom))]
pub(crate) const SETS: usize = 64;
#[cfg(loom)]
pub(crate) const SETS: usize = 2;

struct Slot {
    /// The write end of the set's pipe; -1 while the slot is free.
    fd: AtomicI32,
    /// Handlers between their second look at `wanted` and their write.
    busy: AtomicUsize,
    wanted: [AtomicU64; WORDS],
    pending: [AtomicU64; WORDS],
}

/// The handler that was installed before ours, published seqlock-style:
/// `seq` is odd while `action` and `siginfo` are being rewritten.
struct Chain {
    seq: AtomicUsize,
    /// `sa_sigaction` (or `sa_handler`): `SIG_DFL`, `SIG_IGN` or a function.
    action: AtomicUsize,
    /// It was installed with `SA_SIGINFO`: it takes three arguments.
    siginfo: AtomicBool,
}

#[cfg(not(loom))]
#[allow(clippy::declare_interior_mutable_const)] // only used to fill the statics
const FREE_SLOT: Slot = Slot {
    fd: AtomicI32::new(-1),
    busy: AtomicUsize::new(0),
    wanted: [ZERO_WORD; WORDS],
    pending: [ZERO_WORD; WORDS],
};
#[cfg(not(loom))]
#[allow(clippy::declare_interior_mutable_const)]
const ZERO_WORD: AtomicU64 = AtomicU64::new(0);
#[cfg(not(loom))]
#[allow(clippy::declare_interior_mutable_const)]
const NO_CHAIN: Chain = Chain {
    seq: AtomicUsize::new(0),
    action: AtomicUsize::new(libc::SIG_DFL),
    siginfo: AtomicBool::new(false),
};

#[cfg(not(loom))]
static SLOTS: [Slot; SETS] = [FREE_SLOT; SETS];
#[cfg(not(loom))]
static CHAINS: [Chain; LIMIT] = [NO_CHAIN; LIMIT];

/// A disposition saved to be restored.
#[derive(Clone, Copy)]
struct Saved(libc::sigaction);

// SAFETY: a `sigaction` is plain data; where it has a pointer field (a
// user-data word on some systems) we never dereference it, only hand the
// whole struct back to sigaction(2).
unsafe impl Send for Saved {}

struct Book {
    /// How many sets want each signal.
    users: [u32; LIMIT],
    /// Our handler is installed, or sits in the chain of a handler that
    /// was installed over it.
    installed: [bool; LIMIT],
    /// What our handler replaced.
    saved: [Option<Saved>; LIMIT],
    taken: [bool; SETS],
}

const EMPTY_BOOK: Book = Book {
    users: [0; LIMIT],
    installed: [false; LIMIT],
    saved: [None; LIMIT],
    taken: [false; SETS],
};

#[cfg(not(loom))]
static BOOK: Mutex<Book> = Mutex::new(EMPTY_BOOK);

// Vectors rather than arrays: loom's atomics are large, and the models run
// on small coroutine stacks.
#[cfg(loom)]
loom::lazy_static! {
    static ref SLOTS: Vec<Slot> = (0..SETS)
        .map(|_| Slot {
            fd: AtomicI32::new(-1),
            busy: AtomicUsize::new(0),
            wanted: std::array::from_fn(|_| AtomicU64::new(0)),
            pending: std::array::from_fn(|_| AtomicU64::new(0)),
        })
        .collect();
    static ref CHAINS: Vec<Chain> = (0..LIMIT)
        .map(|_| Chain {
            seq: AtomicUsize::new(0),
            action: AtomicUsize::new(libc::SIG_DFL),
            siginfo: AtomicBool::new(false),
        })
        .collect();
    static ref BOOK: Mutex<Book> = Mutex::new(EMPTY_BOOK);
}

fn book() -> MutexGuard<'static, Book> {
    // Every update of the book is completed or undone before an error is
    // returned, so a poisoned lock still guards consistent data.
    BOOK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Takes a free slot for a set whose pipe's write end is `fd`.
pub(crate) fn claim(fd: RawFd) -> io::Result<usize> {
    let mut book = book();
    let index = book.taken.iter().position(|&taken| !taken).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::Other,
            "too many `Signals` sets alive at once (64)",
        )
    })?;
    let slot = &SLOTS[index];
    for word in slot.wanted.iter().chain(&slot.pending) {
        word.store(0, SeqCst);
    }
    slot.fd.store(fd, SeqCst);
    book.taken[index] = true;
    Ok(index)
}

/// Ends the set in `index`: unsubscribes all its signals and withdraws its
/// descriptor; afterwards no handler uses the descriptor any more.
pub(crate) fn release(index: usize) {
    let mut book = book();
    for signal in wanted(index).iter() {
        unsubscribe_locked(&mut book, index, signal);
    }
    let slot = &SLOTS[index];
    slot.fd.store(-1, SeqCst);
    crate::sync::seq_cst_fence_for_loom();
    while slot.busy.load(SeqCst) != 0 {
        crate::sync::yield_now();
    }
    book.taken[index] = false;
}

/// The signals the set in `index` wants.
pub(crate) fn wanted(index: usize) -> SignalSet {
    load(&SLOTS[index].wanted)
}

/// Takes what arrived for the set in `index` (only signals it still
/// wants).
pub(crate) fn take_pending(index: usize) -> SignalSet {
    let slot = &SLOTS[index];
    let mut words = [0; WORDS];
    for (i, word) in words.iter_mut().enumerate() {
        *word = slot.pending[i].swap(0, SeqCst) & slot.wanted[i].load(SeqCst);
    }
    SignalSet::from_words(words)
}

fn load(words: &[AtomicU64; WORDS]) -> SignalSet {
    let mut out = [0; WORDS];
    for (o, w) in out.iter_mut().zip(words) {
        *o = w.load(SeqCst);
    }
    SignalSet::from_words(out)
}

/// Makes the set in `index` want `signal` (a number `check` accepted),
/// installing the handler if no set wanted it yet.
pub(crate) fn subscribe(index: usize, signal: c_int) -> io::Result<()> {
    let (word, bit) =
        position(signal).ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
    let n = signal as usize;
    let mut book = book();
    let slot = &SLOTS[index];
    if slot.wanted[word].load(SeqCst) & bit != 0 {
        return Ok(());
    }
    if book.users[n] == 0 && !book.installed[n] {
        let saved = install(n, signal)?;
        book.saved[n] = Some(Saved(saved));
        book.installed[n] = true;
    }
    book.users[n] += 1;
    slot.wanted[word].fetch_or(bit, SeqCst);
    Ok(())
}

/// Makes the set in `index` stop wanting `signal`, restoring the previous
/// disposition if it was the last set that wanted it.
pub(crate) fn unsubscribe(index: usize, signal: c_int) {
    let mut book = book();
    unsubscribe_locked(&mut book, index, signal);
}

fn unsubscribe_locked(book: &mut Book, index: usize, signal: c_int) {
    let (word, bit) = match position(signal) {
        Some(position) => position,
        None => return,
    };
    let slot = &SLOTS[index];
    if slot.wanted[word].fetch_and(!bit, SeqCst) & bit == 0 {
        return;
    }
    let n = signal as usize;
    book.users[n] -= 1;
    if book.users[n] == 0 && book.installed[n] && uninstall(signal, book.saved[n]) {
        book.installed[n] = false;
        book.saved[n] = None;
    }
}

/// The address sigaction(2) knows our handler by.
fn our_handler() -> usize {
    handler as *const () as usize
}

fn blank_action() -> libc::sigaction {
    // SAFETY: `sigaction` is plain data; all-zero is `SIG_DFL` with no
    // flags and (on every system) an empty mask.
    unsafe { mem::zeroed() }
}

/// Installs our handler for `signal` (table index `n`); returns what it
/// replaced.
fn install(n: usize, signal: c_int) -> io::Result<libc::sigaction> {
    // Publish what is installed now before replacing it, so that the
    // handler can chain from its very first run.
    let mut current = blank_action();
    // SAFETY: a null new action only queries; `current` is a valid
    // sigaction to write into.
    syscall!(sigaction(signal, ptr::null(), &mut current))?;
    publish(n, &current);

    let mut ours = blank_action();
    ours.sa_sigaction = our_handler();
    // SA_RESTART: interrupted system calls of the program are restarted
    // (poll and epoll_wait still return EINTR; `Poll::poll` reports it).
    // SA_ONSTACK: run on the thread's alternate stack if it has one.
    ours.sa_flags = (libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK) as _;
    // SAFETY: `ours.sa_mask` is a sigset_t to initialise.
    syscall!(sigemptyset(&mut ours.sa_mask))?;
    let mut replaced = blank_action();
    // SAFETY: both point at valid sigactions that outlive the call.
    syscall!(sigaction(signal, &ours, &mut replaced))?;
    if !same_handler(&replaced, &current) {
        // Changed by someone else between the two calls.
        publish(n, &replaced);
    }
    Ok(replaced)
}

/// Puts `saved` back for `signal` if our handler is still the installed
/// one; true if it was restored. A handler installed over ours may chain to
/// it: then ours stays, and keeps chaining to what it replaced.
fn uninstall(signal: c_int, saved: Option<Saved>) -> bool {
    let saved = match saved {
        Some(Saved(saved)) => saved,
        None => return false,
    };
    let mut current = blank_action();
    // SAFETY: a null new action only queries; `current` is a valid
    // sigaction to write into.
    if syscall!(sigaction(signal, ptr::null(), &mut current)).is_err()
        || current.sa_sigaction != our_handler()
    {
        return false;
    }
    // SAFETY: `saved` is what sigaction(2) gave us for this signal.
    syscall!(sigaction(signal, &saved, ptr::null_mut())).is_ok()
}

fn same_handler(a: &libc::sigaction, b: &libc::sigaction) -> bool {
    a.sa_sigaction == b.sa_sigaction
        && (a.sa_flags & libc::SA_SIGINFO) == (b.sa_flags & libc::SA_SIGINFO)
}

/// Stores `action` as the handler to chain to for table index `n`. Only
/// called under `BOOK`, so writers never overlap.
fn publish(n: usize, action: &libc::sigaction) {
    let chain = &CHAINS[n];
    chain.seq.fetch_add(1, SeqCst);
    chain.action.store(action.sa_sigaction, SeqCst);
    chain
        .siginfo
        .store(action.sa_flags & libc::SA_SIGINFO != 0, SeqCst);
    chain.seq.fetch_add(1, SeqCst);
}

/// The signal handler. Async-signal-safe: atomics, write(2), errno.
extern "C" fn handler(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let errno = io::Error::last_os_error().raw_os_error();
    if let Some((word, bit)) = position(signal) {
        for slot in SLOTS.iter() {
            if slot.wanted[word].load(SeqCst) & bit == 0 {
                continue;
            }
            slot.busy.fetch_add(1, SeqCst);
            crate::sync::seq_cst_fence_for_loom();
            // Looked at again now that `release` waits for us: a set that
            // is going away has stopped wanting anything by then.
            if slot.wanted[word].load(SeqCst) & bit != 0 {
                let fd = slot.fd.load(SeqCst);
                if fd >= 0 {
                    // Before the write: whoever reads the byte sees the bit.
                    slot.pending[word].fetch_or(bit, SeqCst);
                    write_byte(fd);
                }
            }
            slot.busy.fetch_sub(1, SeqCst);
        }
        chain(signal, info, context);
    }
    if let Some(errno) = errno {
        set_errno(errno);
    }
}

/// Writes one byte to a set's pipe, from the handler.
#[cfg(not(loom))]
fn write_byte(fd: RawFd) {
    let byte = 1u8;
    // SAFETY: write(2) is async-signal-safe; it reads one byte from a
    // local. `fd` stays open while `busy` counts the handler (see
    // `release`). A full pipe (EAGAIN) already holds a wake-up, so the
    // result is ignored.
    let _ = unsafe { libc::write(fd, (&byte as *const u8).cast(), 1) };
}

/// Under loom: the models record the write and check `fd` is still open.
#[cfg(loom)]
fn write_byte(fd: RawFd) {
    models::wrote(fd);
}

/// Calls the handler that was installed before ours, if it is a function.
fn chain(signal: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
    let chain = match CHAINS.get(signal as usize) {
        Some(chain) => chain,
        None => return,
    };
    // A few tries; being rewritten means a `Signals` is being set up for
    // this signal right now, possibly on the thread this handler
    // interrupted, which cannot finish before we return: then no chaining
    // this once.
    for _ in 0..4 {
        let before = chain.seq.load(SeqCst);
        if before % 2 == 1 {
            return;
        }
        let action = chain.action.load(SeqCst);
        let siginfo = chain.siginfo.load(SeqCst);
        if chain.seq.load(SeqCst) != before {
            continue;
        }
        if action == libc::SIG_DFL || action == libc::SIG_IGN || action == our_handler() {
            // The default action is what our handler replaces: the signal
            // is caught. An ignored signal stays ignored.
            return;
        }
        if siginfo {
            // SAFETY: `action` is the `sa_sigaction` of a handler installed
            // with SA_SIGINFO, as sigaction(2) reported it: a function of
            // this signature.
            let f: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) =
                unsafe { mem::transmute(action) };
            f(signal, info, context);
        } else {
            // SAFETY: `action` is the `sa_handler` of a handler installed
            // without SA_SIGINFO: a function taking the signal number.
            let f: extern "C" fn(c_int) = unsafe { mem::transmute(action) };
            f(signal);
        }
        return;
    }
}

/// Puts `errno` back after the handler's system calls.
fn set_errno(value: c_int) {
    #[cfg(any(target_os = "illumos", target_os = "solaris"))]
    use libc::___errno as location;
    #[cfg(any(target_os = "android", target_os = "netbsd", target_os = "openbsd"))]
    use libc::__errno as location;
    #[cfg(any(
        target_os = "linux",
        target_os = "dragonfly",
        target_os = "hurd",
        target_os = "redox",
        target_os = "emscripten",
    ))]
    use libc::__errno_location as location;
    #[cfg(any(
        target_os = "freebsd",
        target_os = "ios",
        target_os = "macos",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
    ))]
    use libc::__error as location;
    #[cfg(target_os = "haiku")]
    use libc::_errnop as location;

    #[cfg(any(
        target_os = "linux",
        target_os = "dragonfly",
        target_os = "hurd",
        target_os = "redox",
        target_os = "emscripten",
        target_os = "android",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "freebsd",
        target_os = "ios",
        target_os = "macos",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
        target_os = "illumos",
        target_os = "solaris",
        target_os = "haiku",
    ))]
    // SAFETY: the C library's per-thread errno, always a valid pointer.
    unsafe {
        *location() = value;
    }
    // Elsewhere errno is left as the handler's write(2) left it.
    #[cfg(not(any(
        target_os = "linux",
        target_os = "dragonfly",
        target_os = "hurd",
        target_os = "redox",
        target_os = "emscripten",
        target_os = "android",
        target_os = "netbsd",
        target_os = "openbsd",
        target_os = "freebsd",
        target_os = "ios",
        target_os = "macos",
        target_os = "tvos",
        target_os = "visionos",
        target_os = "watchos",
        target_os = "illumos",
        target_os = "solaris",
        target_os = "haiku",
    )))]
    let _ = value;
}
