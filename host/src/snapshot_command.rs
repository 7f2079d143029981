//! `wasipy snapshot`: cuts an app snapshot, python-fresh.wasm pre-initialised by wizer with an
//! app's modules imported, as `make snapshot` cuts python.wasm; with `--component`, from the
//! component's core module, made a wasi:http component after the cut (`component`). The guest
//! does the preparing (its `wasipy_initialize`); this command only grants, asks and saves.

use crate::component;
use crate::grants::{self, DirGrant};
use crate::options::GrantOptions;
use crate::output::{CappedOutput, Sink};
use crate::sandbox::{self, Guest, GuestState, GuestStdin, Sandbox};
use std::path::{Path, PathBuf};
use wasmtime::{Instance, Store, Val};
use wasmtime_wasi::I32Exit;
use wasmtime_wizer::{InstanceState, SnapshotVal, ValType, Wizer};

// The guest's init function (src/snapshot.rs), and the variables that tell it what to prepare.
use wasipy_config::snapshot_request::{EMBED_VARIABLE, HANDLER_VARIABLE, INIT_FUNC, INIT_VARIABLE, PRELOAD_VARIABLE, REQUEST_VARIABLES};

/// Cut an app snapshot: a python.wasm that starts with the app's modules already imported.
///
/// Runs python-fresh.wasm once, with the grants given here: it builds the interpreter, imports the
/// common stdlib as python.wasm does, then the `--preload` modules and the `--init` script's top
/// level, and the memory that results is saved as the new module's starting state. The result runs
/// as python.wasm does (same command line; argv, environment, grants, time zone, randomness, stdio
/// and site refreshed at every run) under `wasipy run`/`serve --python-wasm`, `wasmtime run` or any
/// WASI host. Each cut draws a new hash secret; `--env PYTHONHASHSEED=N` fixes it. Grant the same
/// directories and variables at run time: modules imported here keep the paths they were found at.
#[derive(clap::Args, Debug)]
pub struct SnapshotCommand {
    #[command(flatten)]
    grants: GrantOptions,

    /// Modules to import at the cut (`--preload flask,app`), as `python -c 'import NAME'` would
    /// find them with these grants: in the working directory (PWD, else the first --dir), on
    /// PYTHONPATH, in site-packages.
    #[arg(long, value_name = "MODULE,...", value_delimiter = ',')]
    preload: Vec<String>,

    /// A script whose top level runs once, at the cut, after the --preload modules (a host path
    /// inside a --dir grant; its directory is first on sys.path while it runs). What it imports
    /// stays imported; its own globals do not.
    #[arg(long, value_name = "SCRIPT")]
    init: Option<String>,

    /// Keep a copy of the `.py` files under DIR (a host path inside a --dir grant, on sys.path at
    /// the cut: a site-packages, say) in the snapshot: a run imports them without the grant.
    /// Other files there (templates, package metadata) still need it.
    #[arg(long, value_name = "DIR")]
    embed: Vec<String>,

    /// Cut a `wasi:http/proxy` component (for `wasmtime serve`, Spin, wasmCloud, Fastly) from
    /// python-http-core.wasm: each request runs the --handler script in a fresh instance of the
    /// snapshot. A component has no files: --embed what the app imports after the cut.
    #[arg(long)]
    component: bool,

    /// With --component: the script run for each request (a host path inside a --dir grant), as
    /// a CGI handler is run: its `wasipy_cgi.run(app)` serves the request. Compiled at the cut.
    #[arg(long, value_name = "SCRIPT", requires = "component")]
    handler: Option<String>,

    /// The interpreter to cut from (default: python-fresh.wasm beside this executable, or
    /// python-http-core.wasm with --component). An app snapshot cannot be cut again.
    #[arg(long = "python-wasm", value_name = "FILE")]
    python_wasm: Option<PathBuf>,

    /// Where to write the app snapshot.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
}

impl SnapshotCommand {
    /// Cuts the snapshot and compiles it into the module cache; returns wasipy's exit code (1 when
    /// the app's preparation failed: its traceback is above), or the one-line error for a wrong
    /// command line.
    pub fn execute(self) -> Result<i32, String> {
        let (dirs, mut env) = self.grants.resolve()?;
        if let Some((name, _)) = env.iter().find(|(name, _)| REQUEST_VARIABLES.contains(&name.as_str())) {
            return Err(format!("--env {name}: the name is wasipy snapshot's own (use --preload, --init and --embed)"));
        }
        if !self.component && self.preload.is_empty() && self.init.is_none() && self.embed.is_empty() {
            return Err("nothing to prepare: give --preload MODULE,..., --init SCRIPT or --embed DIR".into());
        }
        if let Some(name) = self.preload.iter().find(|name| !is_module_name(name)) {
            return Err(format!("--preload {name:?}: not a module name"));
        }
        env.push((PRELOAD_VARIABLE.into(), self.preload.join(",")));
        if let Some(script) = &self.init {
            env.push((INIT_VARIABLE.into(), grants::script_guest_path(script, &dirs)?));
        }
        let embed: Vec<String> = self.embed.iter().map(|dir| grants::guest_path("--embed directory", dir, &dirs)).collect::<Result<_, _>>()?;
        if let Some(dir) = embed.iter().find(|dir| dir.contains(':')) {
            return Err(format!("--embed {dir}: a guest path with `:` cannot be embedded"));
        }
        env.push((EMBED_VARIABLE.into(), embed.join(":")));
        if let Some(script) = &self.handler {
            env.push((HANDLER_VARIABLE.into(), grants::script_guest_path(script, &dirs)?));
        }
        let fresh = if self.component {
            grants::python_http_core_wasm_path(self.python_wasm.as_deref())?
        } else {
            grants::python_fresh_wasm_path(self.python_wasm.as_deref())?
        };
        let cache_dir = grants::cache_dir();

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let snapshot = match runtime.block_on(cut(&fresh, cache_dir.as_deref(), env, dirs)).and_then(|core| self.finish(core)) {
            Ok(snapshot) => snapshot,
            Err(CutError::Prepare(why)) => {
                eprintln!("wasipy: cannot cut the snapshot: {why}");
                return Ok(1);
            }
            Err(CutError::Host(e)) => return Err(format!("cannot cut a snapshot from {}: {e:#}", fresh.display())),
        };
        sandbox::store_atomically(&self.output, &snapshot)
            .map_err(|e| format!("cannot write {}: {}", self.output.display(), grants::plain_io_error(&e)))?;
        // The first run would compile it (~10 s): done now, into the cache runs load from. (A
        // component's host compiles it itself: `wasmtime serve` at start-up.)
        if !self.component {
            Sandbox::load(&self.output, cache_dir.as_deref(), false, false)
                .map_err(|e| format!("cannot compile {}: {e:#}", self.output.display()))?;
        }
        eprintln!("wasipy: wrote {} ({:.1} MB)", self.output.display(), snapshot.len() as f64 / 1e6);
        Ok(0)
    }
}

impl SnapshotCommand {
    /// The file to write: the cut core module, or with --component the component made of it.
    fn finish(&self, core: Vec<u8>) -> Result<Vec<u8>, CutError> {
        if self.component { Ok(component::componentize(&core)?) } else { Ok(core) }
    }
}

/// A Python dotted name (`flask`, `app.views`).
fn is_module_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|part| {
            let mut chars = part.chars();
            chars.next().is_some_and(|c| c == '_' || c.is_alphabetic()) && chars.all(|c| c == '_' || c.is_alphanumeric())
        })
}

enum CutError {
    /// The guest's preparation failed: the app raised (its traceback went to stderr) or exited.
    Prepare(String),
    /// wizer or wasmtime refused the module, or a host operation failed.
    Host(anyhow::Error),
}

impl From<anyhow::Error> for CutError {
    fn from(error: anyhow::Error) -> Self {
        CutError::Host(error)
    }
}

impl From<wasmtime::Error> for CutError {
    fn from(error: wasmtime::Error) -> Self {
        CutError::Host(error.into())
    }
}

/// wizer's two halves around one run of `wasipy_initialize` in a store that holds only the grants
/// (`wasmtime wizer -S cli=y` does the same with its own store): instrument, run the init, snapshot.
async fn cut(fresh: &Path, cache_dir: Option<&Path>, env: Vec<(String, String)>, dirs: Vec<DirGrant>) -> Result<Vec<u8>, CutError> {
    let wasm = std::fs::read(fresh).map_err(|e| anyhow::anyhow!("cannot read it: {}", grants::plain_io_error(&e)))?;
    if component::is_component(&wasm) {
        return Err(anyhow::anyhow!("it is a component: cut from its core module, python-http-core.wasm").into());
    }
    if !exports_function(&wasm, INIT_FUNC)? {
        return Err(anyhow::anyhow!("it has no `{INIT_FUNC}` export: cut from python-fresh.wasm, not from a pre-initialised module").into());
    }
    let mut wizer = Wizer::new();
    wizer.init_func(INIT_FUNC);
    let (context, instrumented) = wizer.instrument(&wasm)?;
    let engine = sandbox::new_engine(false)?;
    // The instrumented module is the same for every cut from this file: compiled once, cached.
    let module = sandbox::load_module(&engine, fresh, cache_dir, "wizer", || Ok(instrumented))?;
    let guest = Guest {
        argv: vec!["python".to_owned()],
        env,
        dirs,
        stdin: GuestStdin::Closed,
        stdout: CappedOutput::new(Sink::HostStdout, None),
        stderr: CappedOutput::new(Sink::HostStderr, None),
    };
    let mut store = sandbox::new_store(&engine, guest, None)?;
    store.set_epoch_deadline(u64::MAX);
    let mut linker = sandbox::new_linker(&engine)?;
    // The component's core module imports wasi:http too: nothing the cut calls.
    linker.define_unknown_imports_as_traps(&module)?;
    let instance = linker.instantiate_async(&mut store, &module).await?;
    let init = instance.get_typed_func::<(), ()>(&mut store, INIT_FUNC)?;
    if let Err(error) = init.call_async(&mut store, ()).await {
        return Err(CutError::Prepare(match error.downcast_ref::<I32Exit>() {
            Some(exit) => format!("the app's preparation exited with status {} (sys.exit or os._exit at the cut)", exit.0),
            None => "the app's preparation failed (its traceback is above)".to_owned(),
        }));
    }
    Ok(wizer.snapshot(&context, &mut Prepared { store: &mut store, instance }).await?)
}

/// Whether `wasm` exports a function `name` (wizer removes the init function from what it writes).
fn exports_function(wasm: &[u8], name: &str) -> anyhow::Result<bool> {
    for payload in wasmparser::Parser::new(0).parse_all(wasm) {
        if let wasmparser::Payload::ExportSection(exports) = payload? {
            for export in exports {
                let export = export?;
                if export.name == name && export.kind == wasmparser::ExternalKind::Func {
                    return Ok(true);
                }
            }
            return Ok(false); // a module has one export section, before the code
        }
    }
    Ok(false)
}

/// The initialised instance, as wizer reads it: the globals and memory its instrumentation exported.
struct Prepared<'a> {
    store: &'a mut Store<GuestState>,
    instance: Instance,
}

impl InstanceState for Prepared<'_> {
    async fn global_get(&mut self, name: &str, _type_hint: ValType) -> SnapshotVal {
        let global = self.instance.get_global(&mut *self.store, name).expect("wizer exported the global");
        match global.get(&mut *self.store) {
            Val::I32(x) => SnapshotVal::I32(x),
            Val::I64(x) => SnapshotVal::I64(x),
            Val::F32(x) => SnapshotVal::F32(x),
            Val::F64(x) => SnapshotVal::F64(x),
            Val::V128(x) => SnapshotVal::V128(x.as_u128()),
            other => panic!("wizer snapshots no global of type {other:?}"),
        }
    }

    async fn memory_contents(&mut self, name: &str, contents: impl FnOnce(&[u8]) + Send) {
        let memory = self.instance.get_memory(&mut *self.store, name).expect("wizer exported the memory");
        contents(memory.data(&*self.store))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_names() {
        assert!(is_module_name("flask") && is_module_name("app.views") && is_module_name("_private2"));
        assert!(!is_module_name("") && !is_module_name("a..b") && !is_module_name("2fast") && !is_module_name("app.py/x"));
    }
}
