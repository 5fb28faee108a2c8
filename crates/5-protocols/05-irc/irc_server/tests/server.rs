//! irc_server as a black box: raw lines as nc sends them, and a real IRC client library.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use testkit::{PATIENCE, Server, read_to_close, require_tool, run};

const SERVER: &str = env!("CARGO_BIN_EXE_irc_server");

fn start(extra: &[&str]) -> Server {
    let mut args = vec!["--port", "0", "--name", "irc.test"];
    args.extend_from_slice(extra);
    Server::start(SERVER, &args)
}

/// Someone at a terminal running nc.
struct User {
    conn: TcpStream,
    lines: BufReader<TcpStream>,
}

impl User {
    fn connect(server: &Server) -> User {
        let conn = server.connect();
        let lines = BufReader::new(conn.try_clone().unwrap());
        User { conn, lines }
    }

    /// Connects with a small receive buffer (set before connect, so the kernel cannot
    /// grow it): a client that stops reading fills up quickly.
    fn connect_small(server: &Server) -> User {
        let socket = socket2::Socket::new(
            socket2::Domain::IPV4,
            socket2::Type::STREAM,
            None,
        )
        .unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        socket
            .connect_timeout(&server.addr.into(), PATIENCE)
            .unwrap();
        let conn: TcpStream = socket.into();
        conn.set_read_timeout(Some(PATIENCE)).unwrap();
        conn.set_write_timeout(Some(PATIENCE)).unwrap();
        let lines = BufReader::new(conn.try_clone().unwrap());
        User { conn, lines }
    }

    /// Connects and registers as `nick`, reading through the welcome.
    fn registered(server: &Server, nick: &str) -> User {
        let mut user = User::connect(server);
        user.send(&format!("NICK {nick}\r\nUSER {nick} 0 * :{nick}\r\n"));
        user.until(" 376 ");
        user
    }

    fn send(&mut self, text: &str) {
        self.conn.write_all(text.as_bytes()).unwrap();
    }

    /// The next line from the server, without CRLF.
    fn next(&mut self) -> String {
        let mut line = String::new();
        self.lines.read_line(&mut line).unwrap();
        assert!(line.ends_with("\r\n"), "{line:?} does not end with CRLF");
        assert!(line.len() <= 512, "a line of {} bytes", line.len());
        line.truncate(line.len() - 2);
        line
    }

    /// Reads lines until one contains `needle`; returns it.
    fn until(&mut self, needle: &str) -> String {
        for _ in 0..100 {
            let line = self.next();
            if line.contains(needle) {
                return line;
            }
        }
        panic!("no line with {needle:?}");
    }
}

#[test]
fn the_notes_session_registers_joins_and_talks_to_the_channel() {
    let server = start(&[]);
    let mut friend = User::registered(&server, "friend");
    friend.send("JOIN #cyberwizard\r\n");
    friend.until(" 366 ");

    let mut nc = User::connect(&server);
    nc.send("nick whatevz\nuser whatevz whatevz :whatevz\n");
    let welcome: Vec<String> = (0..10).map(|_| nc.next()).collect();
    assert_eq!(
        welcome[0],
        ":irc.test 001 whatevz :Welcome to the Internet Relay Chat network, whatevz!whatevz@127.0.0.1"
    );
    let codes: Vec<&str> = welcome
        .iter()
        .map(|l| l.split(' ').nth(1).unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "001", "002", "003", "004", "005", "375", "372", "372", "372", "376"
        ]
    );

    nc.send("join #cyberwizard\n");
    assert_eq!(nc.next(), ":whatevz!whatevz@127.0.0.1 JOIN #cyberwizard");
    assert_eq!(
        nc.next(),
        ":irc.test 353 whatevz = #cyberwizard :@friend whatevz"
    );
    assert_eq!(
        nc.next(),
        ":irc.test 366 whatevz #cyberwizard :End of /NAMES list"
    );
    assert_eq!(
        friend.next(),
        ":whatevz!whatevz@127.0.0.1 JOIN #cyberwizard"
    );

    nc.send("privmsg #cyberwizard :hack the planet!\n");
    assert_eq!(
        friend.next(),
        ":whatevz!whatevz@127.0.0.1 PRIVMSG #cyberwizard :hack the planet!"
    );
    friend.send("PRIVMSG whatevz :welcome aboard\r\n");
    assert_eq!(
        nc.next(),
        ":friend!friend@127.0.0.1 PRIVMSG whatevz :welcome aboard"
    );

    nc.send("ping :are you there\n");
    assert_eq!(nc.next(), ":irc.test PONG irc.test :are you there");
    nc.send("part #cyberwizard :off to bed\n");
    assert_eq!(
        nc.next(),
        ":whatevz!whatevz@127.0.0.1 PART #cyberwizard :off to bed"
    );
    assert_eq!(
        friend.next(),
        ":whatevz!whatevz@127.0.0.1 PART #cyberwizard :off to bed"
    );
    nc.send("quit :bye\n");
    assert_eq!(nc.next(), "ERROR :Closing Link: 127.0.0.1 (Quit: bye)");
    assert_eq!(read_to_close(&mut nc.conn), b"");
    // The log says the client left on its own, not that the server stopped.
    server.wait_for_stderr(": gone (QUIT)");
}

#[test]
fn a_real_client_library_chats_through_the_server() {
    let server = start(&[]);
    let python = testkit::require_python_module("irc");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/irc_client.py");
    let port = server.addr.port().to_string();
    let out = run(python.to_str().unwrap(), &[script, &port], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "\
alice welcomed as alice
bob welcomed as bob
alice saw bob join #rust
bob heard alice in #rust: hello from alice
alice heard privately from bob: hi alice, just you
carol was told the nick is in use: ALICE
carol welcomed as carol
carol was told there is no nobody
carol sees in #rust: @alice bob
"
    );
}

#[test]
fn the_error_numerics_a_client_expects() {
    // Flood control off: this test sends its lines faster than it allows.
    let server = start(&["--penalty-ms", "0"]);
    let mut alice = User::registered(&server, "alice");
    alice.send("JOIN #here\r\n");
    alice.until(" 366 ");

    let mut u = User::connect(&server);
    u.send("JOIN #here\r\n");
    assert_eq!(u.next(), ":irc.test 451 * :You have not registered");
    u.send("NICK\r\n");
    assert_eq!(u.next(), ":irc.test 431 * :No nickname given");
    u.send("NICK Alice\r\n");
    assert_eq!(
        u.next(),
        ":irc.test 433 * Alice :Nickname is already in use"
    );
    u.send("NICK -dash\r\n");
    assert_eq!(u.next(), ":irc.test 432 * -dash :Erroneous nickname");
    u.send("USER only\r\n");
    assert_eq!(u.next(), ":irc.test 461 * USER :Not enough parameters");
    u.send("NICK bob\r\nUSER bob 0 * :Bob\r\n");
    u.until(" 376 ");
    u.send("USER bob 0 * :Bob\r\n");
    assert_eq!(u.next(), ":irc.test 462 bob :You may not reregister");
    u.send("PRIVMSG nobody :hi\r\n");
    assert_eq!(u.next(), ":irc.test 401 bob nobody :No such nick/channel");
    u.send("PRIVMSG #nowhere :hi\r\n");
    assert_eq!(u.next(), ":irc.test 403 bob #nowhere :No such channel");
    u.send("PRIVMSG #here :let me in\r\n");
    assert_eq!(u.next(), ":irc.test 404 bob #here :Cannot send to channel");
    u.send("PRIVMSG\r\n");
    assert_eq!(u.next(), ":irc.test 411 bob :No recipient given (PRIVMSG)");
    u.send("PRIVMSG alice\r\n");
    assert_eq!(u.next(), ":irc.test 412 bob :No text to send");
    u.send("JOIN\r\n");
    assert_eq!(u.next(), ":irc.test 461 bob JOIN :Not enough parameters");
    u.send("JOIN nohash\r\n");
    assert_eq!(u.next(), ":irc.test 403 bob nohash :No such channel");
    u.send("PART #here\r\n");
    assert_eq!(
        u.next(),
        ":irc.test 442 bob #here :You're not on that channel"
    );
    u.send("PING\r\n");
    assert_eq!(u.next(), ":irc.test 409 bob :No origin specified");
    u.send("FROB alice\r\n");
    assert_eq!(u.next(), ":irc.test 421 bob FROB :Unknown command");

    // NOTICE never gets an error back (RFC 1459 §4.4.2), nor an away reply; it
    // reaches whoever it can.
    alice.send("AWAY :out\r\n");
    alice.until(" 306 ");
    u.send("NOTICE\r\nNOTICE alice\r\nNOTICE #nowhere :x\r\nNOTICE #here :x\r\n");
    u.send("NOTICE nobody,alice :psst\r\nPING :quiet\r\n");
    assert_eq!(u.next(), ":irc.test PONG irc.test :quiet");
    assert_eq!(alice.next(), ":bob!bob@127.0.0.1 NOTICE alice :psst");
}

#[test]
fn the_commands_real_clients_send_get_answers_not_421() {
    // Flood control off: this test sends its lines faster than it allows.
    let server = start(&["--penalty-ms", "0"]);
    // Registration the way clients do it today: capabilities first, and PASS
    // first of all from a client set up with a password, which a server without
    // passwords takes in silence.
    let mut alice = User::connect(&server);
    alice.send(
        "PASS secret\r\nCAP LS 302\r\nNICK alice\r\nUSER alice 0 * :Alice Liddell\r\n",
    );
    assert_eq!(alice.next(), ":irc.test CAP * LS :");
    // No capabilities on offer: whatever the client asks for is refused (NAK),
    // addressed by the nick it has given.
    alice.send("CAP REQ :multi-prefix sasl\r\n");
    assert_eq!(alice.next(), ":irc.test CAP alice NAK :multi-prefix sasl");
    alice.send("CAP END\r\n");
    assert!(alice.next().starts_with(":irc.test 001 alice :Welcome"));
    assert_eq!(
        alice.until(" 375 "),
        ":irc.test 375 alice :- irc.test Message of the day - "
    );
    assert!(alice.next().starts_with(":irc.test 372 alice :- "));
    assert_eq!(
        alice.until(" 376 "),
        ":irc.test 376 alice :End of /MOTD command."
    );
    // Setting one's own modes is taken in silence; asking for them gets 221.
    alice.send("MODE alice +i\r\nPING :set\r\nMODE alice\r\n");
    assert_eq!(alice.next(), ":irc.test PONG irc.test :set");
    assert_eq!(alice.next(), ":irc.test 221 alice +");
    alice.send("MOTD\r\n");
    alice.until(" 376 ");

    // The first to join a channel is its operator.
    let created = unix_now();
    alice.send("JOIN #tea\r\n");
    alice.next();
    assert_eq!(alice.next(), ":irc.test 353 alice = #tea :@alice");
    alice.next();
    alice.send("MODE #tea\r\n");
    assert_eq!(alice.next(), ":irc.test 324 alice #tea +n");
    // 329: when the channel was created, in Unix time.
    let when = alice.next();
    let at = when.strip_prefix(":irc.test 329 alice #tea ").expect(&when);
    assert!(
        (created..=unix_now()).contains(&at.parse().unwrap()),
        "{when}"
    );
    alice.send("MODE #tea b\r\n");
    assert_eq!(
        alice.next(),
        ":irc.test 368 alice #tea :End of channel ban list"
    );
    alice.send("TOPIC #tea\r\n");
    assert_eq!(alice.next(), ":irc.test 331 alice #tea :No topic is set");
    let topic_set = unix_now();
    alice.send("TOPIC #tea :Mad tea party\r\n");
    assert_eq!(
        alice.next(),
        ":alice!alice@127.0.0.1 TOPIC #tea :Mad tea party"
    );

    // A newcomer sees the topic as it joins.
    let mut hatter = User::registered(&server, "hatter");
    hatter.send("JOIN #tea\r\n");
    assert_eq!(hatter.next(), ":hatter!hatter@127.0.0.1 JOIN #tea");
    assert_eq!(hatter.next(), ":irc.test 332 hatter #tea :Mad tea party");
    // 333: who set the topic, and when.
    let set_by = hatter.next();
    let at = set_by
        .strip_prefix(":irc.test 333 hatter #tea alice!alice@127.0.0.1 ")
        .expect(&set_by);
    assert!(
        (topic_set..=unix_now()).contains(&at.parse().unwrap()),
        "{set_by}"
    );
    assert_eq!(hatter.next(), ":irc.test 353 hatter = #tea :@alice hatter");
    hatter.next();
    alice.until("hatter!hatter@127.0.0.1 JOIN");

    hatter.send("WHO #tea\r\n");
    assert_eq!(
        hatter.next(),
        ":irc.test 352 hatter #tea alice 127.0.0.1 irc.test alice H@ :0 Alice Liddell"
    );
    assert_eq!(
        hatter.next(),
        ":irc.test 352 hatter #tea hatter 127.0.0.1 irc.test hatter H :0 hatter"
    );
    assert_eq!(hatter.next(), ":irc.test 315 hatter #tea :End of WHO list");
    hatter.send("WHOIS alice\r\n");
    assert_eq!(
        hatter.next(),
        ":irc.test 311 hatter alice alice 127.0.0.1 * :Alice Liddell"
    );
    assert_eq!(hatter.next(), ":irc.test 319 hatter alice :@#tea");
    assert!(
        hatter
            .next()
            .starts_with(":irc.test 312 hatter alice irc.test :")
    );
    assert_eq!(
        hatter.next(),
        ":irc.test 318 hatter alice :End of /WHOIS list"
    );
    hatter.send("USERHOST alice nobody hatter\r\n");
    assert_eq!(
        hatter.next(),
        ":irc.test 302 hatter :alice=+alice@127.0.0.1 hatter=+hatter@127.0.0.1"
    );
    hatter.send("ISON nobody ALICE\r\n");
    assert_eq!(hatter.next(), ":irc.test 303 hatter :alice");
    hatter.send("LIST\r\n");
    assert_eq!(hatter.next(), ":irc.test 321 hatter Channel :Users  Name");
    assert_eq!(hatter.next(), ":irc.test 322 hatter #tea 2 :Mad tea party");
    assert_eq!(hatter.next(), ":irc.test 323 hatter :End of /LIST");

    // Away: whoever writes to you is told.
    alice.send("AWAY :painting roses\r\n");
    assert_eq!(
        alice.next(),
        ":irc.test 306 alice :You have been marked as being away"
    );
    hatter.send("PRIVMSG alice :more tea?\r\n");
    assert_eq!(hatter.next(), ":irc.test 301 hatter alice :painting roses");
    assert_eq!(
        alice.next(),
        ":hatter!hatter@127.0.0.1 PRIVMSG alice :more tea?"
    );
    alice.send("AWAY\r\n");
    assert_eq!(
        alice.next(),
        ":irc.test 305 alice :You are no longer marked as being away"
    );

    // Only the operator may KICK.
    hatter.send("KICK #tea alice\r\n");
    assert_eq!(
        hatter.next(),
        ":irc.test 482 hatter #tea :You're not channel operator"
    );
    alice.send("KICK #tea hatter :No room!\r\n");
    let kick = ":alice!alice@127.0.0.1 KICK #tea hatter :No room!";
    assert_eq!(alice.next(), kick);
    assert_eq!(hatter.next(), kick);
    hatter.send("PRIVMSG #tea :but\r\n");
    assert_eq!(
        hatter.next(),
        ":irc.test 404 hatter #tea :Cannot send to channel"
    );

    // JOIN 0 leaves every channel.
    alice.send("JOIN #garden\r\n");
    alice.until(" 366 ");
    alice.send("JOIN 0\r\n");
    let mut parted = [alice.next(), alice.next()];
    parted.sort();
    assert_eq!(
        parted,
        [
            ":alice!alice@127.0.0.1 PART #garden",
            ":alice!alice@127.0.0.1 PART #tea"
        ]
    );
    alice.send("LIST\r\n");
    alice.next();
    assert_eq!(alice.next(), ":irc.test 323 alice :End of /LIST");
}

/// Seconds since 1970, as IRC gives times.
fn unix_now() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.unwrap().as_secs()
}

#[test]
fn over_long_lines_and_garbage_cost_the_sender_a_numeric_and_nothing_else() {
    let server = start(&[]);
    let mut alice = User::registered(&server, "alice");
    let mut mallory = User::registered(&server, "mallory");
    alice.send("JOIN #x\r\n");
    alice.until(" 366 ");
    mallory.send("JOIN #x\r\n");
    mallory.until(" 366 ");
    alice.until("mallory!mallory@127.0.0.1 JOIN");

    // 600 bytes: over the 512 an IRC line may have.
    mallory.send(&format!("PRIVMSG #x :{}\r\n", "A".repeat(600)));
    assert_eq!(
        mallory.next(),
        ":irc.test 417 mallory :Input line was too long"
    );
    mallory.send("\u{1}\u{2}\u{3}\r\n\r\n:::: ::\r\n");
    assert!(mallory.next().starts_with(":irc.test 421 mallory "));
    // Invalid UTF-8 is replaced before anyone else sees it.
    mallory
        .conn
        .write_all(b"PRIVMSG #x :caf\xe9 \xff\r\n")
        .unwrap();
    assert_eq!(
        alice.next(),
        ":mallory!mallory@127.0.0.1 PRIVMSG #x :caf\u{FFFD} \u{FFFD}"
    );
    // A relayed message is cut to fit a line, never split into two.
    let long = "B".repeat(490);
    mallory.send(&format!("PRIVMSG #x :{long}\r\n"));
    let relayed = alice.next();
    assert!(relayed.starts_with(":mallory!mallory@127.0.0.1 PRIVMSG #x :BBB"));
    assert_eq!(relayed.len(), 510);
    alice.send("PING :still fine\r\n");
    assert_eq!(alice.next(), ":irc.test PONG irc.test :still fine");
}

#[test]
fn a_reset_connection_is_a_quit_for_everyone_else() {
    let server = start(&[]);
    let mut alice = User::registered(&server, "alice");
    alice.send("JOIN #x\r\n");
    alice.until(" 366 ");
    {
        let mut gone = User::registered(&server, "gone");
        gone.send("JOIN #x\r\n");
        gone.until(" 366 ");
        alice.until("gone!gone@127.0.0.1 JOIN");
        testkit::reset(gone.conn);
    }
    let quit = alice.next();
    assert!(
        quit.starts_with(":gone!gone@127.0.0.1 QUIT :Connection"),
        "{quit}"
    );
    // The nick is free again.
    let again = User::registered(&server, "gone");
    drop(again);
}

#[test]
fn a_silent_client_is_pinged_and_dropped_if_it_stays_silent() {
    let server = start(&["--ping-after", "1"]);
    let mut quiet = User::registered(&server, "quiet");
    let asked = Instant::now();
    assert_eq!(quiet.next(), "PING :irc.test");
    assert!(asked.elapsed() < PATIENCE);
    quiet.send("PONG :irc.test\r\n");
    assert_eq!(quiet.next(), "PING :irc.test");
    // No answer this time.
    assert_eq!(
        quiet.next(),
        "ERROR :Closing Link: 127.0.0.1 (Ping timeout)"
    );
    assert_eq!(read_to_close(&mut quiet.conn), b"");
}

#[test]
fn a_client_that_never_reads_is_cut_off_and_the_others_go_on() {
    // Flood control off: Alice must send megabytes to fill the sleeper's buffers.
    let server = start(&["--penalty-ms", "0"]);
    let mut alice = User::registered(&server, "alice");
    alice.send("JOIN #flood\r\n");
    alice.until(" 366 ");
    let mut sleeper = User::connect_small(&server);
    sleeper.send("NICK sleeper\r\nUSER sleeper 0 * :zzz\r\n");
    sleeper.until(" 376 ");
    sleeper.send("JOIN #flood\r\n");
    sleeper.until(" 366 ");
    alice.until("sleeper!sleeper@127.0.0.1 JOIN");
    // The sleeper stops reading. Alice talks until the sleeper's socket buffers and its
    // outbox are full; then the server cuts the sleeper off instead of waiting.
    let line = format!("PRIVMSG #flood :{}\r\n", "z".repeat(400));
    // Some megabytes fill the kernel's buffers on both sides first: allow more than the
    // usual patience on a busy machine.
    let deadline = Instant::now() + 3 * PATIENCE;
    let mut sent = 0;
    let quit = loop {
        assert!(
            Instant::now() < deadline,
            "the sleeper was never cut off ({sent} lines)"
        );
        alice.send(&line.repeat(100)); // one write: 100 lines
        sent += 100;
        alice.send("PING :check\r\n");
        let reply = alice.next();
        if reply.contains("QUIT") {
            break reply;
        }
        assert_eq!(reply, ":irc.test PONG irc.test :check");
    };
    assert!(
        quit.starts_with(":sleeper!sleeper@127.0.0.1 QUIT :"),
        "{quit}"
    );
    drop(sleeper);
}

/// What a channel member reads while someone floods: the flood's numbers, in order,
/// and the line that ended it (the flooder's QUIT), or the end of its own connection.
fn read_flood(
    mut user: User,
    flooder: &str,
    count: usize,
) -> (Vec<usize>, String, User) {
    let mut numbers = Vec::new();
    let relayed = format!(":{flooder}!{flooder}@127.0.0.1 PRIVMSG #flood :flood ");
    let deadline = Instant::now() + 6 * PATIENCE;
    while numbers.len() < count && Instant::now() < deadline {
        let mut line = String::new();
        match user.lines.read_line(&mut line) {
            Ok(0) => return (numbers, "<closed>".into(), user),
            Err(e) => return (numbers, format!("<{e}>"), user),
            Ok(_) => {}
        }
        let line = line.trim_end().to_owned();
        match line.strip_prefix(&relayed) {
            Some(n) => numbers.push(n.parse().unwrap()),
            None => return (numbers, line, user),
        }
    }
    (numbers, "<all read>".into(), user)
}

#[test]
fn a_channel_flood_is_cut_with_excess_flood_and_the_readers_keep_their_seats() {
    let server = start(&[]);
    let mut alice = User::registered(&server, "alice");
    let mut bob = User::registered(&server, "bob");
    let mut mallory = User::registered(&server, "mallory");
    for user in [&mut alice, &mut bob, &mut mallory] {
        user.send("JOIN #flood\r\n");
        user.until(" 366 ");
    }
    alice.until("mallory!mallory@127.0.0.1 JOIN");
    bob.until("mallory!mallory@127.0.0.1 JOIN");
    // Alice and Bob read everything, each in a thread of its own.
    const FLOOD: usize = 20_000;
    let readers: Vec<_> = [alice, bob]
        .into_iter()
        .map(|user| std::thread::spawn(move || read_flood(user, "mallory", FLOOD)))
        .collect();
    // Mallory writes 20,000 lines as fast as the connection takes them.
    let flood: String = (0..FLOOD)
        .map(|n| format!("PRIVMSG #flood :flood {n}\r\n"))
        .collect();
    let mut conn = mallory.conn.try_clone().unwrap();
    let flooding = std::thread::spawn(move || {
        let _ = conn.write_all(flood.as_bytes()); // cut off on the way, most likely
    });
    let mut members = Vec::new();
    for reader in readers {
        let (numbers, end, user) = reader.join().unwrap();
        members.push(user);
        // Every line relayed, in order, none lost; then Mallory's goodbye.
        assert_eq!(numbers, (0..numbers.len()).collect::<Vec<_>>());
        assert_eq!(end, ":mallory!mallory@127.0.0.1 QUIT :Excess Flood");
        // The flood was slowed to a burst before the cut.
        assert!(numbers.len() < 20, "{} lines relayed", numbers.len());
    }
    assert_eq!(
        mallory.until("ERROR"),
        "ERROR :Closing Link: 127.0.0.1 (Excess Flood)"
    );
    flooding.join().unwrap();
    // Alice and Bob are still there, and still talk.
    let mut carol = User::registered(&server, "carol");
    carol.send("ISON alice bob mallory\r\n");
    assert_eq!(carol.next(), ":irc.test 303 carol :alice bob");
    let [mut alice, mut bob] = <[User; 2]>::try_from(members).ok().unwrap();
    alice.send("PRIVMSG #flood :that was loud\r\n");
    assert_eq!(
        bob.next(),
        ":alice!alice@127.0.0.1 PRIVMSG #flood :that was loud"
    );
}

#[test]
fn a_paste_is_slowed_to_one_line_every_two_seconds_after_a_burst() {
    let server = start(&[]);
    let mut alice = User::registered(&server, "alice");
    let mut bob = User::registered(&server, "bob");
    bob.send("JOIN #paste\r\n");
    bob.until(" 366 ");
    alice.send("JOIN #paste\r\n");
    alice.until(" 366 ");
    bob.until("alice!alice@127.0.0.1 JOIN");
    // Ten lines at once, far under the Excess Flood bound: all arrive, the last
    // ones two seconds apart.
    let paste: String = (0..10)
        .map(|n| format!("PRIVMSG #paste :line {n}\r\n"))
        .collect();
    let pasted = Instant::now();
    alice.send(&paste);
    let mut arrived = Vec::new();
    for n in 0..10 {
        assert_eq!(
            bob.next(),
            format!(":alice!alice@127.0.0.1 PRIVMSG #paste :line {n}")
        );
        arrived.push(pasted.elapsed());
    }
    // Registration and JOIN used three of the burst; the first lines come at once
    // (generous bounds: the machine may be busy), the last ones 2 s apart.
    assert!(arrived[2] < Duration::from_secs(5), "{arrived:?}");
    let gap = arrived[9] - arrived[7];
    assert!(gap >= Duration::from_millis(3500), "{arrived:?}");
    assert!(
        arrived[9] - arrived[2] >= Duration::from_secs(10),
        "{arrived:?}"
    );
}

#[test]
fn running_out_of_file_descriptors_is_survived() {
    // 16 descriptors: a handful of clients exhaust them (each costs three).
    let prlimit = require_tool("prlimit");
    let mut command = Command::new(prlimit);
    command.args([
        "--nofile=16:16",
        SERVER,
        "--port",
        "0",
        "--name",
        "irc.test",
    ]);
    let server = Server::spawn(command);
    let crowd: Vec<TcpStream> = (0..12)
        .map(|i| {
            let mut conn = server.connect();
            let _ = conn
                .write_all(format!("NICK u{i}\r\nUSER u 0 * :u\r\n").as_bytes());
            conn
        })
        .collect();
    // The crowd stays until the server has run out (and said so)...
    server.wait_for_stderr("Too many open files");
    drop(crowd);
    // ...and once it is gone, descriptors are free again and a newcomer is served.
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut user = User::connect(&server);
        user.send("NICK late\r\nUSER late 0 * :Late\r\n");
        let mut first = String::new();
        if user.lines.read_line(&mut first).is_ok() && first.contains(" 001 late ")
        {
            break;
        }
        assert!(Instant::now() < deadline, "never served again: {first:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_full_server_says_so() {
    let server = start(&["--max-clients", "1"]);
    let _first = User::registered(&server, "first");
    let mut second = server.connect();
    assert_eq!(
        read_to_close(&mut second),
        b"ERROR :Closing Link: 127.0.0.1 (Server is full)\r\n"
    );
}

#[test]
fn over_ipv6_too() {
    let server = start(&["--host", "::1"]);
    let mut user = User::connect(&server);
    user.send("NICK six\r\nUSER six 0 * :Six\r\n");
    assert!(user.next().ends_with("six!six@::1"));
}

#[test]
fn a_port_in_use_is_one_clear_line() {
    let server = start(&[]);
    let port = server.addr.port().to_string();
    testkit::assert_port_in_use_error(SERVER, &port, &[]);
}

#[test]
fn sigterm_tells_every_client_the_server_is_shutting_down_then_exits_0() {
    let mut server = start(&["--grace", "10"]);
    let mut alice = User::registered(&server, "alice");
    let mut bob = User::registered(&server, "bob");
    let mut stranger = User::connect(&server); // connected, never registered
    stranger.send("PING hello\r\n");
    stranger.until("PONG");
    alice.send("JOIN #last\r\n");
    alice.until(" 366 ");
    bob.send("JOIN #last\r\n");
    bob.until(" 366 ");
    bob.send("PRIVMSG #last :see you\r\n");
    assert_eq!(
        alice.until("PRIVMSG"),
        ":bob!bob@127.0.0.1 PRIVMSG #last :see you"
    );
    let signalled = Instant::now();
    server.signal(netkit::Signal::SIGTERM as i32);
    let goodbye = "ERROR :Closing Link: 127.0.0.1 (Server shutting down)";
    for (who, user) in [
        ("alice", &mut alice),
        ("bob", &mut bob),
        ("stranger", &mut stranger),
    ] {
        // The goodbye comes next (no QUITs of the others before it), then the end.
        assert_eq!(user.next(), goodbye, "{who}");
        assert_eq!(read_to_close(&mut user.conn), b"", "{who}");
    }
    let status = server.wait_for_exit();
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(signalled.elapsed() < Duration::from_secs(5));
    // stderr is collected by another thread: wait for each line, bounded.
    server.wait_for_stderr("SIGTERM: no new connections");
    server.wait_for_stderr("told 3 client(s)");
    // Each client's line in the log says why it went: the server stopped (not
    // that the connection closed, which is how its reader saw it).
    server.wait_for_stderr_count(": gone (Server shutting down)", 3);
    server.wait_for_stderr("every client has finished");
}

#[test]
fn with_no_client_sigint_ends_the_server_at_once_with_status_0() {
    let mut server = start(&[]);
    server.signal(netkit::Signal::SIGINT as i32);
    assert_eq!(server.wait_for_exit().code(), Some(0));
}

/// A terminal IRC client, WeeChat, running headless: it connects, joins `#tea` as
/// `nick`, logs every buffer to files, and takes commands through its FIFO.
struct WeeChat {
    dir: std::path::PathBuf,
    fifo: std::path::PathBuf,
    _running: testkit::Running,
}

impl WeeChat {
    fn start(server: &Server, nick: &str) -> WeeChat {
        let weechat = require_tool("weechat-headless");
        let dir = std::env::temp_dir()
            .join(format!("irc_server-weechat-{nick}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let port = server.addr.port();
        let setup = format!(
            "/set logger.file.flush_delay 0;/server add t 127.0.0.1/{port} -notls;\
             /set irc.server.t.nicks {nick};/set irc.server.t.autojoin #tea;/connect t"
        );
        let mut command = Command::new(weechat);
        command.arg("--dir").arg(&dir).args(["-r", &setup]);
        let running = testkit::Running::spawn(command);
        // The FIFO is named after WeeChat's process id.
        let fifo = dir.join(format!("weechat_fifo_{}", running.pid()));
        let client = WeeChat {
            dir,
            fifo,
            _running: running,
        };
        client.wait_for(
            "irc.t.#tea",
            &format!("{nick} (root@127.0.0.1) has joined #tea"),
        );
        client
    }

    /// Waits (bounded) until the log of `buffer` has a line containing `needle`.
    fn wait_for(&self, buffer: &str, needle: &str) -> String {
        let path = self.dir.join("logs").join(format!("{buffer}.weechatlog"));
        let deadline = Instant::now() + 3 * PATIENCE;
        loop {
            let log = std::fs::read_to_string(&path).unwrap_or_default();
            if let Some(line) = log.lines().find(|l| l.contains(needle)) {
                return line.to_owned();
            }
            if Instant::now() > deadline {
                let logs: Vec<_> = std::fs::read_dir(self.dir.join("logs"))
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.file_name())
                    .collect();
                panic!(
                    "{buffer} never showed {needle:?}:\n{log}\n(logs: {logs:?})"
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The whole log of `buffer`.
    fn log(&self, buffer: &str) -> String {
        let path = self.dir.join("logs").join(format!("{buffer}.weechatlog"));
        std::fs::read_to_string(path).unwrap_or_default()
    }

    /// Types `text` into `buffer`, as if at WeeChat's prompt.
    fn type_in(&self, buffer: &str, text: &str) {
        std::fs::write(&self.fifo, format!("{buffer} *{text}\n")).unwrap();
    }
}

impl Drop for WeeChat {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn two_weechat_users_join_see_the_topic_and_names_and_talk() {
    let server = start(&[]);
    let alice = WeeChat::start(&server, "alice");
    // Alice created the channel: she is its operator.
    alice.wait_for("irc.t.#tea", "Channel #tea: 1 nick (1 op, 0 normals)");
    alice.type_in("irc.t.#tea", "/topic Tea for two");
    alice.wait_for(
        "irc.t.#tea",
        "alice has changed topic for #tea to \"Tea for two\"",
    );

    let bob = WeeChat::start(&server, "bob");
    bob.wait_for("irc.t.#tea", "Topic for #tea is \"Tea for two\"");
    bob.wait_for("irc.t.#tea", "Topic set by alice (root@127.0.0.1)");
    bob.wait_for("irc.t.#tea", "Channel #tea: 2 nicks (1 op, 1 normal)");
    alice.wait_for("irc.t.#tea", "bob (root@127.0.0.1) has joined #tea");

    alice.type_in("irc.t.#tea", "hello bob");
    assert!(
        bob.wait_for("irc.t.#tea", "hello bob")
            .ends_with("\t@alice\thello bob")
    );
    bob.type_in("irc.t.#tea", "hi alice");
    assert!(
        alice
            .wait_for("irc.t.#tea", "hi alice")
            .ends_with("\tbob\thi alice")
    );
    bob.type_in("irc.t.#tea", "/names");
    bob.wait_for("irc.t.#tea", "Nicks #tea: [@alice bob]");
    bob.type_in("irc.server.t", "/whois alice");
    bob.wait_for("irc.server.t", "[alice] @#tea");
    alice.type_in("irc.server.t", "/away tea break");
    alice.wait_for("irc.server.t", "You have been marked as being away");
    bob.type_in("irc.t.#tea", "/query alice are you there?");
    bob.wait_for("irc.t.alice", "is away: tea break");

    // The welcome ended with the message of the day, and nothing either client
    // sent on the way was an unknown command.
    for client in [&alice, &bob] {
        let log = client.log("irc.server.t");
        assert!(log.contains("End of /MOTD command."), "{log}");
        assert!(!log.contains("Unknown command"), "{log}");
    }
}
