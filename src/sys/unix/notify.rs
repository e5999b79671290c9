//! The notification descriptor behind `mio::channel`: senders make it
//! readable, the receiver reads it empty. An eventfd(2) on Linux, Android
//! and illumos (one descriptor, a counter), a non-blocking pipe elsewhere or
//! with `--cfg mio_unsupported_force_waker_pipe` (one byte per
//! notification).
//!
//! `NotifySender::notify` never fails: the only error of its non-blocking
//! write is a full pipe or a saturated counter, which is readable anyway.
//! `NotifyReceiver::read` is one non-blocking read; `Ok(true)` means the
//! descriptor was emptied by it, `Ok(false)` that more may be left,
//! `WouldBlock` that it was empty.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::io::{AsRawFd, RawFd};

#[cfg(all(
    any(target_os = "linux", target_os = "android", target_os = "illumos"),
    not(mio_unsupported_force_waker_pipe)
))]
mod imp {
    use std::os::unix::io::FromRawFd;
    use std::sync::Arc;

    use super::*;

    #[derive(Debug)]
    pub(crate) struct NotifySender {
        fd: Arc<File>,
    }

    #[derive(Debug)]
    pub(crate) struct NotifyReceiver {
        fd: Arc<File>,
    }

    pub(crate) fn notify_pair() -> io::Result<(NotifySender, NotifyReceiver)> {
        // SAFETY: no pointers; returns a new descriptor or -1.
        let raw = syscall!(eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK))?;
        // SAFETY: `raw` was just created and is owned by nothing else.
        let fd = Arc::new(unsafe { File::from_raw_fd(raw) });
        Ok((
            NotifySender {
                fd: Arc::clone(&fd),
            },
            NotifyReceiver { fd },
        ))
    }

    impl NotifySender {
        pub(crate) fn notify(&self) {
            let _ = (&*self.fd).write(&1u64.to_ne_bytes());
        }
    }

    impl NotifyReceiver {
        pub(crate) fn read(&self) -> io::Result<bool> {
            let mut buf = [0u8; 8];
            // Reading an eventfd takes the whole counter.
            (&*self.fd).read(&mut buf).map(|_| true)
        }
    }

    impl AsRawFd for NotifyReceiver {
        fn as_raw_fd(&self) -> RawFd {
            self.fd.as_raw_fd()
        }
    }
}

#[cfg(not(all(
    any(target_os = "linux", target_os = "android", target_os = "illumos"),
    not(mio_unsupported_force_waker_pipe)
)))]
mod imp {
    use super::*;
    use crate::sys::new_pipe;

    #[derive(Debug)]
    pub(crate) struct NotifySender {
        sender: File,
    }

    #[derive(Debug)]
    pub(crate) struct NotifyReceiver {
        receiver: File,
    }

    pub(crate) fn notify_pair() -> io::Result<(NotifySender, NotifyReceiver)> {
        let (receiver, sender) = new_pipe()?;
        Ok((
            NotifySender {
                sender: File::from(sender),
            },
            NotifyReceiver {
                receiver: File::from(receiver),
            },
        ))
    }

    impl NotifySender {
        /// The caller makes sure the receiver is alive (no `EPIPE`, no
        /// `SIGPIPE`).
        pub(crate) fn notify(&self) {
            let _ = (&self.sender).write(&[1]);
        }
    }

    impl NotifyReceiver {
        pub(crate) fn read(&self) -> io::Result<bool> {
            let mut buf = [0u8; 64];
            let n = (&self.receiver).read(&mut buf)?;
            Ok(n < buf.len())
        }
    }

    impl AsRawFd for NotifyReceiver {
        fn as_raw_fd(&self) -> RawFd {
            self.receiver.as_raw_fd()
        }
    }
}

pub(crate) use self::imp::{notify_pair, NotifyReceiver, NotifySender};
