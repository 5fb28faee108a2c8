//! Hidden: random sizes, the exact limit, a line cut by the end of the stream, and the
//! bytes after a line left for the next read.

use std::io::{self, BufRead, BufReader, Cursor, Read, Write};

use testkit::{noise, show};
use wire::{read_line, recv_exact, send_all};

/// A reader that hands out at most `step` bytes per read, interrupted now and then.
struct Dribble {
    data: Cursor<Vec<u8>>,
    step: usize,
    calls: usize,
}

impl Read for Dribble {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(4) {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = buf.len().min(self.step);
        self.data.read(&mut buf[..n])
    }
}

struct Writer(Vec<u8>, usize);

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.1 += 1;
        if self.1.is_multiple_of(5) {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = buf.len().min(self.1 % 7 + 1);
        self.0.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn random_messages_survive_both_loops() {
    for seed in 1..20u64 {
        let message = noise(1 + (seed as usize * 997) % 5000, seed);
        let mut w = Writer(Vec::new(), 0);
        send_all(&mut w, &message).unwrap();
        assert!(
            w.0 == message,
            "send_all garbled a {}-byte message",
            message.len()
        );
        let mut r = Dribble {
            data: Cursor::new(message.clone()),
            step: 1 + seed as usize % 5,
            calls: 0,
        };
        let split = message.len() / 3;
        let a = recv_exact(&mut r, split).unwrap();
        let b = recv_exact(&mut r, message.len() - split).unwrap();
        assert!(
            [a, b].concat() == message,
            "recv_exact lost or repeated bytes"
        );
        assert_eq!(recv_exact(&mut r, 0).unwrap(), Vec::<u8>::new());
    }
}

#[test]
fn a_line_of_exactly_the_limit_is_fine_and_one_more_byte_is_not() {
    let mut r = BufReader::new(Cursor::new(b"1234567\nabcdefgh\n".to_vec()));
    assert_eq!(
        read_line(&mut r, 8).unwrap().as_deref().map(show),
        Some(show(b"1234567\n"))
    );
    let err = read_line(&mut r, 8).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
}

#[test]
fn the_end_of_the_stream_inside_a_line_is_an_error() {
    let mut r = BufReader::new(Cursor::new(b"whole\nhalf".to_vec()));
    assert!(read_line(&mut r, 100).unwrap().is_some());
    let err = read_line(&mut r, 100).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
}

#[test]
fn bytes_after_the_newline_stay_in_the_buffer() {
    let mut r = BufReader::with_capacity(64, Cursor::new(b"one\r\nBINARY\x00\xff".to_vec()));
    assert_eq!(read_line(&mut r, 100).unwrap().unwrap(), b"one\r\n");
    let rest = r.fill_buf().unwrap().to_vec();
    assert_eq!(
        show(&rest),
        show(b"BINARY\x00\xff"),
        "read_line consumed bytes of the next message"
    );
}

#[test]
fn many_random_lines_over_a_dribbling_reader() {
    let mut text = Vec::new();
    let mut lines = Vec::new();
    for (i, chunk) in noise(3000, 99).chunks(37).enumerate() {
        let mut line: Vec<u8> = chunk
            .iter()
            .map(|b| b'a' + b % 26)
            .take(1 + i % 37)
            .collect();
        line.push(b'\n');
        text.extend_from_slice(&line);
        lines.push(line);
    }
    let mut r = BufReader::with_capacity(
        16,
        Dribble {
            data: Cursor::new(text),
            step: 3,
            calls: 0,
        },
    );
    for line in &lines {
        assert_eq!(read_line(&mut r, 64).unwrap().as_ref(), Some(line));
    }
    assert_eq!(read_line(&mut r, 64).unwrap(), None);
}
