//! Showing text a peer sent on a terminal, safely.
//!
//! Bytes from the network are not text to print as they are: a newline lets a peer forge
//! a second line of a log, and an escape sequence (`\x1b[2J`) clears or recolours the
//! terminal of whoever reads it. Servers that print what peers send (the syslog server,
//! pack's listener) pass it through [`escape`] first.

// ANCHOR: escape
/// Control characters as `\n`, `\x07`...; everything else as it is.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}
// ANCHOR_END: escape

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(
            escape("a\nb\r\t\x1b[2J\x07\u{7f}\u{85}é"),
            "a\\nb\\r\\t\\x1b[2J\\x07\\x7f\\x85é"
        );
    }
}
