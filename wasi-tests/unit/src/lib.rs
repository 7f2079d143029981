//! Runs the unit tests of python.wasm's pure modules natively: they need no interpreter, so they
//! build in seconds instead of the minutes a wasm build of the whole crate takes.

#[path = "../../../src/capabilities.rs"]
pub mod capabilities;
#[path = "../../../src/pickle_scan.rs"]
pub mod pickle_scan;
