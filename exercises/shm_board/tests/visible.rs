//! shm_board as a black box: notes handed from one process to the next through the
//! segment, the segment's bytes as the test sees them through its own attachment, and a
//! board removed while a process still has it attached.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::{Running, run};

const BIN: &str = env!("CARGO_BIN_EXE_shm_board");

/// A fresh folder; its path names the board (ftok(folder, 'S')).
fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("board-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The board of a folder, as the test sees it; removed when dropped.
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

    /// The segment's size and nattch (IPC_STAT), or None if there is no such segment.
    fn stat(id: libc::c_int) -> Option<(usize, u64)> {
        // SAFETY: all zeros is a valid shmid_ds; IPC_STAT fills it.
        let mut ds: libc::shmid_ds = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        let rc = unsafe { libc::shmctl(id, libc::IPC_STAT, &raw mut ds) };
        (rc != -1).then_some((ds.shm_segsz, ds.shm_nattch as u64))
    }

    /// The segment's 1024 bytes, through an attachment of the test's own.
    fn bytes(&self) -> Vec<u8> {
        let id = self.shmid().expect("no segment for this key");
        // SAFETY: shmat with a null address; checked for (void *)-1; 1024 bytes copied
        // out of a 1024-byte segment; detached after.
        unsafe {
            let addr = libc::shmat(id, std::ptr::null(), libc::SHM_RDONLY);
            assert_ne!(addr as isize, -1, "shmat");
            let mut copy = vec![0u8; 1024];
            std::ptr::copy_nonoverlapping(addr.cast::<u8>(), copy.as_mut_ptr(), 1024);
            libc::shmdt(addr);
            copy
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

fn board(dir: &Path, args: &[&str]) -> testkit::Finished {
    let mut all = vec!["--key-file", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    run(BIN, &all, b"")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let out = board(dir, args);
    assert_eq!(out.code(), Some(0), "{args:?}: {out:?}");
    out.stdout
}

#[test]
fn a_note_outlives_the_process_that_pinned_it() {
    let dir = folder("outlives");
    let guard = Guard::new(&dir);
    let out = ok(&dir, &["pin", "3", "back at 5"]);
    let id = guard.shmid().expect("pin made no segment for the key file");
    assert_eq!(out, format!("pinned to slot 3 of board {id}\n"));
    assert_eq!(
        Guard::stat(id),
        Some((1024, 0)),
        "between runs the segment should be there, 1024 bytes, with nobody attached"
    );
    ok(&dir, &["pin", "0", "Live long and prosper"]);
    assert_eq!(
        ok(&dir, &["show"]),
        "0: Live long and prosper\n3: back at 5\nattached: 1\n"
    );
}

#[test]
fn a_slot_is_its_note_then_nuls_at_its_offset() {
    let dir = folder("layout");
    let guard = Guard::new(&dir);
    ok(&dir, &["pin", "5", "a long note that will be overwritten"]);
    ok(&dir, &["pin", "5", "short"]);
    let bytes = guard.bytes();
    let mut slot = b"short".to_vec();
    slot.resize(64, 0);
    assert_eq!(
        &bytes[5 * 64..6 * 64],
        &slot[..],
        "slot 5 is the 64 bytes at offset 320"
    );
    assert!(
        bytes[..5 * 64]
            .iter()
            .chain(&bytes[6 * 64..])
            .all(|&b| b == 0)
    );
    assert_eq!(ok(&dir, &["show"]), "5: short\nattached: 1\n");
}

#[test]
fn a_board_removed_while_held_goes_when_the_holder_detaches() {
    let dir = folder("held");
    let guard = Guard::new(&dir);
    ok(&dir, &["pin", "1", "still here"]);
    let id = guard.shmid().unwrap();
    let mut command = Command::new(BIN);
    command.args(["--key-file", dir.to_str().unwrap(), "hold"]);
    let mut holder = Running::spawn(command);
    holder.expect_line(&format!("holding board {id}"));
    assert_eq!(ok(&dir, &["show"]), "1: still here\nattached: 2\n");
    assert_eq!(ok(&dir, &["remove"]), format!("removed board {id}\n"));
    assert!(
        guard.shmid().is_none(),
        "after IPC_RMID the key names no segment"
    );
    assert_eq!(
        Guard::stat(id).map(|s| s.1),
        Some(1),
        "the holder still has it attached"
    );
    holder.close_stdin();
    assert_eq!(holder.wait_for_exit().code(), Some(0));
    assert_eq!(
        Guard::stat(id),
        None,
        "the last process detached: the segment is gone"
    );
}

#[test]
fn mistakes_get_one_line_and_status_1() {
    let dir = folder("mistakes");
    let _guard = Guard::new(&dir);
    let out = board(&dir, &["show"]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("no board yet"), "{out:?}");
    let out = board(&dir, &["pin", "16", "x"]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("no slot 16"), "{out:?}");
    let out = board(&dir, &["pin", "0", &"x".repeat(65)]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("65 bytes"), "{out:?}");
}
