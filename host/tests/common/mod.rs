#![allow(dead_code)] // each test binary uses its own part of these helpers
//! What the tests of the real `wasipy` binary share: where python.wasm is, a warm compiled-module
//! cache, and a command with a cleared environment.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Once;

/// python.wasm: `WASIPY_PYTHON_WASM` (set by the Makefile), else the repository's `python.wasm`.
pub fn python_wasm() -> PathBuf {
    match std::env::var_os("WASIPY_PYTHON_WASM") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../python.wasm"),
    }
}

/// One compiled-module cache for the whole test run, warmed once: a cold compile takes ~10 s and
/// would otherwise count against the time limits under test.
pub fn cache_dir() -> PathBuf {
    static WARM: Once = Once::new();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wasipy-cache");
    WARM.call_once(|| {
        let output = command(&dir).args(["run", "-c", "pass"]).output().unwrap();
        assert!(output.status.success(), "warming the cache failed: {}", String::from_utf8_lossy(&output.stderr));
        let output = command(&dir).args(["run", "--fuel", "1000000000", "-c", "pass"]).output().unwrap();
        assert!(output.status.success(), "warming the fuel cache failed: {}", String::from_utf8_lossy(&output.stderr));
    });
    dir
}

/// `wasipy` with a cleared environment: only what a test passes reaches it.
pub fn command(cache: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wasipy"));
    command
        .env_clear()
        .env("WASIPY_PYTHON_WASM", python_wasm())
        .env("WASIPY_CACHE_DIR", cache)
        .stdin(Stdio::null());
    command
}

/// A fresh directory under the system temp dir, removed when dropped. (Not the
/// `tempfile` crate: as a dev-dependency it changes features of crates wasmtime shares, and the
/// tests would build a second wasmtime.)
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn tempdir() -> TempDir {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let name = format!("case-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    let path = std::env::temp_dir().join(format!("wasipy-test-{name}"));
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).unwrap();
    TempDir(path.canonicalize().unwrap())
}
