//! Hidden: sixteen processes pinning random notes at once, checked byte by byte through
//! the test's own attachment; notes the test writes in C's layout (one of 64 bytes with
//! no NUL), read by yours; and two holders of a removed board.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use testkit::probe::Rng;
use testkit::{Running, run};

const BIN: &str = env!("CARGO_BIN_EXE_shm_board");
const SLOT: usize = 64;

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hboard-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Guard(libc::key_t);

impl Guard {
    fn new(dir: &Path) -> Guard {
        let path = CString::new(dir.as_os_str().as_bytes()).unwrap();
        // SAFETY: ftok reads the NUL-terminated path only.
        let key = unsafe { libc::ftok(path.as_ptr(), 'S' as libc::c_int) };
        assert_ne!(key, -1);
        Guard(key)
    }

    fn shmid(&self) -> Option<libc::c_int> {
        // SAFETY: shmget takes integers only.
        let id = unsafe { libc::shmget(self.0, 0, 0) };
        (id != -1).then_some(id)
    }

    fn nattch(id: libc::c_int) -> Option<u64> {
        // SAFETY: all zeros is a valid shmid_ds; IPC_STAT fills it.
        let mut ds: libc::shmid_ds = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        let rc = unsafe { libc::shmctl(id, libc::IPC_STAT, &raw mut ds) };
        (rc != -1).then_some(ds.shm_nattch as u64)
    }

    /// Runs `work` on the segment's bytes through an attachment of the test's own.
    fn with_segment<T>(&self, create: bool, work: impl FnOnce(*mut u8) -> T) -> T {
        let flags = if create { 0o644 | libc::IPC_CREAT } else { 0 };
        // SAFETY: shmget takes integers; shmat with a null address, checked for
        // (void *)-1; `work` stays inside the 1024 bytes; detached after.
        unsafe {
            let id = libc::shmget(self.0, 1024, flags);
            assert_ne!(id, -1, "shmget: {}", std::io::Error::last_os_error());
            let addr = libc::shmat(id, std::ptr::null(), 0);
            assert_ne!(addr as isize, -1, "shmat");
            let result = work(addr.cast());
            libc::shmdt(addr);
            result
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(id) = self.shmid() {
            // SAFETY: IPC_RMID takes no buffer.
            unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
        }
    }
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["--key-file", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = run(BIN, &all, b"");
    assert_eq!(out.code(), Some(0), "{all:?}: {out:?}");
    out.stdout
}

/// A note of 1 to 64 printable ASCII bytes (no NUL, no newline).
fn random_note(rng: &mut Rng) -> String {
    let len = if rng.chance(25) {
        SLOT
    } else {
        rng.range(1, SLOT)
    };
    (0..len)
        .map(|_| char::from(b' ' + (rng.u64() % 95) as u8))
        .collect()
}

#[test]
fn sixteen_processes_pin_random_notes_at_once_each_into_its_slot() {
    let dir = folder("sixteen");
    let guard = Guard::new(&dir);
    let mut rng = Rng::new(0x6e6f_7465);
    // The board exists first, so that no two processes race to make it.
    ok(&dir, &["pin", "0", ""]);
    let notes: Vec<String> = (0..16).map(|_| random_note(&mut rng)).collect();
    let children: Vec<_> = notes
        .iter()
        .enumerate()
        .map(|(slot, note)| {
            Command::new(BIN)
                .args([
                    "--key-file",
                    dir.to_str().unwrap(),
                    "pin",
                    &slot.to_string(),
                    note,
                ])
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let bytes = guard.with_segment(false, |addr| {
        let mut copy = vec![0u8; 1024];
        // SAFETY: 1024 bytes of the segment into a 1024-byte Vec.
        unsafe { std::ptr::copy_nonoverlapping(addr, copy.as_mut_ptr(), 1024) };
        copy
    });
    for (slot, note) in notes.iter().enumerate() {
        let mut expected = note.as_bytes().to_vec();
        expected.resize(SLOT, 0);
        assert_eq!(
            &bytes[slot * SLOT..(slot + 1) * SLOT],
            &expected[..],
            "slot {slot}"
        );
    }
    let shown: String = notes
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{i}: {n}\n"))
        .collect();
    assert_eq!(ok(&dir, &["show"]), format!("{shown}attached: 1\n"));
}

#[test]
fn notes_the_test_writes_in_the_segment_are_read_by_yours() {
    let dir = folder("cwriter");
    let guard = Guard::new(&dir);
    let mut rng = Rng::new(0x6377_7269);
    let mut notes = vec![String::new(); 16];
    for note in notes.iter_mut() {
        if rng.chance(60) {
            *note = random_note(&mut rng);
        }
    }
    // One full slot with no NUL, followed by a note: the reader must stop at 64 bytes.
    notes[6] = "F".repeat(SLOT);
    notes[7] = "next".into();
    guard.with_segment(true, |addr| {
        for (slot, note) in notes.iter().enumerate() {
            // SAFETY: each note fits its 64-byte slot inside the 1024 bytes.
            unsafe {
                let start = addr.add(slot * SLOT);
                std::ptr::write_bytes(start, 0, SLOT);
                std::ptr::copy_nonoverlapping(note.as_ptr(), start, note.len());
            }
        }
    });
    let shown: String = notes
        .iter()
        .enumerate()
        .filter(|(_, n)| !n.is_empty())
        .map(|(i, n)| format!("{i}: {n}\n"))
        .collect();
    assert_eq!(ok(&dir, &["show"]), format!("{shown}attached: 1\n"));
}

#[test]
fn two_holders_keep_a_removed_board_until_both_detach() {
    let dir = folder("holders");
    let guard = Guard::new(&dir);
    ok(&dir, &["pin", "9", "old board"]);
    let id = guard.shmid().unwrap();
    let mut holders: Vec<Running> = (0..2)
        .map(|_| {
            let mut command = Command::new(BIN);
            command.args(["--key-file", dir.to_str().unwrap(), "hold"]);
            let holder = Running::spawn(command);
            holder.expect_line(&format!("holding board {id}"));
            holder
        })
        .collect();
    assert_eq!(ok(&dir, &["show"]), "9: old board\nattached: 3\n");
    ok(&dir, &["remove"]);
    assert_eq!(Guard::nattch(id), Some(2));
    // The key is free: the next pin makes a new, empty board.
    let out = ok(&dir, &["pin", "2", "new board"]);
    let new_id = guard.shmid().expect("pin after remove made no board");
    assert_ne!(new_id, id, "{out}");
    assert_eq!(ok(&dir, &["show"]), "2: new board\nattached: 1\n");
    holders[0].close_stdin();
    assert_eq!(holders[0].wait_for_exit().code(), Some(0));
    assert_eq!(Guard::nattch(id), Some(1));
    holders[1].close_stdin();
    assert_eq!(holders[1].wait_for_exit().code(), Some(0));
    assert_eq!(Guard::nattch(id), None, "the old board should be gone");
}
