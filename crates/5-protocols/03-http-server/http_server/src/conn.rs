//! One connection between accept and close, and the reading of its requests as their
//! bytes arrive: a read here never waits, and everything it keeps is bounded.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use nix::sys::socket::{MsgFlags, recv};

use crate::chunked::Chunked;
use crate::request::{Framing, Version};
use crate::{Config, Request, SlotGuard, Status, end_of_head, parse_head};

/// The most bytes taken from the socket in one read.
const READ_SIZE: usize = 16 * 1024;

/// A client connection, wherever it is: waiting in the epoll set, or in a worker.
pub struct Conn {
    pub stream: TcpStream,
    pub peer: SocketAddr,
    /// Its name in the epoll set (never reused, unlike file descriptor numbers).
    pub token: u64,
    /// Bytes received and not used yet: part of a request, or a pipelined next one.
    buf: Vec<u8>,
    /// How much of `buf` was already searched for the end of the head.
    scanned: usize,
    stage: Stage,
    /// When the current wait ends: for the whole head, counted from when the server
    /// started waiting for it; for a body, a time that grows with the bytes received.
    pub deadline: Instant,
    /// Requests answered on this connection so far.
    pub served: u32,
    _slot: SlotGuard,
}

enum Stage {
    /// Waiting for (the rest of) a request head.
    Head,
    /// The head is in; its body is on its way.
    Body {
        request: Request,
        line: String,
        body: Body,
        started: Instant,
        /// The client sent `Expect: 100-continue` and waits for our go-ahead.
        continue_due: bool,
    },
}

enum Body {
    Length(usize),
    Chunked(Box<Chunked>),
}

/// What the bytes received so far amount to.
pub enum Next {
    /// Not a whole request yet: wait for more.
    More,
    /// A whole request, with its body, and its first line for the log.
    Request(Request, Vec<u8>, String),
    /// The head asks for `100 Continue` before the client sends the body.
    Continue,
    /// Something that cannot be served: answer with this status and close (the first
    /// line for the log, `-` if the head never ended).
    Refuse(Status, String),
}

impl Conn {
    pub fn new(stream: TcpStream, peer: SocketAddr, slot: SlotGuard, timeout: Duration) -> Conn {
        Conn {
            stream,
            peer,
            token: 0,
            buf: Vec::new(),
            scanned: 0,
            stage: Stage::Head,
            deadline: Instant::now() + timeout,
            served: 0,
            _slot: slot,
        }
    }

    /// After a response: the next head must be complete within `timeout` from now.
    pub fn wait_for_next(&mut self, timeout: Duration) {
        self.stage = Stage::Head;
        self.deadline = Instant::now() + timeout;
    }

    /// Whether part of a request has arrived (then an expired wait earns a 408; without,
    /// the connection was idle and is closed without a word).
    pub fn started(&self) -> bool {
        matches!(self.stage, Stage::Body { .. })
            || self.buf.iter().any(|&b| b != b'\r' && b != b'\n')
    }

    /// Idle: no part of a request received, and no bytes waiting in the socket either (a
    /// request that arrived just before a stop is still answered).
    pub fn idle(&self) -> bool {
        let flags = MsgFlags::MSG_PEEK | MsgFlags::MSG_DONTWAIT;
        !self.started() && recv(self.stream.as_raw_fd(), &mut [0u8; 1], flags).is_err()
    }

    // ANCHOR: receive
    /// One read of what has arrived, without waiting (`recv` with MSG_DONTWAIT): epoll
    /// said there is something. `Ok(0)` when the client closed its side.
    pub fn receive(&mut self) -> io::Result<usize> {
        let start = self.buf.len();
        self.buf.resize(start + READ_SIZE, 0);
        let got = recv(
            self.stream.as_raw_fd(),
            &mut self.buf[start..],
            MsgFlags::MSG_DONTWAIT,
        );
        self.buf.truncate(start + *got.as_ref().unwrap_or(&0));
        Ok(got?)
    }
    // ANCHOR_END: receive

    // ANCHOR: next
    /// Looks at what has arrived: a whole request, not yet, or one to refuse.
    pub fn next(&mut self, config: &Config) -> Next {
        if let Stage::Head = self.stage {
            // Empty lines before a request are allowed and ignored (RFC 9112 §2.2).
            if self.scanned == 0 {
                let blank = self
                    .buf
                    .iter()
                    .take_while(|&&b| b == b'\r' || b == b'\n')
                    .count();
                self.buf.drain(..blank);
            }
            let Some(end) = end_of_head(&self.buf, self.scanned) else {
                if self.buf.len() > config.max_head {
                    return Next::Refuse(too_long(&self.buf, config.max_head), "-".into());
                }
                self.scanned = self.buf.len();
                return Next::More;
            };
            if end > config.max_head {
                return Next::Refuse(too_long(&self.buf, config.max_head), "-".into());
            }
            let head: Vec<u8> = self.buf.drain(..end).collect();
            self.scanned = 0;
            let line = first_line(&head);
            let request = match parse_head(&head) {
                Ok(request) => request,
                Err(status) => return Next::Refuse(status, line),
            };
            // How the body ends decides where the next request starts: when that is in
            // doubt, refuse and close.
            let body = match request.framing() {
                Err(status) => return Next::Refuse(status, line),
                Ok(Framing::None) => return Next::Request(request, Vec::new(), line),
                Ok(Framing::Length(n)) if n > config.max_body => {
                    return Next::Refuse(Status::PayloadTooLarge, line);
                }
                Ok(Framing::Length(n)) => Body::Length(n as usize),
                Ok(Framing::Chunked) => Body::Chunked(Box::new(Chunked::new(config.max_body))),
            };
            let continue_due = request.version == Version::Http11
                && request
                    .header("expect")
                    .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
            let started = Instant::now();
            self.deadline = started + config.timeout;
            self.stage = Stage::Body {
                request,
                line,
                body,
                started,
                continue_due,
            };
        }
        let Stage::Body {
            body,
            started,
            continue_due,
            ..
        } = &mut self.stage
        else {
            unreachable!("the head stage returned or became the body stage")
        };
        // Part of the body is here: the client did not wait for a go-ahead, and needs none.
        if !self.buf.is_empty() {
            *continue_due = false;
        }
        // The minimum rate: a body may take `timeout`, plus a second for every
        // `min_rate` bytes received so far.
        let complete = match body {
            Body::Length(length) => {
                let received = self.buf.len().min(*length);
                self.deadline = *started + config.timeout + per_rate(received, config.min_rate);
                self.buf.len() >= *length
            }
            Body::Chunked(chunked) => match chunked.feed(&self.buf) {
                Ok((used, done)) => {
                    self.buf.drain(..used);
                    self.deadline =
                        *started + config.timeout + per_rate(chunked.received(), config.min_rate);
                    done
                }
                Err(status) => {
                    let line = self.line();
                    return Next::Refuse(status, line);
                }
            },
        };
        if !complete {
            if *continue_due {
                *continue_due = false;
                return Next::Continue;
            }
            return Next::More;
        }
        let Stage::Body {
            request,
            line,
            body,
            ..
        } = std::mem::replace(&mut self.stage, Stage::Head)
        else {
            unreachable!("checked above")
        };
        let body = match body {
            Body::Length(length) => self.buf.drain(..length).collect(),
            Body::Chunked(chunked) => chunked.into_body(),
        };
        Next::Request(request, body, line)
    }
    // ANCHOR_END: next

    fn line(&self) -> String {
        match &self.stage {
            Stage::Body { line, .. } => line.clone(),
            Stage::Head => "-".into(),
        }
    }
}

/// How long `bytes` take at `rate` bytes per second.
fn per_rate(bytes: usize, rate: u64) -> Duration {
    Duration::from_secs_f64(bytes as f64 / rate.max(1) as f64)
}

/// 414 if even the request line is over the limit, 431 if the headers are.
fn too_long(buf: &[u8], max_head: usize) -> Status {
    let first_line_ends = buf.iter().position(|&b| b == b'\n');
    if first_line_ends.is_none_or(|at| at > max_head) {
        Status::UriTooLong
    } else {
        Status::HeadersTooLarge
    }
}

/// The request line, for the log: at most 200 characters, escaped.
pub fn first_line(head: &[u8]) -> String {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let shown: String = String::from_utf8_lossy(line).chars().take(200).collect();
    shown.escape_debug().to_string()
}
