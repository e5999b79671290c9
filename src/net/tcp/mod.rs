//! TCP: a listener that accepts connections, and the stream each
//! connection is.

mod listener;
pub use self::listener::TcpListener;

mod stream;
pub use self::stream::TcpStream;
