//! What semdemo and semrm share: the key of their semaphore set, and Beej's `initsem`,
//! which creates and initialises a set without a race.

use std::io;
use std::path::Path;
use std::thread;
use std::time::Duration;

use netkit::Fatal;

/// The file Beej's semdemo.c and semrm.c give ftok(): semdemo's source.
pub const KEY_FILE: &str = "semdemo.c";
/// The project id they give ftok().
pub const PROJ: char = 'J';
/// How many times (a second apart) a second process waits for the creator to finish.
const MAX_RETRIES: u32 = 10;

/// The key of the set: ftok(), as kirk and spock make theirs (see the msgqueue crate).
pub fn key(path: &Path, proj: char) -> netkit::Result<libc::key_t> {
    msgqueue::key(path, proj)
}

/// `errno` of the last failed call, as an error line naming the call.
pub fn os_error(call: &str) -> Fatal {
    Fatal::new(format!("{call}: {}", io::Error::last_os_error()))
}

// ANCHOR: semop
/// semop() on semaphore 0 of the set: add `delta` (-1 takes, +1 gives back).
/// Taking waits while the value is 0. With SEM_UNDO the kernel remembers the
/// change and reverses it if this process exits without doing so itself.
pub fn semop(semid: libc::c_int, delta: libc::c_short, flags: libc::c_int) -> io::Result<()> {
    let mut sb = libc::sembuf {
        sem_num: 0,
        sem_op: delta,
        sem_flg: flags as libc::c_short,
    };
    loop {
        // SAFETY: one live sembuf, and nsops = 1.
        if unsafe { libc::semop(semid, &mut sb, 1) } == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}
// ANCHOR_END: semop

// ANCHOR: initsem
/// Beej's initsem(): get the set of `nsems` semaphores for `key`, creating it
/// with every semaphore at 1 if it does not exist yet.
///
/// semget() creates a set with undefined values, and setting them is a second
/// call: between the two, another process could find the set and use it. So
/// the creator (the one whose IPC_EXCL succeeded) sets each value with a
/// semop(), which also stamps the set's `sem_otime`; everybody else waits
/// until `sem_otime` is no longer 0 before going on.
pub fn initsem(key: libc::key_t, nsems: libc::c_int) -> netkit::Result<libc::c_int> {
    // SAFETY: semget takes three integers.
    let semid = unsafe { libc::semget(key, nsems, libc::IPC_CREAT | libc::IPC_EXCL | 0o666) };
    if semid >= 0 {
        // We got it first: "free" every semaphore by adding 1 to its 0.
        for _ in 0..nsems {
            semop(semid, 1, 0).map_err(|e| Fatal::new(format!("semop: {e}")))?;
        }
        return Ok(semid);
    }
    if io::Error::last_os_error().raw_os_error() != Some(libc::EEXIST) {
        return Err(os_error("semget"));
    }
    // Someone else got it first: wait until they have initialised it.
    // SAFETY: semget takes three integers.
    let semid = unsafe { libc::semget(key, nsems, 0) };
    if semid < 0 {
        return Err(os_error("semget"));
    }
    for _ in 0..MAX_RETRIES {
        // SAFETY: semid_ds is a plain C struct; all zeros is a valid value.
        let mut ds: libc::semid_ds = unsafe { std::mem::zeroed() };
        // SAFETY: IPC_STAT writes one semid_ds into the pointer given.
        if unsafe { libc::semctl(semid, 0, libc::IPC_STAT, &raw mut ds) } == -1 {
            return Err(os_error("semctl"));
        }
        if ds.sem_otime != 0 {
            return Ok(semid);
        }
        thread::sleep(Duration::from_secs(1));
    }
    Err(Fatal::new(
        "the semaphore set exists but was never initialised; remove it with semrm",
    ))
}
// ANCHOR_END: initsem
