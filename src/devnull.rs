//! `open()` that falls back to a null file for `os.devnull`: WASI hosts grant no /dev, yet code
//! opens /dev/null unconditionally to discard output. The null file itself is Python
//! (`Lib/own/_wasipy_gaps/io.py`); this is only the dispatch, native so that an `open()` that
//! fails shows no frame of ours in the traceback.

pub(crate) use devnull_module::module_def;

#[rustpython_vm::pymodule(name = "_wasipy_devnull")]
mod devnull_module {
    use rustpython_vm::builtins::{PyBytes, PyStr};
    use rustpython_vm::function::FuncArgs;
    use rustpython_vm::{AsObject, PyObjectRef, PyResult, VirtualMachine};

    const DEVNULL: &str = "/dev/null";

    /// `io.open`: the VM's own (`_io.open`), and when that fails with an OSError for /dev/null
    /// opened without an opener, `_wasipy_gaps.io.open_null(mode, buffering, encoding, errors,
    /// newline)`.
    #[pyfunction]
    fn open(args: FuncArgs, vm: &VirtualMachine) -> PyResult {
        let native = vm.import("_io", 0)?.get_attr("open", vm)?;
        let error = match native.call(args.clone(), vm) {
            Ok(file) => return Ok(file),
            Err(error) if error.fast_isinstance(vm.ctx.exceptions.os_error) => error,
            Err(error) => return Err(error),
        };
        let argument = |position: usize, name: &str| -> Option<PyObjectRef> {
            args.args.get(position).cloned().or_else(|| args.kwargs.get(name).cloned())
        };
        let opener = argument(7, "opener").filter(|opener| !vm.is_none(opener));
        let file = argument(0, "file");
        if opener.is_some() || !file.is_some_and(|file| is_devnull(&file, vm)) {
            return Err(error);
        }
        let gaps = vm.import("_wasipy_gaps.io", 0)?; // the package: `io` is its attribute
        let open_null = gaps.get_attr("io", vm)?.get_attr("open_null", vm)?;
        let pick = |position: usize, name: &str| argument(position, name).unwrap_or_else(|| vm.ctx.none());
        let mode = argument(1, "mode").unwrap_or_else(|| vm.ctx.new_str("r").into());
        open_null.call(
            (mode, pick(2, "buffering"), pick(3, "encoding"), pick(4, "errors"), pick(5, "newline")),
            vm,
        )
    }

    fn is_devnull(file: &PyObjectRef, vm: &VirtualMachine) -> bool {
        let path = match file.get_attr("__fspath__", vm) {
            Ok(fspath) => fspath.call((), vm).unwrap_or_else(|_| file.clone()),
            Err(_) => file.clone(),
        };
        if let Some(text) = path.downcast_ref::<PyStr>() {
            return text.as_wtf8().as_bytes() == DEVNULL.as_bytes();
        }
        path.downcast_ref::<PyBytes>().is_some_and(|bytes| bytes.as_bytes() == DEVNULL.as_bytes())
    }
}
