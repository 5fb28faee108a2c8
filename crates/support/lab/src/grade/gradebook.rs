//! What a class's grading adds to each student's reports: the gradebook (a row per
//! student, a column per exercise), the failures by test (which tests failed for how many
//! students), and how long each submission took.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::class::Graded;
use super::score::ExerciseResult;

/// Points to one decimal, as the score table prints them.
fn points(x: f64) -> String {
    format!("{x:.1}")
}

fn csv_text(rows: Vec<Vec<String>>) -> String {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer
            .write_record(&row)
            .expect("writing CSV into memory cannot fail");
    }
    String::from_utf8(
        writer
            .into_inner()
            .expect("flushing into memory cannot fail"),
    )
    .expect("the CSV is UTF-8")
}

/// `student,EX1,...,EXn,total`, then a row per student in the order given (the class
/// grades them in name order).
pub fn gradebook_csv(exercises: &[&str], graded: &[Graded]) -> String {
    let mut rows = Vec::new();
    let mut header = vec!["student".to_owned()];
    header.extend(exercises.iter().map(|e| e.to_string()));
    header.push("total".to_owned());
    rows.push(header);
    for g in graded {
        let mut row = vec![g.student.clone()];
        for exercise in exercises {
            let got = g
                .results
                .iter()
                .find(|r| r.name == *exercise)
                .map_or(0.0, ExerciseResult::points);
            row.push(points(got));
        }
        let total: f64 = g.results.iter().map(ExerciseResult::points).sum();
        row.push(points(total));
        rows.push(row);
    }
    csv_text(rows)
}

/// A test (or an exercise that could not be tested) and the students it failed for.
pub struct Failure {
    pub exercise: String,
    /// `visible::NAME`, a transcript's name, or `(build)` for an exercise not tested.
    pub test: String,
    /// `visible`, `hidden`, `transcript`, or the problem ("does not compile").
    pub kind: String,
    pub students: Vec<String>,
}

/// Every test that failed for at least one student, the most failed first (then in
/// exercise and test name order).
pub fn failures(graded: &[Graded]) -> Vec<Failure> {
    let mut seen: BTreeMap<(String, String, String), Vec<String>> = BTreeMap::new();
    for g in graded {
        for r in &g.results {
            if let Some(problem) = &r.problem {
                seen.entry((r.name.clone(), "(build)".to_owned(), problem.what.clone()))
                    .or_default()
                    .push(g.student.clone());
            }
            for t in r.tests.iter().filter(|t| !t.passed) {
                seen.entry((r.name.clone(), t.name.clone(), t.kind.word().to_owned()))
                    .or_default()
                    .push(g.student.clone());
            }
        }
    }
    let mut list: Vec<Failure> = seen
        .into_iter()
        .map(|((exercise, test, kind), students)| Failure {
            exercise,
            test,
            kind,
            students,
        })
        .collect();
    list.sort_by_key(|f| std::cmp::Reverse(f.students.len()));
    list
}

/// `exercise,test,kind,failed,students` (students separated by spaces).
pub fn failures_csv(graded: &[Graded]) -> String {
    let mut rows = vec![
        ["exercise", "test", "kind", "failed", "students"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for f in failures(graded) {
        rows.push(vec![
            f.exercise,
            f.test,
            f.kind,
            f.students.len().to_string(),
            f.students.join(" "),
        ]);
    }
    csv_text(rows)
}

/// The failures as a table for the terminal: at most `limit` lines.
pub fn failures_summary(graded: &[Graded], limit: usize) -> String {
    let list = failures(graded);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "failures by test ({} students; every one in failures.csv):",
        graded.len()
    );
    if list.is_empty() {
        let _ = writeln!(out, "  none: every test passed for every student");
    }
    for f in list.iter().take(limit) {
        let _ = writeln!(
            out,
            "  {:>3} of {}  {} / {} ({})",
            f.students.len(),
            graded.len(),
            f.exercise,
            f.test,
            f.kind
        );
    }
    if list.len() > limit {
        let _ = writeln!(out, "  ... and {} more", list.len() - limit);
    }
    out
}

/// `student,build_seconds,test_seconds,total_seconds`.
pub fn timings_csv(graded: &[Graded]) -> String {
    let mut rows = vec![
        ["student", "build_seconds", "test_seconds", "total_seconds"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for g in graded {
        let (b, t) = (g.build.as_secs_f64(), g.tests.as_secs_f64());
        rows.push(vec![
            g.student.clone(),
            format!("{b:.2}"),
            format!("{t:.2}"),
            format!("{:.2}", b + t),
        ]);
    }
    csv_text(rows)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::grade::score::{Kind, Problem, TestResult};

    fn graded(student: &str, wire_passes: bool) -> Graded {
        let test = |name: &str, passed| TestResult {
            name: name.into(),
            kind: Kind::Visible,
            passed,
            seconds: 0.1,
            reason: if passed {
                String::new()
            } else {
                "failed".into()
            },
            detail: String::new(),
        };
        Graded {
            student: student.into(),
            results: vec![
                ExerciseResult {
                    name: "wire".into(),
                    problem: None,
                    tests: vec![test("visible::a", true), test("visible::b", wire_passes)],
                },
                ExerciseResult::untested("pack", Problem::new("does not compile", "error")),
            ],
            build: Duration::from_millis(1500),
            tests: Duration::from_millis(2250),
        }
    }

    #[test]
    fn the_gradebook_has_a_header_a_row_per_student_and_the_total() {
        let class = [graded("alice", true), graded("bob, jr.", false)];
        let csv = gradebook_csv(&["wire", "pack"], &class);
        assert_eq!(
            csv,
            "student,wire,pack,total\nalice,10.0,0.0,10.0\n\"bob, jr.\",5.0,0.0,5.0\n"
        );
    }

    #[test]
    fn failures_are_counted_per_test_the_most_failed_first() {
        let class = [graded("alice", true), graded("bob", false)];
        let list = failures(&class);
        assert_eq!(list[0].exercise, "pack");
        assert_eq!(list[0].kind, "does not compile");
        assert_eq!(list[0].students, ["alice", "bob"]);
        assert_eq!(list[1].test, "visible::b");
        assert_eq!(list[1].students, ["bob"]);
        assert_eq!(list.len(), 2);
        let summary = failures_summary(&class, 10);
        assert!(
            summary.contains("  2 of 2  pack / (build) (does not compile)"),
            "{summary}"
        );
        assert!(failures_csv(&class).contains("wire,visible::b,visible,1,bob\n"));
        assert!(timings_csv(&class).contains("alice,1.50,2.25,3.75\n"));
    }
}
