//! Hidden: clients from seeded random addresses of 127.0.0.0/8 to others, on a server
//! listening on 0.0.0.0, asking random questions; IPv6; and nc as the client.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use testkit::{Server, noise, require_tool, run};

const SERVER: &str = env!("CARGO_BIN_EXE_who_is_there");

fn connect_from(from: SocketAddr, to: SocketAddr) -> (TcpStream, BufReader<TcpStream>) {
    let socket = Socket::new(Domain::for_address(to), Type::STREAM, None).unwrap();
    socket.bind(&from.into()).unwrap();
    socket
        .connect_timeout(&to.into(), Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("connecting from {from} to {to}: {e}"));
    let conn: TcpStream = socket.into();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let reader = BufReader::new(conn.try_clone().unwrap());
    (conn, reader)
}

fn loopback(seed: u64) -> Ipv4Addr {
    let b = noise(3, seed);
    Ipv4Addr::new(127, b[0], b[1], b[2].max(1))
}

fn host() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_owned()
}

#[test]
fn twenty_clients_between_random_loopback_addresses_ask_random_questions() {
    let server = Server::start(SERVER, &["--host", "0.0.0.0", "--port", "0"]);
    let port = server.addr.port();
    for client in 0..20u64 {
        let from = SocketAddr::new(loopback(client * 2 + 1).into(), 0);
        let to = SocketAddr::new(loopback(client * 2 + 1000).into(), port);
        let (mut conn, mut reader) = connect_from(from, to);
        let me = conn.local_addr().unwrap();
        for (i, pick) in noise(6, client).iter().enumerate() {
            let (question, expected) = match pick % 4 {
                0 => ("host".to_owned(), format!("host {}", host())),
                1 => ("peer".to_owned(), format!("peer {me}")),
                2 => ("local".to_owned(), format!("local {to}")),
                _ => {
                    let word: String = noise(5, client * 10 + i as u64)
                        .iter()
                        .map(|b| char::from(b'a' + b % 26))
                        .collect();
                    let expected =
                        format!("error: unknown question \"{word}\"; ask host, peer or local");
                    (word, expected)
                }
            };
            writeln!(conn, "{question}").unwrap();
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            assert_eq!(
                line.trim_end(),
                expected,
                "client {client} from {me} to {to}, question {i}: {question:?}"
            );
        }
    }
}

#[test]
fn over_ipv6_the_addresses_have_brackets() {
    let server = Server::start(SERVER, &["--host", "::1", "--port", "0"]);
    let (mut conn, mut reader) = connect_from("[::1]:0".parse().unwrap(), server.addr);
    let me = conn.local_addr().unwrap();
    conn.write_all(b"peer\nlocal\n").unwrap();
    let mut lines = Vec::new();
    for _ in 0..2 {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        lines.push(line);
    }
    assert_eq!(
        lines,
        [format!("peer {me}\n"), format!("local {}\n", server.addr)]
    );
}

#[test]
fn nc_from_a_chosen_address() {
    let nc = require_tool("nc");
    let server = Server::start(SERVER, &["--host", "0.0.0.0", "--port", "0"]);
    let source = loopback(555);
    let target = loopback(556);
    let out = run(
        nc.to_str().unwrap(),
        &[
            "-N",
            "-s",
            &source.to_string(),
            &target.to_string(),
            &server.addr.port().to_string(),
        ],
        b"local\nhost\npeer\n",
    );
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "three questions, three answers: {:?} (stderr {:?})",
        out.stdout,
        out.stderr
    );
    assert_eq!(lines[0], format!("local {target}:{}", server.addr.port()));
    assert_eq!(lines[1], format!("host {}", host()));
    assert!(
        lines[2].starts_with(&format!("peer {source}:")),
        "{:?}",
        lines[2]
    );
}
