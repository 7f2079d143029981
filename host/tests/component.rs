//! python-http.wasm, the wasi:http component, as an edge deployment meets it: the world it is
//! built for, and an app cut with `wasipy snapshot --component` served by the real `wasmtime
//! serve` (the Makefile's CLI, `WASMTIME`), with a plain HTTP/1.1 client and a loopback server
//! for the app's outbound request.

mod common;

use common::{cache_dir, command, http};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The component `make` builds: `WASIPY_PYTHON_HTTP_WASM`, else the repository's.
fn python_http_wasm() -> PathBuf {
    std::env::var_os("WASIPY_PYTHON_HTTP_WASM").map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../python-http.wasm"), PathBuf::from)
}

/// Its core module, which app components are cut from.
fn python_http_core_wasm() -> PathBuf {
    python_http_wasm().with_file_name("python-http-core.wasm")
}

fn wasmtime() -> PathBuf {
    std::env::var_os("WASMTIME").map_or_else(|| PathBuf::from("wasmtime"), PathBuf::from)
}

/// The interfaces of the `wasi:http/proxy` world (0.2): all a component for Spin, wasmCloud or
/// Fastly may import.
const PROXY_WORLD_IMPORTS: [&str; 11] = [
    "wasi:http/types",
    "wasi:http/outgoing-handler",
    "wasi:io/poll",
    "wasi:io/error",
    "wasi:io/streams",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:random/random",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/stdin",
];

/// `wasi:http/types@0.2.6` → `wasi:http/types`, when the version is 0.2.x.
fn unversioned(name: &str) -> Option<&str> {
    let (interface, version) = name.split_once('@')?;
    version.starts_with("0.2.").then_some(interface)
}

/// The names a component imports and exports at its top level.
fn world_of(wasm: &[u8]) -> (Vec<String>, Vec<String>) {
    let (mut imports, mut exports) = (Vec::new(), Vec::new());
    let mut depth = 0;
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        match payload.expect("a valid component") {
            wasmparser::Payload::ModuleSection { .. } | wasmparser::Payload::ComponentSection { .. } => depth += 1,
            wasmparser::Payload::End(_) => depth -= 1,
            wasmparser::Payload::ComponentImportSection(section) if depth == 0 => {
                imports.extend(section.into_iter().map(|import| import.unwrap().name.full_name().into_owned()));
            }
            wasmparser::Payload::ComponentExportSection(section) if depth == 0 => {
                exports.extend(section.into_iter().map(|export| export.unwrap().name.full_name().into_owned()));
            }
            _ => {}
        }
    }
    (imports, exports)
}

#[test]
fn the_component_lives_in_the_proxy_world() {
    let wasm = std::fs::read(python_http_wasm()).expect("python-http.wasm (make python-http.wasm)");
    assert!(wasmparser::Parser::is_component(&wasm), "python-http.wasm is not a component");
    let (imports, exports) = world_of(&wasm);
    assert!(!imports.is_empty());
    for import in &imports {
        let interface = unversioned(import).unwrap_or_else(|| panic!("import {import} is not a wasi 0.2 interface"));
        assert!(PROXY_WORLD_IMPORTS.contains(&interface), "import {import} is not in the wasi:http/proxy world");
    }
    let handlers: Vec<&String> = exports.iter().filter(|export| unversioned(export) == Some("wasi:http/incoming-handler")).collect();
    assert_eq!(handlers.len(), 1, "exports {exports:?}: one wasi:http/incoming-handler");
    assert_eq!(exports.len(), 1, "exports {exports:?}: nothing but the incoming handler");
}

/// The test app: a handler script that serves a WSGI app with `wasipy_cgi.run`, as a CGI
/// handler does under python.wasm.
const HANDLER: &str = r#"
import urllib.request
import wasipy_cgi

def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/echo":
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response("201 Created", [("Content-Type", "application/octet-stream"),
                                       ("X-Echo", environ.get("HTTP_X_TEST", "")),
                                       ("X-Method", environ["REQUEST_METHOD"]),
                                       ("X-Length", str(len(body)))])
        return [body]
    if path == "/big":
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return [bytes(range(256)) * 4096]
    if path == "/teapot":
        start_response("418 I'm a teapot", [("Content-Type", "text/plain"), ("X-Query", environ["QUERY_STRING"])])
        return [b"short and stout"]
    if path == "/raise":
        raise RuntimeError("the app failed on purpose")
    if path == "/state":
        import os, random, time
        import state
        state.HITS.append(path)
        text = "%r %d %.3f %r %s" % (random.random(), len(state.HITS), time.time(), dict(os.environ), state.IMPORTED_WITH)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [text.encode()]
    if path == "/outbound":
        with urllib.request.urlopen("http://127.0.0.1:%s/hello" % environ["QUERY_STRING"], timeout=60) as response:
            text = response.read().decode()
            kind = response.headers["Content-Type"]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [("outbound %d %s: %s" % (response.status, kind, text)).encode()]
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"no route " + path.encode()]

wasipy_cgi.run(app)
"#;

/// A running `wasmtime serve` of a component, killed when dropped.
struct Served {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
}

impl Served {
    fn start(component: &Path) -> Served {
        let mut child = Command::new(wasmtime())
            .args(["serve", "--addr", "127.0.0.1:0"])
            .arg(component)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wasmtime serve (the Makefile's WASMTIME)");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let port = loop {
            let mut line = String::new();
            assert!(stderr.read_line(&mut line).unwrap() > 0, "wasmtime serve ended before serving");
            if let Some(address) = line.trim().strip_prefix("Serving HTTP on http://") {
                break address.trim_end_matches('/').rsplit(':').next().unwrap().parse().unwrap();
            }
        };
        let log = common::collect_lines(stderr);
        let mut stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        Served { child, port, log }
    }

    /// The log once it holds `text` (lines arrive on a thread of their own, after the response).
    fn log_containing(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let log = self.log.lock().unwrap().clone();
            if log.contains(text) || Instant::now() >= deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The test app's component, cut into `dir`.
fn cut_app_component(dir: &Path) -> PathBuf {
    std::fs::write(dir.join("handler.py"), HANDLER).unwrap();
    // A module of the app imported at the cut, with state a request changes.
    std::fs::write(dir.join("state.py"), "import os\nHITS = []\nIMPORTED_WITH = os.environ.get('CUT_ONLY')\n").unwrap();
    let output = dir.join("app.wasm");
    let result = command(&cache_dir())
        .current_dir(dir)
        .args(["snapshot", "--component", "--python-wasm"])
        .arg(python_http_core_wasm())
        .args(["--dir", ".::/app:ro", "--env", "CUT_ONLY=the cut's", "--preload", "state,urllib.request,http.client,email.parser"])
        .args(["--handler", "handler.py", "-o"])
        .arg(&output)
        .output()
        .unwrap();
    assert!(result.status.success(), "wasipy snapshot --component failed: {}", String::from_utf8_lossy(&result.stderr));
    output
}

/// One cut and one `wasmtime serve` for every check of the app (the server is stopped when the
/// test ends: a server shared through a static would outlive the test process).
#[test]
fn an_app_component_under_wasmtime_serve() {
    let dir = common::tempdir();
    let served = Served::start(&cut_app_component(dir.path()));
    get_and_post_with_headers_both_ways(&served);
    status_codes_pass_through(&served);
    a_megabyte_each_way(&served);
    a_raising_app_is_a_500_with_its_traceback_in_the_log(&served);
    each_request_gets_fresh_state_randomness_and_clock(&served);
    urlopen_reaches_a_loopback_server(&served);
}

fn get_and_post_with_headers_both_ways(served: &Served) {
    let response = http(served.port, "POST", "/echo", &[("X-Test", "sent by the client"), ("Content-Type", "text/plain")], b"hello component");
    assert_eq!(response.status, 201, "{}", response.text());
    assert_eq!(response.text(), "hello component");
    assert_eq!(response.header("x-echo"), Some("sent by the client"));
    assert_eq!(response.header("x-method"), Some("POST"));
    let response = http(served.port, "GET", "/echo", &[("X-Test", "a get")], b"");
    assert_eq!((response.status, response.header("x-echo"), response.header("x-length")), (201, Some("a get"), Some("0")));
}

fn status_codes_pass_through(served: &Served) {
    let response = http(served.port, "GET", "/teapot?pot=1&cups=2", &[], b"");
    assert_eq!((response.status, response.text().as_str()), (418, "short and stout"));
    assert_eq!(response.header("x-query"), Some("pot=1&cups=2"));
    let response = http(served.port, "GET", "/nowhere", &[], b"");
    assert_eq!((response.status, response.text().as_str()), (404, "no route /nowhere"));
}

fn a_megabyte_each_way(served: &Served) {
    let sent: Vec<u8> = (0..1 << 20).map(|i: u32| (i * 7 % 251) as u8).collect();
    let response = http(served.port, "POST", "/echo", &[], &sent);
    assert_eq!((response.status, response.header("x-length")), (201, Some("1048576")));
    assert!(response.body == sent, "the echoed megabyte differs ({} bytes back)", response.body.len());
    let response = http(served.port, "GET", "/big", &[], b"");
    let expected: Vec<u8> = (0..4096).flat_map(|_| 0..=255u8).collect();
    assert_eq!(response.status, 200);
    assert!(response.body == expected, "the megabyte sent differs ({} bytes)", response.body.len());
}

fn a_raising_app_is_a_500_with_its_traceback_in_the_log(served: &Served) {
    let response = http(served.port, "GET", "/raise", &[], b"");
    assert_eq!(response.status, 500, "{}", response.text());
    assert!(!response.text().contains("on purpose"), "the traceback leaked into the response: {}", response.text());
    let log = served.log_containing("RuntimeError: the app failed on purpose");
    assert!(log.contains("Traceback (most recent call last):") && log.contains("RuntimeError: the app failed on purpose"), "log: {log}");
}

fn urlopen_reaches_a_loopback_server(served: &Served) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let loopback = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut request = Vec::new();
        let mut byte = [0u8; 1];
        while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
            request.push(byte[0]);
        }
        let body = "hello from the loopback server";
        let response = format!("HTTP/1.1 200 OK\r\nContent-Type: text/x-test\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        stream.write_all(response.as_bytes()).unwrap();
        String::from_utf8_lossy(&request).into_owned()
    });
    let response = http(served.port, "GET", &format!("/outbound?{loopback}"), &[], b"");
    assert_eq!((response.status, response.text().as_str()), (200, "outbound 200 text/x-test: hello from the loopback server"));
    let request = server.join().unwrap();
    assert!(request.starts_with("GET /hello HTTP/1.1\r\n"), "the loopback server got: {request}");
    assert!(request.to_ascii_lowercase().contains("user-agent: python-urllib/"), "the loopback server got: {request}");
}

fn each_request_gets_fresh_state_randomness_and_clock(served: &Served) {
    let answers: Vec<Vec<String>> = (0..2)
        .map(|_| {
            let response = http(served.port, "GET", "/state", &[], b"");
            assert_eq!(response.status, 200, "{}", response.text());
            response.text().split(' ').map(str::to_owned).collect()
        })
        .collect();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs_f64();
    for answer in &answers {
        // The module's list holds this request's hit only: each request has a fresh instance.
        assert_eq!(answer[1], "1", "{answer:?}");
        let clock: f64 = answer[2].parse().unwrap();
        assert!((clock - now).abs() < 300.0, "the request's clock is {clock}, the host's {now}");
        // Nothing of the cut's environment: the proxy world has none.
        assert_eq!(answer[3], "{}", "{answer:?}");
        // What the module read at the cut is the cut's (the rule of app snapshots).
        assert_eq!(answer[4..].join(" "), "the cut's");
    }
    assert_ne!(answers[0][0], answers[1][0], "random.random() repeated across requests");
}

#[test]
fn the_plain_component_says_it_has_no_app() {
    let served = Served::start(&python_http_wasm());
    let response = http(served.port, "GET", "/", &[], b"");
    assert_eq!(response.status, 500);
    assert!(response.text().contains("this component has no handler"), "{}", response.text());
}
