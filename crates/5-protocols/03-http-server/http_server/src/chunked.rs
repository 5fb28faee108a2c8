//! A chunked request body (RFC 9112 §7.1), decoded as its bytes arrive, in any pieces.
//!
//! ```text
//! 5\r\n            chunk-size in hex (an extension `;name=value` may follow)
//! hello\r\n        chunk-data, then CRLF
//! 0\r\n            the last chunk has size 0
//! \r\n             (trailer fields, then) an empty line
//! ```
//!
//! The decoder keeps its place between calls, so a client that sends one byte at a time
//! costs one step per byte, never a new pass over everything received so far. Every part
//! is bounded: the body by `max_body` (413), a size line by [`MAX_LINE`] and the trailer
//! fields by [`MAX_TRAILER`]. Lines must end in CRLF: a lenient reading of chunk framing
//! is how two servers in a row come to disagree about where a request ends.

use crate::Status;

/// The longest chunk-size line accepted (size and extensions; the CRLF after them is not
/// counted).
pub const MAX_LINE: usize = 1024;
/// The longest trailer section accepted: its fields and the empty line that ends it, every
/// CRLF counted.
pub const MAX_TRAILER: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line.
    Size,
    /// Copying chunk data: this many bytes are still to come.
    Data(u64),
    /// After the data: expecting CR (false) or LF (true).
    DataEnd(bool),
    /// After the last chunk: reading trailer lines up to an empty one.
    Trailer,
    Done,
}

#[derive(Debug)]
pub struct Chunked {
    state: State,
    body: Vec<u8>,
    /// The current size or trailer line, without its line end.
    line: Vec<u8>,
    trailer_bytes: usize,
    max_body: u64,
}

impl Chunked {
    pub fn new(max_body: u64) -> Chunked {
        Chunked {
            state: State::Size,
            body: Vec::new(),
            line: Vec::new(),
            trailer_bytes: 0,
            max_body,
        }
    }

    /// Decodes as much of `input` as belongs to the body. Returns how many bytes it used
    /// and whether the body is complete; the bytes after a complete body are the next
    /// request's, and are left alone.
    pub fn feed(&mut self, input: &[u8]) -> Result<(usize, bool), Status> {
        let mut used = 0;
        while used < input.len() && self.state != State::Done {
            let rest = &input[used..];
            match self.state {
                State::Data(left) => {
                    let take = rest.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    self.body.extend_from_slice(&rest[..take]);
                    used += take;
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::DataEnd(false)
                    } else {
                        State::Data(left)
                    };
                }
                State::DataEnd(seen_cr) => {
                    let expected = if seen_cr { b'\n' } else { b'\r' };
                    if rest[0] != expected {
                        return Err(Status::BadRequest);
                    }
                    used += 1;
                    self.state = if seen_cr {
                        State::Size
                    } else {
                        State::DataEnd(true)
                    };
                }
                State::Size | State::Trailer => {
                    let Some(newline) = rest.iter().position(|&b| b == b'\n') else {
                        self.line.extend_from_slice(rest);
                        used += rest.len();
                        self.check_line_length()?;
                        break;
                    };
                    self.line.extend_from_slice(&rest[..newline]);
                    used += newline + 1;
                    self.check_line_length()?;
                    // CRLF only: a bare LF in the framing is refused.
                    if self.line.pop() != Some(b'\r') {
                        return Err(Status::BadRequest);
                    }
                    let line = std::mem::take(&mut self.line);
                    self.end_of_line(&line)?;
                }
                State::Done => unreachable!("the loop stops at Done"),
            }
        }
        Ok((used, self.state == State::Done))
    }

    /// How many body bytes were decoded so far.
    pub fn received(&self) -> usize {
        self.body.len()
    }

    /// The decoded body (complete once `feed` said so).
    pub fn into_body(self) -> Vec<u8> {
        self.body
    }

    /// `self.line` is the line so far, with the CR that ends it once it has arrived, but
    /// never the LF.
    fn check_line_length(&self) -> Result<(), Status> {
        match self.state {
            // One byte more than the limit: room for the CR.
            State::Size if self.line.len() > MAX_LINE + 1 => Err(Status::BadRequest),
            // The line with its LF (to come) after the lines before it.
            State::Trailer if self.trailer_bytes + self.line.len() + 1 > MAX_TRAILER => {
                Err(Status::HeadersTooLarge)
            }
            _ => Ok(()),
        }
    }

    fn end_of_line(&mut self, line: &[u8]) -> Result<(), Status> {
        if self.state == State::Trailer {
            if line.is_empty() {
                self.state = State::Done;
            } else if line.iter().any(|&b| b.is_ascii_control() && b != b'\t') {
                return Err(Status::BadRequest);
            } else {
                // Trailer fields are read and dropped (RFC 9110 §6.5.1 lets us).
                self.trailer_bytes += line.len() + 2;
            }
            return Ok(());
        }
        let size = chunk_size(line).ok_or(Status::BadRequest)?;
        if size == 0 {
            self.state = State::Trailer;
        } else if (self.body.len() as u64).saturating_add(size) > self.max_body {
            return Err(Status::PayloadTooLarge);
        } else {
            self.state = State::Data(size);
        }
        Ok(())
    }
}

/// The size in a chunk-size line: hex digits, then optionally `;` and extensions (ignored,
/// as RFC 9112 §7.1.1 allows), with optional spaces or tabs before the `;`.
fn chunk_size(line: &[u8]) -> Option<u64> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 16 {
        return None;
    }
    let rest = &line[digits..];
    let rest = &rest[rest
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count()..];
    if !rest.is_empty()
        && (rest[0] != b';' || rest.iter().any(|&b| b.is_ascii_control() && b != b'\t'))
    {
        return None;
    }
    let text = std::str::from_utf8(&line[..digits]).ok()?;
    u64::from_str_radix(text, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(input: &[u8], piece: usize) -> Result<(Vec<u8>, usize), Status> {
        let mut chunked = Chunked::new(1000);
        let mut at = 0;
        while at < input.len() {
            let end = (at + piece).min(input.len());
            let (used, done) = chunked.feed(&input[at..end])?;
            if done {
                return Ok((chunked.into_body(), at + used));
            }
            assert_eq!(used, end - at, "bytes before the end must all be used");
            at = end;
        }
        Err(Status::RequestTimeout) // incomplete
    }

    #[test]
    fn a_body_decodes_the_same_in_any_pieces() {
        let wire = b"4\r\nWiki\r\n5;ext=1\r\npedia\r\nE \t;a\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\nGET /next";
        for piece in [1, 2, 3, 7, 100] {
            let (body, used) = decode_in_pieces(wire, piece).unwrap();
            assert_eq!(body, b"Wikipedia in\r\n\r\nchunks.", "pieces of {piece}");
            assert_eq!(&wire[used..], b"GET /next", "pieces of {piece}");
        }
        let (body, used) = decode_in_pieces(b"000\r\n\r\n", 1).unwrap();
        assert_eq!((body.len(), used), (0, 7));
    }

    #[test]
    fn received_counts_the_body_bytes_decoded_so_far() {
        let mut chunked = Chunked::new(1000);
        assert_eq!(chunked.feed(b"5\r\nhel").unwrap(), (6, false));
        assert_eq!(chunked.received(), 3);
        assert_eq!(chunked.feed(b"lo\r\n3\r\nabc\r\n").unwrap(), (12, false));
        assert_eq!(chunked.received(), 8);
    }

    #[test]
    fn every_limit_holds_exactly_at_its_value() {
        let decode = |wire: &[u8], max_body: u64| {
            let mut chunked = Chunked::new(max_body);
            match chunked.feed(wire)? {
                (_, true) => Ok(chunked.into_body().len()),
                (_, false) => Err(Status::RequestTimeout),
            }
        };
        // A chunk-size line of MAX_LINE bytes (before its CRLF), and one byte more.
        let size_line = |len: usize| format!("1;{}\r\nx\r\n0\r\n\r\n", "e".repeat(len - 2));
        assert_eq!(decode(size_line(MAX_LINE).as_bytes(), 10), Ok(1));
        assert_eq!(
            decode(size_line(MAX_LINE + 1).as_bytes(), 10),
            Err(Status::BadRequest)
        );
        // A body of exactly max_body bytes, and one byte more.
        assert_eq!(decode(b"a\r\n0123456789\r\n0\r\n\r\n", 10), Ok(10));
        assert_eq!(
            decode(b"b\r\n0123456789a\r\n0\r\n\r\n", 10),
            Err(Status::PayloadTooLarge)
        );
        // A trailer section (fields, the empty line, CRLFs) of MAX_TRAILER bytes, and one
        // more; in two fields, so that the second is counted after the first.
        let trailers = |total: usize| {
            let first = format!("A: {}\r\n", "a".repeat(100));
            let second_len = total - first.len() - 2 - 2; // its CRLF, the empty line
            let second = format!("B: {}\r\n", "b".repeat(second_len - 3));
            format!("0\r\n{first}{second}\r\n")
        };
        assert_eq!(decode(trailers(MAX_TRAILER).as_bytes(), 10), Ok(0));
        assert_eq!(
            decode(trailers(MAX_TRAILER + 1).as_bytes(), 10),
            Err(Status::HeadersTooLarge)
        );
    }

    #[test]
    fn sizes_have_at_most_16_hex_digits_and_extensions_no_control_bytes() {
        let size = |line: &str| chunk_size(line.as_bytes());
        assert_eq!(size("000000000000000a"), Some(10));
        assert_eq!(size("ffffffffffffffff"), Some(u64::MAX));
        assert_eq!(size("0000000000000000a"), None); // 17 digits, even if the value fits
        assert_eq!(size("a;name=\"x\ty\""), Some(10)); // a tab is allowed
        assert_eq!(size("a;name=x\x01"), None);
        assert_eq!(size("a \t;ext"), Some(10));
        assert_eq!(size("a x"), None);
    }

    #[test]
    fn broken_framing_is_400_and_too_much_413() {
        for bad in [
            &b"x\r\n"[..],
            b"\r\n",
            b"5\nhello\r\n0\r\n\r\n",
            b"5\r\nhello\n0\r\n\r\n",
            b"5\r\nhelloX\r\n",
            b"5 x\r\n",
            b"-5\r\n",
            b"0x5\r\n",
            b"11111111111111111\r\n",
            b"0\r\nBad\x01Trailer\r\n\r\n",
            b"0\r\n\n",
        ] {
            assert_eq!(
                decode_in_pieces(bad, 3).map(|_| ()),
                Err(Status::BadRequest),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let long_line = format!("1;{}\r\n", "x".repeat(MAX_LINE));
        assert_eq!(
            decode_in_pieces(long_line.as_bytes(), 50).map(|_| ()),
            Err(Status::BadRequest)
        );
        assert_eq!(
            decode_in_pieces(b"3e9\r\n", 1).map(|_| ()),
            Err(Status::PayloadTooLarge)
        );
        let many = "1f4\r\n".to_owned() + &"a".repeat(500) + "\r\n";
        assert_eq!(
            decode_in_pieces(many.repeat(3).as_bytes(), 64).map(|_| ()),
            Err(Status::PayloadTooLarge)
        );
        let trailers = "0\r\n".to_owned() + &"X-T: y\r\n".repeat(2000);
        assert_eq!(
            decode_in_pieces(trailers.as_bytes(), 100).map(|_| ()),
            Err(Status::HeadersTooLarge)
        );
    }
}
