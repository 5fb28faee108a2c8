//! showip as a black box: run it, read what it prints.

use testkit::run;

const SHOWIP: &str = env!("CARGO_BIN_EXE_showip");

#[test]
fn a_numeric_ipv4_address_is_listed_in_showip_c_shape() {
    let out = run(SHOWIP, &["127.0.0.1"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "IP addresses for 127.0.0.1:\n\n  IPv4: 127.0.0.1\n"
    );
}

#[test]
fn the_ipv6_loopback_with_the_http_service_shows_port_80() {
    let out = run(SHOWIP, &["::1", "--service", "http"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "IP addresses for ::1:\n\n  IPv6: ::1 port 80\n");
}

#[test]
fn passive_without_a_host_lists_the_wildcard_addresses() {
    let out = run(
        SHOWIP,
        &["--passive", "--service", "3490", "--family", "4"],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "IP addresses for NULL:\n\n  IPv4: 0.0.0.0 port 3490\n"
    );
}

#[test]
fn any_socket_type_lists_each_address_three_times() {
    let out = run(
        SHOWIP,
        &["127.0.0.1", "--socktype", "any", "--canonical"],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "IP addresses for 127.0.0.1:\n\n  canonical name: 127.0.0.1\n  \
         IPv4: 127.0.0.1 (stream)\n  IPv4: 127.0.0.1 (datagram)\n  IPv4: 127.0.0.1 (raw)\n"
    );
}

#[test]
fn an_unknown_host_is_one_line_with_the_resolver_words_and_status_1() {
    let out = run(SHOWIP, &["no-such-host.invalid"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    assert!(
        out.stderr
            .starts_with("showip: getaddrinfo no-such-host.invalid: "),
        "{out:?}"
    );
}

#[test]
fn an_ipv4_address_with_family_6_is_refused_by_the_resolver() {
    let out = run(SHOWIP, &["127.0.0.1", "--family", "6"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "showip: getaddrinfo 127.0.0.1: Address family for hostname not supported\n"
    );
}

#[test]
fn a_bad_family_is_a_usage_error() {
    let out = run(SHOWIP, &["localhost", "--family", "5"], b"");
    assert_eq!(out.code(), Some(2), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
}

/// `showip` with no argument at all: getaddrinfo(NULL, NULL) would be an error (it
/// needs a node or a service), so it asks what a server binds to, as its help says:
/// NULL, service 0, AI_PASSIVE.
#[test]
fn no_host_and_no_service_shows_the_wildcard_addresses() {
    let out = run(SHOWIP, &["--family", "4"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "IP addresses for NULL:\n\n  IPv4: 0.0.0.0\n");
    let out = run(SHOWIP, &[], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(out.stdout.contains("  IPv4: 0.0.0.0\n"), "{out:?}");
}
