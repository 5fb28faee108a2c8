//! An array of counters in a file, used through `mmap`: every process that maps the file
//! with `MAP_SHARED` sees the same pages, so a counter one process adds to is the next
//! value every other process reads, with no `read()` or `write()` anywhere.
//!
//! The file holds `len / 8` counters, each a `u64` in the machine's byte order (little
//! endian on x86-64 and arm64), counter `i` at byte `8 * i`.

use std::fs::File;
use std::io;
use std::num::NonZeroUsize;
use std::ptr::NonNull;
#[allow(unused_imports)] // for your code
use std::sync::atomic::{AtomicU64, Ordering};

#[allow(unused_imports)] // for your code
use nix::sys::mman::{MapFlags, MsFlags, ProtFlags, mmap, msync, munmap};

/// The size of one counter in the file.
pub const COUNTER: usize = 8;

/// The counters of one file, mapped into this process. (Given: the struct and `Drop`.)
pub struct Counters {
    data: NonNull<libc::c_void>,
    size: usize,
}

impl Counters {
    /// How many counters the file holds. (Given.)
    pub fn len(&self) -> usize {
        self.size / COUNTER
    }

    /// Whether there are none (never: `map` refuses an empty file). (Given.)
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// The size `map` needs: the file's length, which must be a whole number of
    /// counters, and not 0 (mmap refuses a length of 0). (Given.)
    pub fn size_of(file: &File) -> io::Result<NonZeroUsize> {
        let size = file.metadata()?.len() as usize;
        if !size.is_multiple_of(COUNTER) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the file is {size} bytes, not a whole number of {COUNTER}-byte counters"),
            ));
        }
        NonZeroUsize::new(size).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                "the file is empty: no counters to map",
            )
        })
    }

    /// The index as an error if it is past the last counter. (Given.)
    #[allow(dead_code)] // until your counter() uses it
    fn check(&self, index: usize) -> io::Result<()> {
        if index >= self.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "counter {index} is past the last one ({} counters)",
                    self.len()
                ),
            ));
        }
        Ok(())
    }
}

// ANCHOR: exercise
impl Counters {
    /// Maps the whole of `file` (opened for reading, and for writing if `writable`),
    /// shared with every other mapping of it.
    pub fn map(file: &File, writable: bool) -> io::Result<Counters> {
        // TODO: map the whole file (Counters::size_of says how much), readable, and
        // writable too if `writable`; shared, not private: writes must reach the file
        // and the other processes.
        let _ = (file, writable);
        todo!("map")
    }

    /// Counter `index`, as an atomic: other processes change it at the same time.
    #[allow(dead_code)] // until your add and get use it
    fn counter(&self, index: usize) -> io::Result<&AtomicU64> {
        // TODO: check the index first; the counter is the u64 at byte COUNTER * index
        // of the mapping, seen as an AtomicU64 (the mapping is page-aligned, so every
        // counter is 8-aligned, and it lives as long as self).
        let _ = index;
        todo!("counter")
    }

    /// Adds `delta` to counter `index` and returns the new value. Any number of
    /// processes may add to the same counter at once: none of their additions is lost.
    pub fn add(&self, index: usize, delta: u64) -> io::Result<u64> {
        // TODO: add in one indivisible step: a read, an add and a write would lose
        // other processes' additions. Return the new value.
        let _ = (index, delta);
        todo!("add")
    }

    /// The value of counter `index` now.
    pub fn get(&self, index: usize) -> io::Result<u64> {
        // TODO: an atomic load of the counter.
        let _ = index;
        todo!("get")
    }

    /// msync(MS_SYNC): writes the changed pages to the file's storage now, and waits.
    /// (Other processes see a change at once without it; a crash of the machine does not
    /// lose it with it.)
    pub fn sync(&self) -> io::Result<()> {
        // TODO: write the whole mapping's changes to the file now, and wait for it.
        todo!("sync")
    }
}
// ANCHOR_END: exercise

impl Drop for Counters {
    fn drop(&mut self) {
        // munmap(data, size). (Given.)
        // SAFETY: exactly the mapping mmap returned; nothing uses it after this.
        let _ = unsafe { munmap(self.data, self.size) };
    }
}
