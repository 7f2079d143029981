//! The options `wasipy run` and `wasipy serve` share: what a guest is granted, and its limits.

use crate::grants::{self, DirGrant, DirSpec};
use crate::limits::{self, Limits};
use crate::sandbox::Sandbox;
use std::path::PathBuf;
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct GrantOptions {
    /// Grant a host directory to the script, at the same path or at GUEST; `:ro` makes it read-only.
    #[arg(long = "dir", value_name = "HOST[::GUEST][:ro]")]
    dirs: Vec<DirSpec>,

    /// Set an environment variable for the script; `--env NAME` passes the host's value of NAME.
    #[arg(long = "env", value_name = "NAME[=VAL]")]
    env: Vec<String>,

    /// Pass the host's value of environment variable NAME (nothing if the host has none).
    #[arg(long = "env-inherit", value_name = "NAME")]
    env_inherit: Vec<String>,
}

impl GrantOptions {
    /// The granted directories (checked on the host) and environment.
    pub fn resolve(&self) -> Result<(Vec<DirGrant>, Vec<(String, String)>), String> {
        let dirs = self.dirs.iter().map(DirGrant::open).collect::<Result<_, _>>()?;
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
        Ok((dirs, env))
    }
}

#[derive(clap::Args, Debug)]
pub struct LimitOptions {
    /// Stop the script after this much wall-clock time (e.g. 2s, 500ms).
    #[arg(long, value_name = "DURATION", value_parser = limits::parse_duration)]
    timeout: Option<Duration>,

    /// Cap the script's linear memory (e.g. 256M). Past it, the script gets MemoryError where the
    /// interpreter can raise one, else the run stops with verdict `memory`.
    #[arg(long, value_name = "SIZE", value_parser = limits::parse_size)]
    memory: Option<u64>,

    /// Keep at most SIZE bytes of each of stdout and stderr (e.g. 1M); the rest is dropped and the
    /// truncation recorded.
    #[arg(long = "max-output", value_name = "SIZE", value_parser = limits::parse_size)]
    max_output: Option<u64>,

    /// The python.wasm to run (default: the one beside this executable, or WASIPY_PYTHON_WASM).
    #[arg(long = "python-wasm", value_name = "FILE")]
    python_wasm: Option<PathBuf>,
}

impl LimitOptions {
    pub fn limits(&self) -> Limits {
        Limits { timeout: self.timeout, fuel: None, memory: self.memory, max_output: self.max_output }
    }

    /// python.wasm, compiled (or from the cache), ready to run. (A run given `PYTHONHASHSEED`, as
    /// tox sets on every run, needs nothing else: python.wasm builds its interpreter afresh for
    /// a secret other than its snapshot's.)
    pub fn load_sandbox(&self, fuel_metering: bool, interleave: bool) -> Result<Sandbox, String> {
        let python_wasm = grants::python_wasm_path(self.python_wasm.as_deref())?;
        Sandbox::load(&python_wasm, grants::cache_dir().as_deref(), fuel_metering, interleave)
            .map_err(|e| format!("cannot load {}: {e:#}", python_wasm.display()))
    }
}
