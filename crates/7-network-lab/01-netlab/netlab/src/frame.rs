//! What is inside an Ethernet frame, as far as the course needs it (ARP, IPv4, IPv6, TCP,
//! UDP, ICMP), and the one-line summary tcpdump would print for it.

use std::net::IpAddr;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};

/// The parts of a frame that the summaries and the diagrams show.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    Arp {
        request: bool,
        sender: IpAddr,
        sender_mac: [u8; 6],
        target: IpAddr,
    },
    Ip {
        src: IpAddr,
        dst: IpAddr,
        /// TTL (IPv4) or hop limit (IPv6).
        ttl: u8,
        payload: Payload,
    },
    /// Anything else: the EtherType, or why the frame could not be read.
    Other(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    Tcp(Tcp),
    Udp {
        sport: u16,
        dport: u16,
        len: usize,
    },
    Icmp {
        v6: bool,
        kind: u8,
        code: u8,
        len: usize,
    },
    /// Another protocol, or a fragment after the first.
    Other(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tcp {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub syn: bool,
    pub ack_flag: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
    pub win: u16,
    /// Bytes of payload.
    pub len: usize,
}

impl Tcp {
    /// tcpdump's notation: `S` SYN, `F` FIN, `R` RST, `P` PSH, `.` ACK.
    pub fn flags(&self) -> String {
        let mut f = String::new();
        for (on, c) in [
            (self.syn, 'S'),
            (self.fin, 'F'),
            (self.rst, 'R'),
            (self.psh, 'P'),
            (self.ack_flag, '.'),
        ] {
            if on {
                f.push(c);
            }
        }
        f
    }

    /// The names, as a diagram labels them: `SYN,ACK`.
    pub fn flag_names(&self) -> String {
        let names: Vec<&str> = [
            (self.syn, "SYN"),
            (self.fin, "FIN"),
            (self.rst, "RST"),
            (self.psh, "PSH"),
            (self.ack_flag, "ACK"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, n)| *n)
        .collect();
        names.join(",")
    }
}

/// Reads a frame.
pub fn parse(data: &[u8]) -> Frame {
    let packet = match SlicedPacket::from_ethernet(data) {
        Ok(p) => p,
        Err(e) => return Frame::Other(format!("unreadable frame ({e})")),
    };
    let Some(net) = &packet.net else {
        let kind = packet
            .payload_ether_type()
            .map_or("no EtherType".to_owned(), |t| {
                format!("ethertype {:#06x}", t.0)
            });
        return Frame::Other(kind);
    };
    let (src, dst, ttl) = match net {
        NetSlice::Arp(arp) => {
            let Ok(arp) = arp.to_packet().try_eth_ipv4() else {
                return Frame::Other("ARP (not Ethernet/IPv4)".to_owned());
            };
            return Frame::Arp {
                request: arp.operation.0 == 1,
                sender: IpAddr::V4(arp.sender_ipv4_addr()),
                sender_mac: arp.sender_mac,
                target: IpAddr::V4(arp.target_ipv4_addr()),
            };
        }
        NetSlice::Ipv4(ip) => (
            IpAddr::V4(ip.header().source_addr()),
            IpAddr::V4(ip.header().destination_addr()),
            ip.header().ttl(),
        ),
        NetSlice::Ipv6(ip) => (
            IpAddr::V6(ip.header().source_addr()),
            IpAddr::V6(ip.header().destination_addr()),
            ip.header().hop_limit(),
        ),
    };
    let payload = match &packet.transport {
        Some(TransportSlice::Tcp(t)) => Payload::Tcp(Tcp {
            sport: t.source_port(),
            dport: t.destination_port(),
            seq: t.sequence_number(),
            ack: t.acknowledgment_number(),
            syn: t.syn(),
            ack_flag: t.ack(),
            fin: t.fin(),
            rst: t.rst(),
            psh: t.psh(),
            win: t.window_size(),
            len: t.payload().len(),
        }),
        Some(TransportSlice::Udp(u)) => Payload::Udp {
            sport: u.source_port(),
            dport: u.destination_port(),
            len: u.payload().len(),
        },
        Some(TransportSlice::Icmpv4(i)) => Payload::Icmp {
            v6: false,
            kind: i.type_u8(),
            code: i.code_u8(),
            len: i.slice().len(),
        },
        Some(TransportSlice::Icmpv6(i)) => Payload::Icmp {
            v6: true,
            kind: i.type_u8(),
            code: i.code_u8(),
            len: i.slice().len(),
        },
        _ => {
            let what = net.ip_payload_ref().map_or("unknown".to_owned(), |p| {
                if p.fragmented {
                    "fragment".to_owned()
                } else {
                    format!("protocol {}", p.ip_number.0)
                }
            });
            Payload::Other(what)
        }
    };
    Frame::Ip {
        src,
        dst,
        ttl,
        payload,
    }
}

/// ICMP and ICMPv6 messages by name, as tcpdump words them.
pub fn icmp_name(v6: bool, kind: u8, code: u8) -> String {
    let name = match (v6, kind, code) {
        (false, 0, _) | (true, 129, _) => "echo reply",
        (false, 8, _) | (true, 128, _) => "echo request",
        (false, 3, 0) => "net unreachable",
        (false, 3, 1) | (true, 1, 3) => "host unreachable",
        (false, 3, 3) | (true, 1, 4) => "port unreachable",
        (false, 3, 4) => "fragmentation needed",
        (false, 3, _) | (true, 1, _) => "destination unreachable",
        (false, 11, 0) | (true, 3, 0) => "time exceeded in-transit",
        (false, 11, _) | (true, 3, _) => "time exceeded",
        (true, 2, _) => "packet too big",
        (true, 133, _) => "router solicitation",
        (true, 134, _) => "router advertisement",
        (true, 135, _) => "neighbor solicitation",
        (true, 136, _) => "neighbor advertisement",
        (true, 130..=132 | 143, _) => "multicast listener report",
        _ => return format!("type {kind} code {code}"),
    };
    name.to_owned()
}

/// Whether a frame only keeps the link working (ARP, IPv6 neighbour discovery and
/// multicast listener reports) rather than carrying anything a program sent.
pub fn is_housekeeping(frame: &Frame) -> bool {
    match frame {
        Frame::Arp { .. } | Frame::Other(_) => true,
        Frame::Ip {
            payload: Payload::Icmp { v6: true, kind, .. },
            ..
        } => matches!(kind, 130..=137 | 143),
        _ => false,
    }
}

fn endpoint(addr: IpAddr, port: u16) -> String {
    format!("{addr}.{port}")
}

// ANCHOR: summary
/// The line tcpdump would print for a frame (the TTL as `tcpdump -v` shows it).
pub fn summary(data: &[u8]) -> String {
    match parse(data) {
        Frame::Arp {
            request: true,
            sender,
            target,
            ..
        } => format!("ARP, Request who-has {target} tell {sender}, length 28"),
        Frame::Arp {
            sender, sender_mac, ..
        } => format!("ARP, Reply {sender} is-at {}, length 28", mac(sender_mac)),
        Frame::Other(what) => what,
        Frame::Ip {
            src,
            dst,
            ttl,
            payload,
        } => {
            let ip = if src.is_ipv4() {
                format!("IP (ttl {ttl})")
            } else {
                format!("IP6 (hlim {ttl})")
            };
            match payload {
                Payload::Tcp(t) => {
                    let mut line = format!(
                        "{ip} {} > {}: Flags [{}], seq {}",
                        endpoint(src, t.sport),
                        endpoint(dst, t.dport),
                        t.flags(),
                        t.seq
                    );
                    if t.len > 0 {
                        line += &format!(":{}", t.seq.wrapping_add(t.len as u32));
                    }
                    if t.ack_flag {
                        line += &format!(", ack {}", t.ack);
                    }
                    line + &format!(", win {}, length {}", t.win, t.len)
                }
                Payload::Udp { sport, dport, len } => format!(
                    "{ip} {} > {}: UDP, length {len}",
                    endpoint(src, sport),
                    endpoint(dst, dport)
                ),
                Payload::Icmp {
                    v6,
                    kind,
                    code,
                    len,
                } => {
                    let proto = if v6 { "ICMP6" } else { "ICMP" };
                    let name = icmp_name(v6, kind, code);
                    format!("{ip} {src} > {dst}: {proto} {name}, length {len}")
                }
                Payload::Other(what) => format!("{ip} {src} > {dst}: {what}"),
            }
        }
    }
}
// ANCHOR_END: summary

pub fn mac(m: [u8; 6]) -> String {
    let parts: Vec<String> = m.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    fn tcp_frame(syn: bool, payload: &[u8]) -> Vec<u8> {
        let mut b = PacketBuilder::ethernet2([2, 0, 0, 0, 1, 1], [2, 0, 0, 0, 1, 2])
            .ipv4([192, 0, 2, 1], [192, 0, 2, 2], 64)
            .tcp(43512, 12000, 1000, 64240);
        if syn {
            b = b.syn();
        } else {
            b = b.ack(5000).psh();
        }
        let mut out = Vec::new();
        b.write(&mut out, payload).unwrap();
        out
    }

    #[test]
    fn tcp_reads_as_tcpdump_writes_it() {
        assert_eq!(
            summary(&tcp_frame(true, b"")),
            "IP (ttl 64) 192.0.2.1.43512 > 192.0.2.2.12000: Flags [S], seq 1000, win 64240, length 0"
        );
        assert_eq!(
            summary(&tcp_frame(false, b"hello")),
            "IP (ttl 64) 192.0.2.1.43512 > 192.0.2.2.12000: Flags [P.], seq 1000:1005, ack 5000, win 64240, length 5"
        );
    }

    #[test]
    fn udp_and_icmp_too() {
        let mut out = Vec::new();
        PacketBuilder::ethernet2([2; 6], [3; 6])
            .ipv6(
                "2001:db8::1"
                    .parse::<std::net::Ipv6Addr>()
                    .unwrap()
                    .octets(),
                "2001:db8::2"
                    .parse::<std::net::Ipv6Addr>()
                    .unwrap()
                    .octets(),
                1,
            )
            .udp(5000, 1514)
            .write(&mut out, b"<13>hi")
            .unwrap();
        assert_eq!(
            summary(&out),
            "IP6 (hlim 1) 2001:db8::1.5000 > 2001:db8::2.1514: UDP, length 6"
        );
        assert_eq!(icmp_name(false, 11, 0), "time exceeded in-transit");
        assert!(summary(b"\x01\x02").starts_with("unreadable frame ("));
    }
}
