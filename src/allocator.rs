//! The Rust heap of python.wasm and the component: small blocks from free lists by size class, in
//! front of wasi-libc's malloc (dlmalloc), as CPython's pymalloc sits in front of the system's.
//!
//! The interpreter allocates and frees an object, a frame's locals or a small vector for nearly
//! every instruction that makes a value; dlmalloc's bins, splitting and coalescing cost more than
//! the object's own work (`make profile`: malloc, free and realloc ~5% of the samples). A freed
//! block of up to `SMALL_MAX` bytes goes on its class's list and the next allocation of that class
//! takes it back; nothing else changes. The lists keep what they hold (as pymalloc keeps its pools):
//! a block freed here serves only its own class again, never a larger allocation.
//!
//! wasm32-wasip1 has one thread, and the VM is built without `threading`: the lists take no lock.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;
use std::alloc::System;

/// Classes step by 16 bytes (the largest alignment the VM's objects ask for) up to `SMALL_MAX`.
const CLASS_BYTES: usize = 16;
const SMALL_MAX: usize = 512;
const CLASSES: usize = SMALL_MAX / CLASS_BYTES;

pub struct SizeClassAllocator {
    /// Each class's free blocks, linked through their first word; class `i` holds blocks of
    /// `(i + 1) * CLASS_BYTES` bytes.
    free: UnsafeCell<[*mut u8; CLASSES]>,
}

// SAFETY: the target has one thread (see the module's comment).
unsafe impl Sync for SizeClassAllocator {}

impl SizeClassAllocator {
    pub const fn new() -> Self {
        Self { free: UnsafeCell::new([ptr::null_mut(); CLASSES]) }
    }

    /// The class of a layout the lists serve, or None for the system allocator's.
    #[inline(always)]
    fn class(layout: Layout) -> Option<usize> {
        (layout.size() <= SMALL_MAX && layout.align() <= CLASS_BYTES)
            .then(|| layout.size().saturating_sub(1) / CLASS_BYTES)
    }

    /// Gives every block on the lists back to the system allocator: the snapshot's cut calls it,
    /// so that what was freed while it imported is malloc's free memory again, coalesced and
    /// zeroed there (`snapshot::zero_free_memory`), not bytes saved in python.wasm.
    pub fn release_free_blocks(&self) {
        for class in 0..CLASSES {
            // SAFETY: one thread; each block on the list was allocated by System with this layout.
            let head = unsafe { &mut (*self.free.get())[class] };
            while !head.is_null() {
                let block = *head;
                *head = unsafe { block.cast::<*mut u8>().read() };
                unsafe { System.dealloc(block, Self::class_layout(class)) };
            }
        }
    }

    #[inline(always)]
    fn class_layout(class: usize) -> Layout {
        // SAFETY: a multiple of 16 up to SMALL_MAX with alignment 16 is a valid layout.
        unsafe { Layout::from_size_align_unchecked((class + 1) * CLASS_BYTES, CLASS_BYTES) }
    }
}

impl Default for SizeClassAllocator {
    fn default() -> Self {
        Self::new()
    }
}

unsafe impl GlobalAlloc for SizeClassAllocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = Self::class(layout) else {
            return unsafe { System.alloc(layout) };
        };
        let head = unsafe { &mut (*self.free.get())[class] };
        if head.is_null() {
            return unsafe { System.alloc(Self::class_layout(class)) };
        }
        let block = *head;
        *head = unsafe { block.cast::<*mut u8>().read() };
        block
    }

    #[inline]
    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let Some(class) = Self::class(layout) else {
            return unsafe { System.dealloc(block, layout) };
        };
        let head = unsafe { &mut (*self.free.get())[class] };
        unsafe { block.cast::<*mut u8>().write(*head) };
        *head = block;
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: GlobalAlloc::realloc's contract makes this a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (Self::class(layout), Self::class(new_layout)) {
            (None, None) => unsafe { System.realloc(block, layout, new_size) },
            (Some(old), Some(new)) if old == new => block,
            _ => {
                let moved = unsafe { self.alloc(new_layout) };
                if !moved.is_null() {
                    unsafe {
                        ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                }
                moved
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_come_back_to_their_class() {
        let heap = SizeClassAllocator::new();
        let small = Layout::from_size_align(40, 8).unwrap();
        unsafe {
            let a = heap.alloc(small);
            heap.dealloc(a, small);
            // 33..=48 bytes share a class: the freed block serves the next one.
            let b = heap.alloc(Layout::from_size_align(48, 16).unwrap());
            assert_eq!(a, b);
            let c = heap.alloc(small);
            assert_ne!(b, c);
            heap.dealloc(b, Layout::from_size_align(48, 16).unwrap());
            heap.dealloc(c, small);
            heap.release_free_blocks();
            assert!((*heap.free.get()).iter().all(|head| head.is_null()));
        }
    }

    #[test]
    fn realloc_keeps_the_contents_across_classes_and_to_the_system() {
        let heap = SizeClassAllocator::new();
        unsafe {
            let layout = Layout::from_size_align(10, 1).unwrap();
            let block = heap.alloc(layout);
            for i in 0..10 {
                *block.add(i) = i as u8;
            }
            let same = heap.realloc(block, layout, 16);
            assert_eq!(same, block, "10 and 16 bytes are one class");
            let grown = heap.realloc(same, Layout::from_size_align(16, 1).unwrap(), 4000);
            let back = heap.realloc(grown, Layout::from_size_align(4000, 1).unwrap(), 100);
            assert_eq!((0..10).map(|i| *back.add(i)).collect::<Vec<_>>(), (0..10).collect::<Vec<u8>>());
            heap.dealloc(back, Layout::from_size_align(100, 1).unwrap());
        }
    }

    #[test]
    fn large_and_overaligned_layouts_go_to_the_system() {
        assert_eq!(SizeClassAllocator::class(Layout::from_size_align(513, 8).unwrap()), None);
        assert_eq!(SizeClassAllocator::class(Layout::from_size_align(64, 32).unwrap()), None);
        assert_eq!(SizeClassAllocator::class(Layout::from_size_align(1, 1).unwrap()), Some(0));
        assert_eq!(SizeClassAllocator::class(Layout::from_size_align(512, 16).unwrap()), Some(31));
    }
}
