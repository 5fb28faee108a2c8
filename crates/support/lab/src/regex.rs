//! A small regular-expression matcher for transcript lines (`~ HTTP/1\.[01] 200 .*\r`).
//!
//! Enough for checking a protocol line, and nothing more: literals, `.`, classes
//! (`[a-z_]`, `[^\r\n]`), the escapes `\d \w \s \D \W \S \r \n \t \xHH`, groups with
//! alternation (`(GET|HEAD)`), and the quantifiers `* + ? {n} {n,} {n,m}`. A pattern always
//! matches the whole line; `^` and `$` are accepted and mean nothing more. Matching
//! backtracks, which is fine for lines of a few kilobytes.

use std::cell::Cell;

#[derive(Debug, Clone)]
enum Atom {
    Byte(u8),
    Any,
    Class {
        ranges: Vec<(u8, u8)>,
        negated: bool,
    },
    Group(Vec<Vec<Piece>>),
    Nothing,
}

#[derive(Debug, Clone)]
struct Piece {
    atom: Atom,
    min: usize,
    max: usize,
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Regex {
    alternatives: Vec<Vec<Piece>>,
}

impl Regex {
    /// Compiles `pattern`, or says what is wrong with it.
    pub fn new(pattern: &str) -> Result<Regex, String> {
        let mut parser = Parser {
            bytes: pattern.as_bytes(),
            at: 0,
        };
        let alternatives = parser.alternatives()?;
        if parser.at < parser.bytes.len() {
            return Err(format!("unbalanced ')' at position {}", parser.at));
        }
        Ok(Regex { alternatives })
    }

    /// Whether the whole of `text` matches.
    pub fn is_match(&self, text: &[u8]) -> bool {
        // The budget bounds the work a pathological pattern can cause.
        let budget = Cell::new(200_000usize);
        self.alternatives
            .iter()
            .any(|seq| match_sequence(seq, text, 0, &budget, &|end| end == text.len()))
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek();
        self.at += 1;
        b
    }

    fn alternatives(&mut self) -> Result<Vec<Vec<Piece>>, String> {
        let mut alternatives = vec![self.sequence()?];
        while self.peek() == Some(b'|') {
            self.at += 1;
            alternatives.push(self.sequence()?);
        }
        Ok(alternatives)
    }

    fn sequence(&mut self) -> Result<Vec<Piece>, String> {
        let mut pieces = Vec::new();
        while let Some(b) = self.peek() {
            if b == b'|' || b == b')' {
                break;
            }
            let atom = self.atom()?;
            let (min, max) = self.quantifier()?;
            pieces.push(Piece { atom, min, max });
        }
        Ok(pieces)
    }

    fn atom(&mut self) -> Result<Atom, String> {
        let b = self.next().expect("sequence checked there is a byte");
        Ok(match b {
            b'.' => Atom::Any,
            b'^' | b'$' => Atom::Nothing,
            b'(' => {
                let inner = self.alternatives()?;
                if self.next() != Some(b')') {
                    return Err("a '(' is never closed".to_owned());
                }
                Atom::Group(inner)
            }
            b'[' => self.class()?,
            b'\\' => self.escape()?,
            b'*' | b'+' | b'?' | b'{' => {
                return Err(format!(
                    "'{}' at position {} has nothing to repeat (write \\{} for the character)",
                    b as char,
                    self.at - 1,
                    b as char
                ));
            }
            other => Atom::Byte(other),
        })
    }

    fn escape(&mut self) -> Result<Atom, String> {
        let Some(b) = self.next() else {
            return Err("the pattern ends with a lone '\\'".to_owned());
        };
        let class = |ranges: &[(u8, u8)], negated| Atom::Class {
            ranges: ranges.to_vec(),
            negated,
        };
        const DIGIT: &[(u8, u8)] = &[(b'0', b'9')];
        const WORD: &[(u8, u8)] = &[(b'0', b'9'), (b'a', b'z'), (b'A', b'Z'), (b'_', b'_')];
        const SPACE: &[(u8, u8)] = &[(b' ', b' '), (b'\t', b'\t'), (b'\r', b'\r'), (b'\n', b'\n')];
        Ok(match b {
            b'd' => class(DIGIT, false),
            b'D' => class(DIGIT, true),
            b'w' => class(WORD, false),
            b'W' => class(WORD, true),
            b's' => class(SPACE, false),
            b'S' => class(SPACE, true),
            _ => Atom::Byte(self.escaped_byte(b)?),
        })
    }

    fn escaped_byte(&mut self, b: u8) -> Result<u8, String> {
        Ok(match b {
            b'r' => b'\r',
            b'n' => b'\n',
            b't' => b'\t',
            b'0' => 0,
            b'x' => {
                let hex = self.bytes.get(self.at..self.at + 2).unwrap_or_default();
                let value = std::str::from_utf8(hex)
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or("\\x needs two hex digits")?;
                self.at += 2;
                value
            }
            other => other,
        })
    }

    fn class(&mut self) -> Result<Atom, String> {
        let negated = self.peek() == Some(b'^');
        if negated {
            self.at += 1;
        }
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let Some(b) = self.next() else {
                return Err("a '[' is never closed".to_owned());
            };
            if b == b']' && !first {
                break;
            }
            first = false;
            let low = if b == b'\\' {
                match self.next() {
                    Some(b'd') => {
                        ranges.push((b'0', b'9'));
                        continue;
                    }
                    Some(b's') => {
                        ranges.extend([
                            (b' ', b' '),
                            (b'\t', b'\t'),
                            (b'\r', b'\r'),
                            (b'\n', b'\n'),
                        ]);
                        continue;
                    }
                    Some(e) => self.escaped_byte(e)?,
                    None => return Err("a '[' is never closed".to_owned()),
                }
            } else {
                b
            };
            if self.peek() == Some(b'-') && self.bytes.get(self.at + 1).is_some_and(|&c| c != b']')
            {
                self.at += 1;
                let mut high = self.next().unwrap();
                if high == b'\\' {
                    let e = self.next().ok_or("a '[' is never closed")?;
                    high = self.escaped_byte(e)?;
                }
                if high < low {
                    return Err(format!(
                        "range {}-{} is backwards",
                        low as char, high as char
                    ));
                }
                ranges.push((low, high));
            } else {
                ranges.push((low, low));
            }
        }
        Ok(Atom::Class { ranges, negated })
    }

    fn quantifier(&mut self) -> Result<(usize, usize), String> {
        let q = match self.peek() {
            Some(b'*') => (0, usize::MAX),
            Some(b'+') => (1, usize::MAX),
            Some(b'?') => (0, 1),
            Some(b'{') => {
                let close = self.bytes[self.at..]
                    .iter()
                    .position(|&b| b == b'}')
                    .ok_or("a '{' is never closed")?;
                let inside = std::str::from_utf8(&self.bytes[self.at + 1..self.at + close])
                    .map_err(|_| "bad repetition")?;
                let number = |s: &str| {
                    s.trim()
                        .parse::<usize>()
                        .map_err(|_| format!("bad repetition {{{inside}}}"))
                };
                let q = match inside.split_once(',') {
                    None => (number(inside)?, number(inside)?),
                    Some((lo, "")) => (number(lo)?, usize::MAX),
                    Some((lo, hi)) => (number(lo)?, number(hi)?),
                };
                self.at += close;
                q
            }
            _ => return Ok((1, 1)),
        };
        self.at += 1;
        Ok(q)
    }
}

fn match_sequence(
    seq: &[Piece],
    text: &[u8],
    at: usize,
    budget: &Cell<usize>,
    then: &dyn Fn(usize) -> bool,
) -> bool {
    if budget.get() == 0 {
        return false;
    }
    budget.set(budget.get() - 1);
    match seq.split_first() {
        None => then(at),
        Some((piece, rest)) => match_piece(piece, 0, text, at, budget, &|next| {
            match_sequence(rest, text, next, budget, then)
        }),
    }
}

fn match_piece(
    piece: &Piece,
    count: usize,
    text: &[u8],
    at: usize,
    budget: &Cell<usize>,
    then: &dyn Fn(usize) -> bool,
) -> bool {
    if let Atom::Nothing = piece.atom {
        return then(at);
    }
    // Greedy: take one more repetition if allowed, else (or failing that) stop here.
    if count < piece.max
        && match_atom(&piece.atom, text, at, budget, &|next| {
            next != at && match_piece(piece, count + 1, text, next, budget, then)
        })
    {
        return true;
    }
    count >= piece.min && then(at)
}

fn match_atom(
    atom: &Atom,
    text: &[u8],
    at: usize,
    budget: &Cell<usize>,
    then: &dyn Fn(usize) -> bool,
) -> bool {
    let byte = text.get(at).copied();
    match atom {
        Atom::Byte(b) => byte == Some(*b) && then(at + 1),
        Atom::Any => byte.is_some_and(|b| b != b'\n') && then(at + 1),
        Atom::Class { ranges, negated } => {
            byte.is_some_and(|b| ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&b)) != *negated)
                && then(at + 1)
        }
        Atom::Nothing => then(at),
        Atom::Group(alternatives) => alternatives
            .iter()
            .any(|seq| match_sequence(seq, text, at, budget, then)),
    }
}

#[cfg(test)]
mod tests {
    use super::Regex;

    fn matches(pattern: &str, text: &str) -> bool {
        Regex::new(pattern).unwrap().is_match(text.as_bytes())
    }

    #[test]
    fn the_whole_line_must_match() {
        assert!(matches("abc", "abc"));
        assert!(!matches("abc", "abcd"));
        assert!(!matches("bc", "abc"));
        assert!(matches("^abc$", "abc"));
    }

    #[test]
    fn quantifiers_classes_and_groups() {
        assert!(matches(r"HTTP/1\.[01] 200 .*\r", "HTTP/1.1 200 OK\r"));
        assert!(!matches(
            r"HTTP/1\.[01] 200 .*\r",
            "HTTP/1.1 404 Not Found\r"
        ));
        assert!(matches(r"(GET|HEAD) /\S* HTTP/1\.1", "HEAD /a/b HTTP/1.1"));
        assert!(matches(r"\d{3}[- ].*", "250-hello"));
        assert!(!matches(r"\d{3}[- ].*", "25-hello"));
        assert!(matches(r"a+b?c*", "aaa"));
        assert!(matches(r"[^\r\n]+\r", "x y\r"));
        assert!(matches(r"[a-z_]{2,4}", "ab_"));
        assert!(!matches(r"[a-z_]{2,4}", "abcde"));
        assert!(matches(r"\x41\w\s\d", "AB 7"));
        assert!(matches(r"(ab)*", ""));
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(Regex::new("(ab").unwrap_err().contains("never closed"));
        assert!(Regex::new("*a").unwrap_err().contains("nothing to repeat"));
        assert!(Regex::new("[ab").unwrap_err().contains("never closed"));
        assert!(Regex::new("a)").unwrap_err().contains("unbalanced"));
    }

    #[test]
    fn a_pathological_pattern_gives_up_instead_of_hanging() {
        let text = "a".repeat(40) + "b";
        assert!(!matches("(a*)*c", &text));
    }
}
