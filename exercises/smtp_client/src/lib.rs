//! One SMTP dialogue: greeting, HELO, MAIL FROM, RCPT TO, DATA, the message, QUIT.

#[allow(unused_imports)] // Read: for your code
use std::io::{BufRead, Read, Write};

/// A reply line longer than this is an error.
pub const MAX_LINE: u64 = 1000;

// ANCHOR: exercise
/// Reads one reply: its three-digit code and its text. A multi-line reply
/// (`250-first`, `250-second`, `250 last`) is read to its last line, the one with a space
/// after the code; the texts are joined with newlines.
pub fn read_reply(r: &mut impl BufRead) -> Result<(u16, String), String> {
    // TODO: read lines (at most MAX_LINE bytes each) until one has a space (or nothing)
    // after its 3-digit code; "250-" means more lines follow. A line that is not a reply,
    // or the connection closing, is an error.
    let _ = r;
    todo!("read_reply")
}

/// The message as DATA sends it: every line ends with CRLF, a line that starts with a
/// dot gets one more dot in front, and the end is marked by a line with a single dot.
pub fn dot_stuff(message: &str) -> String {
    // TODO: CRLF after every line; a leading "." doubled; ".\r\n" at the end.
    let _ = message;
    todo!("dot_stuff")
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
    // TODO: read the 220 greeting; then HELO localhost (250), MAIL FROM:<from> (250),
    // RCPT TO:<to> (250), DATA (354), the dot-stuffed message (250), QUIT. Every command
    // ends with CRLF. On an unexpected code: send QUIT, read its reply, and return an error
    // such as "the server refused RCPT TO:<x@y>: 550 no such user".
    let _ = (r, w.flush(), from, to, message);
    todo!("send_mail")
}
// ANCHOR_END: exercise
