//! What speak and tick share: making the FIFO, or finding the one already there.

use std::path::Path;

use netkit::Fatal;
use nix::errno::Errno;
use nix::sys::stat::Mode;

/// The FIFO's name in Beej's speak.c and tick.c, so that ours meet his by default.
pub const FIFO_NAME: &str = "american_maid";

// ANCHOR: mkfifo
/// mknod(FIFO_NAME, S_IFIFO | 0666, 0): a named pipe in the file system. If it is
/// already there (the other program made it), that is fine; if something else
/// has that name, that is an error.
pub fn make_fifo(path: &Path) -> netkit::Result<()> {
    match nix::unistd::mkfifo(path, Mode::from_bits_truncate(0o666)) {
        Ok(()) => Ok(()),
        Err(Errno::EEXIST) if is_fifo(path) => Ok(()),
        Err(Errno::EEXIST) => Err(Fatal::new(format!(
            "{} exists and is not a FIFO; remove it or pass --fifo",
            path.display()
        ))),
        Err(e) => Err(Fatal::new(format!(
            "mkfifo {}: {}",
            path.display(),
            e.desc()
        ))),
    }
}
// ANCHOR_END: mkfifo

fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}
