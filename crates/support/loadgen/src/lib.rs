//! The parts of loadgen that are plain computation: the bytes to send, the bytes to
//! expect, the reading of HTTP responses, percentiles, and the report in text, CSV and
//! JSON (written by hand).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

/// What a reply must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Expect {
    /// The request with a-z uppercased (the uppercase servers).
    Upper,
    /// The request unchanged (an echo server).
    Echo,
}

/// The request number `n` of connection `conn`: `size` bytes of lowercase letters, digits
/// and punctuation, different for every request so a reply cannot be mistaken for another.
pub fn request(conn: usize, n: u64, size: usize) -> Vec<u8> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789 .,!-?";
    let start = conn.wrapping_mul(7).wrapping_add(n as usize);
    (0..size)
        .map(|k| ALPHABET[(start + k * 5) % ALPHABET.len()])
        .collect()
}

/// The reply a correct server sends to `request`.
pub fn expected(request: &[u8], expect: Expect) -> Vec<u8> {
    match expect {
        Expect::Upper => request.to_ascii_uppercase(),
        Expect::Echo => request.to_vec(),
    }
}

/// A keep-alive GET of `path` (HTTP/1.1 keeps the connection open unless asked not to).
pub fn http_get(path: &str, host: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: loadgen\r\n\r\n").into_bytes()
}

/// What loadgen checks in an HTTP response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub status: u16,
    /// The body length from `Content-Length` (loadgen reads no other framing).
    pub content_length: u64,
    /// The server closes the connection after this response (`Connection: close`).
    pub close: bool,
}

/// Where the head ends in `buf`: the index just past `\r\n\r\n`.
pub fn end_of_response_head(buf: &[u8]) -> Option<usize> {
    buf.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// Parses a response head (status line and header lines, through the empty line). A
/// response without `Content-Length`, or with `Transfer-Encoding`, is an error here: a
/// static file from nginx or http_server always has a length.
pub fn parse_response_head(head: &[u8]) -> Result<ResponseHead, String> {
    let text = std::str::from_utf8(head).map_err(|_| "a response head that is not UTF-8")?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let (Some(version), Some(code)) = (parts.next(), parts.next()) else {
        return Err(format!("not a status line: {status_line:?}"));
    };
    if !version.starts_with("HTTP/1.") || code.len() != 3 {
        return Err(format!("not a status line: {status_line:?}"));
    }
    let status = code
        .parse()
        .map_err(|_| format!("not a status code: {code:?}"))?;
    let mut content_length = None;
    let mut close = version == "HTTP/1.0";
    for line in lines.take_while(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("not a header line: {line:?}"));
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(
                value
                    .parse()
                    .map_err(|_| format!("bad Content-Length: {value:?}"))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(format!("a body framed by Transfer-Encoding: {value}"));
        } else if name.eq_ignore_ascii_case("connection") {
            close = value
                .split(',')
                .any(|t| t.trim().eq_ignore_ascii_case("close"));
        }
    }
    let content_length = match (status, content_length) {
        // 304 and 204 have no body, whatever they say.
        (204 | 304, _) => 0,
        (_, Some(n)) => n,
        (_, None) => return Err("a response without Content-Length".into()),
    };
    Ok(ResponseHead {
        status,
        content_length,
        close,
    })
}

/// The latency below which `percent` % of the sorted `latencies` lie (nearest rank).
pub fn percentile(sorted: &[Duration], percent: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((percent / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Why requests failed, counted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Errors {
    /// connect() failed or timed out.
    pub connect: u64,
    /// A send or receive failed: reset, timeout, or the server closed early.
    pub io: u64,
    /// The reply arrived but was not the expected bytes (a busy message, for example).
    pub wrong_reply: u64,
}

impl Errors {
    pub fn total(&self) -> u64 {
        self.connect + self.io + self.wrong_reply
    }

    pub fn add(&mut self, other: Errors) {
        self.connect += other.connect;
        self.io += other.io;
        self.wrong_reply += other.wrong_reply;
    }
}

/// What the client threads measured, put together.
#[derive(Debug, Default, Clone)]
pub struct Measured {
    /// The latency of every successful request (send to last byte of the reply).
    pub latencies: Vec<Duration>,
    /// For every client, how long after the start of the run its first reply arrived:
    /// connecting and any wait to be served included.
    pub first_replies: Vec<Duration>,
    pub connects: u64,
    pub errors: Errors,
}

/// Everything a run measured.
#[derive(Debug, Clone)]
pub struct Report {
    pub label: String,
    pub target: SocketAddr,
    /// `persistent` (M requests per connection) or `connect-per-request`.
    pub mode: &'static str,
    pub connections: usize,
    pub size: usize,
    pub ok: u64,
    pub connects: u64,
    pub errors: Errors,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// The median and the longest time a client waited for its first reply.
    pub first_p50: Duration,
    pub first_max: Duration,
}

impl Report {
    /// Builds the report from what the clients measured (in any order).
    pub fn new(
        label: String,
        target: SocketAddr,
        mode: &'static str,
        (connections, size): (usize, usize),
        measured: Measured,
        elapsed: Duration,
    ) -> Report {
        let Measured {
            mut latencies,
            mut first_replies,
            connects,
            errors,
        } = measured;
        latencies.sort_unstable();
        first_replies.sort_unstable();
        Report {
            label,
            target,
            mode,
            connections,
            size,
            ok: latencies.len() as u64,
            connects,
            errors,
            elapsed,
            p50: percentile(&latencies, 50.0),
            p90: percentile(&latencies, 90.0),
            p99: percentile(&latencies, 99.0),
            max: latencies.last().copied().unwrap_or_default(),
            first_p50: percentile(&first_replies, 50.0),
            first_max: first_replies.last().copied().unwrap_or_default(),
        }
    }

    pub fn requests_per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn connections_per_second(&self) -> f64 {
        self.connects as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The report for people.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "target      {} ({}, {} connections, {} bytes per request)",
            self.target, self.mode, self.connections, self.size
        );
        let _ = writeln!(
            out,
            "requests    {} ok, {} errors (connect {}, io {}, wrong reply {}) in {:.2} s",
            self.ok,
            self.errors.total(),
            self.errors.connect,
            self.errors.io,
            self.errors.wrong_reply,
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(
            out,
            "throughput  {:.0} requests/s, {:.0} connections/s",
            self.requests_per_second(),
            self.connections_per_second()
        );
        let _ = writeln!(
            out,
            "latency     p50 {} µs, p90 {} µs, p99 {} µs, max {} µs",
            micros(self.p50),
            micros(self.p90),
            micros(self.p99),
            micros(self.max)
        );
        let _ = writeln!(
            out,
            "first reply p50 {} µs, max {} µs after the start (connect and any wait included)",
            micros(self.first_p50),
            micros(self.first_max)
        );
        out
    }

    pub const CSV_HEADER: &'static str = "label,mode,connections,size,ok,errors,seconds,requests_per_s,connections_per_s,p50_us,p90_us,p99_us,max_us,first_p50_us,first_max_us";

    /// One CSV row (matching [`Report::CSV_HEADER`]).
    pub fn csv_row(&self) -> String {
        format!(
            "{},{},{},{},{},{},{:.3},{:.0},{:.0},{},{},{},{},{},{}",
            csv_field(&self.label),
            self.mode,
            self.connections,
            self.size,
            self.ok,
            self.errors.total(),
            self.elapsed.as_secs_f64(),
            self.requests_per_second(),
            self.connections_per_second(),
            micros(self.p50),
            micros(self.p90),
            micros(self.p99),
            micros(self.max),
            micros(self.first_p50),
            micros(self.first_max)
        )
    }

    /// One JSON object, on one line.
    pub fn json(&self) -> String {
        format!(
            concat!(
                "{{\"label\":{},\"target\":\"{}\",\"mode\":\"{}\",\"connections\":{},\"size\":{},",
                "\"ok\":{},\"errors\":{{\"total\":{},\"connect\":{},\"io\":{},\"wrong_reply\":{}}},",
                "\"seconds\":{:.3},\"requests_per_s\":{:.0},\"connections_per_s\":{:.0},",
                "\"latency_us\":{{\"p50\":{},\"p90\":{},\"p99\":{},\"max\":{}}},",
                "\"first_reply_us\":{{\"p50\":{},\"max\":{}}}}}"
            ),
            json_string(&self.label),
            self.target,
            self.mode,
            self.connections,
            self.size,
            self.ok,
            self.errors.total(),
            self.errors.connect,
            self.errors.io,
            self.errors.wrong_reply,
            self.elapsed.as_secs_f64(),
            self.requests_per_second(),
            self.connections_per_second(),
            micros(self.p50),
            micros(self.p90),
            micros(self.p99),
            micros(self.max),
            micros(self.first_p50),
            micros(self.first_max)
        )
    }
}

/// A duration in whole microseconds.
pub fn micros(d: Duration) -> u128 {
    d.as_micros()
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// A JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_differ_and_have_lowercase_to_change() {
        let a = request(0, 0, 64);
        let b = request(0, 1, 64);
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(a.iter().any(u8::is_ascii_lowercase));
        assert_ne!(expected(&a, Expect::Upper), a);
        assert_eq!(expected(&a, Expect::Echo), a);
    }

    #[test]
    fn response_heads_parse_and_odd_ones_are_errors() {
        let head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\ncontent-length: 1128\r\n\r\n";
        assert_eq!(
            end_of_response_head(b"HTTP/1.1 200 OK\r\n\r\nbody"),
            Some(19)
        );
        assert_eq!(end_of_response_head(b"HTTP/1.1 200 OK\r\n"), None);
        assert_eq!(
            parse_response_head(head),
            Ok(ResponseHead {
                status: 200,
                content_length: 1128,
                close: false
            })
        );
        let closing = parse_response_head(
            b"HTTP/1.1 404 Not Found\r\nConnection: keep-alive, close\r\nContent-Length: 3\r\n\r\n",
        )
        .unwrap();
        assert_eq!((closing.status, closing.close), (404, true));
        let not_modified = parse_response_head(b"HTTP/1.1 304 Not Modified\r\n\r\n").unwrap();
        assert_eq!(not_modified.content_length, 0);
        assert!(
            parse_response_head(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap()
                .close
        );
        for bad in [
            &b"hello\r\n\r\n"[..],
            b"HTTP/1.1 2000 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n",
        ] {
            assert!(
                parse_response_head(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&ms, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&ms, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&ms, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&ms[..1], 50.0), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }

    fn sample() -> Report {
        Report::new(
            "pool, \"fast\"".to_owned(),
            "127.0.0.1:12000".parse().unwrap(),
            "persistent",
            (2, 64),
            Measured {
                latencies: vec![Duration::from_micros(30), Duration::from_micros(10)],
                first_replies: vec![Duration::from_micros(500), Duration::from_micros(70)],
                connects: 2,
                errors: Errors {
                    connect: 0,
                    io: 1,
                    wrong_reply: 0,
                },
            },
            Duration::from_secs(2),
        )
    }

    #[test]
    fn csv_quotes_the_label_and_matches_the_header() {
        let row = sample().csv_row();
        assert!(
            row.starts_with(
                "\"pool, \"\"fast\"\"\",persistent,2,64,2,1,2.000,1,1,10,30,30,30,70,500"
            ),
            "{row}"
        );
    }

    #[test]
    fn json_is_one_object_with_escaped_strings() {
        let json = sample().json();
        assert!(
            json.starts_with("{\"label\":\"pool, \\\"fast\\\"\","),
            "{json}"
        );
        assert!(
            json.contains("\"errors\":{\"total\":1,\"connect\":0,\"io\":1,\"wrong_reply\":0}"),
            "{json}"
        );
        assert!(
            json.ends_with(
                "\"latency_us\":{\"p50\":10,\"p90\":30,\"p99\":30,\"max\":30},\
                 \"first_reply_us\":{\"p50\":70,\"max\":500}}"
            ),
            "{json}"
        );
    }
}
