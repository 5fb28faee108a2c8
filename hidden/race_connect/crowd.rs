//! Hidden: seeded random mixes of refused, silent and answering addresses over IPv4 and
//! IPv6, no CPU burnt while waiting, no socket kept behind the winner, and a Python
//! server as the one that answers.

use std::fs;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};
use testkit::{PATIENCE, Running, Server, noise, proc_stat, require_tool, run};

const RACE: &str = env!("CARGO_BIN_EXE_race_connect");

fn local(v6: bool) -> SocketAddr {
    if v6 { "[::1]:0" } else { "127.0.0.1:0" }.parse().unwrap()
}

/// Whether the kernel shows a listener on `port` with `queued` connections waiting.
fn queue_holds(port: u16, queued: u32) -> bool {
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|file| {
        fs::read_to_string(file)
            .unwrap_or_default()
            .lines()
            .skip(1)
            .any(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let port_hex = fields[1].rsplit(':').next().unwrap_or("");
                let rx = fields[4].split(':').nth(1).unwrap_or("");
                u16::from_str_radix(port_hex, 16) == Ok(port)
                    && fields[3] == "0A"
                    && u32::from_str_radix(rx, 16) == Ok(queued)
            })
    })
}

/// A listener whose accept queue is full, so that it drops every new SYN.
struct Silent {
    addr: SocketAddr,
    _listener: Socket,
    _queued: Vec<TcpStream>,
}

fn silent(v6: bool) -> Silent {
    let addr = local(v6);
    let listener = Socket::new(Domain::for_address(addr), Type::STREAM, None).unwrap();
    listener.bind(&addr.into()).unwrap();
    listener.listen(1).unwrap();
    let addr = listener.local_addr().unwrap().as_socket().unwrap();
    let queued = (0..2)
        .map(|_| TcpStream::connect_timeout(&addr, PATIENCE).unwrap())
        .collect();
    let deadline = Instant::now() + PATIENCE;
    while !queue_holds(addr.port(), 2) {
        assert!(Instant::now() < deadline, "the accept queue never filled");
        thread::sleep(Duration::from_millis(5));
    }
    Silent {
        addr,
        _listener: listener,
        _queued: queued,
    }
}

/// A port of the family where nothing listens (bound, kept, never listening).
fn refused(v6: bool, keep: &mut Vec<Socket>) -> SocketAddr {
    let addr = local(v6);
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None).unwrap();
    socket.bind(&addr.into()).unwrap();
    let addr = socket.local_addr().unwrap().as_socket().unwrap();
    keep.push(socket);
    addr
}

fn answering(v6: bool, words: Vec<u8>, pause: Duration) -> SocketAddr {
    let listener = TcpListener::bind(local(v6)).unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        if let Ok((mut conn, _)) = listener.accept() {
            thread::sleep(pause);
            let _ = conn.write_all(&words);
        }
    });
    addr
}

fn words(len: usize, seed: u64) -> Vec<u8> {
    let mut w: Vec<u8> = noise(len, seed)
        .iter()
        .map(|b| if b % 9 == 0 { b' ' } else { b'a' + b % 26 })
        .collect();
    w.push(b'\n');
    w
}

#[test]
fn random_mixes_of_refused_and_silent_addresses_with_one_that_answers() {
    for seed in 0..4u64 {
        let kinds = noise(9, 300 + seed);
        let count = 5 + kinds[0] as usize % 4;
        let winner_at = kinds[1] as usize % count;
        let mut keep = Vec::new();
        let mut silents = Vec::new();
        let mut addrs = Vec::new();
        let mut refusing = Vec::new();
        let banner = words(20 + kinds[2] as usize % 60, seed);
        let mut good = None;
        for (i, kind) in kinds.iter().take(count).enumerate() {
            let v6 = kind % 2 == 1;
            if i == winner_at {
                let addr = answering(v6, banner.clone(), Duration::from_millis(100));
                good = Some(addr);
                addrs.push(addr);
            } else if kind.is_multiple_of(3) {
                let addr = refused(v6, &mut keep);
                refusing.push(addr);
                addrs.push(addr);
            } else {
                let s = silent(v6);
                addrs.push(s.addr);
                silents.push(s);
            }
        }
        let good = good.unwrap();
        let mut args = vec!["--timeout".to_owned(), "6".to_owned()];
        args.extend(addrs.iter().map(SocketAddr::to_string));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let started = Instant::now();
        let out = run(RACE, &args, b"");
        let took = started.elapsed();
        assert_eq!(
            out.stdout.as_bytes(),
            &banner[..],
            "seed {seed}: addresses {addrs:?}, the one answering is {good}; stderr: {}",
            out.stderr
        );
        assert_eq!(out.code(), Some(0), "seed {seed}: {out:?}");
        assert!(
            out.stderr.contains(&format!("connected to {good}")),
            "seed {seed}: {}",
            out.stderr
        );
        for line in out.stderr.lines().filter(|l| l.contains("refused")) {
            assert!(
                refusing.iter().any(|a| line.starts_with(&format!("{a}: "))),
                "seed {seed}: {line:?} names an address that does not refuse ({addrs:?})"
            );
        }
        assert!(
            took < Duration::from_secs(3),
            "seed {seed}: {} silent address(es) among {count}, and the race took {took:?}",
            silents.len()
        );
    }
}

/// Samples the CPU time of a running program until it exits; returns the last sample.
fn cpu_until_exit(program: &mut Running) -> u64 {
    let mut last = 0;
    let deadline = Instant::now() + PATIENCE;
    while program.is_running() && Instant::now() < deadline {
        if let Some(stat) = proc_stat(program.pid()) {
            last = stat.cpu_ticks;
        }
        thread::sleep(Duration::from_millis(50));
    }
    last
}

#[test]
fn waiting_for_silent_addresses_costs_no_cpu() {
    let silents: Vec<Silent> = (0..4).map(|i| silent(i % 2 == 0)).collect();
    let mut args = vec!["--timeout".to_owned(), "1.5".to_owned()];
    args.extend(silents.iter().map(|s| s.addr.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut program = Running::start(RACE, &args);
    let ticks = cpu_until_exit(&mut program);
    assert!(
        ticks < 10,
        "the program used {ticks} ticks of CPU (usually 10 ms each) in 1.5 s of waiting: a \
         busy loop instead of a poll that sleeps?"
    );
    let status = program.wait_for_exit();
    assert_eq!(status.code(), Some(1));
}

#[test]
fn no_socket_is_left_open_behind_the_winner() {
    let silents: Vec<Silent> = (0..6).map(|i| silent(i % 3 == 0)).collect();
    let banner = words(30, 8);
    let good = answering(false, banner.clone(), Duration::from_millis(1500));
    let mut args: Vec<String> = silents.iter().map(|s| s.addr.to_string()).collect();
    args.push(good.to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let program = Running::start(RACE, &args);
    program.wait_for_stderr(&format!("connected to {good}"));
    // Standard input, output and error, and the connection: nothing else.
    let fds: Vec<String> = fs::read_dir(format!("/proc/{}/fd", program.pid()))
        .unwrap()
        .filter_map(|e| fs::read_link(e.ok()?.path()).ok())
        .map(|target| target.display().to_string())
        .collect();
    let sockets = fds.iter().filter(|t| t.starts_with("socket:")).count();
    assert!(
        sockets <= 1,
        "after winning the race against six silent addresses, while it reads from the \
         winner, the program has {sockets} sockets open: the losers should be closed \
         (its descriptors: {fds:?})"
    );
    let rest = program.remaining_lines().join("\n") + "\n";
    assert_eq!(rest.as_bytes(), &banner[..]);
}

const PY_SERVER: &str = r#"
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.bind(('::1', 0))
s.listen(1)
s.settimeout(20)
print('listening on [::1]:%d' % s.getsockname()[1], flush=True)
conn, addr = s.accept()
conn.sendall(sys.argv[1].encode() + b'\n')
conn.close()
"#;

#[test]
fn a_python_server_on_ipv6_wins_against_silent_ipv4_ones() {
    let python = require_tool("python3");
    let banner = String::from_utf8(words(40, 77)).unwrap();
    let mut command = Command::new(python);
    command.args(["-c", PY_SERVER, banner.trim_end()]);
    let server = Server::spawn(command);
    let silents: Vec<Silent> = (0..3).map(|_| silent(false)).collect();
    let mut args: Vec<String> = silents.iter().map(|s| s.addr.to_string()).collect();
    args.insert(1, server.addr.to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(RACE, &args, b"");
    assert_eq!(out.stdout, banner, "stderr: {}", out.stderr);
    assert_eq!(out.code(), Some(0));
}
