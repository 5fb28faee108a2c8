//! Hidden: listeners on seeded random addresses of both families with random numbers of
//! connections waiting, checked line by line against what the real `ss -tln` says about
//! the same ports; and a crowd of connections that must not be listed.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};
use testkit::{noise, require_tool, run};

const LISTENING: &str = env!("CARGO_BIN_EXE_listening");

/// The program's output, as (Recv-Q, local address) for each listening line.
fn listed() -> Vec<(u32, String)> {
    let out = run(LISTENING, &[], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    out.stdout
        .lines()
        .skip(1)
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert!(
                fields.len() == 3 && fields[0] == "LISTEN",
                "a line that is not `LISTEN Recv-Q ADDR:PORT`: {line:?}"
            );
            (fields[1].parse().unwrap(), fields[2].to_owned())
        })
        .collect()
}

/// What `ss -tlnH` says of the listeners on `port`: (Recv-Q, local address), the
/// address written as Rust writes it (`ss` writes a dual-stack `[::]` as `*`).
fn ss_says(ss: &str, port: u16) -> Vec<(u32, String)> {
    let out = Command::new(ss)
        .args(["-tlnH", &format!("sport = :{port}")])
        .output()
        .expect("run ss");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local = fields[3].replace("*:", "[::]:");
            let local = local.split('%').next().unwrap().to_owned();
            (fields[1].parse().unwrap(), local)
        })
        .collect()
}

fn listener(addr: SocketAddr, v6only: Option<bool>) -> TcpListener {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None).unwrap();
    if let Some(only) = v6only {
        socket.set_only_v6(only).unwrap();
    }
    socket.bind(&addr.into()).unwrap();
    socket.listen(16).unwrap();
    socket.into()
}

#[test]
fn random_listeners_are_listed_as_ss_lists_them() {
    let ss = require_tool("ss");
    let ss = ss.to_str().unwrap();
    let picks = noise(10, 314);
    let mut held = Vec::new();
    let mut listeners = Vec::new();
    let mut ours: Vec<(u16, u32, SocketAddr)> = Vec::new();
    for (i, pick) in picks.iter().enumerate() {
        let b = noise(3, 1000 + i as u64);
        let v4 = Ipv4Addr::new(127, b[0], b[1], b[2].max(1));
        let (addr, v6only): (SocketAddr, Option<bool>) = match pick % 5 {
            0 => ((v4, 0).into(), None),
            1 => ((Ipv6Addr::LOCALHOST, 0).into(), None),
            2 => ((v4.to_ipv6_mapped(), 0).into(), Some(false)),
            3 => ((Ipv4Addr::UNSPECIFIED, 0).into(), None),
            _ => ((Ipv6Addr::UNSPECIFIED, 0).into(), Some(pick % 2 == 0)),
        };
        let listener = listener(addr, v6only);
        let local = listener.local_addr().unwrap();
        let waiting = u32::from(pick / 5 % 5);
        let connect_to = match local {
            SocketAddr::V4(a) if a.ip().is_unspecified() => (Ipv4Addr::LOCALHOST, a.port()).into(),
            SocketAddr::V6(a) if a.ip().is_unspecified() => (Ipv6Addr::LOCALHOST, a.port()).into(),
            SocketAddr::V6(a) => match a.ip().to_ipv4_mapped() {
                Some(v4) => (v4, a.port()).into(),
                None => local,
            },
            _ => local,
        };
        for _ in 0..waiting {
            held.push(TcpStream::connect_timeout(&connect_to, Duration::from_secs(10)).unwrap());
        }
        ours.push((local.port(), waiting, local));
        // One more connection, and one accepted: the queue holds `waiting` again, and the
        // accepted socket, with the listener's port, is not listening.
        held.push(TcpStream::connect_timeout(&connect_to, Duration::from_secs(10)).unwrap());
        held.push(listener.accept().unwrap().0);
        listeners.push(listener);
    }
    // Each queue is counted once its handshakes are done: wait (bounded) for ss to agree.
    let deadline = Instant::now() + Duration::from_secs(5);
    while ours
        .iter()
        .any(|(port, waiting, _)| ss_says(ss, *port).first().map(|s| s.0) != Some(*waiting))
    {
        assert!(
            Instant::now() < deadline,
            "ss never showed the queues filled"
        );
        thread::sleep(Duration::from_millis(20));
    }
    let all = listed();
    for (port, waiting, local) in &ours {
        let mine: Vec<(u32, String)> = all
            .iter()
            .filter(|(_, addr)| addr.ends_with(&format!(":{port}")))
            .cloned()
            .collect();
        assert_eq!(
            mine,
            ss_says(ss, *port),
            "the listener on {local} with {waiting} connection(s) waiting: left, the \
             program's line; right, what ss -tln says"
        );
        assert_eq!(mine, [(*waiting, local.to_string())]);
    }
}

#[test]
fn hundreds_of_connections_are_not_listed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut clients = Vec::new();
    let mut accepted = Vec::new();
    for _ in 0..300 {
        clients.push(TcpStream::connect(addr).unwrap());
        accepted.push(listener.accept().unwrap().0);
    }
    let all = listed();
    let ports: Vec<String> = clients
        .iter()
        .map(|c| format!(":{}", c.local_addr().unwrap().port()))
        .collect();
    let same_port: Vec<&(u32, String)> = all
        .iter()
        .filter(|(_, a)| a.ends_with(&format!(":{}", addr.port())))
        .collect();
    assert_eq!(
        same_port,
        [&(0, addr.to_string())],
        "300 connections accepted from it"
    );
    let clients_listed: Vec<&(u32, String)> = all
        .iter()
        .filter(|(_, a)| ports.iter().any(|p| a.ends_with(p.as_str())))
        .collect();
    assert!(clients_listed.is_empty(), "{clients_listed:?}");
}
