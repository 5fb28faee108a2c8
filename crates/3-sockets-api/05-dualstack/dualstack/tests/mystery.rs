//! The mystery and its fixes, as black boxes. The resolver's answer is passed explicitly
//! (`--addr ::1 --addr 127.0.0.1`), so nothing depends on what /etc/hosts says.

use testkit::{Server, run};

const DUALSTACK: &str = env!("CARGO_BIN_EXE_dualstack");

fn server(args: &[&str]) -> Server {
    let mut all = vec!["server", "--port", "0"];
    all.extend_from_slice(args);
    Server::start(DUALSTACK, &all)
}

fn client(port: u16, args: &[&str], message: &str) -> String {
    let port = port.to_string();
    let mut all = vec!["client", "--port", &port];
    all.extend_from_slice(args);
    all.push(message);
    let out = run(DUALSTACK, &all, b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    out.stdout
}

/// The address part of `from ADDR: message`, and the message.
fn received(server: &Server) -> (String, String) {
    let line = server
        .next_stdout_line()
        .expect("the server printed nothing");
    let rest = line.strip_prefix("from ").unwrap();
    let (from, message) = rest.rsplit_once(": ").unwrap();
    let ip = from.rsplit_once(':').unwrap().0.to_owned();
    (ip, message.to_owned())
}

#[test]
fn the_mystery_the_client_sends_to_ipv6_and_the_ipv4_server_never_hears_it() {
    let server = server(&["--host", "0.0.0.0"]);
    assert_eq!(
        server.addr.to_string(),
        format!("0.0.0.0:{}", server.addr.port())
    );
    let port = server.addr.port();

    let said = client(port, &["--addr", "::1", "--addr", "127.0.0.1"], "lost");
    assert_eq!(
        said,
        format!("addresses: [::1]:{port}, 127.0.0.1:{port}\nsent 4 bytes to [::1]:{port}\n")
    );
    // The client's side of the fix: ask for IPv4 only.
    let said = client(
        port,
        &["--addr", "::1", "--addr", "127.0.0.1", "--family", "4"],
        "found",
    );
    assert_eq!(
        said,
        format!("addresses: 127.0.0.1:{port}\nsent 5 bytes to 127.0.0.1:{port}\n")
    );
    // Both datagrams went over loopback, in order. Had the first arrived, the server
    // would print it first; the first thing it prints is the second.
    assert_eq!(received(&server), ("127.0.0.1".into(), "found".into()));
}

#[test]
fn the_fix_one_ipv6_socket_with_v6only_off_hears_both_families() {
    let server = server(&["--dual-stack"]);
    assert_eq!(
        server.addr.to_string(),
        format!("[::]:{}", server.addr.port())
    );
    let port = server.addr.port();

    client(port, &["--addr", "::1", "--addr", "127.0.0.1"], "over six");
    assert_eq!(received(&server), ("[::1]".into(), "over six".into()));
    client(port, &["--addr", "127.0.0.1"], "over four");
    assert_eq!(
        received(&server),
        ("[::ffff:127.0.0.1]".into(), "over four".into())
    );
}

#[test]
fn without_addr_the_client_takes_whatever_getaddrinfo_null_lists_first() {
    let server = server(&["--dual-stack"]);
    let port = server.addr.port();
    let hints = showip::Hints {
        socktype: showip::SockType::Datagram,
        ..Default::default()
    };
    let order = showip::getaddrinfo(None, Some(&port.to_string()), &hints).unwrap();
    let first = order[0].addr;
    let said = client(port, &[], "who first?");
    assert!(
        said.ends_with(&format!("sent 10 bytes to {first}\n")),
        "{said}"
    );
    let (from, message) = received(&server);
    assert_eq!(message, "who first?");
    let expected = if first.is_ipv4() {
        format!("[::ffff:{}]", first.ip())
    } else {
        format!("[{}]", first.ip())
    };
    assert_eq!(from, expected);
}

#[test]
fn without_host_the_server_binds_the_first_passive_address_getaddrinfo_gives() {
    let server = server(&[]);
    let hints = showip::Hints {
        socktype: showip::SockType::Datagram,
        passive: true,
        ..Default::default()
    };
    let order = showip::getaddrinfo(None, Some("0"), &hints).unwrap();
    assert_eq!(server.addr.ip(), order[0].addr.ip());
    let listed: Vec<String> = order
        .iter()
        .map(|a| format!("{}", std::net::SocketAddr::new(a.addr.ip(), 0)))
        .collect();
    let log = server.wait_for_stderr("\n");
    assert!(
        log.starts_with(&format!(
            "addresses: {}; binding the first",
            listed.join(", ")
        )),
        "{log}"
    );
}

#[test]
fn dual_stack_on_an_ipv4_address_is_refused_in_one_line() {
    let out = run(
        DUALSTACK,
        &[
            "server",
            "--dual-stack",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ],
        b"",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "dualstack: --dual-stack needs an IPv6 address such as ::, not 127.0.0.1\n"
    );
}

#[test]
fn asking_for_ipv6_only_among_ipv4_addresses_finds_nothing() {
    let out = run(
        DUALSTACK,
        &["client", "--addr", "127.0.0.1", "--family", "6", "x"],
        b"",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(out.stderr, "dualstack: no address of the wanted family\n");
}
