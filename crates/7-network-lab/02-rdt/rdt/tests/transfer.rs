//! rdt as a user runs it, over loopback: a receiver started with `--port 0`, a sender
//! pointed at it, the file compared afterwards. Both sides lose and damage their own
//! packets on purpose (seeded), so every transfer needs the protocol's repairs.

use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::thread;
use std::time::{Duration, Instant};

use testkit::{Running, Server, noise, require_tool, run};

const RDT: &str = env!("CARGO_BIN_EXE_rdt");

/// The longest a whole transfer may take here (a debug build, a busy machine).
const TRANSFER_LIMIT: Duration = Duration::from_secs(90);

/// A folder of this test's own for its files.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("rdt")
        .join(format!("{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits (at most `limit`) for `program` to exit by itself.
fn exit_within(program: &mut Running, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    while program.is_running() {
        assert!(
            Instant::now() < deadline,
            "{} still running after {limit:?}; stderr:\n{}",
            program.description(),
            program.stderr_so_far()
        );
        thread::sleep(Duration::from_millis(20));
    }
    program.wait_for_exit()
}

/// The SHA-256 of each file, computed by Python's hashlib.
fn sha256(files: &[&Path]) -> Vec<String> {
    let python = require_tool("python3");
    let mut args = vec![
        "-c".to_owned(),
        "import hashlib, sys\nfor f in sys.argv[1:]: print(hashlib.sha256(open(f, 'rb').read()).hexdigest())"
            .to_owned(),
    ];
    args.extend(files.iter().map(|f| f.to_string_lossy().into_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(python.to_str().unwrap(), &args, b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    out.stdout.lines().map(str::to_owned).collect()
}

/// What the sender printed and how it ended.
struct Sent {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

/// `rdt send FILE --port PORT ARGS`, to its end.
fn send(file: &Path, port: u16, args: &[&str]) -> Sent {
    let port = port.to_string();
    let mut all = vec!["send", file.to_str().unwrap(), "--port", &port];
    all.extend(args);
    let mut sender = Running::start(RDT, &all);
    let status = exit_within(&mut sender, TRANSFER_LIMIT);
    Sent {
        status,
        stdout: sender.remaining_lines().join("\n"),
        stderr: sender.stderr_so_far(),
    }
}

/// A number after `word` in `text`: `42` from "... 42 timeouts" with word "timeouts".
fn count_before(text: &str, word: &str) -> u64 {
    let words: Vec<&str> = text.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| w.trim_matches(|c: char| !c.is_alphanumeric()) == word)
        .unwrap_or_else(|| panic!("no `{word}` in {text:?}"));
    words[at - 1]
        .trim_start_matches('(')
        .parse()
        .unwrap_or_else(|_| panic!("no number before `{word}` in {text:?}"))
}

/// A mebibyte of random bytes through `protocol`, both sides losing 20 % and damaging
/// 2 % of what they send.
fn a_mebibyte_at_twenty_percent_loss(protocol: &str, test: &str) {
    let dir = scratch(test);
    let input = dir.join("in.bin");
    let output = dir.join("out.bin");
    std::fs::write(&input, noise(1 << 20, 0x5eed)).unwrap();
    let dice = ["--loss", "20", "--corrupt", "2"];
    let out_arg = output.to_str().unwrap();
    let mut receiver = Server::start(
        RDT,
        &[
            &[
                "receive", "--port", "0", "--out", out_arg, "--seed", "11",
                "--linger", "300",
            ],
            &dice[..],
        ]
        .concat(),
    );
    let sent = send(
        &input,
        receiver.addr.port(),
        &[
            &[
                "--protocol",
                protocol,
                "--window",
                "8",
                "--timeout",
                "2",
                "--seed",
                "12",
            ],
            &dice[..],
        ]
        .concat(),
    );
    assert!(
        sent.status.success(),
        "{protocol}: sender failed: {}\n{}",
        sent.stdout,
        sent.stderr
    );
    assert!(
        exit_within(&mut receiver, TRANSFER_LIMIT).success(),
        "{}",
        receiver.stderr_so_far()
    );

    let hashes = sha256(&[&input, &output]);
    assert_eq!(
        hashes[0], hashes[1],
        "{protocol}: the file arrived different"
    );
    // The dice did their work, and the protocol repaired it.
    let lost = count_before(&sent.stdout, "lost");
    let again = count_before(&sent.stdout, "again");
    assert!(lost > 100 && again >= lost, "{}", sent.stdout);
    let summary = receiver.remaining_lines().join("\n");
    assert!(
        summary.starts_with("received 1048576 bytes (1024 packets)"),
        "{summary}"
    );
    assert!(count_before(&summary, "damaged") > 0, "{summary}");
}

#[test]
fn a_mebibyte_arrives_intact_by_stop_and_wait_at_20_percent_loss() {
    a_mebibyte_at_twenty_percent_loss("stop-and-wait", "saw");
}

#[test]
fn a_mebibyte_arrives_intact_by_go_back_n_at_20_percent_loss() {
    a_mebibyte_at_twenty_percent_loss("gbn", "gbn");
}

#[test]
fn a_mebibyte_arrives_intact_by_selective_repeat_at_20_percent_loss() {
    a_mebibyte_at_twenty_percent_loss("sr", "sr");
}

#[test]
fn go_back_n_throws_away_what_selective_repeat_keeps() {
    // The same loss, the two pipelined protocols: the Go-Back-N receiver drops what
    // arrives after a gap, the selective-repeat receiver keeps it.
    let dir = scratch("keep");
    let input = dir.join("in.bin");
    std::fs::write(&input, noise(200 * 1024, 3)).unwrap();
    let mut counts = Vec::new();
    for protocol in ["gbn", "sr"] {
        let output = dir.join(format!("{protocol}.bin"));
        let mut receiver = Server::start(
            RDT,
            &[
                "receive",
                "--port",
                "0",
                "--out",
                output.to_str().unwrap(),
                "--linger",
                "200",
            ],
        );
        let sent = send(
            &input,
            receiver.addr.port(),
            &[
                "--protocol",
                protocol,
                "--window",
                "16",
                "--timeout",
                "5",
                "--loss",
                "10",
                "--seed",
                "5",
            ],
        );
        assert!(sent.status.success(), "{}", sent.stderr);
        assert!(exit_within(&mut receiver, TRANSFER_LIMIT).success());
        assert_eq!(
            std::fs::read(&output).unwrap(),
            std::fs::read(&input).unwrap()
        );
        let summary = receiver.remaining_lines().join("\n");
        counts.push((
            count_before(&summary, "dropped"),
            count_before(&summary, "kept"),
        ));
    }
    let [(gbn_dropped, gbn_kept), (sr_dropped, sr_kept)] = counts[..] else {
        unreachable!()
    };
    assert!(gbn_dropped > 0 && gbn_kept == 0, "go-back-n: {counts:?}");
    assert!(
        sr_kept > 0 && sr_dropped == 0,
        "selective repeat: {counts:?}"
    );
}

#[test]
fn garbage_forgeries_and_duplicates_never_reach_the_file() {
    let python = require_tool("python3");
    let peer = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/rude_sender.py");
    let dir = scratch("rude");
    let input = dir.join("in.bin");
    let output = dir.join("out.bin");
    // Not a whole number of packets: the last one is short.
    std::fs::write(&input, noise(100 * 1024 + 333, 21)).unwrap();
    let mut receiver = Server::start(
        RDT,
        &[
            "receive",
            "--port",
            "0",
            "--out",
            output.to_str().unwrap(),
            "--linger",
            "500",
        ],
    );
    let port = receiver.addr.port().to_string();
    let mut rude = Running::start(
        python.to_str().unwrap(),
        &[peer, "127.0.0.1", &port, input.to_str().unwrap(), "7"],
    );
    let status = exit_within(&mut rude, TRANSFER_LIMIT);
    let said = rude.remaining_lines();
    assert!(status.success(), "{said:?}\n{}", rude.stderr_so_far());
    // The lingering receiver answered the repeated FIN.
    assert_eq!(
        said.last().map(String::as_str),
        Some("FINACK again"),
        "{said:?}"
    );
    assert!(exit_within(&mut receiver, Duration::from_secs(10)).success());
    assert!(
        std::fs::read(&output).unwrap() == std::fs::read(&input).unwrap(),
        "the file differs from what was sent"
    );
    let summary = receiver.remaining_lines().join("\n");
    assert!(count_before(&summary, "duplicates") > 100, "{summary}");
    assert!(count_before(&summary, "damaged") > 0, "{summary}");
    assert!(count_before(&summary, "foreign") > 0, "{summary}");
}

#[test]
fn an_empty_file_is_a_fin_and_nothing_else() {
    let dir = scratch("empty");
    let input = dir.join("empty");
    let output = dir.join("out");
    std::fs::write(&input, b"").unwrap();
    std::fs::write(&output, b"old content").unwrap();
    let mut receiver = Server::start(
        RDT,
        &[
            "receive",
            "--port",
            "0",
            "--out",
            output.to_str().unwrap(),
            "--linger",
            "100",
        ],
    );
    let sent = send(&input, receiver.addr.port(), &["--protocol", "sr"]);
    assert!(sent.status.success(), "{}", sent.stderr);
    assert!(exit_within(&mut receiver, Duration::from_secs(10)).success());
    assert_eq!(std::fs::read(&output).unwrap(), b"");
}

#[test]
fn the_sender_gives_up_when_nothing_answers() {
    // A socket that takes every datagram and answers none: no ICMP error either, so
    // only the sender's patience ends it.
    let hole = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let dir = scratch("hole");
    let input = dir.join("in.bin");
    std::fs::write(&input, noise(10_000, 1)).unwrap();
    for protocol in ["stop-and-wait", "gbn", "sr"] {
        let started = Instant::now();
        let sent = send(
            &input,
            hole.local_addr().unwrap().port(),
            &["--protocol", protocol, "--timeout", "20", "--retries", "10"],
        );
        assert_eq!(sent.status.code(), Some(1), "{protocol}: {}", sent.stderr);
        let expected = format!(
            "rdt: no answer from {} after 10 timeouts in a row",
            hole.local_addr().unwrap()
        );
        assert!(
            sent.stderr.starts_with(&expected),
            "{protocol}: {}",
            sent.stderr
        );
        assert_eq!(sent.stderr.lines().count(), 1, "{}", sent.stderr);
        // At least 10 × 20 ms of silence, and not much more.
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(200), "{took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
    }
}

#[test]
fn the_sender_says_so_when_nothing_listens() {
    let port = testkit::closed_udp_port();
    let dir = scratch("closed");
    let input = dir.join("in.bin");
    std::fs::write(&input, b"hello").unwrap();
    let sent = send(&input, port, &["--protocol", "gbn"]);
    assert_eq!(sent.status.code(), Some(1));
    assert_eq!(
        sent.stderr,
        format!(
            "rdt: nothing is listening on 127.0.0.1:{port}; start the receiver first, or \
             check --host and --port\n"
        )
    );
}

#[test]
fn the_receiver_gives_up_on_a_sender_that_goes_silent() {
    let dir = scratch("silent");
    let output = dir.join("out");
    let mut receiver = Server::start(
        RDT,
        &[
            "receive",
            "--port",
            "0",
            "--out",
            output.to_str().unwrap(),
            "--idle",
            "1",
        ],
    );
    // The rude sender's first packet, by hand: a DATA 0 of stop-and-wait, "hi".
    let mut packet = vec![1, 1, 0, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, b'h', b'i'];
    let crc = rdt::packet::crc32(&packet);
    packet[10..14].copy_from_slice(&crc.to_be_bytes());
    let peer = receiver.udp_peer();
    peer.send(&packet).unwrap();
    let mut ack = [0u8; 64];
    let n = peer.recv(&mut ack).expect("an ACK for DATA 0");
    assert_eq!(&ack[..2], [2, 1], "an ACK of stop-and-wait");
    assert_eq!(&ack[4..8], [0, 0, 0, 0], "for bit 0");
    assert_eq!(n, 14);
    let status = exit_within(&mut receiver, Duration::from_secs(10));
    assert_eq!(status.code(), Some(1));
    assert_eq!(
        receiver.stderr_so_far(),
        format!(
            "rdt: the sender went silent for 1 s; {} holds the first 2 bytes\n",
            output.display()
        )
    );
    assert_eq!(std::fs::read(&output).unwrap(), b"hi");
}

#[test]
fn mistakes_on_the_command_line_are_one_line() {
    for (args, expected) in [
        (
            &["send", "x", "--loss", "150"][..],
            "rdt: invalid value '150' for '--loss <LOSS>': `150` is not a percentage from 0 to 100 (see --help)\n",
        ),
        (
            &["send", "x", "--window", "0"][..],
            "rdt: invalid value '0' for '--window <WINDOW>': 0 is not in 1..=1024 (see --help)\n",
        ),
        (
            &["send", "/no/such/file"][..],
            "rdt: cannot read /no/such/file: No such file or directory (os error 2)\n",
        ),
        (
            &["receive", "--out", "/no/such/dir/f"][..],
            "rdt: cannot write /no/such/dir/f: No such file or directory (os error 2)\n",
        ),
    ] {
        let out = run(RDT, args, b"");
        assert_eq!(out.stderr, expected, "{args:?}");
        assert!(matches!(out.code(), Some(1 | 2)), "{args:?}");
    }
}

#[test]
fn a_port_in_use_is_one_line() {
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    testkit::assert_port_in_use_error(
        RDT,
        taken.local_addr().unwrap().port(),
        &["receive", "--out", "/dev/null"],
    );
}
