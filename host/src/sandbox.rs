//! The sandbox: python.wasm compiled once (and cached on disk), and each run of it in a fresh store
//! that holds only the grants it was given and stops at its limits.

use crate::grants::DirGrant;
use crate::limits::Limits;
use crate::output::CappedOutput;
use crate::verdict::{Outcome, Verdict};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Once;
use std::time::{Duration, Instant};
use wasmtime::{Config, Engine, InstancePre, Linker, Module, ResourceLimiter, Store, Trap};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

/// How often the epoch ticks, and so how often a guest yields to the async runtime. A sleeping thread
/// that wakes 100 times a second costs nothing measurable.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// What a guest reads on stdin.
pub enum GuestStdin {
    Closed,
    Host,
    File(std::fs::File),
    Bytes(bytes::Bytes),
}

/// Everything one run receives: argv (python.wasm's, from `argv[0]` on), environment, directories,
/// standard streams.
pub struct Guest {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub dirs: Vec<DirGrant>,
    pub stdin: GuestStdin,
    pub stdout: CappedOutput,
    pub stderr: CappedOutput,
}

/// python.wasm, compiled and linked against WASI preview 1, ready to instantiate many times.
pub struct Sandbox {
    engine: Engine,
    instance_pre: InstancePre<GuestState>,
    fuel_metering: bool,
    /// Whether runs share the async runtime with others (a server) and must yield to them.
    interleave: bool,
    ticker: Once,
}

pub struct GuestState {
    wasi: WasiP1Ctx,
    memory: MemoryMeter,
}

impl Sandbox {
    /// Loads `python_wasm`, from the compiled cache in `cache_dir` when it holds it for this file and
    /// this engine configuration, else compiling it (about 10 s) and storing the result there.
    /// Fuel metering changes the compiled code, so it is chosen here, for every run of this sandbox.
    pub fn load(python_wasm: &Path, cache_dir: Option<&Path>, fuel_metering: bool, interleave: bool) -> anyhow::Result<Sandbox> {
        let engine = new_engine(fuel_metering)?;
        let module = load_module(&engine, python_wasm, cache_dir, "python", || {
            std::fs::read(python_wasm).map_err(|e| anyhow::anyhow!("cannot read {}: {}", python_wasm.display(), crate::grants::plain_io_error(&e)))
        })?;
        let instance_pre = new_linker(&engine)?.instantiate_pre(&module)?;
        Ok(Sandbox { engine, instance_pre, fuel_metering, interleave, ticker: Once::new() })
    }

    /// Runs python.wasm once, in a store of its own, and says how it ended.
    pub async fn run(&self, guest: Guest, limits: &Limits) -> anyhow::Result<Outcome> {
        let (stdout, stderr) = (guest.stdout.clone(), guest.stderr.clone());
        let mut store = new_store(&self.engine, guest, limits.memory)?;
        if self.fuel_metering {
            store.set_fuel(limits.fuel.unwrap_or(u64::MAX))?;
        }
        if limits.timeout.is_some() || self.interleave {
            // Every tick the guest yields to the async runtime: a timeout can fire even in a busy
            // loop, and concurrent runs share the runtime's threads.
            self.start_ticker();
            store.set_epoch_deadline(1);
            store.epoch_deadline_async_yield_and_update(1);
        } else {
            store.set_epoch_deadline(u64::MAX);
        }

        let started = Instant::now();
        let result = {
            let run = async {
                let instance = self.instance_pre.instantiate_async(&mut store).await?;
                let start = instance.get_typed_func::<(), ()>(&mut store, "_start")?;
                start.call_async(&mut store, ()).await
            };
            match limits.timeout {
                // Dropping the run at the deadline ends it wherever it is: running wasm (it yields
                // every tick) or blocked in a host call (a sleep, a read).
                Some(timeout) => tokio::time::timeout(timeout, run).await.ok(),
                None => Some(run.await),
            }
        };
        let duration = started.elapsed();

        let fuel_used = match (self.fuel_metering, store.get_fuel()) {
            (true, Ok(left)) => Some(limits.fuel.unwrap_or(u64::MAX) - left),
            _ => None,
        };
        let memory = &store.data().memory;
        let (verdict, exit_code, message) = match result {
            None => (Verdict::Timeout, None, None),
            Some(Ok(())) => (Verdict::Ok, Some(0), None),
            Some(Err(error)) => classify(&error, memory.denied),
        };
        Ok(Outcome {
            verdict,
            exit_code,
            message,
            duration,
            fuel_used,
            peak_memory_bytes: memory.peak,
            stdout_truncated: stdout.truncated(),
            stderr_truncated: stderr.truncated(),
        })
    }

    fn start_ticker(&self) {
        self.ticker.call_once(|| {
            let engine = self.engine.clone();
            std::thread::Builder::new()
                .name("wasipy-epoch".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(EPOCH_TICK);
                        engine.increment_epoch();
                    }
                })
                .expect("spawn the epoch thread");
        });
    }
}

/// The engine every run (and `wasipy snapshot`'s cut) compiles for: epoch interruption always (a
/// timeout, a server's interleaving), fuel metering when asked, which compiles differently.
pub fn new_engine(fuel_metering: bool) -> anyhow::Result<Engine> {
    let mut config = Config::new();
    config.epoch_interruption(true);
    config.consume_fuel(fuel_metering);
    Ok(Engine::new(&config)?)
}

/// WASI preview 1, the only imports python.wasm has.
pub fn new_linker(engine: &Engine) -> anyhow::Result<Linker<GuestState>> {
    let mut linker: Linker<GuestState> = Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |state: &mut GuestState| &mut state.wasi)?;
    Ok(linker)
}

/// A store for one run of `guest`: a WASI context that holds only its grants, and its memory cap.
/// The epoch deadline is left to the caller.
pub fn new_store(engine: &Engine, guest: Guest, memory_cap: Option<u64>) -> anyhow::Result<Store<GuestState>> {
    let Guest { argv, env, dirs, stdin, stdout, stderr } = guest;
    let mut wasi = WasiCtxBuilder::new();
    wasi.args(&argv);
    for (name, value) in &env {
        wasi.env(name, value);
    }
    for dir in &dirs {
        let perms = if dir.read_only { FsPerms::ReadOnly } else { FsPerms::ReadWrite };
        wasi.preopened_dir(&dir.host, &dir.guest, perms)?;
    }
    match stdin {
        GuestStdin::Closed => {}
        GuestStdin::Host => {
            wasi.stdin(tokio::io::stdin());
        }
        GuestStdin::File(file) => {
            wasi.stdin(wasmtime_wasi::cli::InputFile::new(file));
        }
        GuestStdin::Bytes(bytes) => {
            wasi.stdin(wasmtime_wasi::p2::pipe::MemoryInputPipe::new(bytes));
        }
    }
    wasi.stdout(stdout);
    wasi.stderr(stderr);
    let state = GuestState { wasi: wasi.build_p1(), memory: MemoryMeter::new(memory_cap) };
    let mut store = Store::new(engine, state);
    store.limiter(|state| &mut state.memory);
    Ok(store)
}

/// How a run that did not return normally ended: a WASI exit, or a trap and its cause.
fn classify(error: &wasmtime::Error, memory_denied: bool) -> (Verdict, Option<i32>, Option<String>) {
    if let Some(exit) = error.downcast_ref::<I32Exit>() {
        let verdict = if exit.0 == 0 { Verdict::Ok } else { Verdict::Error };
        return (verdict, Some(exit.0), None);
    }
    let verdict = match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => Verdict::Fuel,
        // The VM aborts when an allocation fails; after a refused memory.grow, that abort is the cap.
        _ if memory_denied => Verdict::Memory,
        _ => Verdict::Trap,
    };
    let message = match verdict {
        Verdict::Trap => Some(format!("{error:?}")),
        _ => None,
    };
    (verdict, None, message)
}

/// The linear-memory cap, and what the guest asked for: its peak and whether it was refused.
struct MemoryMeter {
    cap: Option<u64>,
    peak: u64,
    denied: bool,
}

impl MemoryMeter {
    fn new(cap: Option<u64>) -> Self {
        MemoryMeter { cap, peak: 0, denied: false }
    }
}

impl ResourceLimiter for MemoryMeter {
    fn memory_growing(&mut self, _current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        let desired = desired as u64;
        let allowed = self.cap.is_none_or(|cap| desired <= cap) && maximum.is_none_or(|max| desired <= max as u64);
        if allowed {
            self.peak = self.peak.max(desired);
        } else {
            self.denied = true;
        }
        Ok(allowed)
    }

    fn table_growing(&mut self, _current: usize, _desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

/// The compiled module `kind` made of `python_wasm` (`python`: the file itself; `wasipy snapshot`
/// compiles wizer's instrumented copy): from the cache when it holds it compiled by this engine
/// configuration, else compiled now from `wasm()` and stored for the next time.
pub fn load_module(
    engine: &Engine,
    python_wasm: &Path,
    cache_dir: Option<&Path>,
    kind: &str,
    wasm: impl FnOnce() -> anyhow::Result<Vec<u8>>,
) -> anyhow::Result<Module> {
    let read = |e: std::io::Error| anyhow::anyhow!("cannot read {}: {}", python_wasm.display(), crate::grants::plain_io_error(&e));
    let metadata = std::fs::metadata(python_wasm).map_err(read)?;
    let cached = cache_dir.map(|dir| dir.join(cache_name(engine, python_wasm, &metadata, kind)));
    if let Some(path) = &cached {
        if path.is_file() {
            // SAFETY: the file was written by `Module::serialize` below, by this same build of the
            // host (the name holds the engine's compatibility hash), in a directory the operator owns.
            if let Ok(module) = unsafe { Module::deserialize_file(engine, path) } {
                return Ok(module);
            }
        }
    }
    let module = Module::new(engine, &wasm()?)?;
    if let Some(path) = cached {
        // A cache that cannot be written only costs the next run the compile time.
        let _ = store_atomically(&path, &module.serialize()?);
    }
    Ok(module)
}

fn cache_name(engine: &Engine, python_wasm: &Path, metadata: &std::fs::Metadata, kind: &str) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    kind.hash(&mut hasher);
    python_wasm.canonicalize().unwrap_or_else(|_| python_wasm.to_owned()).hash(&mut hasher);
    metadata.len().hash(&mut hasher);
    metadata.modified().ok().hash(&mut hasher);
    format!("{kind}-{:016x}.cwasm", hasher.finish())
}

pub fn store_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let partial = dir.join(format!(".{}.{}", std::process::id(), path.file_name().unwrap().to_string_lossy()));
    std::fs::write(&partial, bytes)?;
    std::fs::rename(&partial, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_meter_records_peak_and_refusal() {
        let mut meter = MemoryMeter::new(Some(1 << 20));
        assert!(meter.memory_growing(0, 1 << 19, None).unwrap());
        assert!(!meter.memory_growing(1 << 19, 2 << 20, None).unwrap());
        assert_eq!(meter.peak, 1 << 19);
        assert!(meter.denied);
    }
}
