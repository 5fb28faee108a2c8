//! The three loops against writers and readers that do as little as the rules allow:
//! a writer that takes one to three bytes per call and is sometimes interrupted, and a
//! TCP peer that sends one byte at a time.

use std::io::{self, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use testkit::show;
use wire::{read_line, recv_exact, send_all};

/// A writer that accepts at most 3 bytes per call and fails every third call with
/// `Interrupted`, as a write interrupted by a signal does.
struct Stingy {
    got: Vec<u8>,
    calls: usize,
}

impl Write for Stingy {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(3) {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = buf.len().min(1 + self.calls % 3);
        self.got.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn write_all(&mut self, _: &[u8]) -> io::Result<()> {
        panic!("send_all must be written with write(), not write_all()")
    }
}

/// A TCP connection whose other end sends `bytes` one at a time, then closes.
fn trickle(bytes: &'static [u8]) -> TcpStream {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_nodelay(true).unwrap();
        for b in bytes {
            if conn.write_all(&[*b]).is_err() {
                return;
            }
            thread::sleep(Duration::from_millis(2));
        }
    });
    let stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

/// Forbids the library's own loop so that recv_exact has to be written with read().
struct NoShortcuts(TcpStream);

impl Read for NoShortcuts {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
    fn read_exact(&mut self, _: &mut [u8]) -> io::Result<()> {
        panic!("recv_exact must be written with read(), not read_exact()")
    }
}

#[test]
fn send_all_delivers_every_byte_through_a_stingy_writer() {
    let message = b"the quick brown fox jumps over the lazy dog\r\n".repeat(3);
    let mut w = Stingy {
        got: Vec::new(),
        calls: 0,
    };
    send_all(&mut w, &message).expect("send_all returned an error");
    assert_eq!(
        show(&w.got),
        show(&message),
        "the writer received the left side; it should have received the right side"
    );
}

#[test]
fn send_all_reports_a_writer_that_takes_nothing() {
    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Ok(0)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let err =
        send_all(&mut Full, b"abc").expect_err("a writer that takes 0 bytes must be an error");
    assert_eq!(err.kind(), io::ErrorKind::WriteZero, "{err}");
}

#[test]
fn recv_exact_takes_exactly_what_is_asked_even_byte_by_byte() {
    let mut r = NoShortcuts(trickle(b"HEADER1234rest"));
    let first = recv_exact(&mut r, 6).expect("recv_exact(6)");
    assert_eq!(show(&first), "HEADER", "first recv_exact(6)");
    let second = recv_exact(&mut r, 4).expect("recv_exact(4)");
    assert_eq!(
        show(&second),
        "1234",
        "second recv_exact(4): bytes were lost or taken twice"
    );
}

#[test]
fn recv_exact_reports_a_stream_that_ends_early() {
    let mut r = NoShortcuts(trickle(b"abc"));
    let err = recv_exact(&mut r, 5).expect_err("only 3 of 5 bytes came: that must be an error");
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{err}");
}

#[test]
fn read_line_returns_each_line_then_none() {
    let mut r = BufReader::new(trickle(b"HELO x\r\n\nlast\n"));
    for expected in [&b"HELO x\r\n"[..], b"\n", b"last\n"] {
        let line = read_line(&mut r, 100).expect("read_line");
        assert_eq!(
            line.as_deref().map(show),
            Some(show(expected)),
            "expected the next line"
        );
    }
    assert_eq!(read_line(&mut r, 100).expect("read_line at the end"), None);
}

#[test]
fn read_line_refuses_a_line_longer_than_its_limit() {
    let mut r = BufReader::new(trickle(b"0123456789abcdef\nnext\n"));
    let err = read_line(&mut r, 8).expect_err("16 bytes without a newline, limit 8");
    assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
}
