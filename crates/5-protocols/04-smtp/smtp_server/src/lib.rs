//! SMTP, the server's side (RFC 5321), as a state machine that does no I/O.
//!
//! [`Session`] takes the lines a client sends, one at a time, and says what to
//! answer. The program around it (`main.rs`) reads the lines from the socket,
//! writes the replies and appends each finished message to a mailbox file
//! ([`mbox_entry`], [`deliver`]). Keeping the protocol apart from the sockets lets
//! the tests feed it any bytes at all.

use std::fs::{self, OpenOptions};
use std::io::{self, BufRead, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The longest command line, without its CRLF (RFC 5321 §4.5.3.1.4: 512 with it).
pub const MAX_COMMAND: usize = 510;
/// The longest line of message text, without its CRLF (§4.5.3.1.6: 1000 with it).
pub const MAX_TEXT_LINE: usize = 998;
/// The most recipients one message may have (§4.5.3.1.8 asks servers to take 100).
pub const MAX_RECIPIENTS: usize = 100;
/// After this many commands answered with an error, the server hangs up.
pub const MAX_ERRORS: u32 = 10;

/// What the server is called and what it accepts.
#[derive(Debug, Clone)]
pub struct Config {
    /// The name in the greeting and in replies.
    pub hostname: String,
    /// The largest message, in bytes, that the server takes (announced as SIZE in
    /// EHLO).
    pub max_size: usize,
}

/// A message the client has finished sending: what [`deliver`] writes to the
/// mailboxes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The name the client gave in HELO or EHLO.
    pub helo: String,
    /// The client's address.
    pub peer: IpAddr,
    /// The reverse path from MAIL FROM (empty for `<>`, the null sender of
    /// bounces).
    pub from: String,
    /// Every accepted recipient from RCPT TO.
    pub recipients: Vec<String>,
    /// The message itself, lines ended by `\n`, dots already unstuffed.
    pub text: Vec<u8>,
}

/// What the program should do after a line.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    /// Send this reply (one or more lines, each ended by CRLF).
    Reply(String),
    /// Send this reply, then close the connection.
    ReplyAndClose(String),
    /// A line of the message was taken: send nothing.
    Nothing,
    /// The message is complete: deliver it, then send [`Session::delivered`]'s
    /// reply.
    Deliver(Message),
}

#[derive(Debug, PartialEq, Eq)]
enum Phase {
    /// Connected; waiting for HELO or EHLO.
    Greeted,
    /// HELO done; no transaction.
    Ready,
    /// MAIL FROM accepted; collecting RCPT TO.
    Mail,
    /// After DATA: every line is message text until a lone "." between two
    /// CRLFs.
    Data,
}

/// One client's conversation.
pub struct Session {
    config: Config,
    peer: IpAddr,
    phase: Phase,
    helo: String,
    from: String,
    recipients: Vec<String>,
    text: Vec<u8>,
    /// In DATA: whether the last line ended with CRLF, so that a "." line now
    /// would complete the CRLF.CRLF that ends the message.
    after_crlf: bool,
    /// Why the message being received cannot be delivered (too big, a line too
    /// long, a bare CR or LF), with the code of the reply its end gets.
    refused: Option<(u16, String)>,
    errors: u32,
    /// The server is shutting down: no new transaction may begin.
    stopping: bool,
}

impl Session {
    pub fn new(config: Config, peer: IpAddr) -> Session {
        Session {
            config,
            peer,
            phase: Phase::Greeted,
            helo: String::new(),
            from: String::new(),
            recipients: Vec::new(),
            text: Vec::new(),
            after_crlf: false,
            refused: None,
            errors: 0,
            stopping: false,
        }
    }

    /// The first thing the server says, before the client says anything.
    pub fn greeting(&self) -> String {
        reply(
            220,
            &format!("{} ESMTP smtp_server ready", self.config.hostname),
        )
    }

    /// What to say to a client that has been silent for too long.
    pub fn timeout(&self) -> String {
        reply(
            421,
            &format!(
                "{} idle for too long, closing connection",
                self.config.hostname
            ),
        )
    }

    /// The server is shutting down. A transaction under way (after MAIL) may
    /// still finish: its message is delivered. Any other command but QUIT is
    /// answered with [`Session::shutting_down`]'s 421, and the connection closed.
    pub fn server_stopping(&mut self) {
        self.stopping = true;
    }

    /// 421, the reply RFC 5321 (section 3.8) has for a server that must shut
    /// down: to the next command, or unprompted when the server cannot wait any
    /// longer. A 4xx code is a temporary failure: the client keeps any message it
    /// has not seen accepted with 250, and tries again later.
    pub fn shutting_down(&self) -> String {
        reply(
            421,
            &format!(
                "{} Service not available, shutting down; try again later",
                self.config.hostname
            ),
        )
    }

    // ANCHOR: line
    /// Takes one line from the client, with its line ending (CRLF, or the bare
    /// LF that nc sends when typed into without `-C`), and says what to do.
    pub fn line(&mut self, raw: &[u8]) -> Step {
        let (line, crlf) = split_ending(raw);
        if self.phase == Phase::Data {
            return self.data_line(line, crlf);
        }
        // A command may end with a bare LF: people type them with nc.
        if line.len() > MAX_COMMAND {
            return self.error(500, "Line too long");
        }
        // Commands are ASCII; anything else (invalid UTF-8 too) is no command.
        let Some(line) = std::str::from_utf8(line).ok().filter(|l| l.is_ascii())
        else {
            return self.error(500, "Syntax error, command unrecognized");
        };
        let (verb, rest) = match line.split_once(' ') {
            Some((verb, rest)) => (verb, rest.trim()),
            None => (line.trim(), ""),
        };
        let verb = verb.to_ascii_uppercase();
        // Shutting down: only a transaction under way goes on (see
        // server_stopping).
        if self.stopping && self.phase != Phase::Mail && verb != "QUIT" {
            return Step::ReplyAndClose(self.shutting_down());
        }
        match verb.as_str() {
            "HELO" => self.helo(rest, false),
            "EHLO" => self.helo(rest, true),
            "MAIL" => self.mail(rest),
            "RCPT" => self.rcpt(rest),
            "DATA" => self.data(rest),
            "RSET" if !rest.is_empty() => self.error(501, "Syntax: RSET"),
            "RSET" => {
                self.reset();
                Step::Reply(reply(250, "OK"))
            }
            "NOOP" => Step::Reply(reply(250, "OK")),
            "QUIT" => Step::ReplyAndClose(reply(
                221,
                &format!("{} closing connection", self.config.hostname),
            )),
            "HELP" => Step::Reply(reply(
                214,
                "Commands: HELO EHLO MAIL RCPT DATA RSET VRFY NOOP QUIT HELP",
            )),
            // RFC 5321 §3.5.3: a server that will not say whether a mailbox
            // exists answers 252 (and §7.3: telling would help spammers).
            "VRFY" if rest.is_empty() => self.error(501, "Syntax: VRFY address"),
            "VRFY" => Step::Reply(reply(
                252,
                "Cannot VRFY user, but will accept message and attempt delivery",
            )),
            "EXPN" | "TURN" | "SEND" | "SOML" | "SAML" => {
                self.error(502, "Command not implemented")
            }
            _ => self.error(500, "Syntax error, command unrecognized"),
        }
    }
    // ANCHOR_END: line

    /// A line longer than [`MAX_TEXT_LINE`] arrived: the reader threw its text
    /// away and kept only its `ending`, which still counts in DATA (a "." after
    /// it ends the message only if this line ended with CRLF).
    pub fn line_too_long(&mut self, ending: &[u8]) -> Step {
        if self.phase == Phase::Data {
            let (_, crlf) = split_ending(ending);
            self.after_crlf = crlf;
            self.refuse(
                552,
                &format!(
                    "Message has a line longer than {} bytes (with CRLF); \
                     not delivered",
                    MAX_TEXT_LINE + 2
                ),
            );
            return Step::Nothing;
        }
        self.error(500, "Line too long")
    }

    /// The reply once the program has tried to deliver the message
    /// [`Step::Deliver`] gave.
    pub fn delivered(&mut self, result: &io::Result<usize>) -> String {
        match result {
            Ok(1) => reply(250, "OK: delivered to 1 mailbox"),
            Ok(n) => reply(250, &format!("OK: delivered to {n} mailboxes")),
            Err(_) => reply(451, "Local error in processing; try again later"),
        }
    }

    fn helo(&mut self, name: &str, extended: bool) -> Step {
        // Visible ASCII only: the name is copied into the Received: line of every
        // mailbox, where a CR or an escape sequence would forge or garble it.
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_graphic()) {
            let verb = if extended { "EHLO" } else { "HELO" };
            return self.error(501, &format!("Syntax: {verb} hostname"));
        }
        // HELO in the middle of a transaction starts over (RFC 5321 §4.1.4).
        self.reset();
        self.phase = Phase::Ready;
        self.helo = name.to_owned();
        let hello =
            format!("{} Hello {name} [{}]", self.config.hostname, self.peer);
        if !extended {
            return Step::Reply(reply(250, &hello));
        }
        let size = format!("SIZE {}", self.config.max_size);
        Step::Reply(multiline(250, &[&hello, &size, "8BITMIME", "HELP"]))
    }

    // ANCHOR: mail
    fn mail(&mut self, rest: &str) -> Step {
        match self.phase {
            Phase::Greeted => {
                return self
                    .error(503, "Bad sequence of commands: send HELO first");
            }
            Phase::Mail => {
                return self.error(503, "Bad sequence of commands: nested MAIL");
            }
            _ => {}
        }
        let Some((address, params)) = path_argument(rest, "FROM:") else {
            return self.error(501, "Syntax: MAIL FROM:<address>");
        };
        if !address.is_empty() && !valid_address(address) {
            return self
                .error(501, &format!("Bad sender address syntax: {address}"));
        }
        // Parameters: the ones EHLO announced, SIZE=n (RFC 1870) and BODY=.
        for param in params.split_ascii_whitespace() {
            let (key, value) = param.split_once('=').unwrap_or((param, ""));
            match key.to_ascii_uppercase().as_str() {
                "SIZE" => match value.parse::<usize>() {
                    Ok(size) if size > self.config.max_size => {
                        return self
                            .error(552, "Message size exceeds the fixed limit");
                    }
                    Ok(_) => {}
                    Err(_) => return self.error(501, "Syntax: SIZE=number"),
                },
                "BODY"
                    if ["7BIT", "8BITMIME"]
                        .contains(&value.to_ascii_uppercase().as_str()) => {}
                _ => {
                    return self
                        .error(555, &format!("Parameter not recognised: {param}"));
                }
            }
        }
        self.from = address.to_owned();
        self.phase = Phase::Mail;
        Step::Reply(reply(250, "OK"))
    }
    // ANCHOR_END: mail

    fn rcpt(&mut self, rest: &str) -> Step {
        if self.phase != Phase::Mail {
            return self.error(503, "Bad sequence of commands: send MAIL first");
        }
        let Some((address, params)) = path_argument(rest, "TO:") else {
            return self.error(501, "Syntax: RCPT TO:<address>");
        };
        if !params.is_empty() {
            return self.error(555, &format!("Parameter not recognised: {params}"));
        }
        if mailbox_name(address).is_none() {
            return self
                .error(553, &format!("Mailbox name not allowed: {address}"));
        }
        if self.recipients.len() >= MAX_RECIPIENTS {
            return Step::Reply(reply(452, "Too many recipients"));
        }
        self.recipients.push(address.to_owned());
        Step::Reply(reply(250, "Accepted"))
    }

    fn data(&mut self, rest: &str) -> Step {
        if !rest.is_empty() {
            return self.error(501, "Syntax: DATA (no arguments)");
        }
        if self.phase != Phase::Mail || self.recipients.is_empty() {
            return self.error(503, "Bad sequence of commands: send RCPT first");
        }
        self.phase = Phase::Data;
        self.text.clear();
        // The CRLF of the DATA command counts as the first CRLF of CRLF.CRLF.
        self.after_crlf = true;
        self.refused = None;
        Step::Reply(reply(
            354,
            "Send the message; end with a line holding only \".\"",
        ))
    }

    // ANCHOR: data_line
    fn data_line(&mut self, line: &[u8], crlf: bool) -> Step {
        // The end of the message is CRLF "." CRLF and nothing else (RFC 5321
        // §4.1.1.4). A "." after a bare LF, or ended by one, is no end: were it
        // one, the lines after it would run as commands, a second message that
        // the client's own server never saw (SMTP smuggling).
        if line == b"." && crlf && self.after_crlf {
            // The end of the message: deliver it, unless it broke a rule.
            let refused = self.refused.take();
            let message = Message {
                helo: self.helo.clone(),
                peer: self.peer,
                from: std::mem::take(&mut self.from),
                recipients: std::mem::take(&mut self.recipients),
                text: std::mem::take(&mut self.text),
            };
            self.phase = Phase::Ready;
            return match refused {
                Some((code, why)) => Step::Reply(reply(code, &why)),
                None => Step::Deliver(message),
            };
        }
        self.after_crlf = crlf;
        // CR and LF come only as a pair (RFC 5321 §2.3.8). A message with a
        // bare one is refused whole when it ends: its sender is broken, or
        // hoping that two servers split it into different messages.
        if !crlf || line.contains(&b'\r') {
            self.refuse(
                554,
                "Message refused: a bare CR or LF in it (lines end with CRLF, \
                 RFC 5321 section 2.3.8); not delivered",
            );
        }
        // Dot-stuffing: the client doubled every dot that starts a line, so that
        // no line of the message can be the lone "." that ends it. Undo that.
        let line = line.strip_prefix(b".").unwrap_or(line);
        if self.text.len() + line.len() + 1 > self.config.max_size {
            self.refuse(
                552,
                &format!(
                    "Message exceeds the size limit of {} bytes; not delivered",
                    self.config.max_size
                ),
            );
        }
        if self.refused.is_none() {
            self.text.extend_from_slice(line);
            self.text.push(b'\n');
        }
        Step::Nothing
    }
    // ANCHOR_END: data_line

    /// The message being received will not be delivered: the first reason
    /// found is the one its end is answered with.
    fn refuse(&mut self, code: u16, why: &str) {
        if self.refused.is_none() {
            self.refused = Some((code, why.to_owned()));
            self.text = Vec::new();
        }
    }

    fn reset(&mut self) {
        if self.phase != Phase::Greeted {
            self.phase = Phase::Ready;
        }
        self.from.clear();
        self.recipients.clear();
        self.text.clear();
        self.refused = None;
    }

    fn error(&mut self, code: u16, text: &str) -> Step {
        self.errors += 1;
        if self.errors >= MAX_ERRORS {
            return Step::ReplyAndClose(format!(
                "{}{}",
                reply(code, text),
                reply(
                    421,
                    &format!(
                        "{} too many errors, closing connection",
                        self.config.hostname
                    )
                )
            ));
        }
        Step::Reply(reply(code, text))
    }
}

/// A line without its ending, and whether that ending was CRLF (false for a bare
/// LF, or for no ending at all).
fn split_ending(raw: &[u8]) -> (&[u8], bool) {
    if let Some(line) = raw.strip_suffix(b"\r\n") {
        (line, true)
    } else {
        (raw.strip_suffix(b"\n").unwrap_or(raw), false)
    }
}

/// What [`read_line`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A line and its ending (`\r\n`, or a bare `\n`).
    Line,
    /// A line with more than the limit before its ending: its text was thrown
    /// away, and only its ending is kept.
    TooLong,
    /// The client closed after some bytes that no `\n` ended; they are kept.
    Unterminated,
    /// The client closed the connection at the start of a line.
    End,
}

// ANCHOR: read_line
/// Reads one line into `line` (cleared first), its ending included, with at most
/// `max` bytes before the ending. Unlike netkit's `textline::read_line` it keeps
/// the ending, because in DATA a CRLF and a bare LF do not mean the same thing.
pub fn read_line(
    reader: &mut impl BufRead,
    line: &mut Vec<u8>,
    max: usize,
) -> io::Result<Input> {
    line.clear();
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            return Ok(match (too_long, line.is_empty()) {
                (true, _) => {
                    line.clear();
                    Input::TooLong
                }
                (false, true) => Input::End,
                (false, false) => Input::Unterminated,
            });
        }
        let newline = available.iter().position(|&b| b == b'\n');
        let used = newline.map_or(available.len(), |at| at + 1);
        line.extend_from_slice(&available[..used]);
        reader.consume(used);
        // Room for the text and CRLF. Over that, only the last two bytes are
        // kept: they tell a CRLF from a bare LF when the ending arrives.
        if line.len() > max + 2 {
            too_long = true;
            line.drain(..line.len() - 2);
        }
        if newline.is_some() {
            let text = split_ending(line).0.len();
            if too_long || text > max {
                let crlf = line.ends_with(b"\r\n");
                line.clear();
                line.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                return Ok(Input::TooLong);
            }
            return Ok(Input::Line);
        }
    }
}
// ANCHOR_END: read_line

/// `250 OK` and its CRLF. Text echoed from the client (an address) may hold
/// anything: control characters become `?`, so a reply is always one line, and it
/// is cut to fit the 512 bytes a reply line may have.
pub fn reply(code: u16, text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(400)
        .collect();
    format!("{code} {text}\r\n")
}

/// A reply of several lines: `250-first`, ..., `250 last`.
pub fn multiline(code: u16, lines: &[&str]) -> String {
    let last = lines.len() - 1;
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            format!("{code}{}{line}\r\n", if i == last { ' ' } else { '-' })
        })
        .collect()
}

/// Splits `FROM:<a@b> SIZE=10` into `a@b` and `SIZE=10`. The angle brackets are
/// what RFC 5321 asks for; like most servers we also take a bare address (`rcpt to:
/// bob@host`), which is what people type with nc.
fn path_argument<'a>(rest: &'a str, keyword: &str) -> Option<(&'a str, &'a str)> {
    let head = rest.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = rest[keyword.len()..].trim_start();
    if let Some(inside) = rest.strip_prefix('<') {
        let (address, params) = inside.split_once('>')?;
        Some((address, params.trim()))
    } else {
        let (address, params) = rest.split_once(' ').unwrap_or((rest, ""));
        (!address.is_empty()).then_some((address, params.trim()))
    }
}

/// `local@domain`, printable, no spaces or brackets, of a sensible length.
fn valid_address(address: &str) -> bool {
    let Some((local, domain)) = address.rsplit_once('@') else {
        return false;
    };
    address.len() <= 254
        && !local.is_empty()
        && !domain.is_empty()
        && address
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"<>()[],;\\\"".contains(&b))
}

// ANCHOR: mailbox_name
/// The mailbox (a file in the spool folder) a recipient's mail goes to: the part
/// before the `@`, in lower case, as `/var/mail/NAME`. `postmaster` alone is
/// allowed, as RFC 5321 requires. Names that could leave the folder (`..`, `/`) or
/// hide in it (`.x`) are not.
pub fn mailbox_name(address: &str) -> Option<String> {
    let local = match address.rsplit_once('@') {
        Some(_) if !valid_address(address) => return None,
        Some((local, _)) => local,
        None if address.eq_ignore_ascii_case("postmaster") => address,
        None => return None,
    };
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"._+-".contains(&b);
    (local.len() <= 64 && !local.starts_with('.') && local.bytes().all(allowed))
        .then(|| local.to_ascii_lowercase())
}
// ANCHOR_END: mailbox_name

// ANCHOR: mbox_entry
/// The message as one entry of an mbox file for `recipient`: a `From ` line that
/// starts the entry, a few trace headers, the message, and an empty line that ends
/// it.
///
/// A line of the message that begins with `From ` (or `>From `, `>>From `...) would
/// look like the start of a new entry, so it gets one more `>` (the "mboxrd"
/// convention; a mail reader takes it off again).
pub fn mbox_entry(message: &Message, recipient: &str, now: SystemTime) -> Vec<u8> {
    let sender = if message.from.is_empty() {
        "MAILER-DAEMON"
    } else {
        &message.from
    };
    let date = rfc5322_date(now);
    let (from, helo, peer) = (&message.from, &message.helo, message.peer);
    let mut entry = [
        format!("From {sender} {}\n", asctime(now)),
        format!("Return-Path: <{from}>\n"),
        format!("Envelope-to: {recipient}\n"),
        format!("Delivery-date: {date}\n"),
        format!(
            "Received: from {helo} ([{peer}]) by smtp_server with SMTP; {date}\n"
        ),
    ]
    .concat()
    .into_bytes();
    for line in message.text.split_inclusive(|&b| b == b'\n') {
        if line.iter().skip_while(|&&b| b == b'>').take(5).eq(b"From ") {
            entry.push(b'>');
        }
        entry.extend_from_slice(line);
    }
    if !entry.ends_with(b"\n") {
        entry.push(b'\n');
    }
    entry.push(b'\n');
    entry
}
// ANCHOR_END: mbox_entry

/// Appends the message to the mailbox of every recipient in `spool`; returns how
/// many mailboxes got it. The caller must keep two deliveries from running at once
/// (the server holds a lock around this call).
pub fn deliver(
    spool: &Path,
    message: &Message,
    now: SystemTime,
) -> io::Result<usize> {
    let mut done = Vec::new();
    for recipient in &message.recipients {
        let Some(name) = mailbox_name(recipient) else {
            continue; // RCPT already refused it; nothing to do
        };
        if done.contains(&name) {
            continue; // the same mailbox named twice gets one copy
        }
        let path: PathBuf = spool.join(&name);
        let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
        // One write of the whole entry: O_APPEND puts it at the end of the file.
        file.write_all(&mbox_entry(message, recipient, now))?;
        done.push(name);
    }
    Ok(done.len())
}

/// Creates the spool folder if needed.
pub fn prepare_spool(spool: &Path) -> io::Result<()> {
    fs::create_dir_all(spool)
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
    "Dec",
];

/// (year, month 1-12, day, hour, minute, second, weekday name) in UTC.
fn civil(time: SystemTime) -> (i64, usize, u32, u64, u64, u64, &'static str) {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    // Days since 1970-01-01 to a calendar date (the proleptic Gregorian calendar,
    // counted in 400-year eras that start on 1 March, so the leap day comes last).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as usize;
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = DAYS[(days % 7) as usize];
    (
        year,
        month,
        day,
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        weekday,
    )
}

/// `Sun, 22 Nov 2026 02:40:00 +0000`: the date format of mail headers.
pub fn rfc5322_date(time: SystemTime) -> String {
    let (y, mo, d, h, mi, s, wd) = civil(time);
    format!(
        "{wd}, {d:02} {} {y} {h:02}:{mi:02}:{s:02} +0000",
        MONTHS[mo - 1]
    )
}

/// `Sun Nov 22 02:40:00 2026`: the date format of an mbox `From ` line.
pub fn asctime(time: SystemTime) -> String {
    let (y, mo, d, h, mi, s, wd) = civil(time);
    format!("{wd} {} {d:2} {h:02}:{mi:02}:{s:02} {y}", MONTHS[mo - 1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn session() -> Session {
        let config = Config {
            hostname: "mx.test".into(),
            max_size: 200,
        };
        Session::new(config, "127.0.0.1".parse().unwrap())
    }

    /// A line as a conforming client sends it: ended by CRLF.
    fn feed(session: &mut Session, line: &[u8]) -> Step {
        session.line(&[line, b"\r\n"].concat())
    }

    fn say(session: &mut Session, line: &str) -> String {
        match feed(session, line.as_bytes()) {
            Step::Reply(r) | Step::ReplyAndClose(r) => r,
            Step::Nothing => String::new(),
            Step::Deliver(m) => format!("deliver {m:?}"),
        }
    }

    fn code(reply: &str) -> &str {
        &reply[..3]
    }

    #[test]
    fn the_notes_dialogue_delivers_one_message() {
        let mut s = session();
        assert_eq!(s.greeting(), "220 mx.test ESMTP smtp_server ready\r\n");
        assert_eq!(
            say(&mut s, "helo localhost"),
            "250 mx.test Hello localhost [127.0.0.1]\r\n"
        );
        assert_eq!(say(&mut s, "mail from: trump@whitehouse.gov"), "250 OK\r\n");
        assert_eq!(
            say(&mut s, "rcpt to: substack@localhost"),
            "250 Accepted\r\n"
        );
        assert_eq!(code(&say(&mut s, "data")), "354");
        for line in ["Subject: FAKE NEWS", "", "You're fired.", "..dot"] {
            assert_eq!(feed(&mut s, line.as_bytes()), Step::Nothing);
        }
        let Step::Deliver(m) = feed(&mut s, b".") else {
            panic!("the dot did not end the message")
        };
        assert_eq!(m.from, "trump@whitehouse.gov");
        assert_eq!(m.recipients, ["substack@localhost"]);
        assert_eq!(m.text, b"Subject: FAKE NEWS\n\nYou're fired.\n.dot\n");
        assert_eq!(s.delivered(&Ok(1)), "250 OK: delivered to 1 mailbox\r\n");
        assert_eq!(code(&say(&mut s, "QUIT")), "221");
    }

    #[test]
    fn commands_out_of_order_get_503() {
        let mut s = session();
        assert_eq!(code(&say(&mut s, "MAIL FROM:<a@b>")), "503");
        assert_eq!(code(&say(&mut s, "RCPT TO:<a@b>")), "503");
        assert_eq!(code(&say(&mut s, "DATA")), "503");
        say(&mut s, "EHLO me");
        assert_eq!(code(&say(&mut s, "DATA")), "503");
        assert_eq!(code(&say(&mut s, "MAIL FROM:<a@b>")), "250");
        assert_eq!(code(&say(&mut s, "MAIL FROM:<a@b>")), "503");
        assert_eq!(code(&say(&mut s, "DATA")), "503");
        assert_eq!(code(&say(&mut s, "RSET")), "250");
        assert_eq!(code(&say(&mut s, "RCPT TO:<a@b>")), "503");
    }

    #[test]
    fn bad_syntax_gets_501_and_unknown_commands_500() {
        let mut s = session();
        assert_eq!(code(&say(&mut s, "HELO")), "501");
        // The name goes into the Received: line of every mailbox: no control bytes.
        assert_eq!(code(&say(&mut s, "HELO a\rX-Injected:yes")), "501");
        assert_eq!(code(&say(&mut s, "EHLO \x1b[31mred")), "501");
        say(&mut s, "HELO me");
        assert_eq!(code(&say(&mut s, "MAIL <a@b>")), "501");
        assert_eq!(code(&say(&mut s, "MAIL FROM:<a@b")), "501");
        assert_eq!(code(&say(&mut s, "MAIL FROM:<nobody>")), "501");
        assert_eq!(code(&say(&mut s, "MAIL FROM:<a@b> SIZE=x")), "501");
        assert_eq!(code(&say(&mut s, "MAIL FROM:<a@b> SIZE=999")), "552");
        assert_eq!(code(&say(&mut s, "MAIL FROM:<a@b> COLOUR=red")), "555");
        assert_eq!(code(&say(&mut s, "FROB")), "500");
        assert_eq!(code(&say(&mut s, "VRFY")), "501");
        assert_eq!(code(&say(&mut s, "EXPN staff")), "502");
        // An address echoed in a reply cannot break the reply into two lines.
        let echoed = say(&mut s, "MAIL FROM:<x\r250 forged@x.y>");
        assert_eq!(
            echoed.split("\r\n").next().unwrap(),
            "501 Bad sender address syntax: x?250 forged@x.y"
        );
    }

    #[test]
    fn the_null_sender_and_postmaster_are_allowed_but_odd_mailboxes_are_not() {
        let mut s = session();
        say(&mut s, "HELO me");
        assert_eq!(code(&say(&mut s, "MAIL FROM:<>")), "250");
        assert_eq!(code(&say(&mut s, "RCPT TO:<Postmaster>")), "250");
        for bad in ["../etc@x", ".hidden@x", "a/b@x", "nobody", "a b@x", "@x"] {
            assert_eq!(
                code(&say(&mut s, &format!("RCPT TO:<{bad}>"))),
                "553",
                "{bad}"
            );
        }
    }

    #[test]
    fn garbage_never_panics_and_ten_errors_close_the_connection() {
        let mut s = session();
        let junk: [&[u8]; 4] =
            [b"\xff\xfe", b"\x00\x01\x02", "HÉLO x".as_bytes(), b""];
        for (i, line) in junk.iter().cycle().take(9).enumerate() {
            let step = feed(&mut s, line);
            assert!(
                matches!(step, Step::Reply(ref r) if r.starts_with("500")),
                "{i}: {step:?}"
            );
        }
        assert!(
            matches!(feed(&mut s, b"\xff"), Step::ReplyAndClose(ref r) if r.contains("421 "))
        );
    }

    #[test]
    fn random_bytes_never_panic_and_every_reply_is_a_code_and_crlf() {
        let noise = testkit::noise(200_000, 11);
        let mut s = session();
        // Random lines, with now and then a real command so every phase is visited.
        let commands: [&[u8]; 6] = [
            b"EHLO x",
            b"MAIL FROM:<a@b.c>",
            b"RCPT TO:<d@e.f>",
            b"DATA",
            b".",
            b"RSET",
        ];
        for (i, chunk) in noise.chunks(97).enumerate() {
            let line = if i % 3 == 0 {
                commands[i / 3 % commands.len()]
            } else {
                chunk
            };
            let reply = match feed(&mut s, line) {
                Step::Reply(r) | Step::ReplyAndClose(r) => r,
                Step::Nothing | Step::Deliver(_) => continue,
            };
            for part in reply.split_terminator("\r\n") {
                assert!(
                    part.len() >= 4
                        && part.as_bytes()[..3].iter().all(u8::is_ascii_digit),
                    "{part:?}"
                );
                assert!(
                    !part.contains(['\r', '\n']) && part.len() <= 510,
                    "{part:?}"
                );
            }
            if matches!(feed(&mut s, b"RSET"), Step::ReplyAndClose(_)) {
                s = session(); // ten errors: a new connection
            }
        }
    }

    #[test]
    fn while_stopping_a_transaction_under_way_finishes_and_nothing_new_begins() {
        let mut s = session();
        for line in ["EHLO me", "MAIL FROM:<a@b>", "RCPT TO:<c@d>"] {
            say(&mut s, line);
        }
        s.server_stopping();
        // The transaction that had begun goes on to its delivery...
        assert_eq!(code(&say(&mut s, "RCPT TO:<e@f>")), "250");
        assert_eq!(code(&say(&mut s, "DATA")), "354");
        assert_eq!(
            feed(&mut s, b"MAIL FROM is just text in here"),
            Step::Nothing
        );
        assert!(matches!(feed(&mut s, b"."), Step::Deliver(_)));
        // ...but the next command is told 421, and the connection closes.
        let Step::ReplyAndClose(r) = feed(&mut s, b"MAIL FROM:<a@b>") else {
            panic!("a new transaction began while stopping")
        };
        assert!(r.starts_with("421 mx.test Service not available"), "{r}");
        // QUIT is still QUIT.
        let mut quitter = session();
        quitter.server_stopping();
        assert_eq!(code(&say(&mut quitter, "QUIT")), "221");
        let mut idle = session();
        say(&mut idle, "HELO me");
        idle.server_stopping();
        assert_eq!(code(&say(&mut idle, "NOOP")), "421");
    }

    #[test]
    fn vrfy_says_neither_yes_nor_no() {
        let mut s = session();
        assert_eq!(
            say(&mut s, "VRFY bob"),
            "252 Cannot VRFY user, but will accept message and attempt delivery\r\n"
        );
    }

    /// Feeds raw bytes as the reader would cut them: at every LF.
    fn feed_raw(s: &mut Session, bytes: &[u8]) -> Vec<Step> {
        bytes
            .split_inclusive(|&b| b == b'\n')
            .map(|line| s.line(line))
            .filter(|step| *step != Step::Nothing)
            .collect()
    }

    #[test]
    fn only_crlf_dot_crlf_ends_a_message_and_a_bare_cr_or_lf_refuses_it() {
        for smuggled_end in [
            &b"\n.\n"[..],
            b"\n.\r\n",
            b"\r\n.\n",
            b"\r.\r\n",
            b"\r\n.\r",
            b"\r\n.\rX\r\n",
        ] {
            let mut s = session();
            for line in ["HELO me", "MAIL FROM:<a@b>", "RCPT TO:<c@d>", "DATA"] {
                say(&mut s, line);
            }
            let mut wire = b"Subject: x\r\n\r\nhi".to_vec();
            wire.extend_from_slice(smuggled_end);
            wire.extend_from_slice(b"MAIL FROM:<boss@bank>\r\nRCPT TO:<e@f>\r\n");
            wire.extend_from_slice(b"DATA\r\npay\r\n.\r\n");
            let steps = feed_raw(&mut s, &wire);
            // One reply, to the one real end; the rest was text of the message.
            let [Step::Reply(r)] = &steps[..] else {
                panic!("{smuggled_end:?}: {steps:?}")
            };
            assert!(r.starts_with("554 Message refused: a bare CR or LF"), "{r}");
            // The session is in step: the next command is a command.
            assert_eq!(code(&say(&mut s, "MAIL FROM:<a@b>")), "250");
        }
    }

    #[test]
    fn a_dot_that_is_no_end_is_text_and_a_clean_message_is_delivered() {
        let mut s = session();
        for line in ["HELO me", "MAIL FROM:<a@b>", "RCPT TO:<c@d>", "DATA"] {
            say(&mut s, line);
        }
        let steps = feed_raw(&mut s, b"one\r\n..\r\n. \r\n.\r\n");
        let [Step::Deliver(m)] = &steps[..] else {
            panic!("{steps:?}")
        };
        assert_eq!(m.text, b"one\n.\n \n");
    }

    /// Every line `read_line` gives for `input`, read through a buffer of `buffer`
    /// bytes.
    fn read_all(input: &[u8], max: usize, buffer: usize) -> Vec<(Input, Vec<u8>)> {
        let mut reader = io::BufReader::with_capacity(buffer, input);
        let mut line = Vec::new();
        let mut out = Vec::new();
        for _ in 0..100 {
            let kind = read_line(&mut reader, &mut line, max).unwrap();
            out.push((kind, line.clone()));
            if matches!(kind, Input::End | Input::Unterminated) {
                break;
            }
        }
        out
    }

    #[test]
    fn read_line_keeps_the_ending_and_tells_crlf_from_lf_even_when_too_long() {
        for buffer in [1, 2, 3, 7, 64] {
            let got = read_all(
                b"12345\r\n123456\r\n1234567\nab\r\r\n123456789\r\r\nend",
                5,
                buffer,
            );
            let want: Vec<(Input, Vec<u8>)> = vec![
                (Input::Line, b"12345\r\n".to_vec()),
                (Input::TooLong, b"\r\n".to_vec()),
                (Input::TooLong, b"\n".to_vec()),
                (Input::Line, b"ab\r\r\n".to_vec()),
                (Input::TooLong, b"\r\n".to_vec()),
                (Input::Unterminated, b"end".to_vec()),
            ];
            assert_eq!(got, want, "buffer of {buffer}");
        }
        assert_eq!(read_all(b"", 5, 8), [(Input::End, vec![])]);
        // The client closed in the middle of a line already too long: too long,
        // and none of it kept.
        for buffer in [1, 3, 64] {
            assert_eq!(
                read_all(b"12345678", 5, buffer),
                [(Input::TooLong, vec![]), (Input::End, vec![])],
                "buffer of {buffer}"
            );
        }
    }

    #[test]
    fn a_message_over_the_size_limit_is_refused_after_its_dot() {
        let mut s = session();
        for line in ["HELO me", "MAIL FROM:<a@b>", "RCPT TO:<c@d>", "DATA"] {
            say(&mut s, line);
        }
        for _ in 0..30 {
            assert_eq!(feed(&mut s, b"0123456789"), Step::Nothing);
        }
        assert_eq!(code(&say(&mut s, ".")), "552");
        // The session goes on: a new transaction works.
        assert_eq!(code(&say(&mut s, "MAIL FROM:<a@b>")), "250");
    }

    #[test]
    fn a_message_of_exactly_the_size_limit_is_delivered() {
        let delivered = |lines: usize, last: &[u8]| {
            let mut s = session();
            for line in ["HELO me", "MAIL FROM:<a@b>", "RCPT TO:<c@d>", "DATA"] {
                say(&mut s, line);
            }
            // Each line is 9 bytes and its newline: 10 bytes of the message.
            for _ in 0..lines {
                feed(&mut s, b"012345678");
            }
            feed(&mut s, last);
            say(&mut s, ".")
        };
        assert!(
            delivered(19, b"012345678").starts_with("deliver"),
            "200 bytes"
        );
        // An empty line is one byte of the message too (its newline).
        assert_eq!(code(&delivered(20, b"")), "552", "201 bytes");
        assert_eq!(code(&delivered(20, b"012345678")), "552", "210 bytes");
    }

    #[test]
    fn read_line_retries_a_read_interrupted_by_a_signal() {
        /// A reader whose every other read fails with EINTR.
        struct Interrupted<'a>(&'a [u8], bool);
        impl std::io::Read for Interrupted<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                self.1 = !self.1;
                if self.1 {
                    return Err(io::ErrorKind::Interrupted.into());
                }
                let n = buf.len().min(self.0.len()).min(3);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut reader = std::io::BufReader::with_capacity(
            4,
            Interrupted(b"HELO me\r\n", false),
        );
        let mut line = Vec::new();
        assert_eq!(read_line(&mut reader, &mut line, 100).unwrap(), Input::Line);
        assert_eq!(line, b"HELO me\r\n");
    }

    #[test]
    fn mbox_entries_quote_from_lines_and_end_with_an_empty_line() {
        let message = Message {
            helo: "me".into(),
            peer: "::1".parse().unwrap(),
            from: String::new(),
            recipients: vec!["bob@x".into()],
            text: b"Subject: hi\n\nFrom here\n>From there\nFromage\n".to_vec(),
        };
        let entry = mbox_entry(
            &message,
            "bob@x",
            UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        );
        let entry = String::from_utf8(entry).unwrap();
        assert!(
            entry.starts_with("From MAILER-DAEMON Tue Nov 14 22:13:20 2023\n"),
            "{entry}"
        );
        assert!(entry.contains("Delivery-date: Tue, 14 Nov 2023 22:13:20 +0000\n"));
        assert!(
            entry.ends_with("\n>From here\n>>From there\nFromage\n\n"),
            "{entry}"
        );
    }

    #[test]
    fn dates_are_right_at_known_instants() {
        let at = |secs| UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(rfc5322_date(at(0)), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(asctime(at(0)), "Thu Jan  1 00:00:00 1970");
        // 2000-02-29 (a leap day in a year divisible by 400) at 12:34:56.
        assert_eq!(
            rfc5322_date(at(951_827_696)),
            "Tue, 29 Feb 2000 12:34:56 +0000"
        );
        assert_eq!(asctime(at(4_102_444_799)), "Thu Dec 31 23:59:59 2099");
        // 2100 is divisible by 100 but not by 400: no leap day, so 28 February
        // is followed by 1 March.
        assert_eq!(
            rfc5322_date(at(4_107_542_399)),
            "Sun, 28 Feb 2100 23:59:59 +0000"
        );
        assert_eq!(
            rfc5322_date(at(4_107_542_400)),
            "Mon, 01 Mar 2100 00:00:00 +0000"
        );
    }
}
