//! `book_quiz`: the mdBook preprocessor behind the book's quizzes.
//!
//! mdBook runs it twice (see `[preprocessor.quiz]` in `book/book.toml`):
//! `book_quiz supports RENDERER` answers by its exit status whether it works for that
//! renderer (html only); `book_quiz` alone reads `[context, book]` as JSON on stdin and
//! writes the book back on stdout, each quiz block replaced by its HTML. A quiz that
//! breaks a rule stops the build: one line per problem, naming the file, the chapter, the
//! line and the question.

use std::io::{self, Read, Write};
use std::process::ExitCode;

use serde_json::Value;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [supports, renderer] if supports == "supports" => {
            if renderer == "html" {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        [] => match run() {
            Ok(()) => ExitCode::SUCCESS,
            Err(problems) => {
                for problem in problems {
                    eprintln!("book_quiz: {problem}");
                }
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!(
                "book_quiz: usage: book_quiz [supports RENDERER]; mdBook runs it \
                 (see [preprocessor.quiz] in book/book.toml)"
            );
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Vec<String>> {
    let mut input = String::new();
    io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| vec![format!("cannot read stdin: {e}")])?;
    let not_mdbook = || {
        vec![
            "expected mdBook's [context, book] JSON on stdin; mdBook runs this program \
              (see [preprocessor.quiz] in book/book.toml)"
                .to_owned(),
        ]
    };
    let pair: Value = serde_json::from_str(&input).map_err(|_| not_mdbook())?;
    let Value::Array(mut pair) = pair else {
        return Err(not_mdbook());
    };
    if pair.len() != 2 || !pair[1].is_object() {
        return Err(not_mdbook());
    }
    let mut book = pair.pop().expect("two items");
    book_quiz::rewrite_book(&mut book)?;
    let mut stdout = io::stdout().lock();
    serde_json::to_writer(&mut stdout, &book)
        .map_err(|e| vec![format!("cannot write the book to stdout: {e}")])?;
    stdout
        .flush()
        .map_err(|e| vec![format!("cannot write the book to stdout: {e}")])
}
