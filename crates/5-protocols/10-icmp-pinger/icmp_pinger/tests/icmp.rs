//! icmp_pinger as a black box: replies from loopback and from a netlab host, the same
//! answers as the system's `ping` run beside it, other programs' replies and malformed
//! ICMP let pass, and the one-line errors.
//!
//! An ICMP socket needs a privilege: root (a raw socket), or a group in the sysctl
//! `net.ipv4.ping_group_range` (a datagram socket). Most tests need root: they make
//! network namespaces of their own (the sysctl is per namespace, so setting it there
//! changes nothing outside), drop to a user with setpriv, forge packets with a raw
//! socket. Run by a user, each says so in one line and does not run, except the one
//! loopback test that a user whose group the sysctl allows can run too.

use std::net::{IpAddr, SocketAddr};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use testkit::{
    Finished, Running, needs_root, require_tool, run, run_command, sibling_binary,
};

const PINGER: &str = env!("CARGO_BIN_EXE_icmp_pinger");

/// One reply line: `64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms`, the
/// same in ping's output and ours.
#[derive(Debug, PartialEq, Clone)]
struct Reply {
    bytes: u32,
    from: IpAddr,
    seq: u16,
    ttl: u8,
    ms: f64,
}

/// What a run printed, read the same way from ping and from icmp_pinger.
#[derive(Debug)]
struct Report {
    replies: Vec<Reply>,
    timeouts: Vec<u16>,
    transmitted: u32,
    received: u32,
    loss: f64,
    /// min, avg, max, mdev
    rtt: Option<[f64; 4]>,
}

fn report(stdout: &str) -> Report {
    let mut replies = Vec::new();
    let mut timeouts = Vec::new();
    let mut counts = None;
    let mut rtt = None;
    for line in stdout.lines() {
        if let Some((bytes, rest)) = line.split_once(" bytes from ") {
            let (from, fields) = rest.split_once(": ").unwrap();
            let field = |name: &str| {
                fields
                    .split(' ')
                    .find_map(|f| f.strip_prefix(name))
                    .unwrap_or_else(|| panic!("no {name} in {line:?}"))
                    .to_owned()
            };
            replies.push(Reply {
                bytes: bytes.parse().unwrap(),
                from: from.parse().unwrap(),
                seq: field("icmp_seq=").parse().unwrap(),
                ttl: field("ttl=").parse().unwrap(),
                ms: field("time=").parse().unwrap(),
            });
        } else if let Some(seq) = line.strip_prefix("Request timed out (icmp_seq=")
        {
            timeouts.push(seq.trim_end_matches(')').parse().unwrap());
        } else if line.contains(" packets transmitted, ") {
            let words: Vec<&str> = line.split([' ', ',', '%']).collect();
            let loss = words.iter().position(|w| *w == "packet").unwrap() - 2;
            counts = Some((
                words[0].parse().unwrap(),
                words[4].parse().unwrap(),
                words[loss].parse().unwrap(),
            ));
        } else if let Some(numbers) = line.strip_prefix("rtt min/avg/max/mdev = ") {
            let numbers: Vec<f64> = numbers
                .trim_end_matches(" ms")
                .split('/')
                .map(|n| n.parse().unwrap())
                .collect();
            rtt = Some(numbers.try_into().unwrap());
        }
    }
    let (transmitted, received, loss) =
        counts.unwrap_or_else(|| panic!("no statistics in:\n{stdout}"));
    Report {
        replies,
        timeouts,
        transmitted,
        received,
        loss,
        rtt,
    }
}

/// Fails unless `out` is a run in which every one of `count` requests to `target` was
/// answered, in order, with plausible times.
fn assert_all_answered(out: &Finished, target: &str, count: u16) -> Report {
    assert_eq!(out.code(), Some(0), "{out:?}");
    let report = report(&out.stdout);
    let seqs: Vec<u16> = report.replies.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=count).collect::<Vec<_>>(), "{}", out.stdout);
    for reply in &report.replies {
        assert_eq!(reply.from, target.parse::<IpAddr>().unwrap());
        assert_eq!(reply.bytes, 64, "8 bytes of header, 56 of payload");
        assert!(reply.ms > 0.0 && reply.ms < 1000.0, "{reply:?}");
    }
    assert_eq!(
        (report.transmitted, report.received, report.loss),
        (u32::from(count), u32::from(count), 0.0)
    );
    let [min, avg, max, mdev] = report.rtt.expect("an rtt line");
    assert!(
        min <= avg && avg <= max && mdev <= max - min,
        "{:?}",
        report.rtt
    );
    report
}

/// Whether this process may open an ICMP socket of either kind.
fn may_ping() -> bool {
    let datagram = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::ICMPV4));
    testkit::running_as_root() || datagram.is_ok()
}

fn pinger(args: &[&str]) -> Finished {
    run(PINGER, args, b"")
}

#[test]
fn replies_from_loopback_v4_and_v6() {
    if !may_ping()
        && !needs_root("net.ipv4.ping_group_range allows none of your groups")
    {
        return;
    }
    for target in ["127.0.0.1", "::1"] {
        let out = pinger(&[target, "--count", "3", "--interval", "0.1"]);
        let report = assert_all_answered(&out, target, 3);
        // Nothing on the way: the reply leaves with the default TTL, 64.
        assert!(report.replies.iter().all(|r| r.ttl == 64), "{}", out.stdout);
        assert!(out.stdout.starts_with(&format!(
            "PING {target} ({target}) 56 data bytes, through "
        )));
        assert!(
            out.stdout
                .contains(&format!("\n\n--- {target} ping statistics ---\n"))
        );
        assert_eq!(out.stderr, "");
    }
    // A name: localhost, and -4 / -6 choose among its addresses.
    let out = pinger(&["localhost", "-4", "--count", "1"]);
    assert_all_answered(&out, "127.0.0.1", 1);
    assert!(out.stdout.starts_with("PING localhost (127.0.0.1) "));
}

/// A network namespace of this test's own, with loopback up; removed at the end.
struct Netns {
    name: String,
}

impl Netns {
    fn new() -> Netns {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "icmpt{}x{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let ip = require_tool("ip");
        let netns = Netns { name };
        for args in [
            vec!["netns", "add", &netns.name],
            vec!["-n", &netns.name, "link", "set", "lo", "up"],
        ] {
            let out = Command::new(&ip).args(&args).output().unwrap();
            assert!(out.status.success(), "ip {args:?}: {out:?}");
        }
        netns
    }

    /// `program args` inside the namespace; as `user` (uid and gid) when given.
    fn command(&self, user: Option<u32>, program: &str, args: &[&str]) -> Command {
        let mut command = Command::new(require_tool("ip"));
        command.args(["netns", "exec", &self.name]);
        if let Some(id) = user {
            command
                .arg(require_tool("setpriv"))
                .arg(format!("--reuid={id}"))
                .arg(format!("--regid={id}"))
                .args(["--clear-groups", "--inh-caps=-all"]);
        }
        command.arg(program).args(args);
        command
    }

    /// Writes `value` to the namespace's own copy of a /proc/sys/net setting.
    fn sysctl(&self, path: &str, value: &str) {
        let script = format!("echo '{value}' > /proc/sys/net/{path}");
        let out = run_command(self.command(None, "sh", &["-c", &script]), b"");
        assert_eq!(out.code(), Some(0), "{script}: {out:?}");
    }

    fn pinger(&self, user: Option<u32>, args: &[&str]) -> Finished {
        run_command(self.command(user, PINGER, args), b"")
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// A user id (and group id) nobody else on this machine uses.
fn test_user() -> u32 {
    60000 + std::process::id() % 5000
}

#[test]
fn a_user_pings_through_a_datagram_socket_once_the_sysctl_allows_their_group() {
    if !needs_root("it makes a network namespace and drops to a user there") {
        return;
    }
    let netns = Netns::new();
    let user = test_user();
    // A new namespace starts with the range "1 0": nobody.
    let out = netns.pinger(Some(user), &["127.0.0.1"]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        format!(
            "icmp_pinger: no ICMP socket is allowed: datagram sockets need a group of \
             yours (gid {user}) in the sysctl net.ipv4.ping_group_range, which is \"1 0\" \
             (allow it: sudo sysctl -w net.ipv4.ping_group_range=\"{user} {user}\"), and \
             raw sockets need root (or CAP_NET_RAW)\n"
        )
    );
    assert_eq!(out.stdout, "", "nothing sent, nothing to report");
    // Raw asked for: the line says what raw needs.
    let out = netns.pinger(Some(user), &["--socket", "raw", "127.0.0.1"]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "icmp_pinger: raw ICMP sockets need root (or CAP_NET_RAW); run with sudo, or try \
         --socket dgram\n"
    );

    // What the line says to do, done in this namespace only.
    netns.sysctl("ipv4/ping_group_range", &format!("{user} {user}"));
    for target in ["127.0.0.1", "::1"] {
        let out = netns.pinger(Some(user), &[target, "-c", "3", "-i", "0.1"]);
        assert_all_answered(&out, target, 3);
        assert!(
            out.stdout
                .lines()
                .next()
                .unwrap()
                .ends_with(", through an ICMP datagram socket"),
            "{}",
            out.stdout
        );
    }
    // Still no raw socket for the user.
    let out = netns.pinger(Some(user), &["--socket", "raw", "127.0.0.1"]);
    assert_eq!(out.code(), Some(1), "{out:?}");
}

/// What a datagram socket does with the request it is given, seen from Python's
/// socket module: the identifier written in it is replaced by the socket's own, the
/// checksum left at zero is computed, and the reply comes back with that identifier.
const KERNEL_FILLS_IN: &str = r#"
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
s.settimeout(5)
s.bind(("0.0.0.0", 0))
ident = s.getsockname()[1]
request = bytes([8, 0, 0, 0]) + struct.pack("!HH", ident ^ 0x5a5a, 7) + b"hello"
s.sendto(request, ("127.0.0.1", 0))
reply = s.recv(100)
kind, code, _, got, seq = struct.unpack("!BBHHH", reply[:8])
print(kind, code, got == ident, seq, reply[8:].decode())
"#;

#[test]
fn a_datagram_socket_gets_its_identifier_and_checksum_from_the_kernel() {
    if !needs_root(
        "it makes a network namespace whose sysctl allows ICMP datagram sockets",
    ) {
        return;
    }
    let python = require_tool("python3");
    let netns = Netns::new();
    netns.sysctl("ipv4/ping_group_range", "0 0");
    let out = run_command(
        netns.command(None, python.to_str().unwrap(), &["-c", KERNEL_FILLS_IN]),
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    // An echo reply (type 0) to request 7, carrying the socket's identifier, not
    // the one written in the request, whose checksum was zero.
    assert_eq!(out.stdout, "0 0 True 7 hello\n");
}

#[test]
fn the_same_answers_as_the_system_ping_side_by_side() {
    if !may_ping()
        && !needs_root("net.ipv4.ping_group_range allows none of your groups")
    {
        return;
    }
    let ping = require_tool("ping");
    for target in ["127.0.0.1", "::1"] {
        let theirs = Running::spawn({
            let mut command = Command::new(&ping);
            command.args(["-n", "-c", "4", "-i", "0.2", target]);
            command
        });
        let ours = Running::start(PINGER, &[target, "-c", "4", "-i", "0.2"]);
        let [theirs, ours] = [theirs, ours].map(|mut program| {
            let status = program.wait_for_exit();
            let stdout = program.remaining_lines().join("\n");
            assert!(status.success(), "{}: {stdout}", program.description());
            report(&stdout)
        });
        let without_time = |r: &Report| {
            r.replies
                .iter()
                .map(|r| (r.bytes, r.from, r.seq, r.ttl))
                .collect::<Vec<_>>()
        };
        assert_eq!(without_time(&ours), without_time(&theirs));
        assert_eq!(
            (ours.transmitted, ours.received, ours.loss),
            (theirs.transmitted, theirs.received, theirs.loss)
        );
        assert!(ours.rtt.is_some() && theirs.rtt.is_some());
    }
}

/// Starts `ping` flooding `target` with requests (bounded in count).
fn busy_ping(target: &str) -> Running {
    let mut command = Command::new(require_tool("ping"));
    command.args(["-n", "-q", "-c", "500", "-i", "0.002", target]);
    Running::spawn(command)
}

#[test]
fn another_programs_echo_replies_are_ignored() {
    if !needs_root("a raw socket, which sees every program's replies, needs root") {
        return;
    }
    for target in ["127.0.0.1", "::1"] {
        // ping sends hundreds of requests meanwhile; a raw socket sees all their
        // replies, and a second pinger's too.
        let _ping = busy_ping(target);
        let other = Running::start(
            PINGER,
            &[target, "--socket", "raw", "-c", "20", "-i", "0.01"],
        );
        let out =
            pinger(&[target, "--socket", "raw", "-v", "-c", "5", "-i", "0.1"]);
        assert_all_answered(&out, target, 5);
        let seen_theirs = out
            .stderr
            .lines()
            .filter(|l| l.ends_with(", another program's"))
            .count();
        assert!(
            seen_theirs > 10,
            "the raw socket saw no one else's replies:\n{}",
            out.stderr
        );
        drop(other);
    }
}

#[test]
fn a_datagram_socket_sees_only_its_own_replies() {
    if !needs_root("it makes a network namespace and drops to a user there") {
        return;
    }
    let netns = Netns::new();
    let user = test_user();
    netns.sysctl("ipv4/ping_group_range", &format!("0 {user}"));
    // Root's ping in the same namespace uses a datagram socket too now.
    let ping = require_tool("ping");
    let _busy = Running::spawn(netns.command(
        None,
        ping.to_str().unwrap(),
        &["-n", "-q", "-c", "500", "-i", "0.002", "127.0.0.1"],
    ));
    let _other = Running::spawn(netns.command(
        Some(user),
        PINGER,
        &["127.0.0.1", "-c", "20", "-i", "0.01"],
    ));
    let out =
        netns.pinger(Some(user), &["127.0.0.1", "-v", "-c", "5", "-i", "0.1"]);
    assert_all_answered(&out, "127.0.0.1", 5);
    // The kernel handed over nothing but our replies: nothing was ignored.
    assert_eq!(
        out.stderr
            .lines()
            .filter(|l| l.starts_with("ignored"))
            .count(),
        0,
        "{}",
        out.stderr
    );
}

/// Sends, every few milliseconds until `stop`, echo replies that look like answers to
/// `identifier`'s requests 1 to `count` but are malformed: a bad checksum, or too short.
fn forge_malformed(
    identifier: u16,
    count: u16,
    stop: Arc<AtomicBool>,
) -> thread::JoinHandle<usize> {
    thread::spawn(move || {
        let raw =
            Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::ICMPV4)).unwrap();
        let to = SockAddr::from("127.0.0.1:0".parse::<SocketAddr>().unwrap());
        let mut sent = 0;
        let deadline = Instant::now() + Duration::from_secs(10);
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            for seq in 1..=count {
                let mut reply = icmp_pinger::echo_request(
                    icmp_pinger::Version::V4,
                    identifier,
                    seq,
                    &icmp_pinger::stamp(1),
                );
                reply[0] = 0; // an echo reply, with the request's checksum: wrong by 0x0800
                raw.send_to(&reply, &to).unwrap();
                raw.send_to(&reply[..6], &to).unwrap();
                sent += 2;
            }
            thread::sleep(Duration::from_millis(5));
        }
        sent
    })
}

#[test]
fn malformed_icmp_is_ignored() {
    if !needs_root("a raw socket, to see and to forge packets, needs root") {
        return;
    }
    let mut pinger = Running::start(
        PINGER,
        &["127.0.0.1", "--socket", "raw", "-v", "-c", "5", "-i", "0.1"],
    );
    // On a raw socket the identifier is the process id.
    let stop = Arc::new(AtomicBool::new(false));
    let forger = forge_malformed(pinger.pid() as u16, 5, stop.clone());
    let status = pinger.wait_for_exit();
    stop.store(true, Ordering::Relaxed);
    assert!(forger.join().unwrap() > 0);
    let stdout = pinger.remaining_lines().join("\n");
    let stderr = pinger.stderr_so_far();
    let out = Finished {
        status,
        stdout,
        stderr: stderr.clone(),
    };
    assert_all_answered(&out, "127.0.0.1", 5);
    assert!(
        stderr.contains(
            "ignored 84 bytes from 127.0.0.1: malformed ICMP: bad checksum\n"
        ),
        "{stderr}"
    );
    // The six-byte ones never arrive: the kernel drops an ICMP message shorter than
    // its 8-byte header before any raw socket sees it (they leave: tcpdump shows them).
    assert!(!stderr.contains("too short"), "{stderr}");
}

#[test]
fn no_reply_is_a_timeout_each_time_and_exit_status_1() {
    if !needs_root("it makes a network namespace whose loopback ignores pings") {
        return;
    }
    let netns = Netns::new();
    netns.sysctl("ipv4/icmp_echo_ignore_all", "1");
    let started = Instant::now();
    let out =
        netns.pinger(None, &["127.0.0.1", "-c", "3", "-W", "0.2", "-i", "0.2"]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    let report = report(&out.stdout);
    assert_eq!(report.timeouts, [1, 2, 3]);
    assert!(report.replies.is_empty());
    assert_eq!(
        (report.transmitted, report.received, report.loss),
        (3, 0, 100.0)
    );
    assert_eq!(report.rtt, None, "no round trip, no rtt line");
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "each request waited 0.2 s"
    );
}

#[test]
fn ctrl_c_stops_early_with_the_statistics() {
    if !may_ping()
        && !needs_root("net.ipv4.ping_group_range allows none of your groups")
    {
        return;
    }
    let mut pinger =
        Running::start(PINGER, &["127.0.0.1", "-c", "1000", "-i", "0.05"]);
    let header = pinger.next_line().unwrap();
    assert!(header.starts_with("PING 127.0.0.1 "), "{header}");
    for seq in 1..=3 {
        let line = pinger.next_line().unwrap();
        assert!(line.contains(&format!(" icmp_seq={seq} ")), "{line}");
    }
    pinger.signal(libc::SIGINT);
    let status = pinger.wait_for_exit();
    assert!(status.success(), "{status:?}");
    let rest = pinger.remaining_lines().join("\n");
    let report = report(&rest);
    assert!((3..10).contains(&report.transmitted), "{rest}");
    assert_eq!(report.loss, 0.0, "{rest}");
}

#[test]
fn a_reader_that_goes_away_ends_the_pinger_quietly() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    if !may_ping()
        && !needs_root("net.ipv4.ping_group_range allows none of your groups")
    {
        return;
    }
    // `icmp_pinger … | head -1`: the reader takes one line and closes the pipe.
    let mut child = Command::new(PINGER)
        .args(["127.0.0.1", "-c", "5", "-i", "0.1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with("PING 127.0.0.1 "), "{first}");
    let deadline = Instant::now() + testkit::PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the pinger did not end");
        thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr)
        .unwrap();
    // Ended by SIGPIPE, as ping is: no panic message, no error line.
    assert_eq!(status.signal(), Some(libc::SIGPIPE), "{status:?}: {stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn mistakes_and_far_targets_are_one_line_and_exit_status_1() {
    let one_line = |args: &[&str], expected: &str| {
        let out = pinger(args);
        assert_eq!(out.code(), Some(1), "{args:?}: {out:?}");
        assert_eq!(out.stderr, format!("icmp_pinger: {expected}\n"), "{args:?}");
        assert_eq!(out.stdout, "");
    };
    let far = |host: &str, ip: &str| {
        format!(
            "'{host}' is {ip}, which is neither this machine nor a netlab host; icmp_pinger \
             pings only loopback (127.0.0.0/8, ::1) and the lab's ranges (192.0.2.0/24, \
             198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32)"
        )
    };
    one_line(&["8.8.8.8"], &far("8.8.8.8", "8.8.8.8"));
    one_line(
        &["2001:4860::8888"],
        &far("2001:4860::8888", "2001:4860::8888"),
    );
    one_line(&["-4", "::1"], "'::1' has no IPv4 address");
    one_line(&["-6", "127.0.0.1"], "'127.0.0.1' has no IPv6 address");
    one_line(
        &["127.0.0.1", "--timeout", "0"],
        "--timeout must be between 0 and 60 seconds",
    );
    one_line(
        &["127.0.0.1", "--interval", "61"],
        "--interval must be between 0 and 60 seconds",
    );
    let out = pinger(&["no-such-host.invalid"]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .starts_with("icmp_pinger: cannot find host 'no-such-host.invalid' (")
    );
    assert_eq!(out.stderr.lines().count(), 1);
    // Without the privilege (a user whose group the sysctl leaves out), the line
    // names the sysctl that would allow it.
    if !may_ping() {
        let out = pinger(&["127.0.0.1"]);
        assert_eq!(out.code(), Some(1), "{out:?}");
        assert!(
            out.stderr
                .starts_with("icmp_pinger: no ICMP socket is allowed: ")
                && out.stderr.contains(" net.ipv4.ping_group_range, which is ")
                && out
                    .stderr
                    .ends_with(", and raw sockets need root (or CAP_NET_RAW)\n"),
            "{}",
            out.stderr
        );
    }
    // A command-line mistake: one line, status 2, as for every program here.
    let out = pinger(&["127.0.0.1", "--count", "0"]);
    assert_eq!(out.code(), Some(2), "{out:?}");
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

/// netlab as the netlab chapter's tests drive it: a lab of this test's own name.
struct Lab {
    netlab: String,
    name: String,
}

impl Lab {
    fn up(args: &[&str]) -> Lab {
        let netlab = sibling_binary(PINGER, "netlab");
        let lab = Lab {
            netlab,
            name: format!("icmpl{}", std::process::id()),
        };
        let out = lab.netlab(&[&["up"], args].concat());
        assert_eq!(out.code(), Some(0), "netlab up {args:?}: {out:?}");
        lab
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.netlab);
        command.arg("--lab").arg(&self.name).args(args);
        command
    }

    fn netlab(&self, args: &[&str]) -> Finished {
        run_command(self.command(args), b"")
    }

    fn running(&self, host: &str, program: &str, args: &[&str]) -> Running {
        let mut command = self.command(&["run", host, "--", program]);
        command.args(args);
        Running::spawn(command)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.command(&["down"]).output();
    }
}

#[test]
fn a_netlab_host_answers_across_a_router_as_it_answers_ping() {
    if !needs_root("it builds a netlab network") {
        return;
    }
    let ping = require_tool("ping");
    // h1 — r1 — h2, every link 10 ms each way: a round trip crosses four links.
    let lab = Lab::up(&["chain", "1", "--delay", "10ms"]);
    for target in ["203.0.113.2", "2001:db8:2::2"] {
        let theirs = lab.running(
            "h1",
            ping.to_str().unwrap(),
            &["-n", "-c", "3", "-i", "0.2", target],
        );
        let ours = lab.running("h1", PINGER, &[target, "-c", "3", "-i", "0.2"]);
        let [theirs, ours] = [theirs, ours].map(|mut program| {
            let status = program.wait_for_exit();
            let stdout = program.remaining_lines().join("\n");
            assert!(
                status.success(),
                "{}: {stdout}\n{}",
                program.description(),
                program.stderr_so_far()
            );
            (report(&stdout), stdout)
        });
        let (ours, stdout) = ours;
        assert_eq!((ours.transmitted, ours.received), (3, 3), "{stdout}");
        for (mine, its) in ours.replies.iter().zip(&theirs.0.replies) {
            // One router on the way back: h2's 64 arrives as 63, for both programs.
            assert_eq!(
                (mine.from, mine.ttl),
                (target.parse().unwrap(), 63),
                "{stdout}"
            );
            assert_eq!(its.ttl, 63, "{}", theirs.1);
            // Four links of 10 ms: no round trip is shorter.
            assert!(mine.ms >= 40.0, "{stdout}");
            // After the first, which may wait for the routers to find their
            // neighbours, ping and we measure the same path alike.
            if mine.seq > 1 {
                assert!(mine.ms < 200.0, "{stdout}");
                assert!((mine.ms - its.ms).abs() < 30.0, "{stdout}\n{}", theirs.1);
            }
        }
    }
}
