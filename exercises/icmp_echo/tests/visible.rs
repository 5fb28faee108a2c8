//! The checksum on RFC 1071's example and on what the system's `ping` sent; requests built
//! field by field; replies and IP packets read, and the malformed ones refused.

use icmp_echo::{
    HEADER_LEN, Icmp, Malformed, Version, checksum, echo_request, parse, strip_ipv4_header,
};

/// A request and its reply as `ping -c 1 -s 16 127.0.0.1` sent them, captured on the
/// loopback interface with `tcpdump -xx` (the IP header first).
const CAPTURED_REQUEST: [u8; 44] = [
    0x45, 0x00, 0x00, 0x2c, 0x82, 0xdc, 0x40, 0x00, 0x40, 0x01, 0xb9, 0xf2, 0x7f, 0x00, 0x00, 0x01,
    0x7f, 0x00, 0x00, 0x01, // IP header
    0x08, 0x00, 0x8b, 0xbb, 0x51, 0xca, 0x00, 0x01, // echo request header
    0x72, 0xf6, 0x0f, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x8d, 0x17, 0x0b, 0x00, 0x00, 0x00, 0x00,
    0x00, // 16 bytes of payload: ping's time stamp
];
const CAPTURED_REPLY_HEADER: [u8; 8] = [0x00, 0x00, 0x93, 0xbb, 0x51, 0xca, 0x00, 0x01];

#[test]
fn the_checksum_of_rfc_1071s_example_and_its_edge_cases() {
    // RFC 1071, section 3: these eight bytes sum to 0xddf2; the checksum is its complement.
    let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
    assert_eq!(checksum(&data), 0x220d);
    let mut whole = data.to_vec();
    whole.extend_from_slice(&[0x22, 0x0d]);
    assert_eq!(
        checksum(&whole),
        0,
        "with its checksum in place, the sum is 0"
    );
    assert_eq!(checksum(&[]), 0xffff);
    assert_eq!(
        checksum(&[0xab]),
        !0xab00,
        "an odd last byte is a word's high byte"
    );
    assert_eq!(
        checksum(&[0xff, 0xff, 0x00, 0x01]),
        !0x0001,
        "the carry comes back in"
    );
    assert_eq!(checksum(&[0xff; 40_000]), 0x0000, "a long run of ones");
    // 0xffff + 0xffff + 0x0001 = 0x1_ffff; folded once, 0x1_0000: it must fold again.
    assert_eq!(checksum(&[0xff, 0xff, 0xff, 0xff, 0x00, 0x01]), !0x0001);
}

#[test]
fn an_echo_request_is_exactly_what_ping_sent() {
    let request = &CAPTURED_REQUEST[20..];
    assert_eq!(checksum(request), 0);
    assert_eq!(
        echo_request(Version::V4, 0x51ca, 1, &request[HEADER_LEN..]),
        request,
        "left: your request; right: ping's"
    );
    let v6 = echo_request(Version::V6, 0xbeef, 258, b"abc");
    assert_eq!(v6, [128, 0, 0, 0, 0xbe, 0xef, 0x01, 0x02, b'a', b'b', b'c']);
}

#[test]
fn a_reply_is_read_field_by_field() {
    let mut reply = CAPTURED_REPLY_HEADER.to_vec();
    reply.extend_from_slice(&CAPTURED_REQUEST[28..]);
    assert_eq!(
        parse(&reply, Version::V4),
        Ok(Icmp {
            kind: 0,
            code: 0,
            identifier: 0x51ca,
            sequence: 1,
            payload: &CAPTURED_REQUEST[28..],
        })
    );
    let mut damaged = reply.clone();
    damaged[10] ^= 0x01;
    assert_eq!(parse(&damaged, Version::V4), Err(Malformed::BadChecksum));
    // ICMPv6: the kernel has checked the sum already.
    assert_eq!(parse(&damaged, Version::V6).map(|m| m.sequence), Ok(1));
    assert_eq!(parse(&reply[..7], Version::V4), Err(Malformed::TooShort(7)));
}

#[test]
fn the_ip_header_is_stripped_and_the_ttl_kept() {
    assert_eq!(
        strip_ipv4_header(&CAPTURED_REQUEST),
        Ok((&CAPTURED_REQUEST[20..], 64))
    );
    let mut udp = CAPTURED_REQUEST;
    udp[9] = 17;
    assert_eq!(strip_ipv4_header(&udp), Err(Malformed::BadIpHeader));
    let mut six = CAPTURED_REQUEST;
    six[0] = 0x65;
    assert_eq!(strip_ipv4_header(&six), Err(Malformed::BadIpHeader));
    let mut options = CAPTURED_REQUEST.to_vec();
    options[0] = 0x46; // a 24-byte header: 4 bytes of options
    assert_eq!(
        strip_ipv4_header(&options),
        Ok((&CAPTURED_REQUEST[24..], 64))
    );
    assert_eq!(strip_ipv4_header(&[]), Err(Malformed::TooShort(0)));
    assert_eq!(
        strip_ipv4_header(&options[..22]),
        Err(Malformed::TooShort(22))
    );
}
