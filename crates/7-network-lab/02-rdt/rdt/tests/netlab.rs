//! rdt across a netlab link that really loses, duplicates and reorders frames: no
//! `--loss` of our own, the network does it. Needs root (netlab's labs are network
//! namespaces and TAP devices); run by a user, the test says so in one line.
//!
//! netlab is found beside this test's binary: run `cargo test` at the root of the
//! workspace, or `cargo build -p netlab` before `cargo test -p rdt`.

use std::path::Path;
use std::process::{Command, ExitStatus};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{Running, Server, noise, require_tool, run_command, sibling_binary};

const RDT: &str = env!("CARGO_BIN_EXE_rdt");

/// A lab of this test's own, taken down when the test ends, pass or fail.
struct Lab {
    name: String,
    netlab: String,
}

impl Lab {
    fn up(args: &[&str]) -> Option<Lab> {
        if !testkit::needs_root(
            "it builds a netlab lab (network namespaces, TAP devices)",
        ) {
            return None;
        }
        require_tool("ip");
        let lab = Lab {
            name: format!("rdt{}", std::process::id()),
            netlab: sibling_binary(RDT, "netlab"),
        };
        let out = run_command(lab.command(&[&["up"], args].concat()), b"");
        assert_eq!(out.code(), Some(0), "netlab up: {out:?}");
        Some(lab)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.netlab);
        command.arg("--lab").arg(&self.name).args(args);
        command
    }

    /// `netlab run HOST -- rdt ARGS`.
    fn rdt(&self, host: &str, args: &[&str]) -> Command {
        let mut command = self.command(&["run", host, "--", RDT]);
        command.args(args);
        command
    }

    /// What the wires counted on the link: (frames, dropped, duplicated, reordered).
    fn counted(&self) -> (u64, u64, u64, u64) {
        let status = run_command(self.command(&["status"]), b"");
        let line = status
            .stdout
            .lines()
            .find(|l| l.contains("counted: h1-h2"))
            .unwrap_or_else(|| panic!("{status:?}"))
            .to_owned();
        let field = |name: &str| -> u64 {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(name))
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("no {name} in {line}"))
        };
        (
            field("frames="),
            field("dropped="),
            field("duplicated="),
            field("reordered="),
        )
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.command(&["down"]).output();
    }
}

fn exit_within(program: &mut Running, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    while program.is_running() {
        assert!(
            Instant::now() < deadline,
            "{} still running after {limit:?}; stderr:\n{}",
            program.description(),
            program.stderr_so_far()
        );
        thread::sleep(Duration::from_millis(20));
    }
    program.wait_for_exit()
}

#[test]
fn a_mebibyte_crosses_a_link_that_loses_duplicates_and_reorders_by_each_protocol() {
    let Some(lab) = Lab::up(&[
        "pair",
        "--loss",
        "5%",
        "--delay",
        "2ms",
        "--duplicate",
        "2%",
        "--reorder",
        "5%",
        "--seed",
        "4",
    ]) else {
        return;
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("rdt")
        .join(format!("netlab-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.bin");
    std::fs::write(&input, noise(1 << 20, 99)).unwrap();
    let mut before = lab.counted();
    for protocol in ["stop-and-wait", "gbn", "sr"] {
        let output = dir.join(format!("{protocol}.bin"));
        // The receiver in h2, on every address; the namespaces share the files.
        let mut receiver = Server::spawn(lab.rdt(
            "h2",
            &[
                "receive",
                "--host",
                "0.0.0.0",
                "--port",
                "0",
                "--out",
                output.to_str().unwrap(),
                "--linger",
                "300",
            ],
        ));
        let port = receiver.addr.port().to_string();
        let mut sender = Running::spawn(lab.rdt(
            "h1",
            &[
                "send",
                input.to_str().unwrap(),
                "--host",
                "192.0.2.2",
                "--port",
                &port,
                "--protocol",
                protocol,
                "--window",
                "8",
                "--timeout",
                "20",
            ],
        ));
        let status = exit_within(&mut sender, Duration::from_secs(120));
        let said = sender.remaining_lines().join("\n");
        assert!(
            status.success(),
            "{protocol}: {said}\n{}",
            sender.stderr_so_far()
        );
        assert!(exit_within(&mut receiver, Duration::from_secs(10)).success());
        assert!(
            std::fs::read(&output).unwrap() == std::fs::read(&input).unwrap(),
            "{protocol}: the file that arrived differs"
        );
        // No dice of ours: every repair was for something the link did.
        assert!(said.contains(", 0 lost and 0 damaged on purpose"), "{said}");
        let summary = receiver.remaining_lines().join("\n");
        assert!(summary.contains(" 0 damaged and 0 foreign"), "{summary}");
        let after = lab.counted();
        let (frames, dropped, duplicated, reordered) = (
            after.0 - before.0,
            after.1 - before.1,
            after.2 - before.2,
            after.3 - before.3,
        );
        assert!(frames > 2000, "{protocol}: {frames} frames");
        assert!(
            dropped > 0 && duplicated > 0 && reordered > 0,
            "{protocol}: the link dropped {dropped}, duplicated {duplicated}, reordered {reordered}"
        );
        before = after;
    }
}
