//! A counter in a file that many processes add to at once: read the number, add one,
//! write it back. Without a lock, two processes read the same number and one update is
//! lost; with an fcntl write lock around the read and the write, none is.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::time::Duration;

#[allow(unused_imports)] // for your code
use nix::fcntl::{FcntlArg, fcntl};

/// The counter's value in the file's text (`"41\n"`); an empty file is 0. (Given.)
pub fn parse(text: &str) -> io::Result<u64> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    text.parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, format!("not a count: {text:?}")))
}

/// Reads the whole file from its start. (Given.)
pub fn read_count(file: &mut File) -> io::Result<u64> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_string(&mut text)?;
    parse(&text)
}

/// Replaces the file's content with `count` and a newline. (Given.)
pub fn write_count(file: &mut File, count: u64) -> io::Result<()> {
    file.seek(SeekFrom::Start(0))?;
    file.set_len(0)?;
    file.write_all(format!("{count}\n").as_bytes())
}

/// struct flock for the whole file: from the start (SEEK_SET, 0), length 0 meaning "to
/// the end, however long it grows". `l_type` is F_RDLCK, F_WRLCK or F_UNLCK. (Given.)
pub fn whole_file(l_type: libc::c_int) -> libc::flock {
    libc::flock {
        l_type: l_type as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    }
}

// ANCHOR: exercise
/// Adds one to the counter in `file` (opened for reading and writing) and returns the new
/// value: take a write lock on the whole file, waiting for it (F_SETLKW); read, add one,
/// write; release the lock (F_UNLCK). `pause` is spent between the read and the write,
/// to make the window in which another process could slip in wide open.
pub fn add_one(file: &mut File, pause: Duration) -> io::Result<u64> {
    // TODO: fcntl(&*file, FcntlArg::F_SETLKW(&whole_file(libc::F_WRLCK))) waits for the
    // lock (retry Errno::EINTR). Then read_count, std::thread::sleep(pause),
    // write_count(count + 1). Then F_SETLK with whole_file(libc::F_UNLCK) releases it.
    // Release it even when the read or the write failed.
    let _ = (file, pause);
    todo!("add one under a lock")
}

/// Reads the counter under a read lock (F_RDLCK): never half-written, and any number of
/// readers at once.
pub fn read_locked(file: &mut File) -> io::Result<u64> {
    // TODO: the same with a read lock (F_RDLCK) around read_count, then F_UNLCK.
    let _ = file;
    todo!("read under a lock")
}
// ANCHOR_END: exercise
