//! Playing a transcript: start the program in the sandbox, draw the random values, and
//! take the steps one by one, each within its timeout and all within the time limit.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpListener};
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use super::render::{compile, has_no_newline_mark, render, show};
use super::wire::Connection;
use super::{Action, Failure, Random, Role, Transcript};
use crate::sandbox::{Limits, Sandboxed};

impl Transcript {
    /// Plays the transcript against `program`, with random values drawn from `seed`, all
    /// within `limit`. `Err` holds a report for the student (what was expected, what came,
    /// the exchange) and says what kind of failure it was.
    pub fn play(
        &self,
        program: &Path,
        limits: &Limits,
        seed: u64,
        limit: Duration,
    ) -> Result<(), Failure> {
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
        // The program's room: its own network and files, and a scratch folder that is its
        // working folder (`{dir}`), with the transcript's files in it.
        let mut room = limits
            .room()
            .map_err(|e| format!("cannot prepare the sandbox: {e}"))?;
        let scratch = room.scratch();
        vars.insert("dir".into(), scratch.to_string_lossy().into_owned());
        for (name, content) in &self.files {
            let name = String::from_utf8_lossy(&render(name, &vars, false)?).into_owned();
            if name.contains('/') || name.starts_with('.') {
                return Err(format!("`file` needs a plain file name, not {name:?}").into());
            }
            let bytes = render(content, &vars, false)?;
            room.add_file(&name, bytes)
                .map_err(|e| format!("cannot create the file {name}: {e}"))?;
        }
        let listener = match self.role {
            Role::Client => {
                // In the program's network: the only place it can connect to.
                let l = room
                    .network(|| TcpListener::bind("127.0.0.1:0"))
                    .and_then(|l| l)
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
        command.args(args.split_whitespace()).current_dir(&scratch);
        command.env("RUST_BACKTRACE", "0");
        let child = Sandboxed::spawn_in(command, limits, room, &stdin)
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
            out_of_time: false,
        };
        let played = player.run();
        let mut child = player.child.take().expect("the child is kept until here");
        let status = child.wait_until(Instant::now());
        let ending = child.finish();
        let limit = limits.hit(status, &ending.stderr);
        let stderr = String::from_utf8_lossy(&ending.stderr).into_owned();
        let mut report = match played {
            Ok(()) if ending.leftovers.is_empty() && !ending.hit_process_limit => return Ok(()),
            Ok(()) => String::new(),
            Err(message) => format!("{message}\n{}", player.conversation()),
        };
        if let Some(limit) = &limit {
            report.push_str(&format!("the program {limit}\n"));
        }
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
        Err(Failure {
            report,
            hit_process_limit: ending.hit_process_limit,
            left_processes: !ending.leftovers.is_empty(),
            out_of_time: player.out_of_time,
            limit,
        })
    }
}

/// A transcript being played: the program, its connections, what was said.
pub(super) struct Player<'a> {
    pub(super) transcript: &'a Transcript,
    pub(super) vars: BTreeMap<String, String>,
    pub(super) child: Option<Sandboxed>,
    /// Where a client transcript waits for the program to connect.
    pub(super) listener: Option<TcpListener>,
    /// A server's address, from its readiness line.
    pub(super) server: Option<SocketAddr>,
    pub(super) connections: BTreeMap<String, Connection>,
    /// What was exchanged: (connection, sent by the grader, bytes).
    pub(super) log: Vec<(String, bool, Vec<u8>)>,
    /// How long a step may wait.
    pub(super) timeout: Duration,
    /// When the whole transcript must be over.
    pub(super) end: Instant,
    /// Whether `end` came before the last step.
    out_of_time: bool,
}

impl Player<'_> {
    /// Plays the steps in order; `Err` says which went wrong, and how.
    fn run(&mut self) -> Result<(), String> {
        let steps = &self.transcript.steps;
        let mut skip = false;
        for step in steps {
            if Instant::now() >= self.end {
                self.out_of_time = true;
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
