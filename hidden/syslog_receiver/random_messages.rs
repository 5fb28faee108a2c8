//! Hidden: random messages, built here from their parts so that the expected line is
//! known (every PRI, malformed PRIs, RFC 5424 headers with and without each field,
//! structured data with `]` and `\"` inside quotes, a BOM, control characters, line ends),
//! and `logger` with random priorities, tags, ids, message ids and structured data.

use std::net::UdpSocket;

use testkit::probe::Rng;
use testkit::{Server, require_tool, run};

const RECEIVER: &str = env!("CARGO_BIN_EXE_syslog_receiver");

const FACILITIES: [&str; 24] = [
    "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
    "ftp", "ntp", "audit", "alert", "clock", "local0", "local1", "local2", "local3", "local4",
    "local5", "local6", "local7",
];
const SEVERITIES: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

fn name(pri: usize) -> String {
    format!("{}.{}", FACILITIES[pri / 8], SEVERITIES[pri % 8])
}

fn words(rng: &mut Rng, most: usize) -> String {
    let count = rng.range(1, most);
    (0..count)
        .map(|_| rng.word(1, 8))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Free text with perhaps a control character inside: (what is sent, what is shown).
fn text(rng: &mut Rng) -> (String, String) {
    let (a, b) = (words(rng, 3), words(rng, 3));
    let (sent, shown) = *rng.pick(&[
        (" ", " "),
        ("\t", "\\t"),
        ("\n", "\\n"),
        ("\x1b[31m", "\\x1b[31m"),
        ("\x07", "\\x07"),
    ]);
    (format!("{a}{sent}{b}"), format!("{a}{shown}{b}"))
}

/// A random RFC 5424 body (after the PRI): (what is sent, what is shown).
fn rfc5424(rng: &mut Rng) -> (String, String) {
    let timestamp = if rng.chance(80) {
        format!(
            "2026-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            rng.range(1, 12),
            rng.range(1, 28),
            rng.range(0, 23),
            rng.range(0, 59),
            rng.range(0, 59),
            rng.range(0, 999)
        )
    } else {
        "-".to_owned()
    };
    let host = if rng.chance(80) {
        rng.word(2, 10)
    } else {
        "-".to_owned()
    };
    let app = rng.word(2, 10);
    let procid = if rng.chance(50) {
        rng.range(1, 99999).to_string()
    } else {
        "-".to_owned()
    };
    let msgid = if rng.chance(50) {
        rng.word(2, 6).to_uppercase()
    } else {
        "-".to_owned()
    };
    let sd = if rng.chance(40) {
        "-".to_owned()
    } else {
        let count = rng.range(1, 3);
        (0..count)
            .map(|_| {
                let value = match rng.range(0, 2) {
                    0 => rng.word(0, 6),
                    1 => format!("{}]{}", rng.word(1, 4), rng.word(1, 4)),
                    _ => format!("{}\\\"{}\\]", rng.word(1, 4), rng.word(1, 4)),
                };
                format!(
                    "[{}@{} {}=\"{value}\"]",
                    rng.word(2, 6),
                    rng.range(1, 60000),
                    rng.word(1, 5)
                )
            })
            .collect()
    };
    let (message, shown_message) = match rng.range(0, 3) {
        0 => (String::new(), String::new()),
        1 => {
            let (m, s) = text(rng);
            (format!("\u{FEFF}{m}"), s)
        }
        _ => text(rng),
    };
    let sent = if message.is_empty() && rng.chance(50) {
        format!("1 {timestamp} {host} {app} {procid} {msgid} {sd}")
    } else {
        format!("1 {timestamp} {host} {app} {procid} {msgid} {sd} {message}")
    };
    let procid = if procid == "-" {
        String::new()
    } else {
        format!("[{procid}]")
    };
    let shown = format!("{timestamp} {host} {app}{procid}: {shown_message}");
    (sent, shown)
}

/// A random datagram: (bytes, the line expected without the sender).
fn datagram(rng: &mut Rng) -> (Vec<u8>, String) {
    let end = *rng.pick(&["", "\n", "\r\n", "\0", "\n\n"]);
    match rng.range(0, 5) {
        // A valid PRI and plain text.
        0 | 1 => {
            let pri = rng.range(0, 191);
            let (sent, shown) = text(rng);
            (
                format!("<{pri}>{sent}{end}").into_bytes(),
                format!("{} {shown}", name(pri)),
            )
        }
        // A valid PRI and an RFC 5424 header.
        2 | 3 => {
            let pri = rng.range(0, 191);
            let (sent, shown) = rfc5424(rng);
            (
                format!("<{pri}>{sent}{end}").into_bytes(),
                format!("{} {shown}", name(pri)),
            )
        }
        // A malformed PRI: the whole message is user.notice.
        _ => {
            let pri = match rng.range(0, 5) {
                0 => format!("<{}>", rng.range(192, 999)),
                1 => format!("<0{}>", rng.range(0, 99)),
                2 => "<>".to_owned(),
                3 => format!("<{}>", rng.range(1000, 99999)),
                4 => format!("<{}", rng.range(0, 191)),
                _ => format!("{}>", rng.range(0, 191)),
            };
            let body = words(rng, 4);
            (
                format!("{pri}{body}{end}").into_bytes(),
                format!("user.notice {pri}{body}"),
            )
        }
    }
}

#[test]
fn random_datagrams_are_shown_exactly() {
    let server = Server::start(RECEIVER, &["--port", "0"]);
    for seed in [3, 17, 2026] {
        let mut rng = Rng::new(seed);
        let peer = server.udp_peer();
        let prefix = format!("{} ", peer.local_addr().unwrap());
        for i in 0..60 {
            let (bytes, expected) = datagram(&mut rng);
            peer.send(&bytes).unwrap();
            let line = server.next_stdout_line().expect("a line for the datagram");
            assert_eq!(
                line,
                format!("{prefix}{expected}"),
                "seed {seed}, datagram {i}: {}\nleft: printed; right: expected",
                String::from_utf8_lossy(&bytes).escape_debug()
            );
        }
    }
}

#[test]
fn senders_are_told_apart() {
    let server = Server::start(RECEIVER, &["--port", "0"]);
    let mut rng = Rng::new(99);
    let peers: Vec<UdpSocket> = (0..4).map(|_| server.udp_peer()).collect();
    for _ in 0..20 {
        let peer = rng.pick(&peers);
        let pri = rng.range(0, 191);
        let body = words(&mut rng, 4);
        peer.send(format!("<{pri}>{body}").as_bytes()).unwrap();
        assert_eq!(
            server.next_stdout_line().unwrap(),
            format!("{} {} {body}", peer.local_addr().unwrap(), name(pri))
        );
    }
}

#[test]
fn logger_with_random_priorities_tags_and_structured_data() {
    let logger = require_tool("logger");
    let server = Server::start(RECEIVER, &["--port", "0"]);
    let port = server.addr.port().to_string();
    let mut rng = Rng::new(514);
    // The facilities logger knows by name (it sends kern as user, so not that one).
    let facilities: Vec<usize> = (1..=11).chain(16..=23).collect();
    for i in 0..12 {
        let pri = rng.pick(&facilities) * 8 + rng.range(0, 7);
        let tag = rng.word(2, 12);
        let id = rng.range(1, 99999).to_string();
        let message = words(&mut rng, 6);
        let id_arg = format!("--id={id}");
        let priority = name(pri);
        let mut args = vec![
            "--server",
            "127.0.0.1",
            "--port",
            &port,
            "--udp",
            "-p",
            &priority,
            "-t",
            &tag,
            &id_arg,
        ];
        let msgid = rng.word(2, 8).to_uppercase();
        let sd_id = format!("{}@{}", rng.word(2, 6), rng.range(1, 60000));
        let sd_param = format!("{}=\"{}\"", rng.word(1, 5), rng.word(0, 8));
        let bare = i % 3 == 0;
        if bare {
            args.push("--rfc5424=notime,nohost,notq");
        }
        if rng.chance(50) {
            args.extend(["--msgid", &msgid]);
        }
        if rng.chance(50) {
            args.extend(["--sd-id", &sd_id, "--sd-param", &sd_param]);
        }
        args.push(&message);
        let out = run(logger.to_str().unwrap(), &args, b"");
        assert_eq!(out.code(), Some(0), "logger {args:?}: {out:?}");
        let line = server
            .next_stdout_line()
            .expect("a line for logger's message");
        let (peer, rest) = line.split_once(' ').unwrap();
        assert!(peer.starts_with("127.0.0.1:"), "{line:?}");
        let tail = format!("{tag}[{id}]: {message}");
        if bare {
            assert_eq!(rest, format!("{priority} - - {tail}"), "logger {args:?}");
        } else {
            // PRIORITY TIMESTAMP HOST TAG[ID]: MESSAGE
            let fields: Vec<&str> = rest.splitn(4, ' ').collect();
            assert!(
                fields.len() == 4
                    && fields[0] == priority
                    && fields[1].starts_with("20")
                    && fields[1].contains('T')
                    && fields[3] == tail,
                "logger {args:?}: expected `{priority} TIMESTAMP HOST {tail}`, got {rest:?}"
            );
        }
    }
}
