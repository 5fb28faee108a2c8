//! What kirk and spock share: the key that names their System V queue, and the message
//! they pass. (The POSIX pair needs neither: a POSIX queue has a name, `/mq_test`.)

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use netkit::Fatal;

/// The file Beej's kirk.c and spock.c give ftok(): their own source file.
pub const KEY_FILE: &str = "kirk.c";
/// The project id they give ftok().
pub const PROJ: char = 'B';
/// Beej's `char mtext[200]`.
pub const MTEXT: usize = 200;

// ANCHOR: ftok
/// ftok(path, proj): a System V key made from a file's identity (its device and inode
/// numbers) and one byte. Two programs that name the same existing file and the same byte
/// get the same key, so they find the same queue, semaphore set or segment.
pub fn key(path: &Path, proj: char) -> netkit::Result<libc::key_t> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| Fatal::new("a path with a NUL byte in it"))?;
    // SAFETY: ftok reads the NUL-terminated path and touches nothing else.
    let key = unsafe { libc::ftok(c_path.as_ptr(), proj as libc::c_int) };
    if key == -1 {
        let err = io::Error::last_os_error();
        return Err(Fatal::new(format!(
            "cannot make a key from {}: {err}; ftok needs a file that exists \
             (create it with `touch {}`, or pass --key-file)",
            path.display(),
            path.display()
        )));
    }
    Ok(key)
}
// ANCHOR_END: ftok

// ANCHOR: msgbuf
/// struct my_msgbuf { long mtype; char mtext[200]; }: a System V message is a
/// `long` type (greater than 0) and then the bytes, laid out as C lays them out.
#[repr(C)]
pub struct MsgBuf {
    pub mtype: libc::c_long,
    pub mtext: [u8; MTEXT],
}
// ANCHOR_END: msgbuf

impl MsgBuf {
    /// A message of type 1 holding `text` and the NUL that ends a C string.
    pub fn new(text: &[u8]) -> MsgBuf {
        assert!(text.len() < MTEXT, "at most {} bytes of text", MTEXT - 1);
        let mut buf = MsgBuf {
            mtype: 1,
            mtext: [0; MTEXT],
        };
        buf.mtext[..text.len()].copy_from_slice(text);
        buf
    }

    /// The text up to its first NUL, as C's printf("%s") would print it.
    pub fn text(&self, len: usize) -> &[u8] {
        let text = &self.mtext[..len.min(MTEXT)];
        let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
        &text[..end]
    }
}

/// A line cut into pieces that fit `mtext` with their NUL, as fgets() with a 200-byte
/// buffer would cut it. An empty line is one empty piece.
pub fn pieces(line: &[u8]) -> Vec<&[u8]> {
    if line.is_empty() {
        return vec![line];
    }
    line.chunks(MTEXT - 1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_stops_at_the_first_nul_as_printf_would() {
        let buf = MsgBuf::new(b"Hello");
        assert_eq!(buf.text(6), b"Hello");
        assert_eq!(buf.text(3), b"Hel");
    }

    #[test]
    fn a_long_line_is_cut_into_pieces_of_199_bytes() {
        let line = vec![b'x'; 450];
        let sizes: Vec<usize> = pieces(&line).iter().map(|p| p.len()).collect();
        assert_eq!(sizes, [199, 199, 52]);
        assert_eq!(pieces(b""), [b""]);
    }
}
