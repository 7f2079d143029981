//! `wasipy serve` as a developer meets it: the real server on loopback, the example handlers from
//! `examples/web`, and a plain HTTP/1.1 client.

mod common;

use common::{HttpResponse, cache_dir, command, http};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `wasipy serve`, stopped (with SIGINT, as Ctrl-C) when dropped.
struct Server {
    child: Child,
    port: u16,
    log: Arc<Mutex<String>>,
    _dir: common::TempDir,
}

impl Server {
    /// Serves the examples (read-only, at /app) plus the handlers in `extra` (name, source),
    /// with `routes` as `--route` values and `args` before them.
    fn start(args: &[&str], extra: &[(&str, &str)]) -> Server {
        let dir = common::tempdir();
        let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/web");
        for entry in std::fs::read_dir(&examples).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_file() {
                std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
            }
        }
        for (name, source) in extra {
            std::fs::write(dir.path().join(name), source).unwrap();
        }
        let mut child = command(&cache_dir())
            .current_dir(dir.path())
            .args(["serve", "--listen", "127.0.0.1:0", "--dir", ".::/app:ro"])
            .args(args)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        stderr.read_line(&mut first).unwrap();
        let port = first
            .trim()
            .rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("the server did not say where it listens: {first:?}"));
        let log = common::collect_lines(stderr);
        Server { child, port, log, _dir: dir }
    }

    fn request(&self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
        http(self.port, method, target, headers, body)
    }

    fn get(&self, target: &str) -> HttpResponse {
        self.request("GET", target, &[], b"")
    }

    /// The log once `done` holds for it. Lines reach it from the server's stderr on a thread of
    /// their own, after the response they log has been sent: reading it once, right after a
    /// response, races that thread. The deadline only bounds a test that would fail anyway.
    fn log_when(&self, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let log = self.log.lock().unwrap().clone();
            if done(&log) || Instant::now() >= deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn open_descriptors(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.child.id())).unwrap().count()
    }

    fn resident_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|line| line.starts_with("VmRSS:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    fn stop(&mut self) -> std::process::ExitStatus {
        // SAFETY: the child is ours and still running; SIGINT is what Ctrl-C sends.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn routes() -> Vec<&'static str> {
    vec!["--timeout", "3s", "--route", "/api=api.py", "--route", "/form=form.py", "hello.py"]
}

#[test]
fn plain_cgi_and_wsgi_handlers_answer_requests() {
    let server = Server::start(&routes(), &[]);

    let hello = server.get("/some/where");
    assert_eq!(hello.status, 200);
    assert_eq!(hello.header("content-type"), Some("text/plain; charset=utf-8"));
    assert_eq!(hello.text(), "Hello from python.wasm! You asked for /some/where\n");

    let item = server.get("/api/items/2?verbose=1");
    assert_eq!(item.status, 200, "{}", item.text());
    assert_eq!(item.text(), r#"{"name": "teapot"}"#);

    let created = server.request("POST", "/api/items?x=1&y=2", &[("Content-Type", "application/json")], br#"{"name": "cup"}"#);
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.text(), r#"{"created": {"name": "cup"}, "query": "x=1&y=2"}"#);

    let missing = server.get("/api/items/9");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.text(), r#"{"error": "no such item"}"#);

    let form = server.request("POST", "/form", &[("Content-Type", "application/x-www-form-urlencoded")], b"name=Ada+%3CL%3E");
    assert_eq!(form.status, 200);
    assert_eq!(form.text(), "<p>Thanks, Ada &lt;L&gt;!</p>\n");
}

#[test]
fn binary_and_large_bodies_round_trip_byte_for_byte() {
    let server = Server::start(&routes(), &[]);
    // 10 MiB that is not UTF-8 and holds every byte value.
    let body: Vec<u8> = (0..10 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let echo = server.request("POST", "/api/echo", &[("Content-Type", "application/octet-stream")], &body);
    assert_eq!(echo.status, 200);
    assert_eq!(echo.body.len(), body.len());
    assert!(echo.body == body, "the echoed body differs");
}

#[test]
fn a_raising_app_is_a_500_with_the_traceback_in_the_log_and_the_server_stays_up() {
    let server = Server::start(&routes(), &[]);
    let failed = server.get("/api/fail");
    assert_eq!(failed.status, 500);
    assert!(!failed.text().contains("Traceback"), "the traceback leaked into the response: {}", failed.text());
    assert_eq!(server.get("/api/items/1").status, 200);
    let log = server.log_when(|log| log.contains("RuntimeError: this handler fails on purpose") && log.contains("GET /api/fail 500"));
    assert!(log.contains("RuntimeError: this handler fails on purpose"), "{log}");
    assert!(log.contains("GET /api/fail 500"), "{log}");
}

#[test]
fn a_stuck_handler_is_a_504_at_the_timeout_while_other_requests_succeed() {
    let loop_handler = "while True:\n    pass\n";
    let server = Server::start(&["--timeout", "2s", "--route", "/stuck=stuck.py", "hello.py"], &[("stuck.py", loop_handler)]);
    let port = server.port;
    let started = Instant::now();
    let stuck = std::thread::spawn(move || http(port, "GET", "/stuck", &[], b""));
    std::thread::sleep(Duration::from_millis(300));
    for _ in 0..3 {
        assert_eq!(server.get("/").status, 200);
    }
    let stuck = stuck.join().unwrap();
    assert_eq!(stuck.status, 504);
    // Not before the timeout; how long after it depends on the machine's load.
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");
}

#[test]
fn each_request_starts_from_a_fresh_interpreter() {
    let handler = "import builtins\nseen = getattr(builtins, 'marker', None)\nbuiltins.marker = 'set'\nprint('Content-Type: text/plain')\nprint()\nprint(seen)\n";
    let server = Server::start(&["state.py"], &[("state.py", handler)]);
    for _ in 0..3 {
        assert_eq!(server.get("/").text(), "None\n");
    }
}

/// `count` requests from 8 client threads at once, each answer checked.
fn concurrent_requests(port: u16, count: usize) {
    let workers: Vec<_> = (0..8)
        .map(|worker| {
            std::thread::spawn(move || {
                for i in (worker..count).step_by(8) {
                    let id = if i % 2 == 0 { "1" } else { "2" };
                    let response = http(port, "GET", &format!("/api/items/{id}"), &[], b"");
                    assert_eq!(response.status, 200);
                    let expected = if id == "1" { r#"{"name": "kettle"}"# } else { r#"{"name": "teapot"}"# };
                    assert_eq!(response.text(), expected);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
}

#[test]
fn two_hundred_requests_eight_at_a_time_without_growth() {
    let server = Server::start(&routes(), &[]);
    // The first hundred bring the server to its steady state (8 instances alive at once); the
    // second hundred must not take it further.
    concurrent_requests(server.port, 100);
    let (fds_before, rss_before) = (server.open_descriptors(), server.resident_kib());
    concurrent_requests(server.port, 100);
    let (fds_after, rss_after) = (server.open_descriptors(), server.resident_kib());
    assert!(fds_after <= fds_before + 2, "descriptors grew from {fds_before} to {fds_after}");
    assert!(rss_after < rss_before + 64 * 1024, "resident memory grew from {rss_before} KiB to {rss_after} KiB");
    let log = server.log_when(|log| log.matches("GET /api/items/").count() >= 200);
    assert_eq!(log.matches("GET /api/items/").count(), 200, "one log line per request");
}

#[test]
fn ctrl_c_stops_the_server_cleanly() {
    let mut server = Server::start(&["hello.py"], &[]);
    assert_eq!(server.get("/").status, 200);
    let status = server.stop();
    assert!(status.success(), "{status:?}");
}

#[test]
fn an_unknown_route_is_a_404_from_the_server() {
    let server = Server::start(&["--route", "/api=api.py"], &[]);
    assert_eq!(server.get("/elsewhere").status, 404);
    assert_eq!(server.get("/apix").status, 404);
    assert_eq!(server.get("/api/items/1").status, 200);
}
