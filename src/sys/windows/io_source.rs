//! Per-source state on Windows: the registration's `SockState`, which
//! `do_io` re-arms whenever the user's I/O returns `WouldBlock` (that is
//! how edge triggering is emulated over one-shot AFD polls).

use std::io;
use std::os::windows::io::RawSocket;
use std::sync::Arc;

use super::sock_state::SockState;
use super::Selector;
use crate::sys::registration;
use crate::{Interest, Token};

pub(crate) struct IoSourceState {
    state: Option<Arc<SockState>>,
}

impl IoSourceState {
    pub(crate) fn new() -> IoSourceState {
        IoSourceState { state: None }
    }

    /// Runs `f`; if it would block, the source is armed again, so that the
    /// next readiness is reported. If that fails (the `Poll` is gone), the
    /// failure replaces `WouldBlock`: no event would ever follow it.
    pub(crate) fn do_io<T, F, R>(&self, direction: Option<Interest>, f: F, io: &T) -> io::Result<R>
    where
        F: FnOnce(&T) -> io::Result<R>,
    {
        let result = f(io);
        if let (Err(err), Some(state)) = (&result, &self.state) {
            if err.kind() == io::ErrorKind::WouldBlock {
                state.rearm(direction)?;
            }
        }
        result
    }

    pub(crate) fn register(
        &mut self,
        selector: &Selector,
        token: Token,
        interests: Interest,
        socket: RawSocket,
    ) -> io::Result<()> {
        if self.state.is_some() {
            return Err(registration::already_registered());
        }
        self.state = Some(SockState::register(
            selector.inner(),
            socket,
            token,
            interests,
        )?);
        Ok(())
    }

    pub(crate) fn reregister(
        &mut self,
        selector: &Selector,
        token: Token,
        interests: Interest,
        _: RawSocket,
    ) -> io::Result<()> {
        match &self.state {
            Some(state) => state.reregister(selector.inner(), token, interests),
            None => Err(registration::not_registered()),
        }
    }

    pub(crate) fn deregister(&mut self, _: &Selector, _: RawSocket) -> io::Result<()> {
        match self.state.take() {
            Some(state) => {
                state.close();
                Ok(())
            }
            None => Err(registration::not_registered()),
        }
    }
}

impl Drop for IoSourceState {
    fn drop(&mut self) {
        // Runs before the socket is closed (the state is the first field of
        // `IoSource`): the poll is cancelled while the socket still exists.
        if let Some(state) = self.state.take() {
            state.close();
        }
    }
}
