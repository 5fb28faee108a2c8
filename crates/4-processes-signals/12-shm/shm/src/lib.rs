//! A System V shared memory segment, attached: a few bytes of memory that several
//! processes see at once. Whatever one writes, the others read, with no system call in
//! between, and with nothing to stop two of them from writing at the same time (that is
//! what the semaphores chapter is for).

use std::io;
use std::ptr::NonNull;

use netkit::Fatal;

/// The file Beej's shmdemo.c gives ftok(): its own source.
pub const KEY_FILE: &str = "shmdemo.c";
/// The project id it gives ftok().
pub const PROJ: char = 'R';
/// Beej's SHM_SIZE: a 1 KiB segment.
pub const SHM_SIZE: usize = 1024;

// ANCHOR: segment
/// A segment attached to this process (shmat), detached when dropped (shmdt).
///
/// Other processes may write into it at any moment, so Rust must never hold a
/// `&` or `&mut` to its bytes (that would promise they do not change). Every
/// access copies in or out through the raw pointer instead.
pub struct Segment {
    addr: NonNull<u8>,
    size: usize,
}

impl Segment {
    /// shmat(shmid, NULL, 0): map segment `shmid` somewhere in our address space.
    pub fn attach(shmid: libc::c_int, size: usize) -> netkit::Result<Segment> {
        // SAFETY: shmat with a null address lets the kernel choose where; it
        // returns (void *)-1 on failure, which is checked below.
        let addr = unsafe { libc::shmat(shmid, std::ptr::null(), 0) };
        if addr as isize == -1 {
            return Err(Fatal::new(format!("shmat: {}", io::Error::last_os_error())));
        }
        let addr =
            NonNull::new(addr.cast()).ok_or_else(|| Fatal::new("shmat gave a null address"))?;
        Ok(Segment { addr, size })
    }

    /// strncpy(data, text, SHM_SIZE): the bytes, then NULs to the end of the
    /// segment (so a shorter text leaves no trace of a longer one).
    pub fn write(&self, text: &[u8]) {
        let n = text.len().min(self.size);
        // SAFETY: both ranges are valid for n (and size - n) bytes: the segment
        // is `size` bytes long and attached while `self` lives; they do not overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), self.addr.as_ptr(), n);
            std::ptr::write_bytes(self.addr.as_ptr().add(n), 0, self.size - n);
        }
    }

    /// The bytes up to the first NUL (at most the whole segment), copied out:
    /// printf("%s", data), without reading past the end.
    pub fn read(&self) -> Vec<u8> {
        let mut copy = vec![0u8; self.size];
        // SAFETY: the segment is `size` bytes long and attached while `self`
        // lives; `copy` has room for all of them.
        unsafe { std::ptr::copy_nonoverlapping(self.addr.as_ptr(), copy.as_mut_ptr(), self.size) };
        let end = copy.iter().position(|&b| b == 0).unwrap_or(self.size);
        copy.truncate(end);
        copy
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        // shmdt(data): detach. The segment itself stays until IPC_RMID.
        // SAFETY: `addr` is what shmat returned, and nothing uses it after this.
        unsafe { libc::shmdt(self.addr.as_ptr().cast()) };
    }
}
// ANCHOR_END: segment
