//! chat_server as a black box: several clients over loopback, each reading what the others
//! send.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use testkit::{PATIENCE, Server, proc_stat, read_to_close, send_signal};

const SERVER: &str = env!("CARGO_BIN_EXE_chat_server");

/// A chat client: a connection and a line reader on it.
struct Chatter {
    conn: TcpStream,
    lines: BufReader<TcpStream>,
    name: String,
}

impl Chatter {
    /// Connects and reads the welcome line.
    fn join(server: &Server) -> Chatter {
        let conn = server.connect();
        let name = conn.local_addr().unwrap().to_string();
        let mut me = Chatter {
            lines: BufReader::new(conn.try_clone().unwrap()),
            conn,
            name,
        };
        let welcome = me.line();
        assert!(
            welcome.starts_with(&format!("*** welcome, you are {}; ", me.name)),
            "{welcome}"
        );
        me
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        self.lines
            .read_line(&mut line)
            .expect("a line from the server");
        line
    }

    fn say(&mut self, text: &[u8]) {
        self.conn.write_all(text).unwrap();
    }
}

fn start() -> Server {
    Server::start(SERVER, &["--port", "0"])
}

#[test]
fn each_line_goes_to_every_other_client_prefixed_with_the_sender() {
    let server = start();
    let mut a = Chatter::join(&server);
    let mut b = Chatter::join(&server);
    assert_eq!(a.line(), format!("*** {} joined\n", b.name));
    let mut c = Chatter::join(&server);
    assert_eq!(a.line(), format!("*** {} joined\n", c.name));
    assert_eq!(b.line(), format!("*** {} joined\n", c.name));

    a.say(b"hello all\r\n");
    assert_eq!(b.line(), format!("{}: hello all\n", a.name));
    assert_eq!(c.line(), format!("{}: hello all\n", a.name));
    // The sender does not get its own line back: the next thing A reads is C's line.
    c.say(b"hi a\n");
    assert_eq!(a.line(), format!("{}: hi a\n", c.name));
    assert_eq!(b.line(), format!("{}: hi a\n", c.name));
}

#[test]
fn a_partial_line_is_held_until_its_newline_arrives() {
    let server = start();
    let mut a = Chatter::join(&server);
    let mut b = Chatter::join(&server);
    a.line(); // B joined
    b.say(b"half a ");
    a.conn
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut early = [0u8; 1];
    assert!(
        a.lines.read(&mut early).is_err(),
        "a partial line was relayed"
    );
    a.conn.set_read_timeout(Some(PATIENCE)).unwrap();
    b.say(b"line\n");
    assert_eq!(a.line(), format!("{}: half a line\n", b.name));
}

#[test]
fn leaving_closing_or_resetting_is_announced_and_the_others_carry_on() {
    let server = start();
    let mut a = Chatter::join(&server);
    let mut b = Chatter::join(&server);
    a.line();
    let c = Chatter::join(&server);
    a.line();
    b.line(); // C joined: B has read everything, so closing sends a FIN, not a reset
    let (b_name, c_name) = (b.name.clone(), c.name.clone());
    drop(b);
    assert_eq!(a.line(), format!("*** {b_name} left\n"));
    // SO_LINGER 0: close() sends a reset. The line reader's clone goes first, so
    // that closing the connection really closes the socket.
    drop(c.lines);
    testkit::reset(c.conn);
    assert_eq!(a.line(), format!("*** {c_name} left (connection reset)\n"));
    let mut d = Chatter::join(&server);
    d.say(b"still here\n");
    assert_eq!(a.line(), format!("*** {} joined\n", d.name));
    assert_eq!(a.line(), format!("{}: still here\n", d.name));
}

#[test]
fn a_line_over_the_limit_disconnects_its_sender_only() {
    let server = start();
    let mut a = Chatter::join(&server);
    let mut b = Chatter::join(&server);
    a.line();
    b.say(&vec![b'x'; 5000]);
    assert_eq!(b.line(), "*** line longer than 1024 bytes; disconnected\n");
    assert_eq!(
        a.line(),
        format!("*** {} dropped (line too long)\n", b.name)
    );
}

#[test]
fn a_flood_of_newlines_slows_its_sender_and_every_reader_gets_every_line() {
    let server = Server::start(SERVER, &["--port", "0", "--stall-timeout", "30"]);
    let mut reader = Chatter::join(&server);
    let flooder = Chatter::join(&server);
    reader.line(); // the flooder joined
    // 64 writes of 4 KiB of newlines: 262,144 empty lines, each relayed with the
    // flooder's address in front (some 20 bytes): 5 MB for the reader, 80 times the
    // backlog a client may have waiting.
    const WRITES: usize = 64;
    let mut conn = flooder.conn.try_clone().unwrap();
    // The server slows the flooder down to the reader's pace: its writes may wait.
    conn.set_write_timeout(Some(6 * PATIENCE)).unwrap();
    let flooding = std::thread::spawn(move || {
        for _ in 0..WRITES {
            conn.write_all(&[b'\n'; 4096]).unwrap();
        }
        conn.write_all(b"the end\n").unwrap();
    });
    // The reader is busy for a moment (as a person's client may be), then reads at
    // its own pace.
    std::thread::sleep(Duration::from_millis(500));
    let empty = format!("{}: \n", flooder.name);
    let mut line = String::new();
    for n in 0..WRITES * 4096 {
        line.clear();
        reader.lines.read_line(&mut line).unwrap();
        assert_eq!(line, empty, "line {n}");
    }
    assert_eq!(reader.line(), format!("{}: the end\n", flooder.name));
    flooding.join().expect("the flooder was cut off");
    // Both still connected, both still served.
    let mut flooder = flooder;
    flooder.say(b"sorry\n");
    assert_eq!(reader.line(), format!("{}: sorry\n", flooder.name));
    reader.say(b"ok\n");
    assert_eq!(flooder.line(), format!("{}: ok\n", reader.name));
    assert!(
        !server.stderr_so_far().contains("dropped"),
        "{}",
        server.stderr_so_far()
    );
}

#[test]
fn a_client_that_never_reads_is_dropped_after_the_stall_timeout_and_the_others_go_on() {
    let server = Server::start(SERVER, &["--port", "0", "--stall-timeout", "2"]);
    let mut talker = Chatter::join(&server);
    let mut listener = Chatter::join(&server);
    talker.line();
    let sleeper = Chatter::join(&server);
    talker.line();
    listener.line();
    // The sleeper never reads. Relay far more than its socket buffers and outbox hold:
    // once they are full the talker is held up, for two seconds, until the sleeper
    // is dropped.
    let line = format!("{}\n", "y".repeat(1000));
    let dropped = format!("*** {} dropped (not reading)\n", sleeper.name);
    let mut told = false;
    for _ in 0..3000 {
        talker.say(line.as_bytes());
        let mut got = listener.line();
        if got == dropped {
            told = true;
            got = listener.line();
        }
        assert_eq!(got, format!("{}: {line}", talker.name));
    }
    assert!(told, "the others were not told the sleeper was dropped");
    let log = server.wait_for_stderr("dropped (not reading)");
    assert!(
        log.contains(&format!("{}: dropped (not reading)", sleeper.name)),
        "{log}"
    );
}

#[test]
fn sigterm_tells_the_clients_and_exits_0_when_they_have_left() {
    let mut server = start();
    let mut a = Chatter::join(&server);
    send_signal(server.pid() as i32, libc::SIGTERM);
    assert_eq!(a.line(), "*** server shutting down\n");
    drop(a);
    assert_eq!(server.wait_for_exit().code(), Some(0));
}

#[test]
fn after_the_grace_period_the_server_exits_0_even_with_clients() {
    let mut server = Server::start(SERVER, &["--port", "0", "--grace", "1"]);
    let mut a = Chatter::join(&server);
    send_signal(server.pid() as i32, libc::SIGINT);
    assert_eq!(a.line(), "*** server shutting down\n");
    assert_eq!(server.wait_for_exit().code(), Some(0));
    assert_eq!(read_to_close(&mut a.conn), b"");
}

#[test]
fn out_of_descriptors_it_pauses_accepting_without_spinning_then_recovers() {
    let prlimit = testkit::require_tool("prlimit");
    let mut command = Command::new(prlimit);
    command.args(["--nofile=16:16", SERVER, "--port", "0"]);
    let server = Server::spawn(command);
    let mut held = Vec::new();
    let mut waiting = None;
    for _ in 0..30 {
        let conn = server.connect();
        conn.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut lines = BufReader::new(conn.try_clone().unwrap());
        let mut welcome = String::new();
        let welcomed = lines.read_line(&mut welcome).is_ok_and(|n| n > 0);
        if welcomed || !server.stderr_so_far().contains("Too many open files") {
            // Welcomed (or just slow on a busy machine): keep it open.
            held.push(conn);
        } else {
            waiting = Some((conn, lines));
            break;
        }
    }
    let (conn, mut lines) = waiting.expect("never ran out of descriptors");
    server.wait_for_stderr("accept failed: Too many open files");
    let before = proc_stat(server.pid()).unwrap().cpu_ticks;
    std::thread::sleep(Duration::from_secs(1));
    let ticks = proc_stat(server.pid()).unwrap().cpu_ticks - before;
    assert!(ticks < 10, "{ticks} ticks of CPU in one second");
    held.truncate(held.len() - 2);
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    // Skip the departures announced to us, if any arrive first; the welcome must come.
    let mut line = String::new();
    for _ in 0..5 {
        line.clear();
        lines.read_line(&mut line).unwrap();
        if line.starts_with("*** welcome") {
            break;
        }
    }
    assert!(line.starts_with("*** welcome, you are "), "{line}");
}

#[test]
fn a_port_in_use_or_a_bad_argument_is_one_line() {
    let server = start();
    let port = server.addr.port().to_string();
    testkit::assert_port_in_use_error(SERVER, &port, &[]);
    let out = testkit::run(SERVER, &["--grace", "soon"], b"");
    assert_eq!(out.code(), Some(2), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
}

#[test]
fn lines_completed_before_an_over_long_one_are_still_relayed() {
    let server = start();
    let mut a = Chatter::join(&server);
    let mut b = Chatter::join(&server);
    a.line();
    // One write: a good line, then more than the limit without a newline.
    let mut burst = b"hello first\n".to_vec();
    burst.extend_from_slice(&[b'x'; 5000]);
    b.say(&burst);
    assert_eq!(a.line(), format!("{}: hello first\n", b.name));
    assert_eq!(
        a.line(),
        format!("*** {} dropped (line too long)\n", b.name)
    );
}
