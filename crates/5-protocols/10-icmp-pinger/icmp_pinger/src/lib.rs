//! The pinger's packets, byte by byte: the Internet checksum, the echo request it
//! sends, the checks a reply must pass, and the statistics printed at the end.
//! No socket here, so every rule can be tested on plain bytes.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

/// IPv4 or IPv6: ICMP and ICMPv6 number their messages differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V4,
    V6,
}

impl Version {
    pub fn of(ip: IpAddr) -> Version {
        match ip {
            IpAddr::V4(_) => Version::V4,
            IpAddr::V6(_) => Version::V6,
        }
    }

    /// The type of an echo request: 8 in ICMP (RFC 792), 128 in ICMPv6 (RFC 4443).
    pub fn echo_request(self) -> u8 {
        match self {
            Version::V4 => 8,
            Version::V6 => 128,
        }
    }

    /// The type of an echo reply: 0 in ICMP, 129 in ICMPv6.
    pub fn echo_reply(self) -> u8 {
        match self {
            Version::V4 => 0,
            Version::V6 => 129,
        }
    }
}

/// The echo header: type, code, checksum, identifier, sequence number.
pub const HEADER_LEN: usize = 8;
/// The payload: a time stamp and filler, 56 bytes as `ping` sends.
pub const PAYLOAD_LEN: usize = 56;

// ANCHOR: checksum
/// The Internet checksum (RFC 1071): add the data up as 16-bit big-endian words
/// (an odd last byte counts as its word's high byte), fold every carry out of the
/// 16 bits back into the sum, and send the ones' complement of the result.
///
/// A receiver runs the same sum over the message *with* its checksum in place:
/// an intact message gives 0.
pub fn checksum(data: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    let mut words = data.chunks_exact(2);
    for word in &mut words {
        sum += u64::from(u16::from_be_bytes([word[0], word[1]]));
    }
    if let [last] = words.remainder() {
        sum += u64::from(*last) << 8;
    }
    // The end-around carry: what overflowed 16 bits is added back in.
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}
// ANCHOR_END: checksum

// ANCHOR: build
/// An echo request, as it goes on the wire after the IP header:
///
/// ```text
///  0       8      16              32 bits
///  | type  | code | checksum       |
///  | identifier   | sequence number|
///  | payload ...                   |
/// ```
///
/// For ICMPv6 the checksum stays zero here: it covers a pseudo-header with
/// both IP addresses, which only the kernel knows for sure, and the kernel
/// always fills it in on ICMPv6 sockets (RFC 3542, section 3.1).
pub fn echo_request(
    version: Version,
    identifier: u16,
    sequence: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut packet = Vec::with_capacity(HEADER_LEN + payload.len());
    packet.push(version.echo_request()); // type
    packet.push(0); // code: always 0 for echo
    packet.extend_from_slice(&[0, 0]); // checksum, computed over all of it below
    packet.extend_from_slice(&identifier.to_be_bytes());
    packet.extend_from_slice(&sequence.to_be_bytes());
    packet.extend_from_slice(payload);
    if version == Version::V4 {
        let sum = checksum(&packet);
        packet[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    packet
}
// ANCHOR_END: build

// ANCHOR: stamp
/// The payload: when the request left (nanoseconds of the monotonic clock,
/// big-endian), then the bytes 8, 9, 10, … up to [`PAYLOAD_LEN`]. The reply
/// carries it back, so its time stamp gives the round-trip time.
pub fn stamp(sent_ns: u64) -> [u8; PAYLOAD_LEN] {
    let mut payload = [0u8; PAYLOAD_LEN];
    payload[..8].copy_from_slice(&sent_ns.to_be_bytes());
    for (i, byte) in payload.iter_mut().enumerate().skip(8) {
        *byte = i as u8;
    }
    payload
}

/// The time stamp at the start of a payload made by [`stamp`].
pub fn stamp_of(payload: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(payload.get(..8)?.try_into().ok()?))
}
// ANCHOR_END: stamp

/// An ICMP message as read from a socket.
#[derive(Debug, PartialEq, Eq)]
pub struct Icmp<'a> {
    pub kind: u8,
    pub code: u8,
    pub identifier: u16,
    pub sequence: u16,
    pub payload: &'a [u8],
}

/// Why some bytes are not an ICMP message the pinger can read.
#[derive(Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Fewer bytes than the header needs.
    TooShort(usize),
    /// The checksum does not add up: the bytes changed on the way.
    BadChecksum,
    /// A raw IPv4 socket's packet whose IP header makes no sense.
    BadIpHeader,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::TooShort(n) => write!(f, "too short ({n} bytes)"),
            Malformed::BadChecksum => write!(f, "bad checksum"),
            Malformed::BadIpHeader => write!(f, "bad IP header"),
        }
    }
}

// ANCHOR: parse
/// Reads an ICMP message. An IPv4 message must carry a checksum that adds up;
/// an ICMPv6 one has been checked by the kernel already (its sum covers the
/// IP addresses too), and a kernel never hands over one that fails.
pub fn parse(message: &[u8], version: Version) -> Result<Icmp<'_>, Malformed> {
    if message.len() < HEADER_LEN {
        return Err(Malformed::TooShort(message.len()));
    }
    if version == Version::V4 && checksum(message) != 0 {
        return Err(Malformed::BadChecksum);
    }
    Ok(Icmp {
        kind: message[0],
        code: message[1],
        identifier: u16::from_be_bytes([message[4], message[5]]),
        sequence: u16::from_be_bytes([message[6], message[7]]),
        payload: &message[HEADER_LEN..],
    })
}

/// A raw IPv4 socket hands over the whole IP packet: the ICMP message starts
/// after the IP header, whose length is its second nibble (IHL) in 32-bit
/// words. Returns the ICMP message and the packet's TTL.
pub fn strip_ipv4_header(packet: &[u8]) -> Result<(&[u8], u8), Malformed> {
    let first = *packet.first().ok_or(Malformed::TooShort(0))?;
    let header_len = usize::from(first & 0x0f) * 4;
    let protocol_icmp = packet.get(9) == Some(&1);
    if first >> 4 != 4 || header_len < 20 || !protocol_icmp {
        return Err(Malformed::BadIpHeader);
    }
    if packet.len() < header_len {
        return Err(Malformed::TooShort(packet.len()));
    }
    Ok((&packet[header_len..], packet[8]))
}
// ANCHOR_END: parse

/// Why a well-formed ICMP message is not the reply the pinger waits for.
#[derive(Debug, PartialEq, Eq)]
pub enum NotOurs {
    /// Another kind of message: an echo request, a neighbour solicitation, …
    NotAReply(u8),
    /// An echo reply to another program's request.
    OtherIdentifier(u16),
    /// Our identifier, but not from the host we ping.
    OtherSender(IpAddr),
    /// Ours, but not the request we wait for (a late reply to an earlier one).
    OtherSequence(u16),
    /// The right numbers around a payload we did not send.
    OtherPayload,
}

impl fmt::Display for NotOurs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotOurs::NotAReply(kind) => write!(f, "type {kind}, not an echo reply"),
            NotOurs::OtherIdentifier(id) => {
                write!(f, "echo reply for identifier {id}, another program's")
            }
            NotOurs::OtherSender(ip) => {
                write!(f, "echo reply from {ip}, not the target")
            }
            NotOurs::OtherSequence(seq) => {
                write!(f, "echo reply for icmp_seq={seq}, not the one awaited")
            }
            NotOurs::OtherPayload => {
                write!(f, "echo reply with a payload we did not send")
            }
        }
    }
}

/// The reply the pinger waits for: to request `sequence`, from `target`.
pub struct Awaited<'a> {
    pub version: Version,
    pub target: IpAddr,
    pub identifier: u16,
    pub sequence: u16,
    pub payload: &'a [u8],
}

// ANCHOR: matches
/// Whether `reply`, which came from `from`, answers the awaited request.
pub fn answers(
    reply: &Icmp,
    from: IpAddr,
    awaited: &Awaited,
) -> Result<(), NotOurs> {
    if reply.kind != awaited.version.echo_reply() || reply.code != 0 {
        return Err(NotOurs::NotAReply(reply.kind));
    }
    if reply.identifier != awaited.identifier {
        return Err(NotOurs::OtherIdentifier(reply.identifier));
    }
    if from != awaited.target {
        return Err(NotOurs::OtherSender(from));
    }
    if reply.sequence != awaited.sequence {
        return Err(NotOurs::OtherSequence(reply.sequence));
    }
    if reply.payload != awaited.payload {
        return Err(NotOurs::OtherPayload);
    }
    Ok(())
}
// ANCHOR_END: matches

// ANCHOR: stats
/// The numbers `ping` prints at the end.
#[derive(Debug, Default)]
pub struct Stats {
    pub sent: u32,
    pub rtts: Vec<Duration>,
}

impl Stats {
    /// `4 packets transmitted, 3 received, 25% packet loss, time 3004ms` and, when
    /// any reply came, `rtt min/avg/max/mdev = …`, mdev being the standard
    /// deviation of the round-trip times (the spread ping calls mean deviation).
    pub fn summary(&self, elapsed: Duration) -> String {
        let received = self.rtts.len() as u32;
        let loss = if self.sent == 0 {
            0.0
        } else {
            f64::from(self.sent - received) * 100.0 / f64::from(self.sent)
        };
        let loss = format!("{loss:.1}");
        let loss = loss.strip_suffix(".0").unwrap_or(&loss);
        let mut text = format!(
            "{} packets transmitted, {received} received, {loss}% packet loss, \
             time {}ms\n",
            self.sent,
            elapsed.as_millis()
        );
        if received > 0 {
            let ms: Vec<f64> =
                self.rtts.iter().map(|d| d.as_secs_f64() * 1e3).collect();
            let n = ms.len() as f64;
            let min = ms.iter().copied().fold(f64::INFINITY, f64::min);
            let max = ms.iter().copied().fold(0.0, f64::max);
            let avg = ms.iter().sum::<f64>() / n;
            let square = ms.iter().map(|x| x * x).sum::<f64>() / n;
            let mdev = (square - avg * avg).max(0.0).sqrt();
            text.push_str(&format!(
                "rtt min/avg/max/mdev = {min:.3}/{avg:.3}/{max:.3}/{mdev:.3} ms\n"
            ));
        }
        text
    }
}
// ANCHOR_END: stats

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_the_rfc_1071_example() {
        // RFC 1071, section 3: these eight bytes sum to 0xddf2, so the checksum
        // is its complement, 0x220d.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(checksum(&data), !0xddf2);
        assert_eq!(checksum(&data), 0x220d);
        // With the checksum appended, the sum comes out zero.
        let mut whole = data.to_vec();
        whole.extend_from_slice(&0x220du16.to_be_bytes());
        assert_eq!(checksum(&whole), 0);
    }

    /// A request and its reply as `ping -c 1 -s 16 127.0.0.1` sent them, captured
    /// on the loopback interface with `tcpdump -xx` (IP header first).
    const CAPTURED_REQUEST: [u8; 44] = [
        0x45, 0x00, 0x00, 0x2c, 0x82, 0xdc, 0x40, 0x00, 0x40, 0x01, 0xb9, 0xf2,
        0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, // IP header
        0x08, 0x00, 0x8b, 0xbb, 0x51, 0xca, 0x00, 0x01, // echo request header
        0x72, 0xf6, 0x0f, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x8d, 0x17, 0x0b, 0x00,
        0x00, 0x00, 0x00, 0x00, // 16 bytes of payload: ping's time stamp
    ];
    const CAPTURED_REPLY_ICMP: [u8; 8] =
        [0x00, 0x00, 0x93, 0xbb, 0x51, 0xca, 0x00, 0x01];

    #[test]
    fn checksum_of_an_echo_request_captured_from_ping() {
        let request = &CAPTURED_REQUEST[20..];
        assert_eq!(checksum(request), 0, "intact: the sum comes out zero");
        let mut zeroed = request.to_vec();
        zeroed[2..4].fill(0);
        assert_eq!(checksum(&zeroed), 0x8bbb, "the checksum ping sent");
        // Our builder makes the same bytes from the same fields.
        assert_eq!(echo_request(Version::V4, 0x51ca, 1, &request[8..]), request);
        // The reply: type 0 instead of 8, so the checksum is 0x0800 larger.
        let mut reply = CAPTURED_REPLY_ICMP.to_vec();
        reply.extend_from_slice(&request[8..]);
        assert_eq!(checksum(&reply), 0);
        let icmp = parse(&reply, Version::V4).unwrap();
        assert_eq!((icmp.kind, icmp.identifier, icmp.sequence), (0, 0x51ca, 1));
        // The IPv4 header has a checksum of its own, over the header only.
        assert_eq!(checksum(&CAPTURED_REQUEST[..20]), 0);
    }

    #[test]
    fn checksum_edge_cases() {
        assert_eq!(checksum(&[]), 0xffff);
        // An odd last byte is the high byte of a word padded with zero.
        assert_eq!(checksum(&[0xab]), !0xab00);
        // Carries wrap around: 0xffff + 0x0001 = 0x1_0000 → 0x0001.
        assert_eq!(checksum(&[0xff, 0xff, 0x00, 0x01]), !0x0001);
        // All ones stays all ones (ones' complement has two zeros).
        assert_eq!(checksum(&[0xff, 0xff, 0xff, 0xff]), 0x0000);
    }

    #[test]
    fn an_echo_request_has_its_fields_where_the_rfc_puts_them() {
        let payload = stamp(0x0102_0304_0506_0708);
        let v4 = echo_request(Version::V4, 0xbeef, 258, &payload);
        assert_eq!(v4.len(), HEADER_LEN + PAYLOAD_LEN);
        assert_eq!(&v4[..2], &[8, 0]);
        assert_eq!(&v4[4..8], &[0xbe, 0xef, 0x01, 0x02]);
        assert_eq!(&v4[8..16], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(v4[16], 8, "filler: payload byte i is i");
        assert_eq!(v4[63], 55);
        assert_eq!(checksum(&v4), 0, "an IPv4 request carries a valid checksum");
        let v6 = echo_request(Version::V6, 0xbeef, 258, &payload);
        assert_eq!(&v6[..4], &[128, 0, 0, 0], "ICMPv6: the kernel computes it");
        assert_eq!(v6[4..], v4[4..]);
        assert_eq!(stamp_of(&v4[8..]), Some(0x0102_0304_0506_0708));
        assert_eq!(stamp_of(&[1, 2, 3]), None);
    }

    /// A reply the way a host sends it back: the request with type 0 and the
    /// checksum made again.
    fn reply_to(request: &[u8]) -> Vec<u8> {
        let mut reply = request.to_vec();
        reply[0] = 0;
        reply[2..4].fill(0);
        let sum = checksum(&reply);
        reply[2..4].copy_from_slice(&sum.to_be_bytes());
        reply
    }

    #[test]
    fn parse_reads_a_reply_and_rejects_malformed_ones() {
        let payload = stamp(42);
        let reply = reply_to(&echo_request(Version::V4, 7, 3, &payload));
        let icmp = parse(&reply, Version::V4).unwrap();
        assert_eq!(
            icmp,
            Icmp {
                kind: 0,
                code: 0,
                identifier: 7,
                sequence: 3,
                payload: &payload
            }
        );
        for short in [0, 1, 7] {
            assert_eq!(
                parse(&reply[..short], Version::V4),
                Err(Malformed::TooShort(short))
            );
        }
        // One bit flipped anywhere, header or payload: the sum no longer adds up.
        for at in [0, 5, 7, 8, 40, 63] {
            let mut damaged = reply.clone();
            damaged[at] ^= 0x10;
            assert_eq!(parse(&damaged, Version::V4), Err(Malformed::BadChecksum));
        }
        // ICMPv6: the kernel checked the sum, so parse does not.
        let v6 = echo_request(Version::V6, 7, 3, &payload);
        assert_eq!(parse(&v6, Version::V6).unwrap().kind, 128);
        assert_eq!(parse(&v6[..4], Version::V6), Err(Malformed::TooShort(4)));
    }

    #[test]
    fn a_raw_packet_loses_its_ip_header() {
        // Version 4, IHL 5 (20 bytes), TTL 64, protocol 1 (ICMP).
        let packet = CAPTURED_REQUEST.to_vec();
        let icmp = &packet[20..];
        assert_eq!(strip_ipv4_header(&packet), Ok((icmp, 64)));
        // IHL 6: a 24-byte header with options, longer than this packet's.
        let mut options = packet.clone();
        options[0] = 0x46;
        assert_eq!(strip_ipv4_header(&options).unwrap().0, &icmp[4..]);
        options[0] = 0x4f;
        assert_eq!(
            strip_ipv4_header(&options[..40]),
            Err(Malformed::TooShort(40))
        );
        let mut udp = packet.clone();
        udp[9] = 17;
        assert_eq!(strip_ipv4_header(&udp), Err(Malformed::BadIpHeader));
        let mut v6 = packet.clone();
        v6[0] = 0x65;
        assert_eq!(strip_ipv4_header(&v6), Err(Malformed::BadIpHeader));
        assert_eq!(strip_ipv4_header(&[]), Err(Malformed::TooShort(0)));
        assert_eq!(strip_ipv4_header(&packet[..5]), Err(Malformed::BadIpHeader));
    }

    #[test]
    fn only_the_awaited_reply_answers() {
        let payload = stamp(99);
        let target: IpAddr = "127.0.0.1".parse().unwrap();
        let awaited = Awaited {
            version: Version::V4,
            target,
            identifier: 7,
            sequence: 3,
            payload: &payload,
        };
        let reply = reply_to(&echo_request(Version::V4, 7, 3, &payload));
        let icmp = parse(&reply, Version::V4).unwrap();
        assert_eq!(answers(&icmp, target, &awaited), Ok(()));
        let other = "127.0.0.2".parse().unwrap();
        assert_eq!(
            answers(&icmp, other, &awaited),
            Err(NotOurs::OtherSender(other))
        );
        let request = echo_request(Version::V4, 7, 3, &payload);
        assert_eq!(
            answers(&parse(&request, Version::V4).unwrap(), target, &awaited),
            Err(NotOurs::NotAReply(8))
        );
        let theirs = reply_to(&echo_request(Version::V4, 8, 3, &payload));
        assert_eq!(
            answers(&parse(&theirs, Version::V4).unwrap(), target, &awaited),
            Err(NotOurs::OtherIdentifier(8))
        );
        let late = reply_to(&echo_request(Version::V4, 7, 2, &payload));
        assert_eq!(
            answers(&parse(&late, Version::V4).unwrap(), target, &awaited),
            Err(NotOurs::OtherSequence(2))
        );
        let forged = reply_to(&echo_request(Version::V4, 7, 3, &stamp(98)));
        assert_eq!(
            answers(&parse(&forged, Version::V4).unwrap(), target, &awaited),
            Err(NotOurs::OtherPayload)
        );
        // ICMPv6 numbers its reply 129; a type-0 message is something else there.
        let awaited6 = Awaited {
            version: Version::V6,
            ..awaited
        };
        assert_eq!(
            answers(&icmp, target, &awaited6),
            Err(NotOurs::NotAReply(0))
        );
    }

    #[test]
    fn the_summary_reads_like_ping() {
        let us = Duration::from_micros;
        let stats = Stats {
            sent: 4,
            rtts: vec![us(100), us(300), us(200)],
        };
        // mean 0.2 ms; squares 0.01 + 0.09 + 0.04 = 0.14, / 3 - 0.04 = 0.00667.
        assert_eq!(
            stats.summary(Duration::from_millis(3004)),
            "4 packets transmitted, 3 received, 25% packet loss, time 3004ms\n\
             rtt min/avg/max/mdev = 0.100/0.200/0.300/0.082 ms\n"
        );
        let none = Stats {
            sent: 3,
            rtts: vec![],
        };
        assert_eq!(
            none.summary(Duration::from_millis(2000)),
            "3 packets transmitted, 0 received, 100% packet loss, time 2000ms\n"
        );
        let third = Stats {
            sent: 3,
            rtts: vec![us(50), us(50)],
        };
        assert!(third.summary(Duration::ZERO).contains(" 33.3% packet loss"));
    }
}
