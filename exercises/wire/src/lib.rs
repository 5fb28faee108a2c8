//! The three loops under every socket program.
//!
//! `write` may take only part of what you give it, `read` may return only part of what
//! is on its way, and a line may arrive one byte at a time. These three functions are the
//! loops that make that invisible: `sendall` and "receive until complete" from the
//! lecture, and a line reader that refuses to grow without limit.

use std::io::{self, BufRead, Read, Write};

// ANCHOR: exercise
// ANCHOR: send_all
/// Writes every byte of `buf` with repeated `write` calls (Python's `sendall`).
///
/// A call interrupted by a signal (`ErrorKind::Interrupted`) is simply tried again. A
/// `write` that accepts 0 bytes would loop forever: that is an error of kind `WriteZero`.
pub fn send_all(w: &mut impl Write, buf: &[u8]) -> io::Result<()> {
    // TODO: call w.write(...) until every byte is written (not write_all: that is the
    // loop you are writing). Retry Interrupted; a write of 0 bytes is a WriteZero error.
    let _ = (w, buf);
    todo!("send_all")
}
// ANCHOR_END: send_all

/// Reads exactly `n` bytes with repeated `read` calls, and not one byte more.
///
/// `Interrupted` is retried. If the stream ends first, the error has kind
/// `UnexpectedEof`.
pub fn recv_exact(r: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    // TODO: call r.read(...) until n bytes have come (not read_exact). Retry
    // Interrupted; an end of stream (read returns 0) before n bytes is UnexpectedEof.
    let _ = (r, n);
    todo!("recv_exact")
}

/// Reads one line, up to and including its `\n`, of at most `max` bytes (newline
/// included).
///
/// Returns `Ok(None)` when the stream ends before a line starts. A stream that ends in
/// the middle of a line is an `UnexpectedEof` error; a line longer than `max` is an
/// `InvalidData` error, raised as soon as `max` bytes have come without a newline (the
/// rest is never read).
pub fn read_line(r: &mut impl BufRead, max: usize) -> io::Result<Option<Vec<u8>>> {
    // TODO: take bytes from r.fill_buf() and mark them used with r.consume(..), until a
    // newline or `max` bytes. Never consume bytes past the newline: they belong to the
    // next line.
    let _ = (r, max);
    todo!("read_line")
}
// ANCHOR_END: exercise
