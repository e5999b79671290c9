//! Socket readiness from the Ancillary Function Driver (AFD), the kernel
//! driver behind Winsock.
//!
//! A handle to `\Device\Afd\Mio`, opened with NtCreateFile and associated
//! with the selector's completion port, accepts `IOCTL_AFD_POLL` requests
//! (NtDeviceIoControlFile): "tell me when any of these events is true for
//! this socket". The request completes, through the port, as soon as one is
//! (at once if one already is), with the events that are. It is one-shot:
//! to hear about the socket again, send another. One AFD handle serves many
//! sockets; each socket has at most one request in flight.
//!
//! windows-sys has no binding for the request, so its layout is defined
//! here. It follows the `AFD_POLL_INFO`/`AFD_HANDLE` structures and the
//! `AFD_EVENT_*` flags as published in ReactOS's AFD headers
//! (`sdk/include/reactos/drivers/afd/shared.h`) and in Wine's
//! (`include/wine/afd.h`, `struct afd_poll_params`): a 64-bit timeout, a
//! 32-bit handle count, a 32-bit "exclusive" flag (a BOOLEAN padded to the
//! alignment of what follows), then per socket its handle (pointer-sized),
//! the events asked for (in) or seen (out), and a status. The control code
//! is `CTL_CODE(FILE_DEVICE_NETWORK, AFD_SELECT = 9, METHOD_BUFFERED,
//! FILE_ANY_ACCESS)` = 0x12024.

// Without `net` no socket is ever polled; the selector still drops AFD
// handles the same way.
#![cfg_attr(not(feature = "net"), allow(dead_code))]

use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::{fmt, io, mem, ptr};

use windows_sys::Wdk::Foundation::OBJECT_ATTRIBUTES;
use windows_sys::Wdk::Storage::FileSystem::{NtCreateFile, FILE_OPEN};
use windows_sys::Wdk::System::IO::NtDeviceIoControlFile;
use windows_sys::Win32::Foundation::{
    RtlNtStatusToDosError, ERROR_NOT_FOUND, HANDLE, NTSTATUS, STATUS_PENDING, UNICODE_STRING,
};
use windows_sys::Win32::Networking::WinSock::SOCKET;
use windows_sys::Win32::Storage::FileSystem::{
    SetFileCompletionNotificationModes, FILE_SHARE_READ, FILE_SHARE_WRITE, SYNCHRONIZE,
};
use windows_sys::Win32::System::WindowsProgramming::FILE_SKIP_SET_EVENT_ON_HANDLE;
use windows_sys::Win32::System::IO::{CancelIoEx, IO_STATUS_BLOCK};

use super::iocp::CompletionPort;

/// `IOCTL_AFD_POLL`: see the module docs.
const IOCTL_AFD_POLL: u32 = 0x0001_2024;

/// Data can be received (or a zero-length datagram is queued).
pub(crate) const POLL_RECEIVE: u32 = 0x0001;
/// Out-of-band data can be received.
pub(crate) const POLL_RECEIVE_EXPEDITED: u32 = 0x0002;
/// Data can be sent; also "connected" for a connecting stream.
pub(crate) const POLL_SEND: u32 = 0x0004;
/// The peer closed its sending side gracefully (FIN).
pub(crate) const POLL_DISCONNECT: u32 = 0x0008;
/// The connection was aborted (reset, or failed after being established).
pub(crate) const POLL_ABORT: u32 = 0x0010;
/// The socket was closed locally while the poll was in flight.
pub(crate) const POLL_LOCAL_CLOSE: u32 = 0x0020;
/// A connection is waiting to be accepted.
pub(crate) const POLL_ACCEPT: u32 = 0x0080;
/// A non-blocking connect failed.
pub(crate) const POLL_CONNECT_FAIL: u32 = 0x0100;

/// One socket of a poll request.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct AfdPollHandleInfo {
    handle: SOCKET,
    events: u32,
    status: NTSTATUS,
}

/// A poll request for one socket, and the answer the driver writes over it.
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct AfdPollInfo {
    /// Absolute or relative, in 100 ns units; `i64::MAX` means "no timeout".
    timeout: i64,
    number_of_handles: u32,
    /// Non-zero would cancel other polls of the same sockets; never used.
    exclusive: u32,
    handles: [AfdPollHandleInfo; 1],
}

impl AfdPollInfo {
    pub(crate) const fn empty() -> AfdPollInfo {
        AfdPollInfo {
            timeout: 0,
            number_of_handles: 0,
            exclusive: 0,
            handles: [AfdPollHandleInfo {
                handle: 0,
                events: 0,
                status: 0,
            }],
        }
    }

    /// The events the driver reported, or `None` if it answered without
    /// one (it does so when a poll of the same socket with `exclusive` set
    /// replaced this one).
    pub(crate) fn reported(&self) -> Option<u32> {
        if self.number_of_handles == 0 {
            None
        } else {
            Some(self.handles[0].events)
        }
    }
}

/// An open `\Device\Afd` handle, associated with a completion port.
pub(crate) struct Afd {
    handle: OwnedHandle,
}

impl Afd {
    /// Opens a new AFD handle and associates it with `port` under `key`.
    pub(crate) fn open(port: &CompletionPort, key: usize) -> io::Result<Afd> {
        // Any name below `\Device\Afd` opens the driver; the suffix only
        // names the opener in kernel debugging tools.
        let mut name: Vec<u16> = "\\Device\\Afd\\Mio".encode_utf16().collect();
        let bytes = (name.len() * mem::size_of::<u16>()) as u16;
        let unicode = UNICODE_STRING {
            Length: bytes,
            MaximumLength: bytes,
            Buffer: name.as_mut_ptr(),
        };
        let attributes = OBJECT_ATTRIBUTES {
            Length: mem::size_of::<OBJECT_ATTRIBUTES>() as u32,
            RootDirectory: ptr::null_mut(),
            ObjectName: &unicode,
            Attributes: 0,
            SecurityDescriptor: ptr::null(),
            SecurityQualityOfService: ptr::null(),
        };
        let mut handle: HANDLE = ptr::null_mut();
        let mut iosb = IO_STATUS_BLOCK::default();
        // SAFETY: every pointer refers to a live local that outlives the
        // call (`name` backs `unicode`, which `attributes` points to); no
        // extended attributes are passed.
        let status = unsafe {
            NtCreateFile(
                &mut handle,
                SYNCHRONIZE,
                &attributes,
                &mut iosb,
                ptr::null(),
                0,
                FILE_SHARE_READ | FILE_SHARE_WRITE,
                FILE_OPEN,
                0,
                ptr::null(),
                0,
            )
        };
        if status < 0 {
            return Err(nt_error(status));
        }
        // SAFETY: NtCreateFile succeeded, so `handle` is a new handle owned
        // by nothing else.
        let handle = unsafe { OwnedHandle::from_raw_handle(handle) };
        let afd = Afd { handle };
        port.associate(afd.raw(), key)?;
        // Nobody waits on the handle itself, so the kernel need not signal
        // it on every completion.
        // SAFETY: `afd.raw()` is a valid handle; the call reads no memory.
        if unsafe {
            SetFileCompletionNotificationModes(afd.raw(), FILE_SKIP_SET_EVENT_ON_HANDLE as u8)
        } == 0
        {
            return Err(io::Error::last_os_error());
        }
        Ok(afd)
    }

    /// Sends a poll request for `socket` (a base provider socket) asking
    /// for `events`. `Ok` means a completion carrying `context` as its
    /// `lpOverlapped` will be queued on the port; an error means nothing
    /// was started.
    ///
    /// # Safety
    ///
    /// `info` and `iosb` must stay valid, and must not be read or written
    /// by anyone else, until that completion has been dequeued.
    pub(crate) unsafe fn poll(
        &self,
        socket: SOCKET,
        events: u32,
        info: *mut AfdPollInfo,
        iosb: *mut IO_STATUS_BLOCK,
        context: *const std::ffi::c_void,
    ) -> io::Result<()> {
        info.write(AfdPollInfo {
            timeout: i64::MAX,
            number_of_handles: 1,
            exclusive: 0,
            handles: [AfdPollHandleInfo {
                handle: socket,
                events,
                status: 0,
            }],
        });
        (*iosb).Anonymous.Status = STATUS_PENDING;
        let size = mem::size_of::<AfdPollInfo>() as u32;
        let status = NtDeviceIoControlFile(
            self.raw(),
            ptr::null_mut(),
            None,
            context,
            iosb,
            IOCTL_AFD_POLL,
            info.cast::<std::ffi::c_void>(),
            size,
            info.cast::<std::ffi::c_void>(),
            size,
        );
        // Success and STATUS_PENDING both queue a completion (the handle
        // is not in FILE_SKIP_COMPLETION_PORT_ON_SUCCESS mode); a failure
        // status means the request was rejected outright.
        if status < 0 {
            Err(nt_error(status))
        } else {
            Ok(())
        }
    }

    /// Asks the driver to end the poll whose status block is `iosb`; it
    /// then completes (through the port, as always) with `STATUS_CANCELLED`
    /// unless it had already completed.
    ///
    /// # Safety
    ///
    /// `iosb` must be the status block of a poll sent through this handle,
    /// or a pointer no poll uses (the call only compares it).
    pub(crate) unsafe fn cancel(&self, iosb: *mut IO_STATUS_BLOCK) -> io::Result<()> {
        if CancelIoEx(self.raw(), iosb.cast()) == 0 {
            let err = io::Error::last_os_error();
            // Already completed: its completion is on its way.
            if err.raw_os_error() != Some(ERROR_NOT_FOUND as i32) {
                return Err(err);
            }
        }
        Ok(())
    }

    /// Cancels every poll in flight on this handle.
    pub(crate) fn cancel_all(&self) {
        // SAFETY: a null OVERLAPPED pointer asks for every request on the
        // handle; no memory is read.
        unsafe { CancelIoEx(self.raw(), ptr::null()) };
    }

    fn raw(&self) -> HANDLE {
        self.handle.as_raw_handle()
    }
}

impl fmt::Debug for Afd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Afd").field(&self.raw()).finish()
    }
}

/// The Win32 error that corresponds to an NTSTATUS failure.
pub(crate) fn nt_error(status: NTSTATUS) -> io::Error {
    // SAFETY: a pure lookup on an integer.
    let code = unsafe { RtlNtStatusToDosError(status) };
    io::Error::from_raw_os_error(code as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_pointer_width = "64")]
    #[test]
    fn poll_info_has_the_documented_layout() {
        // timeout (8) + count (4) + exclusive (4) + one handle entry
        // (pointer-sized socket, events, status).
        let entry = mem::size_of::<usize>() + 8;
        assert_eq!(mem::size_of::<AfdPollHandleInfo>(), entry);
        assert_eq!(mem::size_of::<AfdPollInfo>(), 16 + entry);
    }
}
