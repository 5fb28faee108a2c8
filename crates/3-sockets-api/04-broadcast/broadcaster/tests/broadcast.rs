//! broadcaster on a network of its own: two network namespaces joined by a veth pair,
//! created for each test and deleted afterwards, so no datagram leaves the test.
//!
//! These tests need root and `ip` (iproute2). Run by a user who is not root, each says so
//! in one line and does not run (CI runs them as root). Where root cannot create the
//! namespaces they fail and say why: a broadcast from one host to another cannot be tested
//! on loopback (tests/loopback.rs tries loopback's own broadcast address, 127.255.255.255).

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use testkit::{Server, require_tool, run_command, sibling_binary};

const BROADCASTER: &str = env!("CARGO_BIN_EXE_broadcaster");

/// Two namespaces, `sender` (10.77.0.1/24) and `receiver` (10.77.0.2/24), on one link.
struct Lan {
    sender: String,
    receiver: String,
}

impl Lan {
    /// The network, or `None` (said in one line) when this process is not root.
    fn new() -> Option<Lan> {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        if !testkit::needs_root("it creates network namespaces") {
            return None;
        }
        require_tool("ip");
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let tag = format!("{}-{n}", std::process::id());
        let lan = Lan {
            sender: format!("sk-bcast-{tag}-a"),
            receiver: format!("sk-bcast-{tag}-b"),
        };
        // Interface names may have 15 characters at most.
        let (veth_a, veth_b) = (
            format!("vb{}a", tag.replace('-', "")),
            format!("vb{}b", tag.replace('-', "")),
        );
        let (veth_a, veth_b) = (
            &veth_a[..veth_a.len().min(15)],
            &veth_b[..veth_b.len().min(15)],
        );
        let (a, b) = (lan.sender.as_str(), lan.receiver.as_str());
        lan.ip(&["netns", "add", a]);
        lan.ip(&["netns", "add", b]);
        lan.ip(&[
            "link", "add", veth_a, "netns", a, "type", "veth", "peer", "name", veth_b, "netns", b,
        ]);
        lan.ip(&[
            "-n",
            a,
            "addr",
            "add",
            "10.77.0.1/24",
            "broadcast",
            "+",
            "dev",
            veth_a,
        ]);
        lan.ip(&[
            "-n",
            b,
            "addr",
            "add",
            "10.77.0.2/24",
            "broadcast",
            "+",
            "dev",
            veth_b,
        ]);
        for (ns, dev) in [(a, veth_a), (b, veth_b), (a, "lo"), (b, "lo")] {
            lan.ip(&["-n", ns, "link", "set", dev, "up"]);
        }
        Some(lan)
    }

    /// Runs `ip ARGS`; on failure the namespaces made so far are deleted (by drop) and
    /// the test fails with ip's own words.
    fn ip(&self, args: &[&str]) {
        let out = Command::new("ip").args(args).output().expect("run ip");
        assert!(
            out.status.success(),
            "cannot set up the test network: `ip {}` failed: {}\
             (these tests need root and network namespaces; they cannot run here)",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `bin args...` run inside namespace `ns`.
    fn command(ns: &str, bin: &str, args: &[&str]) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", ns, bin]).args(args);
        command
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        // Deleting a namespace deletes the veth end inside it, and with it the pair.
        for ns in [&self.sender, &self.receiver] {
            let _ = Command::new("ip").args(["netns", "del", ns]).output();
        }
    }
}

/// The course's listener, started inside the receiver namespace on every address.
fn listener_in(lan: &Lan) -> Server {
    let listener = sibling_binary(BROADCASTER, "listener");
    let server = Server::spawn(Lan::command(
        &lan.receiver,
        &listener,
        &["--host", "0.0.0.0", "--port", "0"],
    ));
    assert_eq!(
        server.next_stdout_line().as_deref(),
        Some("listener: waiting to recvfrom...")
    );
    server
}

#[test]
fn a_broadcast_reaches_the_other_host_on_the_link() {
    let Some(lan) = Lan::new() else { return };
    let mut listener = listener_in(&lan);
    let port = listener.addr.port().to_string();
    let out = run_command(
        Lan::command(
            &lan.sender,
            BROADCASTER,
            &["--host", "10.77.0.255", "--port", &port, "hello, everyone"],
        ),
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stdout, "sent 15 bytes to 10.77.0.255\n");
    let lines: Vec<String> = (0..3).filter_map(|_| listener.next_stdout_line()).collect();
    assert_eq!(
        lines,
        [
            "listener: got packet from 10.77.0.1",
            "listener: packet is 15 bytes long",
            "listener: packet contains \"hello, everyone\"",
        ]
    );
    assert!(listener.wait_for_exit().success());
}

#[test]
fn without_so_broadcast_the_kernel_refuses_with_eacces() {
    let Some(lan) = Lan::new() else { return };
    let out = run_command(
        Lan::command(
            &lan.sender,
            BROADCASTER,
            &[
                "--host",
                "10.77.0.255",
                "--port",
                "4950",
                "--without-so-broadcast",
                "hello?",
            ],
        ),
        b"",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "broadcaster: sendto 10.77.0.255:4950: Permission denied (os error 13); \
         a broadcast address needs SO_BROADCAST on the socket\n"
    );
}

#[test]
fn an_ordinary_address_needs_no_so_broadcast() {
    // The refusal is about broadcast addresses only: the same flag sends fine to the
    // other host's own address.
    let Some(lan) = Lan::new() else { return };
    let mut listener = listener_in(&lan);
    let port = listener.addr.port().to_string();
    let out = run_command(
        Lan::command(
            &lan.sender,
            BROADCASTER,
            &[
                "--host",
                "10.77.0.2",
                "--port",
                &port,
                "--without-so-broadcast",
                "just you",
            ],
        ),
        b"",
    );
    assert_eq!(out.stdout, "sent 8 bytes to 10.77.0.2\n", "{out:?}");
    assert_eq!(
        listener.next_stdout_line().as_deref(),
        Some("listener: got packet from 10.77.0.1")
    );
    assert!(listener.wait_for_exit().success());
}
