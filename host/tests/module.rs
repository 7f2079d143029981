//! python.wasm itself, whatever host runs it: it imports only WASI preview 1 and uses only the wasm
//! features that wasmtime, Node and wasmi all support (the README's *Hosts* lists them).

mod common;

use wasmparser::{Parser, Payload, Validator, WasmFeatures};

/// WebAssembly 2.0 without SIMD: mutable globals, sign extension, saturating float-to-int,
/// multi-value, bulk memory and reference types. wasmtime, Node 20 and wasmi 2 have all of them;
/// Rust's wasm32-wasip1 target emits no others by default.
fn features_every_host_has() -> WasmFeatures {
    WasmFeatures::WASM2.difference(WasmFeatures::SIMD)
}

fn python_wasm() -> Vec<u8> {
    std::fs::read(common::python_wasm()).expect("python.wasm is built (make)")
}

#[test]
fn imports_only_wasi_preview_1() {
    let bytes = python_wasm();
    let mut imports = Vec::new();
    for payload in Parser::new(0).parse_all(&bytes) {
        if let Payload::ImportSection(section) = payload.unwrap() {
            for import in section.into_imports() {
                let import = import.unwrap();
                imports.push(format!("{}::{}", import.module, import.name));
            }
        }
    }
    assert!(!imports.is_empty(), "no imports found");
    let foreign: Vec<_> = imports.iter().filter(|name| !name.starts_with("wasi_snapshot_preview1::")).collect();
    assert!(foreign.is_empty(), "imports beyond WASI preview 1: {foreign:?}");
}

#[test]
fn uses_only_the_features_every_host_has() {
    let bytes = python_wasm();
    let mut validator = Validator::new_with_features(features_every_host_has());
    if let Err(error) = validator.validate_all(&bytes) {
        panic!("python.wasm needs a feature beyond WebAssembly 2.0 without SIMD: {error}");
    }
}
