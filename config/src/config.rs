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
    /// `-V` (1) or `-VV` (2): print the version to stdout, exit 0.
    Version(u8),
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
    /// `-i`: stdin counts as interactive even when it is not a terminal.
    pub interactive: bool,
    /// A terminal on stdin, or `-i` (CPython: `stdin_is_interactive`).
    pub stdin_is_interactive: bool,
    /// `sys.executable`: argv[0] made absolute when it names a path, else found on PATH, else ''.
    pub executable: String,
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
    /// `PYTHONHASHSEED=N` (None: no seed asked for; `Some(0)`: randomisation off).
    pub hash_seed: Option<u32>,
    /// `-R` or `PYTHONHASHSEED=random`: the run asks for a hash secret drawn for it alone, which a
    /// pre-initialised python.wasm gives by building its interpreter afresh (see `snapshot.rs`).
    pub per_run_hash_secret: bool,
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

impl Config {
    /// What an interpreter is built from (CPython: what `Py_InitializeFromConfig` reads): the
    /// configuration less what each run supplies afresh (argv, run mode, environment, terminal,
    /// PYTHONPATH's entries at the front of `sys.path`). Two configurations with equal parts can
    /// share one pre-initialised interpreter.
    pub fn interpreter_part(&self) -> Config {
        Config {
            program_name: String::new(),
            orig_argv: Vec::new(),
            argv: Vec::new(),
            run_mode: RunMode::Stdin,
            stdin_is_interactive: false,
            executable: String::new(),
            skip_source_first_line: false,
            startup_file: None,
            environ: BTreeMap::new(),
            pythonpath: Vec::new(),
            ..self.clone()
        }
    }
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
        return Action::Version(cl.version);
    }
    if let Some(mode) = cl.check_hash_based_pycs.as_deref()
        && !matches!(mode, "always" | "default" | "never")
    {
        let e = UsageError("--check-hash-based-pycs must be one of 'default', 'always', or 'never'".into());
        return Action::Usage(cli::usage_error_text(&program_name, &e));
    }
    Action::Run(build(program_name, argv, &cl, environ, stdin_is_terminal))
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

    // CPython: `-R` clears `use_hash_seed`, so it wins over a PYTHONHASHSEED=N.
    let hash_seed = match env("PYTHONHASHSEED") {
        _ if cl.hash_randomization => None,
        Some("random") | None => None,
        Some(v) => v.parse::<u32>().ok(),
    };
    let per_run_hash_secret = cl.hash_randomization || env("PYTHONHASHSEED") == Some("random");
    let utf8_mode = match xoption("utf8") {
        Some(value) => Some(value != Some("0")),
        None => env("PYTHONUTF8").map(|v| v != "0"),
    };

    Config {
        orig_argv,
        argv,
        inspect: cl.inspect || env("PYTHONINSPECT").is_some(),
        interactive: cl.inspect,
        stdin_is_interactive: stdin_is_terminal || cl.inspect,
        executable: executable(&program_name, &environ),
        program_name,
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
        per_run_hash_secret,
        stdio_encoding,
        stdio_errors,
        pythonpath: env("PYTHONPATH").map(|v| v.split(':').map(String::from).collect()).unwrap_or_default(),
        startup_file: env("PYTHONSTARTUP").map(String::from),
        check_hash_pycs_mode: cl.check_hash_based_pycs.clone(),
        environ,
    }
}

/// CPython's `sys.executable` (`Modules/getpath.py`): argv[0] as a path when it holds a `/`, else
/// the first PATH entry holding it, else `''` (a wasm command has no file of its own to point at).
fn executable(program_name: &str, environ: &BTreeMap<String, String>) -> String {
    if program_name.contains('/') {
        return program_name.to_owned();
    }
    let on_path = environ.get("PATH").into_iter().flat_map(|p| p.split(':')).filter(|d| !d.is_empty());
    on_path
        .map(|dir| format!("{}/{program_name}", dir.trim_end_matches('/')))
        .find(|candidate| std::path::Path::new(candidate).is_file())
        .unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn run_config(words: &[&str], env: &[(&str, &str)]) -> Config {
        let argv = std::iter::once("python.wasm").chain(words.iter().copied()).map(String::from).collect();
        let environ = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        match resolve(argv, environ, false) {
            Action::Run(config) => config,
            other => panic!("expected a run, got {other:?}"),
        }
    }

    #[test]
    fn isolated_implies_no_environment_no_user_site_safe_path() {
        let c = run_config(&["-I", "-c", "pass"], &[("PYTHONPATH", "/x"), ("PYTHONUNBUFFERED", "1")]);
        assert!(c.isolated && !c.use_environment && !c.user_site_directory && c.safe_path);
        assert!(c.pythonpath.is_empty() && c.buffered_stdio);
    }

    #[test]
    fn ignore_environment_drops_python_variables_only() {
        let c = run_config(&["-E", "-c", "pass"], &[("PYTHONPATH", "/x"), ("HOME", "/h")]);
        assert!(c.pythonpath.is_empty());
        assert_eq!(c.environ.get("HOME").map(String::as_str), Some("/h"));
    }

    #[test]
    fn environment_fills_what_flags_did_not() {
        let c = run_config(&["s.py"], &[("PYTHONPATH", "/a:/b"), ("PYTHONOPTIMIZE", "2"), ("PYTHONHASHSEED", "7"), ("PYTHONWARNINGS", "error")]);
        assert_eq!(c.pythonpath, ["/a", "/b"]);
        assert_eq!((c.optimization_level, c.hash_seed), (2, Some(7)));
        assert_eq!(c.warnoptions, ["error"]);
        let c = run_config(&["-W", "ignore", "s.py"], &[("PYTHONWARNINGS", "error"), ("PYTHONHASHSEED", "random")]);
        assert_eq!(c.warnoptions, ["error", "ignore"]);
        assert_eq!(c.hash_seed, None);
    }

    #[test]
    fn run_modes_and_argv() {
        assert_eq!(run_config(&["-c", "pass", "a"], &[]).argv, ["-c", "a"]);
        assert_eq!(run_config(&["-m", "json.tool", "a"], &[]).run_mode, RunMode::Module("json.tool".into()));
        assert_eq!(run_config(&["-", "a"], &[]).run_mode, RunMode::Stdin);
        assert_eq!(run_config(&[], &[]).run_mode, RunMode::Stdin);
        let c = run_config(&["s.py", "-v"], &[]);
        assert_eq!((c.run_mode, c.argv, c.verbose), (RunMode::Filename("s.py".into()), vec!["s.py".to_string(), "-v".into()], 0));
    }

    #[test]
    fn per_run_hash_secret_from_dash_r_or_random_seed() {
        assert!(!run_config(&["-c", "pass"], &[]).per_run_hash_secret);
        assert!(run_config(&["-R", "-c", "pass"], &[]).per_run_hash_secret);
        assert!(run_config(&["-c", "pass"], &[("PYTHONHASHSEED", "random")]).per_run_hash_secret);
        assert!(!run_config(&["-E", "-c", "pass"], &[("PYTHONHASHSEED", "random")]).per_run_hash_secret);
    }

    #[test]
    fn interpreter_part_ignores_what_each_run_supplies() {
        let a = run_config(&["-c", "pass"], &[("HOME", "/h")]);
        let b = run_config(&["s.py", "x"], &[("TZ", "UTC")]);
        assert_eq!(a.interpreter_part(), b.interpreter_part());
        assert_eq!(a.interpreter_part(), run_config(&["-c", "pass"], &[("PYTHONPATH", "/l")]).interpreter_part());
        assert_ne!(a.interpreter_part(), run_config(&["-S", "-c", "pass"], &[]).interpreter_part());
        assert_ne!(a.interpreter_part(), run_config(&["-c", "pass"], &[("PYTHONOPTIMIZE", "1")]).interpreter_part());
    }

    #[test]
    fn empty_variables_count_as_unset() {
        assert!(run_config(&["-c", "pass"], &[("PYTHONUNBUFFERED", "")]).buffered_stdio);
    }
}
