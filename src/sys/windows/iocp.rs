//! The I/O completion port every Windows `Selector` waits on.
//!
//! CreateIoCompletionPort, PostQueuedCompletionStatus and
//! GetQueuedCompletionStatusEx (Microsoft Learn, "I/O Completion Ports").

use std::mem::MaybeUninit;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::{fmt, io, ptr};

use windows_sys::Win32::Foundation::{GetLastError, HANDLE, INVALID_HANDLE_VALUE, WAIT_TIMEOUT};
use windows_sys::Win32::System::IO::{
    CreateIoCompletionPort, GetQueuedCompletionStatusEx, PostQueuedCompletionStatus, OVERLAPPED,
    OVERLAPPED_ENTRY,
};

/// An owned completion port.
pub(crate) struct CompletionPort {
    handle: OwnedHandle,
}

impl CompletionPort {
    /// A new port; as many threads may run its completions concurrently as
    /// there are processors (the 0 below), which only matters to threads
    /// that wait on it, and only one ever does.
    pub(crate) fn new() -> io::Result<CompletionPort> {
        // SAFETY: with INVALID_HANDLE_VALUE the call only creates a port and
        // reads no memory.
        let handle = unsafe { CreateIoCompletionPort(INVALID_HANDLE_VALUE, ptr::null_mut(), 0, 0) };
        if handle.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `handle` was just created and is owned by nothing else.
        let handle = unsafe { OwnedHandle::from_raw_handle(handle) };
        Ok(CompletionPort { handle })
    }

    /// Associates `handle` with the port: every overlapped operation on it
    /// then queues its completion here, tagged with `key`. An association
    /// lasts as long as the handle and cannot be undone.
    pub(crate) fn associate(&self, handle: HANDLE, key: usize) -> io::Result<()> {
        // SAFETY: both handles are valid for the duration of the call; the
        // call reads no memory.
        let port = unsafe { CreateIoCompletionPort(handle, self.raw(), key, 0) };
        if port.is_null() {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Queues a completion packet carrying `key` and `overlapped`, which the
    /// port hands back as they are, without reading them.
    pub(crate) fn post(&self, key: usize, overlapped: *mut OVERLAPPED) -> io::Result<()> {
        // SAFETY: a posted packet's pointer is never dereferenced by the OS.
        let ok = unsafe { PostQueuedCompletionStatus(self.raw(), 0, key, overlapped) };
        if ok == 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Waits up to `timeout_ms` (`INFINITE` for ever) for completions and
    /// moves as many as fit into `entries`, returning how many. A timeout
    /// returns 0.
    pub(crate) fn dequeue(
        &self,
        entries: &mut [MaybeUninit<OVERLAPPED_ENTRY>],
        timeout_ms: u32,
    ) -> io::Result<usize> {
        let max = entries.len().min(u32::MAX as usize) as u32;
        let mut removed = 0u32;
        // SAFETY: the OS writes at most `max` entries into `entries`, which
        // is exclusively borrowed for the call; the wait is not alertable,
        // so no APC runs inside it.
        let ok = unsafe {
            GetQueuedCompletionStatusEx(
                self.raw(),
                entries.as_mut_ptr().cast::<OVERLAPPED_ENTRY>(),
                max,
                &mut removed,
                timeout_ms,
                0,
            )
        };
        if ok != 0 {
            return Ok(removed as usize);
        }
        // SAFETY: reads the calling thread's last-error value.
        let code = unsafe { GetLastError() };
        if code == WAIT_TIMEOUT {
            Ok(0)
        } else {
            Err(io::Error::from_raw_os_error(code as i32))
        }
    }

    pub(crate) fn raw(&self) -> HANDLE {
        self.handle.as_raw_handle()
    }
}

impl fmt::Debug for CompletionPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CompletionPort").field(&self.raw()).finish()
    }
}
