//! Reads a pickle's opcodes without running them, to find the memo indices it stores to. The VM's
//! native unpickler (rustpython-stdlib 0.6.0, `pickle.rs` `memo_put`) grows its memo to `index + 1`
//! entries: an index of 2**32-1 overflows on wasm32 (a panic) and a large one asks for gigabytes
//! (an abort), where CPython raises ValueError or MemoryError. `Lib/own/_wasipy_pickle.py` hands
//! such data to the pure-Python unpickler instead. This module only reads bytes.

/// The largest memo index `data`'s first pickle stores with PUT or LONG_BINPUT (0 if none). Stops
/// at STOP, at an opcode it does not know, or where the data ends: the unpickler reports those.
pub fn largest_memo_put(data: &[u8]) -> u64 {
    let mut largest = 0u64;
    let mut at = 0usize;
    while let Some(&opcode) = data.get(at) {
        at += 1;
        let Some(argument) = argument_length(opcode, &data[at..]) else { break };
        let end = at.saturating_add(argument).min(data.len());
        let body = &data[at..end];
        match opcode {
            b'r' if body.len() == 4 => largest = largest.max(u64::from(u32::from_le_bytes(body.try_into().unwrap()))),
            // PUT's index is decimal text; one too long for u64 is as large as can be.
            b'p' => largest = largest.max(parse_decimal(body.strip_suffix(b"\n").unwrap_or(body))),
            b'.' => break,
            _ => {}
        }
        if end - at < argument {
            break; // the data ends inside this argument
        }
        at = end;
    }
    largest
}

/// The length of `opcode`'s argument at the start of `rest`, counts and newlines included (as
/// pickletools describes each opcode); None for an opcode that is not a pickle opcode.
fn argument_length(opcode: u8, rest: &[u8]) -> Option<usize> {
    let counted = |width: usize| -> usize {
        let mut count = [0u8; 8];
        let have = rest.len().min(width);
        count[..have].copy_from_slice(&rest[..have]);
        width.saturating_add(usize::try_from(u64::from_le_bytes(count)).unwrap_or(usize::MAX))
    };
    let line = |from: usize| rest.get(from..).and_then(|r| r.iter().position(|&b| b == b'\n')).map_or(rest.len(), |end| from + end + 1);
    Some(match opcode {
        // No argument.
        b'(' | b'.' | b'0' | b'1' | b'2' | b'N' | 0x88 | 0x89 | b'a' | b'e' | b'l' | b']' | b't' | b')' | 0x85 | 0x86
        | 0x87 | b'd' | b'}' | b's' | b'u' | 0x8f | 0x90 | 0x91 | b'R' | b'b' | b'o' | 0x81 | 0x92 | 0x93 | 0x94
        | b'Q' | 0x97 | 0x98 => 0,
        // One line of text.
        b'I' | b'L' | b'S' | b'V' | b'F' | b'P' | b'g' | b'p' => line(0),
        // Two lines: module, then name.
        b'c' | b'i' => line(line(0)),
        // Fixed width.
        b'K' | b'h' | b'q' | 0x82 | 0x80 => 1,
        b'M' | 0x83 => 2,
        b'J' | b'j' | b'r' | 0x84 => 4,
        b'G' | 0x95 => 8,
        // A count, then that many bytes.
        0x8a | b'U' | b'C' | 0x8c => counted(1),
        0x8b | b'T' | b'B' | b'X' => counted(4),
        0x8e | 0x8d | 0x96 => counted(8),
        _ => return None,
    })
}

fn parse_decimal(text: &[u8]) -> u64 {
    let digits = text.strip_prefix(b"-").unwrap_or(text);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return 0;
    }
    std::str::from_utf8(digits).ok().and_then(|d| d.parse().ok()).unwrap_or(u64::MAX)
}

#[cfg(target_os = "wasi")]
pub(crate) use scan_module::module_def;

/// `_wasipy_pickle_scan`: `largest_memo_put` for Python.
#[cfg(target_os = "wasi")]
#[rustpython_vm::pymodule(name = "_wasipy_pickle_scan")]
mod scan_module {
    use rustpython_vm::function::ArgBytesLike;

    #[pyfunction]
    fn largest_memo_put(data: ArgBytesLike) -> u64 {
        data.with_ref(super::largest_memo_put)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_binput_and_put_indices_are_found() {
        assert_eq!(largest_memo_put(b"\x80\x03X\x01\x00\x00\x00ar\xff\xff\xff\xff."), u32::MAX as u64);
        assert_eq!(largest_memo_put(b"(lp7\nI1\nap123456789\n."), 123_456_789);
        assert_eq!(largest_memo_put(b"(lp99999999999999999999999\n."), u64::MAX);
    }

    #[test]
    fn string_bodies_are_skipped_not_read_as_opcodes() {
        // SHORT_BINUNICODE "r\xff\xff\xff\xff" then BINPUT 0: the bytes inside the string are data.
        assert_eq!(largest_memo_put(b"\x80\x04\x8c\x05r\xff\xff\xff\xff\x94q\x00."), 0);
        assert_eq!(largest_memo_put(b"\x80\x03X\x05\x00\x00\x00r\x01\x02\x03\x04r\x05\x00\x00\x00."), 5);
    }

    #[test]
    fn stops_at_stop_and_at_what_it_does_not_know() {
        assert_eq!(largest_memo_put(b"N.r\xff\xff\xff\xff"), 0);
        assert_eq!(largest_memo_put(b"\xffr\xff\xff\xff\xff"), 0);
        assert_eq!(largest_memo_put(b"X\xff\xff\xff\xff"), 0); // a count past the end
        assert_eq!(largest_memo_put(b"\x8e\xff\xff\xff\xff\xff\xff\xff\xffr\xff\xff\xff\xff"), 0); // one past usize
    }
}
