//! What the event loop promises beyond the other servers (the shared suites in
//! tcp_upper_pool_server/tests/conformance.rs and tcp_upper_thread_server/tests/concurrent.rs
//! hold it to everything they promise): one thread whatever the number of clients, little
//! memory per client, and no client that can hold up the others, even one that does not
//! read its replies.

use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{PATIENCE, Server, noise, read_to_close};

const SERVER: &str = env!("CARGO_BIN_EXE_tcp_upper_epoll_server");

/// A field of /proc/PID/status, in its own unit (kB for memory), as a number.
fn status_field(pid: u32, field: &str) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    line.split_whitespace().next().unwrap().parse().unwrap()
}

fn exchange(conn: &mut TcpStream, message: &[u8]) -> Vec<u8> {
    conn.write_all(message).unwrap();
    let mut reply = vec![0; message.len()];
    conn.read_exact(&mut reply).unwrap();
    reply
}

// ANCHOR: one_thread
#[test]
fn five_hundred_clients_at_once_are_served_by_one_thread_in_little_memory() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let before = status_field(server.pid(), "VmRSS");
    let mut conns: Vec<TcpStream> = (0..500).map(|_| server.connect()).collect();
    for round in 0..2 {
        for (i, conn) in conns.iter_mut().enumerate() {
            let message = format!("round {round} client {i}");
            assert_eq!(
                exchange(conn, message.as_bytes()),
                message.to_uppercase().as_bytes()
            );
        }
    }
    // Every one of the 500 is connected, and the server is still one thread.
    assert_eq!(status_field(server.pid(), "Threads"), 1);
    // 500 clients cost far less than 500 thread stacks would: under 4 MiB in all.
    let grown = status_field(server.pid(), "VmRSS").saturating_sub(before);
    assert!(grown < 4096, "500 clients took {grown} kB");
}
// ANCHOR_END: one_thread

// ANCHOR: slow_reader
#[test]
fn a_client_that_does_not_read_its_replies_holds_up_nobody_and_loses_nothing() {
    let server = Server::start(SERVER, &["--port", "0"]);
    // This client sends 48 MiB and reads nothing until it has sent it all. Its
    // replies fill every socket buffer on the way, and the server must then stop
    // reading from it, instead of waiting in write (a blocking server would) or
    // buffering all of it (a careless event loop would).
    let hog = server.connect();
    let socket = socket2::SockRef::from(&hog);
    socket.set_recv_buffer_size(16 * 1024).unwrap();
    socket.set_send_buffer_size(16 * 1024).unwrap();
    let block = noise(64 * 1024, 3);
    let blocks = 768;
    let mut writer = hog.try_clone().unwrap();
    let to_send = block.clone();
    let sending = thread::spawn(move || {
        for _ in 0..blocks {
            writer.write_all(&to_send).unwrap();
        }
        writer.shutdown(Shutdown::Write).unwrap();
    });
    // Wait until the hog is stuck: its sending thread cannot finish.
    thread::sleep(Duration::from_millis(500));
    assert!(
        !sending.is_finished(),
        "48 MiB went through without being read"
    );
    // Meanwhile, everyone else is answered at once.
    for i in 0..20 {
        let mut other = server.connect();
        let message = format!("client {i} while the hog is stuck");
        assert_eq!(
            exchange(&mut other, message.as_bytes()),
            message.to_uppercase().as_bytes()
        );
    }
    // The server holds at most a chunk for the hog, not megabytes.
    let rss = status_field(server.pid(), "VmRSS");
    assert!(rss < 16 * 1024, "the server's RSS is {rss} kB");
    // Now the hog reads, and gets every byte back, uppercased, in order.
    let expected = block.to_ascii_uppercase();
    let mut reader = hog;
    let mut chunk = vec![0u8; 64 * 1024];
    for i in 0..blocks {
        reader.read_exact(&mut chunk).unwrap();
        assert!(chunk == expected, "block {i} differs");
    }
    assert_eq!(read_to_close(&mut reader), b"");
    sending.join().unwrap();
}
// ANCHOR_END: slow_reader

#[test]
fn a_client_streaming_at_full_speed_does_not_starve_a_typing_one() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let stream = server.connect();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = stream;
    // A client that sends and reads 32 MiB as fast as it can ...
    let sending = thread::spawn(move || {
        let block = noise(64 * 1024, 9);
        for _ in 0..512 {
            writer.write_all(&block).unwrap();
        }
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let draining = thread::spawn(move || read_to_close(&mut reader).len());
    // ... while another sends a line at a time and expects each answer quickly.
    let mut typist = server.connect();
    let deadline = Instant::now() + PATIENCE;
    for i in 0..50 {
        let line = format!("line {i}\n");
        let began = Instant::now();
        assert_eq!(
            exchange(&mut typist, line.as_bytes()),
            line.to_uppercase().as_bytes()
        );
        assert!(began.elapsed() < Duration::from_secs(2), "line {i} waited");
        assert!(Instant::now() < deadline);
    }
    sending.join().unwrap();
    assert_eq!(draining.join().unwrap(), 512 * 64 * 1024);
}

#[test]
fn the_log_says_connected_and_how_many_bytes_each_client_sent() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let mut conn = server.connect();
    let local = conn.local_addr().unwrap();
    assert_eq!(exchange(&mut conn, b"twelve bytes"), b"TWELVE BYTES");
    conn.shutdown(Shutdown::Write).unwrap();
    assert_eq!(read_to_close(&mut conn), b"");
    let log = server.wait_for_stderr(&format!("{local}: closed after 12 bytes"));
    assert!(log.contains(&format!("{local}: connected")), "{log}");
}
