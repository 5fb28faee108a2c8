//! The preprocessor's work on mdBook's JSON: find each chapter, replace its quiz blocks.
//!
//! The book is handled as plain JSON (`serde_json::Value`), not as mdBook's types, so that
//! it does not matter which mdBook runs us: 0.4 calls the top list `sections`, 0.5
//! `items`. Whatever the names around it, a chapter is `{"Chapter": {"content": ...}}`.

use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde_json::Value;

use crate::quiz::{self, Problem, line_of};
use crate::render::render;

/// The info string that marks a quiz: ```` ```quiz ````.
pub const INFO: &str = "quiz";

/// One ```` ```quiz ```` block of a chapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The line (from 1) of the opening fence in the chapter.
    pub line: usize,
    /// The bytes of the chapter the block takes, fences included.
    pub range: Range<usize>,
    /// The TOML between the fences.
    pub toml: String,
}

/// Every quiz block of a chapter's Markdown, in order. Only real fenced blocks count: a
/// quiz shown inside a longer fence, as an example, is left alone.
pub fn quiz_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (event, range) in Parser::new_ext(markdown, Options::all()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info)))
                if info.split([',', ' ', '\t']).next() == Some(INFO) =>
            {
                current = Some(Block {
                    line: line_of(markdown, range.start),
                    range,
                    toml: String::new(),
                });
            }
            Event::Text(text) => {
                if let Some(block) = current.as_mut() {
                    block.toml.push_str(&text);
                }
            }
            Event::End(TagEnd::CodeBlock) => blocks.extend(current.take()),
            _ => {}
        }
    }
    blocks
}

/// Which chapter a problem is in, for the one line that reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chapter<'a> {
    /// The Markdown file, relative to the book's source folder (`part1/tcp-upper.md`).
    pub file: &'a str,
    /// The chapter's title.
    pub name: &'a str,
}

/// A problem found in a chapter's quiz: one line, naming the file, the chapter, the line
/// of the quiz and the question.
pub fn describe(chapter: &Chapter, block: &Block, problem: &Problem) -> String {
    let mut problem = problem.clone();
    // The block's line 1 is the line after the opening fence.
    problem.line = problem.line.map(|line| block.line + line);
    format!(
        "{} (chapter \"{}\"): the quiz at line {}: {problem}",
        chapter.file, chapter.name, block.line
    )
}

/// `markdown` with each quiz block replaced by its HTML, or every problem found, one line
/// each. `id` names the chapter uniquely (ids and radio names in the page derive from it).
pub fn rewrite_chapter(markdown: &str, chapter: &Chapter, id: &str) -> Result<String, Vec<String>> {
    let mut out = String::with_capacity(markdown.len());
    let mut problems = Vec::new();
    let mut done = 0;
    for (number, block) in quiz_blocks(markdown).iter().enumerate() {
        match quiz::parse(&block.toml) {
            Ok(quiz) => {
                out.push_str(&markdown[done..block.range.start]);
                // Blank lines around it: mdBook reads it as one raw HTML block.
                out.push_str("\n\n");
                out.push_str(&render(&quiz, &format!("{id}-{}", number + 1)));
                out.push_str("\n\n");
                done = block.range.end;
            }
            Err(problem) => problems.push(describe(chapter, block, &problem)),
        }
    }
    out.push_str(&markdown[done..]);
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// A name for ids in the page, from a chapter's path: `part1/tcp-upper.md` →
/// `quiz-part1-tcp-upper`.
pub fn page_id(path: &str) -> String {
    let stem = path.strip_suffix(".md").unwrap_or(path);
    let mut id = String::from("quiz");
    for word in stem.split(|c: char| !c.is_ascii_alphanumeric()) {
        if !word.is_empty() {
            id.push('-');
            id.push_str(&word.to_ascii_lowercase());
        }
    }
    id
}

/// Rewrites every chapter of mdBook's book JSON in place; returns how many quizzes it
/// rendered, or every problem found, one line each.
pub fn rewrite_book(book: &mut Value) -> Result<usize, Vec<String>> {
    let mut problems = Vec::new();
    let mut rendered = 0;
    walk(book, &mut rendered, &mut problems);
    if problems.is_empty() {
        Ok(rendered)
    } else {
        Err(problems)
    }
}

fn walk(value: &mut Value, rendered: &mut usize, problems: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(chapter)) = map.get_mut("Chapter") {
                let text = |key: &str| chapter.get(key).and_then(Value::as_str).map(str::to_owned);
                let name = text("name").unwrap_or_default();
                // A draft chapter has no path; its title names it.
                let file = text("source_path")
                    .or_else(|| text("path"))
                    .unwrap_or_else(|| name.clone());
                if let Some(Value::String(content)) = chapter.get_mut("content") {
                    let chapter = Chapter {
                        file: &file,
                        name: &name,
                    };
                    let count = quiz_blocks(content).len();
                    match rewrite_chapter(content, &chapter, &page_id(&file)) {
                        Ok(new) => {
                            *content = new;
                            *rendered += count;
                        }
                        Err(found) => problems.extend(found),
                    }
                }
            }
            for child in map.values_mut() {
                walk(child, rendered, problems);
            }
        }
        Value::Array(items) => {
            for child in items {
                walk(child, rendered, problems);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const QUIZ: &str = "[[question]]\nprompt = \"p1\"\nanswers = [\"a\"]\nexplain = \"e\"\n\
                        [[question]]\nprompt = \"p2\"\nanswers = [\"a\"]\nexplain = \"e\"\n\
                        [[question]]\nprompt = \"p3\"\nchoices = [\"x\", \"y\"]\nanswer = 1\nexplain = \"e\"\n";

    fn chapter_text() -> String {
        format!(
            "# Title\n\nText.\n\n```rust\nfn main() {{}}\n```\n\n## Check your understanding\n\n```quiz\n{QUIZ}```\n"
        )
    }

    #[test]
    fn finds_quiz_fences_only() {
        let text = format!(
            "{}\n````markdown\n```quiz\nnot = \"this one\"\n```\n````\n\n~~~quiz\n{QUIZ}~~~\n",
            chapter_text()
        );
        let blocks = quiz_blocks(&text);
        assert_eq!(blocks.len(), 2, "{blocks:#?}");
        assert_eq!(blocks[0].line, 11);
        assert_eq!(blocks[0].toml, QUIZ);
        assert!(text[blocks[0].range.clone()].starts_with("```quiz\n"));
        assert!(text[blocks[0].range.clone()].trim_end().ends_with("```"));
        assert_eq!(blocks[1].toml, QUIZ);
        assert!(text[blocks[1].range.clone()].starts_with("~~~quiz"));
    }

    #[test]
    fn a_chapter_keeps_its_text_and_gets_the_html() {
        let chapter = Chapter {
            file: "part1/x.md",
            name: "X",
        };
        let out = rewrite_chapter(&chapter_text(), &chapter, "quiz-part1-x").unwrap();
        assert!(out.starts_with(
            "# Title\n\nText.\n\n```rust\nfn main() {}\n```\n\n## Check your understanding\n\n"
        ));
        assert!(!out.contains("```quiz"));
        assert!(out.contains("\n\n<div class=\"quiz\" id=\"quiz-part1-x-1\">\n"));
        assert!(out.trim_end().ends_with("</div>"));
        assert_eq!(out.matches("class=\"quiz-question\"").count(), 3);
    }

    #[test]
    fn a_bad_quiz_is_one_line_naming_file_chapter_line_and_question() {
        let bad = chapter_text().replace("answer = 1", "answer = 2");
        let chapter = Chapter {
            file: "part1/x.md",
            name: "The X chapter",
        };
        let problems = rewrite_chapter(&bad, &chapter, "q").unwrap_err();
        assert_eq!(
            problems,
            vec![
                "part1/x.md (chapter \"The X chapter\"): the quiz at line 11: question 3 \
                 (line 20): `answer = 2`, but the choices are numbered 0 to 1 (the index of \
                 the right choice, from 0)"
                    .to_owned()
            ]
        );
        let bad_lines: Vec<&str> = bad.lines().collect();
        assert_eq!(bad_lines[19], "[[question]]");
    }

    #[test]
    fn page_ids_are_safe_and_distinct() {
        assert_eq!(page_id("part1/tcp-upper.md"), "quiz-part1-tcp-upper");
        assert_eq!(page_id("part3/dualstack.md"), "quiz-part3-dualstack");
        assert_eq!(page_id("a b/<x>.md"), "quiz-a-b-x");
    }

    /// Both shapes of mdBook's book: 0.4's `sections`, 0.5's `items`; chapters nested in
    /// `sub_items`; separators and part titles passed through untouched.
    #[test]
    fn every_chapter_of_either_json_shape_is_rewritten() {
        let chapter = |path: &str, content: String, subs: Value| {
            json!({"Chapter": {"name": path, "content": content, "number": [1],
                   "sub_items": subs, "path": path, "source_path": path, "parent_names": []}})
        };
        for key in ["sections", "items"] {
            let mut book = json!({
                key: [
                    chapter("a.md", "# A\n".into(), json!([
                        chapter("a/b.md", chapter_text(), json!([]))
                    ])),
                    "Separator",
                    {"PartTitle": "Part 2"},
                    chapter("c.md", chapter_text(), json!([])),
                ],
                "__non_exhaustive": null
            });
            assert_eq!(rewrite_book(&mut book), Ok(2));
            let items = book[key].as_array().unwrap();
            assert_eq!(items[0]["Chapter"]["content"], "# A\n");
            let nested = items[0]["Chapter"]["sub_items"][0]["Chapter"]["content"]
                .as_str()
                .unwrap();
            assert!(
                nested.contains("<div class=\"quiz\" id=\"quiz-a-b-1\">"),
                "{nested}"
            );
            assert_eq!(items[1], "Separator");
            assert_eq!(items[2], json!({"PartTitle": "Part 2"}));
            let last = items[3]["Chapter"]["content"].as_str().unwrap();
            assert!(last.contains("id=\"quiz-c-1\""));
            assert!(book.get("__non_exhaustive").is_some());
        }
    }

    #[test]
    fn every_bad_quiz_of_the_book_is_reported() {
        let bad = chapter_text().replace(
            "explain = \"e\"\n[[question]]\nprompt = \"p3\"",
            "[[question]]\nprompt = \"p3\"",
        );
        let mut book = json!({"items": [
            {"Chapter": {"name": "One", "content": bad.clone(), "sub_items": [], "path": "one.md", "source_path": "one.md"}},
            {"Chapter": {"name": "Two", "content": bad, "sub_items": [], "path": "two.md", "source_path": "two.md"}},
        ]});
        let problems = rewrite_book(&mut book).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(problems[0].starts_with("one.md (chapter \"One\"): the quiz at line 11: question 2 (line 16): has no `explain`"), "{}", problems[0]);
        assert!(problems[1].starts_with("two.md (chapter \"Two\")"));
    }
}
