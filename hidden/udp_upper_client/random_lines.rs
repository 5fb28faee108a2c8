//! Hidden: random sentences of every size (empty, and the largest datagram), strangers
//! sending between every request and reply, IPv6, slow replies and missing ones.

use std::net::{SocketAddr, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{noise, run};

const CLIENT: &str = env!("CARGO_BIN_EXE_udp_upper_client");

/// A sentence of `len` bytes drawn from `seed`: letters, digits, spaces and punctuation.
fn sentence(len: usize, seed: u64) -> Vec<u8> {
    const ALPHABET: &[u8] = b" abcdefghijklmnopqrstuvwxyz0123456789.,;:!?-_'";
    noise(len, seed)
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()])
        .collect()
}

/// `count` sentences drawn from `seed`, with an empty one and one of `largest` bytes
/// among them.
fn sentences(count: usize, seed: u64, largest: usize) -> Vec<Vec<u8>> {
    let sizes = noise(count, seed);
    (0..count)
        .map(|i| match i {
            2 => Vec::new(),
            5 => sentence(largest, seed + 1000),
            _ => sentence(1 + sizes[i] as usize * 7, seed + i as u64),
        })
        .collect()
}

fn input_and_expected(lines: &[Vec<u8>]) -> (Vec<u8>, String) {
    let mut input = Vec::new();
    let mut expected = String::new();
    for line in lines {
        input.extend_from_slice(line);
        input.push(b'\n');
        expected += "From Server: ";
        expected += &String::from_utf8(line.to_ascii_uppercase()).unwrap();
        expected += "\n";
    }
    (input, expected)
}

/// The uppercase server on `local` for `count` datagrams. Before each reply, three
/// strangers on ports of their own send the client a random datagram each.
fn server_with_strangers(
    local: &str,
    count: usize,
    seed: u64,
) -> (SocketAddr, thread::JoinHandle<()>) {
    let socket = UdpSocket::bind(local).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let addr = socket.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let strangers: Vec<UdpSocket> = (0..3)
            .map(|_| UdpSocket::bind((addr.ip(), 0)).unwrap())
            .collect();
        let mut buf = vec![0u8; 65_536];
        for i in 0..count {
            let Ok((n, from)) = socket.recv_from(&mut buf) else {
                return;
            };
            for (j, stranger) in strangers.iter().enumerate() {
                let junk = sentence(1 + (i * 3 + j) % 40, seed * 100 + (i * 3 + j) as u64);
                let _ = stranger.send_to(&junk.to_ascii_uppercase(), from);
            }
            thread::sleep(Duration::from_millis(20));
            if socket
                .send_to(&buf[..n].to_ascii_uppercase(), from)
                .is_err()
            {
                return;
            }
        }
    });
    (addr, handle)
}

fn check_replies(local: &str, host: &str, seed: u64, largest: usize) {
    let lines = sentences(10, seed, largest);
    let (input, expected) = input_and_expected(&lines);
    let (addr, server) = server_with_strangers(local, lines.len(), seed);
    let out = run(
        CLIENT,
        &[
            "--host",
            host,
            "--port",
            &addr.port().to_string(),
            "--timeout",
            "3",
        ],
        &input,
    );
    server.join().unwrap();
    assert_eq!(out.code(), Some(0), "stderr: {}", out.stderr);
    if out.stdout != expected {
        let got: Vec<&str> = out.stdout.lines().collect();
        let want: Vec<&str> = expected.lines().collect();
        let first = (0..want.len())
            .find(|&i| got.get(i) != Some(&want[i]))
            .unwrap_or(want.len());
        let describe = |line: Option<&&str>| match line {
            None => "nothing".to_owned(),
            Some(line) => format!(
                "{} bytes, {:?}...",
                line.len(),
                line.chars().take(40).collect::<String>()
            ),
        };
        panic!(
            "{} sentences sent to {addr} (sizes {:?}), with three strangers sending to the \
             client before each reply; {} lines printed. The first that differs is line {}:\n\
             expected {}\n     got {}",
            lines.len(),
            lines.iter().map(Vec::len).collect::<Vec<_>>(),
            got.len(),
            first + 1,
            describe(want.get(first)),
            describe(got.get(first)),
        );
    }
}

#[test]
fn random_sentences_over_ipv4_with_strangers_sending_in_between() {
    check_replies("127.0.0.1:0", "127.0.0.1", 11, 65_507);
}

#[test]
fn random_sentences_over_ipv6() {
    check_replies("[::1]:0", "::1", 23, 60_000);
}

#[test]
fn nothing_listening_on_ipv6_is_reported_at_once() {
    // A port of ours that receives nothing: bound, and connected elsewhere.
    let holder = UdpSocket::bind("[::1]:0").unwrap();
    let elsewhere = UdpSocket::bind("[::1]:0").unwrap();
    holder.connect(elsewhere.local_addr().unwrap()).unwrap();
    let addr = holder.local_addr().unwrap();
    let started = Instant::now();
    let out = run(
        CLIENT,
        &[
            "--host",
            "::1",
            "--port",
            &addr.port().to_string(),
            "--timeout",
            "8",
        ],
        b"hello six\n",
    );
    let took = started.elapsed();
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .starts_with("udp_upper_client: nothing is listening on [::1]:")
            && out.stderr.lines().count() == 1,
        "expected one line saying nothing is listening, got {:?}",
        out.stderr
    );
    assert!(
        took < Duration::from_secs(4),
        "took {took:?}, the timeout was 8 s"
    );
    drop(holder);
}

#[test]
fn a_slow_reply_within_the_timeout_counts_and_a_missing_one_ends_the_run() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    let word = sentence(9, 5);
    let server = thread::spawn(move || {
        let mut buf = [0u8; 1024];
        let mut got = Vec::new();
        for i in 0..2 {
            let Ok((n, from)) = socket.recv_from(&mut buf) else {
                break;
            };
            got.push(buf[..n].to_vec());
            if i == 0 {
                thread::sleep(Duration::from_millis(500));
                socket
                    .send_to(&buf[..n].to_ascii_uppercase(), from)
                    .unwrap();
            }
        }
        got
    });
    let mut input = word.clone();
    input.extend_from_slice(b"\nnever answered\n");
    let started = Instant::now();
    let out = run(
        CLIENT,
        &["--port", &port.to_string(), "--timeout", "1.5"],
        &input,
    );
    let took = started.elapsed();
    let got = server.join().unwrap();
    assert_eq!(
        got.len(),
        2,
        "the server should have received both lines: {got:?}"
    );
    assert_eq!(
        out.stdout,
        format!(
            "From Server: {}\n",
            String::from_utf8(word.to_ascii_uppercase()).unwrap()
        ),
        "the first reply came after 0.5 s (timeout 1.5 s); the second never (stderr: {:?})",
        out.stderr
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("no reply from"), "{:?}", out.stderr);
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(5),
        "0.5 s for the first reply, then a 1.5 s wait for the second: took {took:?}"
    );
}
