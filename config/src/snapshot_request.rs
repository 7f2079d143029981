//! How a snapshot's cut is asked for: the init function wizer calls, and the variables of the cut's
//! environment that say what to prepare. The guest (`src/snapshot.rs`) reads them and `wasipy
//! snapshot` sets them: one definition for both.

/// The guest's init function (each artifact's `#[export_name]` spells it, as attributes need a
/// literal; so do the build scripts' `--export` and the Makefile's `--init-func`).
pub const INIT_FUNC: &str = "wasipy_initialize";
/// Modules to import, comma-separated.
pub const PRELOAD_VARIABLE: &str = "WASIPY_SNAPSHOT_PRELOAD";
/// A script whose top level runs once, by guest path.
pub const INIT_VARIABLE: &str = "WASIPY_SNAPSHOT_INIT";
/// Directories whose `.py` files the snapshot keeps, colon-separated.
pub const EMBED_VARIABLE: &str = "WASIPY_SNAPSHOT_EMBED";
/// A component's request handler script, by guest path.
pub const HANDLER_VARIABLE: &str = "WASIPY_SNAPSHOT_HANDLER";
/// All of them: the app must not see them.
pub const REQUEST_VARIABLES: [&str; 4] = [PRELOAD_VARIABLE, INIT_VARIABLE, EMBED_VARIABLE, HANDLER_VARIABLE];
