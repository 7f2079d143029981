//! `wasipy run`: one script in the sandbox, with grants and limits, ending in a verdict.

use crate::grants::{self, DirGrant};
use crate::limits::{self, Limits};
use crate::options::{GrantOptions, LimitOptions};
use crate::output::{CappedOutput, Sink};
use crate::sandbox::{Guest, GuestStdin};
use crate::verdict::Report;

/// Run a Python script in the sandbox: it sees only the directories and variables granted here,
/// and stops at the limits.
///
/// Nothing is inherited by default: no directory, no environment variable, no stdin. The exit code
/// is the script's own; when wasipy stops a run it exits 131 (timeout), 132 (fuel), 133 (memory) or
/// 134 (trap), and 2 when its own command line is wrong.
#[derive(clap::Args, Debug)]
pub struct RunCommand {
    #[command(flatten)]
    grants: GrantOptions,

    /// The script's stdin: a host file, `-` for wasipy's own stdin, or `none` (closed).
    #[arg(long, value_name = "FILE|-|none", default_value = "none")]
    stdin: String,

    #[command(flatten)]
    limits: LimitOptions,

    /// Stop the script after it executes this many units of wasm fuel (roughly, instructions).
    #[arg(long, value_name = "N", value_parser = limits::parse_fuel)]
    fuel: Option<u64>,

    /// Print one JSON object with the verdict, exit code, output and measurements, instead of
    /// passing the output through.
    #[arg(long)]
    json: bool,

    /// SCRIPT, `-c CODE` or `-m MODULE` and their arguments, as for python3. SCRIPT is a host path
    /// inside a `--dir` grant; the script runs under its guest path.
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true, value_name = "PYTHON_ARGS")]
    python_args: Vec<String>,
}

impl RunCommand {
    /// Runs the script; returns wasipy's exit code, or the one-line error for a wrong command line.
    pub fn execute(self) -> Result<i32, String> {
        let (dirs, env) = self.grants.resolve()?;
        let stdin = match self.stdin.as_str() {
            "none" => GuestStdin::Closed,
            "-" => GuestStdin::Host,
            path => GuestStdin::File(grants::open_stdin_file(path)?),
        };
        let mut argv = vec!["python".to_owned()];
        argv.extend(guest_python_args(&self.python_args, &dirs)?);
        let limits = Limits { fuel: self.fuel, ..self.limits.limits() };
        let sandbox = self.limits.load_sandbox(limits.fuel.is_some(), false)?;

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
            .map_err(|e| format!("cannot run python.wasm: {e:#}"))?;
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
