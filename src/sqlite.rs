//! SQLite under WASI, as the `_wasipy_sqlite` module: what SQLite's unix VFS needs from the host that
//! WASI preview 1 gives otherwise, and `sqlite3.connect`'s error for a database outside the grants.
//! It must not change anything else SQLite does (README, "sqlite3 under WASI").
//!
//! - Locks: wasi-libc's `fcntl` refuses `F_SETLK` and `F_GETLK` (WASI has no file locks), so the VFS
//!   could lock nothing and every database would fail with "disk I/O error". Its `fcntl` becomes one
//!   whose record locks always succeed, which is what POSIX gives a process alone with its files:
//!   SQLite's own table of the files this process has open still serialises its connections
//!   ("database is locked"); other processes go unseen (one process at a time).
//! - Randomness: the VFS reads `/dev/urandom`, which a WASI run rarely has, and falls back to the
//!   time in seconds; it reads the host's `random_get` instead (`random()`, `randomblob()`, the
//!   names of temporary files).
//!
//! `_wasipy_gaps.sqlite3` calls `install` when `_sqlite3` is first imported, before any database
//! is open, and makes `connect` the `sqlite3.connect` of `sqlite3.dbapi2`.

pub(crate) use sqlite_module::module_def;

#[rustpython_vm::pymodule(name = "_wasipy_sqlite")]
mod sqlite_module {
    use core::ffi::{c_char, c_int, c_void};
    use libsqlite3_sys as ffi;
    use rustpython_vm::builtins::PyType;
    use rustpython_vm::function::FuncArgs;
    use rustpython_vm::{AsObject, PyResult, VirtualMachine};

    // sqlite3.c's own values for WASI, whose headers define no record locks (wasm32: `long` is 32 bits).
    const F_GETLK: c_int = 12;
    const F_SETLK: c_int = 13;
    const F_SETLKW: c_int = 14;
    const F_UNLCK: i16 = 2;

    unsafe extern "C" {
        #[link_name = "fcntl"]
        fn libc_fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
    }

    /// `fcntl` as the unix VFS calls it, through `int (*)(int, int, ...)`. On wasm32 a variadic
    /// call passes its variadic arguments in memory, and a pointer to them as the last parameter;
    /// SQLite passes one, an `int` or a `struct flock *` (whose first field is `short l_type`).
    unsafe extern "C" fn fcntl(fd: c_int, cmd: c_int, varargs: *const *mut c_void) -> c_int {
        match cmd {
            F_SETLK | F_SETLKW => 0,
            F_GETLK => {
                // SAFETY: F_GETLK's argument is the `struct flock` SQLite passed.
                unsafe { *(*varargs).cast::<i16>() = F_UNLCK };
                0
            }
            // SAFETY: the other commands SQLite sends (F_GETFD, F_SETFD) take one `int`.
            _ => unsafe { libc_fcntl(fd, cmd, *varargs.cast::<c_int>()) },
        }
    }

    /// The VFS's `xRandomness`: `n` bytes from the host (WASI `random_get`).
    unsafe extern "C" fn randomness(_vfs: *mut ffi::sqlite3_vfs, n: c_int, out: *mut c_char) -> c_int {
        let len = usize::try_from(n).unwrap_or(0);
        // SAFETY: SQLite hands a buffer of `n` bytes.
        match unsafe { wasi::random_get(out.cast(), len) } {
            Ok(()) => n,
            Err(_) => 0,
        }
    }

    /// Gives SQLite's `unix` VFS the `fcntl` and the randomness above. Idempotent.
    #[pyfunction]
    fn install(vm: &VirtualMachine) -> PyResult<()> {
        // SAFETY: SQLite's documented API; the VFS object it returns lives as long as the process,
        // and nothing uses it while this runs (one thread, no database open yet).
        let rc = unsafe {
            let vfs = ffi::sqlite3_vfs_find(c"unix".as_ptr());
            match vfs.as_mut() {
                Some(unix) => {
                    unix.xRandomness = Some(randomness);
                    let ours: unsafe extern "C" fn(c_int, c_int, *const *mut c_void) -> c_int = fcntl;
                    let ours = core::mem::transmute::<_, unsafe extern "C" fn()>(ours);
                    unix.xSetSystemCall.map_or(ffi::SQLITE_ERROR, |set| set(vfs, c"fcntl".as_ptr(), Some(ours)))
                }
                None => ffi::SQLITE_ERROR,
            }
        };
        if rc == ffi::SQLITE_OK {
            Ok(())
        } else {
            Err(vm.new_runtime_error(format!("failed to give SQLite's `unix` VFS the WASI locks: error {rc}")))
        }
    }

    /// `sqlite3.connect`: `_sqlite3.connect`, and when that raises `OperationalError` for a
    /// database the sandbox hides, the error's text says so (`_wasipy_gaps.sqlite3.explain`).
    /// Native, so that the traceback of a failed connect shows no frame of ours.
    #[pyfunction]
    fn connect(args: FuncArgs, vm: &VirtualMachine) -> PyResult {
        let native = vm.import("_sqlite3", 0)?;
        let error = match native.get_attr("connect", vm)?.call(args.clone(), vm) {
            Ok(connection) => return Ok(connection),
            Err(error) => error,
        };
        let operational = native.get_attr("OperationalError", vm)?;
        if !operational.downcast_ref::<PyType>().is_some_and(|class| error.fast_isinstance(class)) {
            return Err(error);
        }
        let kwargs = vm.ctx.new_dict();
        for (name, value) in &args.kwargs {
            kwargs.set_item(&**name, value.clone(), vm)?;
        }
        let gaps = vm.import("_wasipy_gaps.sqlite3", 0)?; // the package: `sqlite3` is its attribute
        let explain = gaps.get_attr("sqlite3", vm)?.get_attr("explain", vm)?;
        explain.call((error.clone(), vm.ctx.new_tuple(args.args), kwargs), vm)?;
        Err(error)
    }
}
