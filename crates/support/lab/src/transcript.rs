//! Transcripts: a conversation written as plain text, played against a student's program.
//!
//! ```text
//! # The uppercase server answers each line in capitals.
//! program server
//! args --port 0
//! let WORD = word 8
//!
//! > hello {WORD}
//! < HELLO {WORD|upper}
//! close
//! eof
//! ```
//!
//! `> ` lines are sent by the grader, `< ` lines are what the program must send back, byte
//! for byte. The full format is described in the book ("Grading with hidden tests") and in
//! `Transcript::parse`.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::sandbox::{Limits, Sandboxed};
use regex::bytes::Regex;

/// Which side the program under test plays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Role {
    /// The program listens (prints `listening on ADDR`); the grader connects.
    Server,
    /// The grader listens; the program is started with `{port}` and connects.
    Client,
}

#[derive(Debug, Clone)]
enum Random {
    Word(usize),
    Number(u64, u64),
    Pick(Vec<String>),
}

#[derive(Debug, Clone)]
enum Action {
    Send(String),
    Expect(String),
    Match(String),
    Skip,
    Connect,
    Close,
    Eof,
    Exit(i32),
    Stdout(String),
    Sleep(Duration),
    Timeout(Duration),
}

#[derive(Debug, Clone)]
struct Step {
    line: usize,
    connection: String,
    action: Action,
}

/// A parsed transcript, ready to play.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub role: Role,
    /// Which binary of the exercise to run (`None`: the one named like the exercise).
    pub binary: Option<String>,
    args: String,
    stdin: String,
    timeout: Duration,
    randoms: Vec<(String, Random)>,
    files: Vec<(String, String)>,
    steps: Vec<Step>,
}

const BUILT_IN: &[&str] = &["port", "host", "dir"];

impl Transcript {
    /// Parses a transcript; a mistake is reported as `line N: what is wrong`.
    pub fn parse(text: &str) -> Result<Transcript, String> {
        let mut t = Transcript {
            role: Role::Server,
            binary: None,
            args: String::new(),
            stdin: String::new(),
            timeout: Duration::from_secs(5),
            randoms: Vec::new(),
            files: Vec::new(),
            steps: Vec::new(),
        };
        let mut role_given = false;
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let fail = |message: String| format!("line {line}: {message}");
            let trimmed = raw.trim_end_matches('\r');
            if trimmed.trim().is_empty() || trimmed.trim_start().starts_with('#') {
                continue;
            }
            // An optional connection label: `[alice] > hello`.
            let (connection, body) = match trimmed.strip_prefix('[') {
                Some(rest) => {
                    let (label, body) = rest
                        .split_once(']')
                        .ok_or_else(|| fail("a '[' label is never closed".into()))?;
                    (label.trim().to_owned(), body.trim_start())
                }
                None => ("main".to_owned(), trimmed),
            };
            let (word, rest) = match body.find(' ') {
                Some(i) => (&body[..i], &body[i + 1..]),
                None => (body, ""),
            };
            let header = |t: &Transcript| -> Result<(), String> {
                if t.steps.is_empty() {
                    Ok(())
                } else {
                    Err(fail(format!("`{word}` belongs before the first step")))
                }
            };
            let action = match word {
                ">" => Action::Send(rest.to_owned()),
                "<" => Action::Expect(rest.to_owned()),
                "~" => Action::Match(rest.to_owned()),
                "..." => Action::Skip,
                "connect" => Action::Connect,
                "close" => Action::Close,
                "eof" => Action::Eof,
                "exit" => Action::Exit(
                    rest.trim()
                        .parse()
                        .map_err(|_| fail(format!("`exit` needs a number, not {rest:?}")))?,
                ),
                "stdout" => Action::Stdout(rest.to_owned()),
                "sleep" => Action::Sleep(duration(rest).map_err(fail)?),
                "timeout" if !t.steps.is_empty() => Action::Timeout(duration(rest).map_err(fail)?),
                "timeout" => {
                    t.timeout = duration(rest).map_err(fail)?;
                    continue;
                }
                "program" => {
                    header(&t)?;
                    t.role = match rest.trim() {
                        "server" => Role::Server,
                        "client" => Role::Client,
                        other => {
                            return Err(fail(format!(
                                "`program` is `server` or `client`, not {other:?}"
                            )));
                        }
                    };
                    role_given = true;
                    continue;
                }
                "binary" => {
                    header(&t)?;
                    t.binary = Some(rest.trim().to_owned());
                    continue;
                }
                "args" => {
                    header(&t)?;
                    t.args = rest.to_owned();
                    continue;
                }
                "stdin" => {
                    header(&t)?;
                    t.stdin.push_str(rest);
                    continue;
                }
                "file" => {
                    header(&t)?;
                    let (name, content) = rest.split_once(' ').unwrap_or((rest, ""));
                    if name.is_empty() || name.contains('/') || name.starts_with('.') {
                        return Err(fail(format!(
                            "`file` needs a plain file name, not {name:?}"
                        )));
                    }
                    t.files.push((name.to_owned(), content.to_owned()));
                    continue;
                }
                "let" => {
                    header(&t)?;
                    let (name, spec) = rest
                        .split_once('=')
                        .ok_or_else(|| fail("write `let NAME = word 8`".into()))?;
                    let name = name.trim();
                    if name.is_empty()
                        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        || BUILT_IN.contains(&name)
                    {
                        return Err(fail(format!("{name:?} cannot be a variable name")));
                    }
                    let words: Vec<&str> = spec.split_whitespace().collect();
                    let number = |s: &str| {
                        s.parse::<u64>()
                            .map_err(|_| fail(format!("{s:?} is not a whole number")))
                    };
                    let random = match words.as_slice() {
                        ["word", n] => Random::Word(number(n)? as usize),
                        ["number", lo, hi] if number(lo)? <= number(hi)? => {
                            Random::Number(number(lo)?, number(hi)?)
                        }
                        ["pick", choices @ ..] if !choices.is_empty() => {
                            Random::Pick(choices.iter().map(|c| c.to_string()).collect())
                        }
                        _ => {
                            return Err(fail(format!(
                                "unknown random value {spec:?}: use `word N`, `number LOW HIGH` or `pick A B C`"
                            )));
                        }
                    };
                    t.randoms.push((name.to_owned(), random));
                    continue;
                }
                other => {
                    return Err(fail(format!(
                        "unknown line {other:?}: steps start with `>`, `<`, `~`, `...`, connect, close, eof, exit, stdout, sleep or timeout"
                    )));
                }
            };
            t.steps.push(Step {
                line,
                connection,
                action,
            });
        }
        if !role_given {
            return Err("the transcript must say `program server` or `program client`".into());
        }
        if t.steps.is_empty() {
            return Err("the transcript has no steps".into());
        }
        if t.role == Role::Client {
            if let Some(step) = t.steps.iter().find(|s| s.connection != "main") {
                return Err(format!(
                    "line {}: a client makes one connection; labels are for servers",
                    step.line
                ));
            }
            if !t.args.contains("{port}") {
                return Err("a client transcript passes the port: put {port} in `args`".into());
            }
        }
        // Every variable used must exist: check by rendering with placeholder values.
        let mut names: Vec<String> = BUILT_IN.iter().map(|s| s.to_string()).collect();
        names.extend(t.randoms.iter().map(|(n, _)| n.clone()));
        let placeholders: BTreeMap<String, String> =
            names.into_iter().map(|n| (n, "x".to_owned())).collect();
        let texts = [&t.args, &t.stdin]
            .into_iter()
            .map(|s| (0, s.as_str(), false))
            .chain(t.files.iter().map(|(_, c)| (0, c.as_str(), false)))
            .chain(t.files.iter().map(|(n, _)| (0, n.as_str(), false)))
            .chain(t.steps.iter().filter_map(|s| match &s.action {
                Action::Send(x) | Action::Expect(x) | Action::Stdout(x) => {
                    Some((s.line, x.as_str(), false))
                }
                Action::Match(x) => Some((s.line, x.as_str(), true)),
                _ => None,
            }));
        for (line, text, regex) in texts {
            let rendered = render(text, &placeholders, regex).map_err(|e| at(line, e))?;
            if regex {
                compile(&rendered).map_err(|e| at(line, e))?;
            }
        }
        Ok(t)
    }

    /// Plays the transcript against `program`, with random values drawn from `seed`.
    /// `Err` holds a report for the student: what was expected, what came, the exchange.
    pub fn play(
        &self,
        program: &Path,
        limits: &Limits,
        seed: u64,
        limit: Duration,
    ) -> Result<(), String> {
        let end = Instant::now() + limit;
        let mut rng = Rng(seed | 1);
        let mut vars: BTreeMap<String, String> = BTreeMap::new();
        for (name, random) in &self.randoms {
            let value = match random {
                Random::Word(n) => (0..*n)
                    .map(|_| (b'a' + rng.below(26) as u8) as char)
                    .collect(),
                Random::Number(lo, hi) => (lo + rng.below(hi - lo + 1)).to_string(),
                Random::Pick(choices) => choices[rng.below(choices.len() as u64) as usize].clone(),
            };
            vars.insert(name.clone(), value);
        }
        vars.insert("host".into(), "127.0.0.1".into());
        let scratch = ScratchDir::new(seed)?;
        vars.insert("dir".into(), scratch.path.to_string_lossy().into_owned());
        for (name, content) in &self.files {
            let name = String::from_utf8_lossy(&render(name, &vars, false)?).into_owned();
            if name.contains('/') || name.starts_with('.') {
                return Err(format!("`file` needs a plain file name, not {name:?}"));
            }
            let bytes = render(content, &vars, false)?;
            std::fs::write(scratch.path.join(&name), bytes)
                .map_err(|e| format!("cannot create the file {name}: {e}"))?;
        }
        let listener = match self.role {
            Role::Client => {
                let l = TcpListener::bind("127.0.0.1:0")
                    .map_err(|e| format!("cannot listen on loopback: {e}"))?;
                vars.insert("port".into(), l.local_addr().unwrap().port().to_string());
                Some(l)
            }
            Role::Server => {
                vars.insert("port".into(), "0".into());
                None
            }
        };
        let args = String::from_utf8_lossy(&render(&self.args, &vars, false)?).into_owned();
        let stdin = render(&self.stdin, &vars, false)?;
        let program = program
            .canonicalize()
            .unwrap_or_else(|_| program.to_path_buf());
        let mut command = Command::new(&program);
        command
            .args(args.split_whitespace())
            .current_dir(&scratch.path);
        command.env("RUST_BACKTRACE", "0");
        let child = Sandboxed::spawn(command, limits, &stdin)
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let mut player = Player {
            transcript: self,
            vars,
            child: Some(child),
            listener,
            server: None,
            connections: BTreeMap::new(),
            log: Vec::new(),
            timeout: self.timeout,
            end,
        };
        let played = player.run();
        let child = player.child.take().expect("the child is kept until here");
        let ending = child.finish();
        let stderr = String::from_utf8_lossy(&ending.stderr).into_owned();
        let mut report = match played {
            Ok(()) if ending.leftovers.is_empty() && !ending.hit_process_limit => return Ok(()),
            Ok(()) => String::new(),
            Err(message) => format!("{message}\n{}", player.conversation()),
        };
        if ending.hit_process_limit {
            report.push_str(&format!(
                "the program hit the process limit ({}): does it fork without end?\n",
                limits.processes
            ));
        }
        if !ending.leftovers.is_empty() {
            report.push_str(&format!(
                "the program left processes running after it was stopped: {}\n",
                ending.leftovers.join(", ")
            ));
        }
        let tail: Vec<&str> = stderr.lines().rev().take(8).collect();
        if !tail.is_empty() {
            report.push_str("the program's stderr (last lines):\n");
            for line in tail.iter().rev() {
                report.push_str(&format!("  {line}\n"));
            }
        }
        Err(report)
    }
}

fn at(line: usize, message: String) -> String {
    if line == 0 {
        message
    } else {
        format!("line {line}: {message}")
    }
}

/// `500ms`, `2s` or a plain number of seconds.
fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let parsed = if let Some(ms) = text.strip_suffix("ms") {
        ms.trim().parse().map(Duration::from_millis).ok()
    } else {
        text.strip_suffix('s')
            .unwrap_or(text)
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64)
    };
    match parsed {
        Some(d) if d <= Duration::from_secs(60) => Ok(d),
        Some(_) => Err(format!("{text} is too long: at most 60s")),
        None => Err(format!("{text:?} is not a duration (write 500ms or 2s)")),
    }
}

/// The bytes `text` stands for: variables substituted, escapes resolved. A `\c` at the
/// end means "no newline"; otherwise a newline is added at the end where `newline`.
/// In `regex` mode escapes stay for the regex engine and variables are quoted.
fn render(text: &str, vars: &BTreeMap<String, String>, regex: bool) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                let e = *bytes
                    .get(i + 1)
                    .ok_or("a line must not end with a lone '\\' (write \\\\)")?;
                i += 2;
                if regex && e == b'0' {
                    // The regex syntax has no \0: the byte it means.
                    out.extend_from_slice(br"\x00");
                    continue;
                }
                if regex && e != b'{' && e != b'}' {
                    out.extend_from_slice(&[b'\\', e]);
                    continue;
                }
                match e {
                    b'r' => out.push(b'\r'),
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'0' => out.push(0),
                    b's' => out.push(b' '),
                    b'\\' | b'{' | b'}' => out.push(e),
                    b'c' if i == bytes.len() => {}
                    b'c' => return Err("\\c (no newline) goes at the very end".into()),
                    b'x' => {
                        let hex = text.get(i..i + 2).unwrap_or("");
                        let b = u8::from_str_radix(hex, 16)
                            .map_err(|_| format!("\\x needs two hex digits, not {hex:?}"))?;
                        out.push(b);
                        i += 2;
                    }
                    other => {
                        return Err(format!(
                            "unknown escape \\{} (use \\r \\n \\t \\s \\0 \\xHH \\\\ \\{{ \\}} \\c)",
                            other as char
                        ));
                    }
                }
            }
            b'{' => {
                let close = text[i..]
                    .find('}')
                    .ok_or("a '{' is never closed (write \\{ for a brace)")?;
                let inside = &text[i + 1..i + close];
                let (name, filter) = inside.split_once('|').unwrap_or((inside, ""));
                let value = vars
                    .get(name.trim())
                    .ok_or_else(|| format!("unknown variable {{{name}}}"))?;
                let value = match filter.trim() {
                    "" => value.clone(),
                    "upper" => value.to_ascii_uppercase(),
                    "lower" => value.to_ascii_lowercase(),
                    "len" => value.len().to_string(),
                    other => return Err(format!("unknown filter |{other} (upper, lower, len)")),
                };
                if regex {
                    out.extend_from_slice(regex::escape(&value).as_bytes());
                } else {
                    out.extend_from_slice(value.as_bytes());
                }
                i += close + 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// A `~` line's pattern, rendered, compiled to match a whole line of bytes. Unicode
/// mode is off: `.` is any byte, `\xHH` the byte HH, `\w` and `\d` are ASCII.
fn compile(rendered: &[u8]) -> Result<Regex, String> {
    let text = String::from_utf8_lossy(rendered);
    regex::bytes::RegexBuilder::new(&format!("^(?:{text})$"))
        .unicode(false)
        .build()
        .map_err(|e| format!("bad pattern: {e}"))
}

fn has_no_newline_mark(text: &str) -> bool {
    text.ends_with("\\c") && !text.ends_with("\\\\c")
}

struct Player<'a> {
    transcript: &'a Transcript,
    vars: BTreeMap<String, String>,
    child: Option<Sandboxed>,
    listener: Option<TcpListener>,
    server: Option<SocketAddr>,
    connections: BTreeMap<String, Connection>,
    log: Vec<(String, bool, Vec<u8>)>,
    timeout: Duration,
    /// When the whole transcript must be over.
    end: Instant,
}

struct Connection {
    stream: TcpStream,
    pending: Vec<u8>,
    closed: bool,
}

impl Player<'_> {
    fn run(&mut self) -> Result<(), String> {
        let steps = &self.transcript.steps;
        let mut skip = false;
        for step in steps {
            if Instant::now() >= self.end {
                return Err(format!(
                    "line {}: the time limit for the whole transcript ran out",
                    step.line
                ));
            }
            let fail = |message: String| format!("line {}: {message}", step.line);
            match &step.action {
                Action::Send(text) => {
                    let mut bytes = render(text, &self.vars, false).map_err(fail)?;
                    if !has_no_newline_mark(text) {
                        bytes.push(b'\n');
                    }
                    let label = step.connection.clone();
                    self.log.push((label.clone(), true, bytes.clone()));
                    let conn = self.connection(&label).map_err(fail)?;
                    conn.stream.write_all(&bytes).map_err(|e| {
                        fail(format!(
                            "sending failed: {e} (did the program close the connection?)"
                        ))
                    })?;
                }
                Action::Expect(text) => {
                    let mut want = render(text, &self.vars, false).map_err(fail)?;
                    if !has_no_newline_mark(text) {
                        want.push(b'\n');
                    }
                    if skip {
                        skip = false;
                        self.skip_to(&step.connection, |line| line == want.as_slice())
                            .map_err(|e| {
                                fail(format!("{e}; expected a line \"{}\"", show(&want)))
                            })?;
                        continue;
                    }
                    let got = self.read(&step.connection, |buf| buf.len() >= want.len())?;
                    let got = got.map_err(fail)?;
                    if got != want {
                        return Err(fail(format!(
                            "expected  \"{}\"\n         received  \"{}\"{}",
                            show(&want),
                            show(&got),
                            if got.len() < want.len() {
                                "  (then nothing more)"
                            } else {
                                ""
                            }
                        )));
                    }
                }
                Action::Match(pattern) => {
                    let rendered = render(pattern, &self.vars, true).map_err(fail)?;
                    let regex = compile(&rendered).map_err(fail)?;
                    let fits =
                        |line: &[u8]| regex.is_match(line.strip_suffix(b"\n").unwrap_or(line));
                    if skip {
                        skip = false;
                        self.skip_to(&step.connection, fits).map_err(|e| {
                            fail(format!("{e}; expected a line matching {pattern}"))
                        })?;
                        continue;
                    }
                    let got = self.read(&step.connection, |buf| buf.ends_with(b"\n"))?;
                    let got = got.map_err(fail)?;
                    if !got.ends_with(b"\n") || !fits(&got) {
                        return Err(fail(format!(
                            "expected a line matching  {pattern}\n         received  \"{}\"",
                            show(&got)
                        )));
                    }
                }
                Action::Skip => skip = true,
                Action::Connect => {
                    self.connection(&step.connection).map_err(fail)?;
                }
                Action::Close => {
                    self.log.push((
                        step.connection.clone(),
                        true,
                        b"(shutdown: no more to send)".to_vec(),
                    ));
                    let conn = self.connection(&step.connection).map_err(fail)?;
                    let _ = conn.stream.shutdown(Shutdown::Write);
                }
                Action::Eof => {
                    let got = self
                        .read(&step.connection, |buf| !buf.is_empty())?
                        .unwrap_or_default();
                    if !got.is_empty() {
                        let more = self
                            .read(&step.connection, |b| b.len() >= 200)?
                            .unwrap_or_default();
                        return Err(fail(format!(
                            "expected the program to close the connection, but it sent \"{}{}\"",
                            show(&got),
                            show(&more)
                        )));
                    }
                    let conn = self.connection(&step.connection).map_err(fail)?;
                    if !conn.closed {
                        return Err(fail(format!(
                            "expected the program to close the connection; it was still open after {:?}",
                            self.timeout
                        )));
                    }
                }
                Action::Exit(code) => {
                    let deadline = self.step_deadline();
                    let child = self.child.as_mut().expect("the child runs");
                    match child.wait_until(deadline) {
                        None => {
                            return Err(fail(format!(
                                "expected the program to exit with status {code}; it was still running after {:?}",
                                self.timeout
                            )));
                        }
                        Some(status) if status.code() != Some(*code) => {
                            return Err(fail(format!(
                                "expected exit status {code}, the program ended with {status}"
                            )));
                        }
                        Some(_) => {}
                    }
                }
                Action::Stdout(text) => {
                    let want = render(text, &self.vars, false).map_err(fail)?;
                    let contains = |out: &[u8]| {
                        want.is_empty() || out.windows(want.len()).any(|w| w == want.as_slice())
                    };
                    // Output may still be on its way through the pipe: wait for it until
                    // the step times out or the program has closed its stdout.
                    let deadline = self.step_deadline();
                    let child = self.child.as_ref().expect("the child runs");
                    let stdout = loop {
                        let closed = child.stdout_closed();
                        let out = child.stdout();
                        if contains(&out) || closed || Instant::now() >= deadline {
                            break out;
                        }
                        thread::sleep(Duration::from_millis(5));
                    };
                    if !contains(&stdout) {
                        return Err(fail(format!(
                            "expected the program's output to contain \"{}\"\n         its output: \"{}\"",
                            show(&want),
                            show(&stdout[..stdout.len().min(2000)])
                        )));
                    }
                }
                Action::Sleep(d) => {
                    thread::sleep((*d).min(self.end.saturating_duration_since(Instant::now())))
                }
                Action::Timeout(d) => self.timeout = *d,
            }
        }
        Ok(())
    }

    /// When the current step must be done: its timeout, or the end of the whole run.
    fn step_deadline(&self) -> Instant {
        (Instant::now() + self.timeout).min(self.end)
    }

    /// The connection called `label`, opened (server) or accepted (client) on first use.
    fn connection(&mut self, label: &str) -> Result<&mut Connection, String> {
        if !self.connections.contains_key(label) {
            let stream = match self.transcript.role {
                Role::Server => {
                    let addr = self.server_address()?;
                    TcpStream::connect_timeout(&addr, self.timeout)
                        .map_err(|e| format!("cannot connect to the program at {addr}: {e}"))?
                }
                Role::Client => self.accept()?,
            };
            stream.set_nodelay(true).ok();
            self.connections.insert(
                label.to_owned(),
                Connection {
                    stream,
                    pending: Vec::new(),
                    closed: false,
                },
            );
        }
        Ok(self.connections.get_mut(label).unwrap())
    }

    /// The address from the server's readiness line, read once.
    fn server_address(&mut self) -> Result<SocketAddr, String> {
        if let Some(addr) = self.server {
            return Ok(addr);
        }
        let deadline = (Instant::now() + self.timeout.max(Duration::from_secs(5))).min(self.end);
        let child = self.child.as_mut().expect("the child runs");
        loop {
            let out = child.stdout();
            if let Some(end) = out.iter().position(|b| *b == b'\n') {
                let line = String::from_utf8_lossy(&out[..end]);
                let addr = line
                    .strip_prefix("listening on ")
                    .and_then(|a| a.trim().parse().ok())
                    .ok_or_else(|| {
                        format!("expected the readiness line `listening on ADDR`, the program printed {line:?}")
                    })?;
                self.server = Some(addr);
                return Ok(addr);
            }
            if let Some(status) = child.wait_until(Instant::now()) {
                return Err(format!(
                    "the program ended ({status}) before printing `listening on ADDR`"
                ));
            }
            if Instant::now() >= deadline {
                return Err("the program did not print `listening on ADDR` in time".into());
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    fn accept(&mut self) -> Result<TcpStream, String> {
        let listener = self.listener.as_ref().expect("client transcripts listen");
        listener.set_nonblocking(true).ok();
        let deadline = self.step_deadline();
        loop {
            match listener.accept() {
                Ok((stream, _)) => {
                    stream.set_nonblocking(false).ok();
                    return Ok(stream);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(format!("accepting the program's connection failed: {e}")),
            }
            let child = self.child.as_mut().expect("the child runs");
            if let Some(status) = child.wait_until(Instant::now()) {
                return Err(format!("the program ended ({status}) without connecting"));
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "the program did not connect within {:?}",
                    self.timeout
                ));
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Reads from `label` until `enough` says so, the peer closes, or the step times out.
    /// Returns `Ok(Err(message))` for a problem worth reporting against the step.
    fn read(
        &mut self,
        label: &str,
        enough: impl Fn(&[u8]) -> bool,
    ) -> Result<Result<Vec<u8>, String>, String> {
        let timeout = self.timeout;
        let deadline = self.step_deadline();
        let conn = self.connection(label)?;
        let mut got = Vec::new();
        let mut timed_out = false;
        loop {
            while !conn.pending.is_empty() && !enough(&got) {
                got.push(conn.pending.remove(0));
            }
            if enough(&got) || conn.closed || got.len() > 1 << 16 {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                timed_out = true;
                break;
            }
            conn.stream.set_read_timeout(Some(left)).ok();
            let mut chunk = [0u8; 4096];
            match conn.stream.read(&mut chunk) {
                Ok(0) => conn.closed = true,
                Ok(n) => conn.pending.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    timed_out = true;
                    break;
                }
                Err(_) => conn.closed = true,
            }
        }
        if !got.is_empty() {
            self.log.push((label.to_owned(), false, got.clone()));
        }
        if timed_out && !enough(&got) && !got.is_empty() {
            // Partial data then silence: the comparison reports it.
            return Ok(Ok(got));
        }
        if timed_out && got.is_empty() {
            return Ok(Err(format!("nothing arrived within {timeout:?}")));
        }
        Ok(Ok(got))
    }

    /// Reads lines until one satisfies `fits` (at most 1000 lines, within the timeout).
    fn skip_to(&mut self, label: &str, fits: impl Fn(&[u8]) -> bool) -> Result<(), String> {
        for _ in 0..1000 {
            let line = self.read(label, |b| b.ends_with(b"\n"))??;
            if line.is_empty() {
                return Err("the connection closed before the line came".into());
            }
            if fits(&line) {
                return Ok(());
            }
        }
        Err("1000 lines came and none fitted".into())
    }

    fn conversation(&self) -> String {
        let mut out =
            String::from("conversation (> sent by the grader, < received from the program):\n");
        if self.log.is_empty() {
            out.push_str("  (nothing was exchanged)\n");
        }
        let labelled = self.connections.len() > 1;
        for (label, sent, bytes) in &self.log {
            let mark = if *sent { '>' } else { '<' };
            let prefix = if labelled {
                format!("[{label}] ")
            } else {
                String::new()
            };
            for piece in bytes.split_inclusive(|b| *b == b'\n') {
                if piece.starts_with(b"(shutdown") {
                    out.push_str(&format!(
                        "  {prefix}{mark} {}\n",
                        String::from_utf8_lossy(piece)
                    ));
                } else {
                    out.push_str(&format!("  {prefix}{mark} {}\n", show_short(piece)));
                }
            }
        }
        out
    }
}

/// Bytes as a transcript would write them.
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

/// Like [`show`], cut to the first 200 bytes.
fn show_short(bytes: &[u8]) -> String {
    if bytes.len() <= 200 {
        show(bytes)
    } else {
        format!("{}... ({} bytes in all)", show(&bytes[..200]), bytes.len())
    }
}

/// xorshift64: random enough for test inputs, no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// A directory for `file` lines and the program's working directory, removed afterwards.
struct ScratchDir {
    path: PathBuf,
}

impl ScratchDir {
    fn new(seed: u64) -> Result<ScratchDir, String> {
        static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!(
            "lab-transcript-{}-{n}-{seed:x}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755));
        Ok(ScratchDir { path })
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        [("W".to_owned(), "abc".to_owned())].into_iter().collect()
    }

    #[test]
    fn escapes_and_variables() {
        let r = |t| render(t, &vars(), false).unwrap();
        assert_eq!(r(r"HELO {W}\r"), b"HELO abc\r");
        assert_eq!(r(r"{W|upper} {W|len}\x00\\\{"), b"ABC 3\x00\\{");
        assert_eq!(r(r"no newline\c"), b"no newline");
        assert_eq!(render(r"a.{W}", &vars(), true).unwrap(), br"a.abc");
        let dotted = [("W".to_owned(), "a.b+c".to_owned())].into_iter().collect();
        assert_eq!(
            render(r"{W}\0\r", &dotted, true).unwrap(),
            br"a\.b\+c\x00\r"
        );
        assert!(
            render(r"{NOPE}", &vars(), false)
                .unwrap_err()
                .contains("unknown variable")
        );
        assert!(
            render(r"\q", &vars(), false)
                .unwrap_err()
                .contains("unknown escape")
        );
    }

    #[test]
    fn patterns_match_whole_lines_of_bytes() {
        let matches = |p: &str, text: &[u8]| compile(p.as_bytes()).unwrap().is_match(text);
        assert!(matches("abc", b"abc"));
        assert!(!matches("abc", b"abcd"));
        assert!(!matches("bc", b"abc"));
        assert!(
            !matches("a|b", b"ab"),
            "an alternative matches the whole line too"
        );
        assert!(matches(r"HTTP/1\.[01] 200 .*\r", b"HTTP/1.1 200 OK\r"));
        assert!(matches(r"(GET|HEAD) /\S* HTTP/1\.1", b"HEAD /a/b HTTP/1.1"));
        assert!(matches(r"\d{3}[- ].*", b"250-hello"));
        assert!(!matches(r"\d{3}[- ].*", b"25-hello"));
        assert!(matches(r"[^\r\n]+\r", b"x y\r"));
        assert!(matches(r"\x41\w\s\d\xff.", b"AB 7\xff\x00"));
        assert!(matches("caf\u{e9}", "caf\u{e9}".as_bytes()));
        assert!(compile(b"(ab").unwrap_err().starts_with("bad pattern"));
        assert!(compile(b"*a").is_err());
    }

    #[test]
    fn a_transcript_parses_and_mistakes_name_their_line() {
        let t = Transcript::parse(
            "# comment\nprogram server\nargs --port 0\nlet W = word 5\n\n> hi {W}\n< HI {W|upper}\n[b] ~ .*\\r\nclose\neof\n",
        )
        .unwrap();
        assert_eq!(t.role, Role::Server);
        assert_eq!(t.steps.len(), 5);
        assert_eq!(t.steps[2].connection, "b");

        let err = Transcript::parse("program server\n> hi {X}\n").unwrap_err();
        assert!(err.starts_with("line 2: unknown variable"), "{err}");
        let err = Transcript::parse("program server\n> hi\nargs x\n").unwrap_err();
        assert!(err.starts_with("line 3:"), "{err}");
        let err = Transcript::parse("program client\nargs --port 1\n> hi\n").unwrap_err();
        assert!(err.contains("{port}"), "{err}");
        let err = Transcript::parse("program server\n~ (a\n").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
        let err = Transcript::parse("program server\nsend hi\n").unwrap_err();
        assert!(err.contains("unknown line"), "{err}");
    }
}
