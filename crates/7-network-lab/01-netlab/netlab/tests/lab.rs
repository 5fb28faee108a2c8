//! netlab as a student uses it: `up`, programs run inside the hosts with `run`, the
//! capture read back with tcpdump, `down`, and then a look that nothing is left.
//!
//! Most of these tests need root: they build root's labs (named namespaces, TAP
//! devices); run by a user, each says so in one line and does not run. The test of a lab
//! without root runs for everyone: root drops to a user with setpriv for it. Each test builds a lab of its own name (`--lab`), so they run in
//! parallel without meeting. The course's programs are found beside this test's binary:
//! run `cargo test` at the root of the workspace (or `cargo build -p tcp_upper_server
//! -p tcp_upper_client` before `cargo test -p netlab`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use testkit::{Finished, Running, Server, require_tool, run_command, sibling_binary};

const NETLAB: &str = env!("CARGO_BIN_EXE_netlab");

/// A lab of its own for one test, taken down (and checked) at the end.
struct Lab {
    name: String,
    down: bool,
}

impl Lab {
    /// A fresh lab name, or `None` (said in one line) when this process is not root.
    fn name() -> Option<Lab> {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        if !testkit::needs_root("it creates network namespaces and TAP devices") {
            return None;
        }
        require_tool("ip");
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        Some(Lab {
            name: format!("nlt{}x{n}", std::process::id()),
            down: false,
        })
    }

    /// `netlab up ARGS`, which must succeed.
    fn up(args: &[&str]) -> Option<Lab> {
        let lab = Lab::name()?;
        let out = lab.netlab(&[&["up"], args].concat());
        assert_eq!(out.code(), Some(0), "netlab up {args:?}: {out:?}");
        Some(lab)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(NETLAB);
        command.arg("--lab").arg(&self.name).args(args);
        command
    }

    fn netlab(&self, args: &[&str]) -> Finished {
        run_command(self.command(args), b"")
    }

    /// `netlab run HOST -- PROGRAM ARGS` with `stdin`, to its end.
    fn run(&self, host: &str, program: &str, args: &[&str], stdin: &[u8]) -> Finished {
        let mut command = self.command(&["run", host, "--", program]);
        command.args(args);
        run_command(command, stdin)
    }

    /// A server started inside `host`, its readiness line read.
    fn server(&self, host: &str, program: &str, args: &[&str]) -> Server {
        let mut command = self.command(&["run", host, "--", program]);
        command.args(args);
        Server::spawn(command)
    }

    /// `netlab down`, then the check that nothing of the lab is left.
    fn down(mut self) {
        self.down = true;
        let out = self.netlab(&["down"]);
        assert_eq!(out.code(), Some(0), "netlab down: {out:?}");
        assert_nothing_left(&self.name);
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if !self.down {
            let _ = self.command(&["down"]).output();
        }
    }
}

/// No namespace, runtime folder, interface or living process of lab `name` remains.
fn assert_nothing_left(name: &str) {
    let prefix = format!("{name}-");
    let namespaces: Vec<String> = std::fs::read_dir("/run/netns")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(&prefix))
                .collect()
        })
        .unwrap_or_default();
    assert!(namespaces.is_empty(), "namespaces left: {namespaces:?}");
    let dir = Path::new("/run/netlab").join(name);
    assert!(!dir.exists(), "{} is left", dir.display());
    // A process of the lab: its wires, or anything whose command line names the lab.
    // (A zombie has no command line: it is gone, only not yet reaped by init.)
    let survivors: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains("__wires") && c.contains(name))
        .collect();
    assert!(survivors.is_empty(), "processes left: {survivors:?}");
}

fn capture_path(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("netlab");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{test}-{}.pcap", std::process::id()))
}

/// Lines of lowercase text, the same for the same seed.
fn sentences(lines: usize, len: usize) -> String {
    let noise = testkit::noise(lines * len, 11);
    noise
        .chunks(len)
        .map(|chunk| {
            let line: String = chunk.iter().map(|b| (b'a' + b % 26) as char).collect();
            line + "\n"
        })
        .collect()
}

/// The capture as tcpdump reads it (`-n`: numbers, no names; relative TCP numbers).
fn tcpdump(pcap: &Path) -> Vec<String> {
    let tcpdump = require_tool("tcpdump");
    let out = Command::new(tcpdump)
        .args(["-n", "-r"])
        .arg(pcap)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tcpdump -r failed: {stderr}");
    assert!(!stderr.contains("truncated"), "{stderr}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// TCP segments that carry data already carried before in the same direction: their
/// first byte is below the highest byte sent before (tcpdump prints `seq FIRST:NEXT`).
fn retransmissions(lines: &[String]) -> Vec<String> {
    let mut highest: HashMap<String, u64> = HashMap::new();
    let mut again = Vec::new();
    for line in lines {
        let Some((_, rest)) = line.split_once(" IP ") else {
            continue;
        };
        let Some((direction, tcp)) = rest.split_once(": Flags [") else {
            continue;
        };
        let Some(range) = tcp.split(", ").find_map(|f| f.strip_prefix("seq ")) else {
            continue;
        };
        let Some((first, next)) = range.split_once(':') else {
            continue; // no data
        };
        let (first, next): (u64, u64) = (first.parse().unwrap(), next.parse().unwrap());
        let top = highest.entry(direction.to_owned()).or_insert(0);
        if first < *top {
            again.push(line.clone());
        }
        *top = (*top).max(next);
    }
    again
}

#[test]
fn tcp_across_a_lossy_link_arrives_byte_exact_and_the_capture_shows_the_repairs() {
    let server_bin = sibling_binary(NETLAB, "tcp_upper_server");
    let client_bin = sibling_binary(NETLAB, "tcp_upper_client");
    let pcap = capture_path("lossy");
    let pcap_text = pcap.to_string_lossy().into_owned();
    let Some(lab) = Lab::up(&[
        "pair", "--loss", "10%", "--delay", "50ms", "--seed", "3", "--pcap", &pcap_text,
    ]) else {
        return;
    };
    let server = lab.server("h2", &server_bin, &["--host", "0.0.0.0", "--port", "0"]);
    let port = server.addr.port().to_string();
    // Twenty lines of two kilobytes: a few hundred segments each way, so that one in ten
    // lost cannot miss them all.
    let text = sentences(20, 2000);
    let started = Instant::now();
    let out = lab.run(
        "h1",
        &client_bin,
        &["--host", "192.0.2.2", "--port", &port],
        text.as_bytes(),
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let expected: String = text
        .lines()
        .map(|l| format!("From Server: {}\n", l.to_uppercase()))
        .collect();
    assert!(
        out.stdout == expected,
        "the replies differ from the uppercased lines"
    );
    // Every exchange crosses the link twice, 50 ms each way.
    assert!(started.elapsed() >= Duration::from_millis(20 * 100));

    let lines = tcpdump(&pcap);
    let port_in = |l: &&String| l.contains(&format!(".{port}"));
    let tcp: Vec<&String> = lines.iter().filter(port_in).collect();
    assert!(
        tcp.iter().any(|l| l.contains("Flags [S]")),
        "no SYN in the capture"
    );
    assert!(tcp.iter().any(|l| l.contains("Flags [S.]")), "no SYN-ACK");
    let again = retransmissions(&lines);
    assert!(
        !again.is_empty(),
        "10% loss, and no retransmitted segment in the capture:\n{}",
        lines.join("\n")
    );

    // The wires counted what they lost.
    let status = lab.netlab(&["status"]);
    let counted = status
        .stdout
        .lines()
        .find(|l| l.contains("counted: h1-h2"))
        .unwrap_or_else(|| panic!("{status:?}"))
        .to_owned();
    let dropped: u64 = counted
        .split_whitespace()
        .find_map(|w| w.strip_prefix("dropped="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(dropped > 0, "{counted}");

    // The diagram of the same capture names the flags and the retransmissions.
    let svg = lab.netlab(&[
        "diagram",
        &pcap_text,
        "--name",
        "192.0.2.1=h1",
        "--max",
        "400",
    ]);
    assert_eq!(svg.code(), Some(0), "{}", svg.stderr);
    assert!(svg.stdout.starts_with("<svg"));
    assert!(svg.stdout.contains(">SYN seq=0 win="));
    assert!(svg.stdout.contains(">retransmission: "));

    drop(server);
    lab.down();
    let _ = std::fs::remove_file(&pcap);
}

#[test]
fn a_chain_of_two_routers_forwards_and_answers_with_icmp() {
    let ping = require_tool("ping");
    let ping = ping.to_str().unwrap();
    let server_bin = sibling_binary(NETLAB, "tcp_upper_server");
    let client_bin = sibling_binary(NETLAB, "tcp_upper_client");
    let Some(lab) = Lab::up(&[
        "chain", "2", "--loss", "10%", "--delay", "5ms", "--seed", "4",
    ]) else {
        return;
    };
    let status = lab.netlab(&["status"]);
    assert!(
        status.stdout.contains("r1  router  eth0  192.0.2.254/24"),
        "{}",
        status.stdout
    );
    // TTL 1 dies at the first router, TTL 2 at the second: the kernels say so.
    for (ttl, router) in [("1", "192.0.2.254"), ("2", "198.51.100.2")] {
        let mut answered = false;
        // A probe may be lost (10%): a few tries.
        for _ in 0..5 {
            let out = lab.run(
                "h1",
                ping,
                &["-4", "-n", "-c", "1", "-W", "1", "-t", ttl, "203.0.113.2"],
                b"",
            );
            if out
                .stdout
                .contains(&format!("From {router} icmp_seq=1 Time to live exceeded"))
            {
                answered = true;
                break;
            }
        }
        assert!(answered, "no time exceeded from {router} for ttl {ttl}");
    }
    // IPv6 across both routers, by name.
    let mut reached = false;
    for _ in 0..5 {
        let out = lab.run("h1", ping, &["-6", "-n", "-c", "1", "-W", "1", "h2"], b"");
        if out.code() == Some(0) {
            reached = true;
            break;
        }
    }
    assert!(reached, "h2 not reachable over IPv6 through the routers");
    // And the uppercase protocol, byte-exact, three hops away.
    let server = lab.server("h2", &server_bin, &["--host", "::", "--port", "0"]);
    let port = server.addr.port().to_string();
    let text = sentences(10, 500);
    let out = lab.run(
        "h1",
        &client_bin,
        &["--host", "h2", "--port", &port],
        text.as_bytes(),
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout.lines().count(), 10);
    for (line, reply) in text.lines().zip(out.stdout.lines()) {
        assert_eq!(reply, format!("From Server: {}", line.to_uppercase()));
    }
    drop(server);
    lab.down();
}

/// The fate the wires gave the frames h1 sent (true: lost), by their number, read from
/// `netlab watch` while h1 pings h2 (frames sent before watch started are not in it).
fn fates_of_h1(lab: &Lab, count: usize) -> HashMap<u64, bool> {
    let ping = require_tool("ping");
    let watch = Running::spawn(lab.command(&["watch"]));
    let pinger = lab.run(
        "h1",
        ping.to_str().unwrap(),
        &[
            "-4",
            "-n",
            "-c",
            &count.to_string(),
            "-i",
            "0.05",
            "-W",
            "1",
            "192.0.2.2",
        ],
        b"",
    );
    assert!(pinger.code().is_some(), "{pinger:?}");
    let mut fates = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while fates.len() < count && Instant::now() < deadline {
        let Some(line) = watch.next_line() else { break };
        let Some((_, rest)) = line.split_once(" h1-h2 h1 #") else {
            continue;
        };
        let number = rest.split(':').next().unwrap().parse().unwrap();
        fates.insert(number, line.ends_with("[LOST]"));
    }
    assert_eq!(fates.len(), count, "watch saw too few frames from h1");
    fates
}

/// The fates of the frames both maps know, in frame order.
fn common(a: &HashMap<u64, bool>, b: &HashMap<u64, bool>) -> (Vec<bool>, Vec<bool>) {
    let mut numbers: Vec<u64> = a.keys().filter(|n| b.contains_key(n)).copied().collect();
    numbers.sort();
    assert!(
        numbers.len() >= 6,
        "too few frames seen by both: {numbers:?}"
    );
    numbers.iter().map(|n| (a[n], b[n])).unzip()
}

#[test]
fn the_same_seed_loses_the_same_frames() {
    let Some(a) = Lab::up(&["pair", "--loss", "30%", "--seed", "9"]) else {
        return;
    };
    let b = Lab::up(&["pair", "--loss", "30%", "--seed", "9"]).unwrap();
    let c = Lab::up(&["pair", "--loss", "30%", "--seed", "10"]).unwrap();
    let (fa, fb, fc) = (
        fates_of_h1(&a, 12),
        fates_of_h1(&b, 12),
        fates_of_h1(&c, 12),
    );
    let (same_a, same_b) = common(&fa, &fb);
    assert_eq!(same_a, same_b, "the same seed, other frames lost");
    assert!(
        same_a.contains(&true) && same_a.contains(&false),
        "{same_a:?}"
    );
    let (other_a, other_c) = common(&fa, &fc);
    assert_ne!(other_a, other_c, "another seed, the same frames lost");
    for lab in [a, b, c] {
        lab.down();
    }
}

#[test]
fn a_lan_is_one_segment_where_everyone_hears_everyone() {
    let ping = require_tool("ping");
    let Some(lab) = Lab::up(&["lan", "3"]) else {
        return;
    };
    for (from, to) in [
        ("h1", "192.0.2.3"),
        ("h3", "192.0.2.2"),
        ("h2", "2001:db8::1"),
    ] {
        let out = lab.run(
            from,
            ping.to_str().unwrap(),
            &["-n", "-c", "1", "-W", "2", to],
            b"",
        );
        assert_eq!(out.code(), Some(0), "{from} → {to}: {out:?}");
    }
    // A shell inside h3 (fed from a pipe here, typed at a terminal by a student).
    let mut shell = lab.command(&["shell", "h3"]);
    shell.env("SHELL", "/bin/bash");
    let out = run_command(
        shell,
        b"echo \"on $NETLAB_HOST\"\nip -br -4 addr show eth0\n",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(out.stdout.starts_with("on h3\neth0"), "{out:?}");
    assert!(out.stdout.contains("192.0.2.3/24"), "{out:?}");
    lab.down();
}

#[test]
fn mistakes_are_one_line_and_leave_nothing_behind() {
    let Some(lab) = Lab::name() else { return };
    let one_line = |out: &Finished, expected: &str| {
        assert_eq!(out.code(), Some(1), "{out:?}");
        assert_eq!(out.stderr, format!("netlab: {expected}\n"));
    };
    let name = &lab.name;

    // Nothing up yet.
    one_line(
        &lab.netlab(&["down"]),
        &format!("no lab is up, nothing to take down [lab {name}]"),
    );
    one_line(
        &lab.netlab(&["run", "h1", "--", "true"]),
        &format!("no lab is up (start one with `netlab up pair`) [lab {name}]"),
    );

    // A malformed topology file: one line naming the place, nothing built.
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("bad-{name}.txt"));
    std::fs::write(&file, "host a b\nrouter r\nlink a r\nlink r c loss=5%\n").unwrap();
    one_line(
        &lab.netlab(&["up", "--file", file.to_str().unwrap()]),
        &format!(
            "{} line 4: unknown node `c` (declare it first: `host c` or `router c`)",
            file.display()
        ),
    );
    assert_nothing_left(name);
    one_line(
        &lab.netlab(&["up", "pair", "--loss", "lots"]),
        "--loss: `lots` is not a share (write it as 10% or 0.1)",
    );

    // A failure half-way (the capture cannot be written): all of it undone.
    let out = lab.netlab(&["up", "pair", "--pcap", "/nonexistent/dir/x.pcap"]);
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr.starts_with(
            "netlab: the wires did not start: cannot write the capture /nonexistent/dir/x.pcap"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert_nothing_left(name);

    // Up, then the mistakes a lab that is up can meet.
    let out = lab.netlab(&["up", "pair"]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    one_line(
        &lab.netlab(&["up", "chain", "2"]),
        &format!(
            "lab {name} is already up (h1, h2); see `netlab status`, or take it down with `netlab down`"
        ),
    );
    one_line(
        &lab.netlab(&["run", "h9", "--", "true"]),
        &format!("no host h9 in lab {name} (it has h1, h2)"),
    );
    one_line(
        &lab.netlab(&["run", "h1", "--", "/no/such/program"]),
        "cannot run /no/such/program: No such file or directory (os error 2)",
    );
    // The lab still works after all that, and run passes the exit status on.
    assert_eq!(lab.run("h1", "sh", &["-c", "exit 7"], b"").code(), Some(7));
    lab.down();
}

#[test]
fn up_cleans_up_after_a_lab_whose_wires_crashed() {
    let Some(lab) = Lab::up(&["pair"]) else {
        return;
    };
    let state =
        std::fs::read_to_string(Path::new("/run/netlab").join(&lab.name).join("state.json"))
            .unwrap();
    let pid: i32 = state
        .split("\"wires\": ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|pid| pid.trim().parse().ok())
        .unwrap_or_else(|| panic!("no wires pid in {state}"));
    testkit::send_signal(pid, libc::SIGKILL);
    // Its TAP devices went with it; status says what is wrong.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut status = lab.netlab(&["status"]);
    while !status.stdout.contains("NOT running") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        status = lab.netlab(&["status"]);
    }
    assert!(status.stdout.contains("NOT running"), "{status:?}");
    let out = lab.netlab(&["up", "pair"]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(
        out.stderr.contains("found the remains of lab"),
        "{}",
        out.stderr
    );
    assert_eq!(
        lab.run("h1", "ip", &["-br", "link", "show", "eth0"], b"")
            .code(),
        Some(0)
    );
    lab.down();
}

/// A user (not root) that runs netlab, with a home and an XDG_RUNTIME_DIR of its own. Run
/// by root, the test drops to a user id nobody else uses (setpriv); run by a user, it is
/// that user. Where this machine's /dev/net/tun is root's alone (a container's,
/// crw-------; a distribution's is crw-rw-rw-), root can give the user one of mode 0666
/// in a mount namespace of its own, which nobody else sees.
struct User {
    uid: u32,
    /// Whether netlab runs through setpriv, as `uid`.
    drop_root: bool,
    home: PathBuf,
    open_tun: bool,
}

impl User {
    fn new() -> User {
        use std::os::unix::fs::PermissionsExt;
        let drop_root = testkit::running_as_root();
        let uid = if drop_root {
            60000 + std::process::id() % 5000
        } else {
            nix::unistd::getuid().as_raw()
        };
        let home = std::env::temp_dir().join(format!("netlab-user-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(home.join("run")).unwrap();
        std::fs::create_dir_all(home.join("tun")).unwrap();
        let private = std::fs::Permissions::from_mode(0o700);
        std::fs::set_permissions(home.join("run"), private).unwrap();
        if drop_root {
            for dir in [home.clone(), home.join("run")] {
                std::os::unix::fs::chown(&dir, Some(uid), Some(uid)).unwrap();
            }
        }
        User {
            uid,
            drop_root,
            home,
            open_tun: false,
        }
    }

    fn runtime_dir(&self) -> PathBuf {
        self.home.join("run")
    }

    /// `program ARGS` as this user, in its home.
    fn program(&self, program: &Path, args: &[&str]) -> Command {
        let mut command = if self.drop_root {
            let mut setpriv = Command::new(require_tool("setpriv"));
            setpriv
                .arg(format!("--reuid={}", self.uid))
                .arg(format!("--regid={}", self.uid))
                .args(["--clear-groups", "--inh-caps=-all"])
                .arg(program);
            setpriv
        } else {
            Command::new(program)
        };
        command
            .args(args)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("HOME", &self.home)
            .env("XDG_RUNTIME_DIR", self.runtime_dir());
        if self.open_tun {
            let tun = self.home.join("tun");
            // SAFETY: only system calls between fork and exec; the paths are short enough
            // for nix to build them on the stack.
            unsafe {
                std::os::unix::process::CommandExt::pre_exec(&mut command, move || {
                    open_tun_for_users(&tun).map_err(std::io::Error::from)
                });
            }
        }
        command
    }

    /// `netlab ARGS` as this user.
    fn command(&self, args: &[&str]) -> Command {
        self.program(Path::new(NETLAB), args)
    }

    fn netlab(&self, args: &[&str]) -> Finished {
        run_command(self.command(args), b"")
    }

    /// The processes of this user that belong to lab `lab`: those in the lab's user
    /// namespace `userns`, those whose command line names the lab, and, for a user id
    /// that only this test uses, every one.
    fn processes(&self, lab: &str, userns: &str) -> Vec<String> {
        use std::os::unix::fs::MetadataExt;
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().parse::<u32>().is_ok())
            .filter(|e| e.metadata().is_ok_and(|m| m.uid() == self.uid))
            .filter_map(|e| {
                let cmdline = std::fs::read(e.path().join("cmdline")).ok()?;
                let ns = std::fs::read_link(e.path().join("ns/user")).ok();
                // An empty command line: a zombie, gone but for init's reaping.
                let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
                let ours = self.drop_root
                    || cmdline.contains(lab)
                    || ns.is_some_and(|ns| ns.to_string_lossy() == userns);
                (ours && !cmdline.is_empty()).then_some(cmdline)
            })
            .collect()
    }
}

impl Drop for User {
    fn drop(&mut self) {
        let _ = self.command(&["down"]).output();
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

/// In a mount namespace of this process's own: a tmpfs on `dir` with a /dev/net/tun of
/// mode 0666 in it, mounted over /dev/net/tun.
fn open_tun_for_users(dir: &Path) -> nix::Result<()> {
    use nix::mount::{MsFlags, mount};
    use nix::sys::stat::{Mode, SFlag, makedev, mknod};
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)?;
    let none = None::<&str>;
    mount(none, "/", none, MsFlags::MS_REC | MsFlags::MS_PRIVATE, none)?;
    mount(
        Some("tmpfs"),
        dir,
        Some("tmpfs"),
        MsFlags::empty(),
        Some("size=16k,mode=755"),
    )?;
    let tun = dir.join("tun");
    let everyone = Mode::from_bits_truncate(0o666);
    mknod(&tun, SFlag::S_IFCHR, everyone, makedev(10, 200))?;
    // mknod obeys the umask: set the mode the node must have.
    nix::sys::stat::fchmodat(
        nix::fcntl::AT_FDCWD,
        &tun,
        everyone,
        nix::sys::stat::FchmodatFlags::FollowSymlink,
    )?;
    mount(Some(&tun), "/dev/net/tun", none, MsFlags::MS_BIND, none)
}

#[test]
fn without_root_a_lab_lives_in_a_user_namespace_and_leaves_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let mut user = User::new();
    let lab = format!("nlu{}", std::process::id());
    let one_line = |out: &Finished| {
        assert_eq!(out.code(), Some(1), "{out:?}");
        assert!(out.stderr.starts_with("netlab: without root, "), "{out:?}");
        assert!(
            out.stderr.ends_with(", or run netlab with sudo\n"),
            "{out:?}"
        );
        assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    };
    let probe = run_command(
        user.program(
            &require_tool("unshare"),
            &["--user", "--map-root-user", "--net", "true"],
        ),
        b"",
    );
    if probe.code() != Some(0) {
        // This kernel keeps user namespaces from users: netlab says what is missing.
        one_line(&user.netlab(&["--lab", &lab, "up", "pair"]));
        eprintln!("only the refusal was checked: users may not create user namespaces here");
        return;
    }
    let tun = std::fs::metadata("/dev/net/tun")
        .unwrap()
        .permissions()
        .mode();
    if tun & 0o006 != 0o006 {
        let out = user.netlab(&["--lab", &lab, "up", "pair"]);
        one_line(&out);
        assert!(
            out.stderr.contains("sudo chmod 0666 /dev/net/tun"),
            "{out:?}"
        );
        if !testkit::needs_root("/dev/net/tun is root's alone here: only the refusal was checked") {
            return;
        }
        user.open_tun = true;
    }

    let out = user.netlab(&[
        "--lab", &lab, "up", "pair", "--loss", "10%", "--delay", "10ms", "--seed", "5",
    ]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    let folder = user.runtime_dir().join("netlab").join(&lab);
    assert!(
        folder.join("state.json").exists(),
        "no {}",
        folder.display()
    );
    assert!(
        !Path::new("/run/netns").join(format!("{lab}-h1")).exists(),
        "a user's lab has no named namespaces"
    );
    // Inside the lab, the user is its root (and only there).
    let id = user.netlab(&["--lab", &lab, "run", "h1", "--", "id", "-u"]);
    assert_eq!((id.code(), id.stdout.as_str()), (Some(0), "0\n"), "{id:?}");

    let server_bin = sibling_binary(NETLAB, "tcp_upper_server");
    let client_bin = sibling_binary(NETLAB, "tcp_upper_client");
    let server = Server::spawn(user.command(&[
        "--lab",
        &lab,
        "run",
        "h2",
        "--",
        &server_bin,
        "--host",
        "0.0.0.0",
        "--port",
        "0",
    ]));
    let port = server.addr.port().to_string();
    let text = sentences(10, 2000);
    let mut client = user.command(&["--lab", &lab, "run", "h1", "--", &client_bin]);
    client.args(["--host", "h2", "--port", &port]);
    let out = run_command(client, text.as_bytes());
    assert_eq!(out.code(), Some(0), "{out:?}");
    let expected: String = text
        .lines()
        .map(|l| format!("From Server: {}\n", l.to_uppercase()))
        .collect();
    assert!(
        out.stdout == expected,
        "the replies differ from the uppercased lines"
    );
    let status = user.netlab(&["--lab", &lab, "status"]);
    let counted = status
        .stdout
        .lines()
        .find(|l| l.contains("counted: h1-h2"))
        .unwrap_or_else(|| panic!("{status:?}"))
        .to_owned();
    assert!(
        !counted.contains(" dropped=0 "),
        "10% loss, none lost: {counted}"
    );

    // The server still runs in h2: down stops it, the wires, and with them everything.
    let state = std::fs::read_to_string(folder.join("state.json")).unwrap();
    let wires: u32 = state
        .split("\"wires\": ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|pid| pid.trim().parse().ok())
        .unwrap_or_else(|| panic!("no wires pid in {state}"));
    let userns = std::fs::read_link(format!("/proc/{wires}/ns/user")).unwrap();
    let userns = userns.to_string_lossy().into_owned();
    assert_eq!(
        user.processes(&lab, &userns).len(),
        2,
        "the wires and the server"
    );
    let down = user.netlab(&["--lab", &lab, "down"]);
    assert_eq!(down.code(), Some(0), "{down:?}");
    assert!(
        down.stdout.starts_with(&format!(
            "lab {lab} is down: stopped 1 process(es) running in the lab, stopped the wires"
        )),
        "{down:?}"
    );
    drop(server);
    assert!(!folder.exists(), "{} is left", folder.display());
    assert!(
        !user.runtime_dir().join("netlab").exists(),
        "the labs' folder is left"
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    while !user.processes(&lab, &userns).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        user.processes(&lab, &userns),
        Vec::<String>::new(),
        "the user's processes are left"
    );
}
