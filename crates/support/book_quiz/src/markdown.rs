//! The Markdown of prompts, choices and explanations, as HTML that is safe to put in the
//! page: what the author wrote as text is always text, HTML included.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd, html};

/// `text` with the characters that mean something in HTML (in text and in quoted
/// attribute values) written as character references.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `markdown` as HTML blocks (paragraphs, code blocks, lists).
pub fn block(markdown: &str) -> String {
    to_html(events(markdown))
}

/// `markdown` as phrasing content: one paragraph loses its `<p>`, so it can stand in a
/// label beside a radio button. Anything longer stays as blocks.
pub fn inline(markdown: &str) -> String {
    let mut events = events(markdown);
    let paragraphs = events
        .iter()
        .filter(|e| matches!(e, Event::Start(Tag::Paragraph)))
        .count();
    let single = paragraphs == 1
        && matches!(events.first(), Some(Event::Start(Tag::Paragraph)))
        && matches!(events.last(), Some(Event::End(TagEnd::Paragraph)));
    if single {
        events.pop();
        events.remove(0);
    }
    to_html(events)
}

/// The parse, with raw HTML turned into text: a prompt that says `<b>` shows `<b>`.
fn events(markdown: &str) -> Vec<Event<'_>> {
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES;
    Parser::new_ext(markdown, options)
        .map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
            other => other,
        })
        .collect()
}

/// The HTML, on one line: mdBook reads the quiz as one raw HTML block, which a blank line
/// would end (a code block in a prompt may hold one). A newline written as `&#10;` is the
/// same character to the browser, in a `<pre>` too.
fn to_html(events: Vec<Event<'_>>) -> String {
    let mut out = String::new();
    html::push_html(&mut out, events.into_iter());
    out.trim_end_matches('\n').replace('\n', "&#10;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_code_and_emphasis_become_tags() {
        assert_eq!(
            inline("Which call, `accept` or *listen*, **blocks**?"),
            "Which call, <code>accept</code> or <em>listen</em>, <strong>blocks</strong>?"
        );
        assert_eq!(block("a `b`"), "<p>a <code>b</code></p>");
    }

    #[test]
    fn html_in_the_text_is_shown_not_obeyed() {
        assert_eq!(
            inline("<script>alert(1)</script> & <b>bold</b>"),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
        );
        // In text a quote needs no escaping; in an attribute, `escape` does it.
        assert_eq!(
            inline("`<br>` & \"q\""),
            "<code>&lt;br&gt;</code> &amp; \"q\""
        );
        // An HTML block (a line that starts with a tag) is text as well.
        assert_eq!(
            block("<div onclick=x>\nhi\n</div>"),
            "&lt;div onclick=x&gt;&#10;hi&#10;&lt;/div&gt;"
        );
        assert_eq!(
            escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
    }

    #[test]
    fn the_html_has_no_newline_so_no_blank_line() {
        let html =
            block("What does this print?\n\n```text\nline one\n\nline three\n```\n\nAnd then?");
        assert!(!html.contains('\n'), "{html}");
        assert_eq!(
            html,
            "<p>What does this print?</p>&#10;<pre><code class=\"language-text\">line one&#10;&#10;line three&#10;</code></pre>&#10;<p>And then?</p>"
        );
    }

    #[test]
    fn only_a_single_paragraph_loses_its_p() {
        assert_eq!(inline("one"), "one");
        assert_eq!(inline("one\n\ntwo"), "<p>one</p>&#10;<p>two</p>");
        assert_eq!(inline(""), "");
    }
}
