//! Unix backends.

/// Calls a `libc` function that reports failure as `-1` plus `errno`, and
/// turns that into an `io::Error` carrying the OS error. The expansion is an
/// `unsafe` call: every use site states why its arguments are valid.
macro_rules! syscall {
    ($fn: ident ( $($arg: expr),* $(,)? ) ) => {{
        #[allow(unused_unsafe)]
        let res = unsafe { libc::$fn($($arg, )*) };
        if res == -1 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(res)
        }
    }};
}

mod selector;
pub(crate) use self::selector::{event, RawEvent, Selector};

mod waker;
pub(crate) use self::waker::Waker;

cfg_io_source! {
    mod io_source;
    pub(crate) use self::io_source::IoSourceState;
}

mod fd;
#[allow(unused_imports)]
pub(crate) use self::fd::{new_pipe, set_nonblocking};

cfg_net! {
    mod net;
    pub(crate) mod tcp;
    pub(crate) mod udp;
    pub(crate) mod uds;
}
