//! `netlab diagram`: a sequence diagram drawn from a real capture. Every address is a
//! column, every frame an arrow from its sender to its receiver, labelled the way the
//! lecture draws TCP: flags, sequence and acknowledgement numbers counted from the start
//! of each direction (as Wireshark shows them), and payload lengths. A segment the
//! capture has already seen (same direction, same sequence number and length) is a
//! retransmission and is drawn in red.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use crate::frame::{self, Frame, Payload};
use crate::pcap;

pub struct Options {
    /// Names for addresses (`192.0.2.1` → `h1`).
    pub names: Vec<(IpAddr, String)>,
    /// At most this many frames are drawn.
    pub max: usize,
    /// Also ARP and IPv6 neighbour discovery, which are left out by default.
    pub all: bool,
    /// Only TCP and UDP with this port (either end).
    pub port: Option<u16>,
}

/// Whether a frame is TCP or UDP to or from `port`.
fn has_port(frame: &Frame, port: u16) -> bool {
    match frame {
        Frame::Ip {
            payload: Payload::Tcp(t),
            ..
        } => t.sport == port || t.dport == port,
        Frame::Ip {
            payload: Payload::Udp { sport, dport, .. },
            ..
        } => *sport == port || *dport == port,
        _ => false,
    }
}

/// One arrow.
struct Arrow {
    time: Duration,
    from: usize,
    to: usize,
    label: String,
    class: &'static str,
}

type Direction = (IpAddr, u16, IpAddr, u16);

// ANCHOR: label
/// Labels TCP segments with sequence numbers relative to each direction's first one, and
/// spots retransmissions.
#[derive(Default)]
struct TcpLabels {
    base: HashMap<Direction, u32>,
    seen: HashSet<(Direction, u32, usize, bool, bool)>,
}

impl TcpLabels {
    fn label(&mut self, src: IpAddr, dst: IpAddr, t: &frame::Tcp) -> (String, bool) {
        let dir = (src, t.sport, dst, t.dport);
        let back = (dst, t.dport, src, t.sport);
        let base = *self.base.entry(dir).or_insert(t.seq);
        let mut label = format!("{} seq={}", t.flag_names(), t.seq.wrapping_sub(base));
        if t.ack_flag {
            let ack = match self.base.get(&back) {
                Some(b) => t.ack.wrapping_sub(*b),
                None => t.ack,
            };
            let _ = write!(label, " ack={ack}");
        }
        if t.len > 0 {
            let _ = write!(label, " len={}", t.len);
        }
        if t.syn {
            let _ = write!(label, " win={}", t.win);
        }
        // Only what occupies sequence space can be sent twice: data, SYN, FIN.
        let occupies = t.len > 0 || t.syn || t.fin;
        let again = occupies && !self.seen.insert((dir, t.seq, t.len, t.syn, t.fin));
        if again {
            label = format!("retransmission: {label}");
        }
        (label, again)
    }
}
// ANCHOR_END: label

/// The SVG for capture `bytes`.
pub fn render(bytes: &[u8], options: &Options) -> Result<String, String> {
    let records = pcap::read(bytes)?;
    let mut columns: Vec<IpAddr> = Vec::new();
    let mut column = |addr: IpAddr| match columns.iter().position(|&a| a == addr) {
        Some(k) => k,
        None => {
            columns.push(addr);
            columns.len() - 1
        }
    };
    let mut tcp = TcpLabels::default();
    let mut arrows = Vec::new();
    let mut left_out = 0;
    let mut start = None;
    for record in &records {
        let parsed = frame::parse(&record.data);
        if !options.all && frame::is_housekeeping(&parsed) {
            continue;
        }
        if options.port.is_some_and(|p| !has_port(&parsed, p)) {
            continue;
        }
        if arrows.len() == options.max {
            left_out += 1;
            continue;
        }
        let (src, dst, label, class) = match parsed {
            Frame::Arp {
                request,
                sender,
                target,
                ..
            } => {
                let label = if request {
                    format!("ARP who-has {target}")
                } else {
                    format!("ARP {sender} is-at …")
                };
                (sender, target, label, "other")
            }
            Frame::Other(_) => continue,
            Frame::Ip {
                src,
                dst,
                ttl,
                payload,
            } => match payload {
                Payload::Tcp(t) => {
                    let (label, again) = tcp.label(src, dst, &t);
                    (src, dst, label, if again { "again" } else { "tcp" })
                }
                Payload::Udp { sport, dport, len } => {
                    (src, dst, format!("UDP {sport} → {dport} len={len}"), "udp")
                }
                Payload::Icmp { v6, kind, code, .. } => {
                    let name = frame::icmp_name(v6, kind, code);
                    let proto = if v6 { "ICMPv6" } else { "ICMP" };
                    (src, dst, format!("{proto} {name} (ttl {ttl})"), "icmp")
                }
                Payload::Other(what) => (src, dst, what, "other"),
            },
        };
        let (from, to) = (column(src), column(dst));
        // Times count from the first frame drawn.
        let start = *start.get_or_insert(record.time);
        arrows.push(Arrow {
            time: record.time.saturating_sub(start),
            from,
            to,
            label,
            class,
        });
    }
    if arrows.is_empty() {
        return Err(
            "the capture has no frames to draw (try --all for ARP and neighbour discovery)"
                .to_owned(),
        );
    }
    Ok(svg(&columns, &arrows, left_out, options))
}

const LEFT: i32 = 80;
const COLUMN: i32 = 300;
const TOP: i32 = 64;
const ROW: i32 = 34;
const SLOPE: i32 = 12;

fn svg(columns: &[IpAddr], arrows: &[Arrow], left_out: usize, options: &Options) -> String {
    let x = |c: usize| LEFT + COLUMN / 2 + COLUMN * c as i32;
    let width = LEFT + COLUMN * columns.len() as i32;
    let bottom = TOP + ROW * arrows.len() as i32 + 24;
    let height = bottom + if left_out > 0 { 30 } else { 10 };
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="monospace" font-size="12">"#
    );
    s += r#"<title>Sequence diagram drawn by netlab diagram from a capture</title>
<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="context-stroke"/></marker></defs>
<style>
line.tcp { stroke: #222; } text.tcp { fill: #222; }
line.again { stroke: #c00; } text.again { fill: #c00; font-weight: bold; }
line.udp { stroke: #1f5fbf; } text.udp { fill: #1f5fbf; }
line.icmp { stroke: #7b2fa8; } text.icmp { fill: #7b2fa8; }
line.other { stroke: #777; } text.other { fill: #777; }
line.arrow { stroke-width: 1.5; marker-end: url(#head); }
</style>
<rect width="100%" height="100%" fill="white"/>
"#;
    let _ = writeln!(
        s,
        r##"<text x="8" y="{}" fill="#555">time (s)</text>"##,
        TOP - 10
    );
    for (k, addr) in columns.iter().enumerate() {
        let name = options
            .names
            .iter()
            .find(|(a, _)| a == addr)
            .map(|(_, n)| n.as_str());
        let cx = x(k);
        if let Some(name) = name {
            let _ = writeln!(
                s,
                r#"<text x="{cx}" y="20" text-anchor="middle" font-weight="bold" font-size="14">{}</text>"#,
                escape(name)
            );
        }
        let _ = writeln!(
            s,
            r##"<text x="{cx}" y="38" text-anchor="middle">{addr}</text>
<line x1="{cx}" y1="{}" x2="{cx}" y2="{bottom}" stroke="#999" stroke-dasharray="4 3"/>"##,
            TOP - 16
        );
    }
    for (row, arrow) in arrows.iter().enumerate() {
        let y = TOP + ROW * row as i32 + 10;
        let (x1, x2) = (x(arrow.from), x(arrow.to));
        let class = arrow.class;
        let _ = writeln!(
            s,
            r##"<text x="8" y="{}" fill="#555">{:.3}</text>"##,
            y + SLOPE / 2 + 4,
            arrow.time.as_secs_f64()
        );
        if x1 == x2 {
            // To itself (the capture saw a frame between two addresses of one column).
            let _ = writeln!(
                s,
                r#"<path class="{class}" d="M{x1},{y} h30 v{SLOPE} h-30" fill="none" stroke-width="1.5"/>"#
            );
        } else {
            let _ = writeln!(
                s,
                r#"<line class="{class} arrow" x1="{x1}" y1="{y}" x2="{x2}" y2="{}"/>"#,
                y + SLOPE
            );
        }
        let _ = writeln!(
            s,
            r#"<text class="{class}" x="{}" y="{}" text-anchor="middle">{}</text>"#,
            (x1 + x2) / 2,
            y + SLOPE / 2 - 5,
            escape(&arrow.label)
        );
    }
    if left_out > 0 {
        let _ = writeln!(
            s,
            r##"<text x="8" y="{}" fill="#555">… and {left_out} more frames (netlab diagram --max N draws more)</text>"##,
            bottom + 16
        );
    }
    s += "</svg>\n";
    s
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Reads `ADDR=NAME`.
pub fn parse_name(text: &str) -> Result<(IpAddr, String), String> {
    let (addr, name) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}`: write a name as ADDRESS=NAME, as 192.0.2.1=h1"))?;
    let addr = addr
        .parse()
        .map_err(|_| format!("`{addr}` is not an IP address"))?;
    Ok((addr, name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;
    use std::time::UNIX_EPOCH;

    fn segment(from_h1: bool, seq: u32, ack: Option<u32>, syn: bool, data: &[u8]) -> Vec<u8> {
        let (a, b) = ([192, 0, 2, 1], [192, 0, 2, 2]);
        let (src, dst, sp, dp) = if from_h1 {
            (a, b, 40000, 12000)
        } else {
            (b, a, 12000, 40000)
        };
        let mut p = PacketBuilder::ethernet2([2; 6], [3; 6])
            .ipv4(src, dst, 64)
            .tcp(sp, dp, seq, 64240);
        if syn {
            p = p.syn();
        }
        if let Some(ack) = ack {
            p = p.ack(ack);
        }
        let mut out = Vec::new();
        p.write(&mut out, data).unwrap();
        out
    }

    fn capture(frames: &[Vec<u8>]) -> Vec<u8> {
        // A folder per call: the tests run in parallel.
        static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("netlab-diagram-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.pcap");
        let mut w = pcap::Writer::create(&path).unwrap();
        for (k, f) in frames.iter().enumerate() {
            w.write(UNIX_EPOCH + Duration::from_millis(1000 + 50 * k as u64), f)
                .unwrap();
        }
        drop(w);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        bytes
    }

    #[test]
    fn a_handshake_and_a_retransmission() {
        let bytes = capture(&[
            segment(true, 1000, None, true, b""),
            segment(false, 5000, Some(1001), true, b""),
            segment(true, 1001, Some(5001), false, b""),
            segment(true, 1001, Some(5001), false, b"hello\n"),
            segment(true, 1001, Some(5001), false, b"hello\n"),
        ]);
        let options = Options {
            names: vec![("192.0.2.1".parse().unwrap(), "h1".into())],
            max: 100,
            all: false,
            port: None,
        };
        let svg = render(&bytes, &options).unwrap();
        assert!(svg.contains(">SYN seq=0 win=64240<"), "{svg}");
        assert!(svg.contains(">SYN,ACK seq=0 ack=1 win=64240<"));
        assert!(svg.contains(">ACK seq=1 ack=1<"));
        assert!(svg.contains(">ACK seq=1 ack=1 len=6<"));
        assert!(svg.contains(">retransmission: ACK seq=1 ack=1 len=6<"));
        assert_eq!(svg.matches(r#"<line class="again arrow""#).count(), 1);
        assert!(svg.contains(">h1<"));
        assert!(svg.contains(">0.200<"), "times from the first frame");
        assert_eq!(svg.matches("<line class=").count(), 5);
    }

    #[test]
    fn at_most_max_frames() {
        let frames: Vec<_> = (0..10)
            .map(|k| segment(true, 1000 + k, None, false, b"x"))
            .collect();
        let options = Options {
            names: vec![],
            max: 4,
            all: false,
            port: Some(12000),
        };
        let svg = render(&capture(&frames), &options).unwrap();
        assert_eq!(svg.matches("<line class=").count(), 4);
        assert!(svg.contains("and 6 more frames"));
    }
}
