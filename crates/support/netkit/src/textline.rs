//! Reading a text protocol one line at a time, with a bound on the line's length.
//!
//! `BufRead::read_until(b'\n')` keeps reading until it finds a newline, however
//! many bytes that takes: a peer that never sends one fills the server's memory.
//! Text protocols put a limit on a line (SMTP 1000 bytes, IRC 512); [`read_line`]
//! enforces it.

use std::io::{self, BufRead};

/// What [`read_line`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Line {
    /// A line ended by `\n` (the `\n`, and a `\r` before it, are not kept).
    Complete,
    /// The peer closed after some bytes that no `\n` ended; they are in the buffer.
    Unterminated,
    /// The line was longer than the limit. Everything up to its `\n` was read and
    /// thrown away, so the next call starts on the next line; the buffer is empty.
    TooLong,
    /// The peer closed the connection (or the input ended) at the start of a line.
    End,
}

// The signature is wrapped by hand to fit the book's code width (rustfmt would join it).
#[rustfmt::skip]
// ANCHOR: read_line
/// Reads one line into `line` (cleared first), keeping at most `max` bytes of it.
pub fn read_line(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> io::Result<Line> {
    line.clear();
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            // End of the stream.
            too_long |= line.len() > max;
            if too_long {
                line.clear();
            }
            return Ok(match (too_long, line.is_empty()) {
                (true, _) => Line::TooLong,
                (false, true) => Line::End,
                (false, false) => Line::Unterminated,
            });
        }
        let newline = available.iter().position(|&b| b == b'\n');
        let (chunk, found_newline) = match newline {
            Some(at) => (&available[..at], true),
            None => (available, false),
        };
        // One byte of room more than `max`: for a '\r' before the '\n'.
        if !too_long && line.len() + chunk.len() <= max + 1 {
            line.extend_from_slice(chunk);
        } else {
            // Over the limit: stop keeping bytes, but go on reading to the newline.
            too_long = true;
            line.clear();
        }
        let used = chunk.len() + usize::from(found_newline);
        reader.consume(used);
        if found_newline {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            if too_long || line.len() > max {
                line.clear();
                return Ok(Line::TooLong);
            }
            return Ok(Line::Complete);
        }
    }
}
// ANCHOR_END: read_line

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufReader;

    fn all_lines(input: &[u8], max: usize, buffer: usize) -> Vec<(Line, Vec<u8>)> {
        let mut reader = BufReader::with_capacity(buffer, input);
        let mut line = Vec::new();
        let mut out = Vec::new();
        for _ in 0..100 {
            let kind = read_line(&mut reader, &mut line, max).unwrap();
            out.push((kind, line.clone()));
            if matches!(kind, Line::End | Line::Unterminated) {
                break;
            }
        }
        out
    }

    #[test]
    fn lines_end_at_lf_or_crlf_and_the_end_is_reported() {
        for buffer in [1, 2, 3, 64] {
            assert_eq!(
                all_lines(b"one\r\ntwo\n\nthree", 10, buffer),
                vec![
                    (Line::Complete, b"one".to_vec()),
                    (Line::Complete, b"two".to_vec()),
                    (Line::Complete, b"".to_vec()),
                    (Line::Unterminated, b"three".to_vec()),
                ],
                "buffer of {buffer}"
            );
        }
    }

    #[test]
    fn a_line_over_the_limit_is_skipped_whole_and_the_next_one_is_read() {
        for buffer in [1, 4, 64] {
            assert_eq!(
                all_lines(b"12345\n123456\nok\n", 5, buffer),
                vec![
                    (Line::Complete, b"12345".to_vec()),
                    (Line::TooLong, b"".to_vec()),
                    (Line::Complete, b"ok".to_vec()),
                    (Line::End, b"".to_vec()),
                ],
                "buffer of {buffer}"
            );
        }
    }

    #[test]
    fn a_line_of_the_limit_may_end_in_crlf_but_not_one_byte_longer() {
        for buffer in [1, 2, 3, 6, 7, 64] {
            assert_eq!(
                all_lines(b"12345\r\n123456\r\n12345\r\r\nok", 5, buffer),
                vec![
                    (Line::Complete, b"12345".to_vec()),
                    (Line::TooLong, b"".to_vec()),
                    (Line::TooLong, b"".to_vec()),
                    (Line::Unterminated, b"ok".to_vec()),
                ],
                "buffer of {buffer}"
            );
            // Cut short by the end of the stream, the line still has the limit.
            assert_eq!(
                all_lines(b"123456", 5, buffer),
                vec![(Line::TooLong, b"".to_vec()), (Line::End, b"".to_vec())],
                "buffer of {buffer}"
            );
        }
    }

    #[test]
    fn an_endless_line_is_too_long_at_the_end_of_the_stream() {
        let endless = vec![b'x'; 100_000];
        assert_eq!(all_lines(&endless, 512, 4096)[0], (Line::TooLong, vec![]));
    }

    #[test]
    fn skipping_an_endless_line_keeps_no_more_than_the_limit_in_memory() {
        // The line is thrown away as it arrives: the caller's buffer never holds more than
        // `max + 1` bytes, so its capacity stays below twice that (Vec at most doubles).
        let mut input = vec![b'x'; 100_000];
        input.extend_from_slice(b"\nnext\n");
        let mut reader = BufReader::with_capacity(4096, &input[..]);
        let mut line = Vec::new();
        assert_eq!(
            read_line(&mut reader, &mut line, 512).unwrap(),
            Line::TooLong
        );
        assert!(
            line.capacity() <= 2 * 513,
            "grew to {} bytes",
            line.capacity()
        );
        assert_eq!(
            read_line(&mut reader, &mut line, 512).unwrap(),
            Line::Complete
        );
        assert_eq!(line, b"next");
        // And when the stream ends inside the long line.
        let mut reader = BufReader::with_capacity(4096, &input[..100_000]);
        let mut line = Vec::new();
        assert_eq!(
            read_line(&mut reader, &mut line, 512).unwrap(),
            Line::TooLong
        );
        assert!(
            line.capacity() <= 2 * 513,
            "grew to {} bytes",
            line.capacity()
        );
    }

    #[test]
    fn an_unterminated_last_line_of_exactly_the_limit_is_kept() {
        for buffer in [1, 5, 64] {
            assert_eq!(
                all_lines(b"ok\n12345", 5, buffer),
                vec![
                    (Line::Complete, b"ok".to_vec()),
                    (Line::Unterminated, b"12345".to_vec()),
                ],
                "buffer of {buffer}"
            );
        }
    }

    /// A reader whose every other call fails: first with `error`, then with the bytes.
    struct Flaky<'a> {
        bytes: &'a [u8],
        error: io::ErrorKind,
        fail_next: bool,
    }

    impl io::Read for Flaky<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.fail_next = !self.fail_next;
            if !self.fail_next {
                return Err(self.error.into());
            }
            let n = buf.len().min(self.bytes.len()).min(2);
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_read_interrupted_by_a_signal_is_retried() {
        let flaky = Flaky {
            bytes: b"hello\n",
            error: io::ErrorKind::Interrupted,
            fail_next: false,
        };
        // BufReader passes each EINTR of the inner reader on to read_line.
        let mut reader = BufReader::with_capacity(4, flaky);
        let mut line = Vec::new();
        assert_eq!(
            read_line(&mut reader, &mut line, 10).unwrap(),
            Line::Complete
        );
        assert_eq!(line, b"hello");
        assert_eq!(read_line(&mut reader, &mut line, 10).unwrap(), Line::End);
    }

    #[test]
    fn other_read_errors_are_returned() {
        let flaky = Flaky {
            bytes: b"hello\n",
            error: io::ErrorKind::ConnectionReset,
            fail_next: false,
        };
        let mut reader = BufReader::with_capacity(4, flaky);
        let mut line = Vec::new();
        let err = read_line(&mut reader, &mut line, 10).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    }

    #[test]
    fn invalid_utf8_is_just_bytes() {
        assert_eq!(
            all_lines(b"\xff\xfe\x00\n", 10, 8)[0],
            (Line::Complete, b"\xff\xfe\x00".to_vec())
        );
    }
}
