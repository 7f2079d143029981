//! The safe layer over decNumber (decnumber-sys) that `_decimal` computes with: owned numbers of
//! any precision (decNumber's variable-size form: as many units as the digits need), the context
//! parameters of one operation, and each operation run with its own status.

use decnumber_sys as dn;
use std::ffi::CString;

pub use dn::decNumber as Raw;

/// Bytes before the coefficient's units in a decNumber: digits (i32), exponent (i32), bits (u8),
/// then the units (u16, so 2-aligned at byte 10).
const HEADER: usize = 10;
/// Decimal digits per unit (decnumber-sys builds decNumber with its default DECDPUN, 3).
const DPUN: usize = dn::DECDPUN;

/// decNumber's own limits, used for the exact conversions (wider than any Python context's).
pub const DEC_MAX_EMAX: i32 = 999_999_999;
pub const DEC_MIN_EMIN: i32 = -999_999_999;
pub const DEC_MAX_DIGITS: i32 = 999_999_999;

/// One decimal number, owned.
pub struct Num {
    buf: Box<[u32]>,
}

impl Clone for Num {
    fn clone(&self) -> Self {
        // Only the words the number uses: results are allocated for the context's precision.
        let used = words_for(self.digits().max(1) as usize);
        Num { buf: self.buf[..used.min(self.buf.len())].to_vec().into_boxed_slice() }
    }
}

impl std::fmt::Debug for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_sci(true))
    }
}

fn words_for(digits: usize) -> usize {
    let units = digits.max(1).div_ceil(DPUN);
    (HEADER + 2 * units).div_ceil(4)
}

impl Num {
    /// Room for a number of `digits` digits (its value zero).
    pub fn with_capacity(digits: usize) -> Num {
        let mut n = Num { buf: vec![0u32; words_for(digits)].into_boxed_slice() };
        n.buf[0] = 1; // digits = 1: the value 0
        n
    }
    pub fn ptr(&self) -> *const Raw {
        self.buf.as_ptr().cast()
    }
    pub fn mut_ptr(&mut self) -> *mut Raw {
        self.buf.as_mut_ptr().cast()
    }
    pub fn digits(&self) -> i32 {
        self.buf[0] as i32
    }
    pub fn exponent(&self) -> i32 {
        self.buf[1] as i32
    }
    pub fn bits(&self) -> u8 {
        self.buf[2].to_ne_bytes()[0]
    }
    pub fn is_negative(&self) -> bool {
        self.bits() & dn::DECNEG != 0
    }
    pub fn is_nan(&self) -> bool {
        self.bits() & (dn::DECNAN | dn::DECSNAN) != 0
    }
    pub fn is_snan(&self) -> bool {
        self.bits() & dn::DECSNAN != 0
    }
    pub fn is_qnan(&self) -> bool {
        self.bits() & dn::DECNAN != 0
    }
    pub fn is_infinite(&self) -> bool {
        self.bits() & dn::DECINF != 0
    }
    pub fn is_special(&self) -> bool {
        self.bits() & dn::DECSPECIAL != 0
    }
    pub fn is_finite(&self) -> bool {
        !self.is_special()
    }
    /// A coefficient of zero (for a finite number: the value zero).
    pub fn coefficient_is_zero(&self) -> bool {
        self.digits() == 1 && self.units()[0] == 0
    }
    pub fn is_zero(&self) -> bool {
        self.is_finite() && self.coefficient_is_zero()
    }
    /// The exponent of the most significant digit.
    pub fn adjusted(&self) -> i64 {
        self.exponent() as i64 + self.digits() as i64 - 1
    }
    /// The coefficient's units, least significant first.
    pub fn units(&self) -> &[u16] {
        let count = (self.digits().max(1) as usize).div_ceil(DPUN);
        // SAFETY: the buffer holds the header and at least `count` units (the digits decNumber
        // wrote fit the room it was given), and u16 units start 2-aligned at byte 10.
        unsafe { std::slice::from_raw_parts(self.buf.as_ptr().cast::<u8>().add(HEADER).cast::<u16>(), count) }
    }
    /// The coefficient's digits, most significant first (one digit per byte, 0..=9).
    pub fn coefficient_digits(&self) -> Vec<u8> {
        let mut out = vec![0u8; self.digits().max(1) as usize];
        // SAFETY: decNumberGetBCD writes exactly `digits` bytes.
        unsafe { dn::decNumberGetBCD(self.ptr(), out.as_mut_ptr()) };
        out
    }
    /// The coefficient as decimal text (no sign, no exponent).
    pub fn coefficient_string(&self) -> String {
        self.coefficient_digits().iter().map(|d| (b'0' + d) as char).collect()
    }
    /// The scientific string of the spec (`to-scientific-string`), with `E` or `e`.
    pub fn to_sci(&self, capitals: bool) -> String {
        self.to_text(capitals, dn::decNumberToString)
    }
    /// The engineering string of the spec.
    pub fn to_eng(&self, capitals: bool) -> String {
        self.to_text(capitals, dn::decNumberToEngString)
    }
    fn to_text(&self, capitals: bool, f: unsafe extern "C" fn(*const Raw, *mut std::ffi::c_char) -> *mut std::ffi::c_char) -> String {
        // decNumber's bound: digits + 14 characters.
        let mut out = vec![0u8; self.digits().max(1) as usize + 16];
        // SAFETY: the buffer is as large as decNumber's documented maximum.
        unsafe { f(self.ptr(), out.as_mut_ptr().cast()) };
        let end = out.iter().position(|&b| b == 0).unwrap_or(out.len());
        out.truncate(end);
        if !capitals {
            for b in &mut out {
                if *b == b'E' {
                    *b = b'e';
                }
            }
        }
        String::from_utf8(out).unwrap_or_default()
    }

    /// A number from its text (already in the spec's syntax), exactly: no rounding, decNumber's
    /// widest exponent range. The status tells a syntax error (the result is then NaN).
    pub fn parse_exact(text: &str) -> (Num, u32) {
        let digits = (text.len() as i32).clamp(1, DEC_MAX_DIGITS);
        let ctx = Ctx { prec: digits, emax: DEC_MAX_EMAX, emin: DEC_MIN_EMIN, round: dn::DEC_ROUND_HALF_EVEN, clamp: 0 };
        Num::parse(text, &ctx)
    }
    /// A number from its text, rounded to `ctx` (the spec's `to-number` with that context).
    pub fn parse(text: &str, ctx: &Ctx) -> (Num, u32) {
        let mut raw = ctx.raw();
        // Room for the context's precision: a rounded result has at most that many digits, but
        // an overflow to the largest number or a clamp's zeros can reach it whatever the text.
        // Above SMALL_PREC, only as many digits as the text has characters, where neither can
        // happen (no clamp, and the exponent far from the limits).
        let prec = ctx.prec.max(1) as usize;
        let mut room = prec;
        if prec > SMALL_PREC && ctx.clamp == 0 && text.len() < prec {
            let (exact, status) = Num::parse_exact(text);
            let limit = (ctx.emax as i64).min(-(ctx.emin as i64)) / 3;
            if status == 0 && exact.adjusted().abs() + (exact.exponent() as i64).abs() + 2 < limit {
                room = text.len().max(1);
            }
        }
        let mut n = Num::with_capacity(room);
        match CString::new(text) {
            Ok(c) => {
                // SAFETY: `n` has room for ctx.prec digits, the most decNumberFromString writes.
                unsafe { dn::decNumberFromString(n.mut_ptr(), c.as_ptr(), &mut raw) };
            }
            Err(_) => {
                let c = CString::new("?").unwrap();
                unsafe { dn::decNumberFromString(n.mut_ptr(), c.as_ptr(), &mut raw) };
            }
        }
        fold_down(ctx, n, raw.status)
    }
    pub fn from_i32(v: i32) -> Num {
        let mut n = Num::with_capacity(10);
        // SAFETY: room for 10 digits.
        unsafe { dn::decNumberFromInt32(n.mut_ptr(), v) };
        n
    }
    /// A copy with the sign set as `negative`.
    pub fn with_sign(&self, negative: bool) -> Num {
        let mut n = self.clone();
        let mut bytes = n.buf[2].to_ne_bytes();
        if negative {
            bytes[0] |= dn::DECNEG;
        } else {
            bytes[0] &= !dn::DECNEG;
        }
        n.buf[2] = u32::from_ne_bytes(bytes);
        n
    }
    /// Builds a number from its parts: coefficient digits (0..=9, most significant first), exponent,
    /// and the special bits (DECINF, DECNAN, DECSNAN) and sign.
    pub fn from_parts(digits: &[u8], exponent: i32, bits: u8) -> Num {
        let mut start = 0;
        while start + 1 < digits.len() && digits[start] == 0 {
            start += 1;
        }
        let digits = if digits.is_empty() { &[0u8][..] } else { &digits[start..] };
        let mut n = Num::with_capacity(digits.len());
        // decNumberSetBCD fills the number's `digits` digits: set them first.
        n.buf[0] = digits.len() as u32;
        // SAFETY: room for digits.len() digits.
        unsafe { dn::decNumberSetBCD(n.mut_ptr(), digits.as_ptr(), digits.len() as u32) };
        n.buf[1] = exponent as u32;
        n.buf[2] = u32::from_ne_bytes([bits, 0, 0, 0]) | (n.buf[2] & 0xffff_ff00);
        n
    }
}

/// The parameters of one operation's context.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    pub prec: i32,
    pub emax: i32,
    pub emin: i32,
    pub round: dn::rounding,
    pub clamp: u8,
}

impl Ctx {
    /// This context with its exponent range within decNumber's math limits (exp, ln, log10,
    /// non-integer powers, fma take no wider; a result in range is the same).
    fn math_range(&self) -> Ctx {
        Ctx { emax: self.emax.min(MAX_MATH), emin: self.emin.max(-MAX_MATH), ..*self }
    }
    pub fn raw(&self) -> dn::decContext {
        dn::decContext {
            digits: self.prec.clamp(1, DEC_MAX_DIGITS),
            emax: self.emax.clamp(0, DEC_MAX_EMAX),
            emin: self.emin.clamp(DEC_MIN_EMIN, 0),
            round: self.round,
            traps: 0,
            status: 0,
            clamp: self.clamp,
        }
    }
}

pub type Op1 = unsafe extern "C" fn(*mut Raw, *const Raw, *mut dn::decContext) -> *mut Raw;
pub type Op2 = unsafe extern "C" fn(*mut Raw, *const Raw, *const Raw, *mut dn::decContext) -> *mut Raw;
pub type Op3 = unsafe extern "C" fn(*mut Raw, *const Raw, *const Raw, *const Raw, *mut dn::decContext) -> *mut Raw;

/// Up to this precision a result gets room for the context's precision; above it, operations
/// whose result the operands bound get only that (a context of prec=MAX_PREC must not allocate
/// 425 million digits for `1 + 1`).
const SMALL_PREC: usize = 4096;

fn room(ctx: &Ctx, operands: &[&Num], bound: Option<usize>) -> usize {
    let mut digits = ctx.prec.max(1) as usize;
    // Only where no overflow can give the largest number (prec digits of 9s) and no clamp pads the
    // coefficient with zeros: every operand's exponents far from the limits.
    let limit = (ctx.emax as i64).min(-(ctx.emin as i64)) / 3;
    let tame = ctx.clamp == 0 && operands.iter().all(|n| n.adjusted().abs() + (n.exponent() as i64).abs() + 2 < limit);
    if digits > SMALL_PREC && tame {
        if let Some(b) = bound {
            digits = digits.min(b);
        }
    }
    for n in operands {
        digits = digits.max(n.digits().max(1) as usize);
    }
    digits + 1
}

fn same(f: usize, g: usize) -> bool {
    f == g
}

/// The most digits `f(a)` can have whatever the precision, if the operand bounds it.
fn bound1(f: Op1, a: &Num) -> Option<usize> {
    let f = f as usize;
    let da = a.digits().max(1) as usize;
    let bounded = [
        dn::decNumberPlus as Op1 as usize,
        dn::decNumberMinus as Op1 as usize,
        dn::decNumberAbs as Op1 as usize,
        dn::decNumberReduce as Op1 as usize,
        dn::decNumberToIntegralValue as Op1 as usize,
        dn::decNumberToIntegralExact as Op1 as usize,
        dn::decNumberLogB as Op1 as usize,
    ];
    bounded.iter().any(|&g| same(f, g)).then_some(da + 12)
}

/// The most digits `f(a, b)` can have whatever the precision, if the operands bound it.
fn bound2(f: Op2, a: &Num, b: &Num) -> Option<usize> {
    let f = f as usize;
    let (da, db) = (a.digits().max(1) as usize, b.digits().max(1) as usize);
    let spread = (a.exponent() as i64 - b.exponent() as i64).unsigned_abs() as usize;
    let wide = da.saturating_add(db).saturating_add(spread).saturating_add(3);
    let spread_ops = [
        dn::decNumberAdd as Op2 as usize,
        dn::decNumberSubtract as Op2 as usize,
        dn::decNumberCompare as Op2 as usize,
        dn::decNumberCompareSignal as Op2 as usize,
        dn::decNumberCompareTotal as Op2 as usize,
        dn::decNumberCompareTotalMag as Op2 as usize,
        dn::decNumberMax as Op2 as usize,
        dn::decNumberMaxMag as Op2 as usize,
        dn::decNumberMin as Op2 as usize,
        dn::decNumberMinMag as Op2 as usize,
        dn::decNumberRemainder as Op2 as usize,
        dn::decNumberRemainderNear as Op2 as usize,
        dn::decNumberDivideInteger as Op2 as usize,
        dn::decNumberQuantize as Op2 as usize,
        dn::decNumberAnd as Op2 as usize,
        dn::decNumberOr as Op2 as usize,
        dn::decNumberXor as Op2 as usize,
    ];
    if same(f, dn::decNumberMultiply as Op2 as usize) {
        return Some(da + db + 2);
    }
    spread_ops.iter().any(|&g| same(f, g)).then_some(wide)
}

/// decNumber's exp, ln and log10 take contexts up to 999999 in precision and exponents only.
const MAX_MATH: i32 = 999_999;

/// Past this precision an inexact result of an operation that fills the precision is refused
/// (MemoryError, as CPython's libmpdec when it cannot allocate the digits).
const MAX_INEXACT_PREC: i32 = 1_000_000;

/// Above SMALL_PREC, an operation whose result may fill the precision (a quotient, a power, a
/// root, exp/ln/log10) is first run at `trial` digits, what its operands need when the result is
/// exact: decNumber sizes its work by the precision, so at MAX_PREC `Decimal(4).sqrt()` or
/// `Decimal(1).ln()` would compute hundreds of millions of digits (or fault in division). A
/// result that is exact and in range there (no rounding, no limit touched) is the result at any
/// precision; else `None`, or MemoryError's status past MAX_INEXACT_PREC.
fn exact_at_trial(ctx: &Ctx, trial: i64, run: impl Fn(&Ctx) -> (Num, u32)) -> Option<(Num, u32)> {
    if ctx.prec as usize <= SMALL_PREC || trial >= ctx.prec as i64 {
        return None;
    }
    let (r, status) = run(&Ctx { prec: trial as i32, ..*ctx });
    let limits = dn::DEC_Inexact | dn::DEC_Rounded | dn::DEC_Overflow | dn::DEC_Underflow | dn::DEC_Subnormal | dn::DEC_Clamped;
    let refused = dn::DEC_Invalid_context | dn::DEC_Insufficient_storage;
    if status & (limits | refused) == 0 {
        return Some((r, status));
    }
    if status & dn::DEC_Overflow != 0 {
        // Too large at any precision.
        return Some(overflow_result(ctx, r.is_negative()));
    }
    if ctx.prec > MAX_INEXACT_PREC {
        return Some((Num::from_parts(&[], 0, dn::DECNAN), dn::DEC_Insufficient_storage));
    }
    None
}

/// Under clamp=1 the spec keeps every exponent at most Emax - prec + 1, padding the coefficient
/// with zeros (a fold-down, Clamped); decNumber does it for normal results only, not for a
/// subnormal one (extra.decTest extr0121: `1E-10` with Emax 9, Emin -9, prec 24 is
/// `1.0000E-10`).
fn fold_down(ctx: &Ctx, r: Num, status: u32) -> (Num, u32) {
    if r.is_nan() {
        return cut_payload(ctx, r, status);
    }
    if ctx.clamp == 0 || !r.is_finite() || r.coefficient_is_zero() {
        return (r, status);
    }
    let top = ctx.emax as i64 - ctx.prec as i64 + 1;
    let shift = r.exponent() as i64 - top;
    if shift <= 0 || r.digits() as i64 + shift > ctx.prec as i64 {
        return (r, status);
    }
    let mut digits = r.coefficient_digits();
    digits.resize(digits.len() + shift as usize, 0);
    let sign = if r.is_negative() { dn::DECNEG } else { 0 };
    (Num::from_parts(&digits, top as i32, sign), status | dn::DEC_Clamped)
}

/// A NaN's payload keeps at most prec - clamp digits, its last (as libmpdec; decNumber cuts
/// to prec in some operations and not at all in others: `Decimal('NaN12345').log10()` at
/// precision 3 is `NaN345`).
fn cut_payload(ctx: &Ctx, r: Num, status: u32) -> (Num, u32) {
    let keep = (ctx.prec as i64 - ctx.clamp as i64).max(0) as usize;
    if r.coefficient_is_zero() || (r.digits() as usize) <= keep {
        return (r, status);
    }
    let digits = r.coefficient_digits();
    let kept = &digits[digits.len() - keep..];
    let bits = r.bits() & (dn::DECNAN | dn::DECSNAN | dn::DECNEG);
    (Num::from_parts(if kept.is_empty() { &[0] } else { kept }, 0, bits), status)
}

/// The spec's result of an overflow in `ctx`, Infinity or the largest finite number as the
/// rounding says, with its status (decNumber's own overflow, from a number past any Emax).
fn overflow_result(ctx: &Ctx, negative: bool) -> (Num, u32) {
    Num::parse(if negative { "-1E+1999999999" } else { "1E+1999999999" }, ctx)
}

/// A coefficient of at most 36 digits as an integer (18 digits at a time in u64: 128-bit
/// multiplications are library calls on wasm32).
fn coefficient_u128(n: &Num) -> Option<u128> {
    if n.digits() > 36 {
        return None;
    }
    let units = n.units();
    let low_units = units.len().min(6);
    let low = units[..low_units].iter().rev().fold(0u64, |v, &u| v * 1000 + u as u64);
    if units.len() <= 6 {
        return Some(low as u128);
    }
    let high = units[6..].iter().rev().fold(0u64, |v, &u| v * 1000 + u as u64);
    Some(high as u128 * 1_000_000_000_000_000_000 + low as u128)
}

/// A finite number from a coefficient below 10**36 and an exponent: its units written straight
/// into the number, from two u64 halves of 18 digits (u128 arithmetic is library calls on wasm32).
fn from_u128(c: u128, exponent: i32, negative: bool) -> Num {
    const E18: u128 = 1_000_000_000_000_000_000;
    let high = (c / E18) as u64;
    let low = (c - high as u128 * E18) as u64;
    let mut units = [0u16; 12];
    let (mut l, mut h) = (low, high);
    for k in 0..6 {
        units[k] = (l % 1000) as u16;
        l /= 1000;
        units[6 + k] = (h % 1000) as u16;
        h /= 1000;
    }
    let digits = if high > 0 { 18 + high.ilog10() as usize + 1 } else { low.checked_ilog10().map_or(1, |d| d as usize + 1) };
    let mut n = Num::with_capacity(digits);
    n.buf[0] = digits as u32;
    n.buf[1] = exponent as u32;
    n.buf[2] = u32::from(if negative { dn::DECNEG } else { 0 });
    let count = digits.div_ceil(DPUN);
    // SAFETY: with_capacity(digits) holds the header and `count` units, 2-aligned at byte 10.
    let out = unsafe { std::slice::from_raw_parts_mut(n.buf.as_mut_ptr().cast::<u8>().add(HEADER).cast::<u16>(), count) };
    out.copy_from_slice(&units[..count]);
    n
}

/// 10**k for k in 0..=38 (u128 powers and logarithms are multiplications, library calls on
/// wasm32).
const POW10: [u128; 39] = {
    let mut t = [1u128; 39];
    let mut k = 1;
    while k < 39 {
        t[k] = t[k - 1] * 10;
        k += 1;
    }
    t
};

fn decimal_digits(v: u128) -> i64 {
    if v <= u64::MAX as u128 {
        return (v as u64).checked_ilog10().map_or(1, |d| d as i64 + 1);
    }
    (20..39).find(|&k| v < POW10[k]).unwrap_or(39) as i64
}

/// The quotient of two finite non-zero numbers whose scaled dividend fits 128 bits, in a
/// context with no clamp, when the result is normal; else None (decNumber's division, which
/// works unit by unit and took two thirds of a division's time at 28 digits). The spec's
/// division: the coefficient to the context's precision, rounded by its rounding, or, exact, the
/// fewest digits down to the ideal exponent (the dividend's less the divisor's).
fn small_quotient(ctx: &Ctx, a: &Num, b: &Num) -> Option<(Num, u32)> {
    if !a.is_finite() || !b.is_finite() || a.coefficient_is_zero() || b.coefficient_is_zero() || ctx.clamp != 0 || ctx.prec > 36 {
        return None;
    }
    let (x, y) = (coefficient_u128(a)?, coefficient_u128(b)?);
    let prec = ctx.prec as i64;
    let (dx, dy) = (decimal_digits(x), decimal_digits(y));
    // x * 10**shift / y has prec digits.
    let mut shift = prec - dx + dy - 1;
    if shift < 0 || dx + shift + 1 > 38 {
        return None;
    }
    let mut scaled = x.checked_mul(POW10[shift as usize])?;
    if scaled < y.checked_mul(POW10[ctx.prec as usize - 1])? {
        shift += 1;
        scaled = scaled.checked_mul(10)?;
    }
    let q = scaled / y;
    let r = scaled - q * y;
    let mut q = q;
    let mut exponent = a.exponent() as i64 - b.exponent() as i64 - shift;
    let negative = a.is_negative() != b.is_negative();
    let mut status = 0;
    if r == 0 {
        let ideal = a.exponent() as i64 - b.exponent() as i64;
        while exponent < ideal && q % 10 == 0 {
            q /= 10;
            exponent += 1;
        }
    } else {
        status = dn::DEC_Inexact | dn::DEC_Rounded;
        let twice = r.checked_mul(2)?;
        let up = match ctx.round {
            dn::DEC_ROUND_DOWN => false,
            dn::DEC_ROUND_UP => true,
            dn::DEC_ROUND_CEILING => !negative,
            dn::DEC_ROUND_FLOOR => negative,
            dn::DEC_ROUND_HALF_UP => twice >= y,
            dn::DEC_ROUND_HALF_DOWN => twice > y,
            dn::DEC_ROUND_HALF_EVEN => twice > y || (twice == y && q % 2 == 1),
            dn::DEC_ROUND_05UP => q % 5 == 0,
            _ => return None,
        };
        if up {
            q += 1;
            if q == POW10[ctx.prec as usize] {
                q /= 10;
                exponent += 1;
            }
        }
    }
    let adjusted = exponent + decimal_digits(q) - 1;
    if adjusted > ctx.emax as i64 || adjusted < ctx.emin as i64 {
        return None;
    }
    Some((from_u128(q, exponent as i32, negative), status))
}

/// The value of an integer of at most 9 digits and exponent 0 (decNumberToInt32's domain).
fn small_integer(n: &Num) -> Option<i64> {
    let mut raw = Ctx { prec: 9, emax: DEC_MAX_EMAX, emin: DEC_MIN_EMIN, round: dn::DEC_ROUND_HALF_EVEN, clamp: 0 }.raw();
    // SAFETY: reads only.
    let v = unsafe { dn::decNumberToInt32(n.ptr(), &mut raw) };
    (raw.status == 0 && n.digits() <= 9).then_some(v as i64)
}

/// `f(a)` in `ctx`: the result and the status it raised.
pub fn op1(ctx: &Ctx, f: Op1, a: &Num) -> (Num, u32) {
    let fa = f as usize;
    let math = [dn::decNumberExp as Op1 as usize, dn::decNumberLn as Op1 as usize, dn::decNumberLog10 as Op1 as usize];
    if (math.contains(&fa) || fa == dn::decNumberSquareRoot as Op1 as usize) && a.is_finite() {
        let trial = a.digits() as i64 * 2 + 50;
        // exp, ln and log10 at decNumber's math limits (a result in range is the same).
        let narrow = |c: &Ctx| c.math_range();
        if let Some(found) = exact_at_trial(ctx, trial, |c| op1_raw(&narrow(c), f, a)) {
            return found;
        }
    }
    if math.contains(&fa) && (ctx.prec > MAX_MATH || ctx.emax > MAX_MATH || ctx.emin < -MAX_MATH) {
        // A wider context than decNumber's math allows: computed within its limits, which is
        // right unless the result leaves its exponent range, or is inexact where the precision
        // was cut (then decNumber's InvalidContext: see the README's decimal section).
        let narrow = Ctx { prec: ctx.prec.min(MAX_MATH), ..ctx.math_range() };
        let (r, status) = math_op(&narrow, f, a);
        let range_ok = status & (dn::DEC_Overflow | dn::DEC_Underflow | dn::DEC_Subnormal | dn::DEC_Clamped) == 0;
        let prec_ok = ctx.prec <= MAX_MATH || status & (dn::DEC_Inexact | dn::DEC_Rounded) == 0;
        if range_ok && prec_ok {
            return (r, status);
        }
        return op1_raw(ctx, f, a);
    }
    if math.contains(&fa) {
        return math_op(ctx, f, a);
    }
    op1_raw(ctx, f, a)
}

/// exp, ln and log10 correctly rounded, as libmpdec's: decNumber's are within an ulp but not
/// always the correctly rounded one (logs.decTest lnx116: ln 0.9 at precision 16). Computed with
/// 3 more digits (then 20): when those are not next to a rounding boundary of the context's
/// rounding, that result rounded to the context is the correctly rounded one. Near the exponent
/// limits, or exact, decNumber's own.
fn math_op(ctx: &Ctx, f: Op1, a: &Num) -> (Num, u32) {
    for extra in [3usize, 20] {
        if ctx.prec as i64 + extra as i64 > MAX_MATH as i64 {
            break;
        }
        let wide = Ctx { prec: ctx.prec + extra as i32, clamp: 0, ..*ctx };
        let (r, status) = op1_raw(&wide, f, a);
        let limits = dn::DEC_Overflow | dn::DEC_Underflow | dn::DEC_Subnormal | dn::DEC_Clamped;
        if !r.is_finite() || status & dn::DEC_Inexact == 0 || status & limits != 0 || r.digits() != wide.prec {
            break;
        }
        let digits = r.coefficient_digits();
        let tail = &digits[digits.len() - extra..];
        let all = |d: u8, t: &[u8]| t.iter().all(|&x| x == d);
        let half = matches!(ctx.round, dn::DEC_ROUND_HALF_UP | dn::DEC_ROUND_HALF_DOWN | dn::DEC_ROUND_HALF_EVEN);
        // Within one unit of the last extra digit from the boundary: 50..0 for the half
        // roundings, 00..0 for the others (the true value may lie on either side).
        let ambiguous = if half {
            (tail[0] == 5 && all(0, &tail[1..])) || (tail[0] == 4 && all(9, &tail[1..]))
                || (tail[0] == 5 && all(0, &tail[1..extra - 1]) && tail[extra - 1] == 1)
        } else {
            all(0, tail) || all(9, tail) || (all(0, &tail[..extra - 1]) && tail[extra - 1] == 1)
        };
        if ambiguous {
            continue;
        }
        let (rounded, more) = op1_raw(ctx, dn::decNumberPlus, &r);
        return (rounded, more | dn::DEC_Inexact | dn::DEC_Rounded);
    }
    op1_raw(ctx, f, a)
}

fn op1_raw(ctx: &Ctx, f: Op1, a: &Num) -> (Num, u32) {
    let mut raw = ctx.raw();
    let mut r = Num::with_capacity(room(ctx, &[a], bound1(f, a)));
    // SAFETY: the result has room for the context's precision and the operand's digits.
    unsafe { f(r.mut_ptr(), a.ptr(), &mut raw) };
    fold_down(ctx, r, raw.status)
}

pub fn op2(ctx: &Ctx, f: Op2, a: &Num, b: &Num) -> (Num, u32) {
    let (r, status) = op2_inner(ctx, f, a, b);
    if f as usize == dn::decNumberPower as Op2 as usize && status & dn::DEC_Overflow != 0 && r.is_infinite() {
        // decNumber's power overflows to Infinity whatever the rounding (ROUND_DOWN: the
        // largest finite number).
        let (o, more) = overflow_result(ctx, r.is_negative());
        return (o, status | more);
    }
    (r, status)
}

fn op2_inner(ctx: &Ctx, f: Op2, a: &Num, b: &Num) -> (Num, u32) {
    if f as usize == dn::decNumberDivide as Op2 as usize {
        if let Some(found) = small_quotient(ctx, a, b) {
            return found;
        }
    }
    if f as usize == dn::decNumberPower as Op2 as usize
        && b.is_finite()
        && !b.is_zero()
        && (b.exponent() as i64) < -(MAX_MATH as i64)
        && b.adjusted() < -(ctx.prec as i64 + 20)
        && ctx.prec < MAX_MATH - 20
    {
        // An exponent past decNumber's math limits (10 ** 1E-999999999, extra.decTest extr1700)
        // but so small that x**y = e**(y ln x) is 1 within far less than an ulp: the same power
        // with 1E-(prec+20) of the same sign rounds the same way.
        let tiny = Num::from_parts(&[1], -(ctx.prec + 20), if b.is_negative() { dn::DECNEG } else { 0 });
        return op2_inner(ctx, f, a, &tiny);
    }
    // rotate and shift work on the last `prec` digits of a longer coefficient (the spec's
    // Python reading, which CPython's libmpdec shares); decNumber would leave it whole.
    let fa = f as usize;
    if (fa == dn::decNumberRotate as Op2 as usize || fa == dn::decNumberShift as Op2 as usize)
        && a.is_finite()
        && a.digits() > ctx.prec.max(1)
    {
        let digits = a.coefficient_digits();
        let keep = &digits[digits.len() - ctx.prec.max(1) as usize..];
        let sign = if a.is_negative() { dn::DECNEG } else { 0 };
        let cut = Num::from_parts(keep, a.exponent(), sign);
        return op2_raw(ctx, f, &cut, b);
    }
    if fa == dn::decNumberAdd as Op2 as usize || fa == dn::decNumberSubtract as Op2 as usize {
        // decNumber 3.68 can round an inexact sum twice (99949.9 + 0.200000 at precision 3
        // gives 9.99E+4, not 1.00E+5: CPython's extra.decTest, extr1010). A sum that may not fit
        // the precision is made exactly, then rounded once (decNumberPlus of a non-zero number
        // only rounds it to the context).
        if !a.is_finite() || !b.is_finite() {
            return op2_raw(ctx, f, a, b);
        }
        let top = a.adjusted().max(b.adjusted());
        let bottom = (a.exponent() as i64).min(b.exponent() as i64);
        let exact_digits = top - bottom + 2;
        if exact_digits <= ctx.prec as i64 || exact_digits > 100_000 {
            return op2_raw(ctx, f, a, b);
        }
        let wide = Ctx { prec: exact_digits as i32, emax: DEC_MAX_EMAX, emin: DEC_MIN_EMIN, round: ctx.round, clamp: 0 };
        let (sum, exact_status) = op2_raw(&wide, f, a, b);
        if exact_status != 0 || sum.is_zero() {
            return op2_raw(ctx, f, a, b);
        }
        return op1_raw(ctx, dn::decNumberPlus, &sum);
    }
    if fa == dn::decNumberPower as Op2 as usize && ctx.prec <= MAX_MATH && (ctx.emax > MAX_MATH || ctx.emin < -MAX_MATH) {
        // As exp/ln/log10 in op1: decNumber's non-integer powers take exponents up to 999999.
        let narrow = ctx.math_range();
        let (r, status) = op2_raw(&narrow, f, a, b);
        if status & (dn::DEC_Overflow | dn::DEC_Underflow | dn::DEC_Subnormal | dn::DEC_Clamped | dn::DEC_Invalid_context) == 0 {
            return (r, status);
        }
        return op2_raw(ctx, f, a, b);
    }
    if ctx.prec as usize > SMALL_PREC && a.is_finite() && b.is_finite() && !b.is_zero() {
        // decNumber's division sizes its work areas by the precision: at MAX_PREC it faults
        // (wasm32). An integer quotient and its remainder need only the digits the operands
        // give.
        let (da, db) = (a.digits() as i64, b.digits() as i64);
        let integer_ops = [
            dn::decNumberDivideInteger as Op2 as usize,
            dn::decNumberRemainder as Op2 as usize,
            dn::decNumberRemainderNear as Op2 as usize,
        ];
        if integer_ops.contains(&fa) {
            let quotient = (a.adjusted() - b.adjusted() + 2).max(1);
            let needed = quotient + da.max(db) + 2;
            if needed < ctx.prec as i64 {
                // Etiny (Emin - prec + 1) kept where it was, so that a subnormal remainder is the
                // same; the Subnormal flag then by the context's own Emin.
                let emin = (ctx.emin as i64 - (ctx.prec as i64 - needed)).max(DEC_MIN_EMIN as i64) as i32;
                let (r, mut status) = op2_raw(&Ctx { prec: needed as i32, emin, ..*ctx }, f, a, b);
                if r.is_finite() && !r.is_zero() && r.adjusted() < ctx.emin as i64 {
                    status |= dn::DEC_Subnormal;
                }
                return (r, status);
            }
        }
    }
    if (fa == dn::decNumberDivide as Op2 as usize || fa == dn::decNumberPower as Op2 as usize) && a.is_finite() && b.is_finite() {
        // An exact quotient has at most the dividend's digits and 2.33 for each of the
        // divisor's (1/2**k has 0.7k digits where 2**k has 0.3k); an exact integer power n, n
        // times the base's digits (and that again for a negative n's reciprocal).
        let (da, db) = (a.digits() as i64, b.digits() as i64);
        let trial = match (fa == dn::decNumberPower as Op2 as usize).then(|| small_integer(b)).flatten() {
            Some(n) => da * n.abs().max(1) * 3 + 50,
            None => (da + db) * 3 + 50,
        };
        // A power at decNumber's math limits (for a non-integer exponent; a result in range is
        // the same); a quotient in the context's exponent range.
        let power = fa == dn::decNumberPower as Op2 as usize;
        let narrow = |c: &Ctx| if power { c.math_range() } else { *c };
        if let Some(found) = exact_at_trial(ctx, trial, |c| op2_raw(&narrow(c), f, a, b)) {
            return found;
        }
    }
    if fa == dn::decNumberScaleB as Op2 as usize {
        // decNumber scales without rounding to the context; the spec's result is rounded.
        let (r, status) = op2_raw(ctx, f, a, b);
        if r.is_finite() && (r.digits() > ctx.prec || r.adjusted() > ctx.emax as i64 || r.adjusted() < ctx.emin as i64) {
            let (rounded, more) = Num::parse(&r.to_sci(true), ctx);
            return (rounded, status | more);
        }
        return (r, status);
    }
    if fa == dn::decNumberQuantize as Op2 as usize {
        let (r, status) = op2_raw(ctx, f, a, b);
        if status & dn::DEC_Overflow != 0 {
            // A quantized result past Emax is an invalid operation in Python's reading of the
            // spec (decNumber reports an overflow).
            return (Num::from_parts(&[], 0, dn::DECNAN), dn::DEC_Invalid_operation);
        }
        return (r, status);
    }
    op2_raw(ctx, f, a, b)
}

fn op2_raw(ctx: &Ctx, f: Op2, a: &Num, b: &Num) -> (Num, u32) {
    let mut raw = ctx.raw();
    let mut r = Num::with_capacity(room(ctx, &[a, b], bound2(f, a, b)));
    // SAFETY: as op1.
    unsafe { f(r.mut_ptr(), a.ptr(), b.ptr(), &mut raw) };
    fold_down(ctx, r, raw.status)
}

pub fn op3(ctx: &Ctx, f: Op3, a: &Num, b: &Num, c: &Num) -> (Num, u32) {
    if f as usize == dn::decNumberFMA as Op3 as usize {
        // decNumber's fma takes only contexts and operands within its math limits (999999);
        // CPython's any. Finite operands: the product exactly, then the sum rounded once (our
        // add). Specials: decNumber's, in a context narrowed to those limits (their results do
        // not depend on the range).
        if a.is_finite() && b.is_finite() && c.is_finite() {
            let digits = (a.digits() as i64 + b.digits() as i64).min(DEC_MAX_DIGITS as i64) as i32;
            let wide = Ctx { prec: digits, emax: DEC_MAX_EMAX, emin: DEC_MIN_EMIN, round: ctx.round, clamp: 0 };
            let (product, status) = op2_raw(&wide, dn::decNumberMultiply, a, b);
            if status == 0 {
                return op2(ctx, dn::decNumberAdd, &product, c);
            }
        }
        let narrow = Ctx { prec: ctx.prec.min(MAX_MATH), ..ctx.math_range() };
        return op3_raw(&narrow, f, a, b, c);
    }
    op3_raw(ctx, f, a, b, c)
}

fn op3_raw(ctx: &Ctx, f: Op3, a: &Num, b: &Num, c: &Num) -> (Num, u32) {
    let mut raw = ctx.raw();
    let mut r = Num::with_capacity(room(ctx, &[a, b, c], None));
    // SAFETY: as op1.
    unsafe { f(r.mut_ptr(), a.ptr(), b.ptr(), c.ptr(), &mut raw) };
    fold_down(ctx, r, raw.status)
}

/// `a` rescaled to `exponent` with `round`, however many digits that takes (format's fixed
/// point: no precision limit, no status); None past decNumber's range.
pub fn rescale(a: &Num, exponent: i32, round: dn::rounding) -> Option<Num> {
    let digits = (a.adjusted() - exponent as i64 + 2).max(1);
    if digits > 100_000_000 {
        return None;
    }
    let wide = Ctx { prec: digits as i32, emax: DEC_MAX_EMAX, emin: DEC_MIN_EMIN, round, clamp: 0 };
    let (r, status) = op2_raw(&wide, dn::decNumberQuantize, a, &Num::from_parts(&[1], exponent, 0));
    (status & dn::DEC_Invalid_operation == 0).then_some(r)
}

/// An operation whose result never rounds (copies): room for the operand's digits.
pub fn copy_op(f: unsafe extern "C" fn(*mut Raw, *const Raw) -> *mut Raw, a: &Num) -> Num {
    let mut r = Num::with_capacity(a.digits().max(1) as usize);
    // SAFETY: the copy has the operand's digits.
    unsafe { f(r.mut_ptr(), a.ptr()) };
    r
}

pub fn copy_sign(a: &Num, b: &Num) -> Num {
    let mut r = Num::with_capacity(a.digits().max(1) as usize);
    // SAFETY: the copy has a's digits.
    unsafe { dn::decNumberCopySign(r.mut_ptr(), a.ptr(), b.ptr()) };
    r
}

/// The spec's `class` of `a` in `ctx` (subnormal depends on emin).
pub fn class(ctx: &Ctx, a: &Num) -> dn::decClass {
    let mut raw = ctx.raw();
    // SAFETY: reads only.
    unsafe { dn::decNumberClass(a.ptr(), &mut raw) }
}

pub fn is_normal(ctx: &Ctx, a: &Num) -> bool {
    let mut raw = ctx.raw();
    unsafe { dn::decNumberIsNormal(a.ptr(), &mut raw) != 0 }
}

pub fn is_subnormal(ctx: &Ctx, a: &Num) -> bool {
    let mut raw = ctx.raw();
    unsafe { dn::decNumberIsSubnormal(a.ptr(), &mut raw) != 0 }
}

/// Which of two finite or infinite numbers is larger (no NaNs): -1, 0 or 1.
pub fn compare_values(a: &Num, b: &Num) -> i32 {
    let ctx = Ctx { prec: 1, emax: DEC_MAX_EMAX, emin: DEC_MIN_EMIN, round: dn::DEC_ROUND_HALF_EVEN, clamp: 0 };
    let (r, _) = op2(&ctx, dn::decNumberCompare, a, b);
    if r.is_zero() {
        0
    } else if r.is_negative() {
        -1
    } else {
        1
    }
}
