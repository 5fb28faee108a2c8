//! Hidden: seeded random lists of candidate addresses (not of this machine, busy over
//! IPv4 or IPv6, free), restarts with many connections in TIME_WAIT, and real clients.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::process::Command;

use testkit::{Server, noise, read_to_close, require_tool, run};

const SERVER: &str = env!("CARGO_BIN_EXE_hello_server");

fn greeted(server: &Server) -> String {
    let mut conn = server.connect();
    String::from_utf8(read_to_close(&mut conn)).unwrap()
}

#[test]
fn random_candidate_lists_bind_the_first_that_works() {
    for seed in 0..6u64 {
        let picks = noise(6, 70 + seed);
        let count = 2 + picks[0] as usize % 4;
        let mut held = Vec::new();
        let mut candidates: Vec<SocketAddr> = Vec::new();
        for (i, pick) in picks.iter().take(count).enumerate() {
            let b = noise(2, seed * 10 + i as u64);
            candidates.push(match pick % 4 {
                0 => (Ipv4Addr::new(192, 0, 2, b[0].max(1)), 0).into(),
                1 => (
                    Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, u16::from(b[1]) + 1),
                    0,
                )
                    .into(),
                2 => {
                    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
                    let addr = busy.local_addr().unwrap();
                    held.push(busy);
                    addr
                }
                _ => {
                    let busy = TcpListener::bind("[::1]:0").unwrap();
                    let addr = busy.local_addr().unwrap();
                    held.push(busy);
                    addr
                }
            });
        }
        let good: SocketAddr = if picks[5].is_multiple_of(2) {
            "127.0.0.1:0".parse().unwrap()
        } else {
            "[::1]:0".parse().unwrap()
        };
        candidates.push(good);
        // One more after the good one: it must never be tried.
        candidates.push((Ipv4Addr::new(203, 0, 113, 9), 0).into());
        let mut args = Vec::new();
        for addr in &candidates {
            args.push("--addr".to_owned());
            args.push(addr.to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = Server::start(SERVER, &args);
        assert_eq!(
            server.addr.ip(),
            good.ip(),
            "seed {seed}: candidates {candidates:?}"
        );
        assert_eq!(greeted(&server), "Hello, world!");
        let failed = &candidates[..count];
        let log = server.wait_for_stderr(&format!("bind {}: ", failed[count - 1]));
        let said: Vec<&str> = log.lines().filter(|l| l.starts_with("bind ")).collect();
        assert_eq!(
            said.len(),
            count,
            "seed {seed}: {count} address(es) failed before the good one; the log: {log:?}"
        );
        for (line, addr) in said.iter().zip(failed) {
            assert!(
                line.starts_with(&format!("bind {addr}: ")),
                "seed {seed}: {line:?} should be about {addr}"
            );
        }
        assert!(
            !log.contains("203.0.113.9"),
            "seed {seed}: tried past the good one"
        );
    }
}

#[test]
fn three_restarts_in_a_row_with_connections_in_time_wait() {
    let mut server = Server::start(SERVER, &["--port", "0"]);
    let addr = server.addr;
    for round in 0..3 {
        for _ in 0..5 {
            assert_eq!(greeted(&server), "Hello, world!");
        }
        drop(server);
        server = Server::start(SERVER, &["--addr", &addr.to_string()]);
        assert_eq!(server.addr, addr, "restart {round}");
    }
    assert_eq!(greeted(&server), "Hello, world!");
}

#[test]
fn nc_and_python_are_greeted_over_both_families() {
    let nc = require_tool("nc");
    let python = require_tool("python3");
    for host in ["127.0.0.1", "::1"] {
        let server = Server::start(SERVER, &["--host", host, "--port", "0"]);
        let port = server.addr.port().to_string();
        let out = run(nc.to_str().unwrap(), &["-d", host, &port], b"");
        assert_eq!(out.stdout, "Hello, world!", "nc over {host}: {out:?}");
        let script = "import socket,sys\n\
             s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)\n\
             data = b''\n\
             while True:\n    chunk = s.recv(100)\n    if not chunk: break\n    data += chunk\n\
             print(data.decode())\n";
        let out = Command::new(&python)
            .args(["-c", script, host, &port])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "Hello, world!\n",
            "python over {host}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
