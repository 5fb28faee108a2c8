//! The client's half of SMTP: reading replies, and preparing the message text.

use std::io::{self, BufRead};

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
pub fn message_text(
    from: &str,
    to: &[String],
    subject: &str,
    body: &[u8],
) -> Result<Vec<u8>, String> {
    let mut text = format!(
        "From: <{from}>\r\nTo: {}\r\n",
        to.iter()
            .map(|t| format!("<{t}>"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !subject.is_empty() {
        text.push_str(&format!("Subject: {subject}\r\n"));
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

    #[test]
    fn dots_are_stuffed_and_lines_get_crlf() {
        let wire = message_text("a@b", &["c@d".into()], "Hi", b".\n..x\nplain\r\n")
            .unwrap();
        assert_eq!(
            String::from_utf8(wire).unwrap(),
            "From: <a@b>\r\nTo: <c@d>\r\nSubject: Hi\r\n\r\n..\r\n...x\r\nplain\r\n.\r\n"
        );
    }

    #[test]
    fn a_line_too_long_for_smtp_is_refused_before_sending() {
        let long = vec![b'x'; 998];
        assert!(message_text("a@b", &["c@d".into()], "", &long).is_ok());
        let longer = vec![b'x'; 999];
        let err = message_text("a@b", &["c@d".into()], "", &longer).unwrap_err();
        assert!(
            err.starts_with("line 1 of the message is 999 bytes long"),
            "{err}"
        );
        // A dot that will be doubled counts too.
        let dotted = [b".".as_slice(), &[b'x'; 997]].concat();
        assert!(message_text("a@b", &["c@d".into()], "", &dotted).is_err());
    }
}
