//! Hidden: a seeded random crowd of responders with random delays, some answering twice,
//! one that keeps chattering past the deadline, answers after the time is up, and a
//! Python responder.

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};
use testkit::{Running, noise, require_tool, run};

const DISCOVER: &str = env!("CARGO_BIN_EXE_discover");

fn shared(port: u16) -> UdpSocket {
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, None).unwrap();
    socket.set_reuse_address(true).unwrap();
    socket
        .bind(&SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)).into())
        .unwrap();
    let socket: UdpSocket = socket.into();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket
}

#[test]
fn a_random_crowd_each_listed_once() {
    for seed in 0..3u64 {
        let picks = noise(9, 40 + seed);
        let count = 2 + picks[0] as usize % 7;
        let first = shared(0);
        let port = first.local_addr().unwrap().port();
        let mut sockets = vec![first];
        sockets.extend((1..count).map(|_| shared(port)));
        let mut expected = Vec::new();
        let mut handles = Vec::new();
        for (i, socket) in sockets.into_iter().enumerate() {
            let host = Ipv4Addr::new(127, 1, seed as u8, 10 + i as u8);
            let name: String = noise(8, seed * 100 + i as u64)
                .iter()
                .map(|b| char::from(b'a' + b % 26))
                .collect();
            let delay = Duration::from_millis(u64::from(picks[i] % 4) * 100);
            let twice = picks[i].is_multiple_of(3);
            expected.push((host, name.clone(), twice));
            handles.push(thread::spawn(move || {
                let mut buf = [0u8; 256];
                let (_, from) = socket.recv_from(&mut buf).unwrap();
                thread::sleep(delay);
                let me = UdpSocket::bind((host, 0)).unwrap();
                me.send_to(name.as_bytes(), from).unwrap();
                if twice {
                    me.send_to(format!("{name} again\n").as_bytes(), from)
                        .unwrap();
                }
            }));
        }
        let out = run(
            DISCOVER,
            &["--port", &port.to_string(), "--wait-ms", "800"],
            b"",
        );
        for handle in handles {
            handle.join().unwrap();
        }
        for (host, name, twice) in &expected {
            let lines: Vec<&str> = out
                .stdout
                .lines()
                .filter(|l| l.starts_with(&format!("reply from {host}:")))
                .collect();
            let mut want = vec![name.clone()];
            if *twice {
                want.push(format!("{name} again"));
            }
            let got: Vec<&str> = lines
                .iter()
                .map(|l| l.split_once(": ").map(|(_, t)| t).unwrap_or(""))
                .collect();
            assert_eq!(
                got, want,
                "seed {seed}: responder {host}; stdout {:?}",
                out.stdout
            );
        }
        assert!(
            out.stdout.ends_with(&format!("\n{count} responder(s)\n")),
            "seed {seed}: {count} responders, some answering twice: {:?}",
            out.stdout
        );
    }
}

#[test]
fn a_chatterbox_does_not_stretch_the_wait_and_late_answers_are_not_taken() {
    let socket = shared(0);
    let port = socket.local_addr().unwrap().port();
    let late = shared(port);
    let chatter = thread::spawn(move || {
        let mut buf = [0u8; 256];
        let (_, from) = socket.recv_from(&mut buf).unwrap();
        let me = UdpSocket::bind((Ipv4Addr::new(127, 0, 0, 31), 0)).unwrap();
        for i in 0..40 {
            if me.send_to(format!("chat {i}").as_bytes(), from).is_err() {
                break;
            }
            thread::sleep(Duration::from_millis(50));
        }
    });
    let tardy = thread::spawn(move || {
        let mut buf = [0u8; 256];
        let (_, from) = late.recv_from(&mut buf).unwrap();
        thread::sleep(Duration::from_millis(900));
        let me = UdpSocket::bind((Ipv4Addr::new(127, 0, 0, 32), 0)).unwrap();
        let _ = me.send_to(b"too late", from);
    });
    let started = Instant::now();
    let mut program = Running::start(DISCOVER, &["--port", &port.to_string(), "--wait-ms", "600"]);
    let status = program.wait_for_exit();
    let took = started.elapsed();
    let lines = program.remaining_lines();
    assert_eq!(status.code(), Some(0));
    assert!(
        took < Duration::from_millis(1500),
        "--wait-ms 600 with a chatterbox answering every 50 ms: it took {took:?}; is the \
         wait restarted by each reply?"
    );
    assert!(
        !lines.iter().any(|l| l.contains("too late")),
        "an answer 900 ms after the question is past the 600 ms wait: {lines:?}"
    );
    assert_eq!(lines.last().map(String::as_str), Some("1 responder(s)"));
    chatter.join().unwrap();
    tardy.join().unwrap();
}

const PY_RESPONDER: &str = r#"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', int(sys.argv[1])))
s.settimeout(10)
print('listening on 0.0.0.0:%d' % s.getsockname()[1], flush=True)
question, asker = s.recvfrom(100)
reply = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
reply.bind(('127.0.0.41', 0))
reply.sendto(b'python heard: ' + question, asker)
"#;

#[test]
fn a_python_responder_hears_the_question_and_is_listed() {
    let python = require_tool("python3");
    // Our socket picks the port; the Python one shares it.
    let ours = shared(0);
    let port = ours.local_addr().unwrap().port();
    let mut command = Command::new(python);
    command.args(["-c", PY_RESPONDER, &port.to_string()]);
    let python = Running::spawn(command);
    assert_eq!(
        python.next_line(),
        Some(format!("listening on 0.0.0.0:{port}"))
    );
    let question = format!("anyone {}?", noise(1, 5)[0]);
    let out = run(
        DISCOVER,
        &[
            "--port",
            &port.to_string(),
            "--wait-ms",
            "800",
            "--question",
            &question,
        ],
        b"",
    );
    assert!(
        out.stdout.contains("reply from 127.0.0.41:")
            && out
                .stdout
                .contains(&format!(": python heard: {question}\n")),
        "{:?}",
        out.stdout
    );
    drop(ours);
}
