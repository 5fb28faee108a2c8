//! Stage 5: report the results: the score table (with the details of every failure), a
//! JSON file for gradebooks, JUnit XML for CI systems.

use std::fmt::Write as _;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use serde::Serialize;

use super::score::{ExerciseResult, Kind, POINTS};

/// The score table, then the details of every failure.
pub fn table(results: &[ExerciseResult], details: bool) -> String {
    let mut out = String::new();
    let width = results
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let _ = writeln!(
        out,
        "{:<width$}  {:>7}  {:>6}  {:>10}  {:>6}  notes",
        "exercise", "visible", "hidden", "transcript", "points"
    );
    let cell = |r: &ExerciseResult, k: Kind| {
        if r.problem.is_some() {
            "-".to_owned()
        } else {
            format!("{}/{}", r.passed(Some(k)), r.total(Some(k)))
        }
    };
    let mut total = 0.0;
    for r in results {
        total += r.points();
        let _ = writeln!(
            out,
            "{:<width$}  {:>7}  {:>6}  {:>10}  {:>6.1}  {}",
            r.name,
            cell(r, Kind::Visible),
            cell(r, Kind::Hidden),
            cell(r, Kind::Transcript),
            r.points(),
            r.note()
        );
    }
    let _ = writeln!(
        out,
        "{:<width$}  {:>7}  {:>6}  {:>10}  {:>6.1}  of {}",
        "total",
        "",
        "",
        "",
        total,
        POINTS * results.len() as f64
    );
    if details {
        for r in results {
            if let Some(problem) = &r.problem {
                let _ = writeln!(
                    out,
                    "\n{}: {}\n{}",
                    r.name,
                    problem.what,
                    indent(&problem.detail)
                );
            }
            for t in r.tests.iter().filter(|t| !t.passed) {
                let _ = writeln!(
                    out,
                    "\n{} / {} ({}): {}\n{}",
                    r.name,
                    t.name,
                    t.kind.word(),
                    t.reason,
                    indent(&t.detail)
                );
            }
        }
    }
    out
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The JSON report: the whole run.
#[derive(Serialize)]
struct JsonReport<'a> {
    submission: &'a str,
    seed: u64,
    points: f64,
    max_points: f64,
    exercises: Vec<JsonExercise<'a>>,
}

#[derive(Serialize)]
struct JsonExercise<'a> {
    name: &'a str,
    points: f64,
    max_points: f64,
    passed: usize,
    total: usize,
    /// `null` when the exercise could be tested.
    problem: Option<&'a str>,
    /// Only with a problem: the compiler's first error, say.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    tests: Vec<JsonTest<'a>>,
}

#[derive(Serialize)]
struct JsonTest<'a> {
    name: &'a str,
    kind: &'static str,
    passed: bool,
    seconds: f64,
    reason: &'a str,
    detail: &'a str,
}

/// `x` rounded to `places` decimals, so the report reads 9.1 rather than 9.100000000000001.
fn rounded(x: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (x * scale).round() / scale
}

/// The results as JSON, for gradebooks.
pub fn json(submission: &str, seed: u64, results: &[ExerciseResult]) -> String {
    let report = JsonReport {
        submission,
        seed,
        points: rounded(results.iter().map(ExerciseResult::points).sum(), 1),
        max_points: POINTS * results.len() as f64,
        exercises: results
            .iter()
            .map(|r| JsonExercise {
                name: &r.name,
                points: r.points(),
                max_points: POINTS,
                passed: r.passed(None),
                total: r.total(None),
                problem: r.problem.as_ref().map(|p| p.what.as_str()),
                detail: r.problem.as_ref().map(|p| p.detail.as_str()),
                tests: r
                    .tests
                    .iter()
                    .map(|t| JsonTest {
                        name: &t.name,
                        kind: t.kind.word(),
                        passed: t.passed,
                        seconds: rounded(t.seconds, 3),
                        reason: &t.reason,
                        detail: &t.detail,
                    })
                    .collect(),
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&report).expect("the report serializes");
    text.push('\n');
    text
}

/// The results as JUnit XML, for CI systems: one test suite per exercise. An exercise
/// that could not be tested is one test case, `build`, in error.
pub fn junit(submission: &str, results: &[ExerciseResult]) -> String {
    let tests: usize = results.iter().map(|r| r.total(None).max(1)).sum();
    let errors = results.iter().filter(|r| r.problem.is_some()).count();
    let failures: usize = results
        .iter()
        .filter(|r| r.problem.is_none())
        .map(|r| r.total(None) - r.passed(None))
        .sum();
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    let written = writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .and_then(|()| {
            writer
                .create_element("testsuites")
                .with_attributes([
                    ("name", xml_safe(submission).as_ref()),
                    ("tests", &tests.to_string()),
                    ("failures", &failures.to_string()),
                    ("errors", &errors.to_string()),
                ])
                .write_inner_content(|w| results.iter().try_for_each(|r| junit_suite(w, r)))
                .map(|_| ())
        });
    written.expect("writing XML into memory cannot fail");
    let mut text = String::from_utf8(writer.into_inner()).expect("the XML is UTF-8");
    text.push('\n');
    text
}

fn junit_suite(w: &mut Writer<Vec<u8>>, r: &ExerciseResult) -> std::io::Result<()> {
    let name = xml_safe(&r.name);
    if let Some(problem) = &r.problem {
        w.create_element("testsuite")
            .with_attributes([
                ("name", name.as_ref()),
                ("tests", "1"),
                ("failures", "0"),
                ("errors", "1"),
                ("time", "0"),
            ])
            .write_inner_content(|w| {
                w.create_element("testcase")
                    .with_attributes([
                        ("classname", name.as_ref()),
                        ("name", "build"),
                        ("time", "0"),
                    ])
                    .write_inner_content(|w| {
                        w.create_element("error")
                            .with_attribute(("message", xml_safe(&problem.what).as_ref()))
                            .write_text_content(xml_text(&problem.detail))
                            .map(|_| ())
                    })
                    .map(|_| ())
            })?;
        return Ok(());
    }
    let seconds: f64 = r.tests.iter().map(|t| t.seconds).sum();
    w.create_element("testsuite")
        .with_attributes([
            ("name", name.as_ref()),
            ("tests", &r.total(None).to_string()),
            ("failures", &(r.total(None) - r.passed(None)).to_string()),
            ("errors", "0"),
            ("time", &format!("{seconds:.3}")),
        ])
        .write_inner_content(|w| {
            for t in &r.tests {
                let case = w.create_element("testcase").with_attributes([
                    ("classname", format!("{name}.{}", t.kind.word()).as_str()),
                    ("name", xml_safe(&t.name).as_ref()),
                    ("time", &format!("{:.3}", t.seconds)),
                ]);
                if t.passed {
                    case.write_empty()?;
                } else {
                    case.write_inner_content(|w| {
                        w.create_element("failure")
                            .with_attribute(("message", xml_safe(&t.reason).as_ref()))
                            .write_text_content(xml_text(&t.detail))
                            .map(|_| ())
                    })?;
                }
            }
            Ok(())
        })?;
    Ok(())
}

/// `text` with the characters XML 1.0 cannot hold at all (most control characters)
/// written as `\xNN`.
fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r');
    if !text.contains(bad) {
        return text.into();
    }
    text.chars()
        .map(|c| {
            if bad(c) {
                format!("\\x{:02x}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// Element content: escaped, with `\r` kept as a character reference (a reader turns a
/// bare one into a line break).
fn xml_text(text: &str) -> BytesText<'static> {
    let escaped = quick_xml::escape::escape(xml_safe(text)).replace('\r', "&#13;");
    BytesText::from_escaped(escaped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grade::score::{Problem, TestResult};

    fn sample() -> Vec<ExerciseResult> {
        vec![
            ExerciseResult {
                name: "one".into(),
                problem: None,
                tests: vec![
                    TestResult {
                        name: "visible::a".into(),
                        kind: Kind::Visible,
                        passed: true,
                        seconds: 0.1,
                        reason: String::new(),
                        detail: String::new(),
                    },
                    TestResult {
                        name: "upper".into(),
                        kind: Kind::Transcript,
                        passed: false,
                        seconds: 0.2,
                        reason: "the conversation went wrong".into(),
                        detail: "expected  \"HI\\n\" <&> \u{1}".into(),
                    },
                ],
            },
            ExerciseResult::untested(
                "two",
                Problem::new("does not compile", "error[E0308]: mismatched types"),
            ),
        ]
    }

    #[test]
    fn the_table_has_a_row_per_exercise_a_total_and_the_details() {
        let results = sample();
        let table = table(&results, true);
        assert!(
            table.contains(
                "one           1/1     0/0         0/1     5.0  the conversation went wrong"
            ),
            "{table}"
        );
        assert!(
            table.contains("\none / upper (transcript): the conversation went wrong\n    expected"),
            "{table}"
        );
        assert!(
            table.contains("\ntwo: does not compile\n    error[E0308]"),
            "{table}"
        );
        let total = table.lines().find(|l| l.starts_with("total")).unwrap();
        let words: Vec<&str> = total.split_whitespace().collect();
        assert_eq!(words, ["total", "5.0", "of", "20"], "{table}");
        assert!(table.contains("does not compile"), "{table}");
    }

    #[test]
    fn the_table_prints_a_note_whole_even_with_a_colon_in_it() {
        let mut results = sample();
        results[0].tests[1].reason = "crashed (signal: 11 (SIGSEGV))".into();
        let table = table(&results, false);
        let row = table.lines().find(|l| l.starts_with("one ")).unwrap();
        assert!(
            row.ends_with("  crashed (signal: 11 (SIGSEGV))"),
            "the note is cut:\n{table}"
        );
    }

    #[test]
    fn json_report_parses_back() {
        let text = json("alice", 7, &sample());
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let exercises = parsed["exercises"].as_array().unwrap();
        assert_eq!(exercises.len(), 2);
        assert_eq!(parsed["points"], 5.0);
        assert_eq!(parsed["max_points"], 20.0);
        assert_eq!(exercises[0]["problem"], serde_json::Value::Null);
        assert!(exercises[0].get("detail").is_none());
        assert_eq!(exercises[0]["tests"][1]["kind"], "transcript");
        assert_eq!(exercises[0]["tests"][1]["seconds"], 0.2);
        assert_eq!(exercises[1]["problem"], "does not compile");
        assert_eq!(exercises[1]["detail"], "error[E0308]: mismatched types");
    }

    #[test]
    fn junit_escapes_what_xml_cannot_hold() {
        let text = junit("a&b", &sample());
        assert!(text.contains("name=\"a&amp;b\""));
        assert!(text.contains("&lt;&amp;&gt; \\x01"));
        assert!(text.contains("<testsuite name=\"two\" tests=\"1\" failures=\"0\" errors=\"1\""));
        assert!(
            text.contains("<testsuite name=\"one\" tests=\"2\" failures=\"1\" errors=\"0\""),
            "{text}"
        );
        assert!(
            text.contains("<testsuites name=\"a&amp;b\" tests=\"3\" failures=\"1\" errors=\"1\">")
        );
        assert_eq!(text.matches("<testsuite ").count(), 2);
        assert_eq!(text.matches("</testsuite>").count(), 2);
    }
}
