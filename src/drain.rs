//! Reading the notification descriptor of a timer, a signal set or a
//! channel receiver empty, through `IoSource::do_io`, so that the backends
//! that emulate edge triggering (poll(2)) re-arm it.
//!
//! Such a backend re-arms a source when its I/O returns `WouldBlock`. A
//! read that empties the descriptor without failing (an eventfd or a timerfd
//! is emptied by one read) would leave it disarmed; `rearm` then reports a
//! `WouldBlock` through `do_io` without any system call. That is exact: the
//! descriptor was empty when the read returned, so from then on only new
//! data makes it readable, and the re-armed poll reports it.

use std::io;

use crate::io_source::IoSource;

/// Reads `source` with `read` until it is empty. `read` is one non-blocking
/// read: `Ok(true)` when it emptied the descriptor, `Ok(false)` when more
/// may be left, `WouldBlock` when there was nothing.
#[cfg_attr(not(any(feature = "signal", feature = "channel")), allow(dead_code))]
pub(crate) fn drain<T, F>(source: &IoSource<T>, read: F) -> io::Result<()>
where
    F: Fn(&T) -> io::Result<bool>,
{
    loop {
        match source.do_io(&read) {
            Ok(true) => {
                rearm(source);
                return Ok(());
            }
            Ok(false) => {}
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
}

/// Tells the backend that `source`'s readiness was consumed: poll it for
/// readiness again. A no-op where edge triggering is native.
pub(crate) fn rearm<T>(source: &IoSource<T>) {
    let _ = source.do_io(|_| Err::<(), _>(io::Error::from(io::ErrorKind::WouldBlock)));
}
