//! The configuration of one run: CPython's `PyConfig`, filled once from the command line and the
//! environment, then immutable. This is the only module that reads argv and the environment
//! (CPython: `Python/initconfig.c`); reading has no other side effect. `-E`/`-I` turn the
//! environment off, as in CPython.

use crate::cli::{self, CommandLine, UsageError};
use std::collections::BTreeMap;

/// What the run does (CPython: `run_command`, `run_module`, `run_filename`, stdin, REPL).
#[derive(Debug, Clone, PartialEq)]
pub enum RunMode {
    Command(String),
    Module(String),
    Filename(String),
    /// `-`, or no script and stdin is not a terminal: stdin is read as one whole script.
    Stdin,
    /// No script and stdin is a terminal.
    Repl,
}

/// What `main` does with the command line before building an interpreter.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Run(Config),
    /// `-h`/`--help*`: print to stdout, exit 0.
    Help(String),
    /// `-V`: print to stdout, exit 0.
    Version(String),
    /// A refused command line: print to stderr, exit 2.
    Usage(String),
}

/// CPython's `PyConfig` fields that python.wasm uses, by their CPython names.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub program_name: String,
    pub orig_argv: Vec<String>,
    /// `sys.argv`.
    pub argv: Vec<String>,
    pub run_mode: RunMode,
    pub isolated: bool,
    pub use_environment: bool,
    pub safe_path: bool,
    pub site_import: bool,
    pub user_site_directory: bool,
    pub write_bytecode: bool,
    pub buffered_stdio: bool,
    pub quiet: bool,
    /// `-i`/PYTHONINSPECT: the REPL after the run mode.
    pub inspect: bool,
    pub interactive: bool,
    pub optimization_level: u8,
    pub verbose: u8,
    pub bytes_warning: u8,
    pub parser_debug: u8,
    pub skip_source_first_line: bool,
    pub warnoptions: Vec<String>,
    pub xoptions: Vec<String>,
    pub dev_mode: bool,
    /// `-X utf8`/PYTHONUTF8 (None: the default).
    pub utf8_mode: Option<bool>,
    pub warn_default_encoding: bool,
    pub code_debug_ranges: bool,
    pub int_max_str_digits: Option<i64>,
    /// `PYTHONHASHSEED=N` (None: random per run; `Some(0)`: randomisation off).
    pub hash_seed: Option<u32>,
    pub stdio_encoding: Option<String>,
    pub stdio_errors: Option<String>,
    /// PYTHONPATH entries, in order.
    pub pythonpath: Vec<String>,
    /// PYTHONSTARTUP, run before an interactive prompt.
    pub startup_file: Option<String>,
    pub check_hash_pycs_mode: Option<String>,
    /// The whole environment, as granted by the host (`os.environ`).
    pub environ: BTreeMap<String, String>,
}

/// Reads the process's argv and environment: the one place that does.
///
/// # Ambient Authority
/// Reads the WASI `args_get` and `environ_get` data of the process.
pub fn from_process(stdin_is_terminal: bool) -> Action {
    let argv: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    let environ = std::env::vars_os()
        .map(|(k, v)| (k.to_string_lossy().into_owned(), v.to_string_lossy().into_owned()))
        .collect();
    resolve(argv, environ, stdin_is_terminal)
}

/// The configuration for `argv` (with `argv[0]`) in `environ`. Pure: no I/O.
pub fn resolve(argv: Vec<String>, environ: BTreeMap<String, String>, stdin_is_terminal: bool) -> Action {
    let program_name = argv.first().cloned().unwrap_or_else(|| "python".to_owned());
    let cl = match cli::parse(&argv) {
        Ok(cl) => cl,
        Err(e @ UsageError(_)) => return Action::Usage(cli::usage_error_text(&program_name, &e)),
    };
    if let Some(topic) = cl.help {
        return Action::Help(cli::help_text(&program_name, topic));
    }
    if cl.version > 0 {
        return Action::Version(version_text(cl.version));
    }
    if let Some(mode) = cl.check_hash_based_pycs.as_deref()
        && !matches!(mode, "always" | "default" | "never")
    {
        let e = UsageError("--check-hash-based-pycs must be one of 'default', 'always', or 'never'".into());
        return Action::Usage(cli::usage_error_text(&program_name, &e));
    }
    Action::Run(build(program_name, argv, &cl, environ, stdin_is_terminal))
}

fn version_text(level: u8) -> String {
    let v = crate::interpreter::version();
    if level >= 2 { format!("Python {}\n", v.full) } else { format!("Python {}\n", v.short) }
}

/// An environment variable that counts as set (CPython: `config_get_env`, empty is unset).
fn env_var<'a>(environ: &'a BTreeMap<String, String>, use_environment: bool, name: &str) -> Option<&'a str> {
    if !use_environment {
        return None;
    }
    environ.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

/// A flag variable: a number is its level, any other non-empty value is 1 (`config_get_env_int`).
fn env_level(environ: &BTreeMap<String, String>, use_environment: bool, name: &str) -> u8 {
    env_var(environ, use_environment, name).map_or(0, |v| v.parse::<u8>().unwrap_or(1).max(1))
}

fn build(
    program_name: String,
    orig_argv: Vec<String>,
    cl: &CommandLine,
    environ: BTreeMap<String, String>,
    stdin_is_terminal: bool,
) -> Config {
    // -I implies -E -s -P (CPython: config_parse_cmdline, then config_read).
    let isolated = cl.isolated;
    let use_environment = !(cl.ignore_environment || isolated);
    let env = |name: &str| env_var(&environ, use_environment, name);
    let level = |name: &str| env_level(&environ, use_environment, name);

    let (run_mode, argv) = run_mode_and_argv(cl, stdin_is_terminal);
    let xoption = |name: &str| {
        cl.xoptions.iter().rev().find_map(|x| {
            let (key, value) = x.split_once('=').map_or((x.as_str(), None), |(k, v)| (k, Some(v)));
            (key == name).then_some(value)
        })
    };
    let dev_mode = xoption("dev").is_some() || env("PYTHONDEVMODE").is_some();

    // PYTHONWARNINGS first, then -W, then -b (CPython: config_init_warnoptions; the last wins).
    let mut warnoptions: Vec<String> = env("PYTHONWARNINGS")
        .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect())
        .unwrap_or_default();
    warnoptions.extend(cl.warnoptions.iter().cloned());

    let (stdio_encoding, stdio_errors) = match env("PYTHONIOENCODING") {
        Some(v) => {
            let (enc, err) = v.split_once(':').map_or((v, None), |(e, r)| (e, Some(r)));
            (Some(enc).filter(|e| !e.is_empty()).map(String::from), err.filter(|e| !e.is_empty()).map(String::from))
        }
        None => (None, None),
    };

    let hash_seed = match env("PYTHONHASHSEED") {
        Some("random") | None => None,
        Some(v) => v.parse::<u32>().ok(),
    };
    let utf8_mode = match xoption("utf8") {
        Some(value) => Some(value != Some("0")),
        None => env("PYTHONUTF8").map(|v| v != "0"),
    };

    Config {
        program_name,
        orig_argv,
        argv,
        inspect: cl.inspect || env("PYTHONINSPECT").is_some(),
        interactive: cl.inspect,
        run_mode,
        isolated,
        use_environment,
        safe_path: cl.safe_path || isolated || env("PYTHONSAFEPATH").is_some(),
        site_import: !cl.no_site,
        user_site_directory: !(cl.no_user_site || isolated || env("PYTHONNOUSERSITE").is_some()),
        write_bytecode: !(cl.dont_write_bytecode || env("PYTHONDONTWRITEBYTECODE").is_some()),
        buffered_stdio: !(cl.unbuffered || env("PYTHONUNBUFFERED").is_some()),
        quiet: cl.quiet,
        optimization_level: cl.optimize.max(level("PYTHONOPTIMIZE")),
        verbose: cl.verbose.max(level("PYTHONVERBOSE")),
        bytes_warning: cl.bytes_warning,
        parser_debug: cl.debug.max(level("PYTHONDEBUG")),
        skip_source_first_line: cl.skip_first_line,
        warnoptions,
        xoptions: cl.xoptions.clone(),
        dev_mode,
        utf8_mode,
        warn_default_encoding: xoption("warn_default_encoding").is_some()
            || env("PYTHONWARNDEFAULTENCODING").is_some(),
        code_debug_ranges: xoption("no_debug_ranges").is_none() && env("PYTHONNODEBUGRANGES").is_none(),
        int_max_str_digits: xoption("int_max_str_digits")
            .flatten()
            .or_else(|| env("PYTHONINTMAXSTRDIGITS"))
            .and_then(|v| v.parse().ok()),
        hash_seed,
        stdio_encoding,
        stdio_errors,
        pythonpath: env("PYTHONPATH").map(|v| v.split(':').map(String::from).collect()).unwrap_or_default(),
        startup_file: env("PYTHONSTARTUP").map(String::from),
        check_hash_pycs_mode: cl.check_hash_based_pycs.clone(),
        environ,
    }
}

/// The run mode and `sys.argv` (CPython: `config_run_filename_abspath`, `pymain_run_python`).
fn run_mode_and_argv(cl: &CommandLine, stdin_is_terminal: bool) -> (RunMode, Vec<String>) {
    if let Some(words) = &cl.command {
        let argv = std::iter::once("-c".to_owned()).chain(words[1..].iter().cloned()).collect();
        return (RunMode::Command(words[0].clone()), argv);
    }
    if let Some(words) = &cl.module {
        // sys.argv[0] is the module's file once runpy finds it; until then CPython shows "-m".
        let argv = std::iter::once("-m".to_owned()).chain(words[1..].iter().cloned()).collect();
        return (RunMode::Module(words[0].clone()), argv);
    }
    match cl.script_and_args.split_first() {
        Some((script, _)) if script == "-" => (RunMode::Stdin, cl.script_and_args.clone()),
        Some((script, _)) => (RunMode::Filename(script.clone()), cl.script_and_args.clone()),
        None if stdin_is_terminal => (RunMode::Repl, vec![String::new()]),
        None => (RunMode::Stdin, vec![String::new()]),
    }
}
