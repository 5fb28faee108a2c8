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
    //> // TODO: call w.write(...) until every byte is written (not write_all: that is the
    //> // loop you are writing). Retry Interrupted; a write of 0 bytes is a WriteZero error.
    //> let _ = (w, buf);
    //> todo!("send_all")
    // lab:solution
    let mut rest = buf;
    while !rest.is_empty() {
        match w.write(rest) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "write accepted 0 bytes",
                ));
            }
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
    // lab:end
}
// ANCHOR_END: send_all

/// Reads exactly `n` bytes with repeated `read` calls, and not one byte more.
///
/// `Interrupted` is retried. If the stream ends first, the error has kind
/// `UnexpectedEof`.
pub fn recv_exact(r: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    //> // TODO: call r.read(...) until n bytes have come (not read_exact). Retry
    //> // Interrupted; an end of stream (read returns 0) before n bytes is UnexpectedEof.
    //> let _ = (r, n);
    //> todo!("recv_exact")
    // lab:solution
    let mut buf = vec![0u8; n];
    let mut filled = 0;
    while filled < n {
        match r.read(&mut buf[filled..]) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the stream ended after {filled} of {n} bytes"),
                ));
            }
            Ok(got) => filled += got,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(buf)
    // lab:end
}

/// Reads one line, up to and including its `\n`, of at most `max` bytes (newline
/// included).
///
/// Returns `Ok(None)` when the stream ends before a line starts. A stream that ends in
/// the middle of a line is an `UnexpectedEof` error; a line longer than `max` is an
/// `InvalidData` error, raised as soon as `max` bytes have come without a newline (the
/// rest is never read).
pub fn read_line(r: &mut impl BufRead, max: usize) -> io::Result<Option<Vec<u8>>> {
    //> // TODO: take bytes from r.fill_buf() and mark them used with r.consume(..), until a
    //> // newline or `max` bytes. Never consume bytes past the newline: they belong to the
    //> // next line.
    //> let _ = (r, max);
    //> todo!("read_line")
    // lab:solution
    let mut line = Vec::new();
    loop {
        let available = match r.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return if line.is_empty() {
                Ok(None)
            } else {
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the stream ended in the middle of a line",
                ))
            };
        }
        let room = max - line.len();
        let newline = available.iter().position(|b| *b == b'\n');
        let take = match newline {
            Some(i) if i < room => i + 1,
            _ => available.len().min(room),
        };
        line.extend_from_slice(&available[..take]);
        r.consume(take);
        if line.ends_with(b"\n") {
            return Ok(Some(line));
        }
        if line.len() >= max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("no newline within {max} bytes"),
            ));
        }
    }
    // lab:end
}
// ANCHOR_END: exercise
