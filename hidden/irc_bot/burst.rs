//! Hidden: a server played here sends bursts of random lines in one write (PINGs with
//! one or two parameters, commands for the bot in the channel and in private, with any
//! case and runs of spaces, lines for others, tags and prefixes), and checks that the
//! bot's answers are exactly the expected ones, in order.

use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;

use testkit::probe::Rng;
use testkit::{Conversation, PATIENCE, Running};

const BOT: &str = env!("CARGO_BIN_EXE_irc_bot");

fn case(rng: &mut Rng, text: &str) -> String {
    text.chars()
        .map(|c| {
            if rng.chance(50) {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

fn spaces(rng: &mut Rng) -> String {
    " ".repeat(rng.range(1, 3))
}

/// A random line from the server, and the bot's expected answer (if any).
fn line(rng: &mut Rng, nick: &str, channel: &str) -> (String, Option<String>) {
    let who = rng.word(3, 8);
    let prefix = format!(":{who}!{}@{}.example", rng.word(2, 5), rng.word(3, 6));
    let tags = if rng.chance(20) {
        format!("@id={};time=x ", rng.word(3, 6))
    } else {
        String::new()
    };
    let words: Vec<String> = (0..rng.range(1, 4)).map(|_| rng.word(1, 7)).collect();
    let text = words.join(" ");
    match rng.range(0, 7) {
        0 => {
            let token = rng.word(4, 12);
            (
                format!("{tags}{} :{token}", case(rng, "ping")),
                Some(format!("PONG :{token}")),
            )
        }
        1 => {
            let token = rng.word(4, 12);
            (
                format!("PING {}.test {token}", rng.word(3, 6)),
                Some(format!("PONG :{token}")),
            )
        }
        2 => (
            format!(
                "{tags}{prefix}{}{}{}{}{}:!echo {text}",
                spaces(rng),
                case(rng, "privmsg"),
                spaces(rng),
                case(rng, channel),
                spaces(rng)
            ),
            Some(format!("PRIVMSG {channel} :{text}")),
        ),
        3 => (
            format!("{prefix} PRIVMSG {} :!upper {text}", case(rng, nick)),
            Some(format!("PRIVMSG {who} :{}", text.to_uppercase())),
        ),
        4 => (
            format!("{prefix} PRIVMSG #{} :!echo {text}", rng.word(3, 6)),
            None,
        ),
        5 => (
            format!(
                "{prefix} {} {channel} :{text}",
                rng.pick(&["NOTICE", "TOPIC", "PART", "KICK"])
            ),
            None,
        ),
        6 => (
            format!(":{nick}!me@here PRIVMSG {channel} :!echo {text}"),
            None,
        ),
        _ => (format!(":irc.test 372 {nick} :- {text}"), None),
    }
}

#[test]
fn bursts_of_random_lines_get_exactly_their_answers() {
    let mut rng = Rng::new(1459);
    let nick = rng.word(4, 9);
    let channel = format!("#{}", rng.word(3, 8));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let _bot = Running::start(
        BOT,
        &["--port", &port, "--nick", &nick, "--channel", &channel],
    );
    let (send, receive) = mpsc::channel();
    thread::spawn(move || {
        let _ = send.send(listener.accept().map(|(conn, _)| conn));
    });
    let conn = receive
        .recv_timeout(PATIENCE)
        .expect("the bot did not connect")
        .unwrap();
    let mut irc = Conversation::new(conn);
    irc.expect(format!("NICK {nick}\r\n").as_bytes());
    irc.line(512);
    irc.send(format!(":irc.test 001 {nick} :Welcome\r\n").as_bytes());
    irc.expect(format!("JOIN {channel}\r\n").as_bytes());
    for _ in 0..5 {
        let mut burst = String::new();
        let mut answers = String::new();
        for _ in 0..rng.range(5, 30) {
            let (sent, answer) = line(&mut rng, &nick, &channel);
            burst.push_str(&sent);
            burst.push_str("\r\n");
            if let Some(answer) = answer {
                answers.push_str(&answer);
                answers.push_str("\r\n");
            }
        }
        // A PING last: its PONG shows that nothing else came after the answers.
        burst.push_str("PING :end\r\n");
        answers.push_str("PONG :end\r\n");
        irc.send(burst.as_bytes());
        irc.expect(answers.as_bytes());
    }
}
