//! The quizzes in a real browser. The book is built with this preprocessor into a scratch
//! folder, Python's `http.server` serves it on loopback, and headless Chromium loads a
//! chapter. The test then answers as a reader does, driving the page through the DevTools
//! protocol (a WebSocket): a wrong choice, then the right one; a wrong typed answer, the
//! "Show the answer" button, then the right answer typed and sent with Enter. After each
//! step it reads what the reader would see: the feedback, and whether the explanation is
//! on the screen. The right answers come from the chapter's source, so a page that marks
//! the wrong choice right fails here.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use book_quiz::{Kind, Quiz};
use serde_json::{Value, json};
use testkit::{PATIENCE, Running, require_tool, run_command};
use tungstenite::{Message, WebSocket};

/// The chapter the test answers.
const CHAPTER: &str = "part1/tcp-upper.md";

fn book_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../book")
}

/// The chapter's quiz, read from its source as the preprocessor reads it.
fn chapter_quiz() -> Quiz {
    let path = book_root().join("src").join(CHAPTER);
    let text = std::fs::read_to_string(&path).unwrap();
    let blocks = book_quiz::quiz_blocks(&text);
    assert_eq!(blocks.len(), 1, "{}: one quiz expected", path.display());
    book_quiz::parse(&blocks[0].toml).unwrap_or_else(|p| panic!("{}: {p}", path.display()))
}

/// Builds the book into `out` with this crate's binary as the quiz preprocessor (mdBook
/// reads `MDBOOK_PREPROCESSOR__QUIZ__COMMAND` over book.toml's `cargo run`, which would
/// wait for the build lock this test run holds).
fn build_book(out: &Path) {
    let mut command = Command::new(require_tool("mdbook"));
    command
        .arg("build")
        .arg(book_root())
        .arg("-d")
        .arg(out)
        .env(
            "MDBOOK_PREPROCESSOR__QUIZ__COMMAND",
            env!("CARGO_BIN_EXE_book_quiz"),
        );
    let done = run_command(command, b"");
    assert_eq!(done.code(), Some(0), "mdbook build failed: {done:?}");
}

/// `python3 -m http.server` on a port the kernel picks; returns it and its base URL.
fn serve(folder: &Path) -> (Running, String) {
    let mut command = Command::new(require_tool("python3"));
    command
        .args([
            "-u",
            "-m",
            "http.server",
            "0",
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(folder);
    let server = Running::spawn(command);
    // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
    let line = server.next_line().unwrap_or_default();
    let port: u16 = line
        .split_once(" port ")
        .and_then(|(_, rest)| rest.split(' ').next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "http.server said {line:?}; stderr: {}",
                server.stderr_so_far()
            )
        });
    (server, format!("http://127.0.0.1:{port}/"))
}

/// Headless Chromium, driven over the DevTools protocol through one page's session.
struct Browser {
    _chromium: Running,
    socket: WebSocket<TcpStream>,
    session: String,
    next_id: u64,
    /// Events that came while the test waited for something else.
    events: Vec<Value>,
}

impl Browser {
    fn start(profile: &Path) -> Browser {
        let mut command = Command::new(require_tool("chromium"));
        command
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank");
        let chromium = Running::spawn(command);
        // With port 0 the kernel picks the port; Chromium says which on stderr (and in
        // DevToolsActivePort in the profile): "DevTools listening on ws://127.0.0.1:P/...".
        let mut url = None;
        for _ in 0..200 {
            let Some(line) = chromium.next_stderr_line() else {
                break;
            };
            if let Some(found) = line.strip_prefix("DevTools listening on ") {
                url = Some(found.trim().to_owned());
                break;
            }
        }
        let url = url.unwrap_or_else(|| {
            panic!(
                "Chromium never said where DevTools listens; stderr:\n{}",
                chromium.stderr_so_far()
            )
        });
        let address = url
            .strip_prefix("ws://")
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_else(|| panic!("not a ws:// URL: {url}"));
        let stream = TcpStream::connect(address).expect("connect to DevTools");
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        stream.set_write_timeout(Some(PATIENCE)).unwrap();
        let (socket, _) = tungstenite::client(url.as_str(), stream)
            .unwrap_or_else(|e| panic!("WebSocket handshake with {url}: {e}"));
        let mut browser = Browser {
            _chromium: chromium,
            socket,
            session: String::new(),
            next_id: 0,
            events: Vec::new(),
        };
        let target = browser.browser_call("Target.createTarget", json!({"url": "about:blank"}));
        let attached = browser.browser_call(
            "Target.attachToTarget",
            json!({"targetId": target["targetId"], "flatten": true}),
        );
        browser.session = attached["sessionId"].as_str().unwrap().to_owned();
        for domain in ["Page.enable", "Runtime.enable", "Network.enable"] {
            browser.call(domain, json!({}));
        }
        browser
    }

    /// Sends a command (to the page's session, if there is one) and returns its result.
    fn send(&mut self, method: &str, params: Value, session: Option<String>) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if let Some(session) = session {
            message["sessionId"] = json!(session);
        }
        self.socket
            .send(Message::Text(message.to_string().into()))
            .expect("send to DevTools");
        let reply = self.receive(|m| m["id"] == id);
        if let Some(error) = reply.get("error") {
            panic!("{method}: {error}");
        }
        reply["result"].clone()
    }

    fn browser_call(&mut self, method: &str, params: Value) -> Value {
        self.send(method, params, None)
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        let session = self.session.clone();
        self.send(method, params, Some(session))
    }

    /// The next message that `wanted` accepts; events on the way are kept.
    fn receive(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(at) = self.events.iter().position(&wanted) {
            return self.events.remove(at);
        }
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            let message = self.socket.read().expect("read from DevTools");
            let Message::Text(text) = message else {
                continue;
            };
            let value: Value = serde_json::from_str(text.as_str()).unwrap();
            if wanted(&value) {
                return value;
            }
            self.events.push(value);
        }
        panic!("DevTools sent nothing the test waited for within {PATIENCE:?}");
    }

    /// Loads `url` and waits for its load event. (The first page, about:blank, may
    /// report its own load late: a load event counts once the page is `url`.)
    fn open(&mut self, url: &str) {
        let navigated = self.call("Page.navigate", json!({"url": url}));
        assert!(navigated.get("errorText").is_none(), "{url}: {navigated}");
        for _ in 0..3 {
            self.receive(|m| m["method"] == "Page.loadEventFired");
            let here = self.eval("location.href + ' ' + document.readyState");
            if here == format!("{url} complete") {
                return;
            }
        }
        panic!("{url} did not finish loading");
    }

    /// Runs `expression` in the page and returns its value.
    fn eval(&mut self, expression: &str) -> Value {
        let reply = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        );
        if let Some(details) = reply.get("exceptionDetails") {
            panic!("{expression}: {details}");
        }
        reply["result"]["value"].clone()
    }

    /// What the reader sees of question `id`: feedback, explanation, the reveal button.
    fn seen(&mut self, id: &str) -> Seen {
        let state = self.eval(&format!("quizState({id:?})"));
        Seen {
            feedback: state["feedback"].as_str().map(str::to_owned),
            explanation: state["explanation"].as_str().map(str::to_owned),
            reveal_button: state["reveal"].as_bool().unwrap(),
        }
    }

    /// Types `text` into the focused element and presses Enter, as a keyboard would.
    fn type_and_enter(&mut self, text: &str) {
        self.call("Input.insertText", json!({"text": text}));
        for kind in ["keyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": kind, "key": "Enter", "code": "Enter",
                       "windowsVirtualKeyCode": 13, "nativeVirtualKeyCode": 13}),
            );
        }
    }

    /// Every URL the page asked for, and every exception its scripts threw.
    fn requests_and_exceptions(&mut self) -> (Vec<String>, Vec<Value>) {
        // A round trip, so that every event sent before it has arrived.
        self.eval("1");
        let requests = self
            .events
            .iter()
            .filter(|m| m["method"] == "Network.requestWillBeSent")
            .map(|m| m["params"]["request"]["url"].as_str().unwrap().to_owned())
            .collect();
        let exceptions = self
            .events
            .iter()
            .filter(|m| m["method"] == "Runtime.exceptionThrown")
            .cloned()
            .collect();
        (requests, exceptions)
    }
}

#[derive(Debug, PartialEq)]
struct Seen {
    /// The feedback line, if it is shown.
    feedback: Option<String>,
    /// The explanation's text, if it is shown.
    explanation: Option<String>,
    reveal_button: bool,
}

/// The page-side helpers: what is visible, read the way a reader's eyes would (not
/// hidden, displayed, taking room on the page).
const HELPERS: &str = r#"
window.quizState = function (id) {
    const q = document.getElementById(id);
    const shown = el => !el.hidden && getComputedStyle(el).display !== "none"
        && el.getClientRects().length > 0;
    const feedback = q.querySelector(".quiz-feedback");
    const explain = q.querySelector(".quiz-explain");
    return {
        feedback: shown(feedback) ? feedback.innerText.trim() : null,
        explanation: shown(explain) ? explain.innerText.trim() : null,
        reveal: shown(q.querySelector(".quiz-reveal")),
    };
};
window.quizPick = function (id, index) {
    const q = document.getElementById(id);
    q.querySelectorAll(".quiz-choice")[index].click();
    q.querySelector(".quiz-check").click();
};
window.quizClick = function (id, button) {
    document.getElementById(id).querySelector(button).click();
};
window.quizFocus = function (id) {
    const input = document.getElementById(id).querySelector(".quiz-text");
    input.value = "";
    input.focus();
};
"#;

/// The text a reader sees of some Markdown: the words, without the marks.
fn plain(markdown: &str) -> String {
    use pulldown_cmark::{Event, Parser};
    let mut text = String::new();
    for event in Parser::new(markdown) {
        match event {
            // The page shows raw HTML as text, as book_quiz renders it.
            Event::Text(t) | Event::Code(t) | Event::Html(t) | Event::InlineHtml(t) => {
                text.push_str(&t)
            }
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn same_words(a: &str, b: &str) -> bool {
    a.split_whitespace().eq(b.split_whitespace())
}

#[test]
fn a_reader_answers_a_chapters_quiz_in_chromium() {
    let quiz = chapter_quiz();
    let scratch = tempfile::tempdir().unwrap();
    let site = scratch.path().join("site");
    build_book(&site);
    let (_server, base) = serve(&site);
    let mut browser = Browser::start(&scratch.path().join("profile"));
    let page = format!("{base}{}", CHAPTER.replace(".md", ".html"));
    browser.open(&page);
    browser.eval(HELPERS);
    let id = |n: usize| format!("{}-1-q{}", book_quiz::book::page_id(CHAPTER), n + 1);

    // Before any answer: nothing but the questions.
    for n in 0..quiz.questions.len() {
        let seen = browser.seen(&id(n));
        assert_eq!(
            seen,
            Seen {
                feedback: None,
                explanation: None,
                reveal_button: false
            },
            "question {}",
            n + 1
        );
    }

    // A multiple-choice question: a wrong choice, then the right one.
    let (n, choices, answer) = quiz
        .questions
        .iter()
        .enumerate()
        .find_map(|(n, q)| match &q.kind {
            Kind::Choice { choices, answer } => Some((n, choices.len(), *answer)),
            Kind::Short { .. } => None,
        })
        .expect("the chapter has a multiple-choice question");
    let wrong = (answer + 1) % choices;
    browser.eval(&format!("quizPick({:?}, {wrong})", id(n)));
    let seen = browser.seen(&id(n));
    assert_eq!(
        seen.feedback.as_deref(),
        Some("Not quite. Try again, or show the answer.")
    );
    assert_eq!(
        seen.explanation, None,
        "a wrong answer keeps the explanation"
    );
    assert!(seen.reveal_button);
    browser.eval(&format!("quizPick({:?}, {answer})", id(n)));
    let seen = browser.seen(&id(n));
    assert_eq!(seen.feedback.as_deref(), Some("Right."));
    let explanation = seen.explanation.expect("the explanation is shown");
    assert!(
        same_words(&explanation, &plain(&quiz.questions[n].explain)),
        "shown: {explanation:?}"
    );
    assert!(!seen.reveal_button);

    // A short-answer question: a wrong answer, the answer shown, then the right one typed
    // in other letters and spaces, sent with the Enter key.
    let (n, answers) = quiz
        .questions
        .iter()
        .enumerate()
        .find_map(|(n, q)| match &q.kind {
            Kind::Short { answers } => Some((n, answers.clone())),
            Kind::Choice { .. } => None,
        })
        .expect("the chapter has a short-answer question");
    browser.eval(&format!("quizFocus({:?})", id(n)));
    browser.type_and_enter("certainly not this");
    let seen = browser.seen(&id(n));
    assert_eq!(
        seen.feedback.as_deref(),
        Some("Not quite. Try again, or show the answer.")
    );
    assert_eq!(seen.explanation, None);
    browser.eval(&format!("quizClick({:?}, '.quiz-reveal')", id(n)));
    let seen = browser.seen(&id(n));
    assert_eq!(
        seen.feedback,
        Some(format!("The answer: {}", answers[0].trim()))
    );
    assert!(seen.explanation.is_some());
    let typed = format!("  {}  ", answers[0].trim().to_uppercase());
    browser.eval(&format!("quizFocus({:?})", id(n)));
    browser.type_and_enter(&typed);
    let seen = browser.seen(&id(n));
    assert_eq!(seen.feedback.as_deref(), Some("Right."), "typed {typed:?}");
    let explanation = seen.explanation.expect("the explanation is shown");
    assert!(
        same_words(&explanation, &plain(&quiz.questions[n].explain)),
        "shown: {explanation:?}"
    );

    // Everything came from our server; the scripts threw nothing.
    let (requests, exceptions) = browser.requests_and_exceptions();
    assert!(
        requests.iter().any(|url| url.contains("quiz")),
        "{requests:#?}"
    );
    let outside: Vec<_> = requests
        .iter()
        .filter(|url| !url.starts_with(&base) && !url.starts_with("data:"))
        .collect();
    assert!(outside.is_empty(), "fetched from outside: {outside:#?}");
    assert!(exceptions.is_empty(), "{exceptions:#?}");
}
