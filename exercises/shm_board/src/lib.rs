//! A notice board in System V shared memory: a 1 KiB segment cut into 16 slots of 64
//! bytes. Any process attaches it and pins a note into a slot or reads the notes; the
//! board stays in the kernel between runs, with nobody attached, until it is removed.
//!
//! Slot `i` is the 64 bytes at offset `64 * i`: a note, then NULs to the end of the slot
//! (a note of exactly 64 bytes has none). Offsets, not pointers: every process may
//! attach the segment at another address.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::NonNull;

/// How many notes the board holds.
pub const SLOTS: usize = 16;
/// The size of a slot, and the longest note.
pub const SLOT: usize = 64;
/// The segment's size.
pub const SIZE: usize = SLOTS * SLOT;
/// The byte ftok() mixes into the key.
pub const PROJ: char = 'S';

/// The board, attached to this process; detached when dropped. (Given: the struct, the
/// key, `remove` and `Drop`.)
pub struct Board {
    shmid: libc::c_int,
    addr: NonNull<u8>,
}

fn last_error(call: &str) -> io::Error {
    let err = io::Error::last_os_error();
    io::Error::new(err.kind(), format!("{call}: {err}"))
}

/// ftok(key_file, 'S'). (Given.)
pub fn key(key_file: &Path) -> io::Result<libc::key_t> {
    let path = CString::new(key_file.as_os_str().as_bytes())
        .map_err(|_| io::Error::other("a path with a NUL byte"))?;
    // SAFETY: ftok reads the NUL-terminated path only.
    let key = unsafe { libc::ftok(path.as_ptr(), PROJ as libc::c_int) };
    if key == -1 {
        return Err(last_error(&format!("ftok {}", key_file.display())));
    }
    Ok(key)
}

/// The slot's number as an error if there is no such slot. (Given.)
#[allow(dead_code)] // until your pin and note use it
fn check(slot: usize) -> io::Result<()> {
    if slot >= SLOTS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "there is no slot {slot}: the board has slots 0 to {}",
                SLOTS - 1
            ),
        ));
    }
    Ok(())
}

impl Board {
    /// The segment's id (shmid), as `ipcs -m` shows it. (Given.)
    pub fn id(&self) -> libc::c_int {
        self.shmid
    }

    /// shmctl(IPC_RMID): marks the board for removal. It goes when the last process
    /// detaches; its key is free at once. (Given.)
    pub fn remove(&self) -> io::Result<()> {
        // SAFETY: IPC_RMID takes no buffer.
        if unsafe { libc::shmctl(self.shmid, libc::IPC_RMID, std::ptr::null_mut()) } == -1 {
            return Err(last_error("shmctl"));
        }
        Ok(())
    }
}

// ANCHOR: exercise
impl Board {
    /// The board of `key_file`, attached: shmget (SIZE bytes, made if `create`, else it
    /// must exist), then shmat.
    pub fn open(key_file: &Path, create: bool) -> io::Result<Board> {
        // TODO: let key = key(key_file)?; shmget(key, SIZE, 0o644 | IPC_CREAT) (or
        // flags 0 when !create); -1 is an error (ENOENT: "no board yet"). Then
        // shmat(shmid, null, 0), which returns (void *)-1 on error; NonNull::new of
        // its .cast() gives addr.
        let _ = (key_file, create);
        todo!("open")
    }

    /// Pins `note` (at most SLOT bytes) into slot `slot`: the bytes, then NULs to the end
    /// of the slot, so that nothing of a longer note before it is left.
    pub fn pin(&self, slot: usize, note: &[u8]) -> io::Result<()> {
        // TODO: check(slot)?; refuse a note longer than SLOT (InvalidInput). Then,
        // through raw pointers only (another process may read the slot at any time,
        // so never make a & or &mut into the segment): start = addr + SLOT * slot;
        // std::ptr::copy_nonoverlapping the note there, std::ptr::write_bytes NULs
        // after it to the end of the slot.
        let _ = (slot, note);
        todo!("pin")
    }

    /// The note in slot `slot`, copied out: its bytes up to the first NUL, at most SLOT.
    pub fn note(&self, slot: usize) -> io::Result<Vec<u8>> {
        // TODO: check(slot)?; copy the slot's SLOT bytes into a Vec of your own
        // (copy_nonoverlapping), then cut it at the first NUL.
        let _ = slot;
        todo!("note")
    }

    /// How many processes have the board attached now (this one included): the
    /// `shm_nattch` of shmctl(IPC_STAT), the `nattch` column of `ipcs -m`.
    pub fn attached(&self) -> io::Result<u64> {
        // TODO: a zeroed libc::shmid_ds (unsafe { std::mem::zeroed() }), then
        // shmctl(self.shmid, IPC_STAT, &raw mut ds); -1 is an error; ds.shm_nattch.
        todo!("attached")
    }
}
// ANCHOR_END: exercise

impl Drop for Board {
    fn drop(&mut self) {
        // shmdt(addr): detach. The board stays until IPC_RMID. (Given.)
        // SAFETY: `addr` is what shmat returned; nothing uses it after this.
        unsafe { libc::shmdt(self.addr.as_ptr().cast()) };
    }
}
