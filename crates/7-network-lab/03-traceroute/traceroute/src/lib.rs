//! What traceroute needs besides its sockets: the port that names each probe,
//! what an ICMP answer means, the probe an ICMP error quotes (for the raw
//! socket), and the line printed for each hop. Plain bytes and values, tested
//! without a network.

use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// The first destination port, as in the original traceroute: high enough that
/// nothing is likely to listen there.
pub const BASE_PORT: u16 = 33434;

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
}

// ANCHOR: probe_port
/// The destination port of probe `index` (from 0) of hop `ttl` (from 1): every
/// probe of the run has a port of its own, so the port an answer quotes says
/// which probe it answers. `None` past port 65535.
pub fn probe_port(base: u16, ttl: u8, probes: u8, index: u8) -> Option<u16> {
    let offset = (u32::from(ttl) - 1) * u32::from(probes) + u32::from(index);
    u16::try_from(u32::from(base) + offset).ok()
}
// ANCHOR_END: probe_port

/// What an answer says about the probe it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// "Time exceeded": a router on the way, where the TTL ran out.
    Router,
    /// "Port unreachable": the destination itself, where no program has the
    /// probe's port.
    Destination,
    /// Another kind of "unreachable" (its ICMP code): the probe can go no
    /// further.
    Unreachable(u8),
    /// An error this machine reported itself (its errno), with no ICMP message.
    Local(i32),
}

// ANCHOR: verdict
/// What ICMP message `kind`/`code` says about a probe: ICMP (RFC 792) and
/// ICMPv6 (RFC 4443) number the same messages differently.
pub fn verdict(version: Version, kind: u8, code: u8) -> Option<Verdict> {
    match (version, kind, code) {
        (Version::V4, 11, _) | (Version::V6, 3, _) => Some(Verdict::Router),
        (Version::V4, 3, 3) | (Version::V6, 1, 4) => Some(Verdict::Destination),
        (Version::V4, 3, code) | (Version::V6, 1, code) => {
            Some(Verdict::Unreachable(code))
        }
        _ => None,
    }
}
// ANCHOR_END: verdict

impl Verdict {
    /// Whether the walk ends at this answer: only a router lets it go on.
    pub fn ends_the_walk(self) -> bool {
        self != Verdict::Router
    }

    /// The mark traceroute puts after the time of an unusual answer: `!N` (no
    /// route to the network), `!H` (the host does not answer), `!P` (protocol
    /// unreachable), `!X` (administratively prohibited), `!F` (fragmentation
    /// needed), else `!` and the code.
    pub fn mark(self, version: Version) -> String {
        let Verdict::Unreachable(code) = self else {
            return match self {
                Verdict::Local(errno) => format!(" !E{errno}"),
                _ => String::new(),
            };
        };
        let mark = match (version, code) {
            (Version::V4, 0) | (Version::V6, 0) => "N",
            (Version::V4, 1) | (Version::V6, 3) => "H",
            (Version::V4, 2) => "P",
            (Version::V4, 4) => "F",
            (Version::V4, 9 | 10 | 13) | (Version::V6, 1) => "X",
            _ => return format!(" !{code}"),
        };
        format!(" !{mark}")
    }
}

/// One probe's fate.
#[derive(Clone, Debug, PartialEq)]
pub enum Probe {
    Answered {
        from: IpAddr,
        rtt: Duration,
        verdict: Verdict,
    },
    /// No answer in time: `*`.
    Silent,
}

// ANCHOR: hop_line
/// What traceroute prints for a probe, after the hop number and what the
/// earlier probes of the hop printed: the address when it is not the one
/// before, then the time (and a mark), or `*` for silence.
pub fn probe_text(
    version: Version,
    previous: Option<IpAddr>,
    probe: &Probe,
) -> String {
    match probe {
        Probe::Silent => "  *".to_owned(),
        Probe::Answered { from, rtt, verdict } => {
            let mut text = String::new();
            if previous != Some(*from) {
                let _ = write!(text, "  {from}");
            }
            let ms = rtt.as_secs_f64() * 1e3;
            let _ = write!(text, "  {ms:.3} ms{}", verdict.mark(version));
            text
        }
    }
}

/// The whole line for hop `ttl`: ` 2  198.51.100.2  0.612 ms  *  0.588 ms`.
pub fn hop_line(version: Version, ttl: u8, probes: &[Probe]) -> String {
    let mut line = format!("{ttl:2}");
    let mut previous = None;
    for probe in probes {
        line.push_str(&probe_text(version, previous, probe));
        if let Probe::Answered { from, .. } = probe {
            previous = Some(*from);
        }
    }
    line
}
// ANCHOR_END: hop_line

/// An ICMP error read from a raw socket, and the UDP probe it quotes.
#[derive(Debug, PartialEq, Eq)]
pub struct Quoted {
    pub kind: u8,
    pub code: u8,
    /// Where the quoted probe was going.
    pub destination: IpAddr,
    pub source_port: u16,
    pub destination_port: u16,
}

// ANCHOR: quoted
/// Reads an ICMP error message (from its ICMP header on) and the probe it
/// quotes. After the 8-byte ICMP header comes the IP header of the packet
/// that caused the error, then at least the first 8 bytes of what it carried:
/// for a UDP probe, its header with both ports. `None` for anything else.
pub fn parse_error(message: &[u8], version: Version) -> Option<Quoted> {
    let (kind, code) = (*message.first()?, *message.get(1)?);
    let inner = message.get(8..)?;
    let (destination, udp) = match version {
        Version::V4 => {
            // Version 4, then the header length (IHL) in 32-bit words.
            let header_len = usize::from(inner.first()? & 0x0f) * 4;
            if inner[0] >> 4 != 4 || header_len < 20 || *inner.get(9)? != 17 {
                return None; // not an IPv4 packet carrying UDP
            }
            let to: [u8; 4] = inner.get(16..20)?.try_into().ok()?;
            (IpAddr::from(Ipv4Addr::from(to)), inner.get(header_len..)?)
        }
        Version::V6 => {
            // A fixed 40-byte header; its "next header" 17 is UDP (a probe
            // carries no extension headers).
            if inner.first()? >> 4 != 6 || *inner.get(6)? != 17 {
                return None;
            }
            let to: [u8; 16] = inner.get(24..40)?.try_into().ok()?;
            (IpAddr::from(Ipv6Addr::from(to)), inner.get(40..)?)
        }
    };
    let port =
        |at: usize| Some(u16::from_be_bytes(udp.get(at..at + 2)?.try_into().ok()?));
    Some(Quoted {
        kind,
        code,
        destination,
        source_port: port(0)?,
        destination_port: port(2)?,
    })
}
// ANCHOR_END: quoted

/// A raw IPv4 socket hands over the whole packet: the ICMP message starts after
/// the IP header, whose length is in its first byte (IHL, in 32-bit words).
pub fn strip_ipv4_header(packet: &[u8]) -> Option<&[u8]> {
    let header_len = usize::from(packet.first()? & 0x0f) * 4;
    if packet[0] >> 4 != 4 || header_len < 20 {
        return None;
    }
    packet.get(header_len..)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured on h1 of a netlab `chain 2` with tcpdump -xx, IP header first: h1
    // (192.0.2.1, port 40000) sent UDP probes to h2 (203.0.113.2), ports 33434 with
    // TTL 1 and 33440 with TTL 3.
    /// r1 (192.0.2.254): time exceeded, quoting the probe to port 33434 (0x829a).
    const TIME_EXCEEDED_V4: [u8; 64] = [
        0x45, 0xc0, 0x00, 0x40, 0x02, 0xda, 0x00, 0x00, 0x40, 0x01, 0xf2, 0x23,
        0xc0, 0x00, 0x02, 0xfe, 0xc0, 0x00, 0x02,
        0x01, // outer IP header: r1 → h1
        0x0b, 0x00, 0xf3, 0x25, 0x00, 0x00, 0x00,
        0x00, // ICMP: type 11, code 0
        0x45, 0x00, 0x00, 0x24, 0x45, 0x37, 0x40, 0x00, 0x01, 0x11, 0x36, 0x8e,
        0xc0, 0x00, 0x02, 0x01, 0xcb, 0x00, 0x71,
        0x02, // quoted IP header: TTL 1, UDP
        0x9c, 0x40, 0x82, 0x9a, 0x00, 0x10, 0xe2, 0xee, // quoted UDP header
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // the probe's payload
    ];
    /// h2 (203.0.113.2): port 33440 (0x82a0) unreachable.
    const PORT_UNREACHABLE_V4: [u8; 64] = [
        0x45, 0xc0, 0x00, 0x40, 0x5e, 0x4e, 0x00, 0x00, 0x3e, 0x01, 0x1f, 0xab,
        0xcb, 0x00, 0x71, 0x02, 0xc0, 0x00, 0x02, 0x01, 0x03, 0x03, 0xfb, 0x22,
        0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x24, 0x45, 0x38, 0x40, 0x00,
        0x01, 0x11, 0x36, 0x8d, 0xc0, 0x00, 0x02, 0x01, 0xcb, 0x00, 0x71, 0x02,
        0x9c, 0x40, 0x82, 0xa0, 0x00, 0x10, 0xe2, 0xe8, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
    ];
    // The same over IPv6 (2001:db8:1::1 → 2001:db8:3::2), from the ICMPv6 header on,
    // which is what a raw ICMPv6 socket reads.
    /// r1 (2001:db8:1::254): time exceeded (type 3), port 33434.
    const TIME_EXCEEDED_V6: [u8; 64] = [
        0x03, 0x00, 0x19, 0x18, 0x00, 0x00, 0x00, 0x00, 0x60, 0x0b, 0x14, 0xa9,
        0x00, 0x10, 0x11, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8,
        0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
        0x9c, 0x40, 0x82, 0x9a, 0x00, 0x10, 0x85, 0x7a, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
    ];
    /// h2 (2001:db8:3::2): destination unreachable (type 1), port (code 4) 33440.
    const PORT_UNREACHABLE_V6: [u8; 64] = [
        0x01, 0x04, 0x65, 0x99, 0x00, 0x00, 0x00, 0x00, 0x60, 0x06, 0xcc, 0x78,
        0x00, 0x10, 0x11, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8,
        0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
        0x9c, 0x40, 0x82, 0xa0, 0x00, 0x10, 0x85, 0x74, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn the_probes_quoted_in_captured_answers_are_found() {
        let h2: IpAddr = "203.0.113.2".parse().unwrap();
        let icmp = strip_ipv4_header(&TIME_EXCEEDED_V4).unwrap();
        let quoted = parse_error(icmp, Version::V4).unwrap();
        assert_eq!(
            quoted,
            Quoted {
                kind: 11,
                code: 0,
                destination: h2,
                source_port: 40000,
                destination_port: 33434,
            }
        );
        assert_eq!(
            verdict(Version::V4, quoted.kind, quoted.code),
            Some(Verdict::Router)
        );
        let icmp = strip_ipv4_header(&PORT_UNREACHABLE_V4).unwrap();
        let quoted = parse_error(icmp, Version::V4).unwrap();
        assert_eq!(
            (quoted.kind, quoted.code, quoted.destination_port),
            (3, 3, 33440)
        );
        assert_eq!(verdict(Version::V4, 3, 3), Some(Verdict::Destination));

        let h2: IpAddr = "2001:db8:3::2".parse().unwrap();
        let quoted = parse_error(&TIME_EXCEEDED_V6, Version::V6).unwrap();
        assert_eq!(
            (
                quoted.kind,
                quoted.destination,
                quoted.source_port,
                quoted.destination_port
            ),
            (3, h2, 40000, 33434)
        );
        assert_eq!(verdict(Version::V6, 3, 0), Some(Verdict::Router));
        let quoted = parse_error(&PORT_UNREACHABLE_V6, Version::V6).unwrap();
        assert_eq!(
            (quoted.kind, quoted.code, quoted.destination_port),
            (1, 4, 33440)
        );
        assert_eq!(verdict(Version::V6, 1, 4), Some(Verdict::Destination));
    }

    #[test]
    fn anything_but_a_quoted_udp_probe_is_none() {
        let icmp = strip_ipv4_header(&TIME_EXCEEDED_V4).unwrap();
        // Cut anywhere before the end of the quoted ports.
        for len in [0, 1, 8, 20, 28, 31] {
            assert_eq!(parse_error(&icmp[..len], Version::V4), None, "{len}");
        }
        assert!(parse_error(&icmp[..32], Version::V4).is_some());
        // The quoted packet carried TCP (6), not UDP.
        let mut tcp = icmp.to_vec();
        tcp[8 + 9] = 6;
        assert_eq!(parse_error(&tcp, Version::V4), None);
        // An IPv6 message read as IPv4, and the other way round.
        assert_eq!(parse_error(&TIME_EXCEEDED_V6, Version::V4), None);
        assert_eq!(parse_error(icmp, Version::V6), None);
        assert_eq!(parse_error(&TIME_EXCEEDED_V6[..51], Version::V6), None);
        assert_eq!(strip_ipv4_header(&TIME_EXCEEDED_V6), None);
        assert_eq!(strip_ipv4_header(&[]), None);
    }

    #[test]
    fn each_icmp_message_means_what_the_rfcs_say() {
        use Verdict::*;
        let v4 = |kind, code| verdict(Version::V4, kind, code);
        let v6 = |kind, code| verdict(Version::V6, kind, code);
        assert_eq!(v4(11, 0), Some(Router));
        assert_eq!(v4(11, 1), Some(Router), "reassembly time exceeded");
        assert_eq!(v4(3, 3), Some(Destination));
        assert_eq!(v4(3, 1), Some(Unreachable(1)));
        assert_eq!(v4(0, 0), None, "an echo reply answers no probe");
        assert_eq!(v4(3, 1).unwrap().mark(Version::V4), " !H");
        assert_eq!(v4(3, 0).unwrap().mark(Version::V4), " !N");
        assert_eq!(v4(3, 13).unwrap().mark(Version::V4), " !X");
        assert_eq!(v4(3, 7).unwrap().mark(Version::V4), " !7");
        assert_eq!(v6(3, 0), Some(Router));
        assert_eq!(v6(1, 4), Some(Destination));
        assert_eq!(v6(1, 3).unwrap().mark(Version::V6), " !H");
        assert_eq!(v6(1, 1).unwrap().mark(Version::V6), " !X");
        assert_eq!(v6(11, 0), None, "type 11 means nothing in ICMPv6");
        assert_eq!(v6(129, 0), None);
        assert_eq!(Router.mark(Version::V4), "");
        assert_eq!(Local(90).mark(Version::V4), " !E90");
        assert!(!Router.ends_the_walk());
        assert!(Destination.ends_the_walk() && Unreachable(1).ends_the_walk());
    }

    #[test]
    fn every_probe_has_a_port_of_its_own() {
        assert_eq!(probe_port(BASE_PORT, 1, 3, 0), Some(33434));
        assert_eq!(probe_port(BASE_PORT, 1, 3, 2), Some(33436));
        assert_eq!(probe_port(BASE_PORT, 2, 3, 0), Some(33437));
        assert_eq!(probe_port(BASE_PORT, 30, 3, 2), Some(33434 + 89));
        assert_eq!(probe_port(65530, 2, 3, 2), Some(65535));
        assert_eq!(probe_port(65530, 3, 3, 0), None);
    }

    #[test]
    fn hop_lines_read_like_traceroute() {
        let ms = Duration::from_micros;
        let r1: IpAddr = "192.0.2.254".parse().unwrap();
        let other: IpAddr = "192.0.2.253".parse().unwrap();
        let answered = |from, us, verdict| Probe::Answered {
            from,
            rtt: ms(us),
            verdict,
        };
        let line = hop_line(
            Version::V4,
            1,
            &[
                answered(r1, 512, Verdict::Router),
                Probe::Silent,
                answered(r1, 287, Verdict::Router),
                answered(other, 1300, Verdict::Unreachable(1)),
            ],
        );
        assert_eq!(
            line,
            " 1  192.0.2.254  0.512 ms  *  0.287 ms  192.0.2.253  1.300 ms !H"
        );
        let silent = hop_line(
            Version::V6,
            12,
            &[Probe::Silent, Probe::Silent, Probe::Silent],
        );
        assert_eq!(silent, "12  *  *  *");
    }
}
