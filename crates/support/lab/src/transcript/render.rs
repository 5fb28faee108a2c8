//! Text to bytes and back: a transcript line's variables and escapes resolved (or, for
//! `~`, turned into a regular expression), and bytes shown as a transcript would write
//! them, for reports.

use std::collections::BTreeMap;

use regex::bytes::Regex;

/// The bytes `text` stands for: variables substituted, escapes resolved. A `\c` at the
/// end means "no newline"; otherwise a newline is added at the end where `newline`.
/// In `regex` mode escapes stay for the regex engine and variables are quoted.
pub(super) fn render(
    text: &str,
    vars: &BTreeMap<String, String>,
    regex: bool,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => {
                let e = *bytes
                    .get(i + 1)
                    .ok_or("a line must not end with a lone '\\' (write \\\\)")?;
                i += 2;
                if regex && e == b'0' {
                    // The regex syntax has no \0: the byte it means.
                    out.extend_from_slice(br"\x00");
                    continue;
                }
                if regex && e != b'{' && e != b'}' {
                    out.extend_from_slice(&[b'\\', e]);
                    continue;
                }
                match e {
                    b'r' => out.push(b'\r'),
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'0' => out.push(0),
                    b's' => out.push(b' '),
                    b'\\' | b'{' | b'}' => out.push(e),
                    b'c' if i == bytes.len() => {}
                    b'c' => return Err("\\c (no newline) goes at the very end".into()),
                    b'x' => {
                        let hex = text.get(i..i + 2).unwrap_or("");
                        let b = u8::from_str_radix(hex, 16)
                            .map_err(|_| format!("\\x needs two hex digits, not {hex:?}"))?;
                        out.push(b);
                        i += 2;
                    }
                    other => {
                        return Err(format!(
                            "unknown escape \\{} (use \\r \\n \\t \\s \\0 \\xHH \\\\ \\{{ \\}} \\c)",
                            other as char
                        ));
                    }
                }
            }
            b'{' => {
                let close = text[i..]
                    .find('}')
                    .ok_or("a '{' is never closed (write \\{ for a brace)")?;
                let inside = &text[i + 1..i + close];
                let (name, filter) = inside.split_once('|').unwrap_or((inside, ""));
                let value = vars
                    .get(name.trim())
                    .ok_or_else(|| format!("unknown variable {{{name}}}"))?;
                let value = match filter.trim() {
                    "" => value.clone(),
                    "upper" => value.to_ascii_uppercase(),
                    "lower" => value.to_ascii_lowercase(),
                    "len" => value.len().to_string(),
                    other => return Err(format!("unknown filter |{other} (upper, lower, len)")),
                };
                if regex {
                    out.extend_from_slice(regex::escape(&value).as_bytes());
                } else {
                    out.extend_from_slice(value.as_bytes());
                }
                i += close + 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// A `~` line's pattern, rendered, compiled to match a whole line of bytes. Unicode
/// mode is off: `.` is any byte, `\xHH` the byte HH, `\w` and `\d` are ASCII.
pub(super) fn compile(rendered: &[u8]) -> Result<Regex, String> {
    let text = String::from_utf8_lossy(rendered);
    regex::bytes::RegexBuilder::new(&format!("^(?:{text})$"))
        .unicode(false)
        .build()
        .map_err(|e| format!("bad pattern: {e}"))
}

pub(super) fn has_no_newline_mark(text: &str) -> bool {
    text.ends_with("\\c") && !text.ends_with("\\\\c")
}

/// Bytes as a transcript would write them.
pub fn show(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

/// Like [`show`], cut to the first 200 bytes.
pub(super) fn show_short(bytes: &[u8]) -> String {
    if bytes.len() <= 200 {
        show(bytes)
    } else {
        format!("{}... ({} bytes in all)", show(&bytes[..200]), bytes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars() -> BTreeMap<String, String> {
        [("W".to_owned(), "abc".to_owned())].into_iter().collect()
    }

    #[test]
    fn escapes_and_variables() {
        let r = |t| render(t, &vars(), false).unwrap();
        assert_eq!(r(r"HELO {W}\r"), b"HELO abc\r");
        assert_eq!(r(r"{W|upper} {W|len}\x00\\\{"), b"ABC 3\x00\\{");
        assert_eq!(r(r"no newline\c"), b"no newline");
        assert_eq!(render(r"a.{W}", &vars(), true).unwrap(), br"a.abc");
        let dotted = [("W".to_owned(), "a.b+c".to_owned())].into_iter().collect();
        assert_eq!(
            render(r"{W}\0\r", &dotted, true).unwrap(),
            br"a\.b\+c\x00\r"
        );
        assert!(
            render(r"{NOPE}", &vars(), false)
                .unwrap_err()
                .contains("unknown variable")
        );
        assert!(
            render(r"\q", &vars(), false)
                .unwrap_err()
                .contains("unknown escape")
        );
    }

    #[test]
    fn patterns_match_whole_lines_of_bytes() {
        let matches = |p: &str, text: &[u8]| compile(p.as_bytes()).unwrap().is_match(text);
        assert!(matches("abc", b"abc"));
        assert!(!matches("abc", b"abcd"));
        assert!(!matches("bc", b"abc"));
        assert!(
            !matches("a|b", b"ab"),
            "an alternative matches the whole line too"
        );
        assert!(matches(r"HTTP/1\.[01] 200 .*\r", b"HTTP/1.1 200 OK\r"));
        assert!(matches(r"(GET|HEAD) /\S* HTTP/1\.1", b"HEAD /a/b HTTP/1.1"));
        assert!(matches(r"\d{3}[- ].*", b"250-hello"));
        assert!(!matches(r"\d{3}[- ].*", b"25-hello"));
        assert!(matches(r"[^\r\n]+\r", b"x y\r"));
        assert!(matches(r"\x41\w\s\d\xff.", b"AB 7\xff\x00"));
        assert!(matches("caf\u{e9}", "caf\u{e9}".as_bytes()));
        assert!(compile(b"(ab").unwrap_err().starts_with("bad pattern"));
        assert!(compile(b"*a").is_err());
    }
}
