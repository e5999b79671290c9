//! The kqueue(2) items `libc` has no Linux bindings for, so that the kqueue
//! selector, its `Waker` and its `Timer` can run on Linux over libkqueue, a
//! user-space kqueue built on epoll, eventfd and timerfd. Compiled only under
//! `--cfg mio_unsupported_force_kqueue`, a test configuration
//! (`scripts/kqueue.sh`); every native kqueue system uses `libc`'s items.
//!
//! The names mirror `libc`'s, so the backend's code reads the same on both.
//! Layout and values are those of libkqueue's `<sys/event.h>` (libkqueue
//! 2.7): the 32-byte `kevent` of Apple's systems and of FreeBSD before 12,
//! FreeBSD's filter numbers (`EVFILT_USER` is -11) and Apple's timer units
//! (`NOTE_SECONDS`, `NOTE_USECONDS`, `NOTE_NSECONDS`; milliseconds when no
//! unit flag is given).

#![allow(non_camel_case_types)]
// The timer items are used only with the `timer` feature.
#![cfg_attr(not(feature = "timer"), allow(dead_code))]

use libc::{c_int, c_short, c_uint, c_ushort, c_void, intptr_t, timespec, uintptr_t};

/// One change or one event (kevent(2)).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct kevent {
    pub(crate) ident: uintptr_t,
    pub(crate) filter: c_short,
    pub(crate) flags: c_ushort,
    pub(crate) fflags: c_uint,
    pub(crate) data: intptr_t,
    pub(crate) udata: *mut c_void,
}

pub(crate) const EVFILT_READ: c_short = -1;
pub(crate) const EVFILT_WRITE: c_short = -2;
pub(crate) const EVFILT_TIMER: c_short = -7;
pub(crate) const EVFILT_USER: c_short = -11;

pub(crate) const EV_ADD: c_ushort = 0x0001;
pub(crate) const EV_DELETE: c_ushort = 0x0002;
pub(crate) const EV_ONESHOT: c_ushort = 0x0010;
pub(crate) const EV_CLEAR: c_ushort = 0x0020;
pub(crate) const EV_RECEIPT: c_ushort = 0x0040;
pub(crate) const EV_ERROR: c_ushort = 0x4000;
pub(crate) const EV_EOF: c_ushort = 0x8000;

pub(crate) const NOTE_TRIGGER: c_uint = 0x0100_0000;
pub(crate) const NOTE_SECONDS: c_uint = 0x0001;
pub(crate) const NOTE_USECONDS: c_uint = 0x0002;
pub(crate) const NOTE_NSECONDS: c_uint = 0x0004;

// Linked statically from the build `scripts/kqueue.sh` makes; the script
// passes its folder with `-L native=...`.
#[link(name = "kqueue", kind = "static")]
extern "C" {
    pub(crate) fn kqueue() -> c_int;
    pub(crate) fn kevent(
        kq: c_int,
        changelist: *const kevent,
        nchanges: c_int,
        eventlist: *mut kevent,
        nevents: c_int,
        timeout: *const timespec,
    ) -> c_int;
}

#[cfg(test)]
mod tests {
    use std::mem::{align_of, size_of, MaybeUninit};
    use std::ptr::addr_of;

    use super::kevent;

    /// The layout of libkqueue's `struct kevent` on 64-bit Linux.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn kevent_layout_matches_libkqueue() {
        assert_eq!(size_of::<kevent>(), 32);
        assert_eq!(align_of::<kevent>(), 8);
        let kev = MaybeUninit::<kevent>::uninit();
        let base = kev.as_ptr();
        // SAFETY: `addr_of!` computes field addresses inside `kev` without
        // reading the uninitialised memory.
        let offsets = unsafe {
            [
                addr_of!((*base).ident) as usize,
                addr_of!((*base).filter) as usize,
                addr_of!((*base).flags) as usize,
                addr_of!((*base).fflags) as usize,
                addr_of!((*base).data) as usize,
                addr_of!((*base).udata) as usize,
            ]
        };
        let offsets = offsets.map(|field| field - base as usize);
        assert_eq!(offsets, [0, 8, 10, 12, 16, 24]);
    }
}
