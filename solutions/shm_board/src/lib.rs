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
//> #[allow(dead_code)] // until your pin and note use it
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
        //> // TODO: let key = key(key_file)?; shmget(key, SIZE, 0o644 | IPC_CREAT) (or
        //> // flags 0 when !create); -1 is an error (ENOENT: "no board yet"). Then
        //> // shmat(shmid, null, 0), which returns (void *)-1 on error; NonNull::new of
        //> // its .cast() gives addr.
        //> let _ = (key_file, create);
        //> todo!("open")
        // lab:solution
        let key = key(key_file)?;
        let flags = if create { 0o644 | libc::IPC_CREAT } else { 0 };
        // SAFETY: shmget takes integers only.
        let shmid = unsafe { libc::shmget(key, SIZE, flags) };
        if shmid == -1 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::NotFound {
                return Err(io::Error::new(
                    err.kind(),
                    "there is no board yet; pin a note first",
                ));
            }
            return Err(last_error("shmget"));
        }
        // SAFETY: a null address lets the kernel choose; failure is (void *)-1.
        let addr = unsafe { libc::shmat(shmid, std::ptr::null(), 0) };
        if addr as isize == -1 {
            return Err(last_error("shmat"));
        }
        let addr = NonNull::new(addr.cast()).ok_or_else(|| io::Error::other("shmat: null"))?;
        Ok(Board { shmid, addr })
        // lab:end
    }

    /// Pins `note` (at most SLOT bytes) into slot `slot`: the bytes, then NULs to the end
    /// of the slot, so that nothing of a longer note before it is left.
    pub fn pin(&self, slot: usize, note: &[u8]) -> io::Result<()> {
        //> // TODO: check(slot)?; refuse a note longer than SLOT (InvalidInput). Then,
        //> // through raw pointers only (another process may read the slot at any time,
        //> // so never make a & or &mut into the segment): start = addr + SLOT * slot;
        //> // std::ptr::copy_nonoverlapping the note there, std::ptr::write_bytes NULs
        //> // after it to the end of the slot.
        //> let _ = (slot, note);
        //> todo!("pin")
        // lab:solution
        check(slot)?;
        if note.len() > SLOT {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a note of {} bytes; a slot holds {SLOT}", note.len()),
            ));
        }
        // SAFETY: slot < SLOTS, so the SLOT bytes at SLOT * slot lie inside the SIZE-byte
        // segment, attached while `self` lives; the note does not overlap the segment.
        unsafe {
            let start = self.addr.as_ptr().add(SLOT * slot);
            std::ptr::copy_nonoverlapping(note.as_ptr(), start, note.len());
            std::ptr::write_bytes(start.add(note.len()), 0, SLOT - note.len());
        }
        Ok(())
        // lab:end
    }

    /// The note in slot `slot`, copied out: its bytes up to the first NUL, at most SLOT.
    pub fn note(&self, slot: usize) -> io::Result<Vec<u8>> {
        //> // TODO: check(slot)?; copy the slot's SLOT bytes into a Vec of your own
        //> // (copy_nonoverlapping), then cut it at the first NUL.
        //> let _ = slot;
        //> todo!("note")
        // lab:solution
        check(slot)?;
        let mut copy = vec![0u8; SLOT];
        // SAFETY: as in pin; `copy` has room for SLOT bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.addr.as_ptr().add(SLOT * slot),
                copy.as_mut_ptr(),
                SLOT,
            );
        }
        let end = copy.iter().position(|&b| b == 0).unwrap_or(SLOT);
        copy.truncate(end);
        Ok(copy)
        // lab:end
    }

    /// How many processes have the board attached now (this one included): the
    /// `shm_nattch` of shmctl(IPC_STAT), the `nattch` column of `ipcs -m`.
    pub fn attached(&self) -> io::Result<u64> {
        //> // TODO: a zeroed libc::shmid_ds (unsafe { std::mem::zeroed() }), then
        //> // shmctl(self.shmid, IPC_STAT, &raw mut ds); -1 is an error; ds.shm_nattch.
        //> todo!("attached")
        // lab:solution
        // SAFETY: shmid_ds is a plain C struct; all zeros is a valid value.
        let mut ds: libc::shmid_ds = unsafe { std::mem::zeroed() };
        // SAFETY: IPC_STAT writes one shmid_ds into the pointer given.
        if unsafe { libc::shmctl(self.shmid, libc::IPC_STAT, &raw mut ds) } == -1 {
            return Err(last_error("shmctl"));
        }
        Ok(ds.shm_nattch as u64)
        // lab:end
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
