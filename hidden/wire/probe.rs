//! The probe of `wire`: the three loops against writers and readers that do as little as
//! the rules allow (a few bytes per call, `Interrupted` now and then), on random messages
//! and lines. The first six checks are the visible tests, on random inputs; the others are
//! hidden. Each case's output is what the functions did: what the writer received, what
//! came back, the error's kind.

use std::io::{self, BufRead, BufReader, Cursor, Read, Write};

use testkit::probe::{self, Case, Check, Rng};
use wire::{read_line, recv_exact, send_all};

fn main() {
    probe::main(&[
        Check::visible(
            "send_all_delivers_every_byte_through_a_stingy_writer",
            12,
            stingy_writer,
        ),
        Check::visible(
            "send_all_reports_a_writer_that_takes_nothing",
            4,
            full_writer,
        ),
        Check::visible(
            "recv_exact_takes_exactly_what_is_asked_even_byte_by_byte",
            12,
            byte_by_byte,
        ),
        Check::visible("recv_exact_reports_a_stream_that_ends_early", 6, ends_early),
        Check::visible("read_line_returns_each_line_then_none", 10, lines_then_none),
        Check::visible(
            "read_line_refuses_a_line_longer_than_its_limit",
            6,
            line_too_long,
        ),
        Check::hidden("random_messages_survive_both_loops", 12, both_loops),
        Check::hidden(
            "a_line_of_exactly_the_limit_is_fine_and_one_more_byte_is_not",
            6,
            exact_limit,
        ),
        Check::hidden(
            "the_end_of_the_stream_inside_a_line_is_an_error",
            6,
            eof_inside_a_line,
        ),
        Check::hidden(
            "bytes_after_the_newline_stay_in_the_buffer",
            6,
            bytes_after_newline,
        ),
        Check::hidden("many_random_lines_over_a_dribbling_reader", 6, many_lines),
    ]);
}

/// A writer that takes one to `most` bytes per call and fails every `every`-th call with
/// `Interrupted`, as a write interrupted by a signal does. `write_all` is the loop the
/// student writes: calling it is a mistake, and says so.
struct Stingy {
    got: Vec<u8>,
    calls: usize,
    most: usize,
    every: usize,
}

impl Write for Stingy {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.calls += 1;
        assert!(
            self.calls < 1_000_000,
            "write called a million times without getting anywhere"
        );
        if self.calls.is_multiple_of(self.every) {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = buf.len().min(1 + self.calls % self.most);
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

/// A reader that hands out at most `step` bytes per read and fails every `every`-th call
/// with `Interrupted`. `read_exact` is the loop the student writes.
struct Dribble {
    data: Cursor<Vec<u8>>,
    step: usize,
    every: usize,
    calls: usize,
}

impl Dribble {
    fn new(data: Vec<u8>, step: usize, every: usize) -> Dribble {
        Dribble {
            data: Cursor::new(data),
            step,
            every,
            calls: 0,
        }
    }

    /// How many bytes have been read from it.
    fn taken(&self) -> u64 {
        self.data.position()
    }
}

impl Read for Dribble {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        assert!(
            self.calls < 1_000_000,
            "read called a million times without getting anywhere"
        );
        if self.calls.is_multiple_of(self.every) {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = buf.len().min(self.step);
        self.data.read(&mut buf[..n])
    }
    fn read_exact(&mut self, _: &mut [u8]) -> io::Result<()> {
        panic!("recv_exact must be written with read(), not read_exact()")
    }
}

/// Printable text with spaces and line endings, `len` bytes.
fn text(rng: &mut Rng, len: usize) -> Vec<u8> {
    (0..len)
        .map(|_| *rng.pick(b"abcdefghijklmnopqrstuvwxyz ABC.,0123\r\n"))
        .collect()
}

/// `read_line` called until it returns `None`, an error, or `most` times.
fn every_line(r: &mut impl BufRead, max: usize, most: usize) -> String {
    let mut out = Vec::new();
    for _ in 0..most {
        let line = read_line(r, max);
        let done = !matches!(line, Ok(Some(_)));
        out.push(probe::io(line, shown));
        if done {
            break;
        }
    }
    out.join(", ")
}

/// What `read_line` returned, when it returned.
fn shown(line: Option<Vec<u8>>) -> String {
    match line {
        Some(l) => format!("Some({})", probe::bytes(&l)),
        None => "None".into(),
    }
}

fn stingy_writer(rng: &mut Rng) -> Case {
    let len = rng.range(1, 300);
    let message = text(rng, len);
    let (most, every) = (rng.range(1, 3), rng.range(2, 4));
    Case::new(
        format!(
            "send_all of {} (a writer taking 1 to {most} bytes per call, every {every} calls Interrupted)",
            probe::bytes(&message)
        ),
        || {
            let mut w = Stingy {
                got: Vec::new(),
                calls: 0,
                most,
                every,
            };
            let result = send_all(&mut w, &message);
            format!(
                "{}, the writer received {}",
                probe::io(result, |()| "()".into()),
                probe::bytes(&w.got)
            )
        },
    )
}

fn full_writer(rng: &mut Rng) -> Case {
    struct Full(usize);
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            self.0 += 1;
            assert!(
                self.0 < 10_000,
                "send_all called write 10000 times on a writer that takes nothing (0 bytes \
                 each time): a write of 0 bytes must end the loop with WriteZero"
            );
            Ok(0)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let len = rng.range(1, 40);
    let message = text(rng, len);
    Case::new(
        format!(
            "send_all of {} to a writer whose write always returns Ok(0)",
            probe::bytes(&message)
        ),
        || probe::io(send_all(&mut Full(0), &message), |()| "()".into()),
    )
}

fn byte_by_byte(rng: &mut Rng) -> Case {
    let len = rng.range(2, 200);
    let data = text(rng, len);
    let first = rng.range(1, len - 1);
    let second = rng.range(1, len - first);
    Case::new(
        format!(
            "recv_exact({first}) then recv_exact({second}) from a stream of {} sent one byte per read",
            probe::bytes(&data)
        ),
        || {
            let mut r = Dribble::new(data.clone(), 1, usize::MAX);
            let a = recv_exact(&mut r, first);
            let b = recv_exact(&mut r, second);
            format!(
                "{}; {}; {} bytes read from the stream",
                probe::io(a, |v| probe::bytes(&v)),
                probe::io(b, |v| probe::bytes(&v)),
                r.taken()
            )
        },
    )
}

fn ends_early(rng: &mut Rng) -> Case {
    let len = rng.range(0, 20);
    let data = text(rng, len);
    let asked = len + rng.range(1, 5);
    Case::new(
        format!(
            "recv_exact({asked}) from a stream of {} that then ends",
            probe::bytes(&data)
        ),
        || {
            let mut r = Dribble::new(data.clone(), 1, 3);
            probe::io(recv_exact(&mut r, asked), |v| probe::bytes(&v))
        },
    )
}

/// Lines of random words, some with `\r\n`, some empty.
fn some_lines(rng: &mut Rng, count: usize, longest: usize) -> Vec<u8> {
    let mut data = Vec::new();
    for _ in 0..count {
        if !rng.chance(10) {
            data.extend(rng.word(1, longest).bytes());
        }
        if rng.chance(30) {
            data.push(b'\r');
        }
        data.push(b'\n');
    }
    data
}

fn lines_then_none(rng: &mut Rng) -> Case {
    let count = rng.range(1, 6);
    let data = some_lines(rng, count, 30);
    Case::new(
        format!(
            "read_line(100) until None on {}, sent one byte per read",
            probe::bytes(&data)
        ),
        || {
            let mut r = BufReader::new(Dribble::new(data.clone(), 1, 5));
            every_line(&mut r, 100, count + 2)
        },
    )
}

fn line_too_long(rng: &mut Rng) -> Case {
    let max = rng.range(2, 20);
    let mut data = rng.word(max + 1, max + 20).into_bytes();
    data.extend(b"\nnext\n");
    Case::new(
        format!("read_line({max}) on {}", probe::bytes(&data)),
        || {
            let mut r = BufReader::new(Dribble::new(data.clone(), 1, 4));
            probe::io(read_line(&mut r, max), shown)
        },
    )
}

fn both_loops(rng: &mut Rng) -> Case {
    let len = rng.range(1, 2000);
    let message = rng.bytes(len);
    let (most, every, step) = (rng.range(1, 7), rng.range(2, 6), rng.range(1, 5));
    let split = len / 3;
    Case::new(
        format!(
            "a {len}-byte message {}: send_all to a writer taking 1 to {most} bytes per \
             call (every {every} calls Interrupted), then recv_exact({split}), \
             recv_exact({}) and recv_exact(0) from a reader giving {step} bytes per read",
            probe::bytes(&message),
            len - split
        ),
        || {
            let mut w = Stingy {
                got: Vec::new(),
                calls: 0,
                most,
                every,
            };
            let sent = probe::io(send_all(&mut w, &message), |()| "()".into());
            let mut r = Dribble::new(w.got.clone(), step, 4);
            let a = probe::io(recv_exact(&mut r, split), |v| probe::bytes(&v));
            let b = probe::io(recv_exact(&mut r, len - split), |v| probe::bytes(&v));
            let c = probe::io(recv_exact(&mut r, 0), |v| probe::bytes(&v));
            format!(
                "send_all: {sent}, the writer received {}; recv_exact: {a}; {b}; {c}",
                probe::bytes(&w.got)
            )
        },
    )
}

fn exact_limit(rng: &mut Rng) -> Case {
    let max = rng.range(2, 30);
    let mut data = rng.word(max - 1, max - 1).into_bytes();
    data.push(b'\n');
    data.extend(rng.word(max, max).bytes());
    data.push(b'\n');
    Case::new(
        format!("read_line({max}) twice on {}", probe::bytes(&data)),
        || {
            let mut r = BufReader::new(Cursor::new(data.clone()));
            every_line(&mut r, max, 2)
        },
    )
}

fn eof_inside_a_line(rng: &mut Rng) -> Case {
    let mut data = rng.word(1, 10).into_bytes();
    data.push(b'\n');
    data.extend(rng.word(1, 10).bytes());
    Case::new(
        format!("read_line(100) until an error on {}", probe::bytes(&data)),
        || {
            let mut r = BufReader::new(Cursor::new(data.clone()));
            every_line(&mut r, 100, 3)
        },
    )
}

fn bytes_after_newline(rng: &mut Rng) -> Case {
    let mut data = rng.word(1, 10).into_bytes();
    data.extend(b"\r\n");
    let len = rng.range(1, 20);
    let rest = rng.bytes(len);
    data.extend(&rest);
    Case::new(
        format!(
            "read_line(100) on {}, then what is left in the buffer",
            probe::bytes(&data)
        ),
        || {
            let mut r = BufReader::with_capacity(64, Cursor::new(data.clone()));
            let line = probe::io(read_line(&mut r, 100), shown);
            let left = r.fill_buf().map(<[u8]>::to_vec).unwrap_or_default();
            format!("{line}; left in the buffer: {}", probe::bytes(&left))
        },
    )
}

fn many_lines(rng: &mut Rng) -> Case {
    let count = rng.range(20, 80);
    let data = some_lines(rng, count, 40);
    let step = rng.range(1, 5);
    Case::new(
        format!(
            "read_line(64) until None on {} ({count} lines) through a 16-byte BufReader over \
             a reader giving {step} bytes per read",
            probe::bytes(&data)
        ),
        || {
            let mut r = BufReader::with_capacity(16, Dribble::new(data.clone(), step, 4));
            every_line(&mut r, 64, count + 2)
        },
    )
}
