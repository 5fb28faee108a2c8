//! An ICMP echo message, byte by byte: the Internet checksum, the echo request a pinger
//! sends, and the reading of what comes back. No socket here: every rule works on plain
//! bytes (the chapter's `icmp_pinger` puts them on the wire).

use std::fmt;

/// IPv4 or IPv6: ICMP and ICMPv6 number their messages differently. (Given.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V4,
    V6,
}

impl Version {
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

/// An ICMP message as read from a socket: its fields, and what follows the header.
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
    /// Fewer bytes than needed (how many there were).
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

// ANCHOR: exercise
/// The Internet checksum (RFC 1071): add the data up as 16-bit big-endian words (an odd
/// last byte is the high byte of a word whose low byte is 0), fold every carry out of the
/// 16 bits back into the sum, and return the ones' complement (`!`) of the result.
///
/// A receiver runs the same sum over the message *with* its checksum in place: an intact
/// message gives 0. Data may be up to 65,535 bytes long.
pub fn checksum(data: &[u8]) -> u16 {
    //> // TODO: sum the words in a wider integer (u32 or u64), add the odd byte << 8,
    //> // then `while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }`, and `!`.
    //> let _ = data;
    //> todo!("checksum")
    // lab:solution
    let mut sum: u64 = 0;
    let mut words = data.chunks_exact(2);
    for word in &mut words {
        sum += u64::from(u16::from_be_bytes([word[0], word[1]]));
    }
    if let [last] = words.remainder() {
        sum += u64::from(*last) << 8;
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
    // lab:end
}

/// An echo request, as it goes on the wire after the IP header, numbers big-endian:
///
/// ```text
///  0       8      16              32 bits
///  | type  | code | checksum       |
///  | identifier   | sequence number|
///  | payload ...                   |
/// ```
///
/// The type is `version.echo_request()`, the code 0. For IPv4 the checksum is computed
/// over the whole message with the checksum field at zero, then put in its place. For
/// ICMPv6 it stays zero: it covers a pseudo-header with both IP addresses, and the kernel
/// fills it in.
pub fn echo_request(version: Version, identifier: u16, sequence: u16, payload: &[u8]) -> Vec<u8> {
    //> // TODO: type, code, two zero bytes, identifier and sequence (to_be_bytes), the
    //> // payload; then, for V4, the checksum of it all into bytes 2 and 3.
    //> let _ = (version, identifier, sequence, payload);
    //> todo!("echo_request")
    // lab:solution
    let mut packet = Vec::with_capacity(HEADER_LEN + payload.len());
    packet.push(version.echo_request());
    packet.push(0);
    packet.extend_from_slice(&[0, 0]);
    packet.extend_from_slice(&identifier.to_be_bytes());
    packet.extend_from_slice(&sequence.to_be_bytes());
    packet.extend_from_slice(payload);
    if version == Version::V4 {
        let sum = checksum(&packet);
        packet[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    packet
    // lab:end
}

/// Reads an ICMP message: `TooShort(len)` if it is shorter than the header; for IPv4,
/// `BadChecksum` if the checksum over the whole message is not 0 (an ICMPv6 message has
/// been checked by the kernel already, and is not checked here). The payload is every
/// byte after the header.
pub fn parse(message: &[u8], version: Version) -> Result<Icmp<'_>, Malformed> {
    //> // TODO: the length, then (V4) the checksum, then the fields (from_be_bytes).
    //> let _ = (message, version);
    //> todo!("parse")
    // lab:solution
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
    // lab:end
}

/// A raw IPv4 socket hands over the whole IP packet: returns the ICMP message after the
/// IP header, and the packet's TTL (its byte 8).
///
/// The header's length is the low four bits of its first byte (IHL) times 4. The packet
/// is `BadIpHeader` unless the high four bits are 4 (the version), the header is at least
/// 20 bytes long, and the protocol (byte 9) is 1, ICMP (a packet too short to have a byte
/// 9 is `BadIpHeader` too); an empty packet is `TooShort(0)`. A packet shorter than its
/// header is `TooShort(len)`.
pub fn strip_ipv4_header(packet: &[u8]) -> Result<(&[u8], u8), Malformed> {
    //> // TODO: the first byte (or TooShort(0)), the header length, the three checks
    //> // (packet.get(9) may be None), the length, the result.
    //> let _ = packet;
    //> todo!("strip_ipv4_header")
    // lab:solution
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
    // lab:end
}
// ANCHOR_END: exercise
