//! python.wasm: Python 3 as a WASI command. CPython's pipeline, one file per step:
//! command line (`cli`) → configuration (`config`, read once) → interpreter (`interpreter`, or the
//! build's pre-initialised one: `snapshot`) → run mode (`run`) → exit code.

mod capabilities;
mod cli;
mod config;
mod devnull;
mod frozen_stdlib;
mod interpreter;
mod pickle_scan;
mod run;
mod snapshot;
mod sqlite;
mod wasi_module;

use config::Action;
use std::io::{IsTerminal, Write};

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
    std::process::exit(capabilities::exit_status(code.into()));
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
