//! Windows-only extensions: [`NamedPipe`], a named pipe that can be
//! registered with a [`Poll`](crate::Poll).

mod named_pipe;
pub use self::named_pipe::NamedPipe;
