//! A quiz block's TOML, read into questions and checked.
//!
//! ```toml
//! [[question]]
//! prompt = "Which call blocks until a client connects?"
//! choices = ["`listen`", "`accept`", "`bind`"]
//! answer = 1
//! explain = "Why, in one to three sentences."
//!
//! [[question]]
//! prompt = "The client sends `hi`. What does it print?"
//! answers = ["HI"]
//! explain = "..."
//! ```

use serde::Deserialize;
use std::fmt;

/// The fewest questions a quiz may have.
pub const MIN_QUESTIONS: usize = 3;
/// The most questions a quiz may have.
pub const MAX_QUESTIONS: usize = 6;

/// A quiz that has passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quiz {
    pub questions: Vec<Question>,
}

/// One question: its prompt and explanation are Markdown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub prompt: String,
    pub kind: Kind,
    pub explain: String,
}

/// How a question is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// Pick one of `choices` (Markdown); `answer` is the right one's index, from 0.
    Choice { choices: Vec<String>, answer: usize },
    /// Type an answer; any of `answers` is right, compared trimmed and case-insensitively.
    Short { answers: Vec<String> },
}

/// What is wrong with a quiz, and where: `line` counts the block's lines from 1,
/// `question` the questions from 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub question: Option<usize>,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.question, self.line) {
            (Some(q), Some(line)) => write!(f, "question {q} (line {line}): {}", self.message),
            (Some(q), None) => write!(f, "question {q}: {}", self.message),
            (None, Some(line)) => write!(f, "line {line}: {}", self.message),
            (None, None) => f.write_str(&self.message),
        }
    }
}

/// The TOML as written: every field optional, so that a missing one gets our message,
/// which names the question, rather than the deserializer's.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    question: Vec<Raw>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    prompt: Option<String>,
    choices: Option<Vec<String>>,
    answer: Option<i64>,
    answers: Option<Vec<String>>,
    explain: Option<String>,
}

/// Reads and checks a quiz block's TOML.
pub fn parse(text: &str) -> Result<Quiz, Problem> {
    let file: File = toml::from_str(text).map_err(|e| Problem {
        question: None,
        line: e.span().map(|span| line_of(text, span.start)),
        message: format!("not valid TOML: {}", one_line(e.message())),
    })?;
    let count = file.question.len();
    if !(MIN_QUESTIONS..=MAX_QUESTIONS).contains(&count) {
        return Err(Problem {
            question: None,
            line: None,
            message: format!(
                "has {count} question{}; a quiz has {MIN_QUESTIONS} to {MAX_QUESTIONS} \
                 (each starts with [[question]])",
                if count == 1 { "" } else { "s" }
            ),
        });
    }
    let headers = question_lines(text);
    let mut questions = Vec::with_capacity(count);
    for (index, raw) in file.question.into_iter().enumerate() {
        let question = check(raw).map_err(|message| Problem {
            question: Some(index + 1),
            line: headers.get(index).copied(),
            message,
        })?;
        questions.push(question);
    }
    Ok(Quiz { questions })
}

/// One question's rules: a prompt and an explanation, and exactly one way to answer.
fn check(raw: Raw) -> Result<Question, String> {
    let prompt = non_empty(raw.prompt, "prompt", "the question itself")?;
    let explain = non_empty(raw.explain, "explain", "why the answer is right")?;
    let kind = match (raw.choices, raw.answer, raw.answers) {
        (Some(_), _, Some(_)) => {
            return Err(
                "has both `choices` and `answers`: a question is multiple choice \
                        (`choices` + `answer`) or short answer (`answers`), not both"
                    .into(),
            );
        }
        (Some(_), None, None) => {
            return Err(
                "has `choices` but no `answer` (the index of the right choice, from 0)".into(),
            );
        }
        (None, Some(_), _) => {
            return Err(
                "has `answer` but no `choices` (a short-answer question lists what \
                        it accepts in `answers`)"
                    .into(),
            );
        }
        (None, None, None) => {
            return Err("needs `choices` + `answer` (multiple choice) or `answers` \
                        (short answer)"
                .into());
        }
        (Some(choices), Some(answer), None) => {
            if choices.len() < 2 {
                return Err(format!(
                    "has {} choice; multiple choice needs at least 2",
                    choices.len()
                ));
            }
            for (i, choice) in choices.iter().enumerate() {
                if choice.trim().is_empty() {
                    return Err(format!("choice {i} is empty"));
                }
                if let Some(j) = choices[..i].iter().position(|c| c.trim() == choice.trim()) {
                    return Err(format!("choices {j} and {i} are the same"));
                }
            }
            let last = choices.len() - 1;
            let answer = usize::try_from(answer)
                .ok()
                .filter(|&a| a <= last)
                .ok_or_else(|| {
                    format!(
                        "`answer = {answer}`, but the choices are numbered 0 to {last} \
                         (the index of the right choice, from 0)"
                    )
                })?;
            Kind::Choice { choices, answer }
        }
        (None, None, Some(answers)) => {
            if answers.is_empty() {
                return Err("`answers` is empty: list at least one accepted answer".into());
            }
            if let Some(i) = answers.iter().position(|a| a.trim().is_empty()) {
                return Err(format!("accepted answer {i} (from 0) is empty"));
            }
            Kind::Short { answers }
        }
    };
    Ok(Question {
        prompt,
        kind,
        explain,
    })
}

fn non_empty(value: Option<String>, field: &str, what: &str) -> Result<String, String> {
    match value {
        Some(text) if !text.trim().is_empty() => Ok(text),
        Some(_) => Err(format!("`{field}` is empty: write {what}")),
        None => Err(format!("has no `{field}`: write {what}")),
    }
}

/// Whether `typed` is one of `answers`: both trimmed, compared case-insensitively (the
/// page's script does the same).
pub fn accepts(answers: &[String], typed: &str) -> bool {
    let typed = typed.trim().to_lowercase();
    answers.iter().any(|a| a.trim().to_lowercase() == typed)
}

/// The line (from 1) on which byte `offset` of `text` stands.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The lines (from 1) of the `[[question]]` headers, in order.
fn question_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let line = line.trim();
            line.starts_with("[[")
                && line
                    .trim_start_matches('[')
                    .trim_start()
                    .starts_with("question")
        })
        .map(|(n, _)| n + 1)
        .collect()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[question]]
prompt = "Which call blocks until a client connects?"
choices = ["`listen`", "`accept`", "`bind`"]
answer = 1
explain = "`accept` waits for the next connection."

[[question]]
prompt = "The client sends `hi`. What does it print?"
answers = ["HI"]
explain = "The server uppercases."

[[question]]
prompt = "Is UDP a stream?"
choices = ["yes", "no"]
answer = 1
explain = "It keeps datagram boundaries."
"#;

    /// `GOOD` with its second question's body replaced.
    fn with_second(body: &str) -> String {
        let first_end = GOOD.find("\n[[question]]\nprompt = \"The client").unwrap();
        let third = GOOD.find("\n[[question]]\nprompt = \"Is UDP").unwrap();
        format!(
            "{}\n[[question]]\n{body}\n{}",
            &GOOD[..first_end],
            &GOOD[third..]
        )
    }

    fn problem(text: &str) -> Problem {
        parse(text).expect_err("the quiz should be refused")
    }

    #[test]
    fn a_good_quiz_is_read_in_order() {
        let quiz = parse(GOOD).unwrap();
        assert_eq!(quiz.questions.len(), 3);
        assert_eq!(
            quiz.questions[0].kind,
            Kind::Choice {
                choices: vec!["`listen`".into(), "`accept`".into(), "`bind`".into()],
                answer: 1
            }
        );
        assert_eq!(
            quiz.questions[1].kind,
            Kind::Short {
                answers: vec!["HI".into()]
            }
        );
        assert_eq!(
            quiz.questions[1].prompt,
            "The client sends `hi`. What does it print?"
        );
    }

    #[test]
    fn too_few_and_too_many_questions_are_refused() {
        let one = "[[question]]\nprompt = \"p\"\nanswers = [\"a\"]\nexplain = \"e\"\n";
        assert!(problem(one).message.starts_with("has 1 question;"));
        assert!(
            problem(&one.repeat(2))
                .message
                .starts_with("has 2 questions;")
        );
        assert!(parse(&one.repeat(3)).is_ok());
        assert!(parse(&one.repeat(6)).is_ok());
        assert!(
            problem(&one.repeat(7))
                .message
                .starts_with("has 7 questions;")
        );
        assert!(problem("").message.starts_with("has 0 questions;"));
    }

    #[test]
    fn each_rule_names_the_question_and_its_line() {
        let cases = [
            ("answers = [\"a\"]\nexplain = \"e\"", "has no `prompt`"),
            (
                "prompt = \"  \"\nanswers = [\"a\"]\nexplain = \"e\"",
                "`prompt` is empty",
            ),
            ("prompt = \"p\"\nanswers = [\"a\"]", "has no `explain`"),
            (
                "prompt = \"p\"\nanswers = [\"a\"]\nexplain = \"\"",
                "`explain` is empty",
            ),
            (
                "prompt = \"p\"\nexplain = \"e\"",
                "needs `choices` + `answer`",
            ),
            (
                "prompt = \"p\"\nchoices = [\"a\", \"b\"]\nanswer = 0\nanswers = [\"a\"]\nexplain = \"e\"",
                "has both `choices` and `answers`",
            ),
            (
                "prompt = \"p\"\nchoices = [\"a\", \"b\"]\nexplain = \"e\"",
                "has `choices` but no `answer`",
            ),
            (
                "prompt = \"p\"\nanswer = 0\nanswers = [\"a\"]\nexplain = \"e\"",
                "has `answer` but no `choices`",
            ),
            (
                "prompt = \"p\"\nchoices = [\"a\"]\nanswer = 0\nexplain = \"e\"",
                "has 1 choice;",
            ),
            (
                "prompt = \"p\"\nchoices = [\"a\", \" \"]\nanswer = 0\nexplain = \"e\"",
                "choice 1 is empty",
            ),
            (
                "prompt = \"p\"\nchoices = [\"a\", \"b\", \"a\"]\nanswer = 0\nexplain = \"e\"",
                "choices 0 and 2 are the same",
            ),
            (
                "prompt = \"p\"\nchoices = [\"a\", \"b\", \"c\"]\nanswer = 3\nexplain = \"e\"",
                "`answer = 3`, but the choices are numbered 0 to 2",
            ),
            (
                "prompt = \"p\"\nchoices = [\"a\", \"b\"]\nanswer = -1\nexplain = \"e\"",
                "`answer = -1`, but the choices are numbered 0 to 1",
            ),
            (
                "prompt = \"p\"\nanswers = []\nexplain = \"e\"",
                "`answers` is empty",
            ),
            (
                "prompt = \"p\"\nanswers = [\"x\", \"\"]\nexplain = \"e\"",
                "accepted answer 1 (from 0) is empty",
            ),
        ];
        for (body, expected) in cases {
            let text = with_second(body);
            let problem = problem(&text);
            assert_eq!(problem.question, Some(2), "{body}: {problem}");
            // The second header: after the first question's 5 lines, a blank line and the
            // leading newline of GOOD.
            assert_eq!(problem.line, Some(8), "{body}: {problem}");
            assert!(
                problem.message.starts_with(expected),
                "{body}: expected {expected:?}, got {problem}"
            );
            assert!(!problem.to_string().contains('\n'), "{problem}");
        }
    }

    #[test]
    fn toml_mistakes_are_one_line_with_the_line_number() {
        let unknown = with_second("prompt = \"p\"\nanswers = [\"a\"]\nexplanation = \"e\"");
        let p = problem(&unknown);
        assert!(p.message.contains("unknown field `explanation`"), "{p}");
        assert_eq!(p.line, Some(11), "{p}");
        let broken = "[[question]]\nprompt = \"never closed\nanswers = [\"a\"]\n";
        let p = problem(broken);
        assert!(p.message.starts_with("not valid TOML:"), "{p}");
        assert_eq!(p.line, Some(2), "{p}");
        assert!(!p.to_string().contains('\n'), "{p}");
        let typo = "[[questions]]\nprompt = \"p\"\nanswers = [\"a\"]\nexplain = \"e\"\n";
        assert!(problem(typo).message.contains("unknown field `questions`"));
    }

    #[test]
    fn short_answers_are_trimmed_and_case_insensitive() {
        let answers = vec!["HI".to_owned(), " Connection refused ".to_owned()];
        assert!(accepts(&answers, "hi"));
        assert!(accepts(&answers, "  Hi \n"));
        assert!(accepts(&answers, "connection REFUSED"));
        assert!(!accepts(&answers, "h i"));
        assert!(!accepts(&answers, ""));
    }
}
