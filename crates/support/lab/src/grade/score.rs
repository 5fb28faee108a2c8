//! What grading found: a result per test and per exercise, and the points they are worth.

/// Points per exercise: every exercise weighs the same, whatever its number of tests.
pub const POINTS: f64 = 10.0;

/// Where a test comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// In the exercise's `tests/`: the student has it too.
    Visible,
    /// A Rust file from the hidden folder, dropped into `tests/` as `hidden_NAME.rs`.
    Hidden,
    /// A `.transcript` file from the hidden folder, played by the grader.
    Transcript,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Visible => "visible",
            Kind::Hidden => "hidden",
            Kind::Transcript => "transcript",
        }
    }
}

/// One test's outcome.
#[derive(Debug)]
pub struct TestResult {
    pub name: String,
    pub kind: Kind,
    pub passed: bool,
    pub seconds: f64,
    /// Why it failed, in a few words ("timed out after 30 s").
    pub reason: String,
    /// What the test printed: expected, observed, the conversation.
    pub detail: String,
}

/// Why an exercise could not be tested at all.
#[derive(Debug)]
pub struct Problem {
    /// In a few words: "does not compile".
    pub what: String,
    /// The evidence: the compiler's first error, say.
    pub detail: String,
}

impl Problem {
    pub fn new(what: &str, detail: impl Into<String>) -> Problem {
        Problem {
            what: what.to_owned(),
            detail: detail.into(),
        }
    }
}

/// One exercise's outcome.
#[derive(Debug)]
pub struct ExerciseResult {
    pub name: String,
    /// Set when the exercise could not be tested at all ("does not compile").
    pub problem: Option<Problem>,
    pub tests: Vec<TestResult>,
}

impl ExerciseResult {
    /// An exercise that could not be tested: no points.
    pub fn untested(name: &str, problem: Problem) -> ExerciseResult {
        ExerciseResult {
            name: name.to_owned(),
            problem: Some(problem),
            tests: Vec::new(),
        }
    }

    /// Tests passed, of `kind` or of every kind.
    pub fn passed(&self, kind: Option<Kind>) -> usize {
        self.tests
            .iter()
            .filter(|t| t.passed && kind.is_none_or(|k| k == t.kind))
            .count()
    }

    /// Tests run, of `kind` or of every kind.
    pub fn total(&self, kind: Option<Kind>) -> usize {
        self.tests
            .iter()
            .filter(|t| kind.is_none_or(|k| k == t.kind))
            .count()
    }

    /// The share of tests passed, out of `POINTS`, to one decimal.
    pub fn points(&self) -> f64 {
        if self.problem.is_some() || self.tests.is_empty() {
            return 0.0;
        }
        let score = POINTS * self.passed(None) as f64 / self.total(None) as f64;
        (score * 10.0).round() / 10.0
    }

    /// The note for the score table: the problem, or the reasons tests failed, each
    /// once and whole (a reason may hold a colon: "crashed (signal: 11 (SIGSEGV))").
    pub fn note(&self) -> String {
        if let Some(problem) = &self.problem {
            return problem.what.clone();
        }
        let mut reasons: Vec<&str> = Vec::new();
        for t in self.tests.iter().filter(|t| !t.passed) {
            if !reasons.contains(&t.reason.as_str()) {
                reasons.push(&t.reason);
            }
        }
        reasons.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test(passed: bool, reason: &str) -> TestResult {
        TestResult {
            name: "t".into(),
            kind: Kind::Visible,
            passed,
            seconds: 0.0,
            reason: reason.into(),
            detail: String::new(),
        }
    }

    #[test]
    fn points_are_the_share_of_tests_passed() {
        let result = ExerciseResult {
            name: "one".into(),
            problem: None,
            tests: vec![test(true, ""), test(false, "failed"), test(true, "")],
        };
        assert_eq!(result.points(), 6.7);
        assert_eq!(result.passed(Some(Kind::Visible)), 2);
        assert_eq!(result.total(Some(Kind::Hidden)), 0);
        let broken = ExerciseResult::untested("two", Problem::new("does not compile", "error"));
        assert_eq!(broken.points(), 0.0);
        // An exercise with no test at all is worth nothing (not 0/0).
        let empty = ExerciseResult {
            name: "three".into(),
            problem: None,
            tests: vec![],
        };
        assert_eq!(empty.points(), 0.0);
        assert_eq!(broken.note(), "does not compile");
    }

    #[test]
    fn a_note_names_each_reason_once_and_whole() {
        let result = ExerciseResult {
            name: "one".into(),
            problem: None,
            tests: vec![
                test(false, "crashed (signal: 11 (SIGSEGV))"),
                test(false, "failed"),
                test(false, "crashed (signal: 11 (SIGSEGV))"),
                test(true, ""),
            ],
        };
        assert_eq!(result.note(), "crashed (signal: 11 (SIGSEGV)); failed");
    }
}
