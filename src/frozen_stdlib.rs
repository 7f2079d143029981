//! The frozen stdlib's bytes and how the VM reads them. build.rs writes each module's marshal data
//! zstd-compressed with a dictionary it trained on all of them (3.5 MB, where the VM's own lz4
//! takes 5.9 MB); `stdlib` hands the VM the decoder for them with them (patch
//! rustpython-compiler-core/0002). The VM's own frozen modules stay lz4 and are not ours to read.

use rustpython_vm::frozen::{EMBEDDER_DECODER, FrozenLib};
use std::cell::RefCell;
use zstd::bulk::Decompressor;

/// The trimmed stdlib and our own modules, compiled by build.rs.
static STDLIB: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/stdlib.frozen"));
/// The zstd dictionary build.rs trained on the modules' marshal data.
static DICTIONARY: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/stdlib.zdict"));
/// What build.rs writes before each module's zstd frame, then the marshal data's length (u32, LE).
/// An lz4 frozen code object starts with its length: this one would be 825 MB, so none is taken
/// for ours.
const MAGIC: &[u8; 4] = b"wz01";

thread_local! {
    // wasm32-wasip1 has one thread. The dictionary's tables are built once, at the first import.
    static DECODER: RefCell<Option<Decompressor<'static>>> = const { RefCell::new(None) };
}

/// The frozen modules, for the interpreter about to be built; the VM is given `decode` first.
pub fn stdlib() -> &'static FrozenLib {
    // SAFETY: one thread, and no interpreter (no reader) exists yet or it is the same value again.
    unsafe { EMBEDDER_DECODER = Some(decode) };
    FrozenLib::from_ref(STDLIB)
}

/// The marshal data of one of our frozen modules, or None for a code object we did not write.
fn decode(data: &[u8]) -> Option<Vec<u8>> {
    let rest = data.strip_prefix(MAGIC)?;
    let (length, frame) = rest.split_at_checked(4)?;
    let mut marshal = vec![0; u32::from_le_bytes(length.try_into().ok()?) as usize];
    DECODER.with(|decoder| {
        let mut decoder = decoder.borrow_mut();
        let decoder = decoder.get_or_insert_with(|| {
            Decompressor::with_dictionary(DICTIONARY).expect("build.rs wrote a zstd dictionary")
        });
        let written = decoder.decompress_to_buffer(frame, &mut marshal).expect("build.rs wrote a zstd frame");
        assert_eq!(written, marshal.len(), "a frozen module's length is build.rs's");
    });
    Some(marshal)
}
