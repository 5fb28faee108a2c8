//! Hidden: random numeric addresses of both families come back exactly, byte order
//! included, and each only once.

use std::net::{Ipv4Addr, Ipv6Addr};

use testkit::{noise, run};

const SHOWIP: &str = env!("CARGO_BIN_EXE_showip");

#[test]
fn random_ipv4_addresses_keep_their_byte_order() {
    for (i, chunk) in noise(80, 5).chunks(4).enumerate() {
        let addr = Ipv4Addr::new(chunk[0].max(1), chunk[1], chunk[2], chunk[3].max(1));
        let out = run(SHOWIP, &["-4", &addr.to_string()], b"");
        assert_eq!(
            out.stdout,
            format!("IP addresses for {addr}:\n\n  IPv4: {addr}\n"),
            "address #{i}: {out:?}"
        );
    }
}

#[test]
fn random_ipv6_addresses_come_back_whole() {
    for (i, chunk) in noise(160, 9).chunks(16).enumerate() {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(chunk);
        bytes[0] = 0x20; // a global unicast address
        let addr = Ipv6Addr::from(bytes);
        let out = run(SHOWIP, &[&addr.to_string()], b"");
        assert_eq!(
            out.stdout,
            format!("IP addresses for {addr}:\n\n  IPv6: {addr}\n"),
            "address #{i}: {out:?}"
        );
    }
}
