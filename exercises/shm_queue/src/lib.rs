//! A bounded queue of messages in System V shared memory, guarded by System V semaphores:
//! the producer/consumer problem, across processes.
//!
//! The segment holds a ring of `SLOTS` slots and two indices: `tail`, where the next
//! message goes, and `head`, where the next one is taken. Three semaphores keep it sound:
//!
//! | semaphore | starts at | means |
//! |---|---|---|
//! | `MUTEX` | 1 | the indices are free: whoever takes it (down) may touch them |
//! | `EMPTY` | `SLOTS` | how many slots are free: a producer takes one before writing |
//! | `FULL` | 0 | how many slots hold a message: a consumer takes one before reading |

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::NonNull;
use std::thread;
use std::time::Duration;

/// How many messages the queue holds at once.
pub const SLOTS: usize = 8;
/// The size of a slot: a 2-byte length, then the message.
pub const SLOT_SIZE: usize = 256;
/// The longest message a slot holds.
pub const MAX_MESSAGE: usize = SLOT_SIZE - 2;

/// The semaphores of the set, by number.
pub const MUTEX: u16 = 0;
pub const EMPTY: u16 = 1;
pub const FULL: u16 = 2;

/// The byte ftok() mixes into the key.
pub const PROJ: char = 'Q';

/// The segment's layout, as C would lay it out.
#[repr(C)]
struct Ring {
    head: u32,
    tail: u32,
    slots: [[u8; SLOT_SIZE]; SLOTS],
}

/// The queue: a segment attached to this process and a set of three semaphores. (Given.)
pub struct Queue {
    shmid: libc::c_int,
    semid: libc::c_int,
    ring: NonNull<Ring>,
}

fn last_error(call: &str) -> io::Error {
    let err = io::Error::last_os_error();
    io::Error::new(err.kind(), format!("{call}: {err}"))
}

impl Queue {
    /// The queue named by `key_file` (any existing file or folder: ftok(key_file, 'Q')),
    /// made and initialised by whoever comes first. (Given.)
    pub fn open(key_file: &Path) -> io::Result<Queue> {
        let path = CString::new(key_file.as_os_str().as_bytes())
            .map_err(|_| io::Error::other("a path with a NUL byte"))?;
        // SAFETY: ftok reads the NUL-terminated path only.
        let key = unsafe { libc::ftok(path.as_ptr(), PROJ as libc::c_int) };
        if key == -1 {
            return Err(last_error(&format!("ftok {}", key_file.display())));
        }
        // A new segment is all zeros: head = tail = 0, an empty ring.
        let size = std::mem::size_of::<Ring>();
        // SAFETY: shmget takes integers only.
        let shmid = unsafe { libc::shmget(key, size, 0o600 | libc::IPC_CREAT) };
        if shmid == -1 {
            return Err(last_error("shmget"));
        }
        let semid = Self::semaphores(key)?;
        // SAFETY: a null address lets the kernel choose; failure is (void *)-1.
        let addr = unsafe { libc::shmat(shmid, std::ptr::null(), 0) };
        if addr as isize == -1 {
            return Err(last_error("shmat"));
        }
        let ring = NonNull::new(addr.cast()).ok_or_else(|| io::Error::other("shmat: null"))?;
        Ok(Queue { shmid, semid, ring })
    }

    /// Beej's initsem for three semaphores: the creator sets EMPTY and FULL, then frees
    /// MUTEX with a semop (which stamps sem_otime); anyone else waits for that stamp.
    fn semaphores(key: libc::key_t) -> io::Result<libc::c_int> {
        // SAFETY: semget takes integers only.
        let semid = unsafe { libc::semget(key, 3, 0o600 | libc::IPC_CREAT | libc::IPC_EXCL) };
        if semid >= 0 {
            // SAFETY: SETVAL takes an int as its fourth argument.
            if unsafe {
                libc::semctl(
                    semid,
                    EMPTY as libc::c_int,
                    libc::SETVAL,
                    SLOTS as libc::c_int,
                )
            } == -1
            {
                return Err(last_error("semctl"));
            }
            // Without SEM_UNDO: this +1 must outlive the process that makes it.
            semop(semid, MUTEX, 1, 0)?;
            return Ok(semid);
        }
        if io::Error::last_os_error().raw_os_error() != Some(libc::EEXIST) {
            return Err(last_error("semget"));
        }
        // SAFETY: semget takes integers only.
        let semid = unsafe { libc::semget(key, 3, 0) };
        if semid == -1 {
            return Err(last_error("semget"));
        }
        for _ in 0..100 {
            // SAFETY: semid_ds is a plain C struct; all zeros is a valid value.
            let mut ds: libc::semid_ds = unsafe { std::mem::zeroed() };
            // SAFETY: IPC_STAT writes one semid_ds into the pointer given.
            if unsafe { libc::semctl(semid, 0, libc::IPC_STAT, &raw mut ds) } == -1 {
                return Err(last_error("semctl"));
            }
            if ds.sem_otime != 0 {
                return Ok(semid);
            }
            thread::sleep(Duration::from_millis(100));
        }
        Err(io::Error::other("the semaphores were never initialised"))
    }

    /// MUTEX is taken and given back with SEM_UNDO: a process that dies holding it
    /// gives it back. (The counts of EMPTY and FULL are messages, not a lock: no undo.)
    fn flags(which: u16) -> libc::c_int {
        if which == MUTEX { libc::SEM_UNDO } else { 0 }
    }

    /// P, wait, sem_wait: take one from semaphore `which`, waiting while it is 0. (Given.)
    pub fn down(&self, which: u16) -> io::Result<()> {
        semop(self.semid, which, -1, Self::flags(which))
    }

    /// V, signal, sem_post: give one back to semaphore `which`. (Given.)
    pub fn up(&self, which: u16) -> io::Result<()> {
        semop(self.semid, which, 1, Self::flags(which))
    }
}

/// The ring's indices and slots, for `put` and `take`. (Given.)
#[allow(dead_code)] // until your put and take use them
impl Queue {
    /// The index of the next slot to fill. Only while holding MUTEX.
    fn tail(&self) -> usize {
        // SAFETY: the ring is attached while `self` lives; a plain aligned u32 read.
        unsafe { (&raw const (*self.ring.as_ptr()).tail).read_volatile() as usize }
    }

    fn set_tail(&self, index: usize) {
        // SAFETY: as above, a write.
        unsafe { (&raw mut (*self.ring.as_ptr()).tail).write_volatile((index % SLOTS) as u32) }
    }

    /// The index of the next slot to take. Only while holding MUTEX.
    fn head(&self) -> usize {
        // SAFETY: as for tail().
        unsafe { (&raw const (*self.ring.as_ptr()).head).read_volatile() as usize }
    }

    fn set_head(&self, index: usize) {
        // SAFETY: as above, a write.
        unsafe { (&raw mut (*self.ring.as_ptr()).head).write_volatile((index % SLOTS) as u32) }
    }

    /// Copies `message` (at most MAX_MESSAGE bytes) into slot `index`.
    fn write_slot(&self, index: usize, message: &[u8]) {
        assert!(
            message.len() <= MAX_MESSAGE,
            "a message of at most {MAX_MESSAGE} bytes"
        );
        let len = (message.len() as u16).to_be_bytes();
        // SAFETY: the slot is SLOT_SIZE bytes inside the attached ring, index < SLOTS,
        // and 2 + message.len() <= SLOT_SIZE. Raw copies: another process may look at
        // the segment at any time, so no Rust reference into it is ever made.
        unsafe {
            let slot = (&raw mut (*self.ring.as_ptr()).slots[index % SLOTS]).cast::<u8>();
            std::ptr::copy_nonoverlapping(len.as_ptr(), slot, 2);
            std::ptr::copy_nonoverlapping(message.as_ptr(), slot.add(2), message.len());
        }
    }

    /// Copies the message out of slot `index`.
    fn read_slot(&self, index: usize) -> Vec<u8> {
        let mut len = [0u8; 2];
        // SAFETY: as in write_slot; the length is checked before the second copy.
        unsafe {
            let slot = (&raw const (*self.ring.as_ptr()).slots[index % SLOTS]).cast::<u8>();
            std::ptr::copy_nonoverlapping(slot, len.as_mut_ptr(), 2);
            let len = usize::from(u16::from_be_bytes(len)).min(MAX_MESSAGE);
            let mut message = vec![0u8; len];
            std::ptr::copy_nonoverlapping(slot.add(2), message.as_mut_ptr(), len);
            message
        }
    }
}

impl Queue {
    // ANCHOR: exercise
    /// Puts `message` (at most MAX_MESSAGE bytes) into the queue, waiting while the
    /// queue is full.
    pub fn put(&self, message: &[u8]) -> io::Result<()> {
        // TODO: take a free slot (down EMPTY: this waits while the queue is full),
        // then the indices (down MUTEX); write the message at tail() and move the
        // tail on by one (set_tail does the % SLOTS); give the indices back (up
        // MUTEX) and announce one more full slot (up FULL).
        let _ = message;
        todo!("put")
    }

    /// Takes the oldest message out of the queue, waiting while the queue is empty.
    pub fn take(&self) -> io::Result<Vec<u8>> {
        // TODO: the mirror image of put: down FULL, down MUTEX, read the slot at
        // head() and move the head on, up MUTEX, up EMPTY.
        todo!("take")
    }
    // ANCHOR_END: exercise

    /// Removes the segment and the semaphores from the system (IPC_RMID). (Given.)
    pub fn remove(&self) -> io::Result<()> {
        // SAFETY: IPC_RMID takes no buffer.
        if unsafe { libc::shmctl(self.shmid, libc::IPC_RMID, std::ptr::null_mut()) } == -1 {
            return Err(last_error("shmctl"));
        }
        // SAFETY: IPC_RMID takes no fourth argument.
        if unsafe { libc::semctl(self.semid, 0, libc::IPC_RMID) } == -1 {
            return Err(last_error("semctl"));
        }
        Ok(())
    }
}

/// semop(): add `delta` to semaphore `which` of set `semid`, waiting while that would take
/// it below 0; retried after a signal.
fn semop(semid: libc::c_int, which: u16, delta: i16, flags: libc::c_int) -> io::Result<()> {
    let mut op = libc::sembuf {
        sem_num: which,
        sem_op: delta,
        sem_flg: flags as libc::c_short,
    };
    loop {
        // SAFETY: one live sembuf, nsops = 1.
        if unsafe { libc::semop(semid, &mut op, 1) } == 0 {
            return Ok(());
        }
        let err = last_error("semop");
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

impl Drop for Queue {
    fn drop(&mut self) {
        // shmdt(): detach; the segment stays until remove().
        // SAFETY: `ring` is what shmat returned; nothing uses it after this.
        unsafe { libc::shmdt(self.ring.as_ptr().cast()) };
    }
}
