//! Makes python-http.wasm's core module a `wasi:http/proxy` component: wit-component encodes it with
//! the world its bindings name (wasip2's proxy world) and wasmtime's preview1 proxy adapter, which
//! serves the interpreter's WASI preview 1 calls (stdio, clocks, randomness; no files) from the
//! proxy world's interfaces.

use wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_PROXY_ADAPTER;

/// The import module of WASI preview 1, which the adapter takes the place of.
const PREVIEW1: &str = "wasi_snapshot_preview1";

/// The component of `core`, a (pre-initialised) core module with the wasi:http bindings in it.
pub fn componentize(core: &[u8]) -> anyhow::Result<Vec<u8>> {
    wit_component::ComponentEncoder::default()
        .validate(true)
        .module(core)?
        .adapter(PREVIEW1, WASI_SNAPSHOT_PREVIEW1_PROXY_ADAPTER)?
        .encode()
}

/// Whether `wasm` is a component (rather than a core module).
pub fn is_component(wasm: &[u8]) -> bool {
    wasmparser::Parser::is_component(wasm)
}
