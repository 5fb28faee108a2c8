//! One SMTP dialogue: greeting, HELO, MAIL FROM, RCPT TO, DATA, the message, QUIT.

//> #[allow(unused_imports)] // Read: for your code
use std::io::{BufRead, Read, Write};

/// A reply line longer than this is an error.
pub const MAX_LINE: u64 = 1000;

// ANCHOR: exercise
/// Reads one reply: its three-digit code and its text. A multi-line reply
/// (`250-first`, `250-second`, `250 last`) is read to its last line, the one with a space
/// after the code; the texts are joined with newlines.
pub fn read_reply(r: &mut impl BufRead) -> Result<(u16, String), String> {
    //> // TODO: read lines (at most MAX_LINE bytes each) until one has a space (or nothing)
    //> // after its 3-digit code; "250-" means more lines follow. A line that is not a reply,
    //> // or the connection closing, is an error.
    //> let _ = r;
    //> todo!("read_reply")
    // lab:solution
    let mut text = Vec::new();
    for _ in 0..100 {
        let mut raw = Vec::new();
        r.take(MAX_LINE)
            .read_until(b'\n', &mut raw)
            .map_err(|e| format!("reading the server's reply: {e}"))?;
        if raw.is_empty() {
            return Err("the server closed the connection".into());
        }
        let line = String::from_utf8_lossy(&raw);
        let line = line.trim_end_matches(['\r', '\n']);
        let code = line
            .get(..3)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| format!("not an SMTP reply: {line:?}"))?;
        text.push(line.get(4..).unwrap_or("").to_owned());
        match line.as_bytes().get(3) {
            Some(b'-') => continue,
            Some(b' ') | None => return Ok((code, text.join("\n"))),
            _ => return Err(format!("not an SMTP reply: {line:?}")),
        }
    }
    Err("a reply of more than 100 lines".into())
    // lab:end
}

/// The message as DATA sends it: every line ends with CRLF, a line that starts with a
/// dot gets one more dot in front, and the end is marked by a line with a single dot.
pub fn dot_stuff(message: &str) -> String {
    //> // TODO: CRLF after every line; a leading "." doubled; ".\r\n" at the end.
    //> let _ = message;
    //> todo!("dot_stuff")
    // lab:solution
    let mut out = String::new();
    for line in message.lines() {
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(".\r\n");
    out
    // lab:end
}

/// Sends `message` from `from` to `to`. Each command's reply is checked; if the server
/// refuses one, the client says QUIT and returns an error that names the command and the
/// server's reply.
pub fn send_mail(
    r: &mut impl BufRead,
    mut w: impl Write,
    from: &str,
    to: &str,
    message: &str,
) -> Result<(), String> {
    //> // TODO: read the 220 greeting; then HELO localhost (250), MAIL FROM:<from> (250),
    //> // RCPT TO:<to> (250), DATA (354), the dot-stuffed message (250), QUIT. Every command
    //> // ends with CRLF. On an unexpected code: send QUIT, read its reply, and return an error
    //> // such as "the server refused RCPT TO:<x@y>: 550 no such user".
    //> let _ = (r, w.flush(), from, to, message);
    //> todo!("send_mail")
    // lab:solution
    let (code, text) = read_reply(r)?;
    if code != 220 {
        return Err(format!("the server is not ready: {code} {text}"));
    }
    let mail_from = format!("MAIL FROM:<{from}>");
    let rcpt_to = format!("RCPT TO:<{to}>");
    // (what the error calls it, what is sent, the code that means yes)
    let steps = [
        ("HELO localhost", "HELO localhost\r\n".to_owned(), 250),
        (mail_from.as_str(), format!("{mail_from}\r\n"), 250),
        (rcpt_to.as_str(), format!("{rcpt_to}\r\n"), 250),
        ("DATA", "DATA\r\n".to_owned(), 354),
        ("the message", dot_stuff(message), 250),
    ];
    for (name, bytes, expected) in steps {
        w.write_all(bytes.as_bytes())
            .map_err(|e| format!("sending to the server: {e}"))?;
        let (code, text) = read_reply(r)?;
        if code != expected {
            let _ = w.write_all(b"QUIT\r\n");
            let _ = read_reply(r);
            return Err(format!("the server refused {name}: {code} {text}"));
        }
    }
    w.write_all(b"QUIT\r\n")
        .map_err(|e| format!("sending to the server: {e}"))?;
    read_reply(r)?;
    Ok(())
    // lab:end
}
// ANCHOR_END: exercise
