//! Named pipes over overlapped I/O, made to look ready-based.
//!
//! A pipe handle is associated with the selector's completion port when it
//! is first registered (for ever: an association cannot be undone). From
//! then on the pipe keeps one overlapped read in flight into an internal
//! buffer; `read` copies out of that buffer and starts the next read once
//! it is empty, returning `WouldBlock` meanwhile. `write` copies the data
//! into an internal buffer and starts an overlapped write, returning at
//! once; while it is in flight, further writes return `WouldBlock`. A read
//! that completes is a readable event, a write or connect that completes a
//! writable one: completions are edges, so the events are edge-triggered
//! by construction.
//!
//! # Memory
//!
//! Everything the kernel writes to (the `OVERLAPPED` blocks and the two
//! buffers) lives in one `Arc<PipeShared>`; each operation in flight owns
//! a strong reference to it, given up when the operation starts and taken
//! back when its packet is dequeued. The `OVERLAPPED` blocks are the first
//! field of `PipeShared` (`repr(C)`), so the packet's `lpOverlapped` finds
//! the pipe: operation block `i` sits `i` blocks after the start.
//!
//! Dropping the `NamedPipe` cancels the read and a pending connect; a
//! write in flight is left to finish, so that written data is not lost.
//! The handle is closed when the last operation has come back.

use std::cell::UnsafeCell;
use std::ffi::OsStr;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle, RawHandle};
use std::ptr::{self, NonNull};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::{fmt, io};

use windows_sys::Win32::Foundation::{
    GetLastError, ERROR_BROKEN_PIPE, ERROR_IO_PENDING, ERROR_MORE_DATA, ERROR_NO_DATA,
    ERROR_OPERATION_ABORTED, ERROR_PIPE_CONNECTED, ERROR_PIPE_LISTENING, ERROR_PIPE_NOT_CONNECTED,
    HANDLE, INVALID_HANDLE_VALUE,
};
use windows_sys::Win32::Storage::FileSystem::{
    ReadFile, SetFileCompletionNotificationModes, WriteFile, FILE_FLAG_FIRST_PIPE_INSTANCE,
    FILE_FLAG_OVERLAPPED, PIPE_ACCESS_DUPLEX,
};
use windows_sys::Win32::System::Pipes::{
    ConnectNamedPipe, CreateNamedPipeW, DisconnectNamedPipe, PIPE_READMODE_BYTE, PIPE_TYPE_BYTE,
    PIPE_UNLIMITED_INSTANCES, PIPE_WAIT,
};
use windows_sys::Win32::System::WindowsProgramming::FILE_SKIP_SET_EVENT_ON_HANDLE;
use windows_sys::Win32::System::IO::{CancelIoEx, GetOverlappedResult, OVERLAPPED};

use super::afd::{POLL_DISCONNECT, POLL_RECEIVE, POLL_SEND};
use super::event::POLL_FAILED;
use super::selector::{lock, poll_dropped, SelectorInner, KEY_PIPE};
use super::Selector;
use crate::sys::registration;
use crate::{Interest, Token};

/// Size of each of the two buffers, and so the most one read returns and
/// one write accepts. Also the pipe's buffer sizes for `new`.
const BUF_SIZE: usize = 64 * 1024;

const READ: u8 = 0b01;
const WRITE: u8 = 0b10;

/// The operations, by index into `PipeShared::ops`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
enum Op {
    Connect = 0,
    Read = 1,
    Write = 2,
    /// A posted packet: "report the readiness the pipe has now".
    Notify = 3,
}

/// One operation's `OVERLAPPED`, first so that a pointer to the block is a
/// pointer to the `OpBlock`.
#[repr(C)]
struct OpBlock {
    overlapped: UnsafeCell<OVERLAPPED>,
    op: Op,
}

impl OpBlock {
    fn new(op: Op) -> OpBlock {
        OpBlock {
            overlapped: UnsafeCell::new(OVERLAPPED::default()),
            op,
        }
    }
}

/// A heap buffer the kernel reads or writes while an operation is in
/// flight; held by raw pointer so that no Rust reference to it exists then.
struct IoBuf {
    ptr: NonNull<u8>,
    len: usize,
}

impl IoBuf {
    fn new(len: usize) -> IoBuf {
        let boxed: Box<[u8]> = vec![0; len].into_boxed_slice();
        let ptr = Box::into_raw(boxed).cast::<u8>();
        IoBuf {
            ptr: NonNull::new(ptr).expect("Box::into_raw is never null"),
            len,
        }
    }
}

impl Drop for IoBuf {
    fn drop(&mut self) {
        let slice = ptr::slice_from_raw_parts_mut(self.ptr.as_ptr(), self.len);
        // SAFETY: `ptr`/`len` came from `Box::into_raw` of a boxed slice of
        // that length in `new`, and the buffer is dropped once. It is only
        // dropped with `PipeShared`, after every operation has completed.
        drop(unsafe { Box::from_raw(slice) });
    }
}

/// Everything about one pipe; see the module docs.
#[repr(C)]
pub(crate) struct PipeShared {
    /// Must stay the first field (see the module docs).
    ops: [OpBlock; 4],
    handle: OwnedHandle,
    /// The selector the handle is associated with, with its id; set once.
    selector: OnceLock<(usize, Weak<SelectorInner>)>,
    state: Mutex<State>,
}

// SAFETY: the `OVERLAPPED` blocks and the buffers behind `IoBuf` are only
// touched with `state` locked and when their operation is not in flight;
// everything else is `Send` and `Sync`.
unsafe impl Send for PipeShared {}
// SAFETY: as above.
unsafe impl Sync for PipeShared {}

enum ReadState {
    /// No read in flight, nothing buffered.
    Idle,
    Pending,
    /// Bytes `start..end` of the read buffer are unread.
    Ready {
        start: usize,
        end: usize,
    },
    /// The writer closed its end.
    Eof,
    Failed(io::Error),
}

struct State {
    registered: bool,
    token: usize,
    interests: u8,
    connecting: bool,
    /// A server end with no client (a read said so): nothing to write to,
    /// so not writable until a connect completes.
    listening: bool,
    read: ReadState,
    read_buf: Option<IoBuf>,
    /// A write in flight sends bytes `write_start..write_end` of the buffer.
    write_pending: bool,
    write_start: usize,
    write_end: usize,
    write_buf: Option<IoBuf>,
    notify_pending: bool,
    /// An error of a connect or write that completed, for `take_error` (or
    /// the next `write`).
    error: Option<io::Error>,
    /// The `NamedPipe` was dropped, or its selector: start nothing new.
    closed: bool,
}

// SAFETY: `IoBuf` is a uniquely owned heap buffer.
unsafe impl Send for IoBuf {}

pub(crate) struct NamedPipe {
    shared: Arc<PipeShared>,
}

impl NamedPipe {
    /// Creates the first instance of a new pipe named `addr`, duplex,
    /// byte-oriented and overlapped; `connect` then waits for a client.
    pub(crate) fn new(addr: &OsStr) -> io::Result<NamedPipe> {
        let name: Vec<u16> = addr.encode_wide().chain(Some(0)).collect();
        // SAFETY: `name` is NUL-terminated and outlives the call; default
        // security attributes.
        let handle = unsafe {
            CreateNamedPipeW(
                name.as_ptr(),
                PIPE_ACCESS_DUPLEX | FILE_FLAG_FIRST_PIPE_INSTANCE | FILE_FLAG_OVERLAPPED,
                PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT,
                PIPE_UNLIMITED_INSTANCES,
                BUF_SIZE as u32,
                BUF_SIZE as u32,
                0,
                ptr::null(),
            )
        };
        if handle == INVALID_HANDLE_VALUE {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `handle` was just created and is owned by nothing else.
        Ok(NamedPipe::from(unsafe {
            OwnedHandle::from_raw_handle(handle)
        }))
    }

    pub(crate) fn connect(&self) -> io::Result<()> {
        let shared = &self.shared;
        let selector = shared.selector_for_io()?;
        let mut state = lock(&shared.state);
        if state.connecting {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let block = shared.start(&selector, Op::Connect);
        // SAFETY: no connect is in flight, so the block is free; the
        // reference `start` gave up keeps it alive until the completion.
        let ok = unsafe { ConnectNamedPipe(shared.raw(), block) };
        let code = if ok != 0 { 0 } else { last_error_code() };
        if ok != 0 || code == ERROR_IO_PENDING {
            state.connecting = true;
            return Err(io::ErrorKind::WouldBlock.into());
        }
        shared.abandon(&selector);
        // ERROR_PIPE_CONNECTED: a client connected before we asked.
        // ERROR_NO_DATA: a client connected and has already closed its end.
        // Either way the pipe went through a connection (no packet is
        // queued); what the client left is read next, then end-of-file.
        if code == ERROR_PIPE_CONNECTED || code == ERROR_NO_DATA {
            shared.connected(&selector, &mut state);
            Ok(())
        } else {
            Err(io::Error::from_raw_os_error(code as i32))
        }
    }

    pub(crate) fn disconnect(&self) -> io::Result<()> {
        // SAFETY: a valid pipe handle; the call reads no memory.
        if unsafe { DisconnectNamedPipe(self.shared.raw()) } == 0 {
            return Err(io::Error::last_os_error());
        }
        let mut state = lock(&self.shared.state);
        // What was read belongs to the client that is gone.
        if !matches!(state.read, ReadState::Pending) {
            state.read = ReadState::Idle;
        }
        Ok(())
    }

    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        Ok(lock(&self.shared.state).error.take())
    }

    pub(crate) fn read(&self, out: &mut [u8]) -> io::Result<usize> {
        let shared = &self.shared;
        let selector = shared.selector_for_io()?;
        let mut state = lock(&shared.state);
        if let ReadState::Idle = state.read {
            shared.schedule_read(&selector, &mut state);
        }
        match std::mem::replace(&mut state.read, ReadState::Idle) {
            ReadState::Ready { start, end } => {
                let n = out.len().min(end - start);
                let buf = state.read_buf.as_ref().expect("a read filled the buffer");
                // SAFETY: no read is in flight (the state is `Ready`), so
                // nothing writes the buffer; `start + n <= end <= len`, and
                // every byte of it was initialised at allocation.
                unsafe {
                    ptr::copy_nonoverlapping(buf.ptr.as_ptr().add(start), out.as_mut_ptr(), n)
                };
                if start + n < end {
                    state.read = ReadState::Ready {
                        start: start + n,
                        end,
                    };
                } else {
                    shared.schedule_read(&selector, &mut state);
                }
                Ok(n)
            }
            ReadState::Eof => {
                state.read = ReadState::Eof;
                Ok(0)
            }
            ReadState::Failed(err) => {
                shared.schedule_read(&selector, &mut state);
                Err(err)
            }
            other => {
                state.read = other;
                Err(io::ErrorKind::WouldBlock.into())
            }
        }
    }

    pub(crate) fn write(&self, data: &[u8]) -> io::Result<usize> {
        let shared = &self.shared;
        let selector = shared.selector_for_io()?;
        let mut state = lock(&shared.state);
        if let Some(err) = state.error.take() {
            return Err(err);
        }
        if state.write_pending || state.connecting {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        if data.is_empty() {
            return Ok(0);
        }
        let buf = state.write_buf.get_or_insert_with(|| IoBuf::new(BUF_SIZE));
        let n = data.len().min(buf.len);
        // SAFETY: no write is in flight, so the kernel does not read the
        // buffer; `n <= len`.
        unsafe { ptr::copy_nonoverlapping(data.as_ptr(), buf.ptr.as_ptr(), n) };
        state.write_start = 0;
        state.write_end = n;
        shared.start_write(&selector, &mut state)?;
        Ok(n)
    }

    pub(crate) fn register(
        &self,
        selector: &Selector,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let shared = &self.shared;
        let inner = selector.inner();
        // Registered already (with any `Poll`) is the first thing to say.
        if lock(&shared.state).registered {
            return Err(registration::already_registered());
        }
        match shared.selector.get() {
            // Deregistered from another `Poll`: the handle stays associated
            // with that port for good.
            Some((id, _)) if *id != inner.id() => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    "a named pipe stays associated with the first `Poll` it was registered with",
                ));
            }
            Some(_) => {}
            None => {
                inner.port().associate(shared.raw(), KEY_PIPE)?;
                // Nobody waits on the handle itself; failure only costs a
                // needless signal.
                // SAFETY: a valid handle; the call reads no memory.
                unsafe {
                    SetFileCompletionNotificationModes(
                        shared.raw(),
                        FILE_SKIP_SET_EVENT_ON_HANDLE as u8,
                    )
                };
                let _ = shared.selector.set((inner.id(), Arc::downgrade(inner)));
                inner.add_pipe(Arc::downgrade(shared));
            }
        }
        let mut state = lock(&shared.state);
        if state.registered {
            return Err(registration::already_registered());
        }
        state.registered = true;
        state.token = usize::from(token);
        state.interests = kinds_of(interests);
        shared.schedule_read(inner, &mut state);
        shared.notify(inner, &mut state);
        Ok(())
    }

    pub(crate) fn reregister(
        &self,
        selector: &Selector,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        let shared = &self.shared;
        let inner = selector.inner();
        let mut state = lock(&shared.state);
        shared.check_registration(&state, inner)?;
        state.token = usize::from(token);
        state.interests = kinds_of(interests);
        shared.notify(inner, &mut state);
        Ok(())
    }

    pub(crate) fn deregister(&self, selector: &Selector) -> io::Result<()> {
        let shared = &self.shared;
        let mut state = lock(&shared.state);
        shared.check_registration(&state, selector.inner())?;
        // Operations in flight go on; their completions report nothing.
        state.registered = false;
        Ok(())
    }
}

impl From<OwnedHandle> for NamedPipe {
    fn from(handle: OwnedHandle) -> NamedPipe {
        NamedPipe {
            shared: Arc::new(PipeShared {
                ops: [
                    OpBlock::new(Op::Connect),
                    OpBlock::new(Op::Read),
                    OpBlock::new(Op::Write),
                    OpBlock::new(Op::Notify),
                ],
                handle,
                selector: OnceLock::new(),
                state: Mutex::new(State {
                    registered: false,
                    token: 0,
                    interests: 0,
                    connecting: false,
                    listening: false,
                    read: ReadState::Idle,
                    read_buf: None,
                    write_pending: false,
                    write_start: 0,
                    write_end: 0,
                    write_buf: None,
                    notify_pending: false,
                    error: None,
                    closed: false,
                }),
            }),
        }
    }
}

impl AsRawHandle for NamedPipe {
    fn as_raw_handle(&self) -> RawHandle {
        self.shared.raw()
    }
}

impl fmt::Debug for NamedPipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamedPipe")
            .field("handle", &self.shared.raw())
            .finish()
    }
}

impl Drop for NamedPipe {
    fn drop(&mut self) {
        let shared = &self.shared;
        let mut state = lock(&shared.state);
        state.closed = true;
        state.registered = false;
        if matches!(state.read, ReadState::Pending) {
            shared.cancel(Op::Read);
        }
        if state.connecting {
            shared.cancel(Op::Connect);
        }
    }
}

impl PipeShared {
    fn raw(&self) -> HANDLE {
        self.handle.as_raw_handle()
    }

    fn block(&self, op: Op) -> *mut OVERLAPPED {
        self.ops[op as usize].overlapped.get()
    }

    /// Checks that a `reregister` or `deregister` goes through the selector
    /// the pipe is registered with.
    fn check_registration(&self, state: &State, selector: &SelectorInner) -> io::Result<()> {
        let current = match self.selector.get() {
            Some((id, _)) if state.registered => *id,
            _ => 0,
        };
        registration::check(current, selector.id())
    }

    /// The selector to run an operation with. Before the first
    /// registration there is none, which mio documents as `WouldBlock`.
    fn selector_for_io(&self) -> io::Result<Arc<SelectorInner>> {
        match self.selector.get() {
            None => Err(io::ErrorKind::WouldBlock.into()),
            Some((_, selector)) => selector.upgrade().ok_or_else(poll_dropped),
        }
    }

    /// Prepares `op`'s block for a new operation and gives up a reference
    /// for it; returns the block to pass to the OS. Must be undone with
    /// `abandon` if the operation does not start.
    fn start(self: &Arc<Self>, selector: &SelectorInner, op: Op) -> *mut OVERLAPPED {
        let block = self.block(op);
        // SAFETY: `op` is not in flight (the callers check the state, which
        // is locked), so nobody else uses its block.
        unsafe { block.write(OVERLAPPED::default()) };
        let _ = Arc::into_raw(Arc::clone(self));
        selector.op_started();
        block
    }

    fn abandon(self: &Arc<Self>, selector: &SelectorInner) {
        selector.op_abandoned();
        // SAFETY: gives back the reference `start` gave up for an operation
        // that did not start; `Arc::as_ptr` is what `into_raw` returned.
        drop(unsafe { Arc::from_raw(Arc::as_ptr(self)) });
    }

    fn cancel(&self, op: Op) {
        // SAFETY: only compares the block's address with the operations in
        // flight on the handle. Failure means it already completed.
        unsafe { CancelIoEx(self.raw(), self.block(op)) };
    }

    /// Cancels every operation in flight (the selector is going away).
    pub(crate) fn cancel_all(&self) {
        // SAFETY: a null block asks for every operation on the handle.
        unsafe { CancelIoEx(self.raw(), ptr::null()) };
    }

    fn schedule_read(self: &Arc<Self>, selector: &SelectorInner, state: &mut State) {
        if !matches!(state.read, ReadState::Idle) || state.connecting || state.closed {
            return;
        }
        let buf = state.read_buf.get_or_insert_with(|| IoBuf::new(BUF_SIZE));
        let (ptr, len) = (buf.ptr.as_ptr(), buf.len as u32);
        let block = self.start(selector, Op::Read);
        // SAFETY: no read is in flight, so nothing else uses the buffer or
        // the block; the reference `start` gave up keeps both alive until
        // the completion.
        let ok = unsafe { ReadFile(self.raw(), ptr, len, ptr::null_mut(), block) };
        let code = if ok != 0 { 0 } else { last_error_code() };
        if ok != 0 || code == ERROR_IO_PENDING {
            state.read = ReadState::Pending;
            return;
        }
        self.abandon(selector);
        match code {
            // A server end with no client yet: the read starts once one
            // connects.
            ERROR_PIPE_LISTENING | ERROR_PIPE_NOT_CONNECTED => state.listening = true,
            ERROR_BROKEN_PIPE => {
                state.read = ReadState::Eof;
                self.notify(selector, state);
            }
            code => {
                state.read = ReadState::Failed(io::Error::from_raw_os_error(code as i32));
                self.notify(selector, state);
            }
        }
    }

    fn start_write(
        self: &Arc<Self>,
        selector: &SelectorInner,
        state: &mut State,
    ) -> io::Result<()> {
        let buf = state.write_buf.as_ref().expect("write buffer filled first");
        // SAFETY: `write_start < write_end <= len`.
        let ptr = unsafe { buf.ptr.as_ptr().add(state.write_start) };
        let len = (state.write_end - state.write_start) as u32;
        let block = self.start(selector, Op::Write);
        // SAFETY: no write is in flight; the reference `start` gave up keeps
        // the buffer and the block alive until the completion.
        let ok = unsafe { WriteFile(self.raw(), ptr, len, ptr::null_mut(), block) };
        let code = if ok != 0 { 0 } else { last_error_code() };
        if ok != 0 || code == ERROR_IO_PENDING {
            state.write_pending = true;
            return Ok(());
        }
        self.abandon(selector);
        state.write_pending = false;
        Err(io::Error::from_raw_os_error(code as i32))
    }

    /// Posts a packet that reports the pipe's readiness as it is now.
    fn notify(self: &Arc<Self>, selector: &SelectorInner, state: &mut State) {
        if state.notify_pending || !state.registered || state.closed {
            return;
        }
        let block = self.start(selector, Op::Notify);
        match selector.port().post(KEY_PIPE, block) {
            Ok(()) => state.notify_pending = true,
            Err(_) => self.abandon(selector),
        }
    }

    /// A connection to a client is up: read from it.
    fn connected(self: &Arc<Self>, selector: &SelectorInner, state: &mut State) {
        state.listening = false;
        if !matches!(state.read, ReadState::Pending) {
            state.read = ReadState::Idle;
        }
        self.schedule_read(selector, state);
    }

    /// The outcome of the completed operation `op`: bytes transferred.
    fn result(&self, op: Op) -> io::Result<usize> {
        let mut transferred = 0u32;
        // SAFETY: the operation completed (its packet was dequeued), so the
        // block is final; no wait is requested.
        let ok = unsafe { GetOverlappedResult(self.raw(), self.block(op), &mut transferred, 0) };
        if ok != 0 {
            Ok(transferred as usize)
        } else {
            let err = io::Error::last_os_error();
            // Message-mode pipes from `from_raw_handle`: the rest of the
            // message comes with the next read.
            if err.raw_os_error() == Some(ERROR_MORE_DATA as i32) {
                Ok(transferred as usize)
            } else {
                Err(err)
            }
        }
    }

    /// `op` completed; returns the event to report, if any.
    fn completed(
        self: &Arc<Self>,
        selector: &SelectorInner,
        op: Op,
        draining: bool,
    ) -> Option<(usize, u32)> {
        let mut state = lock(&self.state);
        if draining {
            state.closed = true;
        }
        let mut ready = 0;
        match op {
            Op::Read => {
                state.read = match self.result(Op::Read) {
                    Ok(0) => ReadState::Idle,
                    Ok(n) => ReadState::Ready { start: 0, end: n },
                    Err(err) => match err.raw_os_error().map(|code| code as u32) {
                        Some(ERROR_BROKEN_PIPE) => ReadState::Eof,
                        Some(ERROR_OPERATION_ABORTED)
                        | Some(ERROR_PIPE_NOT_CONNECTED)
                        | Some(ERROR_PIPE_LISTENING) => ReadState::Idle,
                        _ => ReadState::Failed(err),
                    },
                };
                ready |= read_readiness(&state.read);
                self.schedule_read(selector, &mut state);
            }
            Op::Write => match self.result(Op::Write) {
                Ok(n) => {
                    state.write_start += n;
                    state.write_pending = false;
                    if state.write_start < state.write_end && !state.closed {
                        if let Err(err) = self.start_write(selector, &mut state) {
                            state.error = Some(err);
                            ready |= POLL_SEND | POLL_FAILED;
                        }
                    } else {
                        ready |= POLL_SEND;
                    }
                }
                Err(err) => {
                    state.write_pending = false;
                    state.error = Some(err);
                    ready |= POLL_SEND | POLL_FAILED;
                }
            },
            Op::Connect => {
                state.connecting = false;
                match self.result(Op::Connect) {
                    Ok(_) => {
                        self.connected(selector, &mut state);
                        ready |= POLL_SEND;
                    }
                    Err(err) => {
                        state.error = Some(err);
                        ready |= POLL_SEND | POLL_FAILED;
                    }
                }
            }
            Op::Notify => {
                state.notify_pending = false;
                ready |= read_readiness(&state.read);
                // A server with no client has nothing to write to.
                if !state.write_pending && !state.connecting && !state.listening {
                    ready |= POLL_SEND;
                }
            }
        }
        if !state.registered || state.closed {
            return None;
        }
        if state.interests & READ == 0 {
            ready &= !(POLL_RECEIVE | POLL_DISCONNECT);
        }
        if state.interests & WRITE == 0 {
            ready &= !POLL_SEND;
        }
        if ready & !POLL_FAILED == 0 {
            None
        } else {
            Some((state.token, ready))
        }
    }
}

fn read_readiness(read: &ReadState) -> u32 {
    match read {
        ReadState::Ready { .. } => POLL_RECEIVE,
        ReadState::Eof => POLL_RECEIVE | POLL_DISCONNECT,
        ReadState::Failed(_) => POLL_RECEIVE | POLL_FAILED,
        ReadState::Idle | ReadState::Pending => 0,
    }
}

fn kinds_of(interests: Interest) -> u8 {
    let mut kinds = 0;
    if interests.is_readable() {
        kinds |= READ;
    }
    if interests.is_writable() {
        kinds |= WRITE;
    }
    kinds
}

/// The calling thread's last-error value, read right after a failed call.
fn last_error_code() -> u32 {
    // SAFETY: reads a thread-local value; no arguments.
    unsafe { GetLastError() }
}

/// Handles the completion of a pipe operation (or a posted notification).
///
/// # Safety
///
/// `block` must be the `lpOverlapped` of a packet for one of a pipe's
/// operation blocks, just dequeued (once), whose operation gave up a
/// reference to the pipe when it started.
pub(crate) unsafe fn complete(
    selector: &SelectorInner,
    block: usize,
    draining: bool,
) -> Option<(usize, u32)> {
    let block = block as *const OpBlock;
    let op = (*block).op;
    // The blocks are the first field of the `repr(C)` `PipeShared`, in
    // `Op` order: block `i` is `i` blocks past the start of the pipe.
    let pipe = block.sub(op as usize).cast::<PipeShared>();
    let shared = Arc::from_raw(pipe);
    shared.completed(selector, op, draining)
}
