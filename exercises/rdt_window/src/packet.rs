//! The packets of the chapter's `rdt`, Go-Back-N's share of them. (Given: nothing to
//! write here.)
//!
//! A header of 14 bytes, big-endian: kind (1 DATA, 2 ACK, 3 FIN, 4 FINACK), protocol
//! (2 = Go-Back-N), window, sequence number (4 bytes), length of the data (2 bytes),
//! CRC-32 of the whole packet computed with its own 4 bytes as zero; then the data.
//! `rdt receive` from the course understands these packets.

/// The most data one packet carries.
pub const MSS: usize = 1024;
/// The bytes of the header.
pub const HEADER_LEN: usize = 14;
/// The protocol number of Go-Back-N.
pub const GBN: u8 = 2;

pub const DATA: u8 = 1;
pub const ACK: u8 = 2;
pub const FIN: u8 = 3;
pub const FINACK: u8 = 4;

/// The bytes of a packet.
pub fn encode(kind: u8, window: u16, seq: u32, data: &[u8]) -> Vec<u8> {
    let mut out = vec![kind, GBN];
    out.extend(window.to_be_bytes());
    out.extend(seq.to_be_bytes());
    out.extend((data.len() as u16).to_be_bytes());
    out.extend([0; 4]);
    out.extend(data);
    let crc = crc32(&out);
    out[10..14].copy_from_slice(&crc.to_be_bytes());
    out
}

/// The kind and sequence number of a valid Go-Back-N packet without data (an ACK or
/// a FINACK), or `None` for anything else: damaged, too short, another protocol.
pub fn decode_reply(bytes: &[u8]) -> Option<(u8, u32)> {
    if bytes.len() != HEADER_LEN || bytes[1] != GBN {
        return None;
    }
    let carried = u32::from_be_bytes(bytes[10..14].try_into().ok()?);
    let mut zeroed = bytes.to_vec();
    zeroed[10..14].fill(0);
    if crc32(&zeroed) != carried || bytes[8..10] != [0, 0] {
        return None;
    }
    Some((bytes[0], u32::from_be_bytes(bytes[4..8].try_into().ok()?)))
}

/// CRC-32 (the one of Ethernet and zip), bit by bit.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                0xEDB8_8320 ^ (crc >> 1)
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
