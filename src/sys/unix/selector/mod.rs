//! One `Selector` per kernel interface; exactly one is compiled.

#[cfg(any(target_os = "linux", target_os = "android"))]
mod epoll;
#[cfg(any(target_os = "linux", target_os = "android"))]
pub(crate) use self::epoll::{event, RawEvent, Selector};
