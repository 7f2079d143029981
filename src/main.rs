//! python.wasm: Python 3 as a WASI command, the library's pipeline (`src/lib.rs`) driven from the
//! process's command line, environment and stdio.

use std::io::{IsTerminal, Write};
use wasipy_python::config::{self, Action};
use wasipy_python::{capabilities, interpreter, run, snapshot};

fn main() {
    capabilities::forget_build_host();
    let stdin_is_terminal = std::io::stdin().is_terminal();
    let code = match config::from_process(stdin_is_terminal) {
        Action::Run(config) => {
            capabilities::enter_initial_cwd(config.environ.get("PWD").map(String::as_str));
            run::run(&config)
        }
        Action::Help(text) => print_to(&mut std::io::stdout(), &text, 0),
        Action::Version(level) => print_to(&mut std::io::stdout(), &version_text(level), 0),
        Action::Usage(text) => print_to(&mut std::io::stderr(), &text, 2),
    };
    // Success returns from `_start` as a C program's `main` does (wasi-libc's exit path runs all
    // the same); a host then sees the run end normally: wasmtime 50's `run --profile=guest` writes
    // its profile only then (`make profile`).
    let status = capabilities::exit_status(code.into());
    if status != 0 {
        std::process::exit(status);
    }
}

/// `-V`: `Python 3.14.0`; `-VV`: `sys.version` on one line.
fn version_text(level: u8) -> String {
    let version = interpreter::version();
    format!("Python {}\n", if level >= 2 { version.full } else { version.short })
}

/// Prints `text` and returns `code`, or CPython's 120 if the stream could not take it.
fn print_to(stream: &mut dyn Write, text: &str, code: u32) -> u32 {
    match stream.write_all(text.as_bytes()).and_then(|()| stream.flush()) {
        Ok(()) => code,
        Err(_) => 120,
    }
}

/// wizer's init function (`wasmtime wizer --init-func wasipy_initialize`): the interpreter built and
/// the common stdlib (and an app snapshot's modules) imported, at build time (`snapshot.rs`).
#[unsafe(export_name = "wasipy_initialize")]
pub extern "C" fn initialize() {
    snapshot::initialize();
}
