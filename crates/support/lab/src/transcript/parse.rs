//! Reading a transcript: the header, the steps, and every mistake named by its line.

use std::collections::BTreeMap;
use std::time::Duration;

use super::render::{compile, render};
use super::{Action, BUILT_IN, Random, Role, Step, Transcript};

impl Transcript {
    /// Parses a transcript; a mistake is reported as `line N: what is wrong`.
    pub fn parse(text: &str) -> Result<Transcript, String> {
        let mut t = Transcript {
            role: Role::Server,
            binary: None,
            args: String::new(),
            stdin: String::new(),
            timeout: Duration::from_secs(5),
            randoms: Vec::new(),
            files: Vec::new(),
            steps: Vec::new(),
        };
        let mut role_given = false;
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let fail = |message: String| format!("line {line}: {message}");
            let trimmed = raw.trim_end_matches('\r');
            if trimmed.trim().is_empty() || trimmed.trim_start().starts_with('#') {
                continue;
            }
            // An optional connection label: `[alice] > hello`.
            let (connection, body) = match trimmed.strip_prefix('[') {
                Some(rest) => {
                    let (label, body) = rest
                        .split_once(']')
                        .ok_or_else(|| fail("a '[' label is never closed".into()))?;
                    (label.trim().to_owned(), body.trim_start())
                }
                None => ("main".to_owned(), trimmed),
            };
            let (word, rest) = match body.find(' ') {
                Some(i) => (&body[..i], &body[i + 1..]),
                None => (body, ""),
            };
            let header = |t: &Transcript| -> Result<(), String> {
                if t.steps.is_empty() {
                    Ok(())
                } else {
                    Err(fail(format!("`{word}` belongs before the first step")))
                }
            };
            let action = match word {
                ">" => Action::Send(rest.to_owned()),
                "<" => Action::Expect(rest.to_owned()),
                "~" => Action::Match(rest.to_owned()),
                "..." => Action::Skip,
                "connect" => Action::Connect,
                "close" => Action::Close,
                "eof" => Action::Eof,
                "exit" => Action::Exit(
                    rest.trim()
                        .parse()
                        .map_err(|_| fail(format!("`exit` needs a number, not {rest:?}")))?,
                ),
                "stdout" => Action::Stdout(rest.to_owned()),
                "sleep" => Action::Sleep(duration(rest).map_err(fail)?),
                "timeout" if !t.steps.is_empty() => Action::Timeout(duration(rest).map_err(fail)?),
                "timeout" => {
                    t.timeout = duration(rest).map_err(fail)?;
                    continue;
                }
                "program" => {
                    header(&t)?;
                    t.role = match rest.trim() {
                        "server" => Role::Server,
                        "client" => Role::Client,
                        other => {
                            return Err(fail(format!(
                                "`program` is `server` or `client`, not {other:?}"
                            )));
                        }
                    };
                    role_given = true;
                    continue;
                }
                "binary" => {
                    header(&t)?;
                    t.binary = Some(rest.trim().to_owned());
                    continue;
                }
                "args" => {
                    header(&t)?;
                    t.args = rest.to_owned();
                    continue;
                }
                "stdin" => {
                    header(&t)?;
                    t.stdin.push_str(rest);
                    continue;
                }
                "file" => {
                    header(&t)?;
                    let (name, content) = rest.split_once(' ').unwrap_or((rest, ""));
                    if name.is_empty() || name.contains('/') || name.starts_with('.') {
                        return Err(fail(format!(
                            "`file` needs a plain file name, not {name:?}"
                        )));
                    }
                    t.files.push((name.to_owned(), content.to_owned()));
                    continue;
                }
                "let" => {
                    header(&t)?;
                    let (name, spec) = rest
                        .split_once('=')
                        .ok_or_else(|| fail("write `let NAME = word 8`".into()))?;
                    let name = name.trim();
                    if name.is_empty()
                        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                        || BUILT_IN.contains(&name)
                    {
                        return Err(fail(format!("{name:?} cannot be a variable name")));
                    }
                    let words: Vec<&str> = spec.split_whitespace().collect();
                    let number = |s: &str| {
                        s.parse::<u64>()
                            .map_err(|_| fail(format!("{s:?} is not a whole number")))
                    };
                    let random = match words.as_slice() {
                        ["word", n] => Random::Word(number(n)? as usize),
                        ["number", lo, hi] if number(lo)? <= number(hi)? => {
                            Random::Number(number(lo)?, number(hi)?)
                        }
                        ["pick", choices @ ..] if !choices.is_empty() => {
                            Random::Pick(choices.iter().map(|c| c.to_string()).collect())
                        }
                        _ => {
                            return Err(fail(format!(
                                "unknown random value {spec:?}: use `word N`, `number LOW HIGH` or `pick A B C`"
                            )));
                        }
                    };
                    t.randoms.push((name.to_owned(), random));
                    continue;
                }
                other => {
                    return Err(fail(format!(
                        "unknown line {other:?}: steps start with `>`, `<`, `~`, `...`, connect, close, eof, exit, stdout, sleep or timeout"
                    )));
                }
            };
            t.steps.push(Step {
                line,
                connection,
                action,
            });
        }
        if !role_given {
            return Err("the transcript must say `program server` or `program client`".into());
        }
        if t.steps.is_empty() {
            return Err("the transcript has no steps".into());
        }
        if t.role == Role::Client {
            if let Some(step) = t.steps.iter().find(|s| s.connection != "main") {
                return Err(format!(
                    "line {}: a client makes one connection; labels are for servers",
                    step.line
                ));
            }
            if !t.args.contains("{port}") {
                return Err("a client transcript passes the port: put {port} in `args`".into());
            }
        }
        // Every variable used must exist: check by rendering with placeholder values.
        let mut names: Vec<String> = BUILT_IN.iter().map(|s| s.to_string()).collect();
        names.extend(t.randoms.iter().map(|(n, _)| n.clone()));
        let placeholders: BTreeMap<String, String> =
            names.into_iter().map(|n| (n, "x".to_owned())).collect();
        let texts = [&t.args, &t.stdin]
            .into_iter()
            .map(|s| (0, s.as_str(), false))
            .chain(t.files.iter().map(|(_, c)| (0, c.as_str(), false)))
            .chain(t.files.iter().map(|(n, _)| (0, n.as_str(), false)))
            .chain(t.steps.iter().filter_map(|s| match &s.action {
                Action::Send(x) | Action::Expect(x) | Action::Stdout(x) => {
                    Some((s.line, x.as_str(), false))
                }
                Action::Match(x) => Some((s.line, x.as_str(), true)),
                _ => None,
            }));
        for (line, text, regex) in texts {
            let rendered = render(text, &placeholders, regex).map_err(|e| at(line, e))?;
            if regex {
                compile(&rendered).map_err(|e| at(line, e))?;
            }
        }
        Ok(t)
    }
}

fn at(line: usize, message: String) -> String {
    if line == 0 {
        message
    } else {
        format!("line {line}: {message}")
    }
}

/// `500ms`, `2s` or a plain number of seconds.
fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let parsed = if let Some(ms) = text.strip_suffix("ms") {
        ms.trim().parse().map(Duration::from_millis).ok()
    } else {
        text.strip_suffix('s')
            .unwrap_or(text)
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64)
    };
    match parsed {
        Some(d) if d <= Duration::from_secs(60) => Ok(d),
        Some(_) => Err(format!("{text} is too long: at most 60s")),
        None => Err(format!("{text:?} is not a duration (write 500ms or 2s)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transcript_parses_and_mistakes_name_their_line() {
        let t = Transcript::parse(
            "# comment\nprogram server\nargs --port 0\nlet W = word 5\n\n> hi {W}\n< HI {W|upper}\n[b] ~ .*\\r\nclose\neof\n",
        )
        .unwrap();
        assert_eq!(t.role, Role::Server);
        assert_eq!(t.steps.len(), 5);
        assert_eq!(t.steps[2].connection, "b");

        let err = Transcript::parse("program server\n> hi {X}\n").unwrap_err();
        assert!(err.starts_with("line 2: unknown variable"), "{err}");
        let err = Transcript::parse("program server\n> hi\nargs x\n").unwrap_err();
        assert!(err.starts_with("line 3:"), "{err}");
        let err = Transcript::parse("program client\nargs --port 1\n> hi\n").unwrap_err();
        assert!(err.contains("{port}"), "{err}");
        let err = Transcript::parse("program server\n~ (a\n").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
        let err = Transcript::parse("program server\nsend hi\n").unwrap_err();
        assert!(err.contains("unknown line"), "{err}");
    }
}
