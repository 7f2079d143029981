//! The pre-initialised interpreter. At build time `wasmtime wizer` calls `wasipy_initialize`, which
//! builds the interpreter and imports the common stdlib (and, for an app snapshot cut by `wasipy
//! snapshot`, the app's modules); wizer saves the memory that results as the state python.wasm
//! starts in. A run whose configuration builds that same interpreter takes it over, refreshed from
//! the run's host; any other run builds a fresh one. This module owns only that choice: the
//! refreshing is `capabilities` (wasi-libc), `interpreter` and `_wasipy_snapshot`.

use crate::capabilities;
use crate::config::{self, Action, Config};
use crate::interpreter::Python;
use std::cell::RefCell;
use wasipy_config::snapshot_request::{EMBED_VARIABLE, HANDLER_VARIABLE, INIT_VARIABLE, PRELOAD_VARIABLE, REQUEST_VARIABLES};

/// The interpreter the build prepared, and the configuration it was built from.
struct Snapshot {
    python: Python,
    config: Config,
}

thread_local! {
    // wasm32-wasip1 has one thread: this is a plain static that wizer saves with the rest of memory.
    static SNAPSHOT: RefCell<Option<Snapshot>> = const { RefCell::new(None) };
}

/// What an app snapshot prepares besides the common stdlib, as `wasipy snapshot` asks for it in the
/// cut's environment: `WASIPY_SNAPSHOT_PRELOAD` (modules, comma-separated, imported as `python -c
/// 'import NAME'` in the cut's working directory would find them), `WASIPY_SNAPSHOT_INIT` (a
/// script, by guest path, whose top level runs once) and `WASIPY_SNAPSHOT_EMBED` (directories,
/// colon-separated, whose `.py` files the snapshot keeps a copy of), and for a component
/// `WASIPY_SNAPSHOT_HANDLER` (a script, by guest path, run once per request). All empty for
/// python.wasm.
#[derive(Debug)]
pub struct AppPreparation {
    pub preload: Vec<String>,
    pub init_script: Option<String>,
    pub embed: Vec<String>,
    pub handler: Option<String>,
    /// Where `preload` is looked for first: the working directory a run would start in (`""`, the
    /// current one, for a `--dir .` grant).
    pub working_dir: String,
    /// The variables that carried the request: the app's modules must not see them.
    pub request_variables: [&'static str; 4],
}

impl AppPreparation {
    fn from_config(config: &Config) -> AppPreparation {
        let list = |name: &str, separator: char| -> Vec<String> {
            let text = config.environ.get(name).map(String::as_str).unwrap_or("");
            text.split(separator).map(str::trim).filter(|item| !item.is_empty()).map(String::from).collect()
        };
        AppPreparation {
            preload: list(PRELOAD_VARIABLE, ','),
            init_script: config.environ.get(INIT_VARIABLE).filter(|path| !path.is_empty()).cloned(),
            embed: list(EMBED_VARIABLE, ':'),
            handler: config.environ.get(HANDLER_VARIABLE).filter(|path| !path.is_empty()).cloned(),
            working_dir: capabilities::initial_cwd(config.environ.get("PWD").map(String::as_str), &capabilities::preopens())
                .unwrap_or_default(),
            request_variables: REQUEST_VARIABLES,
        }
    }
}

/// wizer's init function (`wasmtime wizer --init-func wasipy_initialize`): builds the interpreter
/// for the configuration of this call (no arguments; `PYTHONHASHSEED` if the build passes one) and
/// imports the start-up and preloaded modules, then the app's (`AppPreparation`). A failure fails
/// the build.
///
/// Each artifact exports it as `wasipy_initialize`.
///
/// # Ambient Authority
/// Reads the build's arguments and environment, through `config::from_process`, and the app's
/// modules from the build's grants.
pub fn initialize() {
    let config = match config::from_process(false) {
        Action::Run(config) => config,
        other => panic!("failed to configure the snapshot's interpreter: {other:?}"),
    };
    let app = AppPreparation::from_config(&config);
    let python = Python::new(&config);
    python.enter(|session| {
        if let Err(exc) = session.import_startup_modules().and_then(|()| session.prepare_snapshot(&app)) {
            session.print_exception(exc);
            panic!("failed to prepare the snapshot's interpreter");
        }
    });
    SNAPSHOT.with(|snapshot| *snapshot.borrow_mut() = Some(Snapshot { python, config }));
    zero_free_memory();
}

/// Zeroes what malloc holds free when the snapshot is cut, so that the saved memory keeps none of
/// the bytes freed there (1 MB of python.wasm, `make bench-size`: wasm-opt's --memory-packing
/// drops zeros). Each free chunk is taken with calloc, the largest requests first, until a request
/// is served past the memory's end at the start (from memory grown for it, which is zeros: at most
/// once, by one request), then every one is given back. Zeroing in a global allocator's `dealloc`
/// would miss what libc's realloc frees when it moves a block.
fn zero_free_memory() {
    unsafe extern "C" {
        fn calloc(count: usize, size: usize) -> *mut u8;
        fn free(block: *mut u8);
    }
    let end = core::arch::wasm32::memory_size(0) * 65536;
    // The blocks taken, as a list through their first word.
    let mut taken: *mut u8 = std::ptr::null_mut();
    let mut size = 64 * 1024;
    while size >= 16 {
        // SAFETY: libc's allocator, called with no other allocation under way (one thread).
        let block = unsafe { calloc(1, size) };
        if block.is_null() || block as usize + size > end {
            if !block.is_null() {
                unsafe { free(block) };
            }
            size /= 2;
            continue;
        }
        // SAFETY: the block is ours, `size` bytes, aligned for a pointer.
        unsafe { block.cast::<*mut u8>().write(taken) };
        taken = block;
    }
    while !taken.is_null() {
        // SAFETY: each block was taken above and holds the next one's address.
        let next = unsafe { taken.cast::<*mut u8>().read() };
        unsafe { free(taken) };
        taken = next;
    }
}

/// How a run gets its interpreter.
pub enum Start {
    /// The snapshot's, refreshed: start-up modules already imported.
    Resumed(Python),
    /// Built for this run.
    Fresh(Python),
}

/// The interpreter for `config`: the snapshot's when there is one and `config` builds the same
/// interpreter, else a fresh one.
pub fn start(config: &Config) -> Start {
    let Some(snapshot) = SNAPSHOT.with(|snapshot| snapshot.borrow_mut().take()) else {
        return Start::Fresh(Python::new(config));
    };
    let another_secret = wants_another_hash_secret(config, &snapshot.config);
    // A run that asks for no seed takes the snapshot's secret, whatever it was cut with.
    let mut wanted = config.interpreter_part();
    wanted.hash_seed = snapshot.config.hash_seed;
    if another_secret || wanted != snapshot.config.interpreter_part() {
        // Another configuration (-I, -S, -X, -W, -O, PYTHON* variables…) or another hash secret
        // (every string and dict in the snapshot was hashed with the cut's): python.wasm carries
        // the whole interpreter, so this run builds it afresh, as python-fresh.wasm does. The
        // snapshot's is left as it is: dropping it would run its finalisers for nothing.
        std::mem::forget(snapshot.python);
        if another_secret {
            Python::redraw_hash_secret(config.hash_seed);
        }
        return Start::Fresh(Python::new(config));
    }
    Start::Resumed(snapshot.python)
}

/// The interpreter for one request of a component, which has no command line and no environment
/// to ask for another: the snapshot's whatever it was cut with, else a fresh one for `config`.
pub fn start_request(config: &Config) -> Start {
    match SNAPSHOT.with(|snapshot| snapshot.borrow_mut().take()) {
        Some(snapshot) => Start::Resumed(snapshot.python),
        None => Start::Fresh(Python::new(config)),
    }
}

/// Whether the run asks for a hash secret other than the snapshot's: one of its own (`-R`,
/// `PYTHONHASHSEED=random`) or a seed the snapshot was not cut with.
fn wants_another_hash_secret(config: &Config, snapshot: &Config) -> bool {
    config.per_run_hash_secret || config.hash_seed.is_some_and(|seed| Some(seed) != snapshot.hash_seed)
}
