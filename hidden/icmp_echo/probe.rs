//! The probe of `icmp_echo`: the checksum of random data (odd and even lengths, runs of
//! ones that carry again and again, up to 65,535 bytes), requests built from random
//! fields, random replies read whole, damaged and cut short, and random IPv4 headers
//! (options, other versions and protocols, short packets). The first four checks mirror
//! the visible tests on random inputs; the others are hidden.

use icmp_echo::{Version, checksum, echo_request, parse, strip_ipv4_header};
use testkit::probe::{self, Case, Check, Rng};

fn main() {
    probe::main(&[
        Check::visible(
            "the_checksum_of_rfc_1071s_example_and_its_edge_cases",
            30,
            checksum_small,
        ),
        Check::visible("an_echo_request_is_exactly_what_ping_sent", 30, request),
        Check::visible("a_reply_is_read_field_by_field", 30, reply),
        Check::visible("the_ip_header_is_stripped_and_the_ttl_kept", 30, ip_header),
        Check::hidden("the_checksum_of_long_runs_that_carry", 12, checksum_long),
        Check::hidden(
            "an_intact_message_sums_to_zero_a_damaged_one_does_not",
            30,
            damaged,
        ),
        Check::hidden("malformed_replies_and_packets_are_errors", 40, malformed),
    ]);
}

fn version(rng: &mut Rng) -> Version {
    if rng.chance(70) {
        Version::V4
    } else {
        Version::V6
    }
}

/// Random bytes, sometimes mostly 0xff (so that the sum carries often).
fn data(rng: &mut Rng, len: usize) -> Vec<u8> {
    let ones = rng.chance(40);
    (0..len)
        .map(|_| {
            if ones && rng.chance(90) {
                0xff
            } else {
                rng.u32() as u8
            }
        })
        .collect()
}

fn shown_checksum(bytes: &[u8]) -> String {
    format!("{:#06x}", checksum(bytes))
}

fn checksum_small(rng: &mut Rng) -> Case {
    let len = rng.range(0, 64);
    let bytes = data(rng, len);
    Case::new(format!("checksum of {}", probe::bytes(&bytes)), || {
        shown_checksum(&bytes)
    })
}

fn checksum_long(rng: &mut Rng) -> Case {
    let len = rng.range(1000, 65535);
    let bytes: Vec<u8> = if rng.chance(60) {
        // Words of 0xffff, then a small word: the first fold of the sum carries again.
        let mut ones = vec![0xff; len & !1];
        ones.extend_from_slice(&[0, rng.range(1, 255) as u8]);
        ones
    } else {
        data(rng, len)
    };
    let len = bytes.len();
    Case::new(
        format!(
            "checksum of {len} bytes starting {}",
            probe::bytes(&bytes[..16])
        ),
        || shown_checksum(&bytes),
    )
}

fn request(rng: &mut Rng) -> Case {
    let v = version(rng);
    let (id, seq) = (rng.u32() as u16, rng.u32() as u16);
    let len = rng.range(0, 80);
    let payload = data(rng, len);
    Case::new(
        format!(
            "echo_request({v:?}, {id}, {seq}, {})",
            probe::bytes(&payload)
        ),
        || probe::bytes(&echo_request(v, id, seq, &payload)),
    )
}

/// A message with the given fields, made here (not with the student's code), with a
/// valid IPv4 checksum.
fn message(kind: u8, code: u8, id: u16, seq: u16, payload: &[u8]) -> Vec<u8> {
    let mut m = vec![kind, code, 0, 0];
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(payload);
    let mut sum: u64 = m
        .chunks(2)
        .map(|w| u64::from(w[0]) << 8 | u64::from(*w.get(1).unwrap_or(&0)))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    m[2..4].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    m
}

fn parsed(bytes: &[u8], v: Version) -> String {
    probe::result(parse(bytes, v), |m| {
        format!(
            "kind {} code {} id {} seq {} payload {}",
            m.kind,
            m.code,
            m.identifier,
            m.sequence,
            probe::bytes(m.payload)
        )
    })
}

fn reply(rng: &mut Rng) -> Case {
    let v = version(rng);
    let kind = *rng.pick(&[0u8, 8, 129, 128, 3, 11]);
    let code = if rng.chance(80) { 0 } else { rng.u32() as u8 };
    let (id, seq) = (rng.u32() as u16, rng.u32() as u16);
    let len = rng.range(0, 64);
    let payload = data(rng, len);
    let bytes = message(kind, code, id, seq, &payload);
    Case::new(format!("parse({}, {v:?})", probe::bytes(&bytes)), || {
        parsed(&bytes, v)
    })
}

fn damaged(rng: &mut Rng) -> Case {
    let v = version(rng);
    let len = rng.range(0, 64);
    let payload = data(rng, len);
    let mut bytes = message(0, 0, rng.u32() as u16, rng.u32() as u16, &payload);
    if rng.chance(70) {
        let at = rng.range(0, bytes.len() - 1);
        let flip = 1u8 << rng.range(0, 7);
        bytes[at] ^= flip;
    }
    Case::new(format!("parse({}, {v:?})", probe::bytes(&bytes)), || {
        parsed(&bytes, v)
    })
}

/// An IPv4 packet with a random header (IHL, version, protocol, TTL) around a message.
fn packet(rng: &mut Rng) -> Vec<u8> {
    let ihl = if rng.chance(70) {
        5
    } else {
        rng.range(0, 15) as u8
    };
    let version = if rng.chance(85) {
        4u8
    } else {
        rng.range(0, 15) as u8
    };
    let mut p = data(rng, usize::from(ihl) * 4);
    let len = rng.range(0, 40);
    let payload = data(rng, len);
    let icmp = message(0, 0, rng.u32() as u16, rng.u32() as u16, &payload);
    if p.len() < 10 {
        p.resize(10, 0);
    }
    p[0] = version << 4 | ihl;
    p[8] = rng.u32() as u8;
    p[9] = if rng.chance(85) { 1 } else { rng.u32() as u8 };
    if p.len() > usize::from(ihl) * 4 {
        p.truncate(usize::from(ihl) * 4);
    }
    p.extend_from_slice(&icmp);
    if rng.chance(20) {
        let keep = rng.range(0, p.len());
        p.truncate(keep);
    }
    p
}

fn stripped(bytes: &[u8]) -> String {
    probe::result(strip_ipv4_header(bytes), |(icmp, ttl)| {
        format!("ttl {ttl} icmp {}", probe::bytes(icmp))
    })
}

fn ip_header(rng: &mut Rng) -> Case {
    let bytes = packet(rng);
    Case::new(
        format!("strip_ipv4_header({})", probe::bytes(&bytes)),
        || stripped(&bytes),
    )
}

fn malformed(rng: &mut Rng) -> Case {
    if rng.chance(50) {
        let len = rng.range(0, 12);
        let bytes = data(rng, len);
        let v = version(rng);
        Case::new(format!("parse({}, {v:?})", probe::bytes(&bytes)), || {
            parsed(&bytes, v)
        })
    } else {
        let len = rng.range(0, 30);
        let mut bytes = data(rng, len);
        if let Some(first) = bytes.first_mut() {
            *first = 0x40 | (*first & 0x0f);
        }
        Case::new(
            format!("strip_ipv4_header({})", probe::bytes(&bytes)),
            || stripped(&bytes),
        )
    }
}
