//! The server as a black box: questions over one connection, from and to several
//! loopback addresses.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use testkit::Server;

const SERVER: &str = env!("CARGO_BIN_EXE_who_is_there");

/// A connection from `from` (port 0: any) to `to`, with a line reader.
fn connect_from(from: &str, to: SocketAddr) -> (TcpStream, BufReader<TcpStream>) {
    let from: SocketAddr = from.parse().unwrap();
    let socket = Socket::new(Domain::for_address(to), Type::STREAM, None).unwrap();
    socket.bind(&from.into()).unwrap();
    socket
        .connect_timeout(&to.into(), Duration::from_secs(10))
        .unwrap();
    let conn: TcpStream = socket.into();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let reader = BufReader::new(conn.try_clone().unwrap());
    (conn, reader)
}

fn ask(conn: &mut TcpStream, reader: &mut BufReader<TcpStream>, question: &str) -> String {
    writeln!(conn, "{question}").unwrap();
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    line
}

#[test]
fn host_peer_and_local_over_one_connection() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let (mut conn, mut reader) = connect_from("127.0.0.1:0", server.addr);
    let me = conn.local_addr().unwrap();
    let name = fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(
        ask(&mut conn, &mut reader, "host"),
        format!("host {}\n", name.trim())
    );
    assert_eq!(ask(&mut conn, &mut reader, "peer"), format!("peer {me}\n"));
    assert_eq!(
        ask(&mut conn, &mut reader, "local"),
        format!("local {}\n", server.addr)
    );
}

#[test]
fn on_the_wildcard_address_local_is_the_address_the_client_reached() {
    let server = Server::start(SERVER, &["--host", "0.0.0.0", "--port", "0"]);
    let port = server.addr.port();
    let to: SocketAddr = ([127, 0, 0, 9], port).into();
    let (mut conn, mut reader) = connect_from("127.0.0.3:0", to);
    let me = conn.local_addr().unwrap();
    assert_eq!(
        ask(&mut conn, &mut reader, "local"),
        format!("local {to}\n")
    );
    assert_eq!(ask(&mut conn, &mut reader, "peer"), format!("peer {me}\n"));
}

#[test]
fn an_unknown_question_gets_an_error_and_the_conversation_goes_on() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let (mut conn, mut reader) = connect_from("127.0.0.1:0", server.addr);
    assert_eq!(
        ask(&mut conn, &mut reader, "who are you"),
        "error: unknown question \"who are you\"; ask host, peer or local\n"
    );
    let me = conn.local_addr().unwrap();
    assert_eq!(ask(&mut conn, &mut reader, "peer"), format!("peer {me}\n"));
}
