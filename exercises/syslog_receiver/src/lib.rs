//! Reading syslog messages: the `<PRI>` at their start, and the RFC 5424 header when
//! there is one.

/// The 24 facilities, in the order of their numbers (RFC 5424 §6.2.1).
pub const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];

/// The 8 severities, from most to least urgent.
pub const SEVERITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

/// The priority a message without a valid `<PRI>` is given (RFC 3164 §4.3.3):
/// user.notice.
pub const DEFAULT_PRI: u8 = 13;

/// Control characters as `\n`, `\x1b`...; everything else as it is. (Given.)
pub use netkit::escape;

// ANCHOR: exercise
/// Splits `<PRI>rest` into the priority and the rest. PRI is 0 to 191 (the facility
/// times 8, plus the severity), written with one to three ASCII digits and no leading
/// zero (`<0>` is fine, `<01>` is not). Anything else is `None`.
pub fn parse_pri(message: &[u8]) -> Option<(u8, &[u8])> {
    // TODO: strip the '<', find the '>' among the next four bytes, check the digits
    // (one to three, no leading zero unless it is just "0"), parse, refuse over 191.
    let _ = message;
    todo!("parse_pri")
}

/// The name of a priority, `facility.severity`: `local3.warning` for 156. `pri` is at
/// most 191.
pub fn pri_name(pri: u8) -> String {
    // TODO: the facility is pri / 8, the severity pri % 8: look both up.
    let _ = pri;
    todo!("pri_name")
}

/// The short form of an RFC 5424 message (what follows its `<PRI>`):
/// `1 TIMESTAMP HOST APP PROCID MSGID SD MSG` becomes `TIMESTAMP HOST APP[PROCID]: MSG`,
/// or `TIMESTAMP HOST APP: MSG` when PROCID is `-`. The fields are separated by single
/// spaces; SD (structured data) is `-` or one or more `[...]` and is left out
/// (`skip_structured_data` is given); MSG may be missing (then it is empty), and a UTF-8
/// byte order mark at its start is dropped. Text that does not start with `1 ` or has
/// fewer fields is not RFC 5424: `None`.
pub fn rfc5424(text: &str) -> Option<String> {
    // TODO: strip "1 ", split the rest in at most 6 pieces at spaces (splitn), take
    // the five header fields (return None if one is missing), skip the structured
    // data of the sixth piece (or of ""), strip '\u{FEFF}', and format.
    let _ = (text, skip_structured_data(""));
    todo!("rfc5424")
}

/// The line the receiver prints for one message from `peer`, and whether its PRI was
/// valid: `PEER FACILITY.SEVERITY BODY`.
///
/// A message without a valid PRI is user.notice, and its body is all of it. The body is
/// the message after the PRI, as text (invalid UTF-8 replaced: `from_utf8_lossy`), with
/// any `\n`, `\r` and `\0` at its end cut off, then shown short if it is RFC 5424, and
/// last escaped, so that a message can never print a second line.
pub fn render(peer: &str, message: &[u8]) -> (String, bool) {
    // TODO: parse_pri (or DEFAULT_PRI and the whole message), from_utf8_lossy,
    // trim_end_matches(['\n', '\r', '\0']), rfc5424 or the text as it is, escape.
    let _ = (peer, message);
    todo!("render")
}
// ANCHOR_END: exercise

/// Skips the structured data at the start of `text`, `-` or `[id k="v" ...][...]`
/// (a `]` or `"` inside quotes may be escaped with `\`), and the space after it, and
/// returns the rest: the message. `None` if `text` starts with neither. (Given.)
pub fn skip_structured_data(text: &str) -> Option<&str> {
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
