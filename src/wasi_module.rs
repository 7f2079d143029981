//! The `wasi` Python module: lets a script see what the host granted it. It only presents what
//! `capabilities` reads from the host; it asks the host nothing itself.

pub(crate) use wasi_grants::module_def;

#[rustpython_vm::pymodule(name = "wasi")]
mod wasi_grants {
    use crate::capabilities;
    use rustpython_vm::convert::IntoPyException;
    use rustpython_vm::{PyObjectRef, PyResult, VirtualMachine};

    /// The granted directories, in the host's order: a list of `(guest_path, writable)`, where
    /// `writable` is what the host's WASI rights say, or None when it does not say. wasmtime and
    /// Node report full rights on every directory, a read-only grant included: False is reliable,
    /// True is not.
    #[pyfunction]
    fn preopens(vm: &VirtualMachine) -> Vec<PyObjectRef> {
        capabilities::preopens()
            .into_iter()
            .map(|p| {
                let writable = p.writable.map_or_else(|| vm.ctx.none(), |w| vm.ctx.new_bool(w).into());
                vm.ctx.new_tuple(vec![vm.ctx.new_str(p.guest_path).into(), writable]).into()
            })
            .collect()
    }

    /// `os.symlink` for WASI: `link` becomes a symbolic link to `target`.
    #[pyfunction]
    fn symlink(target: String, link: String, vm: &VirtualMachine) -> PyResult<()> {
        capabilities::symlink(&target, &link).map_err(|e| e.into_pyexception(vm))
    }

    /// The entries of the open directory `fd` as `(name, file_type, inode)`, `.` and `..` left
    /// out; `file_type` is WASI's number (3 directory, 4 regular file, 7 symbolic link, 0 unknown).
    #[pyfunction]
    fn readdir(fd: u32, vm: &VirtualMachine) -> PyResult<Vec<PyObjectRef>> {
        let entries = capabilities::read_directory(fd).map_err(|e| e.into_pyexception(vm))?;
        Ok(entries
            .into_iter()
            .filter(|entry| entry.name != "." && entry.name != "..")
            .map(|entry| {
                let fields = vec![
                    vm.ctx.new_str(entry.name).into(),
                    vm.ctx.new_int(entry.file_type).into(),
                    vm.ctx.new_int(entry.inode).into(),
                ];
                vm.ctx.new_tuple(fields).into()
            })
            .collect())
    }

    /// `os._exit` under WASI: ends the run now with `status`, mapped to what WASI hosts accept
    /// (see `capabilities::exit_status`). Flushing first is the Python caller's job.
    #[pyfunction]
    fn _exit(status: i64) {
        std::process::exit(capabilities::exit_status(status));
    }

    /// The host's clocks and their resolutions in nanoseconds, as a dict.
    #[pyfunction]
    fn clock_resolutions(vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let dict = vm.ctx.new_dict();
        for (name, nanoseconds) in capabilities::clock_resolutions() {
            dict.set_item(name, vm.ctx.new_int(nanoseconds).into(), vm)?;
        }
        Ok(dict.into())
    }
}
