//! Hidden: many clients at once, and a child that does not keep the listener open.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{Server, noise};

const SERVER: &str = env!("CARGO_BIN_EXE_fork_server");

/// The children of `pid`: (zombies, still running).
fn children_of(pid: u32) -> (usize, usize) {
    let states: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|stat| {
            let after = &stat[stat.rfind(')').unwrap() + 2..];
            let fields: Vec<&str> = after.split(' ').collect();
            (fields[1] == pid.to_string()).then(|| fields[0].to_owned())
        })
        .collect();
    let zombies = states.iter().filter(|s| *s == "Z").count();
    (zombies, states.len() - zombies)
}

#[test]
fn twenty_clients_at_once_each_get_their_own_random_reply() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let addr = server.addr;
    let clients: Vec<_> = (0..20u64)
        .map(|i| {
            thread::spawn(move || {
                let text: Vec<u8> = noise(3000, i + 11).iter().map(|b| b'a' + b % 26).collect();
                let mut conn = TcpStream::connect(addr).unwrap();
                conn.set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                conn.write_all(&text).unwrap();
                conn.shutdown(Shutdown::Write).unwrap();
                let mut reply = Vec::new();
                conn.read_to_end(&mut reply).unwrap();
                reply == text.to_ascii_uppercase()
            })
        })
        .collect();
    let good = clients
        .into_iter()
        .map(|c| c.join().unwrap())
        .filter(|ok| *ok)
        .count();
    assert_eq!(
        good, 20,
        "only {good} of 20 concurrent clients got their reply"
    );
    // A child may still be exiting after its client has the whole reply: wait until no
    // child is left at all (a child that exits is a zombie until it is reaped), or time
    // is up. Checking for zombies alone could look between a child's last byte and its
    // exit, and then see a zombie that a moment later would have been reaped.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut children = children_of(server.pid());
    while children != (0, 0) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
        children = children_of(server.pid());
    }
    assert_eq!(children.0, 0, "zombies left after 20 clients");
}

#[test]
fn a_child_does_not_keep_the_listening_socket() {
    let server = Server::start(SERVER, &["--port", "0"]);
    // A client whose child stays alive, waiting for it.
    let mut held = server.connect();
    held.write_all(b"x").unwrap();
    let mut one = [0u8; 1];
    held.read_exact(&mut one).unwrap();
    // Kill the parent alone: its child keeps serving `held`.
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(server.pid() as i32, libc::SIGKILL);
    }
    thread::sleep(Duration::from_millis(200));
    // If the child still held the listener, the kernel would go on completing handshakes
    // for a socket nobody accepts on; with the listener closed everywhere, it refuses.
    let attempt = TcpStream::connect_timeout(&server.addr, Duration::from_secs(2));
    assert!(
        attempt.is_err(),
        "with the parent gone, a connection to the port still succeeded: a child kept its copy of the listening socket"
    );
}
