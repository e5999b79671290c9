use std::fmt;

use crate::{sys, Token};

pub use crate::sys::Event;

impl Event {
    /// The token the source was registered with.
    #[inline]
    pub fn token(&self) -> Token {
        sys::event::token(&self.raw)
    }

    /// The source is readable: a read may make progress.
    ///
    /// On epoll this includes priority data (`EPOLLIN` or `EPOLLPRI`).
    #[inline]
    pub fn is_readable(&self) -> bool {
        sys::event::is_readable(&self.raw)
    }

    /// The source is writable: a write may make progress.
    #[inline]
    pub fn is_writable(&self) -> bool {
        sys::event::is_writable(&self.raw)
    }

    /// The source reported an error (`EPOLLERR`, `EV_ERROR`, `POLLERR`).
    ///
    /// For sockets, [`take_error`] retrieves the error itself. Not every
    /// platform reports errors through readiness, so a `false` here does not
    /// mean a later operation will succeed.
    ///
    /// [`take_error`]: crate::net::TcpStream::take_error
    #[inline]
    pub fn is_error(&self) -> bool {
        sys::event::is_error(&self.raw)
    }

    /// The read half of the source is closed: the peer shut down its write
    /// side, or the connection is gone. Reading now returns what is left in
    /// the buffer and then end-of-file.
    ///
    /// Some platforms cannot tell a read-side close apart from a general
    /// hang-up; others do not report it at all, so always also handle a read
    /// of zero bytes.
    #[inline]
    pub fn is_read_closed(&self) -> bool {
        sys::event::is_read_closed(&self.raw)
    }

    /// The write half of the source is closed: the peer is gone or the local
    /// write side was shut down, so writes will fail.
    ///
    /// As with [`Event::is_read_closed`], not every platform reports this.
    #[inline]
    pub fn is_write_closed(&self) -> bool {
        sys::event::is_write_closed(&self.raw)
    }

    /// Priority (out-of-band) data is available, `EPOLLPRI` on Linux.
    /// Always `false` where the platform has no such notion.
    #[inline]
    pub fn is_priority(&self) -> bool {
        sys::event::is_priority(&self.raw)
    }

    /// A POSIX AIO operation completed (kqueue's `EVFILT_AIO`). Always
    /// `false` on other platforms.
    #[inline]
    pub fn is_aio(&self) -> bool {
        sys::event::is_aio(&self.raw)
    }

    /// An `lio_listio` batch completed (FreeBSD's `EVFILT_LIO`). Always
    /// `false` on other platforms.
    #[inline]
    pub fn is_lio(&self) -> bool {
        sys::event::is_lio(&self.raw)
    }
}

impl fmt::Debug for Event {
    /// The plain form lists the token and the readiness flags; the alternate
    /// form (`{:#?}`) adds the platform's raw event, decoded.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alternate = f.alternate();
        let mut d = f.debug_struct("Event");
        d.field("token", &self.token())
            .field("readable", &self.is_readable())
            .field("writable", &self.is_writable())
            .field("error", &self.is_error())
            .field("read_closed", &self.is_read_closed())
            .field("write_closed", &self.is_write_closed())
            .field("priority", &self.is_priority())
            .field("aio", &self.is_aio())
            .field("lio", &self.is_lio());
        if alternate {
            d.field("details", &sys::event::Details(&self.raw));
        }
        d.finish()
    }
}
