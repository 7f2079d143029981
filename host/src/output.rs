//! The guest's stdout and stderr: passed through or captured, capped at `--max-output` bytes each.
//!
//! Writes past the cap succeed for the guest (a script must not fail because its log is long) but are
//! dropped; the stream records that it truncated so the verdict can say so.

use bytes::Bytes;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Where the bytes the guest writes end up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sink {
    /// Straight to the host's stdout (or stderr), as they are written.
    HostStdout,
    HostStderr,
    /// Kept in memory for the JSON verdict or an HTTP response.
    Capture,
}

#[derive(Default)]
struct State {
    captured: Vec<u8>,
    written: u64,
    truncated: bool,
}

/// One guest output stream. Clones share the same state, as WASI requires of all handles to stdout.
#[derive(Clone)]
pub struct CappedOutput {
    sink: Sink,
    cap: Option<u64>,
    state: Arc<Mutex<State>>,
}

impl CappedOutput {
    pub fn new(sink: Sink, cap: Option<u64>) -> Self {
        CappedOutput { sink, cap, state: Arc::default() }
    }

    /// Everything the guest wrote, as kept (only for `Sink::Capture`).
    pub fn captured(&self) -> Vec<u8> {
        self.state.lock().unwrap().captured.clone()
    }

    /// Whether anything the guest wrote was dropped by the cap.
    pub fn truncated(&self) -> bool {
        self.state.lock().unwrap().truncated
    }

    fn accept(&self, bytes: &[u8]) -> std::io::Result<()> {
        let mut state = self.state.lock().unwrap();
        let room = match self.cap {
            Some(cap) => cap.saturating_sub(state.written).min(bytes.len() as u64) as usize,
            None => bytes.len(),
        };
        if room < bytes.len() {
            state.truncated = true;
        }
        let kept = &bytes[..room];
        state.written += room as u64;
        match self.sink {
            Sink::Capture => state.captured.extend_from_slice(kept),
            // A host stdout that went away (a closed pipe) is the guest's EPIPE, as under python3.
            Sink::HostStdout => std::io::stdout().lock().write_all(kept)?,
            Sink::HostStderr => std::io::stderr().lock().write_all(kept)?,
        }
        Ok(())
    }

    fn flush_host(&self) -> std::io::Result<()> {
        match self.sink {
            Sink::Capture => Ok(()),
            Sink::HostStdout => std::io::stdout().flush(),
            Sink::HostStderr => std::io::stderr().flush(),
        }
    }
}

impl IsTerminal for CappedOutput {
    fn is_terminal(&self) -> bool {
        match self.sink {
            Sink::Capture => false,
            Sink::HostStdout => std::io::IsTerminal::is_terminal(&std::io::stdout()),
            Sink::HostStderr => std::io::IsTerminal::is_terminal(&std::io::stderr()),
        }
    }
}

impl StdoutStream for CappedOutput {
    // Writes complete synchronously, so nothing is still in flight when the guest exits and the
    // verdict reads what was captured.
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[async_trait::async_trait]
impl Pollable for CappedOutput {
    async fn ready(&mut self) {}
}

/// The most a guest may hand over in one write; WASI asks the stream before each write.
const WRITE_BUDGET: usize = 64 * 1024;

impl OutputStream for CappedOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.accept(&bytes).map_err(|e| wasmtime_wasi::p2::StreamError::LastOperationFailed(e.into()))
    }

    fn flush(&mut self) -> StreamResult<()> {
        self.flush_host().map_err(|e| wasmtime_wasi::p2::StreamError::LastOperationFailed(e.into()))
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_BUDGET)
    }
}

impl AsyncWrite for CappedOutput {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Poll::Ready(self.accept(buf).map(|()| buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(self.flush_host())
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_up_to_the_cap_and_records_truncation() {
        let out = CappedOutput::new(Sink::Capture, Some(5));
        out.accept(b"abc").unwrap();
        assert!(!out.truncated());
        out.accept(b"defgh").unwrap();
        assert_eq!(out.captured(), b"abcde");
        assert!(out.truncated());
    }

    #[test]
    fn uncapped_keeps_everything() {
        let out = CappedOutput::new(Sink::Capture, None);
        out.accept(&[7u8; 100_000]).unwrap();
        assert_eq!(out.captured().len(), 100_000);
        assert!(!out.truncated());
    }
}
