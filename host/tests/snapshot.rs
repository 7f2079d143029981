//! `wasipy snapshot` as an app's author meets it: the real binary cuts a small app from the real
//! python-fresh.wasm once, then `wasipy run` and `wasipy serve` run what it wrote. Each test checks
//! one thing a run must not inherit from the cut, or must keep from it.

mod common;

use common::{cache_dir, command, python_wasm};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The app: a module the cut imports (`--preload`), an init script (`--init`), a CGI handler that
/// reports what a run sees as JSON, and the examples' WSGI API.
const APP_MODULE: &str = r#"
import logging, os, random, sys, tempfile, time

IMPORTED_AT = time.time()
ENVIRON_AT_IMPORT = sorted(os.environ)
UNSEEDED = random.Random()        # CPython seeds it from the system in every process
SEEDED = random.Random(1234)      # and this one the same in every process
CANDIDATE_NAMES = tempfile._get_candidate_names()
FIRST_NAME_AT_IMPORT = next(CANDIDATE_NAMES)
PID_AT_IMPORT = os.getpid()
REQUESTS = []
logging.getLogger("appmod").info("imported")
"#;

const INIT_SCRIPT: &str = r#"
import appmod
import helper                     # beside this script: its directory is first on sys.path
appmod.PREPARED_BY_INIT = helper.NAME
"#;

const HELPER: &str = "NAME = 'helper, imported by the init script'\n";

/// In a directory the cut embeds (`--embed`) but does not import from; runs do not grant it.
const LAZY_MODULE: &str = "NAME = 'imported from the snapshot without a grant'\n";

const HANDLER: &str = r#"
import sys
preloaded = "appmod" in sys.modules
import json, logging, os, random, time
import appmod

def lazily_imported():
    try:
        import lazymod
        return lazymod.NAME
    except ImportError as e:
        return repr(e)

appmod.REQUESTS.append(os.environ.get("PATH_INFO"))
try:
    open("/app/written-by-a-run", "w").close()
    write = "written"
except OSError as e:
    write = type(e).__name__
print("Content-Type: application/json")
print()
print(json.dumps({
    "preloaded": preloaded,
    "prepared_by_init": getattr(appmod, "PREPARED_BY_INIT", None),
    "embedded": lazily_imported(),
    "requests_seen": len(appmod.REQUESTS),
    "environ": sorted(os.environ),
    "environ_at_import": appmod.ENVIRON_AT_IMPORT,
    "sys": [sys.executable, sys.prefix, sys.path, [getattr(m, "__file__", None) for m in list(sys.modules.values())]],
    "cwd": os.getcwd(),
    "random": random.random(),
    "urandom": os.urandom(8).hex(),
    "unseeded_generator": appmod.UNSEEDED.random(),
    "seeded_generator": appmod.SEEDED.random(),
    "temp_name": next(appmod.CANDIDATE_NAMES),
    "pid": os.getpid(),
    "hash": hash("x"),
    "time": time.time(),
    "imported_at": appmod.IMPORTED_AT,
    "logging_start": logging._startTime / 1e9,
    "write_to_the_read_only_grant": write,
}))
"#;

/// The host variable the cut must not see, and its value, unique to this test run.
const BUILD_VARIABLE: &str = "WASIPY_TEST_BUILD_MACHINE_SECRET";

/// The module cache of the cut and of the app snapshot's runs: each test run cuts a new snapshot,
/// whose compiled module would stay in the shared cache forever. Emptied before the cut but for
/// wizer's instrumented python-fresh.wasm, the same in every run.
fn snapshot_cache() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("wasipy-snapshot-cache")
}

/// The app cut once for all tests: its directory, the snapshot, and the build variable's value.
struct App {
    dir: PathBuf,
    snapshot: PathBuf,
    secret: String,
}

fn app() -> &'static App {
    static APP: OnceLock<App> = OnceLock::new();
    APP.get_or_init(|| {
        if let Ok(entries) = std::fs::read_dir(snapshot_cache()) {
            for entry in entries.flatten().filter(|entry| !entry.file_name().to_string_lossy().starts_with("wizer-")) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("snapshot-app");
        let _ = std::fs::remove_dir_all(&root);
        let dir = root.join("app");
        std::fs::create_dir_all(&dir).unwrap();
        for (name, source) in [("appmod.py", APP_MODULE), ("setup.py", INIT_SCRIPT), ("helper.py", HELPER), ("handler.py", HANDLER)] {
            std::fs::write(dir.join(name), source).unwrap();
        }
        let api = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/web/api.py");
        std::fs::copy(api, dir.join("api.py")).unwrap();
        let dir = dir.canonicalize().unwrap();
        let lib = root.join("lib");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::write(lib.join("lazymod.py"), LAZY_MODULE).unwrap();
        let snapshot = root.join("app.wasm");
        let secret = format!("secret-{}-{}", std::process::id(), SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos());
        let output = cut(&[
            &format!("{}::/app:ro", dir.display()),
            "--dir",
            &format!("{}::/lib:ro", lib.display()),
            "--env",
            "PYTHONPATH=/lib",
            "--embed",
            &lib.display().to_string(),
            "--env",
            "GIVEN_AT_THE_CUT=yes",
            "--preload",
            "appmod",
            "--init",
            &dir.join("setup.py").display().to_string(),
            "-o",
            &snapshot.display().to_string(),
        ], &secret);
        assert!(output.status.success(), "the cut failed: {}", describe(&output));
        App { dir, snapshot, secret }
    })
}

/// `wasipy snapshot --dir DIR_ARGS[0] …` from the python-fresh.wasm beside python.wasm, with the
/// build variable set in wasipy's own environment.
fn cut(args: &[&str], secret: &str) -> Output {
    command(&snapshot_cache())
        .env(BUILD_VARIABLE, secret)
        .args(["snapshot", "--python-wasm"])
        .arg(python_wasm().with_file_name("python-fresh.wasm"))
        .arg("--dir")
        .args(args)
        .output()
        .unwrap()
}

fn describe(output: &Output) -> String {
    format!("{:?}\nstdout:\n{}\nstderr:\n{}", output.status, String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// `wasipy run` of `args` from `python_wasm` with the app's directory granted read-only at /app.
fn run_with(python_wasm: &Path, env: &[&str], args: &[&str]) -> Output {
    let app = app();
    let mut command = command(&if python_wasm == app.snapshot { snapshot_cache() } else { cache_dir() });
    command.arg("run").arg("--python-wasm").arg(python_wasm).arg("--dir").arg(format!("{}::/app:ro", app.dir.display()));
    for variable in env {
        command.args(["--env", variable]);
    }
    command.args(args).output().unwrap()
}

/// One run of the reporting handler from the app snapshot, its report parsed.
fn report() -> Value {
    let app = app();
    let output = run_with(&app.snapshot, &["GIVEN_AT_RUN=yes"], &[&app.dir.join("handler.py").display().to_string()]);
    assert!(output.status.success(), "{}", describe(&output));
    parse_cgi_json(&output.stdout)
}

fn parse_cgi_json(response: &[u8]) -> Value {
    let text = String::from_utf8_lossy(response);
    let (_, body) = text.split_once("\n\n").unwrap_or_else(|| panic!("not a CGI response: {text}"));
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[test]
fn the_app_is_imported_at_the_cut_and_a_run_takes_it_over() {
    let report = report();
    assert_eq!(report["preloaded"], true, "{report}");
    assert_eq!(report["prepared_by_init"], "helper, imported by the init script", "{report}");
}

#[test]
fn an_embedded_directory_imports_without_its_grant() {
    assert_eq!(report()["embedded"], "imported from the snapshot without a grant");
}

#[test]
fn nothing_of_the_build_machine_is_in_the_snapshot_or_a_run() {
    let app = app();
    let bytes = std::fs::read(&app.snapshot).unwrap();
    // The directory holding the app's and the embedded directory's host paths.
    let host_dir = app.dir.parent().unwrap().display().to_string();
    for (what, needle) in [("the app's host path", host_dir.as_str()), ("a host variable", app.secret.as_str()), ("a host variable's name", BUILD_VARIABLE)] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle.as_bytes()), "{what} ({needle}) is in the snapshot");
    }
    let report = report();
    // At the cut the app saw the variables it was given, not the build's nor the cut's requests.
    assert_eq!(report["environ_at_import"], serde_json::json!(["GIVEN_AT_THE_CUT", "PYTHONPATH"]), "{report}");
    // A run sees its own.
    assert_eq!(report["environ"], serde_json::json!(["GIVEN_AT_RUN"]), "{report}");
    assert_eq!(report["cwd"], "/app");
    let text = report.to_string();
    assert!(!text.contains(&host_dir) && !text.contains(&app.secret), "{report}");
}

#[test]
fn randomness_is_each_runs_own_also_in_generators_made_at_the_cut() {
    let (first, second) = (report(), report());
    for field in ["random", "urandom", "unseeded_generator", "temp_name", "pid"] {
        assert_ne!(first[field], second[field], "{field} is the same in two runs: {first}");
    }
    // A generator the app seeded itself gives the same sequence in every run, as in CPython.
    assert_eq!(first["seeded_generator"], second["seeded_generator"]);
}

#[test]
fn the_clock_is_the_runs_and_logging_counts_from_the_run() {
    let before = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    let report = report();
    let after = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    // The host's and the guest's clocks are the same clock; a second of slack for their rounding.
    for field in ["time", "logging_start"] {
        let seen = report[field].as_f64().unwrap();
        assert!(seen >= before - 1.0 && seen <= after + 1.0, "{field} {seen} is not within this run ({before}..{after})");
    }
    // What the app computed at import is the cut's: the documented rule.
    assert!(report["imported_at"].as_f64().unwrap() < before, "{report}");
}

#[test]
fn the_grants_at_run_time_may_be_read_only() {
    assert_eq!(report()["write_to_the_read_only_grant"], "PermissionError");
}

#[test]
fn each_cut_draws_its_own_hash_secret() {
    let app = app();
    let hash = |python_wasm: &Path| {
        let output = run_with(python_wasm, &[], &["-c", "print(hash('x'))"]);
        assert!(output.status.success(), "{}", describe(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert_eq!(hash(&app.snapshot), hash(&app.snapshot));
    assert_ne!(hash(&app.snapshot), hash(&python_wasm()), "the app snapshot has python.wasm's hash secret");
}

#[test]
fn an_app_snapshot_answers_a_request_as_python_wasm_does() {
    let app = app();
    let api = app.dir.join("api.py").display().to_string();
    let request = ["REQUEST_METHOD=GET", "PATH_INFO=/items/2", "QUERY_STRING=verbose=1", "SERVER_NAME=localhost", "SERVER_PORT=80"];
    let from_snapshot = run_with(&app.snapshot, &request, &[&api]);
    let from_python_wasm = run_with(&python_wasm(), &request, &[&api]);
    assert!(from_snapshot.status.success(), "{}", describe(&from_snapshot));
    assert_eq!(from_snapshot.stdout, from_python_wasm.stdout);
    assert!(String::from_utf8_lossy(&from_snapshot.stdout).ends_with(r#"{"name": "teapot"}"#), "{}", describe(&from_snapshot));
}

#[test]
fn a_failing_init_script_fails_the_cut_with_its_traceback() {
    app(); // after the first cut, which compiles (and caches) wizer's instrumented module
    let dir = common::tempdir();
    std::fs::write(dir.path().join("broken.py"), "import json\n1 / 0\n").unwrap();
    let output = cut(&[
        &dir.path().display().to_string(),
        "--init",
        &dir.path().join("broken.py").display().to_string(),
        "-o",
        &dir.path().join("out.wasm").display().to_string(),
    ], "");
    assert_eq!(output.status.code(), Some(1), "{}", describe(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ZeroDivisionError") && stderr.contains("wasipy: cannot cut the snapshot"), "{stderr}");
    assert!(!dir.path().join("out.wasm").exists());
}

#[test]
fn an_app_snapshot_cannot_be_cut_again() {
    let app = app();
    let dir = common::tempdir();
    let output = command(&cache_dir())
        .args(["snapshot", "--python-wasm"])
        .arg(&app.snapshot)
        .args(["--preload", "json", "-o"])
        .arg(dir.path().join("again.wasm"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", describe(&output));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no `wasipy_initialize` export"), "{}", describe(&output));
}

/// One GET on a fresh connection to a server on `port`, the body returned.
fn get(port: u16, target: &str) -> (u16, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    write!(stream, "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete response head");
    let status = String::from_utf8_lossy(&raw[..split]).split(' ').nth(1).unwrap().parse().unwrap();
    (status, raw[split + 4..].to_vec())
}

#[test]
fn served_requests_each_start_from_the_snapshot() {
    let app = app();
    let mut server = command(&snapshot_cache())
        .args(["serve", "--listen", "127.0.0.1:0", "--python-wasm"])
        .arg(&app.snapshot)
        .arg("--dir")
        .arg(format!("{}::/app:ro", app.dir.display()))
        .arg(app.dir.join("handler.py"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let port: u16 = first.trim().rsplit(':').next().and_then(|port| port.parse().ok()).unwrap_or_else(|| panic!("{first:?}"));
    let mut seen = Vec::new();
    for path in ["/a", "/b", "/c"] {
        let (status, body) = get(port, path);
        let text = String::from_utf8_lossy(&body).into_owned();
        assert_eq!(status, 200, "{text}");
        let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        // The module global the previous request appended to is the snapshot's again.
        assert_eq!((report["preloaded"].clone(), report["requests_seen"].clone()), (Value::Bool(true), 1.into()), "{report}");
        seen.push(report["unseeded_generator"].clone());
    }
    assert!(seen[0] != seen[1] && seen[1] != seen[2], "{seen:?}");
    let _ = server.kill();
    let _ = server.wait();
}
