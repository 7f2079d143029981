//! The interpreter of python.wasm as a library, for the two artifacts built from it: the WASI
//! command (`src/main.rs`, python.wasm) and the `wasi:http/proxy` component (`component/`).
//! CPython's pipeline, one module per step: command line (`cli`) → configuration (`config`, read
//! once; both in the pure `wasipy-config` crate, config/) → interpreter (`interpreter`, or the build's pre-initialised one: `snapshot`) → run mode
//! (`run`) → exit code. What an artifact adds to the interpreter is an `interpreter::Extension`.

pub mod capabilities;
pub use wasipy_config::{cli, config};
mod decimal;
mod devnull;
mod frozen_stdlib;
pub mod interpreter;
mod pickle_scan;
pub mod run;
pub mod snapshot;
mod sqlite;
mod wasi_module;

/// The VM, for the native modules an artifact adds (`#[pymodule]` names it by this path).
pub use rustpython_vm;
