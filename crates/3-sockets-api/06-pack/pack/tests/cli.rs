//! The pack program as a black box: the demo, and chat packets sent by nc and by `pack send`.

use std::io::Write;
use std::thread;
use std::time::Duration;

use testkit::{Server, require_tool, run};

const PACK: &str = env!("CARGO_BIN_EXE_pack");

#[test]
fn the_demo_shows_beejs_values_packed_and_unpacked() {
    let out = run(PACK, &["demo"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    // 'B', 0, 37, -5 as c h h l, then the string's length (50 = 0x32) and its first bytes.
    assert!(
        out.stdout
            .contains("\t0x0000:  4200 0000 25ff ffff fb00 3247 7265 6174  B...%.....2Great\n"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("is 69 bytes:"));
    assert!(out.stdout.contains("gave back [I8(66), I16(0), I16(37), I32(-5), Str(\"Great unmitigated Zot! You've found the Runestaff!\"), F64(-3490.6677)]"));
}

#[test]
fn a_packet_typed_with_printf_and_nc_is_printed() {
    let server = Server::start(PACK, &["listen", "--port", "0"]);
    let nc = require_tool("nc");
    let port = server.addr.port().to_string();
    // len=10, "tom" padded to 8 bytes, "Hi": the guide's example, then a second packet.
    let bytes = b"\x0atom\0\0\0\0\0Hi\x0dbeej\0\0\0\0hello";
    let out = run(nc.to_str().unwrap(), &["-N", "127.0.0.1", &port], bytes);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(server.next_stdout_line().as_deref(), Some("tom: Hi"));
    assert_eq!(server.next_stdout_line().as_deref(), Some("beej: hello"));
}

#[test]
fn a_packet_trickling_in_byte_by_byte_is_reassembled() {
    let server = Server::start(PACK, &["listen", "--port", "0"]);
    let mut conn = server.connect();
    conn.set_nodelay(true).unwrap();
    for byte in pack::chat::encode("slow", b"one byte at a time").unwrap() {
        conn.write_all(&[byte]).unwrap();
        thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(
        server.next_stdout_line().as_deref(),
        Some("slow: one byte at a time")
    );
}

#[test]
fn a_client_that_closes_in_the_middle_of_a_packet_is_said_to_have_left_bytes() {
    let server = Server::start(PACK, &["listen", "--port", "0"]);
    // A whole packet, then a client closing cleanly after whole packets: nothing dropped.
    let mut whole = server.connect();
    whole
        .write_all(&pack::chat::encode("tom", b"Hi").unwrap())
        .unwrap();
    assert_eq!(server.next_stdout_line().as_deref(), Some("tom: Hi"));
    drop(whole);
    server.wait_for_stderr(": closed");
    // Then 5 bytes of a packet, and the close.
    let mut half = server.connect();
    let packet = pack::chat::encode("ann", b"unfinished").unwrap();
    half.write_all(&packet[..5]).unwrap();
    drop(half);
    let log = server.wait_for_stderr("(5 bytes of an unfinished packet dropped)");
    assert_eq!(log.matches("unfinished packet dropped").count(), 1, "{log}");
}

#[test]
fn pack_send_talks_to_pack_listen_and_a_bad_client_costs_only_itself() {
    let server = Server::start(PACK, &["listen", "--port", "0"]);
    let port = server.addr.port().to_string();
    let mut bad = server.connect();
    bad.write_all(&[200, 1, 2, 3]).unwrap(); // length 200: impossible
    let out = run(
        PACK,
        &["send", "--port", &port, "--name", "tom", "Hi", "there"],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let out = run(
        PACK,
        &["send", "--port", &port, "--name", "ann"],
        b"line one\nline two\n",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let lines: Vec<String> = (0..3).filter_map(|_| server.next_stdout_line()).collect();
    assert_eq!(lines, ["tom: Hi there", "ann: line one", "ann: line two"]);
    server.wait_for_stderr("dropped: length byte 200 is impossible");
}

#[test]
fn mistakes_are_one_line_errors() {
    let out = run(
        PACK,
        &["send", "--port", "1", "--name", "much-too-long", "x"],
        b"",
    );
    assert_eq!(out.code(), Some(1));
    assert_eq!(out.stderr, "pack: a name has at most 8 bytes, not 13\n");
    let closed = testkit::closed_port().to_string();
    let out = run(
        PACK,
        &["send", "--port", &closed, "--name", "tom", "x"],
        b"",
    );
    assert_eq!(out.code(), Some(1));
    assert!(
        out.stderr
            .starts_with("pack: nothing is listening on 127.0.0.1:"),
        "{out:?}"
    );
    let out = run(
        PACK,
        &["send", "--port", &closed, "--name", "tom", &"x".repeat(129)],
        b"",
    );
    assert_eq!(
        out.stderr,
        "pack: a message has at most 128 bytes, not 129\n"
    );
}

#[test]
fn control_characters_in_a_packet_are_escaped_not_sent_to_the_terminal() {
    let server = Server::start(PACK, &["listen", "--port", "0"]);
    let mut conn = server.connect();
    // A name with an escape byte, a text that would clear the screen, start a new
    // (forged) line and ring the bell.
    let packet = pack::chat::encode("ev\x1bl", b"hi\x1b[2J\r\nroot: forged\x07").unwrap();
    conn.write_all(&packet).unwrap();
    assert_eq!(
        server.next_stdout_line().as_deref(),
        Some("ev\\x1bl: hi\\x1b[2J\\r\\nroot: forged\\x07")
    );
}

#[test]
fn past_max_clients_a_client_is_told_the_server_is_busy_then_served_when_one_leaves() {
    let server = Server::start(PACK, &["listen", "--port", "0", "--max-clients", "2"]);
    let first = server.connect();
    let mut second = server.connect();
    let mut third = server.connect();
    assert_eq!(
        testkit::read_to_close(&mut third),
        b"server busy: 2 clients connected; try again later\n"
    );
    server.wait_for_stderr("turned away, 2 clients already connected");
    // The two inside are served as usual.
    second
        .write_all(&pack::chat::encode("two", b"still here").unwrap())
        .unwrap();
    assert_eq!(
        server.next_stdout_line().as_deref(),
        Some("two: still here")
    );
    // When one leaves, its place is free again.
    drop(first);
    server.wait_for_stderr(": closed");
    let mut fourth = server.connect();
    fourth
        .write_all(&pack::chat::encode("four", b"let in").unwrap())
        .unwrap();
    assert_eq!(server.next_stdout_line().as_deref(), Some("four: let in"));
}

fn c_peer(name: &str) -> String {
    let source =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/peers/{name}.c"));
    testkit::compile_c(&source, env!("CARGO_TARGET_TMPDIR"))
        .to_string_lossy()
        .into_owned()
}

// ANCHOR: fixed_against_c
#[test]
fn fixed_point_floats_are_the_same_bits_and_values_as_the_c_code() {
    let out = run(PACK, &["fixed"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "Original: 3.141593\n Network: 0x0003243F\nUnpacked: 3.141586\n"
    );
    let values = [
        "3.1415926",
        "0",
        "1",
        "-1",
        "0.5",
        "-2.25",
        "1e-5",
        "0.1",
        "-0.1",
        "123.456",
        "32767.99",
        "-32767.5",
        "40000",
        "65536.75",
        "-99999.125",
        "2.718281828",
    ];
    let c = run(&c_peer("fixed"), &values, b"");
    let mut args = vec!["fixed"];
    args.extend(values);
    let ours = run(PACK, &args, b"");
    assert_eq!(c.code(), Some(0), "{c:?}");
    assert_eq!(ours.stdout, c.stdout);
}
// ANCHOR_END: fixed_against_c

#[test]
fn htonll_lays_out_the_bytes_as_the_c_code_does() {
    let c = run(&c_peer("fixed"), &["-ll", "0x0102030405060708"], b"");
    let ours = run(PACK, &["htonll", "0x0102030405060708"], b"");
    assert_eq!(ours.code(), Some(0), "{ours:?}");
    let field = |text: &str, name: &str| -> String {
        let line = text.lines().find(|l| l.starts_with(name)).unwrap();
        line[name.len()..]
            .trim_start()
            .split("   ")
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(field(&ours.stdout, "in memory"), field(&c.stdout, "memory"));
    assert_eq!(field(&ours.stdout, "htonll"), field(&c.stdout, "htonll"));
    assert_eq!(field(&ours.stdout, "htonll"), "01 02 03 04 05 06 07 08");
    assert!(ours.stdout.contains("ntohll back  0x0102030405060708"));
    let bad = run(PACK, &["htonll", "0xnothex"], b"");
    assert_eq!(bad.code(), Some(2));
    assert_eq!(bad.stderr.lines().count(), 1, "{bad:?}");
}
