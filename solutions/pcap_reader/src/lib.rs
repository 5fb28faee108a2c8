//! Reading a capture: the TCP and UDP segments of a pcap file (the format `tcpdump -w` and
//! `netlab up --pcap` write), and the labels a sequence diagram puts on their arrows.
//!
//! A pcap file is a 24-byte global header, then one record per frame:
//!
//! ```text
//! global header  magic u32 | version 2+2 | zone 4 | sigfigs 4 | snaplen 4 | link type u32
//! record header  seconds u32 | micro- or nanoseconds u32 | captured length u32 | length u32
//! record data    the frame's first `captured length` bytes
//! ```
//!
//! The magic number says the byte order of every header field and the unit of the second
//! time field: `a1b2c3d4` read in the file's own order means microseconds, `a1b23c4d`
//! nanoseconds. Link type 1 means every record is an Ethernet frame:
//!
//! ```text
//! Ethernet  destination 6 | source 6 | EtherType 2 (0x0800 IPv4, 0x86dd IPv6)
//! IPv4      version,IHL 1 | tos 1 | total length 2 | id 2 | flags,offset 2 | ttl 1 |
//!           protocol 1 (6 TCP, 17 UDP) | checksum 2 | source 4 | destination 4 | options
//! IPv6      version... 4 | payload length 2 | next header 1 | hop limit 1 | source 16 |
//!           destination 16
//! TCP       source port 2 | destination port 2 | seq 4 | ack 4 | data offset 1 (high
//!           4 bits, in 32-bit words) | flags 1 | window 2 | checksum 2 | urgent 2 | options
//! UDP       source port 2 | destination port 2 | length 2 (header included) | checksum 2
//! ```
//!
//! Everything after the pcap headers is big-endian (network byte order).

use std::net::SocketAddr;
// lab:solution
use std::collections::HashMap;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
// lab:end
//> // You may need: std::collections::{HashMap, HashSet}, std::net::{IpAddr, Ipv4Addr, Ipv6Addr}
use std::time::Duration;

/// TCP's flag bits, as they are in the header's flags byte.
pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const RST: u8 = 0x04;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// One TCP or UDP segment of the capture.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// When it was captured: the record's seconds and fraction, since 1970.
    pub time: Duration,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub proto: Proto,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Proto {
    /// `len`: the bytes of data the segment carries, from the IP header's lengths.
    Tcp {
        seq: u32,
        ack: u32,
        flags: u8,
        win: u16,
        len: usize,
    },
    /// `len`: the bytes of data, from the UDP header's length.
    Udp { len: usize },
}

/// Why a file cannot be read as a capture.
#[derive(Debug, PartialEq)]
pub enum CaptureError {
    /// Shorter than the global header, or a magic number that is none of the four.
    NotPcap,
    /// Another link type than Ethernet (1).
    LinkType(u32),
}

// ANCHOR: exercise
/// The TCP and UDP segments of capture `bytes`, in the capture's order.
///
/// Left out, without an error: frames that are neither IPv4 nor IPv6 (ARP), IP packets that
/// carry neither TCP nor UDP directly (ICMP; IPv6 extension headers), IPv4 fragments (the
/// more-fragments flag or a fragment offset), and frames whose captured bytes are too few
/// for their headers. A file that ends inside a record (its header or its data) gives the
/// segments before it: the capture may still be being written.
///
/// A segment's `len` comes from the headers, never from the captured length: a short
/// frame is padded on Ethernet, and a capture may keep only the first bytes of each frame.
/// TCP: the IP payload (IPv4 total length − IHL × 4, or IPv6 payload length) minus the TCP
/// header (data offset × 4). UDP: its length field minus 8.
pub fn read(bytes: &[u8]) -> Result<Vec<Segment>, CaptureError> {
    //> // TODO: the global header (magic: byte order and time unit; link type), then each
    //> // record, each frame through Ethernet, IPv4 or IPv6, TCP or UDP.
    //> let _ = bytes;
    //> todo!("read")
    // lab:solution
    let magic = bytes.get(0..4).ok_or(CaptureError::NotPcap)?;
    let magic: [u8; 4] = magic.try_into().unwrap();
    let (little, nanos) = match (u32::from_le_bytes(magic), u32::from_be_bytes(magic)) {
        (0xa1b2_c3d4, _) => (true, false),
        (0xa1b2_3c4d, _) => (true, true),
        (_, 0xa1b2_c3d4) => (false, false),
        (_, 0xa1b2_3c4d) => (false, true),
        _ => return Err(CaptureError::NotPcap),
    };
    if bytes.len() < 24 {
        return Err(CaptureError::NotPcap);
    }
    let u32_at = |at: usize| {
        let four: [u8; 4] = bytes[at..at + 4].try_into().unwrap();
        if little {
            u32::from_le_bytes(four)
        } else {
            u32::from_be_bytes(four)
        }
    };
    let link = u32_at(20);
    if link != 1 {
        return Err(CaptureError::LinkType(link));
    }
    let mut segments = Vec::new();
    let mut at = 24;
    while at + 16 <= bytes.len() {
        let (secs, frac, captured) = (u32_at(at), u32_at(at + 4), u32_at(at + 8) as usize);
        at += 16;
        let Some(frame) = bytes.get(at..at.saturating_add(captured)) else {
            break;
        };
        at += captured;
        let fraction = if nanos {
            Duration::from_nanos(frac.into())
        } else {
            Duration::from_micros(frac.into())
        };
        let time = Duration::from_secs(secs.into()) + fraction;
        if let Some((src, dst, proto)) = ethernet(frame) {
            segments.push(Segment {
                time,
                src,
                dst,
                proto,
            });
        }
    }
    Ok(segments)
    // lab:end
}
// lab:solution

fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

/// A frame's addresses and segment, if it is TCP or UDP over IP with all its headers.
fn ethernet(frame: &[u8]) -> Option<(SocketAddr, SocketAddr, Proto)> {
    if frame.len() < 14 {
        return None;
    }
    let packet = &frame[14..];
    let (src, dst, protocol, payload, payload_len): (IpAddr, IpAddr, u8, &[u8], usize) =
        match be16(frame, 12) {
            0x0800 => {
                if packet.len() < 20 || packet[0] >> 4 != 4 {
                    return None;
                }
                let ihl = (packet[0] & 0x0f) as usize * 4;
                let total = be16(packet, 2) as usize;
                let fragment = be16(packet, 6);
                if ihl < 20 || total < ihl || packet.len() < ihl || fragment & 0x3fff != 0 {
                    return None;
                }
                let src: [u8; 4] = packet[12..16].try_into().unwrap();
                let dst: [u8; 4] = packet[16..20].try_into().unwrap();
                (
                    Ipv4Addr::from(src).into(),
                    Ipv4Addr::from(dst).into(),
                    packet[9],
                    &packet[ihl..],
                    total - ihl,
                )
            }
            0x86dd => {
                if packet.len() < 40 || packet[0] >> 4 != 6 {
                    return None;
                }
                let src: [u8; 16] = packet[8..24].try_into().unwrap();
                let dst: [u8; 16] = packet[24..40].try_into().unwrap();
                (
                    Ipv6Addr::from(src).into(),
                    Ipv6Addr::from(dst).into(),
                    packet[6],
                    &packet[40..],
                    be16(packet, 4) as usize,
                )
            }
            _ => return None,
        };
    let (sport, dport, proto) = match protocol {
        6 => {
            if payload.len() < 20 {
                return None;
            }
            let offset = (payload[12] >> 4) as usize * 4;
            if offset < 20 || payload_len < offset {
                return None;
            }
            let tcp = Proto::Tcp {
                seq: be32(payload, 4),
                ack: be32(payload, 8),
                flags: payload[13],
                win: be16(payload, 14),
                len: payload_len - offset,
            };
            (be16(payload, 0), be16(payload, 2), tcp)
        }
        17 => {
            if payload.len() < 8 {
                return None;
            }
            let len = (be16(payload, 4) as usize).checked_sub(8)?;
            (be16(payload, 0), be16(payload, 2), Proto::Udp { len })
        }
        _ => return None,
    };
    Some((
        SocketAddr::new(src, sport),
        SocketAddr::new(dst, dport),
        proto,
    ))
}
// lab:end

/// The label of each segment's arrow, as `netlab diagram` draws it:
///
/// - TCP: `SRC → DST FLAGS seq=S`, then ` ack=A` if the ACK flag is set, ` len=L` if it
///   carries data, ` win=W` if it is a SYN. FLAGS are the names of the flags set, in the
///   order SYN, FIN, RST, PSH, ACK, joined by commas (the others left out). S counts from
///   the first sequence number seen in the same direction (same source and destination,
///   addresses and ports): that segment's S is 0. A counts from the first sequence number
///   seen in the opposite direction, or is the raw number if none has been seen yet. Both
///   are differences modulo 2³² (sequence numbers wrap).
/// - A TCP segment that occupies sequence space (data, SYN or FIN) and was seen before in
///   the same direction, with the same sequence number, length, SYN and FIN, is a
///   retransmission: its label starts with `retransmission: `.
/// - UDP: `SRC → DST UDP len=L`.
///
/// SRC and DST are written as `SocketAddr`'s `Display` does (`[2001:db8::1]:80` for IPv6).
/// For example `192.0.2.1:53392 → 192.0.2.2:12000 PSH,ACK seq=1 ack=1 len=9`.
pub fn labels(segments: &[Segment]) -> Vec<String> {
    //> // TODO: remember each direction's first sequence number, and the segments seen.
    //> let _ = segments;
    //> todo!("labels")
    // lab:solution
    type Direction = (SocketAddr, SocketAddr);
    let mut base: HashMap<Direction, u32> = HashMap::new();
    let mut seen: HashSet<(Direction, u32, usize, u8)> = HashSet::new();
    let mut out = Vec::new();
    for s in segments {
        let ends = format!("{} → {}", s.src, s.dst);
        let Proto::Tcp {
            seq,
            ack,
            flags,
            win,
            len,
        } = s.proto
        else {
            let Proto::Udp { len } = s.proto else {
                unreachable!()
            };
            out.push(format!("{ends} UDP len={len}"));
            continue;
        };
        let dir = (s.src, s.dst);
        let first = *base.entry(dir).or_insert(seq);
        let names: Vec<&str> = [
            (SYN, "SYN"),
            (FIN, "FIN"),
            (RST, "RST"),
            (PSH, "PSH"),
            (ACK, "ACK"),
        ]
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, name)| *name)
        .collect();
        let mut label = format!("{ends} {} seq={}", names.join(","), seq.wrapping_sub(first));
        if flags & ACK != 0 {
            let ack = match base.get(&(s.dst, s.src)) {
                Some(b) => ack.wrapping_sub(*b),
                None => ack,
            };
            label += &format!(" ack={ack}");
        }
        if len > 0 {
            label += &format!(" len={len}");
        }
        if flags & SYN != 0 {
            label += &format!(" win={win}");
        }
        let occupies = len > 0 || flags & (SYN | FIN) != 0;
        if occupies && !seen.insert((dir, seq, len, flags & (SYN | FIN))) {
            label = format!("retransmission: {label}");
        }
        out.push(label);
    }
    out
    // lab:end
}
// ANCHOR_END: exercise
