//! The run modes, in CPython's order: command → module → file → stdin, then `-i` drops into the
//! REPL (CPython: `pymain_run_python`). Chooses and sequences; every interpreter call goes through
//! `interpreter::Session`.

use crate::config::{Config, RunMode};
use crate::interpreter::{Exception, Finalization, Session};
use crate::snapshot::{self, Start};
use std::io::Read;

/// Runs `config` to completion and returns the process exit code.
pub fn run(config: &Config) -> u32 {
    let (python, resumed) = match snapshot::start(config) {
        Start::Resumed(python) => (python, true),
        Start::Fresh(python) => (python, false),
    };
    let finalization = if resumed { Finalization::Quick } else { Finalization::Full };
    python.run(finalization, |session| run_python(session, config, resumed))
}

/// One request of a `wasi:http` component (component/), which has no command line: `config` is
/// python's defaults. The snapshot's interpreter, refreshed from this instance's host, runs the
/// handler the snapshot holds; a component cut without one answers every request with a 500.
pub fn serve_request(config: &Config) -> u32 {
    let (python, resumed) = match snapshot::start_request(config) {
        Start::Resumed(python) => (python, true),
        Start::Fresh(python) => (python, false),
    };
    let finalization = if resumed { Finalization::Quick } else { Finalization::Full };
    python.run(finalization, |session| {
        if resumed {
            session.resume(config)?;
        } else {
            session.import_startup_modules()?;
            session.import_site()?;
        }
        session.serve_request()
    })
}

// CPython: pymain_run_python.
fn run_python(session: &Session, config: &Config, resumed: bool) -> Result<(), Exception> {
    if resumed {
        // The snapshot imported the start-up modules and `site`; `resume` re-reads the host.
        session.resume(config)?;
    } else {
        session.import_startup_modules()?;
        if config.site_import {
            session.import_site()?;
        }
    }
    if !config.safe_path
        && let Some(path0) = sys_path0(&config.run_mode)
    {
        session.prepend_sys_path(&path0)?;
    }
    let result = match &config.run_mode {
        RunMode::Command(source) => session.run_source(&format!("{source}\n"), "<string>"),
        RunMode::Module(module) => session.run_module(module, &config.program_name),
        RunMode::Filename(path) => run_filename(session, config, path),
        RunMode::Stdin => run_stdin(session),
        RunMode::Repl => Ok(()),
    };
    // CPython: pymain_repl. After a run mode, -i always prompts; PYTHONINSPECT only on a terminal.
    let wants_prompt = config.run_mode == RunMode::Repl || (config.inspect && config.stdin_is_interactive);
    match result {
        // SystemExit ends the program even under -i.
        Err(exc) if wants_prompt && !session.is_system_exit(&exc) => {
            session.print_exception(exc);
            repl(session, config)
        }
        Ok(()) if wants_prompt => repl(session, config),
        other => other,
    }
}

/// `sys.path[0]` for the run mode (CPython: `_PyPathConfig_ComputeSysPath0`): the script's directory
/// (added by `run_filename`, once the file is known to exist), the cwd for `-m`, else `''`.
fn sys_path0(mode: &RunMode) -> Option<String> {
    match mode {
        RunMode::Filename(_) => None,
        RunMode::Module(_) => Some(std::env::current_dir().map_or_else(|_| String::new(), |d| d.to_string_lossy().into_owned())),
        RunMode::Command(_) | RunMode::Stdin | RunMode::Repl => Some(String::new()),
    }
}

// CPython: pymain_run_file_obj (with config_run_filename_abspath).
fn run_filename(session: &Session, config: &Config, path: &str) -> Result<(), Exception> {
    let absolute = absolute_path(path);
    if session.run_importable_path(&absolute, &config.program_name)? {
        return Ok(());
    }
    // A directory is an importable path (above), with or without a __main__.py.
    if let Err(e) = std::fs::metadata(&absolute) {
        return Err(cant_open(session, config, &absolute, &e));
    }
    if !config.safe_path {
        session.prepend_sys_path(&script_dir(&absolute))?;
    }
    if config.skip_source_first_line {
        let source = std::fs::read_to_string(&absolute).map_err(|e| cant_open(session, config, &absolute, &e))?;
        return session.run_source_skipping_first_line(&source, &absolute);
    }
    session.run_file(&absolute)
}

fn cant_open(session: &Session, config: &Config, path: &str, e: &std::io::Error) -> Exception {
    let (errno, message) = describe_io_error(e);
    session.cant_open_file(&config.program_name, path, errno, &message)
}

/// An OS error as CPython shows it: the errno and the C library's text, without Rust's
/// ` (os error N)` suffix.
fn describe_io_error(e: &std::io::Error) -> (i32, String) {
    let errno = e.raw_os_error().unwrap_or(0);
    let text = e.to_string();
    let message = match text.rfind(" (os error ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    };
    (errno, message)
}

fn absolute_path(path: &str) -> String {
    if path.starts_with('/') {
        return path.to_owned();
    }
    match std::env::current_dir() {
        Ok(cwd) => {
            let cwd = cwd.to_string_lossy();
            format!("{}/{}", cwd.trim_end_matches('/'), path)
        }
        Err(_) => path.to_owned(),
    }
}

fn script_dir(absolute: &str) -> String {
    match absolute.rfind('/') {
        Some(0) => "/".to_owned(),
        Some(at) => absolute[..at].to_owned(),
        None => String::new(),
    }
}

// CPython: pymain_run_stdin → PyRun_AnyFileExFlags(stdin, "<stdin>").
fn run_stdin(session: &Session) -> Result<(), Exception> {
    let mut source = Vec::new();
    // A read error leaves what was read; CPython would report it as the parse of a short file.
    let _ = std::io::stdin().read_to_end(&mut source);
    session.run_source(&String::from_utf8_lossy(&source), "<stdin>")
}

// CPython: pymain_repl, with PYTHONSTARTUP run first (pymain_run_startup).
fn repl(session: &Session, config: &Config) -> Result<(), Exception> {
    if config.run_mode == RunMode::Repl
        && let Some(startup) = &config.startup_file
        && let Ok(source) = std::fs::read_to_string(startup)
        && let Err(exc) = session.run_source(&source, startup)
    {
        session.print_exception(exc);
    }
    let banner = config.run_mode == RunMode::Repl && !config.quiet;
    session.interact(banner)
}
