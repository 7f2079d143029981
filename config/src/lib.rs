//! The first two steps of python.wasm's pipeline, with no interpreter and no WASI in them: the
//! command line as written (`cli`) and the configuration of a run read once from it and the
//! environment (`config`), and how a snapshot's cut is asked for (`snapshot_request`, which the
//! native host uses too). Both artifacts (python.wasm, the wasi:http component) use them through
//! the guest library; `cargo test -p wasipy-config` tests them natively.

pub mod cli;
pub mod config;
pub mod snapshot_request;
