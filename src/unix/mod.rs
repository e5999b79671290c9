//! Unix-only extensions: [`SourceFd`] for any file descriptor, and
//! non-blocking [`pipe`]s.

pub mod pipe;

mod sourcefd;
pub use self::sourcefd::SourceFd;
