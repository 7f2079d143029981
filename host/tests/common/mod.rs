#![allow(dead_code)] // each test binary uses its own part of these helpers
//! What the tests of the real `wasipy` binary share: where python.wasm is, a warm compiled-module
//! cache, and a command with a cleared environment.

use std::io::{BufRead, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
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

pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`), read to the end.
pub fn http(port: u16, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let mut response = HttpResponse { status, headers, body: raw[split + 4..].to_vec() };
    if response.header("transfer-encoding").is_some_and(|coding| coding.eq_ignore_ascii_case("chunked")) {
        response.body = unchunk(&response.body);
    }
    response
}

/// A chunked body (RFC 9112 7.1) decoded; trailers are dropped.
fn unchunk(mut data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n").expect("a chunk size line");
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).expect("a chunk size");
        data = &data[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}


/// A server's log: `stream`'s lines (its stderr), collected on a thread of their own, which also
/// keeps the server from blocking on a full pipe.
pub fn collect_lines(stream: impl BufRead + Send + 'static) -> Arc<Mutex<String>> {
    let log = Arc::new(Mutex::new(String::new()));
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in stream.lines() {
            let Ok(line) = line else { break };
            sink.lock().unwrap().push_str(&(line + "\n"));
        }
    });
    log
}
