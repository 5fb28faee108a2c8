//! The program as mdBook runs it: `supports RENDERER` answers by exit status; otherwise
//! `[context, book]` JSON comes on stdin and the book goes back on stdout, or a bad quiz
//! stops the build with one line saying where.

use serde_json::{Value, json};
use testkit::run;

const BIN: &str = env!("CARGO_BIN_EXE_book_quiz");

fn quiz(answer: i64) -> String {
    format!(
        "# Echo\n\nText.\n\n## Check your understanding\n\n```quiz\n\
         [[question]]\nprompt = \"Which call *blocks*?\"\nchoices = [\"`listen`\", \"`accept`\"]\nanswer = {answer}\nexplain = \"`accept` waits.\"\n\n\
         [[question]]\nprompt = \"What comes back for `hi`?\"\nanswers = [\"hi\"]\nexplain = \"An echo.\"\n\n\
         [[question]]\nprompt = \"And for `<b>`?\"\nanswers = [\"<b>\"]\nexplain = \"The same bytes.\"\n\
         ```\n"
    )
}

/// What mdBook 0.5 sends (0.4 names the list `sections`).
fn input(content: &str) -> String {
    json!([
        {"root": "/book", "config": {"book": {"title": "t"}}, "renderer": "html",
         "mdbook_version": "0.5.4"},
        {"items": [
            {"Chapter": {"name": "Echo", "content": content, "number": [1], "sub_items": [],
                         "path": "part1/echo.md", "source_path": "part1/echo.md",
                         "parent_names": []}},
            "Separator"
        ]}
    ])
    .to_string()
}

#[test]
fn it_supports_the_html_renderer_only() {
    assert_eq!(run(BIN, &["supports", "html"], b"").code(), Some(0));
    assert_eq!(run(BIN, &["supports", "markdown"], b"").code(), Some(1));
}

#[test]
fn the_book_comes_back_with_the_quiz_as_html() {
    let out = run(BIN, &[], input(&quiz(1)).as_bytes());
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stderr, "");
    let book: Value = serde_json::from_str(&out.stdout).expect("JSON on stdout");
    let content = book["items"][0]["Chapter"]["content"].as_str().unwrap();
    assert!(content.starts_with("# Echo\n\nText.\n\n## Check your understanding\n\n"));
    assert!(!content.contains("```quiz"), "{content}");
    assert!(content.contains("<div class=\"quiz\" id=\"quiz-part1-echo-1\">"));
    assert!(content.contains("data-answer=\"1\""));
    assert!(content.contains("Which call <em>blocks</em>?"));
    assert!(content.contains("And for <code>&lt;b&gt;</code>?"));
    assert_eq!(book["items"][1], "Separator");
}

#[test]
fn a_bad_quiz_fails_with_one_line_naming_where() {
    let out = run(BIN, &[], input(&quiz(2)).as_bytes());
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "book_quiz: part1/echo.md (chapter \"Echo\"): the quiz at line 7: question 1 (line 8): \
         `answer = 2`, but the choices are numbered 0 to 1 (the index of the right choice, \
         from 0)\n"
    );
}

#[test]
fn anything_but_mdbooks_json_is_one_line_and_status_1() {
    for garbage in ["", "not json", "[1]", "[{}, 2]"] {
        let out = run(BIN, &[], garbage.as_bytes());
        assert_eq!(out.code(), Some(1), "{garbage:?}: {out:?}");
        assert_eq!(out.stderr.lines().count(), 1, "{garbage:?}: {out:?}");
        assert!(
            out.stderr.starts_with("book_quiz: expected mdBook's"),
            "{out:?}"
        );
    }
    let out = run(BIN, &["--help"], b"");
    assert_eq!(out.code(), Some(1));
    assert!(out.stderr.starts_with("book_quiz: usage:"), "{out:?}");
}
