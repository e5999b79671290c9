use std::io;

use crate::{Interest, Registry, Token};

/// Something that can be registered with a [`Registry`] to receive readiness
/// events.
///
/// Every socket and pipe type in this crate implements `Source`. To make a
/// type of your own pollable, forward the three methods to a source it
/// contains (for a raw file descriptor, [`SourceFd`]).
///
/// Users call [`Registry::register`], [`Registry::reregister`] and
/// [`Registry::deregister`], which call these methods; implementations should
/// not be called directly.
///
/// [`SourceFd`]: crate::unix::SourceFd
///
/// # Examples
///
/// Wrapping a socket:
///
/// ```
/// # #[cfg(all(feature = "net", feature = "os-poll"))]
/// # fn main() -> std::io::Result<()> {
/// use mio::event::Source;
/// use mio::net::TcpStream;
/// use mio::{Interest, Registry, Token};
/// use std::io;
///
/// struct Connection {
///     socket: TcpStream,
///     // ... other state
/// }
///
/// impl Source for Connection {
///     fn register(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
///         self.socket.register(registry, token, interests)
///     }
///     fn reregister(&mut self, registry: &Registry, token: Token, interests: Interest) -> io::Result<()> {
///         self.socket.reregister(registry, token, interests)
///     }
///     fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
///         self.socket.deregister(registry)
///     }
/// }
/// # Ok(())
/// # }
/// # #[cfg(not(all(feature = "net", feature = "os-poll")))]
/// # fn main() {}
/// ```
pub trait Source {
    /// Registers `self` with `registry`; see [`Registry::register`].
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;

    /// Changes the token or interests of a registered source; see
    /// [`Registry::reregister`].
    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()>;

    /// Stops delivering events for `self`; see [`Registry::deregister`].
    fn deregister(&mut self, registry: &Registry) -> io::Result<()>;
}

impl<T> Source for Box<T>
where
    T: Source + ?Sized,
{
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        (**self).register(registry, token, interests)
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        (**self).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        (**self).deregister(registry)
    }
}
