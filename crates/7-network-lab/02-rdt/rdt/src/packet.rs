//! The packet on the wire: a header of 14 bytes, then up to [`MSS`] bytes of data.
//!
//! ```text
//!  0      1          2        4                8        10               14
//!  +------+----------+--------+----------------+--------+----------------+------
//!  | kind | protocol | window | sequence number| length | CRC-32         | data
//!  +------+----------+--------+----------------+--------+----------------+------
//! ```
//!
//! Every number is big-endian (network byte order). The CRC-32 covers the whole
//! packet, header and data, computed with its own four bytes set to zero.

use std::fmt;

/// The most data one packet carries (the maximum segment size).
pub const MSS: usize = 1024;
/// The bytes of the header.
pub const HEADER_LEN: usize = 14;
/// The largest packet: a header and a full segment.
pub const MAX_PACKET: usize = HEADER_LEN + MSS;
/// The largest window a sender may announce (it bounds the receiver's buffer).
pub const MAX_WINDOW: u16 = 1024;

// ANCHOR: kinds
/// What a packet is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A segment of the file; `seq` numbers it.
    Data = 1,
    /// An acknowledgement; what `seq` means depends on the protocol.
    Ack = 2,
    /// The end of the file: `seq` is the number of data packets sent.
    Fin = 3,
    /// The receiver has the whole file: `seq` repeats the FIN's.
    FinAck = 4,
}

/// Which protocol the sender uses. Every packet carries it (and the window size), so
/// the receiver learns both from the first packet that arrives: no handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// rdt 3.0: one packet at a time, numbered 0 and 1 in turn.
    StopAndWait = 1,
    /// A window of N packets, cumulative ACKs, one timer; a timeout sends the
    /// whole window again.
    Gbn = 2,
    /// A window of N packets, an ACK and a timer per packet; the receiver keeps
    /// what arrives out of order.
    Sr = 3,
}
// ANCHOR_END: kinds

impl Protocol {
    /// The sequence number a data packet carries: stop-and-wait needs only one bit.
    pub fn wire_seq(self, index: u32) -> u32 {
        match self {
            Protocol::StopAndWait => index % 2,
            Protocol::Gbn | Protocol::Sr => index,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::StopAndWait => "stop-and-wait",
            Protocol::Gbn => "go-back-n",
            Protocol::Sr => "selective repeat",
        })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Data => "DATA",
            Kind::Ack => "ACK",
            Kind::Fin => "FIN",
            Kind::FinAck => "FINACK",
        })
    }
}

/// A packet, decoded (or about to be encoded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<'a> {
    pub kind: Kind,
    pub protocol: Protocol,
    /// The sender's window size (1 for stop-and-wait).
    pub window: u16,
    pub seq: u32,
    pub data: &'a [u8],
}

/// Why a datagram is not a packet. A receiver drops it and carries on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bad {
    /// Shorter than a header.
    Short(usize),
    /// Longer than a header and a full segment.
    Long(usize),
    /// The CRC does not match: bits were damaged on the way (or it is not ours).
    Checksum { carried: u32, computed: u32 },
    /// The length field disagrees with the datagram's size.
    Length { field: u16, actual: usize },
    /// A kind or protocol number we do not know.
    Unknown { kind: u8, protocol: u8 },
    /// A window of 0 or above [`MAX_WINDOW`].
    Window(u16),
}

impl fmt::Display for Bad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bad::Short(n) => write!(f, "{n} bytes, shorter than a header"),
            Bad::Long(n) => write!(f, "{n} bytes, longer than a packet"),
            Bad::Checksum { carried, computed } => write!(
                f,
                "bad CRC ({carried:08x} carried, {computed:08x} computed)"
            ),
            Bad::Length { field, actual } => {
                write!(f, "length field {field}, but {actual} bytes of data")
            }
            Bad::Unknown { kind, protocol } => {
                write!(f, "unknown kind {kind} or protocol {protocol}")
            }
            Bad::Window(w) => write!(f, "window {w} out of range"),
        }
    }
}

// ANCHOR: encode
/// The bytes of `packet` on the wire.
pub fn encode(packet: &Packet) -> Vec<u8> {
    assert!(
        packet.data.len() <= MSS,
        "a packet carries at most MSS bytes"
    );
    let mut out = Vec::with_capacity(HEADER_LEN + packet.data.len());
    out.push(packet.kind as u8);
    out.push(packet.protocol as u8);
    out.extend(packet.window.to_be_bytes());
    out.extend(packet.seq.to_be_bytes());
    out.extend((packet.data.len() as u16).to_be_bytes());
    out.extend([0; 4]); // the CRC, computed over the packet with these four as zero
    out.extend(packet.data);
    let crc = crc32(&out);
    out[10..14].copy_from_slice(&crc.to_be_bytes());
    out
}

/// The packet in `bytes`, or why it is not one. The CRC is checked first: the
/// fields of a damaged packet mean nothing.
pub fn decode(bytes: &[u8]) -> Result<Packet<'_>, Bad> {
    if bytes.len() < HEADER_LEN {
        return Err(Bad::Short(bytes.len()));
    }
    if bytes.len() > MAX_PACKET {
        return Err(Bad::Long(bytes.len()));
    }
    let carried = u32::from_be_bytes([bytes[10], bytes[11], bytes[12], bytes[13]]);
    let computed = crc32_parts(&[&bytes[..10], &[0; 4], &bytes[HEADER_LEN..]]);
    if carried != computed {
        return Err(Bad::Checksum { carried, computed });
    }
    let field = u16::from_be_bytes([bytes[8], bytes[9]]);
    let data = &bytes[HEADER_LEN..];
    if usize::from(field) != data.len() {
        return Err(Bad::Length {
            field,
            actual: data.len(),
        });
    }
    let unknown = Bad::Unknown {
        kind: bytes[0],
        protocol: bytes[1],
    };
    let kind = match bytes[0] {
        1 => Kind::Data,
        2 => Kind::Ack,
        3 => Kind::Fin,
        4 => Kind::FinAck,
        _ => return Err(unknown),
    };
    let protocol = match bytes[1] {
        1 => Protocol::StopAndWait,
        2 => Protocol::Gbn,
        3 => Protocol::Sr,
        _ => return Err(unknown),
    };
    let window = u16::from_be_bytes([bytes[2], bytes[3]]);
    if window == 0 || window > MAX_WINDOW {
        return Err(Bad::Window(window));
    }
    let seq = u32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    Ok(Packet {
        kind,
        protocol,
        window,
        seq,
        data,
    })
}
// ANCHOR_END: encode

// ANCHOR: crc
/// The CRC-32 of Ethernet, zip and PNG (polynomial 0x04C11DB7, bits reflected,
/// starting from all ones and inverted at the end), a table of 256 entries built
/// when the program is compiled.
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32_parts(&[bytes])
}

fn crc32_parts(parts: &[&[u8]]) -> u32 {
    let mut crc = !0u32;
    for part in parts {
        for &byte in *part {
            crc = CRC_TABLE[((crc ^ u32::from(byte)) & 0xff) as usize] ^ (crc >> 8);
        }
    }
    !crc
}

/// Entry `i`: the remainder of byte `i` shifted through the polynomial, bit by bit
/// (0xEDB88320 is 0x04C11DB7 with its bits in reverse order).
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut bit = 0;
        while bit < 8 {
            c = if c & 1 == 1 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            bit += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};
// ANCHOR_END: crc

// ANCHOR: internet_checksum
/// The Internet checksum of IP, UDP and TCP (RFC 1071): the ones' complement of the
/// ones' complement sum of the 16-bit words. Not used on our wire; it is here to
/// show (in the tests) the damage it cannot see.
pub fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in bytes.chunks(2) {
        let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
        sum = (sum & 0xffff) + (sum >> 16); // the carry goes round
    }
    !(sum as u16)
}
// ANCHOR_END: internet_checksum

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(data: &[u8]) -> Vec<u8> {
        encode(&Packet {
            kind: Kind::Data,
            protocol: Protocol::Gbn,
            window: 8,
            seq: 0x0102_0304,
            data,
        })
    }

    #[test]
    fn crc32_matches_the_published_check_value() {
        // The check value of CRC-32 (the one zip and Ethernet use): CRC of "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn the_header_is_laid_out_as_documented() {
        let bytes = sample(b"hi");
        assert_eq!(&bytes[..10], b"\x01\x02\x00\x08\x01\x02\x03\x04\x00\x02");
        assert_eq!(&bytes[14..], b"hi");
        let mut zeroed = bytes.clone();
        zeroed[10..14].fill(0);
        assert_eq!(bytes[10..14], crc32(&zeroed).to_be_bytes());
    }

    #[test]
    fn a_packet_decodes_to_what_was_encoded() {
        for len in [0, 1, 17, MSS] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let bytes = sample(&data);
            let packet = decode(&bytes).unwrap();
            assert_eq!(packet.kind, Kind::Data);
            assert_eq!(packet.protocol, Protocol::Gbn);
            assert_eq!((packet.window, packet.seq), (8, 0x0102_0304));
            assert_eq!(packet.data, &data[..]);
        }
    }

    #[test]
    fn every_single_bit_flip_is_caught() {
        let bytes = sample(&[0x5a; 200]);
        for bit in 0..bytes.len() * 8 {
            let mut damaged = bytes.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(decode(&damaged).is_err(), "bit {bit} flipped went unseen");
        }
    }

    #[test]
    fn random_flips_of_two_and_three_bits_are_caught() {
        // What --corrupt does (1 to 3 bits) to full packets, 100,000 times.
        let data: Vec<u8> = (0..MSS).map(|i| (i * 31 % 251) as u8).collect();
        let bytes = sample(&data);
        let mut dice = crate::channel::XorShift::new(99);
        for _ in 0..100_000 {
            let mut damaged = bytes.clone();
            let flips = 2 + dice.below(2) as usize;
            let mut bits: Vec<usize> = Vec::new();
            while bits.len() < flips {
                let bit = dice.below(bytes.len() as u64 * 8) as usize;
                if !bits.contains(&bit) {
                    bits.push(bit);
                }
            }
            for bit in &bits {
                damaged[bit / 8] ^= 1 << (bit % 8);
            }
            assert!(
                decode(&damaged).is_err(),
                "bits {bits:?} flipped went unseen"
            );
        }
    }

    #[test]
    fn the_internet_checksum_misses_two_flips_that_cancel() {
        // RFC 1071's example words sum to 0xddf2, checksum 0x220d.
        let words = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(internet_checksum(&words), 0x220d);
        // Bit 1 of the first word goes from 0 to 1 (it gains 2), bit 1 of the second
        // from 1 to 0 (it loses 2): the sum is the same, so the Internet checksum
        // cannot tell. CRC-32 can.
        let mut damaged = words;
        damaged[1] ^= 0x02; // 0x0001 -> 0x0003
        damaged[3] ^= 0x02; // 0xf203 -> 0xf201
        assert_ne!(damaged, words);
        assert_eq!(internet_checksum(&damaged), internet_checksum(&words));
        assert_ne!(crc32(&damaged), crc32(&words));
    }

    #[test]
    fn bad_datagrams_are_refused_with_a_reason() {
        assert_eq!(decode(b"short"), Err(Bad::Short(5)));
        assert_eq!(
            decode(&vec![0; MAX_PACKET + 1]),
            Err(Bad::Long(MAX_PACKET + 1))
        );
        assert!(matches!(decode(&[0u8; 20]), Err(Bad::Checksum { .. })));
        // A well-formed CRC over a header whose length field lies.
        let mut bytes = sample(b"abc");
        bytes[9] = 2;
        bytes[10..14].fill(0);
        let crc = crc32(&bytes);
        bytes[10..14].copy_from_slice(&crc.to_be_bytes());
        assert_eq!(
            decode(&bytes),
            Err(Bad::Length {
                field: 2,
                actual: 3
            })
        );
    }

    #[test]
    fn stop_and_wait_numbers_with_one_bit() {
        let seqs: Vec<u32> =
            (0..5).map(|i| Protocol::StopAndWait.wire_seq(i)).collect();
        assert_eq!(seqs, [0, 1, 0, 1, 0]);
        assert_eq!(Protocol::Sr.wire_seq(7), 7);
    }
}
