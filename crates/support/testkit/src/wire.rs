//! Conversations over a socket that explain themselves when they fail.
//!
//! A protocol test that only says `assertion failed: left == right` leaves the student
//! guessing. [`Conversation`] records every byte sent and received, and when an
//! expectation fails it shows what was expected, what arrived, and the whole exchange so
//! far, with invisible bytes (`\r`, `\n`, `\x00`) written out.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::PATIENCE;

/// Bytes written the way a test failure should show them: printable ASCII as it is,
/// everything else escaped (`\r`, `\n`, `\t`, `\\`, `\xNN`).
pub fn show(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// One side of a TCP conversation, recorded.
pub struct Conversation {
    stream: TcpStream,
    log: Vec<(bool, Vec<u8>)>,
    pending: Vec<u8>,
    /// Send one byte per `write`, with a short pause between them.
    pub trickle: bool,
}

impl Conversation {
    pub fn new(stream: TcpStream) -> Conversation {
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream.set_write_timeout(Some(PATIENCE)).unwrap();
        Conversation {
            stream,
            log: Vec::new(),
            pending: Vec::new(),
            trickle: false,
        }
    }

    /// The stream underneath (to shut down its write side, for instance).
    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Sends `bytes` (one at a time when `trickle` is set).
    pub fn send(&mut self, bytes: &[u8]) {
        self.log.push((true, bytes.to_vec()));
        let result = if self.trickle {
            bytes.iter().try_for_each(|b| {
                self.stream.write_all(&[*b])?;
                std::thread::sleep(Duration::from_millis(2));
                Ok(())
            })
        } else {
            self.stream.write_all(bytes)
        };
        if let Err(e) = result {
            self.fail(&format!("sending {:?} failed: {e}", show(bytes)));
        }
    }

    /// Reads until `expected.len()` bytes have arrived and checks they are `expected`.
    pub fn expect(&mut self, expected: &[u8]) {
        let got = self.take(expected.len(), |_| false);
        if got != expected {
            self.fail(&format!(
                "expected  \"{}\"\nreceived  \"{}\"",
                show(expected),
                show(&got)
            ));
        }
    }

    /// Reads one line (up to and including `\n`), at most `limit` bytes.
    pub fn line(&mut self, limit: usize) -> Vec<u8> {
        self.take(limit, |buf| buf.ends_with(b"\n"))
    }

    /// Reads until the peer closes; fails if more than `limit` bytes arrive first.
    pub fn rest(&mut self, limit: usize) -> Vec<u8> {
        let got = self.take(limit + 1, |_| false);
        if got.len() > limit {
            self.fail(&format!(
                "expected the peer to close after at most {limit} more bytes"
            ));
        }
        got
    }

    /// Checks that the peer closes the connection without sending anything more.
    pub fn expect_close(&mut self) {
        let got = self.take(1, |_| false);
        if !got.is_empty() {
            let more = self.take(256, |_| false);
            self.fail(&format!(
                "expected the connection to close, but received \"{}{}\"",
                show(&got),
                show(&more)
            ));
        }
    }

    /// Fails the test with `message` and the conversation so far.
    pub fn fail(&self, message: &str) -> ! {
        panic!("{message}\n{}", self.transcript());
    }

    /// The exchange so far: `> ` lines sent, `< ` lines received.
    pub fn transcript(&self) -> String {
        let mut out = String::from("conversation so far (> sent by the test, < received):\n");
        for (sent, bytes) in &self.log {
            let mark = if *sent { '>' } else { '<' };
            for piece in bytes.split_inclusive(|b| *b == b'\n') {
                if piece.len() > 200 {
                    let start = show(&piece[..200]);
                    out.push_str(&format!(
                        "  {mark} {start}... ({} bytes in all)\n",
                        piece.len()
                    ));
                } else {
                    out.push_str(&format!("  {mark} {}\n", show(piece)));
                }
            }
        }
        if self.log.is_empty() {
            out.push_str("  (nothing)\n");
        }
        out
    }

    /// Reads up to `want` bytes, stopping early at end of stream, on a timeout, or when
    /// `done` says the bytes so far are enough.
    fn take(&mut self, want: usize, done: impl Fn(&[u8]) -> bool) -> Vec<u8> {
        let deadline = Instant::now() + PATIENCE;
        let mut got = Vec::new();
        let mut problem = None;
        while got.len() < want && !done(&got) {
            if let Some(b) = (!self.pending.is_empty()).then(|| self.pending.remove(0)) {
                got.push(b);
                continue;
            }
            if Instant::now() >= deadline {
                problem = Some(format!("nothing more arrived within {PATIENCE:?}"));
                break;
            }
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    problem = Some(match e.kind() {
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                            format!("nothing more arrived within {PATIENCE:?}")
                        }
                        _ => format!("reading failed: {e}"),
                    });
                    break;
                }
            }
        }
        if !got.is_empty() {
            self.log.push((false, got.clone()));
        }
        if let Some(problem) = problem {
            self.fail(&format!(
                "{problem}; received \"{}\" before that",
                show(&got)
            ));
        }
        got
    }
}
