//! listener as a black box: the talker, nc and a raw socket send it one datagram each.

use testkit::{Server, require_tool, run, sibling_binary};

const LISTENER: &str = env!("CARGO_BIN_EXE_listener");

fn start(host: &str) -> Server {
    let server = Server::start(LISTENER, &["--host", host, "--port", "0"]);
    assert_eq!(
        server.next_stdout_line().as_deref(),
        Some("listener: waiting to recvfrom...")
    );
    server
}

/// The three lines listener.c prints for one datagram, then the exit.
fn expect_packet(mut server: Server, from: &str, contents: &str) {
    let lines: Vec<String> = (0..3).filter_map(|_| server.next_stdout_line()).collect();
    assert_eq!(
        lines,
        [
            format!("listener: got packet from {from}"),
            format!("listener: packet is {} bytes long", contents.len()),
            format!("listener: packet contains \"{contents}\""),
        ]
    );
    assert!(
        server.wait_for_exit().success(),
        "{}",
        server.stderr_so_far()
    );
}

fn talk(host: &str, port: u16, message: &str) -> String {
    let talker = sibling_binary(LISTENER, "talker");
    let out = run(
        &talker,
        &["--host", host, "--port", &port.to_string(), message],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    out.stdout
}

#[test]
fn the_talker_reaches_the_listener_over_ipv4() {
    let server = start("127.0.0.1");
    let said = talk("127.0.0.1", server.addr.port(), "hello, listener");
    assert_eq!(said, "talker: sent 15 bytes to 127.0.0.1\n");
    expect_packet(server, "127.0.0.1", "hello, listener");
}

#[test]
fn the_talker_reaches_the_listener_over_ipv6() {
    let server = start("::1");
    let said = talk("::1", server.addr.port(), "over six");
    assert_eq!(said, "talker: sent 8 bytes to ::1\n");
    expect_packet(server, "::1", "over six");
}

#[test]
fn a_listener_on_the_ipv6_wildcard_hears_ipv4_as_a_mapped_address() {
    // Linux lets an AF_INET6 socket bound to :: receive IPv4 too (IPV6_V6ONLY is off by
    // default); the sender then shows up as ::ffff:127.0.0.1.
    let server = start("::");
    talk("127.0.0.1", server.addr.port(), "from four");
    expect_packet(server, "::ffff:127.0.0.1", "from four");
}

#[test]
fn nc_as_the_talker() {
    let server = start("127.0.0.1");
    let nc = require_tool("nc");
    let port = server.addr.port().to_string();
    let out = run(
        nc.to_str().unwrap(),
        &["-u", "-w", "1", "127.0.0.1", &port],
        b"typed into nc",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    expect_packet(server, "127.0.0.1", "typed into nc");
}

#[test]
fn a_datagram_longer_than_the_buffer_is_cut_to_99_bytes() {
    let mut server = start("127.0.0.1");
    let long = "x".repeat(150);
    server.udp_peer().send(long.as_bytes()).unwrap();
    assert_eq!(
        server.next_stdout_line().as_deref(),
        Some("listener: got packet from 127.0.0.1")
    );
    assert_eq!(
        server.next_stdout_line().as_deref(),
        Some("listener: packet is 99 bytes long")
    );
    assert_eq!(
        server.next_stdout_line(),
        Some(format!("listener: packet contains \"{}\"", &long[..99]))
    );
    assert!(server.wait_for_exit().success());
}

#[test]
fn datagram_boundaries_are_kept_and_only_the_first_is_read() {
    let server = start("127.0.0.1");
    let peer = server.udp_peer();
    peer.send(b"first").unwrap();
    peer.send(b"second").unwrap();
    expect_packet(server, "127.0.0.1", "first");
}

#[test]
fn a_port_in_use_is_one_line_and_status_1() {
    let server = start("127.0.0.1");
    let port = server.addr.port().to_string();
    testkit::assert_port_in_use_error(LISTENER, &port, &[]);
}
