//! shmdemo against its Rust twin and a C shmdemo in both roles: one run writes, a later
//! run (of either) reads. Every segment a test makes is removed when the test ends, pass or
//! fail, so `ipcs -m` stays empty.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::{Finished, compile_c, run_command};

const SHMDEMO: &str = env!("CARGO_BIN_EXE_shmdemo");

fn c_shmdemo() -> String {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/shmdemo.c");
    compile_c(&source, env!("CARGO_TARGET_TMPDIR"))
        .to_string_lossy()
        .into_owned()
}

/// A fresh folder holding an empty `shmdemo.c`, the file ftok() is given.
fn folder(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("shm-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("shmdemo.c"), b"").unwrap();
    dir
}

// ANCHOR: guard
/// The segment of `dir/shmdemo.c`, removed when the guard is dropped.
struct SegmentGuard(libc::key_t);

impl SegmentGuard {
    fn for_folder(dir: &Path) -> SegmentGuard {
        let path = CString::new(dir.join("shmdemo.c").as_os_str().as_bytes()).unwrap();
        // SAFETY: ftok reads the NUL-terminated path only.
        let key = unsafe { libc::ftok(path.as_ptr(), 'R' as libc::c_int) };
        assert_ne!(key, -1, "ftok");
        SegmentGuard(key)
    }

    fn shmid(&self) -> Option<libc::c_int> {
        // SAFETY: shmget takes integers only; size 0 finds an existing segment.
        let id = unsafe { libc::shmget(self.0, 0, 0) };
        (id != -1).then_some(id)
    }

    /// shm_nattch: how many processes have the segment attached right now.
    fn attached(&self) -> u64 {
        // SAFETY: shmid_ds is a plain C struct; all zeros is a valid value.
        let mut ds: libc::shmid_ds = unsafe { std::mem::zeroed() };
        let id = self.shmid().expect("the segment exists");
        // SAFETY: IPC_STAT writes one shmid_ds into the pointer given.
        assert_eq!(unsafe { libc::shmctl(id, libc::IPC_STAT, &mut ds) }, 0);
        ds.shm_nattch as u64
    }
}

impl Drop for SegmentGuard {
    fn drop(&mut self) {
        if let Some(id) = self.shmid() {
            // SAFETY: IPC_RMID takes no buffer.
            unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
        }
    }
}
// ANCHOR_END: guard

fn shmdemo(bin: &str, dir: &Path, args: &[&str]) -> Finished {
    let mut command = Command::new(bin);
    command.args(args).current_dir(dir);
    let out = run_command(command, b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    out
}

/// `writer` writes, `reader` reads it back in a later process; then a shorter text.
fn hand_over(writer: &str, reader: &str, name: &str) {
    let dir = folder(name);
    let segment = SegmentGuard::for_folder(&dir);
    let out = shmdemo(writer, &dir, &["Live long and prosper"]);
    assert_eq!(
        out.stdout,
        "writing to segment: \"Live long and prosper\"\n"
    );
    // The writer has exited: nobody is attached, and the bytes are still there.
    assert_eq!(segment.attached(), 0);
    let out = shmdemo(reader, &dir, &[]);
    assert_eq!(out.stdout, "segment contains: \"Live long and prosper\"\n");
    shmdemo(writer, &dir, &["shorter"]);
    let out = shmdemo(reader, &dir, &[]);
    assert_eq!(out.stdout, "segment contains: \"shorter\"\n");
}

// ANCHOR: hand_over
#[test]
fn our_shmdemo_reads_what_ours_wrote() {
    hand_over(SHMDEMO, SHMDEMO, "twins");
}

#[test]
fn a_c_shmdemo_reads_what_ours_wrote() {
    hand_over(SHMDEMO, &c_shmdemo(), "c-reads");
}

#[test]
fn ours_reads_what_a_c_shmdemo_wrote() {
    hand_over(&c_shmdemo(), SHMDEMO, "c-writes");
}
// ANCHOR_END: hand_over

#[test]
fn a_text_longer_than_the_segment_is_cut_at_1024_bytes() {
    let dir = folder("long");
    let _segment = SegmentGuard::for_folder(&dir);
    let long = "y".repeat(1500);
    shmdemo(SHMDEMO, &dir, &[&long]);
    let ours = shmdemo(SHMDEMO, &dir, &[]);
    assert_eq!(
        ours.stdout,
        format!("segment contains: \"{}\"\n", &long[..1024])
    );
    let theirs = shmdemo(&c_shmdemo(), &dir, &[]);
    assert_eq!(theirs.stdout, ours.stdout);
}

#[test]
fn remove_takes_the_segment_away() {
    let dir = folder("remove");
    let segment = SegmentGuard::for_folder(&dir);
    shmdemo(SHMDEMO, &dir, &["gone soon"]);
    let id = segment.shmid().unwrap();
    let out = shmdemo(SHMDEMO, &dir, &["--remove"]);
    assert_eq!(out.stdout, format!("shmdemo: removed segment {id}\n"));
    assert!(segment.shmid().is_none());
    // The next run makes a new, empty one.
    let out = shmdemo(SHMDEMO, &dir, &[]);
    assert_eq!(out.stdout, "segment contains: \"\"\n");
}
