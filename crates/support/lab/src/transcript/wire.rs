//! The grader's side of the wire: connecting to the program (or accepting its
//! connection), reading with deadlines, and the conversation for the report.

use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use super::Role;
use super::play::Player;
use super::render::show_short;

/// A connection to the program, with what has arrived but not been consumed.
pub(super) struct Connection {
    pub(super) stream: TcpStream,
    pub(super) pending: Vec<u8>,
    /// The program closed its side.
    pub(super) closed: bool,
}

impl Player<'_> {
    /// When the current step must be done: its timeout, or the end of the whole run.
    pub(super) fn step_deadline(&self) -> Instant {
        (Instant::now() + self.timeout).min(self.end)
    }

    /// The connection called `label`, opened (server) or accepted (client) on first use.
    pub(super) fn connection(&mut self, label: &str) -> Result<&mut Connection, String> {
        if !self.connections.contains_key(label) {
            let stream = match self.transcript.role {
                Role::Server => {
                    let addr = self.server_address()?;
                    let timeout = self.timeout;
                    let child = self.child.as_ref().expect("the child runs");
                    // From inside the program's network: its loopback is its own.
                    child
                        .network(|| TcpStream::connect_timeout(&addr, timeout))
                        .and_then(|connected| connected)
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
    pub(super) fn read(
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
    pub(super) fn skip_to(
        &mut self,
        label: &str,
        fits: impl Fn(&[u8]) -> bool,
    ) -> Result<(), String> {
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

    pub(super) fn conversation(&self) -> String {
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
