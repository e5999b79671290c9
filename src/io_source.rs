//! `IoSource`: the one `event::Source` implementation shared by every socket
//! and pipe type.

use std::ops::Deref;
use std::{fmt, io};

use crate::{event, sys, Interest, Registry, Token};

/// An I/O object plus what a platform needs to track its registration.
///
/// Its I/O goes through [`IoSource::do_io`], which lets backends that emulate
/// edge triggering (poll(2), Windows) notice `WouldBlock` and re-arm. On epoll
/// that is a plain call.
///
/// It also remembers which selector it is registered with, so that using one
/// source with two registries is an error instead of a silent split.
pub(crate) struct IoSource<T> {
    state: sys::IoSourceState,
    inner: T,
    // Id of the selector this source is registered with; 0 when it is not.
    // Only `Source` methods (`&mut self`) touch it: no atomics needed.
    selector_id: usize,
}

impl<T> IoSource<T> {
    pub(crate) fn new(io: T) -> IoSource<T> {
        IoSource {
            state: sys::IoSourceState::new(),
            inner: io,
            selector_id: 0,
        }
    }

    /// Runs one I/O operation on the inner object.
    ///
    /// The direction of the operation is unknown here (`try_io`), so a
    /// `WouldBlock` re-arms every interest; use [`IoSource::do_read`] and
    /// [`IoSource::do_write`] where it is known.
    pub(crate) fn do_io<F, R>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.state.do_io(None, f, &self.inner)
    }

    /// Runs an operation that waits for readability (read, recv, accept).
    #[allow(dead_code)] // not every feature set has a reading type
    pub(crate) fn do_read<F, R>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.state.do_io(Some(Interest::READABLE), f, &self.inner)
    }

    /// Runs an operation that waits for writability (write, send).
    #[allow(dead_code)] // not every feature set has a writing type
    pub(crate) fn do_write<F, R>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.state.do_io(Some(Interest::WRITABLE), f, &self.inner)
    }

    /// Gives back the inner object; a registration it had ends when the
    /// caller closes it.
    #[allow(dead_code)] // not used by builds with only `timer`, `signal` or `channel`
    pub(crate) fn into_inner(self) -> T {
        self.inner
    }

    fn associate(&mut self, registry: &Registry) -> io::Result<()> {
        if self.selector_id != 0 {
            return Err(sys::registration::already_registered());
        }
        self.selector_id = registry.selector().id();
        Ok(())
    }

    fn check_association(&self, registry: &Registry) -> io::Result<()> {
        sys::registration::check(self.selector_id, registry.selector().id())
    }
}

impl<T> Deref for IoSource<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

/// The OS handle of a source, in the form its platform's
/// `sys::IoSourceState` takes: a file descriptor on Unix, a socket on
/// Windows.
#[cfg(any(unix, target_os = "wasi"))]
type RawSource = std::os::fd::RawFd;
#[cfg(windows)]
type RawSource = std::os::windows::io::RawSocket;

/// What the `Source` impl below needs of the wrapped object.
#[cfg(any(unix, windows, target_os = "wasi"))]
pub(crate) trait AsRawSource {
    fn as_raw_source(&self) -> RawSource;
}

#[cfg(any(unix, target_os = "wasi"))]
impl<T: std::os::fd::AsRawFd> AsRawSource for T {
    fn as_raw_source(&self) -> RawSource {
        self.as_raw_fd()
    }
}

#[cfg(windows)]
impl<T: std::os::windows::io::AsRawSocket> AsRawSource for T {
    fn as_raw_source(&self) -> RawSource {
        self.as_raw_socket()
    }
}

#[cfg(any(unix, windows, target_os = "wasi"))]
impl<T: AsRawSource> event::Source for IoSource<T> {
    fn register(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.associate(registry)?;
        let result = self.state.register(
            registry.selector(),
            token,
            interests,
            self.inner.as_raw_source(),
        );
        if result.is_err() {
            self.selector_id = 0;
        }
        result
    }

    fn reregister(
        &mut self,
        registry: &Registry,
        token: Token,
        interests: Interest,
    ) -> io::Result<()> {
        self.check_association(registry)?;
        self.state.reregister(
            registry.selector(),
            token,
            interests,
            self.inner.as_raw_source(),
        )
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        self.check_association(registry)?;
        let result = self
            .state
            .deregister(registry.selector(), self.inner.as_raw_source());
        // Whatever the OS said, the source is no longer ours to track: a
        // failed deregistration means the poller had already forgotten it.
        self.selector_id = 0;
        result
    }
}

impl<T: fmt::Debug> fmt::Debug for IoSource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// The trait impls every socket type built on an `IoSource` field named
/// `inner` shares: those of [`impl_source_and_fd_traits`], plus `Debug`
/// and the conversion back to the wrapped standard type.
#[allow(unused_macros)] // not used by builds with `os-ext` but without `net`
macro_rules! impl_io_source_traits {
    ($ty:ty, $std:ty) => {
        impl_source_and_fd_traits!($ty, $std);

        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Debug::fmt(&self.inner, f)
            }
        }

        /// Gives back the wrapped standard library object; it keeps its
        /// (non-blocking) mode.
        impl From<$ty> for $std {
            fn from(io: $ty) -> $std {
                io.inner.into_inner()
            }
        }
    };
}

/// `event::Source`, the descriptor traits, and the conversions to and from
/// `OwnedFd` (on Windows: the socket traits and `OwnedSocket`), for a type
/// whose field `inner` is an `IoSource<$std>`.
///
/// `from_raw_fd` and `From<OwnedFd>` (`from_raw_socket`,
/// `From<OwnedSocket>`) leave the blocking mode as it is; the types' docs
/// tell callers to make it non-blocking.
#[allow(unused_macros)] // not used by builds with only `timer`, `signal` or `channel`
macro_rules! impl_source_and_fd_traits {
    ($ty:ty, $std:ty) => {
        impl $crate::event::Source for $ty {
            fn register(
                &mut self,
                registry: &$crate::Registry,
                token: $crate::Token,
                interests: $crate::Interest,
            ) -> ::std::io::Result<()> {
                $crate::event::Source::register(&mut self.inner, registry, token, interests)
            }

            fn reregister(
                &mut self,
                registry: &$crate::Registry,
                token: $crate::Token,
                interests: $crate::Interest,
            ) -> ::std::io::Result<()> {
                $crate::event::Source::reregister(&mut self.inner, registry, token, interests)
            }

            fn deregister(&mut self, registry: &$crate::Registry) -> ::std::io::Result<()> {
                $crate::event::Source::deregister(&mut self.inner, registry)
            }
        }

        #[cfg(any(unix, target_os = "wasi"))]
        impl ::std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> ::std::os::fd::RawFd {
                ::std::os::fd::AsRawFd::as_raw_fd(&*self.inner)
            }
        }

        #[cfg(any(unix, target_os = "wasi"))]
        impl ::std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> ::std::os::fd::BorrowedFd<'_> {
                ::std::os::fd::AsFd::as_fd(&*self.inner)
            }
        }

        #[cfg(any(unix, target_os = "wasi"))]
        impl ::std::os::fd::IntoRawFd for $ty {
            fn into_raw_fd(self) -> ::std::os::fd::RawFd {
                ::std::os::fd::IntoRawFd::into_raw_fd(self.inner.into_inner())
            }
        }

        #[cfg(any(unix, target_os = "wasi"))]
        impl ::std::os::fd::FromRawFd for $ty {
            /// Takes ownership of `fd`, which must be open, of the kind this
            /// type wraps, and owned by nothing else. Its blocking mode is
            /// left as is: it should be non-blocking.
            unsafe fn from_raw_fd(fd: ::std::os::fd::RawFd) -> $ty {
                <$ty>::from(
                    <::std::os::fd::OwnedFd as ::std::os::fd::FromRawFd>::from_raw_fd(
                        fd,
                    ),
                )
            }
        }

        /// Takes over the descriptor; its blocking mode is left as is.
        #[cfg(any(unix, target_os = "wasi"))]
        impl From<::std::os::fd::OwnedFd> for $ty {
            fn from(fd: ::std::os::fd::OwnedFd) -> $ty {
                Self {
                    inner: $crate::io_source::IoSource::new(<$std>::from(fd)),
                }
            }
        }

        #[cfg(any(unix, target_os = "wasi"))]
        impl From<$ty> for ::std::os::fd::OwnedFd {
            fn from(io: $ty) -> ::std::os::fd::OwnedFd {
                io.inner.into_inner().into()
            }
        }

        #[cfg(windows)]
        impl ::std::os::windows::io::AsRawSocket for $ty {
            fn as_raw_socket(&self) -> ::std::os::windows::io::RawSocket {
                ::std::os::windows::io::AsRawSocket::as_raw_socket(&*self.inner)
            }
        }

        #[cfg(windows)]
        impl ::std::os::windows::io::AsSocket for $ty {
            fn as_socket(&self) -> ::std::os::windows::io::BorrowedSocket<'_> {
                ::std::os::windows::io::AsSocket::as_socket(&*self.inner)
            }
        }

        #[cfg(windows)]
        impl ::std::os::windows::io::IntoRawSocket for $ty {
            fn into_raw_socket(self) -> ::std::os::windows::io::RawSocket {
                ::std::os::windows::io::IntoRawSocket::into_raw_socket(self.inner.into_inner())
            }
        }

        #[cfg(windows)]
        impl ::std::os::windows::io::FromRawSocket for $ty {
            /// Takes ownership of `socket`, which must be open, of the kind
            /// this type wraps, and owned by nothing else. Its blocking mode
            /// is left as is: it should be non-blocking.
            unsafe fn from_raw_socket(socket: ::std::os::windows::io::RawSocket) -> $ty {
                <$ty>::from(
                    <::std::os::windows::io::OwnedSocket as ::std::os::windows::io::FromRawSocket>::from_raw_socket(
                        socket,
                    ),
                )
            }
        }

        /// Takes over the socket; its blocking mode is left as is.
        #[cfg(windows)]
        impl From<::std::os::windows::io::OwnedSocket> for $ty {
            fn from(socket: ::std::os::windows::io::OwnedSocket) -> $ty {
                Self {
                    inner: $crate::io_source::IoSource::new(<$std>::from(socket)),
                }
            }
        }

        #[cfg(windows)]
        impl From<$ty> for ::std::os::windows::io::OwnedSocket {
            fn from(io: $ty) -> ::std::os::windows::io::OwnedSocket {
                io.inner.into_inner().into()
            }
        }
    };
}

/// `Read` for a type and for a shared reference to it, through `do_read`.
#[allow(unused_macros)]
macro_rules! impl_read {
    ($ty:ty) => {
        impl ::std::io::Read for $ty {
            fn read(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                ::std::io::Read::read(&mut &*self, buf)
            }

            fn read_vectored(
                &mut self,
                bufs: &mut [::std::io::IoSliceMut<'_>],
            ) -> ::std::io::Result<usize> {
                ::std::io::Read::read_vectored(&mut &*self, bufs)
            }
        }

        impl<'a> ::std::io::Read for &'a $ty {
            fn read(&mut self, buf: &mut [u8]) -> ::std::io::Result<usize> {
                self.inner
                    .do_read(|io| ::std::io::Read::read(&mut &*io, buf))
            }

            fn read_vectored(
                &mut self,
                bufs: &mut [::std::io::IoSliceMut<'_>],
            ) -> ::std::io::Result<usize> {
                self.inner
                    .do_read(|io| ::std::io::Read::read_vectored(&mut &*io, bufs))
            }
        }
    };
}

/// `Write` for a type and for a shared reference to it, through `do_write`.
#[allow(unused_macros)]
macro_rules! impl_write {
    ($ty:ty) => {
        impl ::std::io::Write for $ty {
            fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
                ::std::io::Write::write(&mut &*self, buf)
            }

            fn write_vectored(
                &mut self,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::io::Result<usize> {
                ::std::io::Write::write_vectored(&mut &*self, bufs)
            }

            fn flush(&mut self) -> ::std::io::Result<()> {
                ::std::io::Write::flush(&mut &*self)
            }
        }

        impl<'a> ::std::io::Write for &'a $ty {
            fn write(&mut self, buf: &[u8]) -> ::std::io::Result<usize> {
                self.inner
                    .do_write(|io| ::std::io::Write::write(&mut &*io, buf))
            }

            fn write_vectored(
                &mut self,
                bufs: &[::std::io::IoSlice<'_>],
            ) -> ::std::io::Result<usize> {
                self.inner
                    .do_write(|io| ::std::io::Write::write_vectored(&mut &*io, bufs))
            }

            fn flush(&mut self) -> ::std::io::Result<()> {
                self.inner.do_write(|io| ::std::io::Write::flush(&mut &*io))
            }
        }
    };
}
