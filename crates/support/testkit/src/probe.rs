//! Probes: a library exercise's functions called in a process of their own, on inputs the
//! grader picks, with what they did written down for the grader to compare.
//!
//! A test that calls a student's function inside the test program cannot be trusted for
//! grading: the student's code runs in that program, so it can print a fake "1 passed",
//! exit with status 0, or do anything else the test program could do. A probe turns it
//! around. The instructor writes `hidden/NAME/probe.rs`, a program with a list of
//! [`Check`]s; `cargo lab grade` builds it twice, once against the student's library and
//! once against the reference solution, runs both on the same cases (seeded random
//! inputs it picks), and compares what they wrote *in the grader*. Whatever the student's
//! code prints or exits with is at most a wrong or missing answer.
//!
//! ```ignore
//! use pack::{Message, pack};
//! use testkit::probe::{self, Case, Check, Rng};
//!
//! fn main() {
//!     probe::main(&[Check::hidden("random_messages_are_packed", 40, random_message)]);
//! }
//!
//! /// One case: an input drawn from `rng`, and what the code under test made of it.
//! fn random_message(rng: &mut Rng) -> Case {
//!     let msg = Message { id: rng.u32(), reading: rng.f64(), name: rng.word(1, 20) };
//!     Case::new(format!("{msg:?}"), || probe::result(pack(&msg), |frame| probe::bytes(&frame)))
//! }
//! ```
//!
//! A case's output is *what the code did* (the bytes it wrote, the value it returned, the
//! error kind), never a verdict such as "ok": the grader's verdict is "the same as the
//! reference solution", and a verdict printed by the probe is something the student's code
//! could print too. Outputs must be deterministic (no addresses, no `HashMap` order, no
//! times): the same case gives the same text in every build.
//!
//! The protocol, which `cargo lab` speaks and nobody else needs to: `probe list` prints a
//! line `visible|hidden CASES NAME` per check; `probe run` reads lines `NAME SEED` on stdin
//! and answers each with a record `NAME SEED<TAB>INPUT<TAB>OUTPUT` (tabs, newlines and
//! backslashes escaped as `\t`, `\n`, `\\`; carriage returns as `\r`). Records go to the
//! probe's original stdout; the code under test finds stdout pointing at stderr, so its own
//! printing never mixes with them.

use std::fs::File;
use std::io::{self, BufRead, Write};
use std::os::fd::FromRawFd;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;

/// One check: a name, whether students have a test of their own for it, how many cases the
/// grader runs, and the function that runs one case.
pub struct Check {
    name: &'static str,
    visible: bool,
    cases: usize,
    run: fn(&mut Rng) -> Case,
}

impl Check {
    /// A check that mirrors one of the exercise's visible tests (graded as "visible": the
    /// student could see it fail before handing in). Name it like that test.
    pub fn visible(name: &'static str, cases: usize, run: fn(&mut Rng) -> Case) -> Check {
        Check {
            name,
            visible: true,
            cases,
            run,
        }
    }

    /// A check the students never saw.
    pub fn hidden(name: &'static str, cases: usize, run: fn(&mut Rng) -> Case) -> Check {
        Check {
            name,
            visible: false,
            cases,
            run,
        }
    }
}

/// One case: its input, described for the report, and the output the code under test gave.
pub struct Case {
    input: String,
    output: String,
}

impl Case {
    /// Runs `output` (the calls to the code under test, formatted as text) and records
    /// `input` with it. A panic in `output` becomes the output: `panicked at FILE:LINE:
    /// MESSAGE`.
    pub fn new(input: impl Into<String>, output: impl FnOnce() -> String) -> Case {
        let input = input.into();
        let output = catching(output);
        Case { input, output }
    }
}

/// `bytes` as readable text in quotes: printable ASCII as it is, `\r \n \t \\` escaped,
/// anything else `\xNN`.
pub fn bytes(bytes: &[u8]) -> String {
    format!("\"{}\"", crate::show(bytes))
}

/// An `io::Result` as text: `Ok(...)` with `ok` applied to the value, or `Err(KIND)` (the
/// error's kind, not its message: two right answers may word it differently).
pub fn io<T>(result: io::Result<T>, ok: impl FnOnce(T) -> String) -> String {
    match result {
        Ok(value) => format!("Ok({})", ok(value)),
        Err(e) => format!("Err({:?})", e.kind()),
    }
}

/// A `Result` as text: `Ok(...)` with `ok` applied to the value, or `Err(...)` as the
/// error's `Debug` form.
pub fn result<T, E: std::fmt::Debug>(result: Result<T, E>, ok: impl FnOnce(T) -> String) -> String {
    match result {
        Ok(value) => format!("Ok({})", ok(value)),
        Err(e) => format!("Err({e:?})"),
    }
}

/// A small seeded random number generator (SplitMix64): the same seed draws the same
/// values in every build, which is what lets the grader replay a case.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn u32(&mut self) -> u32 {
        (self.u64() >> 32) as u32
    }

    /// A whole number from `low` to `high`, both included.
    pub fn range(&mut self, low: usize, high: usize) -> usize {
        assert!(low <= high, "range({low}, {high})");
        low + (self.u64() % (high - low + 1) as u64) as usize
    }

    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.u64() % 100 < percent
    }

    /// Any finite `f64`, of any size and sign (NaN and the infinities excepted).
    pub fn f64(&mut self) -> f64 {
        loop {
            let x = f64::from_bits(self.u64());
            if x.is_finite() {
                return x;
            }
        }
    }

    /// `len` random bytes.
    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.u64() as u8).collect()
    }

    /// A word of `low` to `high` lowercase letters.
    pub fn word(&mut self, low: usize, high: usize) -> String {
        let len = self.range(low, high);
        (0..len)
            .map(|_| char::from(b'a' + (self.u64() % 26) as u8))
            .collect()
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() - 1)]
    }
}

/// The probe's `main`: `list` or `run` (see the module's documentation).
pub fn main(checks: &[Check]) {
    for (i, check) in checks.iter().enumerate() {
        assert!(
            !check.name.is_empty() && !check.name.contains(char::is_whitespace),
            "a check's name is one word: {:?}",
            check.name
        );
        assert!(
            checks[..i].iter().all(|c| c.name != check.name),
            "two checks are named {}",
            check.name
        );
        assert!(check.cases > 0, "check {} has no cases", check.name);
    }
    match std::env::args().nth(1).as_deref() {
        Some("list") => {
            for check in checks {
                let kind = if check.visible { "visible" } else { "hidden" };
                println!("{kind} {} {}", check.cases, check.name);
            }
        }
        Some("run") => run(checks),
        _ => {
            eprintln!(
                "a probe for `cargo lab grade`: `list` prints its checks; `run` reads lines \
                 `CHECK SEED` on stdin and answers each with a record on stdout"
            );
            std::process::exit(2);
        }
    }
}

fn run(checks: &[Check]) {
    // SAFETY: dup and dup2 take and return plain descriptor numbers; fd 1 and 2 are open
    // in any process started by the grader (pipes it reads), and the new descriptor is
    // owned by the File below alone.
    let mut records = unsafe {
        let copy = libc::dup(1);
        assert!(copy >= 0, "dup(1): {}", io::Error::last_os_error());
        libc::dup2(2, 1);
        File::from_raw_fd(copy)
    };
    panic::set_hook(Box::new(|info| {
        let message = info
            .payload_as_str()
            .unwrap_or("(a panic without a message)");
        let location = info
            .location()
            .map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_default();
        *LAST_PANIC.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(format!("panicked{location}: {message}"));
    }));
    for line in io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        let mut words = line.split_whitespace();
        let (Some(name), Some(seed)) = (words.next(), words.next()) else {
            continue;
        };
        let Ok(seed) = seed.parse::<u64>() else {
            continue;
        };
        let case = match checks.iter().find(|c| c.name == name) {
            Some(check) => {
                let mut rng = Rng::new(seed);
                match panic::catch_unwind(AssertUnwindSafe(|| (check.run)(&mut rng))) {
                    Ok(case) => case,
                    Err(_) => Case {
                        input: "?".into(),
                        output: last_panic(),
                    },
                }
            }
            None => Case {
                input: "?".into(),
                output: format!("no check named {name}"),
            },
        };
        let record = format!(
            "{name} {seed}\t{}\t{}\n",
            escape(&case.input),
            escape(&case.output)
        );
        if records
            .write_all(record.as_bytes())
            .and_then(|()| records.flush())
            .is_err()
        {
            break;
        }
    }
}

static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

fn last_panic() -> String {
    LAST_PANIC
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_else(|| "panicked".into())
}

/// Runs `f`; a panic becomes its message.
fn catching(f: impl FnOnce() -> String) -> String {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(text) => text,
        Err(_) => last_panic(),
    }
}

/// A field of a record: backslash, tab, newline and carriage return escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_draws_the_same_values() {
        let draw = |seed| {
            let mut rng = Rng::new(seed);
            (rng.u64(), rng.word(3, 9), rng.range(5, 7), rng.bytes(4))
        };
        assert_eq!(draw(42), draw(42));
        assert_ne!(draw(42), draw(43));
        let mut rng = Rng::new(1);
        assert!(
            (0..1000)
                .map(|_| rng.range(5, 7))
                .all(|n| (5..=7).contains(&n))
        );
        assert!((0..1000).map(|_| rng.f64()).all(f64::is_finite));
    }

    #[test]
    fn a_panic_in_a_case_is_its_output() {
        let case = Case::new("x", || {
            let v: Vec<u8> = Vec::new();
            format!("{}", v[3])
        });
        assert_eq!(case.input, "x");
        // Without the probe's hook (this is a unit test) the message is not kept.
        assert!(case.output.starts_with("panicked"), "{}", case.output);
    }

    #[test]
    fn fields_are_escaped() {
        assert_eq!(escape("a\tb\nc\\d\r"), "a\\tb\\nc\\\\d\\r");
        assert_eq!(io(Ok::<_, io::Error>(3), |n| n.to_string()), "Ok(3)");
        let err = io::Error::from(io::ErrorKind::WriteZero);
        assert_eq!(io(Err::<(), _>(err), |()| String::new()), "Err(WriteZero)");
        assert_eq!(bytes(b"a\x00\n"), "\"a\\x00\\n\"");
    }
}
