//! The one file that talks to the `rustpython_vm` embedding API (it changes between releases): builds
//! the interpreter from a `Config`, offers the run modes as calls on a `Session`, and turns how a run
//! ended into an exit code (CPython: `pymain_init`, `Py_FinalizeEx`). It decides no policy: which
//! mode runs and in what order is `run.rs`'s.

use crate::config::Config;
use crate::snapshot::AppPreparation;
use rustpython_vm::builtins::{PyBaseExceptionRef, PyDictRef, PyModuleDef, PyStr, PyTuple, PyType};
use rustpython_vm::common::rc::PyRc;
use rustpython_vm::compiler::Mode;
use rustpython_vm::convert::TryFromObject;
use rustpython_vm::scope::Scope;
use rustpython_vm::types::PyComparisonOp;
use rustpython_vm::{AsObject, Context, Interpreter, PyObjectRef, PyRef, PyResult, Settings, VirtualMachine};
use std::sync::OnceLock;

/// A Python exception that ended a run mode.
pub type Exception = PyBaseExceptionRef;

/// CPython's exit code when `KeyboardInterrupt` ends the program and SIGINT cannot be re-raised
/// (WASI has no signals): 128 + SIGINT.
const EXIT_KEYBOARD_INTERRUPT: u32 = 130;

pub struct Version {
    /// `3.14.0`
    pub short: String,
    /// `sys.version`
    pub full: String,
}

pub fn version() -> Version {
    use rustpython_vm::version;
    Version {
        short: format!("{}.{}.{}", version::MAJOR, version::MINOR, version::MICRO),
        // sys.version spans two lines; `-VV` prints it on one, as CPython does.
        full: version::RUSTPYTHON_VERSION.replace('\n', " "),
    }
}

/// What an artifact adds to the interpreter it builds: python.wasm adds nothing, the `wasi:http`
/// component (component/) its request and outbound-HTTP modules.
pub struct Extension {
    /// Native modules, importable by name.
    pub native_modules: fn(&Context) -> Vec<&'static PyModuleDef>,
    /// Python modules as `(name, source)`: compiled and imported at start-up, after ours.
    pub python_modules: &'static [(&'static str, &'static str)],
}

static EXTENSION: OnceLock<&'static Extension> = OnceLock::new();

/// Sets what every interpreter built from now on adds; the first call wins (an artifact has one).
pub fn extend(extension: &'static Extension) {
    let _ = EXTENSION.set(extension);
}

/// The interpreter of one run.
pub struct Python {
    interpreter: Interpreter,
}

impl Python {
    /// Draws the hash secret again before a fresh interpreter is built in a process restored from
    /// a snapshot, whose secret was drawn when the snapshot was cut: `seed`, or at random.
    pub fn redraw_hash_secret(seed: Option<u32>) {
        rustpython_vm::redraw_hash_secret(seed);
    }

    /// Builds the interpreter: native modules, the frozen stdlib, and the settings from `config`.
    pub fn new(config: &Config) -> Self {
        let stdlib = crate::frozen_stdlib::stdlib();
        let builder = Interpreter::builder(settings(config));
        let mut native = rustpython_stdlib::stdlib_module_defs(&builder.ctx);
        native.push(crate::wasi_module::module_def(&builder.ctx));
        native.push(crate::devnull::module_def(&builder.ctx));
        native.push(crate::pickle_scan::module_def(&builder.ctx));
        native.push(crate::sqlite::module_def(&builder.ctx));
        native.push(crate::decimal::module_def(&builder.ctx));
        if let Some(extension) = EXTENSION.get() {
            native.extend((extension.native_modules)(&builder.ctx));
        }
        let module_search_paths = config.pythonpath.clone();
        let executable = config.executable.clone();
        let interpreter = builder
            .add_native_modules(&native)
            .add_frozen_modules(stdlib)
            .init_hook(move |vm| {
                // The VM guesses paths from the host's argv[0] and a prefix on disk; python.wasm has
                // neither: the stdlib is frozen in, and only user directories go on sys.path.
                let state = PyRc::get_mut(&mut vm.state).expect("interpreter state is not shared yet");
                let paths = &mut state.config.paths;
                paths.module_search_paths = module_search_paths;
                paths.executable.clone_from(&executable);
                paths.base_executable = executable;
                paths.stdlib_dir = None;
            })
            .build();
        Self { interpreter }
    }

    /// Runs `body` in the interpreter and leaves it as it is, unfinalised: how the snapshot
    /// prepares the interpreter a run will take over.
    pub fn enter<R>(&self, body: impl FnOnce(&Session) -> R) -> R {
        self.interpreter.enter(|vm| body(&Session { vm }))
    }

    /// Runs `body` in the interpreter, then finalises it (atexit, flush) and returns the exit code.
    // CPython: Py_RunMain → Py_FinalizeEx; `_Py_HandleSystemExit`.
    pub fn run(self, finalization: Finalization, body: impl FnOnce(&Session) -> Result<(), Exception>) -> u32 {
        let result = self.interpreter.enter(|vm| body(&Session { vm }));
        let keyboard_interrupt = match &result {
            Err(exc) => self.interpreter.enter(|vm| {
                let interrupted = exc.fast_isinstance(vm.ctx.exceptions.keyboard_interrupt);
                if interrupted {
                    vm.print_exception(exc);
                }
                interrupted
            }),
            Ok(()) => false,
        };
        let exception = if keyboard_interrupt { None } else { result.err() };
        let code = match finalization {
            Finalization::Full => self.interpreter.finalize(exception),
            Finalization::Quick => {
                let code = self.interpreter.enter(|vm| finish_quickly(vm, exception));
                // The process ends next: freeing the heap object by object would only cost time.
                std::mem::forget(self.interpreter);
                code
            }
        };
        if keyboard_interrupt && code == 0 { EXIT_KEYBOARD_INTERRUPT } else { code }
    }
}

/// How a run ends its interpreter.
pub enum Finalization {
    /// CPython's: atexit, then every module torn down and collected.
    Full,
    /// For the snapshot's interpreter: atexit, the run's own garbage and open files, no teardown
    /// of the modules the build made (`_wasipy_snapshot.finish`).
    Quick,
}

/// `Finalization::Quick`: the exit status of `exception` (its traceback printed, SystemExit's
/// code), then `_wasipy_snapshot.finish`; 120 if stdout cannot be flushed, as CPython.
fn finish_quickly(vm: &VirtualMachine, exception: Option<Exception>) -> u32 {
    const EXIT_FLUSH_FAILURE: u32 = 120;
    let code = exception.map_or(0, |exc| vm.handle_exit_exception(exc));
    let finish = vm.import("_wasipy_snapshot", 0).and_then(|module| module.get_attr("finish", vm));
    match finish.and_then(|finish| finish.call((), vm)).and_then(|flushed| flushed.try_to_bool(vm)) {
        Ok(true) => code,
        Ok(false) if code == 0 => EXIT_FLUSH_FAILURE,
        Ok(false) => code,
        Err(exc) => {
            vm.print_exception(&exc);
            code.max(1)
        }
    }
}

fn settings(config: &Config) -> Settings {
    let mut s = Settings::default();
    s.argv.clone_from(&config.argv);
    s.isolated = config.isolated;
    s.ignore_environment = !config.use_environment;
    s.safe_path = config.safe_path;
    s.import_site = config.site_import;
    s.user_site_directory = config.user_site_directory;
    s.write_bytecode = config.write_bytecode;
    s.buffered_stdio = config.buffered_stdio;
    s.quiet = config.quiet;
    s.inspect = config.inspect;
    s.interactive = config.interactive;
    s.optimize = config.optimization_level;
    s.verbose = config.verbose;
    s.bytes_warning = config.bytes_warning.into();
    s.debug = config.parser_debug;
    s.warnoptions.clone_from(&config.warnoptions);
    s.xoptions = config
        .xoptions
        .iter()
        .map(|x| match x.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (x.clone(), None),
        })
        .collect();
    s.dev_mode = config.dev_mode;
    s.utf8_mode = config.utf8_mode.map_or(-1, i8::from);
    s.warn_default_encoding = config.warn_default_encoding;
    s.code_debug_ranges = config.code_debug_ranges;
    if let Some(digits) = config.int_max_str_digits {
        s.int_max_str_digits = digits;
    }
    s.hash_seed = config.hash_seed;
    s.stdio_encoding.clone_from(&config.stdio_encoding);
    s.stdio_errors.clone_from(&config.stdio_errors);
    s.path_list.clone_from(&config.pythonpath);
    if let Some(mode) = config.check_hash_pycs_mode.as_deref().and_then(|m| m.parse().ok()) {
        s.check_hash_pycs_mode = mode;
    }
    s
}

/// The entered interpreter: the calls a run mode is made of.
pub struct Session<'vm> {
    vm: &'vm VirtualMachine,
}

impl Session<'_> {
    /// What runs before the run mode, `site` apart: CPython's `warnings` (for -W), and ours: the
    /// dropped-module explainer, the WASI gap fillers and `sys.flags.hash_randomization`.
    pub fn import_startup_modules(&self) -> Result<(), Exception> {
        // CPython creates __main__ before anything runs (pymain_run_python); runpy needs it.
        self.vm.new_scope_with_main()?;
        self.vm.import("_wasipy_dropped", 0)?;
        let gaps = self.vm.import("_wasipy_gaps", 0)?;
        // Builtin types (OSError, DirEntry): only the embedding can replace their attributes.
        let patches = gaps.get_attr("TYPE_ATTRIBUTES", self.vm)?;
        for patch in self.vm.extract_elements_with(&patches, |patch| Ok(patch))? {
            let [typ, name, value]: [PyObjectRef; 3] = self
                .vm
                .extract_elements_with(&patch, |item| Ok(item))?
                .try_into()
                .map_err(|_| self.vm.new_type_error("TYPE_ATTRIBUTES holds (type, name, value) triples"))?;
            let typ = typ.downcast::<PyType>().map_err(|_| self.vm.new_type_error("TYPE_ATTRIBUTES: not a type"))?;
            let name = String::try_from_object(self.vm, name)?;
            typ.set_attr(self.vm.ctx.intern_str(name), value);
        }
        self.vm.import("warnings", 0)?;
        self.set_hash_randomization_flag()?;
        for (name, source) in EXTENSION.get().map_or(&[][..], |extension| extension.python_modules) {
            let code = self
                .vm
                .compile(source, Mode::Exec, format!("<{name}>"))
                .map_err(|err| err.into_pyexception(self.vm, Some(source)))?;
            rustpython_vm::import::import_code_obj(self.vm, name, code, false)?;
        }
        Ok(())
    }

    /// `site`, unless `-S` (CPython: `init_import_site`).
    pub fn import_site(&self) -> Result<(), Exception> {
        self.vm.import("site", 0).map(drop)
    }

    /// Imports what the snapshot holds, the app's modules and init script included, and freezes
    /// it (`_wasipy_snapshot.prepare`).
    pub fn prepare_snapshot(&self, app: &AppPreparation) -> Result<(), Exception> {
        let vm = self.vm;
        let strings = |items: &[&str]| vm.ctx.new_tuple(items.iter().map(|s| vm.ctx.new_str(*s).into()).collect());
        let optional = |text: &Option<String>| text.as_deref().map_or_else(|| vm.ctx.none(), |text| vm.ctx.new_str(text).into());
        let preload: Vec<&str> = app.preload.iter().map(String::as_str).collect();
        let embed: Vec<&str> = app.embed.iter().map(String::as_str).collect();
        let prepare = vm.import("_wasipy_snapshot", 0)?.get_attr("prepare", vm)?;
        let working_dir: PyObjectRef = vm.ctx.new_str(app.working_dir.as_str()).into();
        let args = (strings(&preload), optional(&app.init_script), strings(&embed), working_dir, strings(&app.request_variables), optional(&app.handler));
        prepare.call(args, vm).map(drop)
    }

    /// Hands an interpreter built for another run (the snapshot's) to this one: what `Settings`
    /// put in `sys` per run, and what `_wasipy_snapshot.resume` refreshes from the run's host.
    pub fn resume(&self, config: &Config) -> Result<(), Exception> {
        let vm = self.vm;
        let strings = |items: &[String]| vm.ctx.new_list(items.iter().map(|s| vm.ctx.new_str(s.as_str()).into()).collect());
        vm.sys_module.set_attr("argv", strings(&config.argv), vm)?;
        vm.sys_module.set_attr("orig_argv", strings(&config.orig_argv), vm)?;
        vm.sys_module.set_attr("executable", vm.ctx.new_str(config.executable.as_str()), vm)?;
        vm.sys_module.set_attr("_base_executable", vm.ctx.new_str(config.executable.as_str()), vm)?;
        // PYTHONPATH's entries go first, as the VM puts them when it builds sys.path.
        let sys_path = vm.sys_module.get_attr("path", vm)?;
        for (at, entry) in config.pythonpath.iter().enumerate() {
            vm.call_method(&sys_path, "insert", (at, entry.as_str()))?;
        }
        let environ = vm.ctx.new_dict();
        for (name, value) in &config.environ {
            environ.set_item(name.as_str(), vm.ctx.new_str(value.as_str()).into(), vm)?;
        }
        let resume = vm.import("_wasipy_snapshot", 0)?.get_attr("resume", vm)?;
        resume.call((environ,), vm).map(drop)
    }

    /// One request of a component: the handler the snapshot holds runs it (`_wasipy_component`).
    pub fn serve_request(&self) -> Result<(), Exception> {
        let handle = self.vm.import("_wasipy_component", 0)?.get_attr("handle", self.vm)?;
        handle.call((), self.vm).map(drop)
    }

    /// `sys.flags.hash_randomization` as CPython sets it: 1 unless PYTHONHASHSEED=0. The VM
    /// derives it from "no seed given", which reads 0 for PYTHONHASHSEED=N (N ≠ 0) although
    /// hashes are then randomised by N. sys.flags cannot be instantiated from Python, so the
    /// corrected copy is built here: the same struct-sequence type over the same fields.
    fn set_hash_randomization_flag(&self) -> Result<(), Exception> {
        const HASH_RANDOMIZATION_INDEX: usize = 11; // its place in sys.flags' fields
        let vm = self.vm;
        let randomized = vm.state.config.settings.hash_seed != Some(0);
        let flags = vm.sys_module.get_attr("flags", vm)?;
        let fields = flags.downcast_ref::<PyTuple>().ok_or_else(|| vm.new_type_error("sys.flags is not a tuple"))?;
        let mut elements = fields.as_slice().to_vec();
        let wanted: PyObjectRef = vm.ctx.new_int(u8::from(randomized)).into();
        if elements[HASH_RANDOMIZATION_INDEX].rich_compare_bool(&wanted, PyComparisonOp::Eq, vm)? {
            return Ok(());
        }
        elements[HASH_RANDOMIZATION_INDEX] = wanted;
        let corrected = PyRef::new_ref(PyTuple::new_unchecked(elements.into_boxed_slice()), flags.class().to_owned(), None);
        vm.sys_module.set_attr("flags", corrected, vm)
    }

    /// `sys.path.insert(0, path)` (CPython: `_PyPathConfig_ComputeSysPath0`).
    pub fn prepend_sys_path(&self, path: &str) -> Result<(), Exception> {
        self.vm.insert_sys_path(self.vm.new_pyobj(path.to_owned()))
    }

    /// The globals of `__main__` (created by `import_startup_modules`, or replaced by a script).
    fn main_scope(&self) -> Result<Scope, Exception> {
        let main = self.vm.sys_module.get_attr("modules", self.vm)?.get_item("__main__", self.vm)?;
        let globals = PyDictRef::try_from_object(self.vm, main.get_attr("__dict__", self.vm)?)?;
        Ok(Scope::with_builtins(None, globals, self.vm))
    }

    /// `-c CMD` and stdin: compile `source` as the file `filename` and run it in `__main__`.
    // CPython: PyRun_SimpleStringFlags / pymain_run_stdin.
    pub fn run_source(&self, source: &str, filename: &str) -> Result<(), Exception> {
        let scope = self.main_scope()?;
        self.vm.run_string(scope, source, filename).map(drop)
    }

    /// `-m MOD` (CPython: `pymain_run_module` → `runpy._run_module_as_main`).
    pub fn run_module(&self, module: &str, program: &str) -> Result<(), Exception> {
        let runpy = self.vm.import("runpy", 0)?;
        let run = runpy.get_attr("_run_module_as_main", self.vm)?;
        run.call((module, true), self.vm).map(drop).map_err(|exc| self.name_program(exc, program))
    }

    /// runpy's "No module named …" exit begins with `sys.executable`, which is '' when argv[0]
    /// names no file (`wasmtime run python.wasm`: no PATH holds it); the program's name stands in,
    /// so the message says who is speaking, as CPython's does natively.
    fn name_program(&self, exc: Exception, program: &str) -> Exception {
        let vm = self.vm;
        let unnamed = vm.sys_module.get_attr("executable", vm).is_ok_and(|e| e.downcast_ref::<PyStr>().is_some_and(|e| e.as_wtf8().is_empty()));
        let args = exc.args();
        let message = match args.as_slice() {
            [message] if unnamed && self.is_system_exit(&exc) => message.downcast_ref::<PyStr>(),
            _ => None,
        };
        match message.and_then(|m| m.to_str()).and_then(|m| m.strip_prefix(": ")) {
            Some(rest) => vm.new_system_exit(vec![vm.ctx.new_str(format!("{program}: {rest}")).into()].into()),
            None => exc,
        }
    }

    /// A directory or zip file with `__main__.py`, if `path` is one: runs it and returns true.
    // CPython: pymain_run_module(L"__main__", 0) after pymain_get_importer.
    pub fn run_importable_path(&self, path: &str, program: &str) -> Result<bool, Exception> {
        if self.importer_for(path)?.is_none() {
            return Ok(false);
        }
        self.prepend_sys_path(path)?;
        let runpy = self.vm.import("runpy", 0)?;
        let run = runpy.get_attr("_run_module_as_main", self.vm)?;
        run.call(("__main__", false), self.vm).map_err(|exc| self.name_program(exc, program))?;
        Ok(true)
    }

    fn importer_for(&self, path: &str) -> PyResult<Option<PyObjectRef>> {
        let vm = self.vm;
        let cache = PyDictRef::try_from_object(vm, vm.sys_module.get_attr("path_importer_cache", vm)?)?;
        if let Some(importer) = cache.get_item_opt(path, vm)? {
            return Ok((!vm.is_none(&importer)).then_some(importer));
        }
        let hooks: Vec<PyObjectRef> = vm.sys_module.get_attr("path_hooks", vm)?.try_into_value(vm)?;
        for hook in hooks {
            match hook.call((path,), vm) {
                Ok(importer) => {
                    cache.set_item(path, importer.clone(), vm)?;
                    return Ok(Some(importer));
                }
                Err(e) if e.fast_isinstance(vm.ctx.exceptions.import_error) => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    /// A script file, with `__file__` set (CPython: `pymain_run_file_obj`).
    pub fn run_file(&self, path: &str) -> Result<(), Exception> {
        let scope = self.main_scope()?;
        self.vm.run_any_file(scope, path)
    }

    /// CPython's `can't open file` message on stderr, then exit code 2 (as `SystemExit(2)`, so that
    /// finalisation still runs).
    // CPython: pymain_run_file_obj.
    pub fn cant_open_file(&self, program: &str, path: &str, errno: i32, message: &str) -> Exception {
        let vm = self.vm;
        let quoted = vm
            .ctx
            .new_str(path)
            .as_object()
            .repr(vm)
            .map_or_else(|_| format!("'{path}'"), |r| r.to_string_lossy().into_owned());
        self.write_stderr(&format!("{program}: can't open file {quoted}: [Errno {errno}] {message}\n"));
        vm.new_system_exit(vec![vm.ctx.new_int(2).into()].into())
    }

    fn write_stderr(&self, text: &str) {
        let vm = self.vm;
        if let Ok(stderr) = vm.sys_module.get_attr("stderr", vm) {
            let _ = vm.call_method(&stderr, "write", (text.to_owned(),));
            let _ = vm.call_method(&stderr, "flush", ());
        }
    }

    /// The interactive prompt (`-i`, or a terminal on stdin), from our `_wasipy_repl`.
    pub fn interact(&self, show_banner: bool) -> Result<(), Exception> {
        let repl = self.vm.import("_wasipy_repl", 0)?;
        let scope = self.main_scope()?;
        let main = repl.get_attr("interact", self.vm)?;
        main.call((scope.globals, show_banner), self.vm).map(drop)
    }

    /// Whether `exc` is `SystemExit` (which ends `-i` without a prompt, as in CPython).
    pub fn is_system_exit(&self, exc: &Exception) -> bool {
        exc.fast_isinstance(self.vm.ctx.exceptions.system_exit)
    }

    /// Prints a traceback the way an uncaught exception would, and keeps going (for `-i`).
    pub fn print_exception(&self, exc: Exception) {
        self.vm.print_exception(&exc);
    }

    /// `-x`: runs a script's source without its first line (a non-Unix `#!` line).
    pub fn run_source_skipping_first_line(&self, source: &str, filename: &str) -> Result<(), Exception> {
        // Keep line numbers: the first line becomes empty rather than disappearing.
        let rest = source.split_once('\n').map_or("", |(_, rest)| rest);
        let code = self
            .vm
            .compile(&format!("\n{rest}"), Mode::Exec, filename)
            .map_err(|err| err.into_pyexception(self.vm, Some(source)))?;
        let scope = self.main_scope()?;
        self.vm.run_code_obj(code, scope).map(drop)
    }
}
