//! smtp_server as a black box: real SMTP clients talk to it, and the mailboxes it writes
//! are read back from disk.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use netkit::Signal;
use testkit::{PATIENCE, Running, Server, read_to_close, require_tool, run};

const SERVER: &str = env!("CARGO_BIN_EXE_smtp_server");

/// A spool folder of its own for each test, removed at the end.
struct Spool(PathBuf);

impl Spool {
    fn new(test: &str) -> Spool {
        let path = std::env::temp_dir()
            .join(format!("smtp_server-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        Spool(path)
    }
    fn mailbox(&self, name: &str) -> String {
        fs::read_to_string(self.0.join(name))
            .unwrap_or_else(|e| panic!("mailbox {name}: {e}"))
    }
    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(&self.0)
            .map(|entries| {
                entries
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn start(spool: &Spool, extra: &[&str]) -> Server {
    let mut args = vec!["--port", "0", "--spool", spool.0.to_str().unwrap()];
    args.extend_from_slice(extra);
    Server::start(SERVER, &args)
}

/// A client that types lines like nc does and reads the replies.
struct Typist {
    conn: TcpStream,
    replies: BufReader<TcpStream>,
}

impl Typist {
    fn new(server: &Server) -> Typist {
        let conn = server.connect();
        let replies = BufReader::new(conn.try_clone().unwrap());
        let mut typist = Typist { conn, replies };
        assert!(typist.reply().starts_with("220 "));
        typist
    }
    /// One line of reply, without CRLF.
    fn reply(&mut self) -> String {
        let mut line = String::new();
        self.replies.read_line(&mut line).unwrap();
        assert!(line.ends_with("\r\n"), "reply {line:?} not ended by CRLF");
        line.trim_end().to_owned()
    }
    fn send(&mut self, bytes: &[u8]) {
        self.conn.write_all(bytes).unwrap();
    }
    /// Sends a line ended by CRLF, as `nc -C` does, and returns the one-line reply.
    fn say(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes());
        self.reply()
    }
    /// Sends a line ended by a bare LF, as plain nc does, and returns the reply.
    fn say_lf(&mut self, line: &str) -> String {
        self.send(format!("{line}\n").as_bytes());
        self.reply()
    }
}

#[test]
fn the_dialogue_from_the_notes_typed_as_with_nc_minus_c() {
    let spool = Spool::new("notes");
    let server = start(&spool, &[]);
    let mut nc = Typist::new(&server);
    assert_eq!(
        nc.say("helo localhost"),
        "250 localhost Hello localhost [127.0.0.1]"
    );
    assert_eq!(nc.say("mail from: alice@example.org"), "250 OK");
    assert_eq!(nc.say("rcpt to: bob@localhost"), "250 Accepted");
    assert!(nc.say("data").starts_with("354 "));
    nc.send(b"Subject: lunch\r\n\r\nAt noon?\r\n");
    assert_eq!(nc.say("."), "250 OK: delivered to 1 mailbox");
    assert_eq!(nc.say("quit"), "221 localhost closing connection");
    assert_eq!(read_to_close(&mut nc.conn), b"");

    let mbox = spool.mailbox("bob");
    assert!(mbox.starts_with("From alice@example.org "), "{mbox}");
    assert!(mbox.contains(
        "\nReturn-Path: <alice@example.org>\nEnvelope-to: bob@localhost\n"
    ));
    assert!(mbox.ends_with("\nSubject: lunch\n\nAt noon?\n\n"), "{mbox}");
    assert_eq!(spool.names(), ["bob"]);
}

#[test]
fn python_smtplib_sends_to_two_mailboxes() {
    let spool = Spool::new("smtplib");
    let server = start(&spool, &[]);
    let python = require_tool("python3");
    let script =
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/smtplib_send.py");
    let port = server.addr.port().to_string();
    let message = b"Subject: from Python\r\n\r\nline one\r\n.starts with a dot\r\n";
    let out = run(
        python.to_str().unwrap(),
        &[
            script,
            &port,
            "py@example.org",
            "carol@localhost",
            "Dave@localhost",
        ],
        message,
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout, "features: 8bitmime help size\nrefused: {}\nquit: 221\n",
        "{out:?}"
    );
    assert_eq!(spool.names(), ["carol", "dave"]);
    for name in ["carol", "dave"] {
        let mbox = spool.mailbox(name);
        // smtplib stuffed the dot; the mailbox has the line as it was written.
        assert!(
            mbox.ends_with("\nline one\n.starts with a dot\n\n"),
            "{mbox}"
        );
        assert!(
            mbox.contains("Received: from python.test ([127.0.0.1])"),
            "{mbox}"
        );
    }
}

#[test]
fn python_smtplib_sees_a_refused_recipient() {
    let spool = Spool::new("refused");
    let server = start(&spool, &[]);
    let python = require_tool("python3");
    let script =
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/smtplib_send.py");
    let port = server.addr.port().to_string();
    let out = run(
        python.to_str().unwrap(),
        &[
            script,
            &port,
            "py@example.org",
            "../escape@localhost",
            "ok@localhost",
        ],
        b"Subject: x\r\n\r\nbody\r\n",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(
        out.stdout
            .contains("refused: {'../escape@localhost': (553, "),
        "{out:?}"
    );
    assert_eq!(spool.names(), ["ok"]);
}

/// Runs tests/peers/smtplib_send.py: `args` are its options, the sender and the
/// recipients; `message` is what it sends.
fn smtplib_send(
    server: &Server,
    args: &[&str],
    message: &[u8],
) -> testkit::Finished {
    let python = require_tool("python3");
    let script =
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/smtplib_send.py");
    let port = server.addr.port().to_string();
    let (options, rest): (Vec<&str>, Vec<&str>) =
        args.iter().partition(|a| a.starts_with("--"));
    let mut all = vec![script];
    all.extend(options);
    all.push(&port);
    all.extend(rest);
    run(python.to_str().unwrap(), &all, message)
}

#[test]
fn python_smtplib_message_over_the_size_limit_is_refused_up_front() {
    let spool = Spool::new("size");
    let server = start(&spool, &["--max-size", "100"]);
    let out =
        smtplib_send(&server, &["py@example.org", "ok@localhost"], &[b'x'; 500]);
    // smtplib sends SIZE=500 with MAIL FROM, which the server refuses at once.
    assert!(out.stdout.contains("sender refused: 552"), "{out:?}");
    assert_eq!(spool.names(), Vec::<String>::new());
    // SIZE=101, one byte over: refused too.
    let mut message = [b'y'; 101];
    message[99..].copy_from_slice(b"\r\n");
    let out = smtplib_send(&server, &["py@example.org", "ok@localhost"], &message);
    assert!(out.stdout.contains("sender refused: 552"), "{out:?}");
    assert_eq!(spool.names(), Vec::<String>::new());
    // SIZE=100, exactly the limit: taken, and delivered.
    let out =
        smtplib_send(&server, &["py@example.org", "ok@localhost"], &message[1..]);
    assert!(out.stdout.contains("refused: {}"), "{out:?}");
    assert!(
        spool
            .mailbox("ok")
            .ends_with(&format!("\n{}\n\n", "y".repeat(98)))
    );
}

/// Text that is not ASCII goes with `BODY=8BITMIME` (RFC 6152), which the server
/// announced in its EHLO reply: taken, and delivered byte for byte.
#[test]
fn python_smtplib_sends_8bit_text_with_body_8bitmime() {
    let spool = Spool::new("8bit");
    let server = start(&spool, &[]);
    let message = "Subject: Grüße\r\n\r\nGrüße aus Köln, 10 €\r\n";
    let out = smtplib_send(
        &server,
        &["--BODY=8BITMIME", "py@example.org", "ute@localhost"],
        message.as_bytes(),
    );
    assert!(out.stdout.contains("refused: {}"), "{out:?}");
    let mbox = spool.mailbox("ute");
    assert!(
        mbox.ends_with("\nSubject: Grüße\n\nGrüße aus Köln, 10 €\n\n"),
        "{mbox}"
    );
}

#[test]
fn sequence_syntax_and_unknown_command_errors_have_their_codes() {
    let spool = Spool::new("errors");
    let server = start(&spool, &[]);
    let mut nc = Typist::new(&server);
    // Commands typed with plain nc end with a bare LF: taken as they are.
    assert!(nc.say_lf("MAIL FROM:<a@b.c>").starts_with("503 "));
    assert!(nc.say_lf("DATA").starts_with("503 "));
    assert!(nc.say("HELO").starts_with("501 "));
    assert!(nc.say("EHLO client.test").starts_with("250-"));
    assert_eq!(nc.reply(), "250-SIZE 1048576");
    assert_eq!(nc.reply(), "250-8BITMIME");
    assert_eq!(nc.reply(), "250 HELP");
    assert!(nc.say("RCPT TO:<b@c.d>").starts_with("503 "));
    assert!(nc.say("MAIL FROM:a@b.c extra=1").starts_with("555 "));
    assert!(nc.say("MAIL FROM<a@b.c>").starts_with("501 "));
    assert!(nc.say("FETCH all").starts_with("500 "));
    assert_eq!(
        nc.say("VRFY bob"),
        "252 Cannot VRFY user, but will accept message and attempt delivery"
    );
    assert!(nc.say("EXPN staff").starts_with("502 "));
    // EHLO announced HELP.
    assert_eq!(
        nc.say("HELP"),
        "214 Commands: HELO EHLO MAIL RCPT DATA RSET VRFY NOOP QUIT HELP"
    );
    assert_eq!(nc.say("NOOP"), "250 OK");
    assert_eq!(nc.say("MAIL FROM:<a@b.c>"), "250 OK");
    assert_eq!(nc.say("RCPT TO:<b@c.d>"), "250 Accepted");
    assert_eq!(nc.say("RSET"), "250 OK");
    // RSET forgot the transaction.
    assert!(nc.say("DATA").starts_with("503 "));
    assert!(nc.say("QUIT").starts_with("221 "));
    assert_eq!(spool.names(), Vec::<String>::new());
}

#[test]
fn only_announced_mail_parameters_are_taken_and_rset_takes_no_argument() {
    let spool = Spool::new("params");
    let server = start(&spool, &[]);
    let mut nc = Typist::new(&server);
    assert!(nc.say("EHLO client.test").starts_with("250-"));
    while nc.reply().starts_with("250-") {}
    // BINARYMIME (RFC 3030) was not announced: BODY= takes 7BIT and 8BITMIME.
    assert_eq!(
        nc.say("MAIL FROM:<a@b.c> BODY=BINARYMIME"),
        "555 Parameter not recognised: BODY=BINARYMIME"
    );
    assert_eq!(nc.say("MAIL FROM:<a@b.c> SIZE=20 body=7bit"), "250 OK");
    assert_eq!(nc.say("RCPT TO:<b@c.d>"), "250 Accepted");
    // RSET with an argument is a syntax error, which resets nothing.
    assert_eq!(nc.say("RSET everything"), "501 Syntax: RSET");
    assert!(nc.say("DATA").starts_with("354 "));
    nc.send(b"Subject: kept\r\n\r\nhi\r\n");
    assert_eq!(nc.say("."), "250 OK: delivered to 1 mailbox");
    assert!(spool.mailbox("b").ends_with("\nSubject: kept\n\nhi\n\n"));
}

#[test]
fn dot_stuffing_and_from_lines_survive_into_the_mailbox() {
    let spool = Spool::new("dots");
    let server = start(&spool, &[]);
    let mut nc = Typist::new(&server);
    nc.say("HELO me");
    nc.say("MAIL FROM:<a@example.org>");
    nc.say("RCPT TO:<erin@localhost>");
    nc.say("DATA");
    // What a client sends for the lines ".", "..two" and "From the start".
    nc.send(b"Subject: dots\r\n\r\n..\r\n...two\r\nFrom the start\r\n");
    assert_eq!(nc.say("."), "250 OK: delivered to 1 mailbox");
    let mbox = spool.mailbox("erin");
    assert!(
        mbox.ends_with("\n\n.\n..two\n>From the start\n\n"),
        "{mbox}"
    );
}

/// mboxrd, the variant of mbox (RFC 4155) this server writes: a line that starts with `From `
/// after any number of `>` gets one more `>`, so a reader can take exactly one away
/// again; `Fromage` is no `From ` line and stays as it is.
#[test]
fn from_lines_are_quoted_the_mboxrd_way() {
    let spool = Spool::new("mboxrd");
    let server = start(&spool, &[]);
    let mut nc = Typist::new(&server);
    nc.say("HELO me");
    nc.say("MAIL FROM:<a@example.org>");
    nc.say("RCPT TO:<gina@localhost>");
    nc.say("DATA");
    nc.send(b"Subject: quoting\r\n\r\nFrom me\r\n>From you\r\n>>From them\r\nFromage\r\n");
    assert_eq!(nc.say("."), "250 OK: delivered to 1 mailbox");
    let mbox = spool.mailbox("gina");
    assert!(
        mbox.ends_with("\n\n>From me\n>>From you\n>>>From them\nFromage\n\n"),
        "{mbox}"
    );
}

/// The reply to the end of a message that held a bare CR or LF.
const BARE: &str = "554 Message refused: a bare CR or LF in it (lines end with CRLF, \
                    RFC 5321 section 2.3.8); not delivered";

#[test]
fn smtp_smuggling_a_bare_lf_dot_never_ends_a_message_so_no_forged_one_lands() {
    let spool = Spool::new("smuggling");
    let server = start(&spool, &[]);
    // A relay passes on mail from its users, several messages per connection.
    let mut relay = Typist::new(&server);
    assert!(relay.say("EHLO relay.example").starts_with("250-"));
    while relay.reply().starts_with("250-") {}
    let ends = ["\n.\n", "\n.\r\n", "\r\n.\n", "\r.\r\n", "\r\n.\r"];
    for (i, end) in ends.iter().enumerate() {
        // Mallory's message, as the relay passes it on: its text hides an end of
        // data that is not CRLF.CRLF, and a second transaction from a forged
        // sender after it.
        assert_eq!(relay.say("MAIL FROM:<mallory@example.org>"), "250 OK");
        assert_eq!(relay.say("RCPT TO:<bob@localhost>"), "250 Accepted");
        assert!(relay.say("DATA").starts_with("354 "));
        relay.send(
            format!(
                "Subject: hi\r\n\r\nhello{end}MAIL FROM:<ceo@bank.example>\r\n\
                 RCPT TO:<victim@localhost>\r\nDATA\r\n\
                 Subject: wire the money ({i})\r\n\r\nurgent\r\n.\r\n"
            )
            .as_bytes(),
        );
        // One reply to all of that, at its one real end: refused.
        assert_eq!(relay.reply(), BARE, "{end:?}");
        // The relay's next message is an honest one, and it is delivered: the
        // session is still in step.
        assert_eq!(relay.say("MAIL FROM:<carol@example.org>"), "250 OK");
        assert_eq!(relay.say("RCPT TO:<dave@localhost>"), "250 Accepted");
        assert!(relay.say("DATA").starts_with("354 "));
        relay.send(format!("Subject: honest {i}\r\n\r\nok\r\n").as_bytes());
        assert_eq!(relay.say("."), "250 OK: delivered to 1 mailbox");
    }
    assert!(relay.say("QUIT").starts_with("221 "));
    // Exactly the honest messages: nothing for the victim, nothing for bob.
    assert_eq!(spool.names(), ["dave"]);
    let mbox = spool.mailbox("dave");
    assert_eq!(
        mbox.matches("\nSubject: honest ").count(),
        ends.len(),
        "{mbox}"
    );
    assert!(!mbox.contains("wire the money"), "{mbox}");
}

#[test]
fn a_message_typed_with_plain_nc_waits_for_crlf_dot_crlf_then_is_refused() {
    let spool = Spool::new("plain-nc");
    let server = start(&spool, &[]);
    let mut nc = Typist::new(&server);
    assert!(nc.say_lf("HELO me").starts_with("250 "));
    assert_eq!(nc.say_lf("MAIL FROM:<a@example.org>"), "250 OK");
    assert_eq!(nc.say_lf("RCPT TO:<bob@localhost>"), "250 Accepted");
    assert!(nc.say_lf("DATA").starts_with("354 "));
    // The text and the dot with bare LFs, as plain nc sends them: no end yet.
    nc.send(b"Subject: typed\n\nhello\n.\n");
    nc.conn
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut early = [0u8; 1];
    assert!(
        nc.replies.read(&mut early).is_err(),
        "a dot ended by a bare LF ended the message"
    );
    nc.conn.set_read_timeout(Some(PATIENCE)).unwrap();
    // A real end, CRLF "." CRLF (what nc -C sends for Enter, ".", Enter): the
    // message is refused whole.
    nc.send(b"\r\n");
    assert_eq!(nc.say("."), BARE);
    assert_eq!(nc.say("NOOP"), "250 OK");
    assert_eq!(spool.names(), Vec::<String>::new());
}

#[test]
fn over_long_lines_are_refused_and_the_session_goes_on() {
    let spool = Spool::new("long");
    let server = start(&spool, &[]);
    let mut nc = Typist::new(&server);
    // A command line may hold 510 bytes before its CRLF.
    let longest = format!("NOOP {}", "n".repeat(505));
    assert_eq!(nc.say(&longest), "250 OK");
    assert_eq!(nc.say(&format!("{longest}n")), "500 Line too long");
    let long_command = format!("HELO {}", "h".repeat(600));
    assert_eq!(nc.say(&long_command), "500 Line too long");
    let endless = format!("NOOP {}", "x".repeat(100_000));
    assert_eq!(nc.say(&endless), "500 Line too long");
    nc.say("HELO me");
    nc.say("MAIL FROM:<a@example.org>");
    nc.say("RCPT TO:<frank@localhost>");
    nc.say("DATA");
    let text_line = "y".repeat(999); // one more than the 998 a text line may hold
    nc.send(format!("Subject: long\r\n\r\n{text_line}\r\n").as_bytes());
    assert_eq!(
        nc.say("."),
        "552 Message has a line longer than 1000 bytes (with CRLF); not delivered"
    );
    assert_eq!(spool.names(), Vec::<String>::new());
    // A line of exactly 998 bytes is fine.
    nc.say("MAIL FROM:<a@example.org>");
    nc.say("RCPT TO:<frank@localhost>");
    nc.say("DATA");
    nc.send(format!("{}\r\n", "z".repeat(998)).as_bytes());
    assert_eq!(nc.say("."), "250 OK: delivered to 1 mailbox");
    assert!(spool.mailbox("frank").contains(&"z".repeat(998)));
}

#[test]
fn garbage_and_invalid_utf8_get_500s_then_the_server_hangs_up() {
    let spool = Spool::new("garbage");
    let server = start(&spool, &[]);
    let mut nc = Typist::new(&server);
    nc.send(b"\xff\xfe\xfd\r\n\x00\x01\x02\r\nGET / HTTP/1.1\r\n");
    for _ in 0..3 {
        assert!(nc.reply().starts_with("500 "));
    }
    for _ in 0..6 {
        assert!(nc.say("\u{1F4E7} mail?").starts_with("500 "));
    }
    // The tenth error in a row: the server gives up on this client.
    nc.send(b"junk\n");
    assert!(nc.reply().starts_with("500 "));
    assert!(nc.reply().starts_with("421 "));
    assert_eq!(read_to_close(&mut nc.conn), b"");
    // And serves the next one.
    let mut next = Typist::new(&server);
    assert!(next.say("HELO ok").starts_with("250 "));
}

#[test]
fn a_client_that_resets_or_stalls_costs_only_itself() {
    let spool = Spool::new("stall");
    let server = start(&spool, &["--idle-timeout", "1"]);
    let mut staller = Typist::new(&server);
    {
        let resetter = server.connect();
        (&resetter)
            .write_all(b"HELO x\r\nMAIL FROM:<a@b.c>\r\n")
            .unwrap();
        testkit::reset(resetter);
    }
    let mut other = Typist::new(&server);
    assert!(other.say("HELO other").starts_with("250 "));
    // The staller said nothing for a second: it is told why, and disconnected.
    let mut rest = String::new();
    staller.replies.read_to_string(&mut rest).unwrap();
    assert!(
        rest.starts_with("421 localhost idle for too long"),
        "{rest:?}"
    );
}

#[test]
fn clients_are_served_at_once_and_their_messages_never_interleave() {
    let spool = Spool::new("parallel");
    let server = start(&spool, &[]);
    let addr = server.addr;
    let senders: Vec<_> = (0..8)
        .map(|i| {
            thread::spawn(move || {
                let conn = testkit::connect(addr);
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut conn = conn;
                let body: String = (0..200).map(|n| format!("client {i} line {n}\r\n")).collect();
                let script = format!(
                    "HELO c{i}\r\nMAIL FROM:<c{i}@x.y>\r\nRCPT TO:<shared@localhost>\r\nDATA\r\n{body}.\r\nQUIT\r\n"
                );
                conn.write_all(script.as_bytes()).unwrap();
                let mut replies = String::new();
                reader.read_to_string(&mut replies).unwrap();
                assert!(replies.contains("250 OK: delivered"), "{replies}");
            })
        })
        .collect();
    for sender in senders {
        sender.join().unwrap();
    }
    let mbox = spool.mailbox("shared");
    let entries: Vec<&str> = mbox.split("\n\nFrom ").collect();
    assert_eq!(entries.len(), 8);
    for entry in entries {
        let sender = entry.split("c").nth(1).unwrap().chars().next().unwrap();
        let lines = entry
            .lines()
            .filter(|l| l.starts_with("client "))
            .collect::<Vec<_>>();
        assert_eq!(lines.len(), 200);
        assert!(
            lines
                .iter()
                .all(|l| l.starts_with(&format!("client {sender} ")))
        );
    }
}

#[test]
fn running_out_of_file_descriptors_is_survived() {
    let spool = Spool::new("emfile");
    let prlimit = require_tool("prlimit");
    let mut command = std::process::Command::new(prlimit);
    command.args(["--nofile=12:12", SERVER, "--port", "0", "--spool"]);
    command.arg(&spool.0);
    let server = Server::spawn(command);
    // More clients than descriptors, all kept connected: some wait in the listen
    // queue, unaccepted, until the server runs out of descriptors (and says so).
    let crowd: Vec<TcpStream> = (0..12).map(|_| server.connect()).collect();
    server.wait_for_stderr("accept failed: Too many open files");
    // It pauses between tries (the connection stays queued, and the listener readable):
    // under a tenth of a CPU over a whole second, not a busy loop.
    let before = testkit::proc_stat(server.pid()).unwrap().cpu_ticks;
    thread::sleep(Duration::from_secs(1));
    let ticks = testkit::proc_stat(server.pid()).unwrap().cpu_ticks - before;
    assert!(ticks < 10, "{ticks} ticks of CPU in one second");
    drop(crowd);
    // Once they have gone, the server serves again.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut conn = server.connect();
        let mut greeting = [0u8; 4];
        if conn.read_exact(&mut greeting).is_ok() && &greeting == b"220 " {
            break;
        }
        assert!(Instant::now() < deadline, "never served again");
        thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_mailbox_that_cannot_be_written_is_a_451_to_try_later() {
    let spool = Spool::new("unwritable");
    let server = start(&spool, &[]);
    // A folder where the mailbox file should be: opening it for appending fails.
    fs::create_dir_all(spool.0.join("gina")).unwrap();
    let mut nc = Typist::new(&server);
    nc.say("HELO me");
    nc.say("MAIL FROM:<a@example.org>");
    nc.say("RCPT TO:<gina@localhost>");
    nc.say("DATA");
    nc.send(b"Subject: x\r\n\r\nbody\r\n");
    assert_eq!(
        nc.say("."),
        "451 Local error in processing; try again later"
    );
    // The session goes on.
    assert_eq!(nc.say("NOOP"), "250 OK");
}

#[test]
fn too_many_clients_get_421() {
    let spool = Spool::new("busy");
    let server = start(&spool, &["--max-clients", "1"]);
    let mut first = Typist::new(&server);
    assert!(first.say("HELO one").starts_with("250 "));
    let mut second = server.connect();
    assert_eq!(
        read_to_close(&mut second),
        b"421 too many connections, try again later\r\n"
    );
}

#[test]
fn an_uncreatable_spool_is_one_clear_line() {
    let out = run(
        SERVER,
        &["--port", "0", "--spool", "/proc/no/such/place"],
        b"",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr.starts_with(
            "smtp_server: cannot create the spool folder /proc/no/such/place"
        ),
        "{out:?}"
    );
    assert_eq!(out.stderr.lines().count(), 1);
}

#[test]
fn over_ipv6_too() {
    let spool = Spool::new("v6");
    let server = start(&spool, &["--host", "::1"]);
    let mut nc = Typist::new(&server);
    assert_eq!(nc.say("HELO six"), "250 localhost Hello six [::1]");
}

/// What a session is told when the server shuts down under it.
const SHUTTING_DOWN: &str =
    "421 localhost Service not available, shutting down; try again later";

/// Waits (bounded) until connecting is refused: the server has closed its listener.
fn wait_until_refused(server: &Server) {
    let deadline = Instant::now() + PATIENCE;
    while TcpStream::connect_timeout(&server.addr, PATIENCE).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the server still accepts connections"
        );
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn sigterm_in_the_middle_of_data_the_message_is_still_delivered() {
    let spool = Spool::new("term-data");
    let mut server = start(&spool, &["--grace", "10"]);
    let mut nc = Typist::new(&server);
    assert!(nc.say("HELO me").starts_with("250 "));
    assert_eq!(nc.say("MAIL FROM:<alice@example.org>"), "250 OK");
    assert_eq!(nc.say("RCPT TO:<bob@localhost>"), "250 Accepted");
    assert!(nc.say("DATA").starts_with("354 "));
    nc.send(b"Subject: half way\r\n\r\nfirst half\r\n");
    server.signal(Signal::SIGTERM as i32);
    wait_until_refused(&server);
    // The rest of the message, after the signal: it is taken and delivered.
    nc.send(b"second half\r\n");
    assert_eq!(nc.say("."), "250 OK: delivered to 1 mailbox");
    assert_eq!(nc.say("QUIT"), "221 localhost closing connection");
    assert_eq!(read_to_close(&mut nc.conn), b"");
    // With its last client gone, the server exits well before the 10 s, with 0.
    let start = Instant::now();
    let status = server.wait_for_exit();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(start.elapsed() < Duration::from_secs(5));
    let mbox = spool.mailbox("bob");
    assert!(
        mbox.ends_with("\nSubject: half way\n\nfirst half\nsecond half\n\n"),
        "{mbox}"
    );
    // stderr is collected by another thread: wait for each line, bounded.
    server.wait_for_stderr("SIGTERM: no new connections");
    // (The client, and perhaps wait_until_refused's last try, still counted.)
    server.wait_for_stderr("shutting down: waiting up to 10.0 s for ");
    server.wait_for_stderr("every client has finished");
}

#[test]
fn when_stopping_idle_sessions_get_421_and_an_unfinished_message_is_not_kept() {
    let spool = Spool::new("int-idle");
    let mut server = start(&spool, &["--grace", "1"]);
    let mut idle = Typist::new(&server); // greeted, then silent
    let mut asks = Typist::new(&server);
    assert!(asks.say("HELO me").starts_with("250 "));
    let mut stalled = Typist::new(&server);
    for (line, code) in [
        ("HELO me", "250"),
        ("MAIL FROM:<a@b.c>", "250"),
        ("RCPT TO:<carol@localhost>", "250"),
        ("DATA", "354"),
    ] {
        assert!(stalled.say(line).starts_with(code), "{line}");
    }
    stalled.send(b"Subject: never finished\r\n\r\nhalf a messa");
    let signalled = Instant::now();
    server.signal(Signal::SIGINT as i32);
    wait_until_refused(&server);
    // A command outside a transaction is answered 421 at once, and the session
    // ends.
    assert_eq!(asks.say("MAIL FROM:<a@b.c>"), SHUTTING_DOWN);
    assert_eq!(read_to_close(&mut asks.conn), b"");
    // The others hear 421 when the grace period is over, unprompted.
    assert_eq!(idle.reply(), SHUTTING_DOWN);
    assert!(signalled.elapsed() >= Duration::from_millis(900));
    assert_eq!(read_to_close(&mut idle.conn), b"");
    assert_eq!(stalled.reply(), SHUTTING_DOWN);
    assert_eq!(read_to_close(&mut stalled.conn), b"");
    let status = server.wait_for_exit();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(signalled.elapsed() < Duration::from_secs(4));
    // Without a 250 the message stays the client's to send again: no mailbox.
    assert!(spool.names().is_empty(), "{:?}", spool.names());
    // stderr is collected by another thread: wait for each line, bounded.
    server.wait_for_stderr("SIGINT: no new connections");
    server.wait_for_stderr("still connected after the grace period");
}

#[test]
fn with_no_client_sigterm_ends_the_server_at_once_with_status_0() {
    let spool = Spool::new("term-none");
    let mut server = start(&spool, &[]);
    server.signal(Signal::SIGTERM as i32);
    assert_eq!(server.wait_for_exit().code(), Some(0));
    // Nobody to wait for: it says so, and says nothing of waiting (stderr is in order).
    server.wait_for_stderr("shutting down: every client has finished");
    let log = server.stderr_so_far();
    assert!(!log.contains("waiting up to"), "{log}");
}

#[test]
fn python_smtplib_connected_when_the_server_stops_is_refused_with_421() {
    let spool = Spool::new("smtplib-late");
    let mut server = start(&spool, &["--grace", "10"]);
    let python = require_tool("python3");
    let script =
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/smtplib_late.py");
    let port = server.addr.port().to_string();
    let mut client = Running::start(python.to_str().unwrap(), &[script, &port]);
    client.expect_line("ready");
    server.signal(Signal::SIGTERM as i32);
    wait_until_refused(&server);
    client.type_in(b"go\n");
    // smtplib takes the 421 to MAIL FROM as a refusal, and closes its end.
    client.expect_line(&format!("sender refused: {SHUTTING_DOWN}"));
    assert_eq!(client.wait_for_exit().code(), Some(0));
    assert_eq!(server.wait_for_exit().code(), Some(0));
    assert!(spool.names().is_empty(), "{:?}", spool.names());
}
