//! showip on names and addresses that need no network: numeric addresses and localhost.

use testkit::run;

const SHOWIP: &str = env!("CARGO_BIN_EXE_showip");

#[test]
fn a_numeric_ipv4_address_is_itself() {
    let out = run(SHOWIP, &["127.0.0.1"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "IP addresses for 127.0.0.1:\n\n  IPv4: 127.0.0.1\n"
    );
}

#[test]
fn a_numeric_ipv6_address_is_itself() {
    let out = run(SHOWIP, &["::1"], b"");
    assert_eq!(
        out.stdout, "IP addresses for ::1:\n\n  IPv6: ::1\n",
        "{out:?}"
    );
}

#[test]
fn localhost_includes_127_0_0_1_once() {
    let out = run(SHOWIP, &["-4", "localhost"], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    let count = out.stdout.matches("  IPv4: 127.0.0.1\n").count();
    assert_eq!(
        count, 1,
        "expected 127.0.0.1 exactly once (each address once: ask for SOCK_STREAM only); got:\n{}",
        out.stdout
    );
    assert!(
        !out.stdout.contains("IPv6"),
        "-4 asks for IPv4 only:\n{}",
        out.stdout
    );
}

#[test]
fn a_family_that_does_not_fit_is_one_error_line() {
    let out = run(SHOWIP, &["-6", "127.0.0.1"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr.starts_with("showip: cannot look up 127.0.0.1: ")
            && out.stderr.lines().count() == 1,
        "expected one error line, got {:?}",
        out.stderr
    );
}
