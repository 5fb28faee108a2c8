//! traceroute as a black box: to loopback, where the first hop is the destination,
//! and across netlab chains of routers, where the hops must be the routers' addresses
//! and then the destination's, as tracepath finds them too.
//!
//! The loopback test runs for everyone: the error queue needs no privilege. The lab
//! tests need root (netlab's named namespaces, a raw socket); run by a user, each says
//! so in one line and does not run. Every lab test builds a lab of its own: routers
//! answer only a few probes a second per sender (their ICMP rate limit), and a lab
//! shared between tests would run out. netlab is found beside this test's binary: run
//! `cargo test` at the root of the workspace (or `cargo build -p netlab` first).

use std::net::{IpAddr, UdpSocket};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use testkit::{
    Finished, needs_root, require_tool, run, run_command, sibling_binary,
};

const TRACEROUTE: &str = env!("CARGO_BIN_EXE_traceroute");

/// One probe as printed: who answered, in how many ms, with which mark (`!N`), or
/// nobody (`*`).
#[derive(Debug, Clone, PartialEq)]
enum Probe {
    Answered {
        from: IpAddr,
        ms: f64,
        mark: Option<String>,
    },
    Silent,
}

/// The hop lines of a run: for each, its number and its probes.
fn hops(stdout: &str) -> Vec<(u8, Vec<Probe>)> {
    let mut lines = stdout.lines();
    let header = lines.next().unwrap_or_default();
    assert!(header.starts_with("traceroute to "), "{stdout}");
    lines
        .map(|line| {
            let mut words = line.split_whitespace().peekable();
            let ttl = words.next().unwrap().parse().unwrap();
            let mut probes = Vec::new();
            let mut from = None;
            while let Some(word) = words.next() {
                if word == "*" {
                    probes.push(Probe::Silent);
                } else if let Ok(ip) = word.parse::<IpAddr>() {
                    from = Some(ip);
                } else {
                    let ms = word.parse().unwrap_or_else(|_| panic!("{line}"));
                    assert_eq!(words.next(), Some("ms"), "{line}");
                    let mark =
                        words.next_if(|w| w.starts_with('!')).map(str::to_owned);
                    let from = from.unwrap_or_else(|| {
                        panic!("a time before an address: {line}")
                    });
                    probes.push(Probe::Answered { from, ms, mark });
                }
            }
            (ttl, probes)
        })
        .collect()
}

/// The address that answered every probe of each hop (fails if a hop had silence
/// or two answering addresses), with the shortest time of the hop.
fn path(stdout: &str) -> Vec<(IpAddr, f64)> {
    hops(stdout)
        .into_iter()
        .enumerate()
        .map(|(at, (ttl, probes))| {
            assert_eq!(usize::from(ttl), at + 1, "{stdout}");
            let mut answers = probes.iter().map(|p| match p {
                Probe::Answered {
                    from,
                    ms,
                    mark: None,
                } => (*from, *ms),
                other => panic!("hop {ttl}: {other:?} in\n{stdout}"),
            });
            let (first, mut fastest) = answers.next().unwrap();
            for (from, ms) in answers {
                assert_eq!(from, first, "two addresses at hop {ttl}:\n{stdout}");
                fastest = fastest.min(ms);
            }
            (first, fastest)
        })
        .collect()
}

fn traceroute(args: &[&str]) -> Finished {
    run(TRACEROUTE, args, b"")
}

/// A loopback UDP port of the given family where nothing receives while the test
/// runs (held by a socket connected elsewhere; see `testkit::closed_udp_port`).
fn closed_port(loopback: &str) -> (u16, [UdpSocket; 2]) {
    let peer = UdpSocket::bind((loopback, 0)).unwrap();
    let holder = UdpSocket::bind((loopback, 0)).unwrap();
    holder.connect(peer.local_addr().unwrap()).unwrap();
    (holder.local_addr().unwrap().port(), [holder, peer])
}

#[test]
fn to_loopback_the_first_hop_is_the_destination() {
    for target in ["127.0.0.1", "::1"] {
        let (port, _held) = closed_port(target);
        let port = port.to_string();
        // One probe, to a port known to be closed: TTL 1 is enough, because a packet
        // for this machine never passes a router.
        let out = traceroute(&[target, "--probes", "1", "--port", &port]);
        assert_eq!(out.code(), Some(0), "{out:?}");
        let ip: IpAddr = target.parse().unwrap();
        assert_eq!(
            path(&out.stdout).iter().map(|h| h.0).collect::<Vec<_>>(),
            [ip]
        );
        assert!(out.stdout.starts_with(&format!(
            "traceroute to {target} ({target}), 30 hops max, 1 probes per hop, answers \
             from the error queue\n"
        )));
        assert_eq!(out.stderr, "");
        // Root runs it again as a user (nobody): the error queue needs no privilege.
        if testkit::running_as_root() {
            let mut as_nobody = Command::new(require_tool("setpriv"));
            as_nobody
                .args([
                    "--reuid=65534",
                    "--regid=65534",
                    "--clear-groups",
                    "--inh-caps=-all",
                ])
                .arg(TRACEROUTE)
                .args([target, "--probes", "1", "--port", &port]);
            let out = run_command(as_nobody, b"");
            assert_eq!(out.code(), Some(0), "{out:?}");
            assert_eq!(
                path(&out.stdout).iter().map(|h| h.0).collect::<Vec<_>>(),
                [ip]
            );
        }
        // The same through a raw socket, where root may open one.
        if testkit::running_as_root() {
            let out =
                traceroute(&[target, "--probes", "1", "--port", &port, "--raw"]);
            assert_eq!(out.code(), Some(0), "{out:?}");
            assert_eq!(
                path(&out.stdout).iter().map(|h| h.0).collect::<Vec<_>>(),
                [ip]
            );
        }
    }
}

#[test]
fn a_program_on_the_probed_port_answers_or_stays_silent() {
    // A program that answers every datagram on the port: the destination all the same.
    let echo = UdpSocket::bind("127.0.0.1:0").unwrap();
    echo.set_read_timeout(Some(testkit::PATIENCE)).unwrap();
    let port = echo.local_addr().unwrap().port().to_string();
    let answering = std::thread::spawn(move || {
        let mut buf = [0u8; 100];
        let (n, from) = echo.recv_from(&mut buf).unwrap();
        echo.send_to(&buf[..n], from).unwrap();
        echo
    });
    let out = traceroute(&["127.0.0.1", "--probes", "1", "--port", &port]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        path(&out.stdout)[0].0,
        "127.0.0.1".parse::<IpAddr>().unwrap()
    );
    // The same port, taken by a program that never answers: silence.
    let _silent = answering.join().unwrap();
    let out = traceroute(&[
        "127.0.0.1",
        "--probes",
        "1",
        "--port",
        &port,
        "--max-hops",
        "1",
        "--timeout",
        "0.2",
    ]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(hops(&out.stdout), vec![(1, vec![Probe::Silent])]);
}

/// Why traceroute reads the queue empty before each probe: with IP_RECVERR, an error
/// left unread also fails the socket's next call, once, and that call's datagram is
/// not sent. Without the option an unconnected socket hears nothing at all.
#[test]
fn with_ip_recverr_an_unread_error_fails_the_next_send() {
    use nix::sys::socket::{setsockopt, sockopt};
    let (port, _held) = closed_port("127.0.0.1");
    let to = ("127.0.0.1", port);
    for recverr in [false, true] {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        setsockopt(&socket, sockopt::Ipv4RecvErr, &recverr).unwrap();
        socket.send_to(b"first", to).unwrap();
        // On loopback the "port unreachable" is queued before send_to returns.
        let second = socket.send_to(b"second", to);
        if recverr {
            let err = second.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
        } else {
            assert_eq!(second.unwrap(), 6, "no error reported without IP_RECVERR");
        }
        assert!(socket.send_to(b"third", to).is_ok());
    }
}

/// A netlab lab of this test's own, taken down at the end.
struct Lab {
    netlab: String,
    name: String,
}

impl Lab {
    /// `netlab up ARGS`, or `None` (said in one line) when this process is not root.
    fn up(args: &[&str]) -> Option<Lab> {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        if !needs_root("it builds a netlab network") {
            return None;
        }
        let lab = Lab {
            netlab: sibling_binary(TRACEROUTE, "netlab"),
            name: format!(
                "trt{}x{}",
                std::process::id(),
                COUNT.fetch_add(1, Ordering::Relaxed)
            ),
        };
        let out = lab.netlab(&[&["up"], args].concat());
        assert_eq!(out.code(), Some(0), "netlab up {args:?}: {out:?}");
        Some(lab)
    }

    fn netlab(&self, args: &[&str]) -> Finished {
        let mut command = Command::new(&self.netlab);
        command.arg("--lab").arg(&self.name).args(args);
        run_command(command, b"")
    }

    /// `program args` inside `host`, to its end.
    fn run(&self, host: &str, program: &str, args: &[&str]) -> Finished {
        self.netlab(&[&["run", host, "--", program], args].concat())
    }

    fn traceroute(&self, args: &[&str]) -> Finished {
        let out = self.run("h1", TRACEROUTE, args);
        assert_eq!(out.code(), Some(0), "{out:?}");
        out
    }

    /// The addresses the routers face h1 with (their eth0), IPv4 and IPv6, in
    /// order, as `netlab status` lists them: these are the addresses that answer.
    fn routers(&self) -> (Vec<IpAddr>, Vec<IpAddr>) {
        let status = self.netlab(&["status"]);
        let (mut v4, mut v6) = (Vec::new(), Vec::new());
        for line in status.stdout.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if let ["r1" | "r2" | "r3", "router", "eth0", four, six, ..] = words[..]
            {
                v4.push(four.split('/').next().unwrap().parse().unwrap());
                v6.push(six.split('/').next().unwrap().parse().unwrap());
            }
        }
        assert!(!v4.is_empty(), "no routers in:\n{}", status.stdout);
        (v4, v6)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = Command::new(&self.netlab)
            .arg("--lab")
            .arg(&self.name)
            .arg("down")
            .output();
    }
}

const H2_V4: &str = "203.0.113.2";
/// h2's IPv6 address in a `chain 2` (h2's link is the third subnet).
const H2_V6: &str = "2001:db8:3::2";

/// Checks a trace to h2 across `routers`: their addresses in order, then h2's; every
/// probe answered; each hop at least 10 ms further (5 ms links, crossed both ways).
fn assert_routers_then_h2(stdout: &str, routers: &[IpAddr], h2: &str) {
    let path = path(stdout);
    let mut expected = routers.to_vec();
    expected.push(h2.parse().unwrap());
    assert_eq!(
        path.iter().map(|h| h.0).collect::<Vec<_>>(),
        expected,
        "{stdout}"
    );
    for (at, (_, fastest)) in path.iter().enumerate() {
        assert!(
            *fastest >= 10.0 * (at + 1) as f64,
            "hop {}: {stdout}",
            at + 1
        );
    }
}

#[test]
fn across_a_chain_the_hops_are_the_routers_then_the_destination() {
    let Some(lab) = Lab::up(&["chain", "2", "--delay", "5ms"]) else {
        return;
    };
    let (v4, v6) = lab.routers();
    let out = lab.traceroute(&[H2_V4]);
    assert_routers_then_h2(&out.stdout, &v4, H2_V4);
    let out = lab.traceroute(&[H2_V6]);
    assert_routers_then_h2(&out.stdout, &v6, H2_V6);
    // By name: h2 has both kinds of address; -4 picks one.
    let out = lab.traceroute(&["h2", "-4", "--probes", "1"]);
    assert!(
        out.stdout.starts_with("traceroute to h2 (203.0.113.2), "),
        "{out:?}"
    );
}

#[test]
fn a_raw_socket_finds_the_same_hops() {
    let Some(lab) = Lab::up(&["chain", "2", "--delay", "5ms"]) else {
        return;
    };
    let (v4, v6) = lab.routers();
    for (target, routers) in [(H2_V4, &v4), (H2_V6, &v6)] {
        let out = lab.traceroute(&[target, "--raw"]);
        assert!(
            out.stdout
                .lines()
                .next()
                .unwrap()
                .ends_with(", answers from a raw socket"),
            "{}",
            out.stdout
        );
        assert_routers_then_h2(&out.stdout, routers, target);
    }
}

#[test]
fn max_hops_1_stops_after_the_first_router() {
    let Some(lab) = Lab::up(&["chain", "2", "--delay", "5ms"]) else {
        return;
    };
    let (v4, _) = lab.routers();
    let out = lab.traceroute(&[H2_V4, "--max-hops", "1"]);
    assert_eq!(path(&out.stdout), vec![(v4[0], path(&out.stdout)[0].1)]);
    assert_eq!(
        out.stdout.lines().count(),
        2,
        "the header and one hop: {}",
        out.stdout
    );
    assert!(
        out.stdout
            .starts_with("traceroute to 203.0.113.2 (203.0.113.2), 1 hops max, ")
    );
}

/// tracepath's hops: `N:  ADDRESS  TIME` lines (not `N?:`, its path-MTU probe, nor
/// `no reply`), as hop number → address, and the hop it says was `reached`.
fn tracepath_hops(stdout: &str) -> (Vec<(u8, IpAddr)>, Option<u8>) {
    let mut found = Vec::new();
    let mut reached = None;
    for line in stdout.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(hop) = words.first().and_then(|w| w.strip_suffix(':')) else {
            continue;
        };
        let (Ok(hop), Some(Ok(ip))) =
            (hop.parse::<u8>(), words.get(1).map(|w| w.parse()))
        else {
            continue;
        };
        if !found.contains(&(hop, ip)) {
            found.push((hop, ip));
        }
        if line.trim_end().ends_with("reached") {
            reached = Some(hop);
        }
    }
    (found, reached)
}

#[test]
fn the_same_hops_as_tracepath() {
    let tracepath = require_tool("tracepath");
    let tracepath = tracepath.to_str().unwrap();
    let Some(lab) = Lab::up(&["chain", "2", "--delay", "5ms"]) else {
        return;
    };
    for target in [H2_V4, H2_V6] {
        let theirs = lab.run("h1", tracepath, &["-n", target]);
        assert_eq!(theirs.code(), Some(0), "{theirs:?}");
        let (theirs, reached) = tracepath_hops(&theirs.stdout);
        let ours = lab.traceroute(&[target]);
        let ours: Vec<(u8, IpAddr)> = path(&ours.stdout)
            .iter()
            .enumerate()
            .map(|(at, (ip, _))| (at as u8 + 1, *ip))
            .collect();
        assert_eq!(ours, theirs);
        assert_eq!(reached, Some(ours.len() as u8));
    }
}

#[test]
fn an_unreachable_network_is_marked_and_ends_the_walk() {
    let Some(lab) = Lab::up(&["chain", "2", "--delay", "5ms"]) else {
        return;
    };
    let (v4, _) = lab.routers();
    // r1 has no route to 198.51.100.96/30: it answers "network unreachable".
    let out = lab.traceroute(&["198.51.100.99"]);
    let hops = hops(&out.stdout);
    assert_eq!(hops.len(), 1, "the walk ends there: {}", out.stdout);
    // Every answer is r1's !N; the first probe's at least (later ones may find
    // the router's ICMP rate limit spent: this kind of error costs it more).
    let answers: Vec<(IpAddr, Option<&str>)> = hops[0]
        .1
        .iter()
        .filter_map(|probe| match probe {
            Probe::Answered { from, mark, .. } => Some((*from, mark.as_deref())),
            Probe::Silent => None,
        })
        .collect();
    assert!(hops[0].1[0] != Probe::Silent, "{}", out.stdout);
    assert!(
        answers.iter().all(|a| *a == (v4[0], Some("!N"))),
        "{}",
        out.stdout
    );
}

#[test]
fn routers_answer_only_a_few_probes_a_second() {
    let Some(lab) = Lab::up(&["chain", "1", "--delay", "5ms"]) else {
        return;
    };
    // Ten probes in quick succession to the one router: after a burst, it answers
    // about one a second (net.ipv4.icmp_ratelimit, 1000 ms by default).
    let out = lab.traceroute(&[
        H2_V4,
        "--max-hops",
        "1",
        "--probes",
        "10",
        "--timeout",
        "0.2",
    ]);
    let hops = hops(&out.stdout);
    let probes = &hops[0].1;
    let answered = probes.iter().filter(|p| **p != Probe::Silent).count();
    assert!(probes[0] != Probe::Silent, "{}", out.stdout);
    assert!((5..=8).contains(&answered), "{}", out.stdout);
}

#[test]
fn mistakes_are_one_line_and_exit_status_1() {
    let one_line = |out: Finished, expected: &str| {
        assert_eq!(out.code(), Some(1), "{out:?}");
        assert_eq!(out.stderr, format!("traceroute: {expected}\n"));
        assert_eq!(out.stdout, "");
    };
    one_line(
        traceroute(&["8.8.8.8"]),
        "'8.8.8.8' is 8.8.8.8, which is neither this machine nor a netlab host; traceroute \
         probes only loopback (127.0.0.0/8, ::1) and the lab's ranges (192.0.2.0/24, \
         198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32)",
    );
    one_line(traceroute(&["-4", "::1"]), "'::1' has no IPv4 address");
    one_line(
        traceroute(&["127.0.0.1", "--timeout", "0"]),
        "--timeout must be between 0 and 60 seconds",
    );
    one_line(
        traceroute(&["127.0.0.1", "--port", "65500"]),
        "--port 65500 leaves no room for 3 probes per hop up to hop 30; try a lower --port",
    );
    // --raw without the privilege: as a user (root drops to one for this).
    let mut command = if testkit::running_as_root() {
        let mut setpriv = Command::new(require_tool("setpriv"));
        setpriv.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
        ]);
        setpriv.arg(TRACEROUTE);
        setpriv
    } else {
        Command::new(TRACEROUTE)
    };
    command.args(["127.0.0.1", "--raw"]);
    one_line(
        run_command(command, b""),
        "--raw needs root (or CAP_NET_RAW) for its raw ICMP socket; without --raw, \
         traceroute reads the answers from the UDP socket's error queue, which needs no \
         privilege",
    );
}
