//! Reading syslog messages: the `<PRI>` at their start, the RFC 5424 header when
//! there is one, and the TCP framings of RFC 6587.

use std::io::{self, BufRead, Read};

use netkit::textline::{self, Line};

/// The longest message the TCP server takes (RFC 6587 leaves the limit to the
/// receiver).
pub const MAX_MESSAGE: usize = 8192;

/// The 24 facilities, in the order of their numbers (RFC 5424 §6.2.1).
pub const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp",
    "cron", "authpriv", "ftp", "ntp", "audit", "alert", "clock", "local0",
    "local1", "local2", "local3", "local4", "local5", "local6", "local7",
];

/// The 8 severities, from most to least urgent.
pub const SEVERITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// The priority a message without a valid `<PRI>` is given (RFC 3164 §4.3.3):
/// user.notice.
pub const DEFAULT_PRI: u8 = 13;

// ANCHOR: pri
/// Splits `<PRI>rest` into the priority and the rest. PRI is 0 to 191 (the
/// facility times 8, plus the severity), written with one to three digits and no
/// leading zero.
pub fn parse_pri(message: &[u8]) -> Option<(u8, &[u8])> {
    let inside = message.strip_prefix(b"<")?;
    let close = inside.iter().take(4).position(|&b| b == b'>')?;
    let digits = &inside[..close];
    let well_formed = !digits.is_empty()
        && digits.iter().all(u8::is_ascii_digit)
        && (digits == b"0" || digits[0] != b'0');
    if !well_formed {
        return None;
    }
    let pri: u16 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    let pri = u8::try_from(pri).ok().filter(|&p| p <= 191)?;
    Some((pri, &inside[close + 1..]))
}

/// `local3.warning` for PRI 156.
pub fn pri_name(pri: u8) -> String {
    let facility = FACILITIES[usize::from(pri / 8)];
    let severity = SEVERITIES[usize::from(pri % 8)];
    format!("{facility}.{severity}")
}
// ANCHOR_END: pri

/// The PRI of `facility.severity` (`local3.warning` → 156), as `logger -p` takes
/// it.
pub fn parse_priority(name: &str) -> Option<u8> {
    let (facility, severity) = name.split_once('.')?;
    let facility = FACILITIES.iter().position(|&f| f == facility)?;
    let severity = SEVERITIES.iter().position(|&s| s == severity)?;
    u8::try_from(facility * 8 + severity).ok()
}

// ANCHOR: render
/// The line the server prints for one message from `peer`, and whether its PRI was
/// valid.
///
/// An RFC 5424 message (`<13>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`) is shown
/// as `TIMESTAMP HOST APP[PROCID]: MSG`; anything else (RFC 3164, or just text) as
/// it came. Control characters are escaped, so a message cannot forge a second log
/// line with a newline, and invalid UTF-8 is replaced.
pub fn render(peer: &str, message: &[u8]) -> (String, bool) {
    let (pri, rest, valid) = match parse_pri(message) {
        Some((pri, rest)) => (pri, rest, true),
        None => (DEFAULT_PRI, message, false),
    };
    let text = String::from_utf8_lossy(rest);
    let text = text.trim_end_matches(['\n', '\r', '\0']);
    let body = rfc5424(text).unwrap_or_else(|| text.to_owned());
    (format!("{peer} {} {}", pri_name(pri), escape(&body)), valid)
}
// ANCHOR_END: render

/// `1 TIMESTAMP HOST APP PROCID MSGID SD MSG` → `TIMESTAMP HOST APP[PROCID]: MSG`.
fn rfc5424(text: &str) -> Option<String> {
    let rest = text.strip_prefix("1 ")?;
    let mut fields = rest.splitn(6, ' ');
    let (timestamp, host, app, procid, _msgid) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    let after = fields.next().unwrap_or("");
    let message = skip_structured_data(after)?;
    let message = message.strip_prefix('\u{FEFF}').unwrap_or(message); // the UTF-8 BOM
    let procid = if procid == "-" {
        String::new()
    } else {
        format!("[{procid}]")
    };
    Some(format!("{timestamp} {host} {app}{procid}: {message}"))
}

/// Skips `-` or `[id k="v" ...][...]` and the space after it; returns the message.
fn skip_structured_data(text: &str) -> Option<&str> {
    if let Some(rest) = text.strip_prefix('-') {
        return Some(rest.strip_prefix(' ').unwrap_or(rest));
    }
    let bytes = text.as_bytes();
    let mut i = 0;
    while bytes.get(i) == Some(&b'[') {
        let (mut quoted, mut escaped) = (false, false);
        loop {
            i += 1;
            match (bytes.get(i)?, quoted, escaped) {
                (_, true, true) => escaped = false,
                (b'\\', true, false) => escaped = true,
                (b'"', _, false) => quoted = !quoted,
                (b']', false, _) => break,
                _ => {}
            }
        }
        i += 1;
    }
    if i == 0 {
        return None;
    }
    let rest = &text[i..];
    Some(rest.strip_prefix(' ').unwrap_or(rest))
}

/// Control characters as `\n`, `\x07`...; everything else as it is (netkit's, which
/// pack's listener uses too).
pub use netkit::escape;

/// What [`read_frame`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// One message.
    Message(Vec<u8>),
    /// A message over [`MAX_MESSAGE`], skipped.
    TooLong,
    /// The sender closed the connection.
    End,
}

// ANCHOR: frame
/// Reads one message from a TCP stream. RFC 6587 allows two framings, and the first
/// byte tells them apart, because a message itself starts with `<`:
/// - octet counting: the length, a space, then exactly that many bytes:
///   `9 <13>hello`;
/// - non-transparent framing: the message, then a newline: `<13>hello\n`.
pub fn read_frame(reader: &mut impl BufRead) -> io::Result<Frame> {
    let first = loop {
        match reader.fill_buf() {
            Ok(bytes) => break bytes.first().copied(),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    match first {
        None => Ok(Frame::End),
        Some(b'1'..=b'9') => {
            // Octet counting: read the length, at most 7 digits, then a space.
            let length = read_octet_count(reader)?;
            if length > MAX_MESSAGE {
                // Skip exactly that many bytes: the next frame starts after them.
                let skipped =
                    io::copy(&mut reader.take(length as u64), &mut io::sink())?;
                return if skipped == length as u64 {
                    Ok(Frame::TooLong)
                } else {
                    Ok(Frame::End)
                };
            }
            let mut message = vec![0; length];
            reader.read_exact(&mut message)?;
            Ok(Frame::Message(message))
        }
        Some(_) => {
            let mut line = Vec::new();
            match textline::read_line(reader, &mut line, MAX_MESSAGE)? {
                Line::Complete | Line::Unterminated => Ok(Frame::Message(line)),
                Line::TooLong => Ok(Frame::TooLong),
                Line::End => Ok(Frame::End),
            }
        }
    }
}
// ANCHOR_END: frame

/// The digits before the space of an octet-counted frame, and the space.
fn read_octet_count(reader: &mut impl BufRead) -> io::Result<usize> {
    let mut length = 0usize;
    for _ in 0..8 {
        let mut byte = [0u8];
        reader.read_exact(&mut byte)?;
        match byte[0] {
            b' ' => return Ok(length),
            digit @ b'0'..=b'9' => length = length * 10 + usize::from(digit - b'0'),
            _ => break,
        }
    }
    Err(bad("an octet count that is not a number"))
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pri_from_0_to_191_names_its_facility_and_severity() {
        assert_eq!(pri_name(0), "kern.emerg");
        assert_eq!(pri_name(13), "user.notice");
        assert_eq!(pri_name(156), "local3.warning");
        assert_eq!(pri_name(191), "local7.debug");
        for pri in 0..=191u8 {
            let message = format!("<{pri}>x");
            assert_eq!(parse_pri(message.as_bytes()), Some((pri, &b"x"[..])));
        }
    }

    #[test]
    fn priorities_by_name() {
        assert_eq!(parse_priority("user.notice"), Some(13));
        assert_eq!(parse_priority("local3.warning"), Some(156));
        assert_eq!(parse_priority("kern.emerg"), Some(0));
        for bad in [
            "user",
            "user.",
            ".info",
            "users.info",
            "user.warn",
            "",
            "user.notice.x",
        ] {
            assert_eq!(parse_priority(bad), None, "{bad}");
        }
    }

    #[test]
    fn malformed_pris_are_refused() {
        for bad in [
            &b"<192>x"[..],
            b"<999>x",
            b"<01>x",
            b"<>x",
            b"<1234>x",
            b"<12",
            b"12>x",
            b"<-1>x",
            b"< 1>x",
            b"<1a>x",
            b"",
            b"<",
            b"\xff<13>x",
            b"<\xff>",
        ] {
            assert_eq!(parse_pri(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn rfc5424_headers_are_shown_short_and_other_text_as_it_came() {
        let logger = b"<13>1 2026-11-22T02:52:03.123+00:00 box alice - - [timeQuality tzKnown=\"1\" isSynced=\"0\"] hello there";
        assert_eq!(
            render("p", logger).0,
            "p user.notice 2026-11-22T02:52:03.123+00:00 box alice: hello there"
        );
        let with_pid =
            b"<165>1 2003-10-11T22:14:15.003Z host app 42 ID47 - \xef\xbb\xbfmsg";
        assert_eq!(
            render("p", with_pid).0,
            "p local4.notice 2003-10-11T22:14:15.003Z host app[42]: msg"
        );
        let escaped_sd = b"<14>1 t h a - - [x y=\"a\\\"]b\"] after";
        assert_eq!(render("p", escaped_sd).0, "p user.info t h a: after");
        let bsd = b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed";
        assert_eq!(
            render("p", bsd).0,
            "p auth.crit Oct 11 22:14:15 mymachine su: 'su root' failed"
        );
    }

    #[test]
    fn bad_input_becomes_user_notice_with_control_characters_escaped() {
        let (line, valid) = render("p", b"no pri\nFAKE LINE\x1b[31m \xff\n");
        assert_eq!(line, "p user.notice no pri\\nFAKE LINE\\x1b[31m \u{FFFD}");
        assert!(!valid);
        assert!(render("p", b"<13>ok").1);
    }

    #[test]
    fn random_bytes_never_panic_and_always_render_as_one_line() {
        let noise = testkit::noise(100_000, 3);
        for (i, chunk) in noise.chunks(53).enumerate() {
            let message = [format!("<{}>", i % 200).as_bytes(), chunk].concat();
            for input in [&message[..], chunk] {
                let (line, _) = render("p", input);
                assert!(!line.chars().any(char::is_control), "{line:?}");
            }
        }
        // The framing reader on a random stream: frames or an error, never a panic.
        let mut reader = io::BufReader::new(&noise[..]);
        for _ in 0..10_000 {
            match read_frame(&mut reader) {
                Ok(Frame::End) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }

    #[test]
    fn both_tcp_framings_and_their_limits() {
        let stream = b"<13>one\n10 <13>two\nxy<14>three\r\n9999 ".to_vec();
        let mut tail = stream;
        tail.extend(vec![b'z'; 9999]);
        tail.extend_from_slice(b"<15>four\n");
        let mut reader = io::BufReader::with_capacity(7, &tail[..]);
        assert_eq!(
            read_frame(&mut reader).unwrap(),
            Frame::Message(b"<13>one".to_vec())
        );
        assert_eq!(
            read_frame(&mut reader).unwrap(),
            Frame::Message(b"<13>two\nxy".to_vec())
        );
        assert_eq!(
            read_frame(&mut reader).unwrap(),
            Frame::Message(b"<14>three".to_vec())
        );
        assert_eq!(read_frame(&mut reader).unwrap(), Frame::TooLong);
        assert_eq!(
            read_frame(&mut reader).unwrap(),
            Frame::Message(b"<15>four".to_vec())
        );
        assert_eq!(read_frame(&mut reader).unwrap(), Frame::End);
        let mut junk = io::BufReader::new(&b"12x4 <13>"[..]);
        assert!(read_frame(&mut junk).is_err());
    }
}
