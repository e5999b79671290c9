//! Networking primitives: TCP, UDP and Unix-domain sockets that can be
//! registered with a [`Poll`](crate::Poll).
