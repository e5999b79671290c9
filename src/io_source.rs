//! `IoSource`: the one `event::Source` implementation shared by every socket
//! and pipe type.

use std::ops::Deref;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::{fmt, io};

#[cfg(unix)]
use std::os::unix::io::AsRawFd;

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
    selector_id: AtomicUsize,
}

impl<T> IoSource<T> {
    pub(crate) fn new(io: T) -> IoSource<T> {
        IoSource {
            state: sys::IoSourceState::new(),
            inner: io,
            selector_id: AtomicUsize::new(0),
        }
    }

    /// Runs one I/O operation on the inner object.
    pub(crate) fn do_io<F, R>(&self, f: F) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        self.state.do_io(f, &self.inner)
    }

    /// Gives back the inner object; a registration it had ends when the
    /// caller closes it.
    pub(crate) fn into_inner(self) -> T {
        self.inner
    }

    fn associate(&self, registry: &Registry) -> io::Result<()> {
        let id = registry.selector().id();
        match self
            .selector_id
            .compare_exchange(0, id, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(_) => Ok(()),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "I/O source is already registered with a `Registry`",
            )),
        }
    }

    fn check_association(&self, registry: &Registry) -> io::Result<()> {
        if self.selector_id.load(Ordering::Acquire) == registry.selector().id() {
            Ok(())
        } else {
            Err(io::Error::new(
                io::ErrorKind::NotFound,
                "I/O source is not registered with this `Registry`",
            ))
        }
    }
}

impl<T> Deref for IoSource<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.inner
    }
}

#[cfg(unix)]
impl<T: AsRawFd> event::Source for IoSource<T> {
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
            self.inner.as_raw_fd(),
        );
        if result.is_err() {
            self.selector_id.store(0, Ordering::Release);
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
            self.inner.as_raw_fd(),
        )
    }

    fn deregister(&mut self, registry: &Registry) -> io::Result<()> {
        self.check_association(registry)?;
        let result = self
            .state
            .deregister(registry.selector(), self.inner.as_raw_fd());
        // Whatever the OS said, the source is no longer ours to track: a
        // failed deregistration means the poller had already forgotten it.
        self.selector_id.store(0, Ordering::Release);
        result
    }
}

impl<T: fmt::Debug> fmt::Debug for IoSource<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}
