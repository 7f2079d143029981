//! python.wasm: Python 3 as a WASI command. CPython's pipeline, one file per step:
//! command line (`cli`) → configuration (`config`, read once) → interpreter (`interpreter`) →
//! run mode (`run`) → exit code.

mod cli;
mod config;
mod interpreter;
mod run;

use config::Action;
use std::io::{IsTerminal, Write};

fn main() {
    let stdin_is_terminal = std::io::stdin().is_terminal();
    let code = match config::from_process(stdin_is_terminal) {
        Action::Run(config) => run::run(&config),
        Action::Help(text) | Action::Version(text) => print_to(&mut std::io::stdout(), &text, 0),
        Action::Usage(text) => print_to(&mut std::io::stderr(), &text, 2),
    };
    // WASI's proc_exit, like the C exit() CPython calls: an out-of-range code wraps the same way.
    std::process::exit(code as i32);
}

/// Prints `text` and returns `code`, or CPython's 120 if the stream could not take it.
fn print_to(stream: &mut dyn Write, text: &str, code: u32) -> u32 {
    match stream.write_all(text.as_bytes()).and_then(|()| stream.flush()) {
        Ok(()) => code,
        Err(_) => 120,
    }
}
