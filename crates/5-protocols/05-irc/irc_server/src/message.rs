//! One IRC line, taken apart: `[:prefix] COMMAND param param ... [:trailing
//! param]`.

/// The longest line, without its CRLF (RFC 1459 §2.3: 512 with it).
pub const MAX_LINE: usize = 510;
/// At most this many parameters; RFC 1459 allows 15.
pub const MAX_PARAMS: usize = 15;

/// A parsed line from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The command in capitals (`PRIVMSG`), or three digits.
    pub command: String,
    pub params: Vec<String>,
}

// ANCHOR: parse
/// Parses a line (without CRLF). Returns `None` for a line with no command at all,
/// which servers ignore silently. Bytes that are not UTF-8 are replaced by U+FFFD,
/// and CR and NUL dropped, so nothing invalid is ever passed on to other clients.
pub fn parse(line: &[u8]) -> Option<Message> {
    // CR and NUL may not appear inside a message (RFC 1459 §2.3.1); a CR passed on
    // could end the line early at the receiver, and what follows would read as a
    // line of its own. They are dropped.
    let line: Vec<u8> = line
        .iter()
        .copied()
        .filter(|&b| b != b'\r' && b != 0)
        .collect();
    let line = String::from_utf8_lossy(&line);
    let mut rest = line.trim_start_matches(' ');
    // IRCv3 message tags (`@id=1 ...`) and the prefix (`:nick!user@host`) are
    // skipped: a server knows who its client is without being told.
    if rest.starts_with('@') {
        rest = rest
            .split_once(' ')
            .map_or("", |(_, r)| r)
            .trim_start_matches(' ');
    }
    if rest.starts_with(':') {
        rest = rest
            .split_once(' ')
            .map_or("", |(_, r)| r)
            .trim_start_matches(' ');
    }
    let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if command.is_empty() || !command.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return (!command.is_empty()).then(|| Message {
            command: command.to_owned(),
            params: Vec::new(),
        });
    }
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            break;
        }
        if let Some(trailing) = rest.strip_prefix(':') {
            params.push(trailing.to_owned());
            break;
        }
        if params.len() == MAX_PARAMS - 1 {
            // The fifteenth parameter takes the rest of the line, spaces and all.
            params.push(rest.to_owned());
            break;
        }
        let (param, after) = rest.split_once(' ').unwrap_or((rest, ""));
        params.push(param.to_owned());
        rest = after;
    }
    Some(Message {
        command: command.to_ascii_uppercase(),
        params,
    })
}
// ANCHOR_END: parse

/// Joins a reply: every parameter as it is, the last one after a `:` when it must
/// be (it is empty, has a space, or starts with `:`), then cuts it to fit one IRC
/// line.
pub fn line(prefix: &str, command: &str, params: &[&str]) -> String {
    let mut out = format!(":{prefix} {command}");
    for (i, param) in params.iter().enumerate() {
        let last = i + 1 == params.len();
        if last
            && (param.is_empty() || param.contains(' ') || param.starts_with(':'))
        {
            out.push_str(" :");
        } else {
            out.push(' ');
        }
        out.push_str(param);
    }
    truncate(&mut out, MAX_LINE);
    out.push_str("\r\n");
    out
}

/// Like [`line`], with a last parameter that is free text (a message, a reason): it
/// always gets its `:`, as clients expect.
pub fn text_line(
    prefix: &str,
    command: &str,
    params: &[&str],
    text: &str,
) -> String {
    let mut out = format!(":{prefix} {command}");
    for param in params {
        out.push(' ');
        out.push_str(param);
    }
    out.push_str(" :");
    out.push_str(text);
    truncate(&mut out, MAX_LINE);
    out.push_str("\r\n");
    out
}

fn truncate(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(line: &str) -> Option<Message> {
        parse(line.as_bytes())
    }

    fn m(command: &str, params: &[&str]) -> Option<Message> {
        Some(Message {
            command: command.into(),
            params: params.iter().map(|s| s.to_string()).collect(),
        })
    }

    #[test]
    fn the_lines_from_the_notes() {
        assert_eq!(p("nick whatevz"), m("NICK", &["whatevz"]));
        assert_eq!(
            p("user whatevz whatevz :whatevz"),
            m("USER", &["whatevz", "whatevz", "whatevz"])
        );
        assert_eq!(p("join #cyberwizard"), m("JOIN", &["#cyberwizard"]));
        assert_eq!(
            p("privmsg #cyberwizard :hack the planet!"),
            m("PRIVMSG", &["#cyberwizard", "hack the planet!"])
        );
    }

    #[test]
    fn prefixes_tags_extra_spaces_and_empty_trailing_params() {
        assert_eq!(
            p(":me!u@h PRIVMSG  bob   :hi :)"),
            m("PRIVMSG", &["bob", "hi :)"])
        );
        assert_eq!(p("@time=x :me PING t"), m("PING", &["t"]));
        assert_eq!(p("TOPIC #a :"), m("TOPIC", &["#a", ""]));
        assert_eq!(p(""), None);
        assert_eq!(p("   "), None);
        assert_eq!(p(":onlyprefix"), None);
    }

    #[test]
    fn the_fifteenth_parameter_takes_the_rest() {
        let line = format!(
            "X {}",
            (1..=20)
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        );
        let parsed = p(&line).unwrap();
        assert_eq!(parsed.params.len(), 15);
        assert_eq!(parsed.params[14], "15 16 17 18 19 20");
    }

    #[test]
    fn garbage_is_kept_as_an_unknown_command_never_a_panic() {
        assert_eq!(p("\u{1}\u{2} x"), m("\u{1}\u{2}", &[]));
        let parsed = parse(b"PRIVMSG #a :\xff\xfe ok").unwrap();
        assert_eq!(parsed.params[1], "\u{FFFD}\u{FFFD} ok");
        let parsed = parse(b"PRIVMSG #a :hi\r:irc.test 001 you :forged\0").unwrap();
        assert_eq!(parsed.params[1], "hi:irc.test 001 you :forged");
    }

    #[test]
    fn replies_put_the_colon_where_it_is_needed_and_fit_a_line() {
        assert_eq!(
            line("srv", "001", &["bob", "Welcome bob"]),
            ":srv 001 bob :Welcome bob\r\n"
        );
        assert_eq!(line("a!b@c", "JOIN", &["#x"]), ":a!b@c JOIN #x\r\n");
        assert_eq!(line("s", "PONG", &["s", ":x"]), ":s PONG s ::x\r\n");
        let long = "é".repeat(400);
        let out = line("s", "PRIVMSG", &["#x", &long]);
        assert!(out.len() <= 512 && out.ends_with("\r\n"), "{}", out.len());
        // The limit falling inside a character of two, three or four bytes, at
        // each of its bytes: the line keeps the whole characters that fit.
        for wide in ["é", "€", "🦀"] {
            for pad in 0..wide.len() {
                let text = format!("{}{}", "x".repeat(pad), wide.repeat(300));
                let out = line("s", "PRIVMSG", &["#x", &text]);
                let kept = out.strip_suffix("\r\n").unwrap();
                assert!(kept.len() <= MAX_LINE, "{wide} {pad}: {}", kept.len());
                assert!(kept.len() > MAX_LINE - wide.len(), "{wide} {pad}");
                assert!(format!(":s PRIVMSG #x {text}").starts_with(kept));
            }
        }
    }
}
