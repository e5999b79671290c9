//! WASI preview 1: a selector over `poll_oneoff` (through the `wasi` crate).
//!
//! Preview 1 cannot create sockets, so the socket types come from sockets a
//! runtime pre-opened, through the standard library's types and `from_std`;
//! they can accept, read, write and shut down. There are no pipes, no
//! eventfd and no threads, so there is no `Waker`, and no timer, signal or
//! channel sources (`lib.rs` compiles them out). Preview 2 and later take
//! the Unix path instead (`sys/unix`, poll(2) from wasi-libc).

mod selector;
pub(crate) use self::selector::{event, RawEvent, Selector};

cfg_io_source! {
    mod io_source;
    pub(crate) use self::io_source::IoSourceState;
}

cfg_net! {
    pub(crate) mod tcp;
}
