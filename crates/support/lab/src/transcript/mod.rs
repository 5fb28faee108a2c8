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
//! for byte. The full format is described in the book ("Grading with hidden tests").
//!
//! `parse` reads the text into a `Transcript`, `render` turns its text into bytes (and
//! `~` patterns into regular expressions) and shows bytes in reports, `play` runs the
//! program and plays the steps, `wire` holds the connections to it.

mod parse;
mod play;
mod render;
mod wire;

use std::time::Duration;

/// Which side the program under test plays.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Role {
    /// The program listens (prints `listening on ADDR`); the grader connects.
    Server,
    /// The grader listens; the program is started with `{port}` and connects.
    Client,
}

/// A `let` value, drawn anew for each run.
#[derive(Debug, Clone)]
enum Random {
    Word(usize),
    Number(u64, u64),
    Pick(Vec<String>),
}

/// What a step does.
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

/// A step, with its line in the file and the connection it is on (`main` unless
/// labelled).
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
    /// How long each step may wait, to begin with.
    timeout: Duration,
    randoms: Vec<(String, Random)>,
    /// `file NAME TEXT`: files created in the program's folder.
    files: Vec<(String, String)>,
    steps: Vec<Step>,
}

/// Names the grader fills in: `{port}`, `{host}`, `{dir}`.
const BUILT_IN: &[&str] = &["port", "host", "dir"];

/// Why a transcript did not play through: the report for the student, and what the
/// grader needs to name the reason.
#[derive(Debug)]
pub struct Failure {
    /// What was expected and what came, the conversation, the program's stderr.
    pub report: String,
    /// The program came close to its process limit (a fork bomb, most likely).
    pub hit_process_limit: bool,
    /// The program left processes running after it was stopped.
    pub left_processes: bool,
    /// The time limit for the whole transcript ran out.
    pub out_of_time: bool,
    /// A limit of the sandbox the program hit (memory, file size), in words.
    pub limit: Option<String>,
}

impl From<String> for Failure {
    /// A failure that is none of the above: the program did not play its part, or could
    /// not be started.
    fn from(report: String) -> Failure {
        Failure {
            report,
            hit_process_limit: false,
            left_processes: false,
            out_of_time: false,
            limit: None,
        }
    }
}
