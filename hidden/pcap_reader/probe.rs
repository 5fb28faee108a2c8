//! The probe of `pcap_reader`: captures built here from random conversations (either byte
//! order, micro- or nanoseconds, IPv4 and IPv6, options, padding, short snapshots, frames
//! to leave out), read by the student's `read`; and random conversations (wrapping
//! sequence numbers, repeats) labelled by the student's `labels`. The first checks are the
//! visible tests, on random inputs; the others are hidden.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use pcap_reader::{ACK, FIN, PSH, Proto, RST, SYN, Segment, labels, read};
use testkit::probe::{self, Case, Check, Rng};

fn main() {
    probe::main(&[
        Check::visible("the_header_says_byte_order_and_time_unit", 16, header),
        Check::visible("tcp_and_udp_over_ipv4_and_ipv6", 20, mixed),
        Check::visible("lengths_come_from_the_headers_not_the_capture", 12, lengths),
        Check::visible("other_frames_are_left_out", 12, left_out),
        Check::visible("files_that_are_not_captures_are_refused", 16, refused),
        Check::visible(
            "labels_count_from_each_directions_start",
            16,
            conversation_labels,
        ),
        Check::visible(
            "a_segment_sent_again_is_a_retransmission",
            16,
            retransmissions,
        ),
        Check::hidden("ip_and_tcp_options_are_skipped", 16, options),
        Check::hidden(
            "interleaved_conversations_are_read_and_labelled",
            12,
            interleaved,
        ),
    ]);
}

// ---- Building captures (independent of the student's code) ----

/// One frame to write: its capture time and bytes.
struct Record {
    secs: u32,
    frac: u32,
    frame: Vec<u8>,
}

/// A pcap file: `little` byte order, nanosecond times if `nanos`.
fn capture(little: bool, nanos: bool, link: u32, records: &[Record]) -> Vec<u8> {
    let w32 = |v: u32| {
        if little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    };
    let w16 = |v: u16| {
        if little {
            v.to_le_bytes()
        } else {
            v.to_be_bytes()
        }
    };
    let mut out = Vec::new();
    out.extend(w32(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
    out.extend(w16(2));
    out.extend(w16(4));
    out.extend([0; 8]);
    out.extend(w32(262_144));
    out.extend(w32(link));
    for r in records {
        out.extend(w32(r.secs));
        out.extend(w32(r.frac));
        out.extend(w32(r.frame.len() as u32));
        out.extend(w32(r.frame.len() as u32 + 7)); // the original length: not to be used
        out.extend(&r.frame);
    }
    out
}

/// A segment to put in a frame, with how to dress it.
#[derive(Clone)]
struct Spec {
    src: SocketAddr,
    dst: SocketAddr,
    /// `Some((seq, ack, flags, win))` for TCP, `None` for UDP.
    tcp: Option<(u32, u32, u8, u16)>,
    data: usize,
    /// Extra 32-bit words of IPv4 options and of TCP options.
    ip_options: usize,
    tcp_options: usize,
}

fn frame(spec: &Spec, rng: &mut Rng) -> Vec<u8> {
    let mut l4 = Vec::new();
    l4.extend(spec.src.port().to_be_bytes());
    l4.extend(spec.dst.port().to_be_bytes());
    match spec.tcp {
        Some((seq, ack, flags, win)) => {
            l4.extend(seq.to_be_bytes());
            l4.extend(ack.to_be_bytes());
            l4.push(((5 + spec.tcp_options) as u8) << 4);
            l4.push(flags);
            l4.extend(win.to_be_bytes());
            l4.extend([0; 4]);
            for _ in 0..spec.tcp_options {
                l4.extend([1, 1, 1, 1]); // NOPs
            }
        }
        None => {
            l4.extend((8 + spec.data as u16).to_be_bytes());
            l4.extend([0, 0]);
        }
    }
    l4.extend(rng.bytes(spec.data));
    let protocol = if spec.tcp.is_some() { 6 } else { 17 };
    let (ether_type, packet) = match (spec.src.ip(), spec.dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let ihl = 5 + spec.ip_options;
            let mut p = vec![0x40 | ihl as u8, 0];
            p.extend(((ihl * 4 + l4.len()) as u16).to_be_bytes());
            p.extend(rng.u32().to_be_bytes()[..2].to_vec());
            p.extend([*rng.pick(&[0x40, 0x00]), 0, 64, protocol, 0, 0]);
            p.extend(s.octets());
            p.extend(d.octets());
            for _ in 0..spec.ip_options {
                p.extend([1, 1, 1, 1]);
            }
            p.extend(l4);
            (0x0800u16, p)
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let mut p = vec![0x60, 0, 0, 0];
            p.extend((l4.len() as u16).to_be_bytes());
            p.extend([protocol, 64]);
            p.extend(s.octets());
            p.extend(d.octets());
            p.extend(l4);
            (0x86dd, p)
        }
        _ => unreachable!("both ends of one family"),
    };
    let mut f = rng.bytes(12);
    f.extend(ether_type.to_be_bytes());
    f.extend(packet);
    f
}

fn v4(rng: &mut Rng) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(rng.u32()))
}

fn v6(rng: &mut Rng) -> IpAddr {
    let mut o = [0u8; 16];
    o.copy_from_slice(&rng.bytes(16));
    IpAddr::V6(Ipv6Addr::from(o))
}

/// Two ends of one family.
fn ends(rng: &mut Rng) -> (SocketAddr, SocketAddr) {
    let six = rng.chance(40);
    let ip = |rng: &mut Rng| if six { v6(rng) } else { v4(rng) };
    let a = SocketAddr::new(ip(rng), rng.range(1, 65535) as u16);
    let b = SocketAddr::new(ip(rng), rng.range(1, 65535) as u16);
    (a, b)
}

const TCP_FLAGS: [u8; 7] = [SYN, SYN | ACK, ACK, PSH | ACK, FIN | ACK, RST, RST | ACK];

fn random_spec(rng: &mut Rng) -> Spec {
    let (src, dst) = ends(rng);
    let tcp = rng.chance(70).then(|| {
        (
            rng.u32(),
            rng.u32(),
            *rng.pick(&TCP_FLAGS) | *rng.pick(&[0, 0, 0, 0x20, 0x40, 0x80]),
            rng.range(0, 65535) as u16,
        )
    });
    Spec {
        src,
        dst,
        tcp,
        data: *rng.pick(&[0, 0, 1, 5, 100, 1448]),
        ip_options: 0,
        tcp_options: if tcp.is_some() { *rng.pick(&[0, 3]) } else { 0 },
    }
}

/// A random capture time and what it means, in the unit `nanos` says.
fn time(rng: &mut Rng, nanos: bool) -> (u32, u32) {
    let frac = if nanos {
        rng.range(0, 999_999_999)
    } else {
        rng.range(0, 999_999)
    };
    (rng.u32(), frac as u32)
}

// ---- Writing down what the student's code did ----

fn segment_text(s: &Segment) -> String {
    let proto = match s.proto {
        Proto::Tcp {
            seq,
            ack,
            flags,
            win,
            len,
        } => format!("TCP seq {seq} ack {ack} flags {flags:#04x} win {win} len {len}"),
        Proto::Udp { len } => format!("UDP len {len}"),
    };
    format!(
        "{}.{:09} {} > {} {proto}",
        s.time.as_secs(),
        s.time.subsec_nanos(),
        s.src,
        s.dst
    )
}

fn read_text(bytes: &[u8]) -> String {
    probe::result(read(bytes), |segments| {
        segments
            .iter()
            .map(segment_text)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// The capture as input: its size and bytes.
fn shown(bytes: &[u8]) -> String {
    format!(
        "a capture of {} bytes: {}",
        bytes.len(),
        probe::bytes(bytes)
    )
}

fn read_case(note: &str, bytes: Vec<u8>) -> Case {
    Case::new(format!("{note}; {}", shown(&bytes)), move || {
        read_text(&bytes)
    })
}

// ---- The checks ----

fn header(rng: &mut Rng) -> Case {
    let (little, nanos) = (rng.chance(50), rng.chance(50));
    let records: Vec<Record> = (0..rng.range(1, 4))
        .map(|_| {
            let spec = random_spec(rng);
            let (secs, frac) = time(rng, nanos);
            Record {
                secs,
                frac,
                frame: frame(&spec, rng),
            }
        })
        .collect();
    read_case(
        &format!(
            "{} byte order, {}",
            if little {
                "little-endian"
            } else {
                "big-endian"
            },
            if nanos { "nanoseconds" } else { "microseconds" }
        ),
        capture(little, nanos, 1, &records),
    )
}

fn mixed(rng: &mut Rng) -> Case {
    let records: Vec<Record> = (0..rng.range(3, 12) as u32)
        .map(|i| {
            let spec = random_spec(rng);
            Record {
                secs: 1000 + i,
                frac: 0,
                frame: frame(&spec, rng),
            }
        })
        .collect();
    read_case(
        "TCP and UDP, IPv4 and IPv6",
        capture(true, false, 1, &records),
    )
}

fn lengths(rng: &mut Rng) -> Case {
    let records: Vec<Record> = (0..rng.range(2, 6) as u32)
        .map(|i| {
            let mut spec = random_spec(rng);
            let f = if rng.chance(50) {
                // Padded to Ethernet's minimum (or beyond, with junk).
                spec.data = rng.range(0, 4);
                let mut f = frame(&spec, rng);
                let to = f.len().max(60) + rng.range(0, 8);
                f.resize(to, 0);
                f
            } else {
                // A short snapshot: headers kept, part of the data (or none of it).
                spec.data = rng.range(10, 1400);
                let mut f = frame(&spec, rng);
                let headers = f.len() - spec.data;
                f.truncate(headers + rng.range(0, 9));
                f
            };
            Record {
                secs: 50 + i,
                frac: 1,
                frame: f,
            }
        })
        .collect();
    read_case(
        "padded frames and short snapshots",
        capture(rng.chance(50), false, 1, &records),
    )
}

/// A frame that is not a whole TCP or UDP segment over IP.
fn not_a_segment(rng: &mut Rng) -> Vec<u8> {
    let spec = random_spec(rng);
    let mut f = frame(&spec, rng);
    let is_v4 = spec.src.is_ipv4();
    match rng.range(0, 4) {
        0 => {
            // ARP, or another EtherType.
            let other: [u8; 2] = *rng.pick(&[[0x08, 0x06], [0x88, 0xcc], [0x81, 0x00]]);
            f[12..14].copy_from_slice(&other);
        }
        1 => {
            // Another protocol: ICMP, ICMPv6, or an IPv6 extension header.
            let at = if is_v4 { 14 + 9 } else { 14 + 6 };
            f[at] = *rng.pick(&[1, 58, 0, 43, 44]);
        }
        2 if is_v4 => {
            // A fragment: more fragments, or an offset.
            f[14 + 6] |= *rng.pick(&[0x20, 0x01, 0x10]);
        }
        _ => {
            // Cut inside its headers.
            let headers = f.len() - spec.data;
            f.truncate(rng.range(0, headers - 1));
        }
    }
    f
}

fn left_out(rng: &mut Rng) -> Case {
    let records: Vec<Record> = (0..rng.range(3, 10) as u32)
        .map(|i| {
            let f = if rng.chance(50) {
                not_a_segment(rng)
            } else {
                frame(&random_spec(rng), rng)
            };
            Record {
                secs: 7 + i,
                frac: 0,
                frame: f,
            }
        })
        .collect();
    read_case(
        "segments among frames to leave out",
        capture(rng.chance(50), rng.chance(50), 1, &records),
    )
}

fn refused(rng: &mut Rng) -> Case {
    let records: Vec<Record> = (0..rng.range(1, 4) as u32)
        .map(|i| Record {
            secs: i,
            frac: 0,
            frame: frame(&random_spec(rng), rng),
        })
        .collect();
    match rng.range(0, 3) {
        0 => {
            // Garbage, or a pcapng section header.
            let len = rng.range(0, 40);
            let mut bytes = rng.bytes(len);
            if rng.chance(50) && len >= 4 {
                bytes[..4].copy_from_slice(&[0x0a, 0x0d, 0x0d, 0x0a]);
            }
            read_case("not a capture", bytes)
        }
        1 => {
            let link = *rng.pick(&[0, 101, 105, 113, 127, 276]);
            read_case(
                "another link type",
                capture(rng.chance(50), false, link, &records),
            )
        }
        2 => {
            let whole = capture(rng.chance(50), false, 1, &records);
            let cut = rng.range(24, whole.len() - 1);
            read_case("a capture cut short", whole[..cut].to_vec())
        }
        _ => {
            let whole = capture(rng.chance(50), false, 1, &records);
            let cut = rng.range(0, 23);
            read_case("a global header cut short", whole[..cut].to_vec())
        }
    }
}

/// A TCP conversation between two ends: handshake, data both ways, goodbye; sequence
/// numbers start anywhere (often just below 2³²).
fn conversation(rng: &mut Rng, a: SocketAddr, b: SocketAddr) -> Vec<Spec> {
    let isn = |rng: &mut Rng| {
        if rng.chance(40) {
            u32::MAX - rng.range(0, 3000) as u32
        } else {
            rng.u32()
        }
    };
    let (mut sa, mut sb) = (isn(rng), isn(rng));
    let seg = |src, dst, seq, ack, flags, data| Spec {
        src,
        dst,
        tcp: Some((seq, ack, flags, 64240)),
        data,
        ip_options: 0,
        tcp_options: 0,
    };
    let mut out = vec![seg(a, b, sa, 0, SYN, 0)];
    sa = sa.wrapping_add(1);
    out.push(seg(b, a, sb, sa, SYN | ACK, 0));
    sb = sb.wrapping_add(1);
    out.push(seg(a, b, sa, sb, ACK, 0));
    for _ in 0..rng.range(1, 5) {
        let n = rng.range(1, 1448);
        if rng.chance(50) {
            out.push(seg(a, b, sa, sb, PSH | ACK, n));
            sa = sa.wrapping_add(n as u32);
            out.push(seg(b, a, sb, sa, ACK, 0));
        } else {
            out.push(seg(b, a, sb, sa, PSH | ACK, n));
            sb = sb.wrapping_add(n as u32);
            out.push(seg(a, b, sa, sb, ACK, 0));
        }
    }
    out.push(seg(a, b, sa, sb, FIN | ACK, 0));
    sa = sa.wrapping_add(1);
    out.push(seg(b, a, sb, sa, FIN | ACK, 0));
    sb = sb.wrapping_add(1);
    out.push(seg(a, b, sa, sb, ACK, 0));
    out
}

/// A case: the segments `specs`, labelled by the student.
fn labels_case(note: &str, specs: &[Spec]) -> Case {
    // The segments, as the layout says (not with the student's `read`).
    let segments: Vec<Segment> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| Segment {
            time: Duration::from_secs(100) + Duration::from_micros(i as u64),
            src: s.src,
            dst: s.dst,
            proto: match s.tcp {
                Some((seq, ack, flags, win)) => Proto::Tcp {
                    seq,
                    ack,
                    flags,
                    win,
                    len: s.data,
                },
                None => Proto::Udp { len: s.data },
            },
        })
        .collect();
    let input = format!(
        "{note}; labels of: {}",
        segments
            .iter()
            .map(segment_text)
            .collect::<Vec<_>>()
            .join("; ")
    );
    Case::new(input, move || labels(&segments).join(" | "))
}

fn conversation_labels(rng: &mut Rng) -> Case {
    let (a, b) = ends(rng);
    let specs = conversation(rng, a, b);
    labels_case("one conversation", &specs)
}

fn retransmissions(rng: &mut Rng) -> Case {
    let (a, b) = ends(rng);
    let mut specs = conversation(rng, a, b);
    for _ in 0..rng.range(1, 4) {
        // Send again something already sent, or something like it.
        let at = rng.range(0, specs.len() - 1);
        let mut again = specs[rng.range(0, at)].clone();
        if rng.chance(25) {
            again.data = again.data.saturating_sub(1);
        }
        specs.insert(at + 1, again);
    }
    labels_case("a conversation with repeats", &specs)
}

fn options(rng: &mut Rng) -> Case {
    let records: Vec<Record> = (0..rng.range(2, 8) as u32)
        .map(|i| {
            let mut spec = random_spec(rng);
            if spec.src.is_ipv4() {
                spec.ip_options = rng.range(0, 10);
            }
            if spec.tcp.is_some() {
                spec.tcp_options = rng.range(0, 10);
            }
            Record {
                secs: i,
                frac: 0,
                frame: frame(&spec, rng),
            }
        })
        .collect();
    read_case(
        "IPv4 and TCP options",
        capture(rng.chance(50), rng.chance(50), 1, &records),
    )
}

fn interleaved(rng: &mut Rng) -> Case {
    // Two or three conversations (one between the same hosts on other ports), UDP and
    // frames to leave out between them, read and then labelled.
    let (a, b) = ends(rng);
    let mut streams = vec![conversation(rng, a, b)];
    let c = SocketAddr::new(a.ip(), a.port() ^ 1);
    streams.push(conversation(rng, c, b));
    if rng.chance(50) {
        let (d, e) = ends(rng);
        streams.push(conversation(rng, d, e));
    }
    let mut records = Vec::new();
    let mut i = 0;
    while streams.iter().any(|s| !s.is_empty()) {
        let k = rng.range(0, streams.len() - 1);
        if streams[k].is_empty() {
            continue;
        }
        let spec = streams[k].remove(0);
        let f = if rng.chance(15) {
            not_a_segment(rng)
        } else {
            frame(&spec, rng)
        };
        records.push(Record {
            secs: 200,
            frac: i,
            frame: f,
        });
        i += 1;
        if rng.chance(10) {
            let mut udp = random_spec(rng);
            udp.tcp = None;
            records.push(Record {
                secs: 200,
                frac: i,
                frame: frame(&udp, rng),
            });
            i += 1;
        }
    }
    let bytes = capture(rng.chance(50), false, 1, &records);
    Case::new(format!("read, then labels; {}", shown(&bytes)), move || {
        let read_back = read_text(&bytes);
        let labelled = match read(&bytes) {
            Ok(segments) => labels(&segments).join(" | "),
            Err(_) => "-".into(),
        };
        format!("{read_back}; labels: {labelled}")
    })
}
