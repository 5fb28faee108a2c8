//! Clients from chosen loopback addresses (127.0.0.0/8 is all loopback, so 127.0.0.7 is as
//! good a "host" as 127.0.0.1) to a server on every address, and what it tells them.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use testkit::{Server, assert_port_in_use_error};

const SERVER: &str = env!("CARGO_BIN_EXE_whoami_server");

/// Connects from `from` (port 0: any) to `to`; the client's own address and what the
/// server wrote before it closed.
fn ask(from: &str, to: SocketAddr) -> (SocketAddr, String) {
    let from: SocketAddr = from.parse().unwrap();
    let socket = Socket::new(Domain::for_address(to), Type::STREAM, None).unwrap();
    socket.bind(&from.into()).unwrap();
    socket
        .connect_timeout(&to.into(), Duration::from_secs(5))
        .unwrap();
    let mut conn: TcpStream = socket.into();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let me = conn.local_addr().unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).unwrap();
    (me, text)
}

#[test]
fn each_client_learns_both_ends() {
    let server = Server::start(SERVER, &["--host", "0.0.0.0", "--port", "0"]);
    let port = server.addr.port();
    for (from, to) in [("127.0.0.7:0", "127.0.0.9"), ("127.0.0.1:0", "127.0.0.1")] {
        let to: SocketAddr = format!("{to}:{port}").parse().unwrap();
        let (me, said) = ask(from, to);
        assert_eq!(said, format!("you are {me}, you reached {to}\n"));
    }
}

#[test]
fn a_dual_stack_server_shows_ipv4_clients_as_ipv4() {
    let server = Server::start(SERVER, &["--host", "::", "--port", "0"]);
    let port = server.addr.port();
    let to: SocketAddr = format!("127.0.0.3:{port}").parse().unwrap();
    let (me, said) = ask("127.0.0.5:0", to);
    assert_eq!(said, format!("you are {me}, you reached {to}\n"));
    let to: SocketAddr = format!("[::1]:{port}").parse().unwrap();
    let (me, said) = ask("[::1]:0", to);
    assert_eq!(said, format!("you are {me}, you reached {to}\n"));
}

#[test]
fn a_port_in_use_is_one_line_and_status_1() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    assert_port_in_use_error(SERVER, port, &["--host", "127.0.0.1"]);
}
