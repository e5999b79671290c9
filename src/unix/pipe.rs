//! Non-blocking Unix pipes that can be registered with a [`Poll`].
//!
//! [`new`] creates a pipe whose two ends are non-blocking and close-on-exec.
//! The ends also convert from the standard library's child process pipes,
//! which lets a program poll a child's output.
//!
//! [`Poll`]: crate::Poll
//!
//! # Examples
//!
//! Reading a child's standard output without blocking:
//!
//! ```
//! # fn main() -> std::io::Result<()> {
//! use mio::unix::pipe::Receiver;
//! use mio::{Events, Interest, Poll, Token};
//! use std::io::{ErrorKind, Read};
//! use std::process::{Command, Stdio};
//! use std::time::Duration;
//!
//! let mut child = Command::new("echo").arg("hello").stdout(Stdio::piped()).spawn()?;
//! let mut receiver = Receiver::from(child.stdout.take().unwrap());
//! receiver.set_nonblocking(true)?;
//!
//! let mut poll = Poll::new()?;
//! let mut events = Events::with_capacity(8);
//! poll.registry().register(&mut receiver, Token(0), Interest::READABLE)?;
//!
//! let mut output = Vec::new();
//! 'outer: loop {
//!     poll.poll(&mut events, Some(Duration::from_secs(10)))?;
//!     let mut buf = [0; 64];
//!     loop {
//!         match receiver.read(&mut buf) {
//!             Ok(0) => break 'outer, // the child closed its end
//!             Ok(n) => output.extend_from_slice(&buf[..n]),
//!             Err(e) if e.kind() == ErrorKind::WouldBlock => break,
//!             Err(e) => return Err(e),
//!         }
//!     }
//! }
//! assert_eq!(output, b"hello\n");
//! child.wait()?;
//! # Ok(())
//! # }
//! ```

use std::fs::File;
use std::io::{self};
use std::os::unix::io::{AsRawFd, OwnedFd};
use std::process::{ChildStderr, ChildStdin, ChildStdout};

use crate::io_source::IoSource;
use crate::sys;

/// Creates a non-blocking, close-on-exec pipe: `(sender, receiver)`.
///
/// Bytes written to the [`Sender`] are read from the [`Receiver`]. When every
/// sender is dropped the receiver reads end-of-file; when the receiver is
/// dropped writes fail with `BrokenPipe`.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use std::io::{Read, Write};
///
/// let (mut sender, mut receiver) = mio::unix::pipe::new()?;
/// sender.write_all(b"hi")?;
/// let mut buf = [0; 2];
/// receiver.read_exact(&mut buf)?;
/// assert_eq!(&buf, b"hi");
/// # Ok(())
/// # }
/// ```
pub fn new() -> io::Result<(Sender, Receiver)> {
    let (read, write) = sys::new_pipe()?;
    Ok((Sender::from(write), Receiver::from(read)))
}

/// The writing end of a pipe.
#[derive(Debug)]
pub struct Sender {
    inner: IoSource<File>,
}

/// The reading end of a pipe.
#[derive(Debug)]
pub struct Receiver {
    inner: IoSource<File>,
}

impl Sender {
    /// Switches the pipe end between non-blocking (as [`new`] creates it)
    /// and blocking mode.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        sys::set_nonblocking(self.inner.as_raw_fd(), nonblocking)
    }

    /// Runs an I/O operation of the caller's own on the descriptor (for
    /// example a `libc` call mio does not wrap).
    ///
    /// `f` should return `WouldBlock` when the operation would block, so
    /// that backends that emulate edge triggering can re-arm the source.
    pub fn try_io<F, T>(&self, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        self.inner.do_io(|_| f())
    }
}

impl Receiver {
    /// Switches the pipe end between non-blocking (as [`new`] creates it)
    /// and blocking mode. Ends converted from a child process's pipes start
    /// out blocking; call `set_nonblocking(true)` before polling them.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        sys::set_nonblocking(self.inner.as_raw_fd(), nonblocking)
    }

    /// Runs an I/O operation of the caller's own on the descriptor; see
    /// [`Sender::try_io`].
    pub fn try_io<F, T>(&self, f: F) -> io::Result<T>
    where
        F: FnOnce() -> io::Result<T>,
    {
        self.inner.do_io(|_| f())
    }
}

/// Takes over a child's stdin pipe. The descriptor keeps its blocking mode;
/// call [`Sender::set_nonblocking`] before polling it.
impl From<ChildStdin> for Sender {
    fn from(stdin: ChildStdin) -> Sender {
        Sender::from(OwnedFd::from(stdin))
    }
}

/// Takes over a child's stdout pipe. The descriptor keeps its blocking mode;
/// call [`Receiver::set_nonblocking`] before polling it.
impl From<ChildStdout> for Receiver {
    fn from(stdout: ChildStdout) -> Receiver {
        Receiver::from(OwnedFd::from(stdout))
    }
}

/// Takes over a child's stderr pipe. The descriptor keeps its blocking mode;
/// call [`Receiver::set_nonblocking`] before polling it.
impl From<ChildStderr> for Receiver {
    fn from(stderr: ChildStderr) -> Receiver {
        Receiver::from(OwnedFd::from(stderr))
    }
}

impl_source_and_fd_traits!(Sender, File);
impl_write!(Sender);

impl_source_and_fd_traits!(Receiver, File);
impl_read!(Receiver);
