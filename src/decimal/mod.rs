//! `_decimal`: the native module CPython's `decimal.py` imports before falling back to
//! `_pydecimal`. Decimal, Context, the signals, and the current context (a context variable), with
//! the arithmetic done by IBM's decNumber (`number.rs`). Behaviour follows CPython's C `decimal`.

mod number;

pub(crate) use decimal_module::module_def;

#[rustpython_vm::pymodule(name = "_decimal")]
mod decimal_module {
    use super::number::{self, Ctx, Num};
    use decnumber_sys as dn;
    use malachite_bigint::BigInt;
    use num_traits::{ToPrimitive, Zero};
    use rustpython_vm::{
        AsObject, Py, PyObject, PyObjectRef, PyPayload, PyRef, PyResult, VirtualMachine,
        builtins::{PyDict, PyFloat, PyInt, PyList, PyStr, PyStrRef, PyTuple, PyType, PyTypeRef},
        common::hash::{self, PyHash},
        function::{FuncArgs, OptionalArg, PyComparisonValue, PySetterValue},
        protocol::PyNumberMethods,
        protocol::PyMappingMethods,
        types::{AsMapping, AsNumber, Comparable, Constructor, Hashable, Initializer, Iterable, PyComparisonOp, Representable},
    };
    use rustpython_vm::{common as rustpython_common, pyclass};
    use std::cell::RefCell;
    use std::str::FromStr;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU8, Ordering::Relaxed};

    pub(crate) fn module_exec(vm: &VirtualMachine, module: &Py<rustpython_vm::builtins::PyModule>) -> PyResult<()> {
        __module_exec(vm, module);
        // Decimal is a numbers.Number (registered, as CPython's _decimal does).
        let number = vm.import("numbers", 0)?.get_attr("Number", vm)?;
        vm.call_method(&number, "register", (PyDecimal::class(&vm.ctx).to_owned(),))?;
        // Types of ours that CPython's _decimal has but does not export (`from _decimal import *`
        // would give them to `decimal`).
        for internal in ["ContextManager", "SignalDictMixin"] {
            module.dict().del_item(internal, vm)?;
        }
        Ok(())
    }

    /// The widest IEEE interchange format `IEEEContext` makes (CPython 3.14, 32-bit build).
    #[pyattr]
    const IEEE_CONTEXT_MAX_BITS: isize = 256;

    /// The context of the IEEE 754 interchange format of `bits` bits (a multiple of 32), traps off.
    #[pyfunction(name = "IEEEContext")]
    fn ieee_context(bits: isize, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        if bits <= 0 || bits > IEEE_CONTEXT_MAX_BITS || bits % 32 != 0 {
            return Err(vm.new_value_error(format!("argument must be a multiple of 32, with a maximum of {IEEE_CONTEXT_MAX_BITS}")));
        }
        let ctx = PyDecContext::class(&vm.ctx).as_object().call((), vm)?;
        let c = ctx.downcast_ref::<PyDecContext>().ok_or_else(|| vm.new_type_error("Context"))?;
        let emax = 3 * (1i32 << (bits / 16 + 3));
        c.prec.store(9 * (bits as i32 / 32) - 2, Relaxed);
        c.emax.store(emax, Relaxed);
        c.emin.store(1 - emax, Relaxed);
        c.round.store(dn::DEC_ROUND_HALF_EVEN, Relaxed);
        c.clamp.store(1, Relaxed);
        c.traps.store(0, Relaxed);
        Ok(ctx)
    }

    // ---- constants (CPython's values for a 32-bit build) ----

    #[pyattr]
    const MAX_PREC: i64 = 425_000_000;
    #[pyattr]
    const MAX_EMAX: i64 = 425_000_000;
    #[pyattr]
    const MIN_EMIN: i64 = -425_000_000;
    #[pyattr]
    const MIN_ETINY: i64 = -849_999_999;
    #[pyattr]
    const HAVE_THREADS: bool = false;
    #[pyattr]
    const HAVE_CONTEXTVAR: bool = true;
    #[pyattr(name = "__version__")]
    const VERSION: &str = "1.70";
    /// Not libmpdec: decNumber (its own version string).
    #[pyattr(name = "__libmpdec_version__")]
    const LIBMPDEC_VERSION: &str = "decNumber 3.68";

    const ROUNDINGS: [(&str, dn::rounding); 8] = [
        ("ROUND_UP", dn::DEC_ROUND_UP),
        ("ROUND_DOWN", dn::DEC_ROUND_DOWN),
        ("ROUND_CEILING", dn::DEC_ROUND_CEILING),
        ("ROUND_FLOOR", dn::DEC_ROUND_FLOOR),
        ("ROUND_HALF_UP", dn::DEC_ROUND_HALF_UP),
        ("ROUND_HALF_DOWN", dn::DEC_ROUND_HALF_DOWN),
        ("ROUND_HALF_EVEN", dn::DEC_ROUND_HALF_EVEN),
        ("ROUND_05UP", dn::DEC_ROUND_05UP),
    ];
    #[pyattr(name = "ROUND_UP")]
    fn round_up_name(vm: &VirtualMachine) -> PyObjectRef {
        vm.ctx.intern_str("ROUND_UP").to_owned().into()
    }
    #[pyattr(name = "ROUND_DOWN")]
    fn round_down_name(vm: &VirtualMachine) -> PyObjectRef {
        vm.ctx.intern_str("ROUND_DOWN").to_owned().into()
    }
    #[pyattr(name = "ROUND_CEILING")]
    fn round_ceiling_name(vm: &VirtualMachine) -> PyObjectRef {
        vm.ctx.intern_str("ROUND_CEILING").to_owned().into()
    }
    #[pyattr(name = "ROUND_FLOOR")]
    fn round_floor_name(vm: &VirtualMachine) -> PyObjectRef {
        vm.ctx.intern_str("ROUND_FLOOR").to_owned().into()
    }
    #[pyattr(name = "ROUND_HALF_UP")]
    fn round_half_up_name(vm: &VirtualMachine) -> PyObjectRef {
        vm.ctx.intern_str("ROUND_HALF_UP").to_owned().into()
    }
    #[pyattr(name = "ROUND_HALF_DOWN")]
    fn round_half_down_name(vm: &VirtualMachine) -> PyObjectRef {
        vm.ctx.intern_str("ROUND_HALF_DOWN").to_owned().into()
    }
    #[pyattr(name = "ROUND_HALF_EVEN")]
    fn round_half_even_name(vm: &VirtualMachine) -> PyObjectRef {
        vm.ctx.intern_str("ROUND_HALF_EVEN").to_owned().into()
    }
    #[pyattr(name = "ROUND_05UP")]
    fn round_05up_name(vm: &VirtualMachine) -> PyObjectRef {
        vm.ctx.intern_str("ROUND_05UP").to_owned().into()
    }

    fn rounding_name(r: dn::rounding) -> &'static str {
        ROUNDINGS.iter().find(|(_, v)| *v == r).map_or("ROUND_HALF_EVEN", |(n, _)| n)
    }

    fn rounding_from(obj: &PyObject, vm: &VirtualMachine) -> PyResult<dn::rounding> {
        if let Some(s) = obj.downcast_ref::<PyStr>() {
            if let Some((_, r)) = ROUNDINGS.iter().find(|(n, _)| *n == s.to_str().unwrap_or("\u{fffd}")) {
                return Ok(*r);
            }
        }
        Err(vm.new_type_error(
            "valid values for rounding are:\n  [ROUND_CEILING, ROUND_FLOOR, ROUND_UP, ROUND_DOWN,\n   ROUND_HALF_UP, ROUND_HALF_DOWN, ROUND_HALF_EVEN,\n   ROUND_05UP]",
        ))
    }

    // ---- signals ----

    // Our signal bits, in CPython's order (its flags lists and the exception it raises first).
    const S_INVALID: u32 = 1 << 0;
    const S_FLOAT: u32 = 1 << 1;
    const S_DIVZERO: u32 = 1 << 2;
    const S_OVERFLOW: u32 = 1 << 3;
    const S_UNDERFLOW: u32 = 1 << 4;
    const S_SUBNORMAL: u32 = 1 << 5;
    const S_INEXACT: u32 = 1 << 6;
    const S_ROUNDED: u32 = 1 << 7;
    const S_CLAMPED: u32 = 1 << 8;
    const S_ALL: u32 = (1 << 9) - 1;
    /// decNumber has no FloatOperation: a status bit it never sets carries it.
    const DN_FLOAT_OPERATION: u32 = 1 << 30;
    const DN_INVALID: u32 =
        dn::DEC_Invalid_operation | dn::DEC_Conversion_syntax | dn::DEC_Division_impossible | dn::DEC_Division_undefined | dn::DEC_Invalid_context;

    #[pyattr(name = "DecimalException", once)]
    fn decimal_exception(vm: &VirtualMachine) -> PyTypeRef {
        vm.ctx.new_exception_type("decimal", "DecimalException", Some(vec![vm.ctx.exceptions.arithmetic_error.to_owned()]))
    }
    #[pyattr(name = "Clamped", once)]
    fn clamped(vm: &VirtualMachine) -> PyTypeRef {
        vm.ctx.new_exception_type("decimal", "Clamped", Some(vec![decimal_exception(vm)]))
    }
    #[pyattr(name = "InvalidOperation", once)]
    fn invalid_operation(vm: &VirtualMachine) -> PyTypeRef {
        vm.ctx.new_exception_type("decimal", "InvalidOperation", Some(vec![decimal_exception(vm)]))
    }
    #[pyattr(name = "ConversionSyntax", once)]
    fn conversion_syntax(vm: &VirtualMachine) -> PyTypeRef {
        vm.ctx.new_exception_type("decimal", "ConversionSyntax", Some(vec![invalid_operation(vm)]))
    }
    #[pyattr(name = "DivisionImpossible", once)]
    fn division_impossible(vm: &VirtualMachine) -> PyTypeRef {
        vm.ctx.new_exception_type("decimal", "DivisionImpossible", Some(vec![invalid_operation(vm)]))
    }
    #[pyattr(name = "DivisionUndefined", once)]
    fn division_undefined(vm: &VirtualMachine) -> PyTypeRef {
        vm.ctx.new_exception_type(
            "decimal",
            "DivisionUndefined",
            Some(vec![invalid_operation(vm), vm.ctx.exceptions.zero_division_error.to_owned()]),
        )
    }
    #[pyattr(name = "InvalidContext", once)]
    fn invalid_context(vm: &VirtualMachine) -> PyTypeRef {
        vm.ctx.new_exception_type("decimal", "InvalidContext", Some(vec![invalid_operation(vm)]))
    }
    #[pyattr(name = "DivisionByZero", once)]
    fn division_by_zero(vm: &VirtualMachine) -> PyTypeRef {
        vm.ctx.new_exception_type(
            "decimal",
            "DivisionByZero",
            Some(vec![decimal_exception(vm), vm.ctx.exceptions.zero_division_error.to_owned()]),
        )
    }
    #[pyattr(name = "Inexact", once)]
    fn inexact(vm: &VirtualMachine) -> PyTypeRef {
        vm.ctx.new_exception_type("decimal", "Inexact", Some(vec![decimal_exception(vm)]))
    }
    #[pyattr(name = "Rounded", once)]
    fn rounded(vm: &VirtualMachine) -> PyTypeRef {
        vm.ctx.new_exception_type("decimal", "Rounded", Some(vec![decimal_exception(vm)]))
    }
    #[pyattr(name = "Subnormal", once)]
    fn subnormal(vm: &VirtualMachine) -> PyTypeRef {
        vm.ctx.new_exception_type("decimal", "Subnormal", Some(vec![decimal_exception(vm)]))
    }
    #[pyattr(name = "Overflow", once)]
    fn overflow(vm: &VirtualMachine) -> PyTypeRef {
        vm.ctx.new_exception_type("decimal", "Overflow", Some(vec![inexact(vm), rounded(vm)]))
    }
    #[pyattr(name = "Underflow", once)]
    fn underflow(vm: &VirtualMachine) -> PyTypeRef {
        vm.ctx.new_exception_type("decimal", "Underflow", Some(vec![inexact(vm), rounded(vm), subnormal(vm)]))
    }
    #[pyattr(name = "FloatOperation", once)]
    fn float_operation(vm: &VirtualMachine) -> PyTypeRef {
        vm.ctx.new_exception_type(
            "decimal",
            "FloatOperation",
            Some(vec![decimal_exception(vm), vm.ctx.exceptions.type_error.to_owned()]),
        )
    }

    /// The signals in CPython's order, with their bits.
    fn signals(vm: &VirtualMachine) -> [(u32, PyTypeRef); 9] {
        [
            (S_INVALID, invalid_operation(vm)),
            (S_FLOAT, float_operation(vm)),
            (S_DIVZERO, division_by_zero(vm)),
            (S_OVERFLOW, overflow(vm)),
            (S_UNDERFLOW, underflow(vm)),
            (S_SUBNORMAL, subnormal(vm)),
            (S_INEXACT, inexact(vm)),
            (S_ROUNDED, rounded(vm)),
            (S_CLAMPED, clamped(vm)),
        ]
    }

    fn signal_name(bit: u32) -> &'static str {
        match bit {
            S_INVALID => "InvalidOperation",
            S_FLOAT => "FloatOperation",
            S_DIVZERO => "DivisionByZero",
            S_OVERFLOW => "Overflow",
            S_UNDERFLOW => "Underflow",
            S_SUBNORMAL => "Subnormal",
            S_INEXACT => "Inexact",
            S_ROUNDED => "Rounded",
            _ => "Clamped",
        }
    }

    /// The signal bit of a signal class (None for anything else).
    fn signal_bit(obj: &PyObject, vm: &VirtualMachine) -> Option<u32> {
        signals(vm).into_iter().find(|(_, t)| t.as_object().is(obj)).map(|(b, _)| b)
    }

    /// decNumber's status as our signal bits.
    fn status_signals(status: u32) -> u32 {
        let mut s = 0;
        if status & DN_INVALID != 0 {
            s |= S_INVALID;
        }
        if status & DN_FLOAT_OPERATION != 0 {
            s |= S_FLOAT;
        }
        if status & dn::DEC_Division_by_zero != 0 {
            s |= S_DIVZERO;
        }
        if status & dn::DEC_Overflow != 0 {
            s |= S_OVERFLOW;
        }
        if status & dn::DEC_Underflow != 0 {
            s |= S_UNDERFLOW;
        }
        if status & dn::DEC_Subnormal != 0 {
            s |= S_SUBNORMAL;
        }
        if status & dn::DEC_Inexact != 0 {
            s |= S_INEXACT;
        }
        if status & dn::DEC_Rounded != 0 {
            s |= S_ROUNDED;
        }
        if status & dn::DEC_Clamped != 0 {
            s |= S_CLAMPED;
        }
        s
    }

    // ---- Context ----

    /// Context(prec=None, rounding=None, Emin=None, Emax=None, capitals=None, clamp=None, flags=None, traps=None)
    /// --
    ///
    /// The context of decimal arithmetic: precision, rounding, exponent limits, flags and traps.
    #[pyattr]
    #[pyclass(module = "decimal", name = "Context")]
    #[derive(Debug, PyPayload)]
    pub(crate) struct PyDecContext {
        prec: AtomicI32,
        emax: AtomicI32,
        emin: AtomicI32,
        round: AtomicU32,
        capitals: AtomicU8,
        clamp: AtomicU8,
        /// Our signal bits.
        flags: Arc<AtomicU32>,
        traps: Arc<AtomicU32>,
        /// The SignalDicts of `flags` and `traps`, made at first use (they hold the cells, not the
        /// context, so no cycle).
        views: RefCell<Option<(PyObjectRef, PyObjectRef)>>,
    }

    impl PyDecContext {
        fn new_default() -> Self {
            PyDecContext {
                prec: AtomicI32::new(28),
                emax: AtomicI32::new(999_999),
                emin: AtomicI32::new(-999_999),
                round: AtomicU32::new(dn::DEC_ROUND_HALF_EVEN),
                capitals: AtomicU8::new(1),
                clamp: AtomicU8::new(0),
                flags: Arc::new(AtomicU32::new(0)),
                traps: Arc::new(AtomicU32::new(S_INVALID | S_DIVZERO | S_OVERFLOW)),
                views: RefCell::new(None),
            }
        }
        fn copy_from(other: &PyDecContext) -> Self {
            PyDecContext {
                prec: AtomicI32::new(other.prec.load(Relaxed)),
                emax: AtomicI32::new(other.emax.load(Relaxed)),
                emin: AtomicI32::new(other.emin.load(Relaxed)),
                round: AtomicU32::new(other.round.load(Relaxed)),
                capitals: AtomicU8::new(other.capitals.load(Relaxed)),
                clamp: AtomicU8::new(other.clamp.load(Relaxed)),
                flags: Arc::new(AtomicU32::new(other.flags.load(Relaxed))),
                traps: Arc::new(AtomicU32::new(other.traps.load(Relaxed))),
                views: RefCell::new(None),
            }
        }
        pub(crate) fn params(&self) -> Ctx {
            Ctx {
                prec: self.prec.load(Relaxed),
                emax: self.emax.load(Relaxed),
                emin: self.emin.load(Relaxed),
                round: self.round.load(Relaxed),
                clamp: self.clamp.load(Relaxed),
            }
        }
        fn caps(&self) -> bool {
            self.capitals.load(Relaxed) != 0
        }

        /// Records decNumber's `status` in the flags, and raises the first trapped signal.
        fn add_status(&self, status: u32, vm: &VirtualMachine) -> PyResult<()> {
            if status == 0 {
                return Ok(());
            }
            if status & dn::DEC_Insufficient_storage != 0 {
                return Err(vm.new_memory_error("decimal: out of memory"));
            }
            let sig = status_signals(status);
            self.flags.fetch_or(sig, Relaxed);
            let trapped = sig & self.traps.load(Relaxed);
            if trapped == 0 {
                return Ok(());
            }
            Err(make_signal_error(status, trapped, vm))
        }

        fn set_prec(&self, v: &PyObject, vm: &VirtualMachine) -> PyResult<()> {
            let v = int_arg(v, vm)?;
            if !(1..=MAX_PREC).contains(&v) {
                return Err(vm.new_value_error("valid range for prec is [1, MAX_PREC]"));
            }
            self.prec.store(v as i32, Relaxed);
            Ok(())
        }
        fn set_emin(&self, v: &PyObject, vm: &VirtualMachine) -> PyResult<()> {
            let v = int_arg(v, vm)?;
            if !(MIN_EMIN..=0).contains(&v) {
                return Err(vm.new_value_error("valid range for Emin is [MIN_EMIN, 0]"));
            }
            self.emin.store(v as i32, Relaxed);
            Ok(())
        }
        fn set_emax(&self, v: &PyObject, vm: &VirtualMachine) -> PyResult<()> {
            let v = int_arg(v, vm)?;
            if !(0..=MAX_EMAX).contains(&v) {
                return Err(vm.new_value_error("valid range for Emax is [0, MAX_EMAX]"));
            }
            self.emax.store(v as i32, Relaxed);
            Ok(())
        }
        fn set_capitals(&self, v: &PyObject, vm: &VirtualMachine) -> PyResult<()> {
            let v = int_arg(v, vm)?;
            if !(0..=1).contains(&v) {
                return Err(vm.new_value_error("valid values for capitals are 0 or 1"));
            }
            self.capitals.store(v as u8, Relaxed);
            Ok(())
        }
        fn set_clamp(&self, v: &PyObject, vm: &VirtualMachine) -> PyResult<()> {
            let v = int_arg(v, vm)?;
            if !(0..=1).contains(&v) {
                return Err(vm.new_value_error("valid values for clamp are 0 or 1"));
            }
            self.clamp.store(v as u8, Relaxed);
            Ok(())
        }
        fn set_rounding(&self, v: &PyObject, vm: &VirtualMachine) -> PyResult<()> {
            self.round.store(rounding_from(v, vm)?, Relaxed);
            Ok(())
        }
        fn signal_list(bits: u32, vm: &VirtualMachine) -> PyObjectRef {
            let items: Vec<PyObjectRef> =
                signals(vm).into_iter().filter(|(b, _)| bits & b != 0).map(|(_, t)| t.into()).collect();
            vm.ctx.new_list(items).into()
        }

        /// Applies the keyword settings of the constructor or of `localcontext()`.
        fn apply_settings(&self, settings: &[(&str, PyObjectRef)], vm: &VirtualMachine) -> PyResult<()> {
            for (name, value) in settings {
                if vm.is_none(value) {
                    continue;
                }
                match *name {
                    "prec" => self.set_prec(value, vm)?,
                    "rounding" => self.set_rounding(value, vm)?,
                    "Emin" => self.set_emin(value, vm)?,
                    "Emax" => self.set_emax(value, vm)?,
                    "capitals" => self.set_capitals(value, vm)?,
                    "clamp" => self.set_clamp(value, vm)?,
                    "flags" => self.flags.store(signal_set(value, true, vm)?, Relaxed),
                    "traps" => self.traps.store(signal_set(value, true, vm)?, Relaxed),
                    other => return Err(vm.new_type_error(format!("'{other}' is an invalid keyword argument for this function"))),
                }
            }
            Ok(())
        }
    }

    /// A list of signals, or a dict of every signal to a truth value, as signal bits.
    fn signal_set(value: &PyObject, allow_list: bool, vm: &VirtualMachine) -> PyResult<u32> {
        if let Some(d) = value.downcast_ref::<PyDict>() {
            let mut bits = 0;
            let mut seen = 0;
            for (k, v) in d {
                let Some(bit) = signal_bit(&k, vm) else {
                    return Err(vm.new_key_error(vm.ctx.new_str("invalid signal dict").into()));
                };
                seen |= bit;
                if v.try_to_bool(vm)? {
                    bits |= bit;
                }
            }
            if seen != S_ALL {
                return Err(vm.new_key_error(vm.ctx.new_str("invalid signal dict").into()));
            }
            return Ok(bits);
        }
        if let Some(sd) = value.downcast_ref::<PySignalDictMixin>() {
            return Ok(sd.get_bits());
        }
        if !allow_list || value.downcast_ref::<PyList>().is_none() {
            return Err(vm.new_type_error("argument must be a signal dict"));
        }
        let items = vm.extract_elements_with(value, Ok)?;
        let mut bits = 0;
        for item in items {
            match signal_bit(&item, vm) {
                Some(b) => bits |= b,
                None => return Err(vm.new_key_error(vm.ctx.new_str("invalid error flag").into())),
            }
        }
        Ok(bits)
    }

    fn int_arg(v: &PyObject, vm: &VirtualMachine) -> PyResult<i64> {
        match v.downcast_ref::<PyInt>() {
            // A C ssize_t of a 32-bit build, as CPython's limits are.
            Some(i) => i.as_bigint().to_i32().map(i64::from).ok_or_else(|| vm.new_overflow_error("Python int too large to convert to C ssize_t")),
            None => Err(vm.new_type_error("an integer is required")),
        }
    }

    fn make_signal_error(status: u32, trapped: u32, vm: &VirtualMachine) -> rustpython_vm::builtins::PyBaseExceptionRef {
        let mut list: Vec<PyObjectRef> = Vec::new();
        if trapped & S_INVALID != 0 {
            if status & dn::DEC_Invalid_operation != 0 {
                list.push(invalid_operation(vm).into());
            }
            if status & dn::DEC_Conversion_syntax != 0 {
                list.push(conversion_syntax(vm).into());
            }
            if status & dn::DEC_Division_impossible != 0 {
                list.push(division_impossible(vm).into());
            }
            if status & dn::DEC_Division_undefined != 0 {
                list.push(division_undefined(vm).into());
            }
            if status & dn::DEC_Invalid_context != 0 {
                list.push(invalid_context(vm).into());
            }
        }
        let mut first: Option<PyTypeRef> = None;
        for (bit, t) in signals(vm) {
            if trapped & bit != 0 {
                if first.is_none() {
                    first = Some(t.clone());
                }
                if bit != S_INVALID {
                    list.push(t.into());
                }
            }
        }
        let exc_type = first.unwrap_or_else(|| invalid_operation(vm));
        vm.new_exception(exc_type, vec![vm.ctx.new_list(list).into()])
    }

    impl Constructor for PyDecContext {
        type Args = FuncArgs;
        fn py_new(_cls: &Py<PyType>, _args: FuncArgs, vm: &VirtualMachine) -> PyResult<Self> {
            // CPython's: a new context starts as DefaultContext is now, without its flags.
            let ctx = PyDecContext::copy_from(&default_context(vm));
            ctx.flags.store(0, Relaxed);
            Ok(ctx)
        }
    }

    impl Initializer for PyDecContext {
        type Args = FuncArgs;
        fn init(zelf: &Py<Self>, args: FuncArgs, vm: &VirtualMachine) -> PyResult<()> {
            const NAMES: [&str; 8] = ["prec", "rounding", "Emin", "Emax", "capitals", "clamp", "flags", "traps"];
            if args.args.len() > NAMES.len() {
                return Err(vm.new_type_error(format!(
                    "function takes at most 8 positional arguments ({} given)",
                    args.args.len()
                )));
            }
            let mut settings: Vec<(&str, PyObjectRef)> = Vec::new();
            for (i, a) in args.args.iter().enumerate() {
                settings.push((NAMES[i], a.clone()));
            }
            for (k, v) in &args.kwargs {
                match NAMES.iter().find(|n| **n == k.as_str().unwrap_or("")) {
                    Some(n) => settings.push((n, v.clone())),
                    None => return Err(vm.new_type_error(format!("'{k}' is an invalid keyword argument for this function"))),
                }
            }
            zelf.apply_settings(&settings, vm)
        }
    }

    impl Representable for PyDecContext {
        fn repr_str(zelf: &Py<Self>, _vm: &VirtualMachine) -> PyResult<String> {
            let names = |bits: u32| -> String {
                // libmpdec's flag order, which CPython's repr follows.
                [S_CLAMPED, S_INVALID, S_DIVZERO, S_INEXACT, S_FLOAT, S_OVERFLOW, S_ROUNDED, S_SUBNORMAL, S_UNDERFLOW]
                    .iter()
                    .filter(|b| bits & **b != 0)
                    .map(|b| signal_name(*b))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            Ok(format!(
                "Context(prec={}, rounding={}, Emin={}, Emax={}, capitals={}, clamp={}, flags=[{}], traps=[{}])",
                zelf.prec.load(Relaxed),
                rounding_name(zelf.round.load(Relaxed)),
                zelf.emin.load(Relaxed),
                zelf.emax.load(Relaxed),
                zelf.capitals.load(Relaxed),
                zelf.clamp.load(Relaxed),
                names(zelf.flags.load(Relaxed)),
                names(zelf.traps.load(Relaxed)),
            ))
        }
    }

    /// An operand of a Context method: a Decimal or an int (anything else: TypeError).
    fn ctx_operand(obj: &PyObject, vm: &VirtualMachine) -> PyResult<Operand> {
        match operand(obj, vm)? {
            Some(o) => Ok(o),
            None => Err(vm.new_type_error(format!("conversion from {} to Decimal is not supported", obj.class().name()))),
        }
    }



    #[pyclass(with(Constructor, Initializer, Representable), flags(BASETYPE))]
    impl PyDecContext {
        // The spec's operations, each in this context.
        #[pymethod]
        fn abs(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run1(dn::decNumberAbs, ctx_operand(&a, vm)?.num(), vm)
        }
        #[pymethod]
        fn exp(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run1(dn::decNumberExp, ctx_operand(&a, vm)?.num(), vm)
        }
        #[pymethod]
        fn ln(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run1(dn::decNumberLn, ctx_operand(&a, vm)?.num(), vm)
        }
        #[pymethod]
        fn log10(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run1(dn::decNumberLog10, ctx_operand(&a, vm)?.num(), vm)
        }
        #[pymethod]
        fn logb(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run1(dn::decNumberLogB, ctx_operand(&a, vm)?.num(), vm)
        }
        #[pymethod]
        fn minus(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run1(dn::decNumberMinus, ctx_operand(&a, vm)?.num(), vm)
        }
        #[pymethod]
        fn plus(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run1(dn::decNumberPlus, ctx_operand(&a, vm)?.num(), vm)
        }
        #[pymethod]
        fn next_minus(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run1(dn::decNumberNextMinus, ctx_operand(&a, vm)?.num(), vm)
        }
        #[pymethod]
        fn next_plus(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run1(dn::decNumberNextPlus, ctx_operand(&a, vm)?.num(), vm)
        }
        #[pymethod]
        fn normalize(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run1(dn::decNumberReduce, ctx_operand(&a, vm)?.num(), vm)
        }
        #[pymethod]
        fn sqrt(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run1(dn::decNumberSquareRoot, ctx_operand(&a, vm)?.num(), vm)
        }
        #[pymethod]
        fn to_integral_exact(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run1(dn::decNumberToIntegralExact, ctx_operand(&a, vm)?.num(), vm)
        }
        #[pymethod]
        fn to_integral_value(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run1(dn::decNumberToIntegralValue, ctx_operand(&a, vm)?.num(), vm)
        }
        #[pymethod]
        fn to_integral(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run1(dn::decNumberToIntegralValue, ctx_operand(&a, vm)?.num(), vm)
        }
        #[pymethod]
        fn logical_invert(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run1(dn::decNumberInvert, ctx_operand(&a, vm)?.num(), vm)
        }
        #[pymethod]
        fn add(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberAdd, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn subtract(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberSubtract, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn multiply(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberMultiply, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn divide(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberDivide, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn divide_int(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberDivideInteger, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn remainder(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberRemainder, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn remainder_near(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberRemainderNear, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn compare(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberCompare, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn compare_signal(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberCompareSignal, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn max(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberMax, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn max_mag(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberMaxMag, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn min(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberMin, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn min_mag(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberMinMag, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn next_toward(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberNextToward, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn quantize(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberQuantize, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn rotate(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberRotate, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn scaleb(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberScaleB, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn shift(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberShift, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn logical_and(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberAnd, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn logical_or(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberOr, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        #[pymethod]
        fn logical_xor(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.run2(dn::decNumberXor, ctx_operand(&a, vm)?.num(), ctx_operand(&b, vm)?.num(), vm)
        }
        fn run1(&self, f: number::Op1, a: &Num, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let (r, st) = number::op1(&self.params(), f, a);
            self.add_status(st, vm)?;
            Ok(PyDecimal::new(r).into_pyobject(vm))
        }
        fn run2(&self, f: number::Op2, a: &Num, b: &Num, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let (r, st) = number::op2(&self.params(), f, a, b);
            self.add_status(st, vm)?;
            Ok(PyDecimal::new(r).into_pyobject(vm))
        }

        #[pygetset]
        fn prec(zelf: &Py<Self>) -> i32 {
            zelf.prec.load(Relaxed)
        }
        #[pygetset(name = "prec", setter)]
        fn set_prec_attr(zelf: &Py<Self>, v: PySetterValue, vm: &VirtualMachine) -> PyResult<()> {
            let PySetterValue::Assign(v) = v else {
                return Err(vm.new_attribute_error("context attributes cannot be deleted"));
            };
            zelf.set_prec(&v, vm)
        }
        #[pygetset(name = "Emax")]
        fn emax_get(zelf: &Py<Self>) -> i32 {
            zelf.emax.load(Relaxed)
        }
        #[pygetset(name = "Emax", setter)]
        fn emax_set(zelf: &Py<Self>, v: PySetterValue, vm: &VirtualMachine) -> PyResult<()> {
            let PySetterValue::Assign(v) = v else {
                return Err(vm.new_attribute_error("context attributes cannot be deleted"));
            };
            zelf.set_emax(&v, vm)
        }
        #[pygetset(name = "Emin")]
        fn emin_get(zelf: &Py<Self>) -> i32 {
            zelf.emin.load(Relaxed)
        }
        #[pygetset(name = "Emin", setter)]
        fn emin_set(zelf: &Py<Self>, v: PySetterValue, vm: &VirtualMachine) -> PyResult<()> {
            let PySetterValue::Assign(v) = v else {
                return Err(vm.new_attribute_error("context attributes cannot be deleted"));
            };
            zelf.set_emin(&v, vm)
        }
        #[pygetset]
        fn rounding(zelf: &Py<Self>, vm: &VirtualMachine) -> PyObjectRef {
            // The interned name: `ctx.rounding is ROUND_UP`, as in CPython.
            vm.ctx.intern_str(rounding_name(zelf.round.load(Relaxed))).to_owned().into()
        }
        #[pygetset(name = "rounding", setter)]
        fn set_rounding_attr(zelf: &Py<Self>, v: PySetterValue, vm: &VirtualMachine) -> PyResult<()> {
            let PySetterValue::Assign(v) = v else {
                return Err(vm.new_attribute_error("context attributes cannot be deleted"));
            };
            zelf.set_rounding(&v, vm)
        }
        #[pygetset]
        fn capitals(zelf: &Py<Self>) -> u8 {
            zelf.capitals.load(Relaxed)
        }
        #[pygetset(name = "capitals", setter)]
        fn set_capitals_attr(zelf: &Py<Self>, v: PySetterValue, vm: &VirtualMachine) -> PyResult<()> {
            let PySetterValue::Assign(v) = v else {
                return Err(vm.new_attribute_error("context attributes cannot be deleted"));
            };
            zelf.set_capitals(&v, vm)
        }
        #[pygetset]
        fn clamp(zelf: &Py<Self>) -> u8 {
            zelf.clamp.load(Relaxed)
        }
        #[pygetset(name = "clamp", setter)]
        fn set_clamp_attr(zelf: &Py<Self>, v: PySetterValue, vm: &VirtualMachine) -> PyResult<()> {
            let PySetterValue::Assign(v) = v else {
                return Err(vm.new_attribute_error("context attributes cannot be deleted"));
            };
            zelf.set_clamp(&v, vm)
        }
        #[pygetset]
        fn flags(zelf: PyRef<Self>, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            signal_dict(zelf, false, vm)
        }
        #[pygetset(setter)]
        fn set_flags(zelf: &Py<Self>, v: PySetterValue, vm: &VirtualMachine) -> PyResult<()> {
            let PySetterValue::Assign(v) = v else {
                return Err(vm.new_attribute_error("context attributes cannot be deleted"));
            };
            zelf.flags.store(signal_set(&v, false, vm)?, Relaxed);
            Ok(())
        }
        #[pygetset]
        fn traps(zelf: PyRef<Self>, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            signal_dict(zelf, true, vm)
        }
        #[pygetset(setter)]
        fn set_traps(zelf: &Py<Self>, v: PySetterValue, vm: &VirtualMachine) -> PyResult<()> {
            let PySetterValue::Assign(v) = v else {
                return Err(vm.new_attribute_error("context attributes cannot be deleted"));
            };
            zelf.traps.store(signal_set(&v, false, vm)?, Relaxed);
            Ok(())
        }

        // Unchecked setters, which CPython's tests use to reach past the 32-bit limits.
        #[pymethod]
        fn _unsafe_setprec(zelf: &Py<Self>, v: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
            let v = int_arg(&v, vm)?;
            let v = i32::try_from(v).ok().filter(|v| (1..=1_070_000_000).contains(v)).ok_or_else(|| vm.new_value_error("valid range for unsafe prec is [1, 1070000000]"))?;
            zelf.prec.store(v, Relaxed);
            Ok(())
        }
        #[pymethod]
        fn _unsafe_setemax(zelf: &Py<Self>, v: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
            let v = int_arg(&v, vm)?;
            let v = i32::try_from(v).ok().filter(|v| (0..=1_070_000_000).contains(v)).ok_or_else(|| vm.new_value_error("valid range for unsafe emax is [0, 1070000000]"))?;
            zelf.emax.store(v, Relaxed);
            Ok(())
        }
        #[pymethod]
        fn _unsafe_setemin(zelf: &Py<Self>, v: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
            let v = int_arg(&v, vm)?;
            let v = i32::try_from(v).ok().filter(|v| (-1_070_000_000..=0).contains(v)).ok_or_else(|| vm.new_value_error("valid range for unsafe emin is [-1070000000, 0]"))?;
            zelf.emin.store(v, Relaxed);
            Ok(())
        }

        #[pymethod(name = "Etiny")]
        fn etiny(zelf: &Py<Self>) -> i64 {
            zelf.emin.load(Relaxed) as i64 - zelf.prec.load(Relaxed) as i64 + 1
        }
        #[pymethod(name = "Etop")]
        fn etop(zelf: &Py<Self>) -> i64 {
            zelf.emax.load(Relaxed) as i64 - zelf.prec.load(Relaxed) as i64 + 1
        }
        #[pymethod]
        fn radix(_zelf: &Py<Self>, vm: &VirtualMachine) -> PyObjectRef {
            PyDecimal::new(Num::from_i32(10)).into_pyobject(vm)
        }
        #[pymethod]
        fn clear_flags(zelf: &Py<Self>) {
            zelf.flags.store(0, Relaxed);
        }
        #[pymethod]
        fn clear_traps(zelf: &Py<Self>) {
            zelf.traps.store(0, Relaxed);
        }
        #[pymethod]
        fn copy(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<PyRef<Self>> {
            PyDecContext::copy_from(zelf).into_ref_with_type(vm, PyDecContext::class(&vm.ctx).to_owned())
        }
        #[pymethod]
        fn __copy__(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<PyRef<Self>> {
            PyDecContext::copy(zelf, vm)
        }
        #[pymethod]
        fn __reduce__(zelf: PyRef<Self>, vm: &VirtualMachine) -> PyObjectRef {
            let args = vm.ctx.new_tuple(vec![
                vm.ctx.new_int(zelf.prec.load(Relaxed)).into(),
                vm.ctx.new_str(rounding_name(zelf.round.load(Relaxed))).into(),
                vm.ctx.new_int(zelf.emin.load(Relaxed)).into(),
                vm.ctx.new_int(zelf.emax.load(Relaxed)).into(),
                vm.ctx.new_int(zelf.capitals.load(Relaxed)).into(),
                vm.ctx.new_int(zelf.clamp.load(Relaxed)).into(),
                PyDecContext::signal_list(zelf.flags.load(Relaxed), vm),
                PyDecContext::signal_list(zelf.traps.load(Relaxed), vm),
            ]);
            vm.new_tuple((zelf.class().to_owned(), args)).into()
        }

        #[pymethod]
        fn _apply(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let a = ctx_operand(&a, vm)?;
            zelf.finalize(a.num(), vm)
        }
        /// Rounds `a` to this context, as the spec's conversion does (the sign of zero is kept).
        fn finalize(&self, a: &Num, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let (r, st) = Num::parse(&a.to_sci(true), &self.params());
            self.add_status(st, vm)?;
            Ok(PyDecimal::new(r).into_pyobject(vm))
        }

        #[pymethod]
        fn create_decimal(zelf: &Py<Self>, args: CreateDecimalArgs, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let Some(num) = args.num.into_option() else {
                return Ok(PyDecimal::new(Num::from_i32(0)).into_pyobject(vm));
            };
            if let Some(s) = num.downcast_ref::<PyStr>() {
                let text = normalize_text_with(s.to_str().unwrap_or("\u{fffd}"), false);
                let text = text.as_deref().unwrap_or("?");
                let (mut r, st) = Num::parse(text, &zelf.params());
                if st & dn::DEC_Conversion_syntax != 0 {
                    r = nan_result();
                }
                zelf.add_status(st, vm)?;
                return Ok(PyDecimal::new(r).into_pyobject(vm));
            }
            if num.downcast_ref::<PyFloat>().is_some() {
                zelf.add_status(DN_FLOAT_OPERATION, vm)?;
            }
            if num.downcast_ref::<PyTuple>().is_some() || num.downcast_ref::<PyList>().is_some() {
                let n = tuple_to_num(&num, vm)?;
                if n.is_finite() && !exponent_fits(n.exponent() as i64, n.adjusted()) {
                    // Past decNumber's exponents: the number's text, read in this context, is
                    // clamped, or overflows or underflows as CPython's would.
                    let sign = if n.is_negative() { "-" } else { "" };
                    let text = format!("{sign}{}E{}", n.coefficient_string(), n.exponent());
                    let (r, st) = Num::parse(&text, &zelf.params());
                    zelf.add_status(st, vm)?;
                    return Ok(PyDecimal::new(r).into_pyobject(vm));
                }
            }
            let exact = convert_exact(&num, &vm.ctx.none(), zelf, vm)?;
            zelf.finalize(&exact, vm)
        }
        #[pymethod]
        fn create_decimal_from_float(zelf: &Py<Self>, f: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let exact = if let Some(f) = f.downcast_ref::<PyFloat>() {
                float_to_num(f.to_f64(), vm)?
            } else if let Some(i) = f.downcast_ref::<PyInt>() {
                int_to_num(i)
            } else {
                return Err(vm.new_type_error("argument must be int or float"));
            };
            zelf.finalize(&exact, vm)
        }

        #[pymethod]
        fn divmod(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let a = ctx_operand(&a, vm)?;
            let b = ctx_operand(&b, vm)?;
            divmod_in(zelf, a.num(), b.num(), vm)
        }
        #[pymethod]
        fn power(zelf: &Py<Self>, args: PowerArgs, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let a = ctx_operand(&args.a, vm)?;
            let b = ctx_operand(&args.b, vm)?;
            match args.modulo {
                Some(m) if !vm.is_none(&m) => {
                    let m = ctx_operand(&m, vm)?;
                    power_modulo(zelf, a.num(), b.num(), m.num(), vm)
                }
                _ => zelf.run2(dn::decNumberPower, a.num(), b.num(), vm),
            }
        }
        #[pymethod]
        fn fma(zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, c: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let a = ctx_operand(&a, vm)?;
            let b = ctx_operand(&b, vm)?;
            let c = ctx_operand(&c, vm)?;
            let (r, st) = number::op3(&zelf.params(), dn::decNumberFMA, a.num(), b.num(), c.num());
            zelf.add_status(st, vm)?;
            Ok(PyDecimal::new(r).into_pyobject(vm))
        }
        #[pymethod]
        fn compare_total(_zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let a = ctx_operand(&a, vm)?;
            let b = ctx_operand(&b, vm)?;
            Ok(compare_total_num(a.num(), b.num(), false, vm))
        }
        #[pymethod]
        fn compare_total_mag(_zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let a = ctx_operand(&a, vm)?;
            let b = ctx_operand(&b, vm)?;
            Ok(compare_total_num(a.num(), b.num(), true, vm))
        }
        #[pymethod]
        fn same_quantum(_zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<bool> {
            let a = ctx_operand(&a, vm)?;
            let b = ctx_operand(&b, vm)?;
            Ok(same_quantum_num(a.num(), b.num()))
        }
        #[pymethod]
        fn copy_abs(_zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let a = ctx_operand(&a, vm)?;
            Ok(PyDecimal::new(number::copy_op(dn::decNumberCopyAbs, a.num())).into_pyobject(vm))
        }
        #[pymethod]
        fn copy_negate(_zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let a = ctx_operand(&a, vm)?;
            Ok(PyDecimal::new(number::copy_op(dn::decNumberCopyNegate, a.num())).into_pyobject(vm))
        }
        #[pymethod]
        fn copy_decimal(_zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let a = ctx_operand(&a, vm)?;
            Ok(PyDecimal::new(a.num().clone()).into_pyobject(vm))
        }
        #[pymethod]
        fn canonical(_zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            match a.downcast_ref::<PyDecimal>() {
                Some(_) => Ok(a),
                None => Err(vm.new_type_error("argument must be a Decimal")),
            }
        }
        #[pymethod]
        fn copy_sign(_zelf: &Py<Self>, a: PyObjectRef, b: PyObjectRef, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let a = ctx_operand(&a, vm)?;
            let b = ctx_operand(&b, vm)?;
            Ok(PyDecimal::new(number::copy_sign(a.num(), b.num())).into_pyobject(vm))
        }
        #[pymethod]
        fn number_class(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<&'static str> {
            let a = ctx_operand(&a, vm)?;
            Ok(class_name(number::class(&zelf.params(), a.num())))
        }
        #[pymethod]
        fn to_sci_string(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<String> {
            let a = ctx_operand(&a, vm)?;
            Ok(a.num().to_sci(zelf.caps()))
        }
        #[pymethod]
        fn to_eng_string(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<String> {
            let a = ctx_operand(&a, vm)?;
            Ok(a.num().to_eng(zelf.caps()))
        }
        #[pymethod]
        fn is_canonical(_zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<bool> {
            match a.downcast_ref::<PyDecimal>() {
                Some(_) => Ok(true),
                None => Err(vm.new_type_error("argument must be a Decimal")),
            }
        }
        #[pymethod]
        fn is_finite(_zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<bool> {
            Ok(ctx_operand(&a, vm)?.num().is_finite())
        }
        #[pymethod]
        fn is_infinite(_zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<bool> {
            Ok(ctx_operand(&a, vm)?.num().is_infinite())
        }
        #[pymethod]
        fn is_nan(_zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<bool> {
            Ok(ctx_operand(&a, vm)?.num().is_nan())
        }
        #[pymethod]
        fn is_qnan(_zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<bool> {
            Ok(ctx_operand(&a, vm)?.num().is_qnan())
        }
        #[pymethod]
        fn is_snan(_zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<bool> {
            Ok(ctx_operand(&a, vm)?.num().is_snan())
        }
        #[pymethod]
        fn is_signed(_zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<bool> {
            Ok(ctx_operand(&a, vm)?.num().is_negative())
        }
        #[pymethod]
        fn is_zero(_zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<bool> {
            Ok(ctx_operand(&a, vm)?.num().is_zero())
        }
        #[pymethod]
        fn is_normal(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<bool> {
            Ok(number::is_normal(&zelf.params(), ctx_operand(&a, vm)?.num()))
        }
        #[pymethod]
        fn is_subnormal(zelf: &Py<Self>, a: PyObjectRef, vm: &VirtualMachine) -> PyResult<bool> {
            Ok(number::is_subnormal(&zelf.params(), ctx_operand(&a, vm)?.num()))
        }
    }

    #[derive(rustpython_vm::FromArgs)]
    struct CreateDecimalArgs {
        #[pyarg(positional, optional, py_default = "\"0\"")]
        num: OptionalArg<PyObjectRef>,
    }

    #[derive(rustpython_vm::FromArgs)]
    struct PowerArgs {
        #[pyarg(any)]
        a: PyObjectRef,
        #[pyarg(any)]
        b: PyObjectRef,
        #[pyarg(any, default, py_default = "None")]
        modulo: Option<PyObjectRef>,
    }

    fn class_name(c: dn::decClass) -> &'static str {
        match c {
            dn::DEC_CLASS_SNAN => "sNaN",
            dn::DEC_CLASS_QNAN => "NaN",
            dn::DEC_CLASS_NEG_INF => "-Infinity",
            dn::DEC_CLASS_NEG_NORMAL => "-Normal",
            dn::DEC_CLASS_NEG_SUBNORMAL => "-Subnormal",
            dn::DEC_CLASS_NEG_ZERO => "-Zero",
            dn::DEC_CLASS_POS_ZERO => "+Zero",
            dn::DEC_CLASS_POS_SUBNORMAL => "+Subnormal",
            dn::DEC_CLASS_POS_NORMAL => "+Normal",
            _ => "+Infinity",
        }
    }

    fn compare_total_num(a: &Num, b: &Num, mag: bool, vm: &VirtualMachine) -> PyObjectRef {
        let ctx = Ctx { prec: 1, emax: 999, emin: -999, round: dn::DEC_ROUND_HALF_EVEN, clamp: 0 };
        let f = if mag { dn::decNumberCompareTotalMag } else { dn::decNumberCompareTotal };
        let (r, _) = number::op2(&ctx, f, a, b);
        PyDecimal::new(r).into_pyobject(vm)
    }

    fn same_quantum_num(a: &Num, b: &Num) -> bool {
        if a.is_special() || b.is_special() {
            return (a.is_nan() && b.is_nan()) || (a.is_infinite() && b.is_infinite());
        }
        a.exponent() == b.exponent()
    }

    fn divmod_in(ctx: &PyDecContext, a: &Num, b: &Num, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let p = ctx.params();
        let (q, s1) = number::op2(&p, dn::decNumberDivideInteger, a, b);
        let (r, s2) = number::op2(&p, dn::decNumberRemainder, a, b);
        ctx.add_status(s1 | s2, vm)?;
        Ok(vm.new_tuple((PyDecimal::new(q).into_pyobject(vm), PyDecimal::new(r).into_pyobject(vm))).into())
    }

    /// `pow(a, b, m)`: every operand an integer, b >= 0, m != 0; the result exact (a Python int pow).
    fn power_modulo(ctx: &PyDecContext, a: &Num, b: &Num, m: &Num, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        // NaNs: the first signalling one (made quiet, InvalidOperation), else the first quiet one.
        let nan = [a, b, m].into_iter().find(|n| n.is_snan()).or_else(|| [a, b, m].into_iter().find(|n| n.is_nan()));
        if let Some(nan) = nan {
            let (r, st) = number::op1(&ctx.params(), dn::decNumberPlus, nan);
            ctx.add_status(st, vm)?;
            return Ok(PyDecimal::new(r).into_pyobject(vm));
        }
        let invalid = |vm: &VirtualMachine| -> PyResult<PyObjectRef> {
            ctx.add_status(dn::DEC_Invalid_operation, vm)?;
            Ok(PyDecimal::new(nan_result()).into_pyobject(vm))
        };
        // Integral: an exponent >= 0, or only zeros after the point.
        let is_int = |n: &Num| {
            n.is_finite()
                && (n.exponent() >= 0 || {
                    let digits = n.coefficient_digits();
                    let frac = ((-(n.exponent() as i64)) as usize).min(digits.len());
                    digits[digits.len() - frac..].iter().all(|&d| d == 0)
                })
        };
        if !is_int(a) || !is_int(b) || !is_int(m) || (b.is_negative() && !b.is_zero()) || m.is_zero() || (a.is_zero() && b.is_zero()) {
            return invalid(vm);
        }
        if m.adjusted() + 1 > ctx.prec.load(Relaxed) as i64 {
            return invalid(vm);
        }
        let mi = malachite_bigint_abs(&num_to_bigint(m));
        // |a| mod m without writing out a's power of ten (1E+10000000 has ten million digits):
        // its coefficient mod m times 10**exponent mod m.
        let base = {
            let (coefficient, tens) = integral_parts(a);
            (&coefficient % &mi) * BigInt::from(10).modpow(&BigInt::from(tens), &mi) % &mi
        };
        let r = if b.is_zero() {
            BigInt::from(1) % &mi
        } else if base.is_zero() || base == BigInt::from(1) {
            // Any positive power of 0 or 1 (the exponent need not be written out either).
            base
        } else {
            let (coefficient, tens) = integral_parts(b);
            let exponent = coefficient * num_traits::pow::pow(BigInt::from(10), tens as usize);
            base.modpow(&exponent, &mi)
        };
        let mut n = Num::parse_exact(&r.to_string()).0;
        if a.is_negative() && integral_is_odd(b) {
            n = n.with_sign(true);
        }
        Ok(PyDecimal::new(n).into_pyobject(vm))
    }

    /// An integral number as |coefficient| (its fraction's zeros dropped) and a power of ten.
    fn integral_parts(n: &Num) -> (BigInt, u64) {
        let digits = n.coefficient_string();
        let e = n.exponent() as i64;
        let kept = if e >= 0 { &digits[..] } else { &digits[..(digits.len() as i64 + e).max(0) as usize] };
        let coefficient = if kept.is_empty() { BigInt::zero() } else { BigInt::from_str(kept).unwrap_or_default() };
        (coefficient, e.max(0) as u64)
    }

    /// Whether an integral number is odd: its units digit.
    fn integral_is_odd(n: &Num) -> bool {
        let e = n.exponent() as i64;
        if e > 0 {
            return false;
        }
        let digits = n.coefficient_digits();
        let at = digits.len() as i64 - 1 + e;
        at >= 0 && digits[at as usize] % 2 == 1
    }

    fn malachite_bigint_abs(v: &BigInt) -> BigInt {
        if *v < BigInt::zero() { -v.clone() } else { v.clone() }
    }

    // ---- SignalDict ----

    #[pyattr]
    #[pyclass(module = "decimal", name = "SignalDictMixin")]
    #[derive(Debug, PyPayload)]
    pub(crate) struct PySignalDictMixin {
        /// A context's flags or traps; None for a SignalDict made from Python (invalid).
        cell: Option<Arc<AtomicU32>>,
    }

    impl PySignalDictMixin {
        fn cell(&self, vm: &VirtualMachine) -> PyResult<&AtomicU32> {
            self.cell.as_deref().ok_or_else(|| vm.new_value_error("invalid signal dict"))
        }
        fn get_bits(&self) -> u32 {
            self.cell.as_deref().map_or(0, |c| c.load(Relaxed))
        }
    }

    impl Constructor for PySignalDictMixin {
        type Args = FuncArgs;
        fn py_new(_cls: &Py<PyType>, _args: FuncArgs, _vm: &VirtualMachine) -> PyResult<Self> {
            Ok(PySignalDictMixin { cell: None })
        }
    }

    impl PySignalDictMixin {
        fn get(&self, key: &PyObject, vm: &VirtualMachine) -> PyResult {
            let bits = self.cell(vm)?.load(Relaxed);
            match signal_bit(key, vm) {
                Some(b) => Ok(vm.ctx.new_bool(bits & b != 0).into()),
                None => Err(vm.new_key_error(key.to_owned())),
            }
        }
        fn set(&self, key: &PyObject, value: Option<PyObjectRef>, vm: &VirtualMachine) -> PyResult<()> {
            let cell = self.cell(vm)?;
            let Some(b) = signal_bit(key, vm) else {
                return Err(vm.new_key_error(key.to_owned()));
            };
            let Some(value) = value else {
                return Err(vm.new_value_error("signal keys cannot be deleted"));
            };
            if value.try_to_bool(vm)? {
                cell.fetch_or(b, Relaxed);
            } else {
                cell.fetch_and(!b, Relaxed);
            }
            Ok(())
        }
    }

    impl AsMapping for PySignalDictMixin {
        fn as_mapping() -> &'static PyMappingMethods {
            static AS_MAPPING: PyMappingMethods = PyMappingMethods {
                length: Some(|m, vm| PySignalDictMixin::mapping_downcast(m).cell(vm).map(|_| 9)),
                subscript: Some(|m, key, vm| PySignalDictMixin::mapping_downcast(m).get(key, vm)),
                ass_subscript: Some(|m, key, value, vm| PySignalDictMixin::mapping_downcast(m).set(key, value, vm)),
            };
            &AS_MAPPING
        }
    }

    impl Iterable for PySignalDictMixin {
        fn iter(zelf: PyRef<Self>, vm: &VirtualMachine) -> PyResult {
            zelf.cell(vm)?;
            let keys: Vec<PyObjectRef> = signals(vm).into_iter().map(|(_, t)| t.into()).collect();
            <PyList as Iterable>::iter(vm.ctx.new_list(keys), vm)
        }
    }

    impl Representable for PySignalDictMixin {
        fn repr_str(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<String> {
            let bits = zelf.cell(vm)?.load(Relaxed);
            let parts: Vec<String> = signals(vm)
                .into_iter()
                .map(|(b, t)| format!("<class 'decimal.{}'>:{}", t.name(), if bits & b != 0 { "True" } else { "False" }))
                .collect();
            Ok(format!("{{{}}}", parts.join(", ")))
        }
    }

    #[pyclass(with(Constructor, AsMapping, Iterable, Representable), flags(BASETYPE))]
    impl PySignalDictMixin {
        #[pymethod]
        fn copy(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let d = vm.ctx.new_dict();
            let bits = zelf.cell(vm)?.load(Relaxed);
            for (b, t) in signals(vm) {
                d.set_item(t.as_object(), vm.ctx.new_bool(bits & b != 0).into(), vm)?;
            }
            Ok(d.into())
        }
    }

    thread_local! {
        static SIGNAL_DICT_TYPE: RefCell<Option<PyTypeRef>> = const { RefCell::new(None) };
        static CONTEXT_VAR: RefCell<Option<PyObjectRef>> = const { RefCell::new(None) };
        static DEFAULT_CONTEXT: RefCell<Option<PyRef<PyDecContext>>> = const { RefCell::new(None) };
    }

    /// `SignalDict`: SignalDictMixin with MutableMapping's methods, made once.
    fn signal_dict_type(vm: &VirtualMachine) -> PyResult<PyTypeRef> {
        if let Some(t) = SIGNAL_DICT_TYPE.with(|c| c.borrow().clone()) {
            return Ok(t);
        }
        let abc = vm.import("_collections_abc", 0)?;
        let mutable_mapping = abc.get_attr("MutableMapping", vm)?;
        let bases = vm.new_tuple((PySignalDictMixin::class(&vm.ctx).to_owned(), mutable_mapping));
        let ns = vm.ctx.new_dict();
        ns.set_item("__module__", vm.ctx.new_str("decimal").into(), vm)?;
        let t = vm.ctx.types.type_type.as_object().call((vm.ctx.new_str("SignalDict"), bases, ns), vm)?;
        let t = t.downcast::<PyType>().map_err(|_| vm.new_type_error("SignalDict"))?;
        SIGNAL_DICT_TYPE.with(|c| *c.borrow_mut() = Some(t.clone()));
        Ok(t)
    }

    fn signal_dict(ctx: PyRef<PyDecContext>, traps: bool, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        if let Some((f, t)) = ctx.views.borrow().as_ref() {
            return Ok(if traps { t.clone() } else { f.clone() });
        }
        let t = signal_dict_type(vm)?;
        let flags_view: PyObjectRef = PyRef::new_ref(PySignalDictMixin { cell: Some(ctx.flags.clone()) }, t.clone(), None).into();
        let traps_view: PyObjectRef = PyRef::new_ref(PySignalDictMixin { cell: Some(ctx.traps.clone()) }, t, None).into();
        *ctx.views.borrow_mut() = Some((flags_view.clone(), traps_view.clone()));
        Ok(if traps { traps_view } else { flags_view })
    }

    // ---- the current context ----

    fn context_var(vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        if let Some(v) = CONTEXT_VAR.with(|c| c.borrow().clone()) {
            return Ok(v);
        }
        let cv = vm.import("_contextvars", 0)?.get_attr("ContextVar", vm)?;
        let var = cv.call((vm.ctx.new_str("decimal_context"),), vm)?;
        CONTEXT_VAR.with(|c| *c.borrow_mut() = Some(var.clone()));
        Ok(var)
    }

    fn default_context(vm: &VirtualMachine) -> PyRef<PyDecContext> {
        if let Some(c) = DEFAULT_CONTEXT.with(|c| c.borrow().clone()) {
            return c;
        }
        let c = PyDecContext::new_default().into_ref(&vm.ctx);
        DEFAULT_CONTEXT.with(|d| *d.borrow_mut() = Some(c.clone()));
        c
    }

    #[pyattr(name = "DefaultContext")]
    fn default_context_attr(vm: &VirtualMachine) -> PyRef<PyDecContext> {
        default_context(vm)
    }
    thread_local! {
        static TEMPLATES: RefCell<Vec<PyRef<PyDecContext>>> = const { RefCell::new(Vec::new()) };
    }

    #[pyattr(name = "BasicContext")]
    fn basic_context(vm: &VirtualMachine) -> PyRef<PyDecContext> {
        let c = PyDecContext::new_default();
        c.prec.store(9, Relaxed);
        c.round.store(dn::DEC_ROUND_HALF_UP, Relaxed);
        c.traps.store(S_INVALID | S_DIVZERO | S_OVERFLOW | S_UNDERFLOW | S_CLAMPED, Relaxed);
        let c = c.into_ref(&vm.ctx);
        TEMPLATES.with(|t| t.borrow_mut().push(c.clone()));
        c
    }
    #[pyattr(name = "ExtendedContext")]
    fn extended_context(vm: &VirtualMachine) -> PyRef<PyDecContext> {
        let c = PyDecContext::new_default();
        c.prec.store(9, Relaxed);
        c.traps.store(0, Relaxed);
        let c = c.into_ref(&vm.ctx);
        TEMPLATES.with(|t| t.borrow_mut().push(c.clone()));
        c
    }

    /// The last answer of `current_context`, good while the VM's stack of `contextvars` contexts
    /// has the same top (the same object, held here so that it cannot be another one at the same
    /// address) at the same depth, and no `setcontext` ran since (a set in any context moves
    /// CONTEXT_GENERATION on). The context variable stays the truth; this saves looking it up.
    struct CurrentCache {
        top: Option<PyObjectRef>,
        depth: usize,
        generation: u64,
        context: PyRef<PyDecContext>,
    }

    thread_local! {
        static CURRENT: RefCell<Option<CurrentCache>> = const { RefCell::new(None) };
        static CONTEXT_GENERATION: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }

    fn cached_context(vm: &VirtualMachine) -> Option<PyRef<PyDecContext>> {
        let stack = vm.context_stack.borrow();
        let generation = CONTEXT_GENERATION.with(|g| g.get());
        CURRENT.with(|c| {
            let c = c.borrow();
            let c = c.as_ref()?;
            let same_top = match (&c.top, stack.last()) {
                (Some(a), Some(b)) => a.is(b),
                (None, None) => true,
                _ => false,
            };
            (same_top && c.depth == stack.len() && c.generation == generation).then(|| c.context.clone())
        })
    }

    fn remember_context(context: &PyRef<PyDecContext>, vm: &VirtualMachine) {
        let stack = vm.context_stack.borrow();
        let entry = CurrentCache {
            top: stack.last().cloned(),
            depth: stack.len(),
            generation: CONTEXT_GENERATION.with(|g| g.get()),
            context: context.clone(),
        };
        drop(stack);
        let old = CURRENT.with(|c| c.borrow_mut().replace(entry));
        drop(old);
    }

    fn set_context_var(context: PyRef<PyDecContext>, vm: &VirtualMachine) -> PyResult<()> {
        let var = context_var(vm)?;
        CONTEXT_GENERATION.with(|g| g.set(g.get() + 1));
        vm.call_method(&var, "set", (context.clone(),))?;
        remember_context(&context, vm);
        Ok(())
    }

    pub(crate) fn current_context(vm: &VirtualMachine) -> PyResult<PyRef<PyDecContext>> {
        if let Some(c) = cached_context(vm) {
            return Ok(c);
        }
        let var = context_var(vm)?;
        let v = vm.call_method(&var, "get", (vm.ctx.none(),))?;
        if let Ok(c) = v.downcast::<PyDecContext>() {
            remember_context(&c, vm);
            return Ok(c);
        }
        let c = PyDecContext::copy_from(&default_context(vm));
        c.flags.store(0, Relaxed);
        let c = c.into_ref(&vm.ctx);
        set_context_var(c.clone(), vm)?;
        Ok(c)
    }

    #[pyfunction]
    fn getcontext(vm: &VirtualMachine) -> PyResult<PyRef<PyDecContext>> {
        current_context(vm)
    }

    #[pyfunction]
    fn setcontext(context: PyObjectRef, vm: &VirtualMachine) -> PyResult<()> {
        let Ok(c) = context.downcast::<PyDecContext>() else {
            return Err(vm.new_type_error("argument must be a context"));
        };
        // The templates are copied, as CPython does.
        let template = c.is(&default_context(vm)) || TEMPLATES.with(|t| t.borrow().iter().any(|t| t.is(&c)));
        let c = if template {
            let n = PyDecContext::copy_from(&c);
            n.flags.store(0, Relaxed);
            n.into_ref(&vm.ctx)
        } else {
            c
        };
        set_context_var(c, vm)
    }

    fn context_arg(ctx: Option<PyObjectRef>, vm: &VirtualMachine) -> PyResult<PyRef<PyDecContext>> {
        match ctx {
            None => current_context(vm),
            Some(c) if vm.is_none(&c) => current_context(vm),
            Some(c) => c.downcast::<PyDecContext>().map_err(|_| vm.new_type_error("optional argument must be a context")),
        }
    }

    #[pyattr]
    #[pyclass(module = "decimal", name = "ContextManager")]
    #[derive(Debug, PyPayload)]
    struct PyContextManager {
        local: PyRef<PyDecContext>,
        saved: RefCell<Option<PyRef<PyDecContext>>>,
    }

    #[pyclass]
    impl PyContextManager {
        #[pymethod]
        fn __enter__(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<PyRef<PyDecContext>> {
            let saved = current_context(vm)?;
            *zelf.saved.borrow_mut() = Some(saved);
            setcontext(zelf.local.clone().into(), vm)?;
            current_context(vm)
        }
        #[pymethod]
        fn __exit__(zelf: &Py<Self>, _args: FuncArgs, vm: &VirtualMachine) -> PyResult<()> {
            let saved = zelf.saved.borrow_mut().take();
            if let Some(saved) = saved {
                set_context_var(saved, vm)?;
            }
            Ok(())
        }
    }

    #[derive(rustpython_vm::FromArgs)]
    struct LocalContextArgs {
        #[pyarg(any, default, py_default = "None")]
        ctx: Option<PyObjectRef>,
        #[pyarg(flatten)]
        settings: rustpython_vm::function::KwArgs,
    }

    #[pyfunction]
    fn localcontext(args: LocalContextArgs, vm: &VirtualMachine) -> PyResult<PyContextManager> {
        let ctx_obj = args.ctx;
        let mut settings: Vec<(&str, PyObjectRef)> = Vec::new();
        const NAMES: [&str; 8] = ["prec", "rounding", "Emin", "Emax", "capitals", "clamp", "flags", "traps"];
        for (k, v) in &args.settings {
            match NAMES.iter().find(|n| **n == k.as_str().unwrap_or("")) {
                Some(n) => settings.push((n, v.clone())),
                None => return Err(vm.new_type_error(format!("'{k}' is an invalid keyword argument for this function"))),
            }
        }
        let base = context_arg(ctx_obj, vm)?;
        let local = PyDecContext::copy_from(&base).into_ref(&vm.ctx);
        local.apply_settings(&settings, vm)?;
        Ok(PyContextManager { local, saved: RefCell::new(None) })
    }

    // ---- Decimal ----

    /// Decimal(value="0", context=None)
    /// --
    ///
    /// A decimal floating-point number, from an int, a string, a float, a tuple or a Decimal.
    #[pyattr]
    #[pyclass(module = "decimal", name = "Decimal")]
    #[derive(PyPayload)]
    pub(crate) struct PyDecimal {
        num: Num,
    }

    impl std::fmt::Debug for PyDecimal {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "Decimal({:?})", self.num)
        }
    }

    impl PyDecimal {
        fn new(num: Num) -> Self {
            PyDecimal { num }
        }
        fn into_pyobject(self, vm: &VirtualMachine) -> PyObjectRef {
            self.into_ref(&vm.ctx).into()
        }
    }

    /// A quiet NaN (a failed conversion's result).
    fn nan_result() -> Num {
        Num::from_parts(&[], 0, dn::DECNAN)
    }

    /// An operand: a Decimal (borrowed) or an int (converted exactly).
    enum Operand {
        Dec(PyRef<PyDecimal>),
        Own(Num),
    }
    impl Operand {
        fn num(&self) -> &Num {
            match self {
                Operand::Dec(d) => &d.num,
                Operand::Own(n) => n,
            }
        }
    }

    fn int_to_num(i: &PyInt) -> Num {
        let v = i.as_bigint();
        if let Some(small) = v.to_i32() {
            return Num::from_i32(small);
        }
        Num::parse_exact(&v.to_string()).0
    }

    fn operand(obj: &PyObject, _vm: &VirtualMachine) -> PyResult<Option<Operand>> {
        if let Some(d) = obj.downcast_ref::<PyDecimal>() {
            return Ok(Some(Operand::Dec(d.to_owned())));
        }
        if let Some(i) = obj.downcast_ref::<PyInt>() {
            return Ok(Some(Operand::Own(int_to_num(i))));
        }
        Ok(None)
    }

    fn num_to_bigint(n: &Num) -> BigInt {
        // A finite integer-valued number (exponent >= 0), or its truncation.
        let digits = n.coefficient_string();
        let e = n.exponent();
        let text = if e >= 0 {
            let mut s = digits;
            if s != "0" {
                s.extend(std::iter::repeat_n('0', e as usize));
            }
            s
        } else {
            let cut = digits.len() as i64 + e as i64;
            if cut <= 0 { "0".to_owned() } else { digits[..cut as usize].to_owned() }
        };
        let v = BigInt::from_str(&text).unwrap_or_default();
        if n.is_negative() { -v } else { v }
    }

    fn float_to_num(f: f64, vm: &VirtualMachine) -> PyResult<Num> {
        if f.is_nan() {
            return Ok(Num::from_parts(&[], 0, dn::DECNAN | if f.is_sign_negative() { dn::DECNEG } else { 0 }));
        }
        if f.is_infinite() {
            return Ok(Num::from_parts(&[0], 0, dn::DECINF | if f < 0.0 { dn::DECNEG } else { 0 }));
        }
        let _ = vm;
        // f = m * 2**e exactly; for e < 0 that is m * 5**-e * 10**e.
        let bits = f.to_bits();
        let negative = bits >> 63 != 0;
        let exp_bits = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (mut m, mut e) = if exp_bits == 0 { (frac, -1074i64) } else { (frac | (1u64 << 52), exp_bits - 1075) };
        if m == 0 {
            let n = Num::from_parts(&[0], 0, 0);
            return Ok(if negative { n.with_sign(true) } else { n });
        }
        while m & 1 == 0 {
            m >>= 1;
            e += 1;
        }
        let text = if e >= 0 {
            (BigInt::from(m) << (e as u64)).to_string()
        } else {
            let five = num_traits::pow::pow(BigInt::from(5), (-e) as usize);
            format!("{}E{}", BigInt::from(m) * five, e)
        };
        let n = Num::parse_exact(&text).0;
        Ok(if negative { n.with_sign(true) } else { n })
    }

    /// Python's string syntax to the spec's: whitespace stripped, underscores between digits
    /// dropped, non-ASCII decimal digits made ASCII. None: not a number's text at all.
    fn normalize_text(s: &str) -> Option<String> {
        normalize_text_with(s, true)
    }

    /// As `normalize_text`; without `lenient` (Context.create_decimal), whitespace and
    /// underscores are syntax errors.
    fn normalize_text_with(s: &str, lenient: bool) -> Option<String> {
        let t = if lenient { s.trim_matches(|c: char| c.is_whitespace()) } else { s };
        if t.is_empty() {
            return None;
        }
        let chars: Vec<char> = t.chars().collect();
        let mut out = String::with_capacity(t.len());
        for (i, &c) in chars.iter().enumerate() {
            if c == '_' {
                if !lenient {
                    return None;
                }
                let prev = i.checked_sub(1).map(|j| chars[j]);
                let next = chars.get(i + 1);
                if prev.is_some_and(|p| p.is_ascii_digit() || p.to_digit(10).is_some())
                    && next.is_some_and(|n| n.is_ascii_digit())
                {
                    continue;
                }
                return None;
            }
            if c.is_ascii() {
                out.push(c);
            } else if let Some(d) = unicode_decimal(c) {
                out.push((b'0' + d) as char);
            } else {
                return None;
            }
        }
        Some(out)
    }

    /// The value of a Unicode decimal digit (category Nd): digits come in runs of ten from a zero.
    fn unicode_decimal(c: char) -> Option<u8> {
        const ZEROS: &[u32] = &[
            0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50,
            0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50,
            0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10, 0x104A0, 0x11066, 0x110F0, 0x11136, 0x111D0,
            0x112F0, 0x11450, 0x114D0, 0x11650, 0x116C0, 0x11730, 0x118E0, 0x16A60, 0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2,
            0x1D7EC, 0x1D7F6, 0x1E950,
        ];
        let v = c as u32;
        ZEROS.iter().find(|&&z| v >= z && v < z + 10).map(|z| (v - z) as u8)
    }

    /// Converts `value` exactly (the Decimal constructor's conversions); string errors are
    /// signalled in `ctx`.
    fn convert_exact(value: &PyObject, _ctxobj: &PyObject, ctx: &PyDecContext, vm: &VirtualMachine) -> PyResult<Num> {
        if let Some(d) = value.downcast_ref::<PyDecimal>() {
            return Ok(d.num.clone());
        }
        if let Some(s) = value.downcast_ref::<PyStr>() {
            let text = normalize_text(s.to_str().unwrap_or("\u{fffd}"));
            let (n, st) = match text {
                Some(t) => Num::parse_exact(&t),
                None => (nan_result(), dn::DEC_Conversion_syntax),
            };
            if st & dn::DEC_Conversion_syntax != 0 {
                ctx.add_status(dn::DEC_Conversion_syntax, vm)?;
                return Ok(nan_result());
            }
            if st != 0 {
                // Beyond what converts exactly (decNumber's exponent range).
                ctx.add_status(dn::DEC_Invalid_operation, vm)?;
                return Ok(nan_result());
            }
            return Ok(n);
        }
        if let Some(i) = value.downcast_ref::<PyInt>() {
            return Ok(int_to_num(i));
        }
        if let Some(f) = value.downcast_ref::<PyFloat>() {
            ctx.add_status(DN_FLOAT_OPERATION, vm)?;
            return float_to_num(f.to_f64(), vm);
        }
        if value.downcast_ref::<PyTuple>().is_some() || value.downcast_ref::<PyList>().is_some() {
            let n = tuple_to_num(value, vm)?;
            if n.is_finite() && !exponent_fits(n.exponent() as i64, n.adjusted()) {
                ctx.add_status(dn::DEC_Invalid_operation, vm)?;
                return Ok(nan_result());
            }
            return Ok(n);
        }
        Err(vm.new_type_error(format!("conversion from {} to Decimal is not supported", value.class().name())))
    }

    /// Whether a finite number's exponents are within decNumber's range.
    fn exponent_fits(exponent: i64, adjusted: i64) -> bool {
        let lo = number::DEC_MIN_EMIN as i64 - number::DEC_MAX_DIGITS as i64 + 1;
        exponent >= lo && adjusted <= number::DEC_MAX_EMAX as i64
    }

    /// `__format__`'s locale override as CPython's C decimal reads it, for `_pydecimal`: the
    /// decimal point of 1 to 4 bytes (UTF-8), a separator of at most 4, and the grouping a string
    /// of group lengths (a C string: it ends at NUL; a length past 127 is negative as a C char,
    /// invalid), given to `_pydecimal` as its list (ending in 0 to repeat the last length, or at
    /// CHAR_MAX to stop).
    /// The fixed-point formats money is printed with (`.2f`, `,.2f`, `+.1%`, `f`), made here:
    /// through `_pydecimal` a format took ~200 times native CPython's time. The spec: an optional
    /// sign, an optional `,`, an optional `.places`, then `f`, `F` or `%`; a finite number. The
    /// rest (width, fill, `e`, `g`, `n`, specials) goes to `_pydecimal`. As CPython: rounded by
    /// the context's rounding, no flags, a negative zero keeps its sign.
    fn format_fixed_point(n: &Num, spec: &str, round: dn::rounding) -> Option<String> {
        if !n.is_finite() {
            return None;
        }
        let mut rest = spec;
        let sign = match rest.chars().next() {
            Some(c @ ('+' | '-' | ' ')) => {
                rest = &rest[1..];
                c
            }
            _ => '-',
        };
        let group = rest.starts_with(',');
        if group {
            rest = &rest[1..];
        }
        let kind = rest.chars().last()?;
        if !matches!(kind, 'f' | 'F' | '%') {
            return None;
        }
        rest = &rest[..rest.len() - 1];
        let places: Option<i32> = match rest.strip_prefix('.') {
            Some(p) if !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse().ok()?),
            None if rest.is_empty() => None,
            _ => return None,
        };
        let sign_bit = if n.is_negative() { dn::DECNEG } else { 0 };
        let value = if kind == '%' { Num::from_parts(&n.coefficient_digits(), n.exponent().checked_add(2)?, sign_bit) } else { n.clone() };
        let value = match places {
            Some(p) => number::rescale(&value, -p, round)?,
            None => value,
        };
        let digits = value.coefficient_string();
        let e = value.exponent() as i64;
        let (int_part, frac) = if e >= 0 && value.coefficient_is_zero() {
            ("0".to_owned(), String::new())
        } else if e >= 0 {
            (format!("{digits}{}", "0".repeat(e as usize)), String::new())
        } else {
            let k = (-e) as usize;
            if digits.len() > k {
                (digits[..digits.len() - k].to_owned(), digits[digits.len() - k..].to_owned())
            } else {
                ("0".to_owned(), format!("{}{digits}", "0".repeat(k - digits.len())))
            }
        };
        let int_part = if group {
            let bytes = int_part.as_bytes();
            let mut out = String::with_capacity(bytes.len() + bytes.len() / 3);
            for (i, &b) in bytes.iter().enumerate() {
                if i > 0 && (bytes.len() - i) % 3 == 0 {
                    out.push(',');
                }
                out.push(b as char);
            }
            out
        } else {
            int_part
        };
        let mut text = String::with_capacity(int_part.len() + frac.len() + 3);
        if value.is_negative() {
            text.push('-');
        } else if sign != '-' {
            text.push(sign);
        }
        text.push_str(&int_part);
        if !frac.is_empty() {
            text.push('.');
            text.push_str(&frac);
        }
        if kind == '%' {
            text.push('%');
        }
        Some(text)
    }

    /// The longest fixed-point text `Decimal.__format__` makes (characters).
    const MAX_FORMAT_LEN: i64 = 50_000_000;

    fn locale_override_for_pydecimal(o: &Py<PyDict>, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        let invalid = || vm.new_value_error("invalid override dict");
        let copy = o.copy().into_ref(&vm.ctx);
        for (key, lo, hi) in [("decimal_point", 1, 4), ("thousands_sep", 0, 4)] {
            if let Some(v) = o.get_item_opt(key, vm)? {
                let v = v.downcast::<PyStr>().map_err(|_| vm.new_type_error(format!("{key} must be a str")))?;
                let len = v.as_wtf8().len();
                if len < lo || len > hi {
                    return Err(invalid());
                }
            }
        }
        if let Some(g) = o.get_item_opt("grouping", vm)? {
            if let Some(g) = g.downcast_ref::<PyStr>() {
                let text = g.to_str().unwrap_or("\u{fffd}");
                let mut lengths = Vec::new();
                for c in text.chars().take_while(|&c| c != '\0') {
                    if c as u32 > 127 {
                        return Err(invalid());
                    }
                    lengths.push(c as u32);
                    if c as u32 == 127 {
                        break;
                    }
                }
                if lengths.last().is_some_and(|&l| l != 127) {
                    lengths.push(0);
                }
                let list: Vec<PyObjectRef> = lengths.into_iter().map(|l| vm.ctx.new_int(l).into()).collect();
                copy.set_item("grouping", vm.ctx.new_list(list).into(), vm)?;
            }
        }
        Ok(copy.into())
    }

    fn tuple_to_num(value: &PyObject, vm: &VirtualMachine) -> PyResult<Num> {
        let items = vm.extract_elements_with(value, Ok)?;
        if items.len() != 3 {
            return Err(vm.new_value_error("argument must be a sequence of length 3"));
        }
        let sign = match items[0].downcast_ref::<PyInt>().and_then(|i| i.as_bigint().to_i64()) {
            Some(0) => 0u8,
            Some(1) => dn::DECNEG,
            Some(_) => return Err(vm.new_value_error("sign must be an integer with the value 0 or 1")),
            None => return Err(vm.new_value_error("sign must be an integer with the value 0 or 1")),
        };
        let (bits, exponent) = if let Some(s) = items[2].downcast_ref::<PyStr>() {
            match s.to_str().unwrap_or("\u{fffd}") {
                "F" => (dn::DECINF, 0),
                "n" => (dn::DECNAN, 0),
                "N" => (dn::DECSNAN, 0),
                _ => return Err(vm.new_value_error("string argument in the third position must be 'F', 'n' or 'N'")),
            }
        } else if let Some(i) = items[2].downcast_ref::<PyInt>() {
            // A C ssize_t, as CPython reads it (wasm32: 32 bits); past decNumber's exponents the
            // caller signals InvalidOperation, or rounds to its context (create_decimal).
            match i.as_bigint().to_i32() {
                Some(e) => (0u8, e),
                None => return Err(vm.new_overflow_error("Python int too large to convert to C ssize_t")),
            }
        } else {
            return Err(vm.new_value_error("exponent must be an integer"));
        };
        let digit_items = match items[1].downcast_ref::<PyTuple>() {
            Some(_) => vm.extract_elements_with(&items[1], Ok)?,
            None => match items[1].downcast_ref::<PyList>() {
                Some(_) => vm.extract_elements_with(&items[1], Ok)?,
                None => return Err(vm.new_value_error("coefficient must be a tuple of digits")),
            },
        };
        let mut digits = Vec::with_capacity(digit_items.len());
        for d in digit_items {
            match d.downcast_ref::<PyInt>().and_then(|i| i.as_bigint().to_u8()) {
                Some(v) if v <= 9 => digits.push(v),
                _ => return Err(vm.new_value_error("coefficient must be a tuple of digits")),
            }
        }
        if bits & dn::DECINF != 0 {
            return Ok(Num::from_parts(&[0], 0, bits | sign));
        }
        Ok(Num::from_parts(&digits, exponent, bits | sign))
    }

    impl Constructor for PyDecimal {
        type Args = DecimalArgs;
        fn slot_new(cls: PyTypeRef, args: FuncArgs, vm: &VirtualMachine) -> PyResult {
            let args: DecimalArgs = args.bind(vm)?;
            // Decimal(d) of an exact Decimal is d itself (the type is immutable), as in CPython.
            let decimal_type = PyDecimal::class(&vm.ctx);
            if cls.is(decimal_type) {
                if let OptionalArg::Present(v) = &args.value {
                    if v.class().is(decimal_type) {
                        return Ok(v.clone());
                    }
                }
            }
            let payload = Self::py_new(&cls, args, vm)?;
            payload.into_ref_with_type(vm, cls).map(Into::into)
        }
        fn py_new(_cls: &Py<PyType>, args: DecimalArgs, vm: &VirtualMachine) -> PyResult<Self> {
            let ctx = context_arg(args.context, vm)?;
            let value = match args.value {
                OptionalArg::Present(v) => v,
                OptionalArg::Missing => return Ok(PyDecimal::new(Num::from_i32(0))),
            };
            let n = convert_exact(&value, &vm.ctx.none(), &ctx, vm)?;
            Ok(PyDecimal::new(n))
        }
    }

    #[derive(rustpython_vm::FromArgs)]
    pub(crate) struct DecimalArgs {
        #[pyarg(any, optional, py_default = "\"0\"")]
        value: OptionalArg<PyObjectRef>,
        #[pyarg(any, default, py_default = "None")]
        context: Option<PyObjectRef>,
    }

    impl Representable for PyDecimal {
        fn repr_str(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<String> {
            let caps = current_context(vm)?.caps();
            Ok(format!("Decimal('{}')", zelf.num.to_sci(caps)))
        }
    }

    // Binary operators: Decimal with Decimal or int, in the current context.
    fn binop(a: &PyObject, b: &PyObject, f: number::Op2, vm: &VirtualMachine) -> PyResult {
        let (Some(x), Some(y)) = (operand(a, vm)?, operand(b, vm)?) else {
            return Ok(vm.ctx.not_implemented());
        };
        let ctx = current_context(vm)?;
        let (r, st) = number::op2(&ctx.params(), f, x.num(), y.num());
        ctx.add_status(st, vm)?;
        Ok(PyDecimal::new(r).into_pyobject(vm))
    }

    fn unop(a: &PyObject, f: number::Op1, vm: &VirtualMachine) -> PyResult {
        let x = a.downcast_ref::<PyDecimal>().expect("a Decimal");
        let ctx = current_context(vm)?;
        let (r, st) = number::op1(&ctx.params(), f, &x.num);
        ctx.add_status(st, vm)?;
        Ok(PyDecimal::new(r).into_pyobject(vm))
    }

    impl AsNumber for PyDecimal {
        fn as_number() -> &'static PyNumberMethods {
            static AS_NUMBER: PyNumberMethods = PyNumberMethods {
                add: Some(|a, b, vm| binop(a, b, dn::decNumberAdd, vm)),
                subtract: Some(|a, b, vm| binop(a, b, dn::decNumberSubtract, vm)),
                multiply: Some(|a, b, vm| binop(a, b, dn::decNumberMultiply, vm)),
                true_divide: Some(|a, b, vm| binop(a, b, dn::decNumberDivide, vm)),
                floor_divide: Some(|a, b, vm| binop(a, b, dn::decNumberDivideInteger, vm)),
                remainder: Some(|a, b, vm| binop(a, b, dn::decNumberRemainder, vm)),
                divmod: Some(|a, b, vm| {
                    let (Some(x), Some(y)) = (operand(a, vm)?, operand(b, vm)?) else {
                        return Ok(vm.ctx.not_implemented());
                    };
                    let ctx = current_context(vm)?;
                    divmod_in(&ctx, x.num(), y.num(), vm)
                }),
                power: Some(|a, b, c, vm| {
                    let (Some(x), Some(y)) = (operand(a, vm)?, operand(b, vm)?) else {
                        return Ok(vm.ctx.not_implemented());
                    };
                    let ctx = current_context(vm)?;
                    if vm.is_none(c) {
                        let (r, st) = number::op2(&ctx.params(), dn::decNumberPower, x.num(), y.num());
                        ctx.add_status(st, vm)?;
                        return Ok(PyDecimal::new(r).into_pyobject(vm));
                    }
                    let Some(m) = operand(c, vm)? else {
                        return Ok(vm.ctx.not_implemented());
                    };
                    power_modulo(&ctx, x.num(), y.num(), m.num(), vm)
                }),
                negative: Some(|n, vm| unop(n.obj, dn::decNumberMinus, vm)),
                positive: Some(|n, vm| unop(n.obj, dn::decNumberPlus, vm)),
                absolute: Some(|n, vm| unop(n.obj, dn::decNumberAbs, vm)),
                boolean: Some(|n, _vm| Ok(!n.obj.downcast_ref::<PyDecimal>().expect("a Decimal").num.is_zero())),
                int: Some(|n, vm| PyDecimal::to_int(&n.obj.downcast_ref::<PyDecimal>().expect("a Decimal").num, dn::DEC_ROUND_DOWN, vm)),
                float: Some(|n, vm| {
                    let d = n.obj.downcast_ref::<PyDecimal>().expect("a Decimal");
                    Ok(vm.ctx.new_float(PyDecimal::to_f64(&d.num, vm)?).into())
                }),
                ..PyNumberMethods::NOT_IMPLEMENTED
            };
            &AS_NUMBER
        }
    }

    /// `other` for a comparison: a Num, or None (NotImplemented). Floats and rationals are
    /// converted exactly (a Fraction by scaling both sides: see `compare`).
    enum CmpOther {
        Num(Num),
        Rational(BigInt, BigInt),
    }

    impl Comparable for PyDecimal {
        fn cmp(zelf: &Py<Self>, other: &PyObject, op: PyComparisonOp, vm: &VirtualMachine) -> PyResult<PyComparisonValue> {
            let eq_op = matches!(op, PyComparisonOp::Eq | PyComparisonOp::Ne);
            let other = if let Some(o) = operand(other, vm)? {
                CmpOther::Num(o.num().clone())
            } else if let Some(f) = other.downcast_ref::<PyFloat>() {
                let ctx = current_context(vm)?;
                if eq_op {
                    ctx.flags.fetch_or(S_FLOAT, Relaxed);
                } else {
                    ctx.add_status(DN_FLOAT_OPERATION, vm)?;
                }
                CmpOther::Num(float_to_num(f.to_f64(), vm)?)
            } else if other.downcast_ref::<rustpython_vm::builtins::PyComplex>().is_some() {
                if !eq_op {
                    return Ok(PyComparisonValue::NotImplemented);
                }
                let im: f64 = other.get_attr("imag", vm)?.try_into_value(vm)?;
                if im != 0.0 {
                    return Ok(PyComparisonValue::Implemented(op == PyComparisonOp::Ne));
                }
                let re: f64 = other.get_attr("real", vm)?.try_into_value(vm)?;
                let ctx = current_context(vm)?;
                ctx.flags.fetch_or(S_FLOAT, Relaxed);
                CmpOther::Num(float_to_num(re, vm)?)
            } else if is_rational(other, vm)? {
                let n = other.get_attr("numerator", vm)?;
                let d = other.get_attr("denominator", vm)?;
                match (n.downcast_ref::<PyInt>(), d.downcast_ref::<PyInt>()) {
                    (Some(n), Some(d)) => CmpOther::Rational(n.as_bigint().clone(), d.as_bigint().clone()),
                    _ => return Ok(PyComparisonValue::NotImplemented),
                }
            } else {
                return Ok(PyComparisonValue::NotImplemented);
            };
            let a = &zelf.num;
            let ord = match &other {
                CmpOther::Num(b) => {
                    if a.is_nan() || b.is_nan() {
                        let ctx = current_context(vm)?;
                        if eq_op {
                            if a.is_snan() || b.is_snan() {
                                ctx.add_status(dn::DEC_Invalid_operation, vm)?;
                            }
                            return Ok(PyComparisonValue::Implemented(op == PyComparisonOp::Ne));
                        }
                        ctx.add_status(dn::DEC_Invalid_operation, vm)?;
                        return Ok(PyComparisonValue::Implemented(false));
                    }
                    number::compare_values(a, b)
                }
                CmpOther::Rational(n, d) => {
                    if a.is_nan() {
                        let ctx = current_context(vm)?;
                        if eq_op {
                            if a.is_snan() {
                                ctx.add_status(dn::DEC_Invalid_operation, vm)?;
                            }
                            return Ok(PyComparisonValue::Implemented(op == PyComparisonOp::Ne));
                        }
                        ctx.add_status(dn::DEC_Invalid_operation, vm)?;
                        return Ok(PyComparisonValue::Implemented(false));
                    }
                    if a.is_infinite() {
                        if a.is_negative() { -1 } else { 1 }
                    } else {
                        // a * d against n, both exact (d > 0).
                        let ad = Num::parse_exact(&d.to_string()).0;
                        let wide = Ctx {
                            prec: number::DEC_MAX_DIGITS,
                            emax: number::DEC_MAX_EMAX,
                            emin: number::DEC_MIN_EMIN,
                            round: dn::DEC_ROUND_HALF_EVEN,
                            clamp: 0,
                        };
                        let prec = (a.digits() + ad.digits() + 2).min(number::DEC_MAX_DIGITS);
                        let (prod, _) = number::op2(&Ctx { prec, ..wide }, dn::decNumberMultiply, a, &ad);
                        let nn = Num::parse_exact(&n.to_string()).0;
                        number::compare_values(&prod, &nn)
                    }
                }
            };
            let ordering = ord.cmp(&0);
            Ok(PyComparisonValue::Implemented(op.eval_ord(ordering)))
        }
    }

    fn is_rational(obj: &PyObject, vm: &VirtualMachine) -> PyResult<bool> {
        let numbers = vm.import("numbers", 0)?;
        let rational = numbers.get_attr("Rational", vm)?;
        obj.is_instance(&rational, vm)
    }

    // Python's numeric hash, for a number `coefficient * 10**exponent`.
    const HASH_MODULUS: u64 = hash::MODULUS as u64;

    /// 10's inverse modulo 2**61-1.
    const INV10: u64 = 2_075_258_708_292_324_556;

    /// a * b mod 2**61-1 (a, b < 2**61), by the Mersenne reduction.
    fn mulmod(a: u64, b: u64) -> u64 {
        let p = a as u128 * b as u128;
        let r = (p as u64 & HASH_MODULUS) + (p >> 61) as u64;
        if r >= HASH_MODULUS { r - HASH_MODULUS } else { r }
    }
    fn powmod(mut base: u64, mut exp: u64) -> u64 {
        let mut r = 1u64;
        base %= HASH_MODULUS;
        while exp > 0 {
            if exp & 1 == 1 {
                r = mulmod(r, base);
            }
            base = mulmod(base, base);
            exp >>= 1;
        }
        r
    }

    impl Hashable for PyDecimal {
        fn hash(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<PyHash> {
            let n = &zelf.num;
            if n.is_snan() {
                return Err(vm.new_type_error("Cannot hash a signaling NaN value"));
            }
            if n.is_nan() {
                return Ok(hash::hash_object_id(zelf.as_object().get_id()));
            }
            if n.is_infinite() {
                return Ok(if n.is_negative() { -hash::INF } else { hash::INF });
            }
            // The coefficient mod P, units most significant first.
            let mut c = 0u64;
            for &u in n.units().iter().rev() {
                c = mulmod(c, 1000) + u as u64;
                if c >= HASH_MODULUS {
                    c -= HASH_MODULUS;
                }
            }
            let e = n.exponent() as i64;
            let scale = if e >= 0 {
                powmod(10, e as u64)
            } else {
                powmod(INV10, (-e) as u64)
            };
            let mut h = mulmod(c, scale) as i64;
            if n.is_negative() {
                h = -h;
            }
            Ok(if h == -1 { -2 } else { h })
        }
    }


    #[derive(rustpython_vm::FromArgs)]
    struct CtxOnly {
        #[pyarg(any, default, py_default = "None")]
        context: Option<PyObjectRef>,
    }
    #[derive(rustpython_vm::FromArgs)]
    struct OtherCtx {
        #[pyarg(any)]
        other: PyObjectRef,
        #[pyarg(any, default, py_default = "None")]
        context: Option<PyObjectRef>,
    }
    #[derive(rustpython_vm::FromArgs)]
    struct FmaArgs {
        #[pyarg(any)]
        other: PyObjectRef,
        #[pyarg(any)]
        third: PyObjectRef,
        #[pyarg(any, default, py_default = "None")]
        context: Option<PyObjectRef>,
    }
    #[derive(rustpython_vm::FromArgs)]
    struct RoundingCtx {
        #[pyarg(any, default, py_default = "None")]
        rounding: Option<PyObjectRef>,
        #[pyarg(any, default, py_default = "None")]
        context: Option<PyObjectRef>,
    }
    #[derive(rustpython_vm::FromArgs)]
    struct QuantizeArgs {
        #[pyarg(any)]
        exp: PyObjectRef,
        #[pyarg(any, default, py_default = "None")]
        rounding: Option<PyObjectRef>,
        #[pyarg(any, default, py_default = "None")]
        context: Option<PyObjectRef>,
    }


    #[pyclass(with(Constructor, AsNumber, Comparable, Hashable, Representable), flags(BASETYPE))]
    impl PyDecimal {
        // The spec's operations, in `context` or the current one.
        #[pymethod]
        fn exp(zelf: &Py<Self>, args: CtxOnly, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            context_arg(args.context, vm)?.run1(dn::decNumberExp, &zelf.num, vm)
        }
        #[pymethod]
        fn ln(zelf: &Py<Self>, args: CtxOnly, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            context_arg(args.context, vm)?.run1(dn::decNumberLn, &zelf.num, vm)
        }
        #[pymethod]
        fn log10(zelf: &Py<Self>, args: CtxOnly, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            context_arg(args.context, vm)?.run1(dn::decNumberLog10, &zelf.num, vm)
        }
        #[pymethod]
        fn logb(zelf: &Py<Self>, args: CtxOnly, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            context_arg(args.context, vm)?.run1(dn::decNumberLogB, &zelf.num, vm)
        }
        #[pymethod]
        fn next_minus(zelf: &Py<Self>, args: CtxOnly, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            context_arg(args.context, vm)?.run1(dn::decNumberNextMinus, &zelf.num, vm)
        }
        #[pymethod]
        fn next_plus(zelf: &Py<Self>, args: CtxOnly, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            context_arg(args.context, vm)?.run1(dn::decNumberNextPlus, &zelf.num, vm)
        }
        #[pymethod]
        fn normalize(zelf: &Py<Self>, args: CtxOnly, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            context_arg(args.context, vm)?.run1(dn::decNumberReduce, &zelf.num, vm)
        }
        #[pymethod]
        fn sqrt(zelf: &Py<Self>, args: CtxOnly, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            context_arg(args.context, vm)?.run1(dn::decNumberSquareRoot, &zelf.num, vm)
        }
        #[pymethod]
        fn logical_invert(zelf: &Py<Self>, args: CtxOnly, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            context_arg(args.context, vm)?.run1(dn::decNumberInvert, &zelf.num, vm)
        }
        #[pymethod]
        fn compare(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            ctx.run2(dn::decNumberCompare, &zelf.num, ctx_operand(&args.other, vm)?.num(), vm)
        }
        #[pymethod]
        fn compare_signal(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            ctx.run2(dn::decNumberCompareSignal, &zelf.num, ctx_operand(&args.other, vm)?.num(), vm)
        }
        #[pymethod]
        fn max(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            ctx.run2(dn::decNumberMax, &zelf.num, ctx_operand(&args.other, vm)?.num(), vm)
        }
        #[pymethod]
        fn max_mag(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            ctx.run2(dn::decNumberMaxMag, &zelf.num, ctx_operand(&args.other, vm)?.num(), vm)
        }
        #[pymethod]
        fn min(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            ctx.run2(dn::decNumberMin, &zelf.num, ctx_operand(&args.other, vm)?.num(), vm)
        }
        #[pymethod]
        fn min_mag(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            ctx.run2(dn::decNumberMinMag, &zelf.num, ctx_operand(&args.other, vm)?.num(), vm)
        }
        #[pymethod]
        fn next_toward(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            ctx.run2(dn::decNumberNextToward, &zelf.num, ctx_operand(&args.other, vm)?.num(), vm)
        }
        #[pymethod]
        fn remainder_near(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            ctx.run2(dn::decNumberRemainderNear, &zelf.num, ctx_operand(&args.other, vm)?.num(), vm)
        }
        #[pymethod]
        fn rotate(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            ctx.run2(dn::decNumberRotate, &zelf.num, ctx_operand(&args.other, vm)?.num(), vm)
        }
        #[pymethod]
        fn scaleb(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            ctx.run2(dn::decNumberScaleB, &zelf.num, ctx_operand(&args.other, vm)?.num(), vm)
        }
        #[pymethod]
        fn shift(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            ctx.run2(dn::decNumberShift, &zelf.num, ctx_operand(&args.other, vm)?.num(), vm)
        }
        #[pymethod]
        fn logical_and(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            ctx.run2(dn::decNumberAnd, &zelf.num, ctx_operand(&args.other, vm)?.num(), vm)
        }
        #[pymethod]
        fn logical_or(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            ctx.run2(dn::decNumberOr, &zelf.num, ctx_operand(&args.other, vm)?.num(), vm)
        }
        #[pymethod]
        fn logical_xor(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            ctx.run2(dn::decNumberXor, &zelf.num, ctx_operand(&args.other, vm)?.num(), vm)
        }
        fn to_int(n: &Num, round: dn::rounding, vm: &VirtualMachine) -> PyResult {
            if n.is_nan() {
                return Err(vm.new_value_error("cannot convert NaN to integer"));
            }
            if n.is_infinite() {
                return Err(vm.new_overflow_error("cannot convert Infinity to integer"));
            }
            let v = if n.exponent() >= 0 {
                num_to_bigint(n)
            } else {
                let ctx = Ctx { prec: n.digits().max(1), emax: number::DEC_MAX_EMAX, emin: number::DEC_MIN_EMIN, round, clamp: 0 };
                let (r, _) = number::op1(&ctx, dn::decNumberToIntegralValue, n);
                num_to_bigint(&r)
            };
            Ok(vm.ctx.new_bigint(&v).into())
        }
        fn to_f64(n: &Num, vm: &VirtualMachine) -> PyResult<f64> {
            if n.is_snan() {
                return Err(vm.new_value_error("cannot convert signaling NaN to float"));
            }
            if n.is_nan() {
                return Ok(if n.is_negative() { -f64::NAN } else { f64::NAN });
            }
            Ok(n.to_sci(true).parse::<f64>().unwrap_or(f64::NAN))
        }

        #[pymethod]
        fn __str__(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<String> {
            Ok(zelf.num.to_sci(current_context(vm)?.caps()))
        }
        #[pymethod]
        fn to_eng_string(zelf: &Py<Self>, args: CtxOnly, vm: &VirtualMachine) -> PyResult<String> {
            Ok(zelf.num.to_eng(context_arg(args.context, vm)?.caps()))
        }
        #[pymethod]
        fn __reduce__(zelf: PyRef<Self>, vm: &VirtualMachine) -> PyObjectRef {
            let s = zelf.num.to_sci(true);
            vm.new_tuple((zelf.class().to_owned(), vm.new_tuple((s,)))).into()
        }
        #[pymethod]
        fn __copy__(zelf: PyRef<Self>) -> PyRef<Self> {
            zelf
        }
        #[pymethod]
        fn __deepcopy__(zelf: PyRef<Self>, _memo: PyObjectRef) -> PyRef<Self> {
            zelf
        }
        #[pymethod]
        fn __complex__(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let f = PyDecimal::to_f64(&zelf.num, vm)?;
            vm.ctx.types.complex_type.as_object().call((f,), vm)
        }
        #[pymethod]
        fn __trunc__(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult {
            PyDecimal::to_int(&zelf.num, dn::DEC_ROUND_DOWN, vm)
        }
        #[pymethod]
        fn __floor__(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult {
            PyDecimal::to_int(&zelf.num, dn::DEC_ROUND_FLOOR, vm)
        }
        #[pymethod]
        fn __ceil__(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult {
            PyDecimal::to_int(&zelf.num, dn::DEC_ROUND_CEILING, vm)
        }
        #[pymethod]
        fn __round__(zelf: &Py<Self>, n: OptionalArg<PyObjectRef>, vm: &VirtualMachine) -> PyResult {
            match n.into_option() {
                None => PyDecimal::to_int(&zelf.num, dn::DEC_ROUND_HALF_EVEN, vm),
                Some(places) if vm.is_none(&places) => PyDecimal::to_int(&zelf.num, dn::DEC_ROUND_HALF_EVEN, vm),
                Some(places) => {
                    let Some(places) = places.downcast_ref::<PyInt>() else {
                        return Err(vm.new_type_error("optional arg must be an integer"));
                    };
                    // A C int (32 bits here), as CPython's; an exponent beyond the context's
                    // range is the quantize's InvalidOperation.
                    let Some(p) = places.as_bigint().to_i32() else {
                        return Err(vm.new_overflow_error("Python int too large to convert to C ssize_t"));
                    };
                    let ctx = current_context(vm)?;
                    let Some(exp) = p.checked_neg().filter(|e| exponent_fits(*e as i64, *e as i64)) else {
                        ctx.add_status(dn::DEC_Invalid_operation, vm)?;
                        return Ok(PyDecimal::new(nan_result()).into_pyobject(vm));
                    };
                    let q = Num::from_parts(&[1], exp, 0);
                    ctx.run2(dn::decNumberQuantize, &zelf.num, &q, vm)
                }
            }
        }
        #[pymethod]
        fn __format__(zelf: PyRef<Self>, spec: PyStrRef, locale_override: OptionalArg<PyObjectRef>, vm: &VirtualMachine) -> PyResult {
            // Formatting is delegated to _pydecimal (the same text, in a context like ours).
            // A width or precision past a C int is CPython's ValueError (not a huge string).
            let too_big = spec
                .to_str()
                .unwrap_or("")
                .split(|c: char| !c.is_ascii_digit())
                .any(|run| !run.is_empty() && run.parse::<i32>().map_or(true, |v| v == i32::MAX));
            if too_big {
                return Err(vm.new_value_error("invalid format string"));
            }
            let spec_text = spec.to_str().unwrap_or("");
            // CPython 3.11's C decimal has no alternate form ('#') and no '_' grouping
            // (`_pydecimal`, which formats here, takes both).
            let body = match spec_text.char_indices().nth(1) {
                Some((at, c)) if "<>=^".contains(c) => &spec_text[at + c.len_utf8()..],
                _ => spec_text.strip_prefix(['<', '>', '=', '^']).unwrap_or(spec_text),
            };
            if body.contains(['#', '_']) {
                return Err(vm.new_value_error("invalid format string"));
            }
            // A fixed-point text of a number with a huge exponent is as long as the exponent
            // (999993520 characters for 3.9E+999993523 at '.1%'); past MAX_FORMAT_LEN it is
            // refused as the memory it would take, not attempted (an allocation that fails in
            // Rust is a trap).
            if let Some(ty) = body.chars().last().filter(|c| "fF%".contains(*c)) {
                let n = &zelf.num;
                let places: i64 = body.rsplit_once('.').and_then(|(_, p)| p.trim_end_matches(ty).parse().ok()).unwrap_or(0);
                if n.is_finite() && n.adjusted().abs() + places > MAX_FORMAT_LEN {
                    return Err(vm.new_memory_error("decimal: the formatted number would be too long".to_owned()));
                }
            }
            let ctx = current_context(vm)?;
            if locale_override.is_missing() && spec_text.is_empty() {
                // `f"{d}"`: str(d).
                return Ok(vm.ctx.new_str(zelf.num.to_sci(ctx.caps())).into());
            }
            if locale_override.is_missing() {
                if let Some(text) = format_fixed_point(&zelf.num, spec_text, ctx.round.load(Relaxed)) {
                    return Ok(vm.ctx.new_str(text).into());
                }
            }
            let py = vm.import("_pydecimal", 0)?;
            // _pydecimal.Context(prec, rounding, Emin, Emax, capitals)
            let pyctx = py.get_attr("Context", vm)?.call(
                (
                    ctx.prec.load(Relaxed),
                    rounding_name(ctx.round.load(Relaxed)),
                    ctx.emin.load(Relaxed),
                    ctx.emax.load(Relaxed),
                    ctx.capitals.load(Relaxed),
                ),
                vm,
            )?;
            let d = py.get_attr("Decimal", vm)?.call((zelf.num.to_sci(true),), vm)?;
            match locale_override.into_option() {
                Some(o) => match o.downcast::<PyDict>() {
                    Ok(o) => vm.call_method(&d, "__format__", (spec, pyctx, locale_override_for_pydecimal(&o, vm)?)),
                    Err(_) => Err(vm.new_type_error("optional argument must be a dict")),
                },
                None => vm.call_method(&d, "__format__", (spec, pyctx)),
            }
        }

        #[pymethod]
        fn as_tuple(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult {
            let n = &zelf.num;
            let sign = i32::from(n.is_negative());
            let digits: Vec<PyObjectRef> = if n.is_infinite() {
                vec![vm.ctx.new_int(0).into()]
            } else if n.is_nan() && n.coefficient_is_zero() {
                vec![]
            } else {
                n.coefficient_digits().into_iter().map(|d| vm.ctx.new_int(d).into()).collect()
            };
            let exponent: PyObjectRef = if n.is_infinite() {
                vm.ctx.new_str("F").into()
            } else if n.is_snan() {
                vm.ctx.new_str("N").into()
            } else if n.is_nan() {
                vm.ctx.new_str("n").into()
            } else {
                vm.ctx.new_int(n.exponent()).into()
            };
            let dt = decimal_tuple(vm)?;
            dt.call((sign, vm.ctx.new_tuple(digits), exponent), vm)
        }
        #[pymethod]
        fn as_integer_ratio(zelf: &Py<Self>, vm: &VirtualMachine) -> PyResult {
            let n = &zelf.num;
            if n.is_nan() {
                return Err(vm.new_value_error("cannot convert NaN to integer ratio"));
            }
            if n.is_infinite() {
                return Err(vm.new_overflow_error("cannot convert Infinity to integer ratio"));
            }
            if n.is_zero() {
                // Whatever the exponent (10**-e of 0E-425000000 is not needed).
                return Ok(vm.new_tuple((vm.ctx.new_int(0), vm.ctx.new_int(1))).into());
            }
            let c = BigInt::from_str(&n.coefficient_string()).unwrap_or_default();
            let c = if n.is_negative() { -c } else { c };
            let e = n.exponent();
            let ten = BigInt::from(10);
            let (num, den) = if e >= 0 {
                (c * num_traits::pow::pow(ten, e as usize), BigInt::from(1))
            } else {
                let d = num_traits::pow::pow(ten, (-e) as usize);
                let g = num_integer::Integer::gcd(&c, &d);
                if g.is_zero() { (BigInt::zero(), BigInt::from(1)) } else { (c / &g, d / &g) }
            };
            Ok(vm.new_tuple((vm.ctx.new_bigint(&num), vm.ctx.new_bigint(&den))).into())
        }
        /// A Decimal of an int, a float or a Decimal, exactly (CPython 3.14).
        #[pyclassmethod]
        fn from_number(cls: PyTypeRef, number: PyObjectRef, vm: &VirtualMachine) -> PyResult {
            let real = number.downcast_ref::<PyInt>().is_some() || number.downcast_ref::<PyFloat>().is_some() || number.downcast_ref::<PyDecimal>().is_some();
            if !real {
                return Err(vm.new_type_error(format!("Cannot convert {} to Decimal", number.repr(vm)?)));
            }
            cls.as_object().call((number,), vm)
        }
        #[pyclassmethod]
        fn from_float(cls: PyTypeRef, f: PyObjectRef, vm: &VirtualMachine) -> PyResult {
            let n = if let Some(x) = f.downcast_ref::<PyFloat>() {
                float_to_num(x.to_f64(), vm)?
            } else if let Some(i) = f.downcast_ref::<PyInt>() {
                int_to_num(i)
            } else {
                return Err(vm.new_type_error("argument must be int or float"));
            };
            let d = PyDecimal::new(n).into_pyobject(vm);
            if cls.is(PyDecimal::class(&vm.ctx)) { Ok(d) } else { cls.as_object().call((d,), vm) }
        }

        #[pymethod]
        fn quantize(zelf: &Py<Self>, args: QuantizeArgs, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            let exp = ctx_operand(&args.exp, vm)?;
            let mut p = ctx.params();
            if let Some(r) = args.rounding.filter(|r| !vm.is_none(r)) {
                p.round = rounding_from(&r, vm)?;
            }
            let (r, st) = number::op2(&p, dn::decNumberQuantize, &zelf.num, exp.num());
            ctx.add_status(st, vm)?;
            Ok(PyDecimal::new(r).into_pyobject(vm))
        }
        fn integral(&self, args: RoundingCtx, f: number::Op1, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            let mut p = ctx.params();
            if let Some(r) = args.rounding.filter(|r| !vm.is_none(r)) {
                p.round = rounding_from(&r, vm)?;
            }
            let (r, st) = number::op1(&p, f, &self.num);
            ctx.add_status(st, vm)?;
            Ok(PyDecimal::new(r).into_pyobject(vm))
        }
        #[pymethod]
        fn to_integral(zelf: &Py<Self>, args: RoundingCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.integral(args, dn::decNumberToIntegralValue, vm)
        }
        #[pymethod]
        fn to_integral_value(zelf: &Py<Self>, args: RoundingCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.integral(args, dn::decNumberToIntegralValue, vm)
        }
        #[pymethod]
        fn to_integral_exact(zelf: &Py<Self>, args: RoundingCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            zelf.integral(args, dn::decNumberToIntegralExact, vm)
        }
        #[pymethod]
        fn fma(zelf: &Py<Self>, args: FmaArgs, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let ctx = context_arg(args.context, vm)?;
            let b = ctx_operand(&args.other, vm)?;
            let c = ctx_operand(&args.third, vm)?;
            let (r, st) = number::op3(&ctx.params(), dn::decNumberFMA, &zelf.num, b.num(), c.num());
            ctx.add_status(st, vm)?;
            Ok(PyDecimal::new(r).into_pyobject(vm))
        }
        #[pymethod]
        fn compare_total(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let b = ctx_operand(&args.other, vm)?;
            Ok(compare_total_num(&zelf.num, b.num(), false, vm))
        }
        #[pymethod]
        fn compare_total_mag(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let b = ctx_operand(&args.other, vm)?;
            Ok(compare_total_num(&zelf.num, b.num(), true, vm))
        }
        #[pymethod]
        fn same_quantum(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<bool> {
            let b = ctx_operand(&args.other, vm)?;
            Ok(same_quantum_num(&zelf.num, b.num()))
        }
        #[pymethod]
        fn copy_abs(zelf: &Py<Self>, vm: &VirtualMachine) -> PyObjectRef {
            PyDecimal::new(number::copy_op(dn::decNumberCopyAbs, &zelf.num)).into_pyobject(vm)
        }
        #[pymethod]
        fn copy_negate(zelf: &Py<Self>, vm: &VirtualMachine) -> PyObjectRef {
            PyDecimal::new(number::copy_op(dn::decNumberCopyNegate, &zelf.num)).into_pyobject(vm)
        }
        #[pymethod]
        fn copy_sign(zelf: &Py<Self>, args: OtherCtx, vm: &VirtualMachine) -> PyResult<PyObjectRef> {
            let b = ctx_operand(&args.other, vm)?;
            Ok(PyDecimal::new(number::copy_sign(&zelf.num, b.num())).into_pyobject(vm))
        }
        #[pymethod]
        fn canonical(zelf: PyRef<Self>) -> PyRef<Self> {
            zelf
        }
        #[pymethod]
        fn conjugate(zelf: PyRef<Self>) -> PyRef<Self> {
            zelf
        }
        #[pygetset]
        fn real(zelf: PyRef<Self>) -> PyRef<Self> {
            zelf
        }
        #[pygetset]
        fn imag(_zelf: &Py<Self>, vm: &VirtualMachine) -> PyObjectRef {
            PyDecimal::new(Num::from_i32(0)).into_pyobject(vm)
        }
        #[pymethod]
        fn radix(_zelf: &Py<Self>, vm: &VirtualMachine) -> PyObjectRef {
            PyDecimal::new(Num::from_i32(10)).into_pyobject(vm)
        }
        #[pymethod]
        fn adjusted(zelf: &Py<Self>) -> i64 {
            if zelf.num.is_special() { 0 } else { zelf.num.adjusted() }
        }
        #[pymethod]
        fn number_class(zelf: &Py<Self>, args: CtxOnly, vm: &VirtualMachine) -> PyResult<&'static str> {
            let ctx = context_arg(args.context, vm)?;
            Ok(class_name(number::class(&ctx.params(), &zelf.num)))
        }
        #[pymethod]
        fn is_canonical(_zelf: &Py<Self>) -> bool {
            true
        }
        #[pymethod]
        fn is_finite(zelf: &Py<Self>) -> bool {
            zelf.num.is_finite()
        }
        #[pymethod]
        fn is_infinite(zelf: &Py<Self>) -> bool {
            zelf.num.is_infinite()
        }
        #[pymethod]
        fn is_nan(zelf: &Py<Self>) -> bool {
            zelf.num.is_nan()
        }
        #[pymethod]
        fn is_qnan(zelf: &Py<Self>) -> bool {
            zelf.num.is_qnan()
        }
        #[pymethod]
        fn is_snan(zelf: &Py<Self>) -> bool {
            zelf.num.is_snan()
        }
        #[pymethod]
        fn is_signed(zelf: &Py<Self>) -> bool {
            zelf.num.is_negative()
        }
        #[pymethod]
        fn is_zero(zelf: &Py<Self>) -> bool {
            zelf.num.is_zero()
        }
        #[pymethod]
        fn is_normal(zelf: &Py<Self>, args: CtxOnly, vm: &VirtualMachine) -> PyResult<bool> {
            let ctx = context_arg(args.context, vm)?;
            Ok(number::is_normal(&ctx.params(), &zelf.num))
        }
        #[pymethod]
        fn is_subnormal(zelf: &Py<Self>, args: CtxOnly, vm: &VirtualMachine) -> PyResult<bool> {
            let ctx = context_arg(args.context, vm)?;
            Ok(number::is_subnormal(&ctx.params(), &zelf.num))
        }
    }

    fn decimal_tuple(vm: &VirtualMachine) -> PyResult<PyObjectRef> {
        thread_local! {
            static DT: RefCell<Option<PyObjectRef>> = const { RefCell::new(None) };
        }
        if let Some(t) = DT.with(|c| c.borrow().clone()) {
            return Ok(t);
        }
        let collections = vm.import("collections", 0)?;
        let nt = collections.get_attr("namedtuple", vm)?;
        let t = nt.call((vm.ctx.new_str("DecimalTuple"), vm.ctx.new_str("sign digits exponent")), vm)?;
        t.set_attr("__module__", vm.ctx.new_str("decimal"), vm)?;
        DT.with(|c| *c.borrow_mut() = Some(t.clone()));
        Ok(t)
    }

    #[pyattr(name = "DecimalTuple")]
    fn decimal_tuple_attr(vm: &VirtualMachine) -> PyObjectRef {
        decimal_tuple(vm).unwrap_or_else(|_| vm.ctx.none())
    }
}
