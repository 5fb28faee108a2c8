//! The client's half of SMTP: reading replies, and preparing the message text.

use std::io::{self, BufRead};
use std::time::{SystemTime, UNIX_EPOCH};

use netkit::textline::{self, Line};

/// The longest reply line we read (RFC 5321 §4.5.3.1.5: 512 with its CRLF).
pub const MAX_REPLY_LINE: usize = 510;
/// The longest line of message text (§4.5.3.1.6: 1000 with its CRLF).
pub const MAX_TEXT_LINE: usize = 998;

/// One reply: its three-digit code and the text of each of its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub lines: Vec<String>,
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.lines.join(" / "))
    }
}

// ANCHOR: read_reply
/// Reads one reply. A reply is one line, `250 OK`, or several: every line but the
/// last has a `-` after the code (`250-SIZE 1048576`), the last one a space.
pub fn read_reply(reader: &mut impl BufRead) -> io::Result<Reply> {
    let mut lines = Vec::new();
    let mut line = Vec::new();
    for _ in 0..100 {
        match textline::read_line(reader, &mut line, MAX_REPLY_LINE)? {
            Line::Complete => {}
            Line::TooLong => {
                return Err(not_smtp("a reply line longer than 512 bytes"));
            }
            Line::End | Line::Unterminated => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection",
                ));
            }
        }
        let text = String::from_utf8_lossy(&line);
        let code = text
            .get(..3)
            .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|c| c.parse::<u16>().ok())
            .filter(|c| (200..600).contains(c))
            .ok_or_else(|| {
                not_smtp(&format!("'{text}' does not start with a reply code"))
            })?;
        let more = text.as_bytes().get(3) == Some(&b'-');
        lines.push(text.get(4..).unwrap_or("").to_owned());
        if !more {
            return Ok(Reply { code, lines });
        }
    }
    Err(not_smtp("a reply of more than 100 lines"))
}
// ANCHOR_END: read_reply

fn not_smtp(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("not an SMTP server: {what}"),
    )
}

// ANCHOR: message_text
/// The message as it goes over the wire after DATA: headers, an empty line, the
/// body, every line ended by CRLF and every line that starts with `.` given one
/// more (dot- stuffing), then the lone `.` that ends it.
///
/// The headers are the ones RFC 5322 asks of every message (§3.6: `Date:` and
/// `From:`) and the ones it says a message should have (`Message-ID:`, `To:`),
/// then `Subject:`, as an RFC 2047 encoded-word when it is not plain ASCII, and
/// for a body that is not ASCII, the MIME headers that say it is UTF-8.
pub fn message_text(
    from: &str,
    to: &[String],
    subject: &str,
    sent: SystemTime,
    body: &[u8],
) -> Result<Vec<u8>, String> {
    let to = to
        .iter()
        .map(|t| format!("<{t}>"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut text = format!(
        "Date: {}\r\nFrom: <{from}>\r\nTo: {to}\r\nMessage-ID: {}\r\n",
        rfc5322_date(sent),
        message_id(from, sent, std::process::id()),
    );
    if !subject.is_empty() {
        text.push_str(&format!("Subject: {}\r\n", header_text(subject)));
    }
    if !body.is_ascii() {
        // Text that is not ASCII says how to read it (RFC 2045 and 2046).
        text.push_str(
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n\
             Content-Transfer-Encoding: 8bit\r\n",
        );
    }
    text.push_str("\r\n");
    let mut wire = text.into_bytes();
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    if !body.is_empty() {
        for (number, line) in body.split(|&b| b == b'\n').enumerate() {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            let stuffed = line.starts_with(b".");
            if line.len() + usize::from(stuffed) > MAX_TEXT_LINE {
                let (number, length) =
                    (number + 1, line.len() + usize::from(stuffed));
                return Err(format!(
                    "line {number} of the message is {length} bytes long; SMTP \
                     carries lines of at most {MAX_TEXT_LINE} bytes"
                ));
            }
            if stuffed {
                wire.push(b'.');
            }
            wire.extend_from_slice(line);
            wire.extend_from_slice(b"\r\n");
        }
    }
    wire.extend_from_slice(b".\r\n");
    Ok(wire)
}
// ANCHOR_END: message_text

// ANCHOR: headers
/// Header text as it may travel: printable ASCII stays as it is; anything else
/// (`Grüße`, a control character) becomes RFC 2047 encoded-words,
/// `=?UTF-8?B?R3LDvMOfZQ==?=`: the UTF-8 bytes in base64 (§4.1), each word at
/// most 75 characters and each line that holds one at most 76 (§2), words on
/// lines of their own joined by folding (CRLF and a space, which a reader drops
/// between two encoded-words, §6.2). Text that merely looks like an
/// encoded-word (`=?`) is encoded too, so that a reader cannot misread it.
pub fn header_text(text: &str) -> String {
    let plain = text.bytes().all(|b| (b' '..=b'~').contains(&b));
    if plain && !text.contains("=?") && text.len() <= 900 {
        return text.to_owned();
    }
    // 39 bytes make 52 base64 characters: a word of 64, which fits on the first
    // line after "Subject: " and on every folded line after its space.
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 39 {
            words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    words.push(format!("=?UTF-8?B?{}?=", base64(chunk.as_bytes())));
    words.join("\r\n ")
}

/// Base64 (RFC 4648 §4): every 3 bytes become 4 characters of 64, `=` pads.
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] =
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for group in bytes.chunks(3) {
        let n = group
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= group.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `<1700000000.123456789.4242@example.org>`: an id no other message has
/// (RFC 5322 §3.6.4): the time to the nanosecond and our process id, at the
/// sender's domain.
pub fn message_id(from: &str, sent: SystemTime, pid: u32) -> String {
    let since = sent.duration_since(UNIX_EPOCH).unwrap_or_default();
    let domain = from
        .rsplit_once('@')
        .map(|(_, domain)| domain)
        .filter(|d| {
            !d.is_empty()
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-.".contains(&b))
        })
        .unwrap_or("localhost");
    format!(
        "<{}.{:09}.{pid}@{domain}>",
        since.as_secs(),
        since.subsec_nanos()
    )
}

/// `Tue, 14 Nov 2023 22:13:20 +0000`: the date format of mail headers (RFC 5322
/// §3.3), in UTC.
pub fn rfc5322_date(time: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
        "Nov", "Dec",
    ];
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rest = secs % 86_400;
    // Days since 1970-01-01 to a calendar date: the proleptic Gregorian
    // calendar, counted in 400-year eras that start on 1 March (so the leap day
    // comes last).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        DAYS[(days % 7) as usize],
        MONTHS[month as usize - 1],
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}
// ANCHOR_END: headers

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(bytes: &[u8]) -> io::Result<Reply> {
        read_reply(&mut io::BufReader::new(bytes))
    }

    #[test]
    fn single_and_multi_line_replies() {
        assert_eq!(
            parse(b"250 OK\r\n").unwrap(),
            Reply {
                code: 250,
                lines: vec!["OK".into()]
            }
        );
        let ehlo =
            parse(b"250-mx Hello\r\n250-SIZE 10\r\n250 HELP\r\n354 x\r\n").unwrap();
        assert_eq!(ehlo.code, 250);
        assert_eq!(ehlo.lines, ["mx Hello", "SIZE 10", "HELP"]);
        assert_eq!(parse(b"221\r\n").unwrap().lines, [""]);
    }

    #[test]
    fn anything_else_is_an_error_not_a_panic() {
        for junk in [
            &b"HTTP/1.1 200 OK\r\n"[..],
            b"99 x\r\n",
            b"\xff\xfe\r\n",
            b"25",
            b"",
            b"700 x\n",
        ] {
            assert!(parse(junk).is_err(), "{junk:?}");
        }
        assert!(parse(&[b'2'; 2000]).is_err());
    }

    /// 2023-11-14 22:13:20.5 UTC.
    fn sent() -> SystemTime {
        UNIX_EPOCH + std::time::Duration::from_millis(1_700_000_000_500)
    }

    #[test]
    fn dots_are_stuffed_and_lines_get_crlf() {
        let wire = message_text(
            "a@b",
            &["c@d".into()],
            "Hi",
            sent(),
            b".\n..x\nplain\r\n",
        )
        .unwrap();
        let pid = std::process::id();
        assert_eq!(
            String::from_utf8(wire).unwrap(),
            format!(
                "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nFrom: <a@b>\r\nTo: <c@d>\r\n\
                 Message-ID: <1700000000.500000000.{pid}@b>\r\nSubject: Hi\r\n\r\n\
                 ..\r\n...x\r\nplain\r\n.\r\n"
            )
        );
    }

    #[test]
    fn dates_are_right_at_known_instants() {
        let at = |secs| UNIX_EPOCH + std::time::Duration::from_secs(secs);
        assert_eq!(rfc5322_date(at(0)), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(
            rfc5322_date(at(951_827_696)),
            "Tue, 29 Feb 2000 12:34:56 +0000"
        );
        assert_eq!(
            rfc5322_date(at(4_102_444_799)),
            "Thu, 31 Dec 2099 23:59:59 +0000"
        );
    }

    #[test]
    fn message_ids_are_at_the_senders_domain_or_localhost() {
        assert_eq!(
            message_id("alice@example.org", sent(), 42),
            "<1700000000.500000000.42@example.org>"
        );
        assert_eq!(
            message_id("odd@x y", sent(), 7),
            "<1700000000.500000000.7@localhost>"
        );
    }

    #[test]
    fn base64_pads_to_whole_groups() {
        let cases = [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v")];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
        assert_eq!(base64("Grüße".as_bytes()), "R3LDvMOfZQ==");
    }

    #[test]
    fn subjects_that_are_not_plain_ascii_become_encoded_words() {
        assert_eq!(header_text("Re: lunch"), "Re: lunch");
        assert_eq!(header_text("Grüße"), "=?UTF-8?B?R3LDvMOfZQ==?=");
        // An injected header is no header: it is inside an encoded-word.
        assert!(!header_text("x\r\nBcc: all@x").contains('\n'));
        assert!(header_text("=?looks?like?=").starts_with("=?UTF-8?B?"));
        // Long text: several words, each line at most 76 characters, no
        // character cut in two.
        let long = "ü€✓".repeat(30);
        let folded = header_text(&long);
        let lines: Vec<&str> = folded.split("\r\n").collect();
        assert!(lines.len() > 1, "{folded}");
        for line in &lines {
            assert!(line.len() + "Subject: ".len() <= 76, "{line}");
        }
        assert!(lines[1..].iter().all(|l| l.starts_with(" =?UTF-8?B?")));
    }

    #[test]
    fn a_line_too_long_for_smtp_is_refused_before_sending() {
        let long = vec![b'x'; 998];
        assert!(message_text("a@b", &["c@d".into()], "", sent(), &long).is_ok());
        let longer = vec![b'x'; 999];
        let err =
            message_text("a@b", &["c@d".into()], "", sent(), &longer).unwrap_err();
        assert!(
            err.starts_with("line 1 of the message is 999 bytes long"),
            "{err}"
        );
        // A dot that will be doubled counts too.
        let dotted = [b".".as_slice(), &[b'x'; 997]].concat();
        assert!(message_text("a@b", &["c@d".into()], "", sent(), &dotted).is_err());
    }
}
