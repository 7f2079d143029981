//! Grants: the one place the host turns its own paths and environment into what a guest may use.
//!
//! # Ambient Authority
//!
//! Everything here acts with the host process's authority: it opens host directories and files by
//! path and reads host environment variables, each named by an option the operator wrote
//! (`--dir`, `--env`, `--env-inherit`, `--stdin`, the script). The rest of the host receives the
//! results (`DirGrant`s, values, open files) and never looks at the host filesystem or environment.

use cap_std::ambient_authority;
use std::path::{Component, Path, PathBuf};

/// A `--dir HOST[::GUEST][:ro]` option as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirSpec {
    pub host: String,
    pub guest: String,
    pub read_only: bool,
}

impl std::str::FromStr for DirSpec {
    type Err = String;

    /// `HOST` maps to the same path in the guest, as `wasmtime run --dir` does; `:ro` at the end makes
    /// the grant read-only (`:rw`, the default, is accepted too).
    fn from_str(text: &str) -> Result<Self, String> {
        let (rest, read_only) = if let Some(rest) = text.strip_suffix(":ro") {
            (rest, true)
        } else if let Some(rest) = text.strip_suffix(":rw") {
            (rest, false)
        } else {
            (text, false)
        };
        let (host, guest) = match rest.split_once("::") {
            Some((host, guest)) => (host, guest),
            None => (rest, rest),
        };
        if host.is_empty() || guest.is_empty() {
            return Err(format!("invalid --dir {text:?} (expected HOST[::GUEST][:ro])"));
        }
        Ok(DirSpec { host: host.to_owned(), guest: guest.to_owned(), read_only })
    }
}

/// A host directory the guest may use, checked to exist and be a readable directory.
#[derive(Debug, Clone)]
pub struct DirGrant {
    /// The directory's canonical host path: wasmtime-wasi opens preopens by path, so this is what it
    /// opens (the same directory this module checked, symlinks resolved once here).
    pub host: PathBuf,
    pub guest: String,
    pub read_only: bool,
}

impl DirGrant {
    /// Opens the directory named by `spec` on the host, to check that it can be granted.
    pub fn open(spec: &DirSpec) -> Result<DirGrant, String> {
        let describe = |e: std::io::Error| format!("cannot grant --dir {}: {}", spec.host, plain_io_error(&e));
        let host = std::fs::canonicalize(&spec.host).map_err(describe)?;
        cap_std::fs::Dir::open_ambient_dir(&host, ambient_authority()).map_err(describe)?;
        Ok(DirGrant { host, guest: spec.guest.clone(), read_only: spec.read_only })
    }
}

/// The value of host environment variable `name`, for `--env NAME` and `--env-inherit NAME`.
pub fn inherited_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Opens `path` for the guest's stdin (`--stdin FILE`).
pub fn open_stdin_file(path: &str) -> Result<std::fs::File, String> {
    std::fs::File::open(path).map_err(|e| format!("cannot open --stdin {path}: {}", plain_io_error(&e)))
}

/// The guest path of the script at host path `script`, which must lie inside one of `grants`: the
/// guest can only run what it can read.
pub fn script_guest_path(script: &str, grants: &[DirGrant]) -> Result<String, String> {
    guest_path("script", script, grants)
}

/// The guest path of the `what` (a script, a directory) at host path `path`, which must lie inside
/// one of `grants`.
pub fn guest_path(what: &str, path: &str, grants: &[DirGrant]) -> Result<String, String> {
    let script = path;
    let host = std::fs::canonicalize(script)
        .and_then(|path| std::fs::File::open(&path).map(|_| path))
        .map_err(|e| format!("cannot read {what} {script}: {}", plain_io_error(&e)))?;
    // The innermost grant wins, as a path lookup in the guest would find it.
    let holder = grants
        .iter()
        .filter(|grant| host.starts_with(&grant.host))
        .max_by_key(|grant| grant.host.components().count());
    match holder {
        Some(grant) => Ok(join_guest(&grant.guest, host.strip_prefix(&grant.host).unwrap())),
        None => Err(format!(
            "{what} {script} is not inside a granted directory; grant its directory, e.g. --dir {}:ro",
            host.parent().map(|p| p.display().to_string()).unwrap_or_else(|| ".".into())
        )),
    }
}

/// `python.wasm`: the file named by `--python-wasm` or `WASIPY_PYTHON_WASM`, else the one beside
/// this executable (where `make` puts it).
pub fn python_wasm_path(explicit: Option<&Path>) -> Result<PathBuf, String> {
    let explicit = explicit.map(Path::to_owned).or_else(|| std::env::var_os("WASIPY_PYTHON_WASM").map(PathBuf::from));
    interpreter_path(explicit, "python.wasm")
}

/// `python-fresh.wasm`, which `wasipy snapshot` cuts from: the file named by `--python-wasm`, else
/// the one beside this executable (where `make` puts it).
pub fn python_fresh_wasm_path(explicit: Option<&Path>) -> Result<PathBuf, String> {
    interpreter_path(explicit.map(Path::to_owned), "python-fresh.wasm")
}

/// `python-http-core.wasm`, the component's core module, which `wasipy snapshot --component` cuts
/// from: `--python-wasm`, else the one beside this executable.
pub fn python_http_core_wasm_path(explicit: Option<&Path>) -> Result<PathBuf, String> {
    interpreter_path(explicit.map(Path::to_owned), "python-http-core.wasm")
}

fn interpreter_path(explicit: Option<PathBuf>, name: &str) -> Result<PathBuf, String> {
    let path = match explicit {
        Some(path) => path,
        None => std::env::current_exe()
            .map_err(|e| format!("cannot find this executable to locate {name}: {e}"))?
            .with_file_name(name),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("cannot find {name} at {} (build it with make, or pass --python-wasm)", path.display()))
    }
}

/// Where compiled python.wasm modules are kept between runs: `WASIPY_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/wasipy`, else `~/.cache/wasipy`.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("WASIPY_CACHE_DIR") {
        return Some(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(dir).join("wasipy"));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache").join("wasipy"))
}

fn join_guest(guest_root: &str, relative: &Path) -> String {
    let parts: Vec<String> = relative
        .components()
        .filter_map(|part| match part {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        return guest_root.to_owned();
    }
    match guest_root {
        "." | "./" => parts.join("/"),
        root => format!("{}/{}", root.trim_end_matches('/'), parts.join("/")),
    }
}

/// An I/O error as one lowercase phrase, without Rust's ` (os error N)`.
pub fn plain_io_error(error: &std::io::Error) -> String {
    let text = error.to_string();
    let text = match text.find(" (os error") {
        Some(at) => text[..at].to_owned(),
        None => text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_specs() {
        let spec: DirSpec = ".:ro".parse().unwrap();
        assert_eq!(spec, DirSpec { host: ".".into(), guest: ".".into(), read_only: true });
        let spec: DirSpec = "/tmp/x::/work".parse().unwrap();
        assert_eq!(spec, DirSpec { host: "/tmp/x".into(), guest: "/work".into(), read_only: false });
        let spec: DirSpec = "/tmp/x::/work:ro".parse().unwrap();
        assert!(spec.read_only);
        assert_eq!(spec.guest, "/work");
        assert!("::/work".parse::<DirSpec>().is_err());
        assert!(":ro".parse::<DirSpec>().is_err());
    }

    #[test]
    fn guest_paths() {
        assert_eq!(join_guest("/work", Path::new("a/b.py")), "/work/a/b.py");
        assert_eq!(join_guest("/work/", Path::new("b.py")), "/work/b.py");
        assert_eq!(join_guest(".", Path::new("b.py")), "b.py");
        assert_eq!(join_guest("/", Path::new("b.py")), "/b.py");
    }

    #[test]
    fn io_errors_read_as_one_phrase() {
        let error = std::io::Error::from_raw_os_error(2);
        assert_eq!(plain_io_error(&error), "no such file or directory");
    }
}
