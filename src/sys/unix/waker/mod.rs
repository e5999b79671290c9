//! `Waker` backends: eventfd where the OS has it, a self-pipe otherwise or
//! when `--cfg mio_unsupported_force_waker_pipe` asks for it.

#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(mio_unsupported_force_waker_pipe)
))]
mod eventfd;
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(mio_unsupported_force_waker_pipe)
))]
pub(crate) use self::eventfd::Waker;

#[cfg(any(
    mio_unsupported_force_waker_pipe,
    not(any(target_os = "linux", target_os = "android"))
))]
mod pipe;
#[cfg(any(
    mio_unsupported_force_waker_pipe,
    not(any(target_os = "linux", target_os = "android"))
))]
pub(crate) use self::pipe::Waker;
