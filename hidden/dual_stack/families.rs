//! Hidden: clients from seeded random addresses of 127.0.0.0/8 and from ::1, in random
//! order, with and without IPV6_V6ONLY; a server on an IPv4-mapped address; resets; and
//! the real nc over each family.

use std::io::{ErrorKind, Read};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use testkit::{Server, noise, require_tool, reset, run};

const SERVER: &str = env!("CARGO_BIN_EXE_dual_stack");

/// Connects from `from` (port 0: any) to `to`.
fn connect_from(from: SocketAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = Socket::new(Domain::for_address(to), Type::STREAM, None)?;
    socket.bind(&from.into())?;
    socket.connect_timeout(&to.into(), Duration::from_secs(10))?;
    let conn: TcpStream = socket.into();
    conn.set_read_timeout(Some(Duration::from_secs(10)))?;
    Ok(conn)
}

fn read_all(mut conn: TcpStream) -> String {
    let mut text = String::new();
    conn.read_to_string(&mut text).unwrap();
    text
}

/// A loopback IPv4 address other than 127.0.0.1, drawn from `seed`.
fn loopback_v4(seed: u64) -> Ipv4Addr {
    let b = noise(3, seed);
    Ipv4Addr::new(127, b[0] | 1, b[1], b[2] | 1)
}

#[test]
fn thirty_clients_from_random_loopback_addresses_of_both_families() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let port = server.addr.port();
    let kinds = noise(30, 42);
    for (i, kind) in kinds.iter().enumerate() {
        let (text, expected) = if kind % 3 == 0 {
            let conn = connect_from(
                "[::1]:0".parse().unwrap(),
                SocketAddr::new("::1".parse().unwrap(), port),
            )
            .unwrap();
            let me = conn.local_addr().unwrap().port();
            (
                read_all(conn),
                format!("hello IPv6 client ::1 port {me} (the socket says [::1]:{me})\n"),
            )
        } else {
            let ip = loopback_v4(i as u64 + 7);
            let conn = connect_from(
                SocketAddr::new(ip.into(), 0),
                SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
            )
            .unwrap();
            let me = conn.local_addr().unwrap().port();
            (
                read_all(conn),
                format!("hello IPv4 client {ip} port {me} (the socket says [::ffff:{ip}]:{me})\n"),
            )
        };
        assert_eq!(text, expected, "client {i}");
    }
}

#[test]
fn with_v6only_every_ipv4_client_is_refused_and_the_ipv6_ones_served() {
    let server = Server::start(SERVER, &["--port", "0", "--v6only"]);
    let port = server.addr.port();
    for (i, kind) in noise(12, 9).iter().enumerate() {
        if kind % 2 == 0 {
            let ip = loopback_v4(100 + i as u64);
            match connect_from(
                SocketAddr::new(ip.into(), 0),
                SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
            ) {
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => {}
                other => panic!("client {i} from {ip}: --v6only should refuse it, got {other:?}"),
            }
        } else {
            let conn = connect_from(
                "[::1]:0".parse().unwrap(),
                SocketAddr::new("::1".parse().unwrap(), port),
            )
            .unwrap();
            let me = conn.local_addr().unwrap().port();
            assert_eq!(
                read_all(conn),
                format!("hello IPv6 client ::1 port {me} (the socket says [::1]:{me})\n"),
                "client {i}"
            );
        }
    }
}

#[test]
fn bound_to_an_ipv4_mapped_address_it_hears_ipv4_only() {
    let server = Server::start(SERVER, &["--host", "::ffff:127.0.0.1", "--port", "0"]);
    let port = server.addr.port();
    let ip = loopback_v4(5);
    let conn = connect_from(
        SocketAddr::new(ip.into(), 0),
        SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
    )
    .unwrap();
    let me = conn.local_addr().unwrap().port();
    assert_eq!(
        read_all(conn),
        format!("hello IPv4 client {ip} port {me} (the socket says [::ffff:{ip}]:{me})\n")
    );
}

#[test]
fn clients_that_reset_at_once_stop_nobody() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let port = server.addr.port();
    for i in 0..10 {
        let to = if i % 2 == 0 { "127.0.0.1" } else { "::1" };
        reset(
            connect_from(
                SocketAddr::new(
                    if i % 2 == 0 { "0.0.0.0" } else { "::" }.parse().unwrap(),
                    0,
                ),
                SocketAddr::new(to.parse().unwrap(), port),
            )
            .unwrap(),
        );
    }
    let conn = connect_from(
        "0.0.0.0:0".parse().unwrap(),
        SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port),
    )
    .unwrap();
    assert!(read_all(conn).starts_with("hello IPv4 client 127.0.0.1 port "));
}

#[test]
fn the_real_nc_over_each_family() {
    let nc = require_tool("nc");
    let server = Server::start(SERVER, &["--port", "0"]);
    let port = server.addr.port().to_string();
    let source = loopback_v4(77).to_string();
    let out = run(
        nc.to_str().unwrap(),
        &["-N", "-4", "-s", &source, "127.0.0.1", &port],
        b"",
    );
    assert!(
        out.stdout
            .starts_with(&format!("hello IPv4 client {source} port "))
            && out
                .stdout
                .contains(&format!("(the socket says [::ffff:{source}]:")),
        "nc -4 from {source}: {:?} (stderr {:?})",
        out.stdout,
        out.stderr
    );
    let out = run(nc.to_str().unwrap(), &["-N", "-6", "::1", &port], b"");
    assert!(
        out.stdout.starts_with("hello IPv6 client ::1 port ")
            && out.stdout.contains("(the socket says [::1]:"),
        "nc -6: {:?} (stderr {:?})",
        out.stdout,
        out.stderr
    );
}
