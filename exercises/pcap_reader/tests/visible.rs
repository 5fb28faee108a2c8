//! Captures built here byte by byte, and a capture tcpdump made on loopback: what tcpdump
//! reads from each file is what `read` must find.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use pcap_reader::{ACK, CaptureError, FIN, PSH, Proto, RST, SYN, Segment, labels, read};

/// A pcap file: magic `magic` written in the byte order `little` says, Ethernet.
fn capture(little: bool, magic: u32, records: &[(u32, u32, &[u8])]) -> Vec<u8> {
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
    out.extend(w32(magic));
    out.extend(w16(2));
    out.extend(w16(4));
    out.extend([0; 8]);
    out.extend(w32(262_144));
    out.extend(w32(1));
    for (secs, frac, frame) in records {
        out.extend(w32(*secs));
        out.extend(w32(*frac));
        out.extend(w32(frame.len() as u32));
        out.extend(w32(frame.len() as u32));
        out.extend(*frame);
    }
    out
}

fn ethernet(ether_type: u16, packet: &[u8]) -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];
    f.extend(ether_type.to_be_bytes());
    f.extend(packet);
    f
}

fn ipv4(src: [u8; 4], dst: [u8; 4], protocol: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x45, 0];
    p.extend((20 + payload.len() as u16).to_be_bytes());
    p.extend([0, 1, 0x40, 0, 64, protocol, 0, 0]); // id 1, don't fragment, ttl 64
    p.extend(src);
    p.extend(dst);
    p.extend(payload);
    p
}

fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, data: &[u8]) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend(sport.to_be_bytes());
    t.extend(dport.to_be_bytes());
    t.extend(seq.to_be_bytes());
    t.extend(ack.to_be_bytes());
    t.extend([5 << 4, flags]);
    t.extend(64240u16.to_be_bytes());
    t.extend([0; 4]);
    t.extend(data);
    t
}

const H1: [u8; 4] = [192, 0, 2, 1];
const H2: [u8; 4] = [192, 0, 2, 2];

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn tcp_frame(
    from: [u8; 4],
    to: [u8; 4],
    ports: (u16, u16),
    seq: u32,
    ack: u32,
    flags: u8,
    data: &[u8],
) -> Vec<u8> {
    ethernet(
        0x0800,
        &ipv4(from, to, 6, &tcp(ports.0, ports.1, seq, ack, flags, data)),
    )
}

#[test]
fn the_header_says_byte_order_and_time_unit() {
    let frame = tcp_frame(H1, H2, (40000, 80), 7, 0, SYN, b"");
    let expected = |frac: Duration| Segment {
        time: Duration::from_secs(1_700_000_000) + frac,
        src: addr("192.0.2.1:40000"),
        dst: addr("192.0.2.2:80"),
        proto: Proto::Tcp {
            seq: 7,
            ack: 0,
            flags: SYN,
            win: 64240,
            len: 0,
        },
    };
    for little in [true, false] {
        let micro = capture(little, 0xa1b2_c3d4, &[(1_700_000_000, 250_000, &frame)]);
        assert_eq!(
            read(&micro),
            Ok(vec![expected(Duration::from_micros(250_000))])
        );
        let nano = capture(little, 0xa1b2_3c4d, &[(1_700_000_000, 250_000, &frame)]);
        assert_eq!(
            read(&nano),
            Ok(vec![expected(Duration::from_nanos(250_000))])
        );
    }
}

#[test]
fn tcp_and_udp_over_ipv4_and_ipv6() {
    let data = tcp_frame(
        H2,
        H1,
        (80, 40000),
        1000,
        8,
        PSH | ACK,
        b"HTTP/1.0 200 OK\r\n",
    );
    let udp = {
        let mut u = vec![0x30, 0x39, 0x2e, 0xe2, 0, 13, 0, 0]; // 12345 -> 12002, 13 bytes
        u.extend(b"Ping");
        u.push(b'!');
        ethernet(0x0800, &ipv4(H1, H2, 17, &u))
    };
    let v6 = {
        let payload = tcp(443, 50000, 1, 2, RST | ACK, b"");
        let mut p = vec![0x60, 0, 0, 0];
        p.extend((payload.len() as u16).to_be_bytes());
        p.extend([6, 64]);
        p.extend(
            "2001:db8::2"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        p.extend(
            "2001:db8::1"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        p.extend(payload);
        ethernet(0x86dd, &p)
    };
    let file = capture(
        true,
        0xa1b2_c3d4,
        &[(1, 0, &data), (2, 0, &udp), (3, 0, &v6)],
    );
    let segments = read(&file).expect("a capture");
    let summary: Vec<(SocketAddr, SocketAddr, Proto)> =
        segments.iter().map(|s| (s.src, s.dst, s.proto)).collect();
    assert_eq!(
        summary,
        [
            (
                addr("192.0.2.2:80"),
                addr("192.0.2.1:40000"),
                Proto::Tcp {
                    seq: 1000,
                    ack: 8,
                    flags: PSH | ACK,
                    win: 64240,
                    len: 17
                }
            ),
            (
                addr("192.0.2.1:12345"),
                addr("192.0.2.2:12002"),
                Proto::Udp { len: 5 }
            ),
            (
                addr("[2001:db8::2]:443"),
                addr("[2001:db8::1]:50000"),
                Proto::Tcp {
                    seq: 1,
                    ack: 2,
                    flags: RST | ACK,
                    win: 64240,
                    len: 0
                }
            ),
        ]
    );
}

#[test]
fn lengths_come_from_the_headers_not_the_capture() {
    // An ACK padded to Ethernet's 60 bytes, and a segment of 100 bytes of which the
    // capture kept only the headers and 6 bytes (a snapshot length of 60).
    let mut padded = tcp_frame(H1, H2, (40000, 80), 8, 1001, ACK, b"");
    padded.resize(60, 0);
    let mut cut = tcp_frame(H1, H2, (40000, 80), 8, 1001, PSH | ACK, &[b'x'; 100]);
    cut.truncate(60);
    let file = capture(true, 0xa1b2_c3d4, &[(1, 0, &padded), (1, 5, &cut)]);
    let lens: Vec<Proto> = read(&file).unwrap().iter().map(|s| s.proto).collect();
    assert_eq!(
        lens,
        [
            Proto::Tcp {
                seq: 8,
                ack: 1001,
                flags: ACK,
                win: 64240,
                len: 0
            },
            Proto::Tcp {
                seq: 8,
                ack: 1001,
                flags: PSH | ACK,
                win: 64240,
                len: 100
            },
        ]
    );
}

#[test]
fn other_frames_are_left_out() {
    let arp = ethernet(
        0x0806,
        &[
            0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 192, 0, 2, 1, 0, 0, 0, 0, 0, 0, 192, 0, 2, 2,
        ],
    );
    let icmp = ethernet(0x0800, &ipv4(H1, H2, 1, &[8, 0, 0, 0, 0, 1, 0, 1]));
    let mut fragment = ipv4(H1, H2, 17, &[0x30, 0x39, 0x2e, 0xe2, 0, 8, 0, 0]);
    fragment[6] = 0x20; // more fragments
    let fragment = ethernet(0x0800, &fragment);
    let short = tcp_frame(H1, H2, (1, 2), 0, 0, SYN, b"")[..40].to_vec();
    let kept = tcp_frame(H1, H2, (1, 2), 0, 0, SYN, b"");
    let file = capture(
        false,
        0xa1b2_c3d4,
        &[
            (1, 0, &arp),
            (2, 0, &icmp),
            (3, 0, &fragment),
            (4, 0, &short),
            (5, 0, &kept),
        ],
    );
    let times: Vec<u64> = read(&file)
        .unwrap()
        .iter()
        .map(|s| s.time.as_secs())
        .collect();
    assert_eq!(
        times,
        [5],
        "only the last frame is TCP or UDP with all its headers"
    );
}

#[test]
fn files_that_are_not_captures_are_refused() {
    assert_eq!(read(b""), Err(CaptureError::NotPcap));
    assert_eq!(
        read(b"\x0a\x0d\x0d\x0a pcapng, not pcap......."),
        Err(CaptureError::NotPcap)
    );
    let mut sll = capture(true, 0xa1b2_c3d4, &[]);
    sll[20] = 113; // Linux "cooked" capture (tcpdump -i any)
    assert_eq!(read(&sll), Err(CaptureError::LinkType(113)));
    // A capture still being written: the last record is cut short.
    let frame = tcp_frame(H1, H2, (1, 2), 0, 0, SYN, b"");
    let whole = capture(true, 0xa1b2_c3d4, &[(1, 0, &frame), (2, 0, &frame)]);
    for cut in [whole.len() - 1, whole.len() - frame.len() - 10] {
        let times: Vec<u64> = read(&whole[..cut])
            .unwrap()
            .iter()
            .map(|s| s.time.as_secs())
            .collect();
        assert_eq!(
            times,
            [1],
            "the capture cut after {cut} of {} bytes",
            whole.len()
        );
    }
}

#[test]
fn labels_count_from_each_directions_start() {
    let (a, b) = ((40000, 80), (80, 40000));
    let frames = [
        tcp_frame(H1, H2, a, 1_000_000, 0, SYN, b""),
        tcp_frame(H2, H1, b, u32::MAX - 2, 1_000_001, SYN | ACK, b""),
        tcp_frame(H1, H2, a, 1_000_001, u32::MAX - 1, ACK, b""),
        tcp_frame(H1, H2, a, 1_000_001, u32::MAX - 1, PSH | ACK, b"hello"),
        tcp_frame(H2, H1, b, u32::MAX - 1, 1_000_006, PSH | ACK, b"HELLO"),
        tcp_frame(H1, H2, a, 1_000_006, 3, FIN | ACK, b""),
    ];
    let records: Vec<(u32, u32, &[u8])> = frames.iter().map(|f| (1, 0, f.as_slice())).collect();
    let got = labels(&read(&capture(true, 0xa1b2_c3d4, &records)).unwrap());
    assert_eq!(
        got,
        [
            "192.0.2.1:40000 → 192.0.2.2:80 SYN seq=0 win=64240",
            "192.0.2.2:80 → 192.0.2.1:40000 SYN,ACK seq=0 ack=1 win=64240",
            "192.0.2.1:40000 → 192.0.2.2:80 ACK seq=1 ack=1",
            "192.0.2.1:40000 → 192.0.2.2:80 PSH,ACK seq=1 ack=1 len=5",
            "192.0.2.2:80 → 192.0.2.1:40000 PSH,ACK seq=1 ack=6 len=5",
            "192.0.2.1:40000 → 192.0.2.2:80 FIN,ACK seq=6 ack=6",
        ],
        "the server's numbers wrap past 2³²: they still count 0, 1, 6"
    );
}

#[test]
fn a_segment_sent_again_is_a_retransmission() {
    let a = (40000, 80);
    let frames = [
        tcp_frame(H1, H2, a, 10, 0, SYN, b""),
        tcp_frame(H1, H2, a, 10, 0, SYN, b""),
        tcp_frame(H1, H2, a, 11, 0, PSH, b"abc"),
        tcp_frame(H1, H2, a, 11, 0, PSH, b"ab"),
        tcp_frame(H1, H2, a, 11, 0, PSH, b"abc"),
        tcp_frame(H1, H2, a, 14, 0, ACK, b""),
        tcp_frame(H1, H2, a, 14, 0, ACK, b""),
        tcp_frame(H2, H1, (80, 40000), 11, 0, PSH, b"abc"),
    ];
    let records: Vec<(u32, u32, &[u8])> = frames.iter().map(|f| (1, 0, f.as_slice())).collect();
    let got = labels(&read(&capture(true, 0xa1b2_c3d4, &records)).unwrap());
    assert_eq!(
        got,
        [
            "192.0.2.1:40000 → 192.0.2.2:80 SYN seq=0 win=64240",
            "retransmission: 192.0.2.1:40000 → 192.0.2.2:80 SYN seq=0 win=64240",
            "192.0.2.1:40000 → 192.0.2.2:80 PSH seq=1 len=3",
            "192.0.2.1:40000 → 192.0.2.2:80 PSH seq=1 len=2",
            "retransmission: 192.0.2.1:40000 → 192.0.2.2:80 PSH seq=1 len=3",
            "192.0.2.1:40000 → 192.0.2.2:80 ACK seq=4 ack=0",
            "192.0.2.1:40000 → 192.0.2.2:80 ACK seq=4 ack=0",
            "192.0.2.2:80 → 192.0.2.1:40000 PSH seq=0 len=3",
        ],
        "a shorter segment, a bare ACK and the other direction are not retransmissions"
    );
}

/// `tcpdump -nn -tt -r FILE`'s view of each TCP segment: time, ends, flag letters (sorted),
/// length.
fn tcpdump_view(file: &std::path::Path) -> Vec<String> {
    let tcpdump = testkit::require_tool("tcpdump");
    let out = Command::new(tcpdump)
        .args(["-nn", "-tt", "-r"])
        .arg(file)
        .output()
        .expect("run tcpdump -r");
    assert!(
        out.status.success(),
        "tcpdump -r: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(" Flags ["))
        .map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let flags = l
                .split("Flags [")
                .nth(1)
                .unwrap()
                .split(']')
                .next()
                .unwrap();
            let mut flags: Vec<char> = flags.chars().collect();
            flags.sort();
            let length = l
                .rsplit("length ")
                .next()
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap();
            let length = length.trim_end_matches(':');
            format!(
                "{} {} > {} [{}] length {}",
                words[0],
                words[2],
                words[4].trim_end_matches(':'),
                flags.iter().collect::<String>(),
                length
            )
        })
        .collect()
}

/// Our segments in the words of [`tcpdump_view`].
fn our_view(segments: &[Segment]) -> Vec<String> {
    let dotted = |a: SocketAddr| format!("{}.{}", a.ip(), a.port());
    segments
        .iter()
        .filter_map(|s| {
            let Proto::Tcp { flags, len, .. } = s.proto else {
                return None;
            };
            let mut letters: Vec<char> =
                [(SYN, 'S'), (FIN, 'F'), (RST, 'R'), (PSH, 'P'), (ACK, '.')]
                    .iter()
                    .filter(|(bit, _)| flags & bit != 0)
                    .map(|(_, c)| *c)
                    .collect();
            letters.sort();
            Some(format!(
                "{}.{:06} {} > {} [{}] length {len}",
                s.time.as_secs(),
                s.time.subsec_micros(),
                dotted(s.src),
                dotted(s.dst),
                letters.iter().collect::<String>()
            ))
        })
        .collect()
}

const LOOPBACK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/loopback.pcap");

#[test]
fn a_capture_tcpdump_made_on_loopback() {
    // tcpdump -i lo -w loopback.pcap, while a client sent "hello, tcpdump" to a server
    // that answered it in capitals.
    let bytes = std::fs::read(LOOPBACK).unwrap();
    let got = labels(&read(&bytes).expect("tcpdump's capture"));
    let (c, s) = ("127.0.0.1:54150", "127.0.0.1:48407");
    assert_eq!(
        got,
        [
            format!("{c} → {s} SYN seq=0 win=65495"),
            format!("{s} → {c} SYN,ACK seq=0 ack=1 win=65483"),
            format!("{c} → {s} ACK seq=1 ack=1"),
            format!("{c} → {s} PSH,ACK seq=1 ack=1 len=14"),
            format!("{s} → {c} ACK seq=1 ack=15"),
            format!("{s} → {c} PSH,ACK seq=1 ack=15 len=14"),
            format!("{c} → {s} ACK seq=15 ack=15"),
            format!("{c} → {s} FIN,ACK seq=15 ack=15"),
            format!("{s} → {c} FIN,ACK seq=15 ack=16"),
            format!("{c} → {s} ACK seq=16 ack=16"),
        ]
    );
}

#[test]
fn tcpdump_reads_the_same_segments_from_that_capture() {
    let ours = our_view(&read(&std::fs::read(LOOPBACK).unwrap()).unwrap());
    assert_eq!(ours, tcpdump_view(std::path::Path::new(LOOPBACK)));
}

/// A few random numbers, different on each run (the failure message shows the seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn a_capture_written_here_reads_as_tcpdump_reads_it() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        ^ u64::from(std::process::id()) << 32
        | 1;
    let mut rng = Rng(seed);
    // A conversation of random size: handshake, data both ways
    // (each direction's sequence numbers starting anywhere), one segment sent twice, close.
    // Ports above 49151: no protocol of tcpdump's own decodes them, so it prints just TCP.
    let pa = 49152 + rng.below(8192) as u16;
    let (a, b) = ((H1, pa), (H2, pa + 1 + rng.below(8000) as u16));
    let (mut sa, mut sb) = (rng.next() as u32, rng.next() as u32);
    let mut frames = vec![tcp_frame(a.0, b.0, (a.1, b.1), sa, 0, SYN, b"")];
    sa = sa.wrapping_add(1);
    frames.push(tcp_frame(b.0, a.0, (b.1, a.1), sb, sa, SYN | ACK, b""));
    sb = sb.wrapping_add(1);
    frames.push(tcp_frame(a.0, b.0, (a.1, b.1), sa, sb, ACK, b""));
    let mut data = 0;
    for round in 0..2 + rng.below(6) {
        let len = 1 + rng.below(1400) as usize;
        let bytes = testkit::noise(len, seed ^ round);
        let from_a = rng.below(2) == 0;
        let frame = if from_a {
            tcp_frame(a.0, b.0, (a.1, b.1), sa, sb, PSH | ACK, &bytes)
        } else {
            tcp_frame(b.0, a.0, (b.1, a.1), sb, sa, PSH | ACK, &bytes)
        };
        if round == 1 {
            frames.push(frame.clone());
            data += len;
        }
        frames.push(frame);
        data += len;
        if from_a {
            sa = sa.wrapping_add(len as u32);
            frames.push(tcp_frame(b.0, a.0, (b.1, a.1), sb, sa, ACK, b""));
        } else {
            sb = sb.wrapping_add(len as u32);
            frames.push(tcp_frame(a.0, b.0, (a.1, b.1), sa, sb, ACK, b""));
        }
    }
    frames.push(tcp_frame(a.0, b.0, (a.1, b.1), sa, sb, FIN | ACK, b""));
    let (fa, fb) = (sa.wrapping_add(1), sb.wrapping_add(1));
    frames.push(tcp_frame(b.0, a.0, (b.1, a.1), sb, fa, FIN | ACK, b""));
    frames.push(tcp_frame(a.0, b.0, (a.1, b.1), fa, fb, ACK, b""));
    let start = 1_600_000_000 + rng.below(200_000_000) as u32;
    let mut micros = rng.below(1_000_000) as u32;
    let records: Vec<(u32, u32, &[u8])> = frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            micros = (micros + rng.below(300_000) as u32) % 1_000_000;
            (start + i as u32, micros, f.as_slice())
        })
        .collect();
    let little = rng.below(2) == 0;
    let file = capture(little, 0xa1b2_c3d4, &records);
    let path =
        std::env::temp_dir().join(format!("pcap_reader-{}-{seed:x}.pcap", std::process::id()));
    std::fs::write(&path, &file).unwrap();
    let theirs = tcpdump_view(&path);
    let _ = std::fs::remove_file(&path);
    let segments = read(&file).expect("a capture");
    assert_eq!(
        our_view(&segments),
        theirs,
        "seed {seed:#x}: {} frames, headers {}-endian",
        frames.len(),
        if little { "little" } else { "big" }
    );
    let sum: usize = segments
        .iter()
        .map(|s| match s.proto {
            Proto::Tcp { len, .. } => len,
            Proto::Udp { .. } => 0,
        })
        .sum();
    assert_eq!(sum, data, "seed {seed:#x}: the data bytes of every segment");
}
