//! tcp_echo_server as a black box: started with --port 0, spoken to over loopback.

use std::io::{Read, Write};
use std::net::{Shutdown, UdpSocket};

use testkit::{Server, noise, read_to_close, require_tool, run, send_while_reading};

const SERVER: &str = env!("CARGO_BIN_EXE_tcp_echo_server");

fn start() -> Server {
    Server::start(SERVER, &["--port", "0"])
}

#[test]
fn a_multi_megabyte_stream_comes_back_byte_exact() {
    let server = start();
    let conn = server.connect();
    let sent = noise(8 << 20, 21);
    // Send from one thread while this one reads: the echo must be read as it comes.
    let echoed = send_while_reading(conn, &sent);
    assert_eq!(echoed.len(), sent.len());
    assert!(echoed == sent, "the echo differs");
}

#[test]
fn all_256_byte_values_come_back_unchanged() {
    let server = start();
    let mut conn = server.connect();
    let every_byte: Vec<u8> = (0..=255).collect();
    conn.write_all(&every_byte).unwrap();
    conn.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_close(&mut conn), every_byte);
}

#[test]
fn nc_gets_its_input_back() {
    let server = start();
    let nc = require_tool("nc");
    let port = server.addr.port().to_string();
    let out = run(
        nc.to_str().unwrap(),
        &["-N", "127.0.0.1", &port],
        b"echo me\nand me\n",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "echo me\nand me\n");
}

#[test]
fn a_client_that_resets_mid_stream_is_followed_by_one_that_is_served() {
    let server = start();
    {
        let conn = server.connect();
        (&conn).write_all(&noise(300_000, 4)).unwrap();
        testkit::reset(conn);
    }
    let mut next = server.connect();
    next.write_all(b"still there?").unwrap();
    let mut reply = [0u8; 12];
    next.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"still there?");
}

#[test]
fn ipv6_loopback_works_with_host_colon_colon_1() {
    let server = Server::start(SERVER, &["--host", "::1", "--port", "0"]);
    assert!(server.addr.is_ipv6(), "{}", server.addr);
    let mut conn = server.connect();
    conn.write_all(b"over ipv6").unwrap();
    let mut reply = [0u8; 9];
    conn.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"over ipv6");
}

#[test]
fn a_port_in_use_is_one_clear_line_and_exit_status_1() {
    let server = start();
    let port = server.addr.port().to_string();
    testkit::assert_port_in_use_error(SERVER, &port, &[]);
}

#[test]
fn a_udp_socket_on_the_same_port_number_is_no_conflict() {
    // TCP and UDP ports are separate spaces: udp_echo_server and tcp_echo_server can both
    // use 12007. The server takes a TCP port first; a UDP socket then binds the same number.
    // (Any other program on this machine could hold that UDP port by chance: try a few.)
    for _ in 0..10 {
        let server = start();
        match UdpSocket::bind(server.addr) {
            Ok(udp) => {
                assert_eq!(udp.local_addr().unwrap().port(), server.addr.port());
                return;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
            Err(e) => panic!("binding UDP {}: {e}", server.addr),
        }
    }
    panic!("ten UDP ports in a row were taken");
}

#[test]
fn a_python_echo_client_reads_the_echo_in_a_loop() {
    let server = start();
    let python = require_tool("python3");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/echo_client.py");
    let port = server.addr.port().to_string();
    let message = "forty bytes of message, read 16 at once.";
    assert_eq!(message.len(), 40);
    let out = run(python.to_str().unwrap(), &[script, &port, message], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    // recv(16) returns at most 16 bytes, so 40 bytes take at least three reads.
    let reads: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("received"))
        .collect();
    assert!(reads.len() >= 3, "{out:?}");
    assert!(
        out.stdout.ends_with(&format!("echoed: {message}\n")),
        "{out:?}"
    );
}
