//! A log collector on a FIFO: any process that can open the FIFO writes lines into it
//! (`echo started >> log.fifo`), and the collector prints them, whole, whoever wrote
//! them. Opening the FIFO waits for a writer; read returns 0 once the last writer has
//! closed it; then the collector opens it again and waits for the next.

use std::fs::File;
use std::io::{self, Write};
//> #[allow(unused_imports)] // for your code
use std::io::{ErrorKind, Read};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use netkit::Fatal;
use nix::errno::Errno;
use nix::sys::stat::Mode;

/// mkfifo(path, 0666), unless a FIFO is already there; anything else at the path is an
/// error. (Given.)
pub fn make_fifo(path: &Path) -> Result<(), Fatal> {
    match nix::unistd::mkfifo(path, Mode::from_bits_truncate(0o666)) {
        Ok(()) => Ok(()),
        Err(Errno::EEXIST) if std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo()) => {
            Ok(())
        }
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

/// The FIFO opened for reading: waits until some process opens it for writing. (Given.)
pub fn open_for_reading(path: &Path) -> io::Result<File> {
    eprintln!("waiting for writers on {}", path.display());
    File::open(path)
}

// ANCHOR: exercise
/// Collects `sessions` sessions from the FIFO at `path` and returns how many lines it
/// wrote to `out`. A session starts when the first writer opens the FIFO and ends when
/// the last one has closed it (read returns 0); then the FIFO is opened again for the
/// next. Every line goes to `out` whole, tagged with its session's number (`2: text`,
/// the line's `\n` at the end), however the reads cut it; a last line without `\n` at
/// the end of a session gets one. After each session, one line on stderr:
/// `session N: M lines`.
pub fn collect(path: &Path, sessions: u32, out: &mut impl Write) -> io::Result<u64> {
    //> // TODO: for each session: open_for_reading(path); then read() into a buffer until
    //> // it returns 0 (retry ErrorKind::Interrupted). Keep what has not ended in '\n' yet
    //> // in a Vec<u8> (`pending`): append each read to it, write out every complete line
    //> // as "N: " and the line up to and with its '\n', and keep the rest for the next
    //> // read. At the end of the session, a non-empty `pending` is a last line: write it
    //> // (tagged) and a '\n'. Then eprintln!("session {n}: {m} lines"), flush `out`,
    //> // and go round again. Return the number of lines of all the sessions.
    //> let _ = (path, sessions, out);
    //> todo!("collect the lines")
    // lab:solution
    let mut total = 0;
    let mut buf = [0u8; 4096];
    for session in 1..=sessions {
        // open(2) blocks until a writer comes.
        let mut fifo = open_for_reading(path)?;
        let mut pending: Vec<u8> = Vec::new();
        let mut lines = 0u64;
        loop {
            let n = match fifo.read(&mut buf) {
                // Every write end is closed: the session is over.
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            pending.extend_from_slice(&buf[..n]);
            // Write every complete line, tagged; keep the unfinished rest for later.
            while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                write!(out, "{session}: ")?;
                out.write_all(&line)?;
                lines += 1;
            }
            out.flush()?;
        }
        if !pending.is_empty() {
            write!(out, "{session}: ")?;
            out.write_all(&pending)?;
            out.write_all(b"\n")?;
            lines += 1;
        }
        out.flush()?;
        eprintln!("session {session}: {lines} lines");
        total += lines;
        // `fifo` is closed here; the next open waits for the next writer.
    }
    Ok(total)
    // lab:end
}
// ANCHOR_END: exercise
