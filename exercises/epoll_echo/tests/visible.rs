//! The echo server as a black box: lines back to their sender, half lines kept, many
//! clients from one thread, and a client that does not read its replies.

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::Duration;

use testkit::{Conversation, Server, noise, read_to_close};

const SERVER: &str = env!("CARGO_BIN_EXE_epoll_echo");

/// A field of /proc/PID/status as a number (memory in kB).
fn status_field(pid: u32, field: &str) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    line.split_whitespace().next().unwrap().parse().unwrap()
}

/// Asserts that nothing arrives on `stream` for `wait`.
fn nothing_for(stream: &TcpStream, wait: Duration) {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 256];
    match (&*stream).read(&mut buf) {
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
        other => panic!(
            "nothing more should arrive, but read gave {other:?}: {:?}",
            String::from_utf8_lossy(&buf)
        ),
    }
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
}

/// Random lines of lowercase letters, `len` bytes in all, the last one ended too.
fn lines(len: usize, seed: u64) -> Vec<u8> {
    let mut bytes: Vec<u8> = noise(len, seed)
        .iter()
        .map(|b| if b % 37 == 0 { b'\n' } else { b'a' + b % 26 })
        .collect();
    if let Some(last) = bytes.last_mut() {
        *last = b'\n';
    }
    bytes
}

#[test]
fn each_line_comes_back_to_its_sender_only() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let mut alice = Conversation::new(server.connect());
    let mut bob = Conversation::new(server.connect());
    alice.send(b"hello from alice\n");
    bob.send(b"bob here\n");
    alice.expect(b"hello from alice\n");
    bob.expect(b"bob here\n");
    bob.send(b"two lines\nin one send\n");
    bob.expect(b"two lines\nin one send\n");
    alice.send(b"bye\n");
    alice.expect(b"bye\n");
    nothing_for(bob.stream(), Duration::from_millis(300));
}

#[test]
fn half_a_line_waits_for_its_newline_and_a_last_line_needs_none() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let mut conn = server.connect();
    conn.write_all(b"hel").unwrap();
    // "hel" has no newline yet: nothing comes back.
    nothing_for(&conn, Duration::from_millis(400));
    conn.write_all(b"lo\nand the last one").unwrap();
    let mut reply = [0u8; 6];
    conn.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"hello\n");
    // The client finishes sending: its last line comes back, then the server closes.
    conn.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&read_to_close(&mut conn)),
        "and the last one",
        "a client that closes its side gets its unfinished last line back, then end of \
         stream"
    );
}

#[test]
fn fifty_clients_at_once_are_served_by_one_thread() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let mut conns: Vec<TcpStream> = (0..50).map(|_| server.connect()).collect();
    for round in 0..3 {
        for (i, conn) in conns.iter_mut().enumerate() {
            conn.write_all(format!("round {round} client {i}\n").as_bytes())
                .unwrap();
        }
        for (i, conn) in conns.iter_mut().enumerate() {
            let expected = format!("round {round} client {i}\n");
            let mut reply = vec![0u8; expected.len()];
            conn.read_exact(&mut reply).unwrap();
            assert_eq!(String::from_utf8_lossy(&reply), expected);
        }
    }
    assert_eq!(
        status_field(server.pid(), "Threads"),
        1,
        "the server should be one thread"
    );
}

#[test]
fn a_client_that_does_not_read_holds_up_nobody_and_gets_every_byte_back() {
    let server = Server::start(SERVER, &["--port", "0"]);
    // 32 MiB of lines, sent by a client that reads nothing until it has sent it all.
    let hog = server.connect();
    let socket = socket2::SockRef::from(&hog);
    socket.set_recv_buffer_size(64 * 1024).unwrap();
    socket.set_send_buffer_size(64 * 1024).unwrap();
    let block = lines(64 * 1024, 3);
    let blocks = 512;
    let mut writer = hog.try_clone().unwrap();
    let to_send = block.clone();
    let sending = thread::spawn(move || {
        for _ in 0..blocks {
            writer.write_all(&to_send).unwrap();
        }
        writer.shutdown(Shutdown::Write).unwrap();
    });
    thread::sleep(Duration::from_millis(500));
    assert!(
        !sending.is_finished(),
        "32 MiB went through without being read"
    );
    // Meanwhile, other clients are answered.
    for i in 0..10 {
        let mut other = Conversation::new(server.connect());
        let line = format!("client {i} while the hog is stuck\n");
        other.send(line.as_bytes());
        other.expect(line.as_bytes());
    }
    // The server holds a few kilobytes for the hog, not megabytes.
    let rss = status_field(server.pid(), "VmRSS");
    assert!(
        rss < 16 * 1024,
        "the server's memory (VmRSS) is {rss} kB while the hog is stuck: does it go on \
         reading a client whose outbox is not empty?"
    );
    // Now the hog reads, and gets every byte back, in order.
    let mut reader = hog;
    reader
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut chunk = vec![0u8; block.len()];
    for i in 0..blocks {
        reader.read_exact(&mut chunk).unwrap();
        assert!(
            chunk == block,
            "block {i} of the echo differs from what was sent"
        );
    }
    assert_eq!(read_to_close(&mut reader), b"");
    sending.join().unwrap();
}
