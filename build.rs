//! Freezes the trimmed standard library into python.wasm: reads rustpython-pylib's `Lib/`, drops what
//! `Lib/MANIFEST` names, adds our own `Lib/own/`, compiles every module to bytecode and writes one
//! `FrozenLib` blob to `$OUT_DIR/stdlib.frozen` (and its zstd dictionary to `stdlib.zdict`) for
//! `include_bytes!`. It must not copy `.py` files anywhere: the source stays in the crate it came
//! from.

use rustpython_compiler::{CompileOpts, Mode, compile};
use rustpython_compiler_core::frozen::{FrozenCodeObject, FrozenLib, FrozenModule};
use rustpython_compiler_core::marshal;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// One `drop` line of `Lib/MANIFEST`.
struct Dropped {
    module: String,
    reason: String,
}

/// The linear-memory ("shadow") stack python.wasm is linked with, in bytes.
///
/// RustPython's recursion guard (`check_c_stack_overflow`) measures this stack, but wasm frames also
/// use the host's native stack, which wasmtime caps at 512 KiB by default (`max-wasm-stack`). On the
/// native-recursion paths (`==` on nested lists, `repr`, `json`, `pickle`) a level costs up to ~2.8×
/// more native stack than shadow stack, so with Rust's default 1 MiB shadow stack the host overflows
/// first and the instance traps. A smaller shadow stack makes the guard trip first: RecursionError
/// instead of a trap. Calibrated with `bench/deep_stack.py` (see README "Recursion").
const SHADOW_STACK_BYTES: u32 = 192 * 1024;

fn main() {
    println!("cargo:rerun-if-env-changed=WASIPY_SHADOW_STACK");
    let shadow_stack = std::env::var("WASIPY_SHADOW_STACK").ok().and_then(|v| v.parse().ok()).unwrap_or(SHADOW_STACK_BYTES);
    if std::env::var("TARGET").is_ok_and(|t| t.starts_with("wasm32")) {
        println!("cargo:rustc-link-arg-bins=-zstack-size={shadow_stack}");
        // The component's core module (component/build.rs) is linked with the same stack.
        println!("cargo:shadow_stack_bytes={shadow_stack}");
        // The snapshot's init function (src/snapshot.rs), called by `wasmtime wizer` at build time.
        println!("cargo:rustc-link-arg-bins=--export=wasipy_initialize");
        // Where each function and static landed, by name: `make bench-size` sums them by crate.
        let out_dir = std::env::var("OUT_DIR").unwrap();
        println!("cargo:rustc-link-arg-bins=-Map={out_dir}/python.map");
    }
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let manifest_path = manifest_dir.join("Lib/MANIFEST");
    let own_dir = manifest_dir.join("Lib/own");
    println!("cargo:rerun-if-changed={}", manifest_path.display());
    println!("cargo:rerun-if-changed={}", own_dir.display());

    let manifest = fs::read_to_string(&manifest_path)
        .unwrap_or_else(|e| panic!("failed to read `{}`: {e}", manifest_path.display()));
    let dropped = parse_manifest(&manifest);

    let mut sources = BTreeMap::new();
    collect_modules(Path::new(rustpython_pylib::LIB_PATH), "", &mut sources);
    sources.retain(|name, _| !is_dropped(name, &dropped));
    let mut own = BTreeMap::new();
    collect_modules(&own_dir, "", &mut own);
    for (name, source) in own {
        if let Some(old) = sources.insert(name.clone(), source) {
            // Ours replacing upstream is deliberate only if it is said here.
            panic!("Lib/own module `{name}` shadows the stdlib's `{}`", old.path.display());
        }
    }
    let kept_top_level: Vec<&str> =
        sources.keys().filter(|name| !name.contains('.')).map(String::as_str).collect();
    let manifest_module = manifest_module_source(&dropped, &kept_top_level);
    sources.insert("_wasipy_manifest".to_owned(), ModuleSource::generated(manifest_module));

    let mut marshalled = Vec::with_capacity(sources.len());
    for (name, module) in &sources {
        let text = module.read();
        let filename = format!("<frozen {name}>");
        let code = match compile(&text, Mode::Exec, &filename, CompileOpts::default()) {
            Ok(code) => code,
            Err(e) => panic!("failed to compile `{}`: {e}", module.path.display()),
        };
        let mut data = Vec::new();
        marshal::serialize_code(&mut data, &code);
        marshalled.push((name.as_str(), module.package, data));
    }
    // zstd with a dictionary trained on every module (src/frozen_stdlib.rs reads it): 3.5 MB, where
    // the VM's own per-module lz4 (FrozenCodeObject::encode) takes 5.9 MB.
    let samples: Vec<&[u8]> = marshalled.iter().map(|(_, _, data)| data.as_slice()).collect();
    let dictionary = zstd::dict::from_samples(&samples, ZSTD_DICTIONARY_BYTES)
        .unwrap_or_else(|e| panic!("failed to train the frozen stdlib's zstd dictionary: {e}"));
    let mut compressor = zstd::bulk::Compressor::with_dictionary(ZSTD_LEVEL, &dictionary)
        .unwrap_or_else(|e| panic!("failed to make a zstd compressor: {e}"));
    let frozen: Vec<(&str, FrozenModule<Vec<u8>>)> = marshalled
        .iter()
        .map(|(name, package, data)| {
            let frame = compressor.compress(data).unwrap_or_else(|e| panic!("failed to compress `{name}`: {e}"));
            let length = u32::try_from(data.len()).expect("a module's marshal data fits in 4 GB");
            let bytes = [ZSTD_MAGIC.as_slice(), &length.to_le_bytes(), &frame].concat();
            (*name, FrozenModule { code: FrozenCodeObject { bytes }, package: *package })
        })
        .collect();
    let lib = FrozenLib::encode(frozen.iter().map(|(name, module)| (*name, module.clone())));
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    for (file, bytes) in [("stdlib.frozen", &lib.bytes), ("stdlib.zdict", &dictionary)] {
        let out = out_dir.join(file);
        fs::write(&out, bytes).unwrap_or_else(|e| panic!("failed to write `{}`: {e}", out.display()));
    }
}

/// What src/frozen_stdlib.rs recognises ours by (then the length, then the zstd frame).
const ZSTD_MAGIC: &[u8; 4] = b"wz01";
/// zstd's strongest ordinary level: decoding costs the same at every level.
const ZSTD_LEVEL: i32 = 19;
/// zstd's usual dictionary size (its trainer's default).
const ZSTD_DICTIONARY_BYTES: usize = 110 * 1024;

struct ModuleSource {
    path: PathBuf,
    package: bool,
    generated: Option<String>,
}

impl ModuleSource {
    fn generated(text: String) -> Self {
        Self { path: PathBuf::from("<generated>"), package: false, generated: Some(text) }
    }

    fn read(&self) -> String {
        if let Some(text) = &self.generated {
            return text.clone();
        }
        let text = fs::read_to_string(&self.path)
            .unwrap_or_else(|e| panic!("failed to read `{}`: {e}", self.path.display()));
        // A byte order mark belongs to the file's encoding, not to its text.
        text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text)
    }
}

fn parse_manifest(text: &str) -> Vec<Dropped> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let rest = line
                .strip_prefix("drop ")
                .unwrap_or_else(|| panic!("Lib/MANIFEST: expected `drop <module> <reason>`, got `{line}`"));
            let (module, reason) = rest.trim().split_once(char::is_whitespace).unwrap_or((rest, ""));
            assert!(!reason.trim().is_empty(), "Lib/MANIFEST: `drop {module}` needs a reason");
            Dropped { module: module.to_owned(), reason: reason.trim().to_owned() }
        })
        .collect()
}

fn is_dropped(name: &str, dropped: &[Dropped]) -> bool {
    dropped.iter().any(|d| {
        name == d.module || name.strip_prefix(&d.module).is_some_and(|rest| rest.starts_with('.'))
    })
}

/// `name -> source file` for every module below `dir`, packages by their `__init__.py`.
fn collect_modules(dir: &Path, parent: &str, out: &mut BTreeMap<String, ModuleSource>) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("failed to list `{}`: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        let dotted = |stem: &str| if parent.is_empty() { stem.to_owned() } else { format!("{parent}.{stem}") };
        if path.is_dir() {
            if file_name != "__pycache__" && path.join("__init__.py").exists() {
                collect_modules(&path, &dotted(file_name), out);
            }
        } else if let Some(stem) = file_name.strip_suffix(".py") {
            let package = stem == "__init__";
            let name = if package { parent.to_owned() } else { dotted(stem) };
            out.insert(name, ModuleSource { path, package, generated: None });
        }
    }
}

/// The `_wasipy_manifest` module: what was dropped and why (for the import hook that explains it),
/// and the top-level modules kept (for the import smoke test).
fn manifest_module_source(dropped: &[Dropped], kept_top_level: &[&str]) -> String {
    let mut text = String::from("# Generated by build.rs from Lib/MANIFEST.\nDROPPED = {\n");
    for d in dropped {
        text.push_str(&format!("    {:?}: {:?},\n", d.module, d.reason));
    }
    text.push_str("}\nKEPT_TOP_LEVEL = (\n");
    for name in kept_top_level {
        text.push_str(&format!("    {name:?},\n"));
    }
    text.push_str(")\n");
    text
}
