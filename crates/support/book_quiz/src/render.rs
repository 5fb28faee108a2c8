//! A quiz as HTML: the questions, their inputs, a Check button, and the feedback and
//! explanation that `book/quiz.js` shows once the reader has answered.
//!
//! The page works offline: no fetch, no font, no external script. Without the script the
//! questions still read, and the explanations stay hidden.

use crate::markdown::{block, escape, inline};
use crate::quiz::{Kind, Quiz};

/// `quiz` as one raw HTML block whose element ids and radio-button names start with `id`,
/// which must be unique in the page (print.html holds every chapter).
pub fn render(quiz: &Quiz, id: &str) -> String {
    let id = escape(id);
    let mut lines = vec![format!("<div class=\"quiz\" id=\"{id}\">")];
    lines.push("<ol class=\"quiz-questions\">".to_owned());
    for (index, question) in quiz.questions.iter().enumerate() {
        let qid = format!("{id}-q{}", index + 1);
        let prompt_id = format!("{qid}-prompt");
        match &question.kind {
            Kind::Choice { choices, answer } => {
                lines.push(format!(
                    "<li class=\"quiz-question\" id=\"{qid}\" data-kind=\"choice\" \
                     data-answer=\"{answer}\">"
                ));
                lines.push(prompt(&prompt_id, &question.prompt));
                lines.push(format!(
                    "<div class=\"quiz-choices\" role=\"radiogroup\" \
                     aria-labelledby=\"{prompt_id}\">"
                ));
                for (i, choice) in choices.iter().enumerate() {
                    lines.push(format!(
                        "<label class=\"quiz-choice\"><input type=\"radio\" name=\"{qid}\" \
                         value=\"{i}\"> <span>{}</span></label>",
                        inline(choice)
                    ));
                }
                lines.push("</div>".to_owned());
            }
            Kind::Short { answers } => {
                let json = serde_json::to_string(answers).expect("strings serialize");
                lines.push(format!(
                    "<li class=\"quiz-question\" id=\"{qid}\" data-kind=\"text\" \
                     data-answers=\"{}\">",
                    escape(&json)
                ));
                lines.push(prompt(&prompt_id, &question.prompt));
                lines.push(format!(
                    "<p class=\"quiz-answer-row\"><input type=\"text\" class=\"quiz-text\" \
                     name=\"{qid}\" aria-labelledby=\"{prompt_id}\" autocomplete=\"off\" \
                     autocapitalize=\"off\" spellcheck=\"false\" placeholder=\"Your answer\"></p>"
                ));
            }
        }
        lines.push(
            "<p class=\"quiz-actions\"><button type=\"button\" class=\"quiz-check\">Check\
             </button> <button type=\"button\" class=\"quiz-reveal\" hidden>Show the answer\
             </button></p>"
                .to_owned(),
        );
        lines.push("<p class=\"quiz-feedback\" role=\"status\" hidden></p>".to_owned());
        lines.push(format!(
            "<div class=\"quiz-explain\" hidden>{}</div>",
            block(&question.explain)
        ));
        lines.push("</li>".to_owned());
    }
    lines.push("</ol>".to_owned());
    lines.push("</div>".to_owned());
    lines.join("\n")
}

fn prompt(id: &str, markdown: &str) -> String {
    format!(
        "<div class=\"quiz-prompt\" id=\"{id}\">{}</div>",
        block(markdown)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quiz::parse;

    fn quiz() -> Quiz {
        parse(
            r#"
[[question]]
prompt = "Which call *blocks* until a client connects?"
choices = ["`listen`", "`accept`", "<b>bind</b>"]
answer = 1
explain = "`accept` waits."

[[question]]
prompt = "Type `hi`."
answers = ["HI", "say \"hi\" & <go>"]
explain = "Shouted."

[[question]]
prompt = "Code:\n\n```\na\n\nb\n```"
answers = ["x"]
explain = "See above."
"#,
        )
        .unwrap()
    }

    #[test]
    fn choices_are_radio_buttons_named_per_question() {
        let html = render(&quiz(), "quiz-part1-tcp-upper-1");
        assert!(html.starts_with("<div class=\"quiz\" id=\"quiz-part1-tcp-upper-1\">\n"));
        assert!(html.contains(
            "<li class=\"quiz-question\" id=\"quiz-part1-tcp-upper-1-q1\" data-kind=\"choice\" data-answer=\"1\">"
        ));
        assert_eq!(
            html.matches("name=\"quiz-part1-tcp-upper-1-q1\"").count(),
            3
        );
        assert!(html.contains("value=\"1\"> <span><code>accept</code></span></label>"));
        assert!(html.contains("Which call <em>blocks</em> until"));
        assert!(html.contains("<span>&lt;b&gt;bind&lt;/b&gt;</span>"));
        assert_eq!(html.matches("class=\"quiz-check\"").count(), 3);
        assert_eq!(
            html.matches("<div class=\"quiz-explain\" hidden>").count(),
            3
        );
        assert!(html.contains(
            "<div class=\"quiz-explain\" hidden><p><code>accept</code> waits.</p></div>"
        ));
    }

    #[test]
    fn accepted_answers_are_json_in_an_escaped_attribute() {
        let html = render(&quiz(), "q");
        assert!(html.contains(
            "data-kind=\"text\" data-answers=\"[&quot;HI&quot;,&quot;say \\&quot;hi\\&quot; &amp; &lt;go&gt;&quot;]\">"
        ), "{html}");
        assert!(html.contains("<input type=\"text\" class=\"quiz-text\" name=\"q-q2\""));
    }

    #[test]
    fn the_block_has_no_blank_line_and_ends_its_tags() {
        let html = render(&quiz(), "q");
        assert!(!html.contains("\n\n"), "{html}");
        assert!(html.lines().all(|l| !l.trim().is_empty()));
        for tag in [
            "div", "ol", "li", "label", "p", "span", "button", "pre", "code",
        ] {
            let opened = html.matches(&format!("<{tag}>")).count()
                + html.matches(&format!("<{tag} ")).count();
            let closed = html.matches(&format!("</{tag}>")).count();
            assert_eq!(
                opened, closed,
                "<{tag}> opened {opened} times, closed {closed}"
            );
        }
    }

    #[test]
    fn an_id_with_markup_is_escaped() {
        let html = render(&quiz(), "a\"b");
        assert!(html.starts_with("<div class=\"quiz\" id=\"a&quot;b\">"));
    }
}
