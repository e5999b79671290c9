use std::io;
use std::os::unix::io::RawFd;

use crate::{event, Interest, Registry, Token};

/// Makes any file descriptor an [`event::Source`].
///
/// `SourceFd` borrows the descriptor; it neither owns nor closes it, and it
/// does not make it non-blocking: that is the caller's job. It registers the
/// descriptor with the OS poller as is, so the usual OS rules apply (on
/// Linux, regular files cannot be registered: `EPERM`).
///
/// Unlike the socket types, the OS itself is the only check: registering a
/// descriptor twice with the same `Poll` fails with `AlreadyExists`
/// (`EEXIST`), deregistering one that is not registered with `NotFound`
/// (`ENOENT`).
///
/// # Examples
///
/// Polling a standard library socket:
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use mio::unix::SourceFd;
/// use mio::{Interest, Poll, Token};
/// use std::net::TcpListener;
/// use std::os::unix::io::AsRawFd;
///
/// let listener = TcpListener::bind("127.0.0.1:0")?;
/// listener.set_nonblocking(true)?;
/// let poll = Poll::new()?;
/// poll.registry().register(&mut SourceFd(&listener.as_raw_fd()), Token(0), Interest::READABLE)?;
/// poll.registry().deregister(&mut SourceFd(&listener.as_raw_fd()))?;
/// # Ok(())
/// # }
/// ```
///
/// Wrapping a descriptor inside a type of your own:
///
/// ```
/// use mio::event::Source;
/// use mio::unix::SourceFd;
/// use mio::{Interest, Registry, Token};
/// use std::io;
/// use std::os::unix::io::RawFd;
///
/// struct MyIo {
///     fd: RawFd,
/// }
///
/// impl Source for MyIo {
///     fn register(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
///         SourceFd(&self.fd).register(registry, token, interests)
///     }
///     fn reregister(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
///         SourceFd(&self.fd).reregister(registry, token, interests)
///     }
///     fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
///         SourceFd(&self.fd).deregister(registry)
///     }
/// }
/// ```
#[derive(Debug)]
pub struct SourceFd<'a>(pub &'a RawFd);

impl<'a> event::Source for SourceFd<'a> {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        registry.selector().register(*self.0, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        registry.selector().reregister(*self.0, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        registry.selector().deregister(*self.0)
    }
}
