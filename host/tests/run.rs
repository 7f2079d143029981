//! `wasipy run` as an operator meets it: the real binary running the real python.wasm, with real
//! host directories made fresh for each test.

mod common;

use common::{cache_dir, command};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn wasipy(args: &[&str]) -> Command {
    let mut command = command(&cache_dir());
    command.arg("run").args(args);
    command
}

fn run(args: &[&str]) -> Output {
    wasipy(args).output().unwrap()
}

fn run_json(args: &[&str]) -> (Value, Output) {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let output = run(&all);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let report: Value = serde_json::from_str(text.trim_end())
        .unwrap_or_else(|e| panic!("--json printed no JSON object ({e}):\n{text}\nstderr:\n{}", String::from_utf8_lossy(&output.stderr)));
    (report, output)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn dir_arg(host: &Path, rest: &str) -> String {
    format!("{}{rest}", host.display())
}

#[test]
fn an_infinite_loop_ends_at_the_timeout() {
    let started = Instant::now();
    let (report, output) = run_json(&["--timeout", "1s", "-c", "while True: pass"]);
    let elapsed = started.elapsed();
    assert_eq!(report["verdict"], "timeout", "{report}");
    assert_eq!(report["exit_code"], 131);
    assert_eq!(output.status.code(), Some(131));
    // The loop never ends by itself: any end well short of forever is the timeout's (no tight bound:
    // a loaded machine may take a while to notice).
    assert!(elapsed < Duration::from_secs(30), "took {elapsed:?}");
    assert!(elapsed >= Duration::from_secs(1), "stopped early: {elapsed:?}");
}

#[test]
fn a_script_blocked_in_a_sleep_ends_at_the_timeout() {
    let started = Instant::now();
    let output = run(&["--timeout", "500ms", "-c", "import time; time.sleep(60)"]);
    assert_eq!(output.status.code(), Some(131));
    assert!(stderr(&output).contains("wasipy: timeout"), "{}", stderr(&output));
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}

#[test]
fn a_memory_bomb_ends_with_memory_error_or_the_memory_verdict() {
    let bomb = "x = []\nwhile True: x.append(bytearray(1 << 20))";
    let (report, output) = run_json(&["--memory", "64M", "-c", bomb]);
    let verdict = report["verdict"].as_str().unwrap();
    let script_saw_it = verdict == "error" && report["stderr"].as_str().unwrap().contains("MemoryError");
    assert!(verdict == "memory" || script_saw_it, "{report}");
    if verdict == "memory" {
        assert_eq!(output.status.code(), Some(133));
    }
    assert!(report["peak_memory_bytes"].as_u64().unwrap() <= 64 << 20, "{report}");
    // The host process ended by itself, with its own exit code, not by a signal.
    assert!(output.status.code().is_some());
}

#[test]
fn one_huge_allocation_is_a_memory_error_inside_python() {
    let code = "try:\n    b = bytearray(200 << 20)\nexcept MemoryError:\n    print('MemoryError caught')";
    let output = run(&["--memory", "64M", "-c", code]);
    assert_eq!(stdout(&output), "MemoryError caught\n", "{}", stderr(&output));
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn writes_into_a_read_only_grant_fail_and_leave_the_host_unchanged() {
    let host = common::tempdir();
    std::fs::write(host.path().join("data.txt"), "original").unwrap();
    let code = r#"
import os
for action in (lambda: open('/work/data.txt', 'w'), lambda: open('/work/new.txt', 'x'),
               lambda: os.remove('/work/data.txt'), lambda: os.mkdir('/work/sub')):
    try:
        action()
        print('allowed')
    except PermissionError as e:
        print('PermissionError', e.strerror)
print(open('/work/data.txt').read())
"#;
    let output = run(&["--dir", &dir_arg(host.path(), "::/work:ro"), "-c", code]);
    let text = stdout(&output);
    assert_eq!(text.matches("PermissionError").count(), 4, "{text}{}", stderr(&output));
    assert!(text.contains("is /work granted read-only?"), "{text}");
    assert!(text.ends_with("original\n"), "{text}");
    assert_eq!(std::fs::read_to_string(host.path().join("data.txt")).unwrap(), "original");
    assert!(!host.path().join("new.txt").exists());
    assert!(!host.path().join("sub").exists());
}

#[test]
fn a_read_write_grant_lets_the_script_write_to_the_host() {
    let host = common::tempdir();
    let output = run(&["--dir", &dir_arg(host.path(), "::/work"), "-c", "open('/work/out.txt', 'w').write('from wasm')"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(host.path().join("out.txt")).unwrap(), "from wasm");
}

#[test]
fn escapes_from_a_grant_are_refused() {
    let outside = common::tempdir();
    std::fs::write(outside.path().join("secret.txt"), "TOP-SECRET").unwrap();
    let parent = common::tempdir();
    let granted = parent.path().join("granted");
    std::fs::create_dir(&granted).unwrap();
    std::fs::write(parent.path().join("sibling.txt"), "TOP-SECRET").unwrap();
    std::os::unix::fs::symlink(outside.path(), granted.join("link")).unwrap();
    let secret = outside.path().join("secret.txt");
    for path in ["/work/../sibling.txt", secret.to_str().unwrap(), "/work/link/secret.txt", "link/secret.txt"] {
        let code = format!("print(open({path:?}).read())");
        let output = run(&["--dir", &dir_arg(&granted, "::/work"), "-c", &code]);
        let (out, err) = (stdout(&output), stderr(&output));
        assert_eq!(output.status.code(), Some(1), "{path}: {out}{err}");
        assert!(!out.contains("TOP-SECRET"), "{path} escaped: {out}");
        assert!(err.contains("PermissionError") || err.contains("FileNotFoundError"), "{path}: {err}");
        assert!(err.contains("granted: /work"), "{path}: the refusal names the grants: {err}");
    }
}

#[test]
fn only_granted_environment_variables_are_visible() {
    let code = "import os; print(sorted(os.environ.items()))";
    let output = wasipy(&["--env", "GRANTED", "--env-inherit", "ALSO", "--env", "SET=value", "-c", code])
        .env("GRANTED", "yes")
        .env("ALSO", "too")
        .env("HIDDEN", "no")
        .output()
        .unwrap();
    assert_eq!(stdout(&output), "[('ALSO', 'too'), ('GRANTED', 'yes'), ('SET', 'value')]\n", "{}", stderr(&output));
}

#[test]
fn a_hash_seed_from_tox_is_honoured() {
    // tox sets PYTHONHASHSEED on every run; python.wasm builds its interpreter afresh for a secret
    // other than its snapshot's: the same seed gives the same hashes, another seed other hashes,
    // and the flag says randomised, as in CPython.
    let code = "import sys; print(hash('abc'), hash(b'abc'), sys.flags.hash_randomization)";
    let with_seed = |seed: &str| {
        let output = run(&["--env", &format!("PYTHONHASHSEED={seed}"), "-c", code]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        stdout(&output)
    };
    let first = with_seed("4213");
    assert!(first.ends_with(" 1\n"), "{first}");
    assert_eq!(with_seed("4213"), first);
    assert_ne!(with_seed("77"), first);
    assert!(with_seed("0").ends_with(" 0\n"));
}

#[test]
fn json_reports_the_run() {
    let code = "import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)";
    let (report, output) = run_json(&["-c", code]);
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(report["exit_code"], 3);
    assert_eq!(report["verdict"], "error");
    assert_eq!(report["stdout"], "out\n");
    assert_eq!(report["stderr"], "err\n");
    assert_eq!(report["truncated"]["stdout"], false);
    assert!(report["duration_ms"].is_u64());
    assert!(report["peak_memory_bytes"].as_u64().unwrap() > 0);
    assert!(report["fuel_used"].is_null());

    let (report, output) = run_json(&["-c", "pass"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(report["verdict"], "ok");
}

#[test]
fn output_past_max_output_is_dropped_and_recorded() {
    let code = "import sys\nprint('x' * 5000)\nprint('y' * 100, file=sys.stderr)";
    let (report, output) = run_json(&["--max-output", "1K", "-c", code]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(report["stdout"].as_str().unwrap(), "x".repeat(1024));
    assert_eq!(report["truncated"]["stdout"], true);
    assert_eq!(report["stderr"].as_str().unwrap(), format!("{}\n", "y".repeat(100)));
    assert_eq!(report["truncated"]["stderr"], false);

    let output = run(&["--max-output", "10", "-c", "print('z' * 100)"]);
    assert_eq!(stdout(&output), "z".repeat(10));
    assert!(stderr(&output).contains("stdout truncated after 10 bytes"), "{}", stderr(&output));
}

#[test]
fn fuel_stops_a_loop_and_is_reported() {
    let (report, output) = run_json(&["--fuel", "1000000000", "-c", "while True: pass"]);
    assert_eq!(report["verdict"], "fuel", "{report}");
    assert_eq!(output.status.code(), Some(132));
    assert_eq!(report["fuel_used"], 1_000_000_000u64);

    let (report, _) = run_json(&["--fuel", "1000000000", "-c", "pass"]);
    assert_eq!(report["verdict"], "ok", "{report}");
    let used = report["fuel_used"].as_u64().unwrap();
    assert!(used > 0 && used < 1_000_000_000, "{report}");
}

#[test]
fn a_script_runs_by_its_guest_path_with_its_arguments() {
    let host = common::tempdir();
    std::fs::write(host.path().join("check.py"), "import sys\nprint(sys.argv)\nprint(__file__)").unwrap();
    let script = host.path().join("check.py");
    let output = run(&["--dir", &dir_arg(host.path(), "::/work:ro"), script.to_str().unwrap(), "a", "-b"]);
    assert_eq!(stdout(&output), "['/work/check.py', 'a', '-b']\n/work/check.py\n", "{}", stderr(&output));

    // The README's CI example: the current directory granted read-only at the same path.
    let output = command(&cache_dir())
        .current_dir(host.path())
        .args(["run", "--dir", ".:ro", "--timeout", "30s", "--json", "check.py"])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["verdict"], "ok", "{report}");
    // python3 makes __main__.__file__ absolute; the guest cwd of a `.` grant is `/`.
    assert_eq!(report["stdout"], "['check.py']\n/check.py\n");
}

#[test]
fn stdin_is_closed_unless_given() {
    let output = run(&["-c", "import sys; print(repr(sys.stdin.read()))"]);
    assert_eq!(stdout(&output), "''\n", "{}", stderr(&output));

    let host = common::tempdir();
    let input = host.path().join("input.txt");
    std::fs::write(&input, "line one\nline two\n").unwrap();
    let output = run(&["--stdin", input.to_str().unwrap(), "-c", "import sys; print(sys.stdin.read().split())"]);
    assert_eq!(stdout(&output), "['line', 'one', 'line', 'two']\n", "{}", stderr(&output));
}

#[test]
fn mistakes_on_the_command_line_are_one_line_and_exit_2() {
    let host = common::tempdir();
    let outside = host.path().join("script.py");
    std::fs::write(&outside, "print(1)").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--dir", "/no/such/dir", "-c", "pass"], "cannot grant --dir /no/such/dir: no such file or directory"),
        (&["missing.py"], "cannot read script missing.py: no such file or directory"),
        (&[outside.to_str().unwrap()], "is not inside a granted directory"),
        (&["--memory", "lots", "-c", "pass"], "invalid value 'lots' for '--memory <SIZE>'"),
        (&["--timeout", "0s", "-c", "pass"], "greater than zero"),
        (&["--bogus", "-c", "pass"], "unknown option --bogus"),
        (&["--stdin", "/no/such/file", "-c", "pass"], "cannot open --stdin /no/such/file"),
        (&["--python-wasm", "/no/python.wasm", "-c", "pass"], "cannot find python.wasm at /no/python.wasm"),
    ];
    for (args, expected) in cases {
        let output = run(args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
}

#[test]
fn fifty_runs_in_a_row_leave_nothing_behind() {
    let cache = cache_dir();
    let cache_entries = || std::fs::read_dir(&cache).unwrap().count();
    let entries_before = cache_entries();
    let host = common::tempdir();
    let mut peak_rss = Vec::new();
    for run_number in 0..50 {
        let mut child = command(&cache)
            .args(["run", "--json", "--dir", &dir_arg(host.path(), "::/work"), "-c"])
            .arg(format!("open('/work/run-{run_number}.txt', 'w').write('{run_number}')"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let output = {
            let mut text = String::new();
            std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut text).unwrap();
            text
        };
        // The peak resident memory of this one run, from the kernel's accounting of the child.
        let mut status = 0;
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our own child, not yet reaped; `status` and `usage` are valid for writes.
        let waited = unsafe { libc::wait4(pid as i32, &mut status, 0, &mut usage) };
        assert_eq!(waited, pid as i32);
        std::mem::forget(child);
        let report: Value = serde_json::from_str(output.trim_end()).unwrap();
        assert_eq!(report["verdict"], "ok", "run {run_number}: {report}");
        peak_rss.push(usage.ru_maxrss);
    }
    assert_eq!(std::fs::read_dir(host.path()).unwrap().count(), 50);
    assert_eq!(cache_entries(), entries_before, "the compiled-module cache grew");
    let first: i64 = peak_rss[..10].iter().copied().max().unwrap();
    let last: i64 = peak_rss[40..].iter().copied().max().unwrap();
    assert!(last <= first + first / 5, "peak memory grew from {first} KiB to {last} KiB");
    // This process's own descriptors: wasipy's children left none open here.
    let fds = std::fs::read_dir("/proc/self/fd").unwrap().count();
    assert!(fds < 64, "{fds} descriptors open");
}

/// Runs `code` under the host's own Python (`WASIPY_HOST_PYTHON`, set by the Makefile, else
/// `python3`) with `args`, and returns what it printed: the host's sqlite3 reading what a run left.
fn host_python(code: &str, args: &[&Path]) -> String {
    let python = std::env::var_os("WASIPY_HOST_PYTHON").unwrap_or_else(|| "python3".into());
    let output = Command::new(&python).arg("-c").arg(code).args(args).output().unwrap();
    assert!(output.status.success(), "the host's python failed:\n{}", stderr(&output));
    stdout(&output)
}

#[test]
fn a_timeout_in_the_middle_of_a_write_transaction_keeps_every_earlier_commit() {
    let host = common::tempdir();
    // Twenty committed batches, then one transaction that never ends: a tiny page cache makes it
    // spill into the database file early, with the rollback journal that undoes it beside it.
    let script = r#"
import sqlite3
con = sqlite3.connect('/work/app.db')
con.execute('pragma cache_size = 5')
con.execute('create table t (batch integer, n integer, payload text)')
for batch in range(20):
    con.executemany('insert into t values (?, ?, ?)', ((batch, n, 'committed') for n in range(500)))
    con.commit()
    print('committed', batch, flush=True)
con.execute("insert into t values (99, 0, 'never committed')")
rounds = 0
while True:
    con.execute('update t set payload = ?', (f'round {rounds}',))
    if rounds == 0:
        print('in the middle of a write', flush=True)
    rounds += 1
"#;
    let output = run(&["--dir", &dir_arg(host.path(), "::/work"), "--timeout", "10s", "-c", script]);
    let printed = stdout(&output);
    assert_eq!(output.status.code(), Some(131), "{printed}{}", stderr(&output));
    assert!(printed.contains("committed 19\nin the middle of a write\n"), "the run did not reach the open transaction:\n{printed}");
    assert!(host.path().join("app.db-journal").exists(), "no journal of the open transaction on the host");
    // The host's sqlite3 rolls the journal back: every commit, nothing of the transaction left open.
    let check = r#"
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
print(con.execute('pragma integrity_check').fetchone()[0])
for row in con.execute('select batch, count(*), min(payload), max(payload) from t group by batch'):
    print(*row)
"#;
    let db = host.path().join("app.db");
    let report = host_python(check, &[&db]);
    let expected: String = std::iter::once("ok\n".to_owned()).chain((0..20).map(|b| format!("{b} 500 committed committed\n"))).collect();
    assert_eq!(report, expected);
    assert!(!host.path().join("app.db-journal").exists(), "the host's sqlite3 did not roll the journal back");
}

#[test]
fn a_database_in_a_read_only_grant_is_read_and_refuses_writes() {
    let host = common::tempdir();
    let db = host.path().join("ro.db");
    host_python("import sqlite3, sys\ncon = sqlite3.connect(sys.argv[1])\ncon.execute('create table t (x)')\ncon.execute(\"insert into t values ('from the host')\")\ncon.commit()", &[&db]);
    let before = std::fs::read(&db).unwrap();
    let code = r#"
import sqlite3
con = sqlite3.connect('/work/ro.db')
print(con.execute('select x from t').fetchall())
for sql in ("insert into t values ('from python.wasm')", 'create table u (y)'):
    try:
        con.execute(sql)
        print('allowed')
    except sqlite3.OperationalError as e:
        print(type(e).__name__, e)
try:
    sqlite3.connect('/work/new.db').execute('create table t (x)')
except sqlite3.OperationalError as e:
    print(type(e).__name__, e)
"#;
    let output = run(&["--dir", &dir_arg(host.path(), "::/work:ro"), "-c", code]);
    assert_eq!(
        stdout(&output),
        "[('from the host',)]\nOperationalError attempt to write a readonly database\n\
         OperationalError attempt to write a readonly database\nOperationalError unable to open database file\n",
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read(&db).unwrap(), before, "the database changed in a read-only grant");
    assert_eq!(std::fs::read_dir(host.path()).unwrap().count(), 1, "the run left a file in a read-only grant");
}
