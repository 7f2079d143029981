//! How a run ended, as the `--json` report and as wasipy's own exit code.

use serde::Serialize;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// The script exited with status 0.
    Ok,
    /// The script exited with a non-zero status (an uncaught exception, `sys.exit(n)`).
    Error,
    /// It ran past `--timeout`.
    Timeout,
    /// It used all of `--fuel`.
    Fuel,
    /// It needed more linear memory than `--memory` and could not go on.
    Memory,
    /// The wasm instance trapped for any other reason (a fault in python.wasm).
    Trap,
}

/// Exit codes of wasipy itself when the guest did not exit on its own. WASI exit statuses stop at
/// 125, so these never collide with a script's.
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_TIMEOUT: i32 = 131;
pub const EXIT_FUEL: i32 = 132;
pub const EXIT_MEMORY: i32 = 133;
pub const EXIT_TRAP: i32 = 134;

/// The facts of one finished run.
#[derive(Debug)]
pub struct Outcome {
    pub verdict: Verdict,
    /// The guest's exit status, when it exited (`None` after a timeout, fuel, memory or trap).
    pub exit_code: Option<i32>,
    /// The trap, for `Verdict::Trap`.
    pub message: Option<String>,
    pub duration: Duration,
    pub fuel_used: Option<u64>,
    pub peak_memory_bytes: u64,
    pub stdout_truncated: bool,
    pub stderr_truncated: bool,
}

impl Outcome {
    /// wasipy's exit code: the guest's own status, or the code for how it was stopped.
    pub fn process_exit_code(&self) -> i32 {
        match self.verdict {
            Verdict::Ok | Verdict::Error => self.exit_code.unwrap_or(1),
            Verdict::Timeout => EXIT_TIMEOUT,
            Verdict::Fuel => EXIT_FUEL,
            Verdict::Memory => EXIT_MEMORY,
            Verdict::Trap => EXIT_TRAP,
        }
    }

    /// One line for stderr when the guest did not end on its own, e.g. `wasipy: timeout after 1s`.
    pub fn explanation(&self, timeout: Option<Duration>, memory: Option<u64>) -> Option<String> {
        Some(match self.verdict {
            Verdict::Ok | Verdict::Error => return None,
            Verdict::Timeout => format!("timeout: the script ran longer than {:?}", timeout.unwrap_or_default()),
            Verdict::Fuel => "fuel: the script used all of its --fuel".into(),
            Verdict::Memory => match memory {
                Some(cap) => format!("memory: the script needed more than {cap} bytes of linear memory (--memory)"),
                None => "memory: the script needed more linear memory than wasm allows".into(),
            },
            Verdict::Trap => format!("trap: {}", self.message.as_deref().unwrap_or("unknown")),
        })
    }
}

/// The `--json` report; its fields are documented in the README.
#[derive(Serialize)]
pub struct Report {
    pub exit_code: i32,
    pub verdict: Verdict,
    pub duration_ms: u64,
    pub fuel_used: Option<u64>,
    pub peak_memory_bytes: u64,
    pub stdout: String,
    pub stderr: String,
    pub truncated: Truncated,
    /// Why the run was stopped, when it did not end on its own.
    pub message: Option<String>,
}

#[derive(Serialize)]
pub struct Truncated {
    pub stdout: bool,
    pub stderr: bool,
}

impl Report {
    pub fn new(outcome: &Outcome, stdout: &[u8], stderr: &[u8], message: Option<String>) -> Report {
        Report {
            exit_code: outcome.process_exit_code(),
            verdict: outcome.verdict,
            duration_ms: outcome.duration.as_millis() as u64,
            fuel_used: outcome.fuel_used,
            peak_memory_bytes: outcome.peak_memory_bytes,
            // JSON strings are Unicode: bytes that are not UTF-8 become U+FFFD.
            stdout: String::from_utf8_lossy(stdout).into_owned(),
            stderr: String::from_utf8_lossy(stderr).into_owned(),
            truncated: Truncated { stdout: outcome.stdout_truncated, stderr: outcome.stderr_truncated },
            message,
        }
    }
}
