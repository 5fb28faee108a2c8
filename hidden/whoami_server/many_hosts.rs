//! Hidden: many clients from random 127.0.0.N addresses to random 127.0.0.M addresses of
//! a server on 0.0.0.0 or ::, some at once, some that never read or reset at once; every
//! client that reads gets its own two addresses.

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use testkit::Server;

const SERVER: &str = env!("CARGO_BIN_EXE_whoami_server");

/// The seed of this test's random inputs: fixed, so that every grading of a submission
/// draws the same ones (as the other hidden tests do); `SEED=N` tries others, and every
/// failure names the seed it used.
fn seed() -> u64 {
    std::env::var("SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x7768_6f61)
}

/// SplitMix64: the next number from `state`.
fn next(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn connect_from(from: SocketAddr, to: SocketAddr) -> TcpStream {
    let socket = Socket::new(Domain::for_address(to), Type::STREAM, None).unwrap();
    socket.bind(&from.into()).unwrap();
    socket
        .connect_timeout(&to.into(), Duration::from_secs(5))
        .unwrap();
    let conn: TcpStream = socket.into();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    conn
}

fn many(host: &str) {
    let seed = seed();
    let mut state = seed;
    let server = Server::start(SERVER, &["--host", host, "--port", "0"]);
    let port = server.addr.port();
    let mut idle = Vec::new();
    let mut readers = Vec::new();
    for _ in 0..(10 + next(&mut state) % 20) {
        let from = SocketAddr::from(([127, 0, 0, 1 + (next(&mut state) % 250) as u8], 0));
        let to = SocketAddr::from(([127, 0, 0, 1 + (next(&mut state) % 250) as u8], port));
        let conn = connect_from(from, to);
        match next(&mut state) % 4 {
            0 => idle.push(conn), // never reads
            1 => testkit::reset(conn),
            _ => readers.push(thread::spawn(move || {
                let mut conn = conn;
                let me = conn.local_addr().unwrap();
                let mut text = String::new();
                let _ = conn.read_to_string(&mut text);
                (me, to, text)
            })),
        }
    }
    for reader in readers {
        let (me, to, text) = reader.join().unwrap();
        assert_eq!(
            text,
            format!("you are {me}, you reached {to}\n"),
            "seed {seed}: server on {host}; stderr: {}",
            server.stderr_so_far()
        );
    }
    assert!(
        still_answers(&server),
        "seed {seed}: the server stopped answering"
    );
    drop(idle);
}

/// Whether the server still answers a last client (it is alive and accepting).
fn still_answers(server: &Server) -> bool {
    let to = SocketAddr::from(([127, 0, 0, 1], server.addr.port()));
    let mut conn = connect_from("127.0.0.1:0".parse().unwrap(), to);
    let mut text = String::new();
    conn.read_to_string(&mut text).is_ok() && text.starts_with("you are 127.0.0.1:")
}

#[test]
fn random_hosts_to_an_ipv4_wildcard_server() {
    many("0.0.0.0");
}

#[test]
fn random_hosts_to_a_dual_stack_server() {
    many("::");
}
