//! `wasipy run`: one script in the sandbox, with grants and limits, ending in a verdict.

use crate::grants::{self, DirGrant, DirSpec};
use crate::limits::{self, Limits};
use crate::output::{CappedOutput, Sink};
use crate::sandbox::{Guest, GuestStdin, Sandbox};
use crate::verdict::Report;
use std::path::PathBuf;
use std::time::Duration;

/// Run a Python script in the sandbox: it sees only the directories and variables granted here,
/// and stops at the limits.
///
/// Nothing is inherited by default: no directory, no environment variable, no stdin. The exit code
/// is the script's own; when wasipy stops a run it exits 131 (timeout), 132 (fuel), 133 (memory) or
/// 134 (trap), and 2 when its own command line is wrong.
#[derive(clap::Args, Debug)]
pub struct RunCommand {
    /// Grant a host directory to the script, at the same path or at GUEST; `:ro` makes it read-only.
    #[arg(long = "dir", value_name = "HOST[::GUEST][:ro]")]
    dirs: Vec<DirSpec>,

    /// Set an environment variable for the script; `--env NAME` passes the host's value of NAME.
    #[arg(long = "env", value_name = "NAME[=VAL]")]
    env: Vec<String>,

    /// Pass the host's value of environment variable NAME (nothing if the host has none).
    #[arg(long = "env-inherit", value_name = "NAME")]
    env_inherit: Vec<String>,

    /// The script's stdin: a host file, `-` for wasipy's own stdin, or `none` (closed).
    #[arg(long, value_name = "FILE|-|none", default_value = "none")]
    stdin: String,

    /// Stop the script after this much wall-clock time (e.g. 2s, 500ms).
    #[arg(long, value_name = "DURATION", value_parser = limits::parse_duration)]
    timeout: Option<Duration>,

    /// Stop the script after it executes this many units of wasm fuel (roughly, instructions).
    #[arg(long, value_name = "N", value_parser = limits::parse_fuel)]
    fuel: Option<u64>,

    /// Cap the script's linear memory (e.g. 256M). Past it, the script gets MemoryError where the
    /// interpreter can raise one, else the run stops with verdict `memory`.
    #[arg(long, value_name = "SIZE", value_parser = limits::parse_size)]
    memory: Option<u64>,

    /// Keep at most SIZE bytes of each of stdout and stderr (e.g. 1M); the rest is dropped and the
    /// truncation recorded.
    #[arg(long = "max-output", value_name = "SIZE", value_parser = limits::parse_size)]
    max_output: Option<u64>,

    /// Print one JSON object with the verdict, exit code, output and measurements, instead of
    /// passing the output through.
    #[arg(long)]
    json: bool,

    /// The python.wasm to run (default: the one beside this executable, or WASIPY_PYTHON_WASM).
    #[arg(long = "python-wasm", value_name = "FILE")]
    python_wasm: Option<PathBuf>,

    /// SCRIPT, `-c CODE` or `-m MODULE` and their arguments, as for python3. SCRIPT is a host path
    /// inside a `--dir` grant; the script runs under its guest path.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "PYTHON_ARGS")]
    python_args: Vec<String>,
}

impl RunCommand {
    /// Runs the script; returns wasipy's exit code, or the one-line error for a wrong command line.
    pub fn execute(self) -> Result<i32, String> {
        let dirs: Vec<DirGrant> = self.dirs.iter().map(DirGrant::open).collect::<Result<_, _>>()?;
        let env = self.environment();
        let stdin = match self.stdin.as_str() {
            "none" => GuestStdin::Closed,
            "-" => GuestStdin::Host,
            path => GuestStdin::File(grants::open_stdin_file(path)?),
        };
        let mut argv = vec!["python".to_owned()];
        argv.extend(guest_python_args(&self.python_args, &dirs)?);
        let limits = Limits { timeout: self.timeout, fuel: self.fuel, memory: self.memory, max_output: self.max_output };

        let python_wasm = grants::python_wasm_path(self.python_wasm.as_deref())?;
        let cache_dir = grants::cache_dir();
        let sandbox = Sandbox::load(&python_wasm, cache_dir.as_deref(), limits.fuel.is_some())
            .map_err(|e| format!("cannot load {}: {e:#}", python_wasm.display()))?;

        let (out_sink, err_sink) = if self.json { (Sink::Capture, Sink::Capture) } else { (Sink::HostStdout, Sink::HostStderr) };
        let stdout = CappedOutput::new(out_sink, limits.max_output);
        let stderr = CappedOutput::new(err_sink, limits.max_output);
        let guest = Guest { argv, env, dirs, stdin, stdout: stdout.clone(), stderr: stderr.clone() };

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let outcome = runtime
            .block_on(sandbox.run(guest, &limits))
            .map_err(|e| format!("cannot run {}: {e:#}", python_wasm.display()))?;
        let explanation = outcome.explanation(limits.timeout, limits.memory);

        if self.json {
            let report = Report::new(&outcome, &stdout.captured(), &stderr.captured(), explanation);
            println!("{}", serde_json::to_string(&report).expect("a report always serialises"));
        } else {
            for (name, truncated) in [("stdout", outcome.stdout_truncated), ("stderr", outcome.stderr_truncated)] {
                if truncated {
                    eprintln!("wasipy: {name} truncated after {} bytes (--max-output)", limits.max_output.unwrap_or(0));
                }
            }
            if let Some(explanation) = explanation {
                eprintln!("wasipy: {explanation}");
            }
        }
        // Dropping the runtime would wait for a host-stdin reader thread blocked on a terminal.
        runtime.shutdown_background();
        Ok(outcome.process_exit_code())
    }

    fn environment(&self) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = Vec::new();
        let mut set = |name: &str, value: String| {
            env.retain(|(existing, _)| existing != name);
            env.push((name.to_owned(), value));
        };
        for entry in &self.env {
            match entry.split_once('=') {
                Some((name, value)) => set(name, value.to_owned()),
                None => {
                    if let Some(value) = grants::inherited_env(entry) {
                        set(entry, value)
                    }
                }
            }
        }
        for name in &self.env_inherit {
            if let Some(value) = grants::inherited_env(name) {
                set(name, value)
            }
        }
        env
    }
}

/// The long options python3 itself accepts before a script.
const PYTHON_LONG_OPTIONS: &[&str] = &["--version", "--help", "--help-env", "--help-xoptions", "--help-all"];

/// python.wasm's arguments: as given, except that a script named by its host path is replaced by
/// its guest path. Options are skipped the way python3 reads them, up to `-c`, `-m`, `-` or the
/// script.
fn guest_python_args(args: &[String], dirs: &[DirGrant]) -> Result<Vec<String>, String> {
    let mut args = args.to_vec();
    let mut index = 0;
    while index < args.len() {
        let arg = args[index].as_str();
        if arg == "--" {
            index += 1;
            break;
        }
        if arg == "-" || !arg.starts_with('-') {
            break;
        }
        // An unknown `--option` here is a mistyped option of wasipy's (clap lets it through because
        // python.wasm's arguments may start with a hyphen); python3's own long options pass.
        if arg.starts_with("--") && !PYTHON_LONG_OPTIONS.contains(&arg) && index == 0 {
            return Err(format!("unknown option {arg} (see wasipy run --help)"));
        }
        // Options that take the rest of the command line.
        if arg.starts_with("-c") || arg.starts_with("-m") || arg.starts_with("--") {
            return Ok(args);
        }
        index += if matches!(arg, "-W" | "-X") { 2 } else { 1 };
    }
    if let Some(script) = args.get(index) {
        if script != "-" {
            args[index] = grants::script_guest_path(script, dirs)?;
        }
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn commands_and_modules_pass_unchanged() {
        for list in [&["-c", "print(1)", "x.py"][..], &["-I", "-m", "json.tool", "f"], &["-X", "dev", "-c", "pass"], &["-"]] {
            assert_eq!(guest_python_args(&args(list), &[]), Ok(args(list)));
        }
    }

    #[test]
    fn unknown_long_options_are_wasipys_mistakes() {
        let error = guest_python_args(&args(&["--bogus", "x"]), &[]).unwrap_err();
        assert!(error.contains("unknown option --bogus"), "{error}");
        assert_eq!(guest_python_args(&args(&["--version"]), &[]), Ok(args(&["--version"])));
    }

    #[test]
    fn a_script_outside_every_grant_is_refused() {
        let error = guest_python_args(&args(&["-I", "Cargo.toml"]), &[]).unwrap_err();
        assert!(error.contains("not inside a granted directory"), "{error}");
    }
}
