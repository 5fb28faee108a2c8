//! Hidden: lines far longer than any one read, answered in uneven chunks.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;
use std::time::Duration;

use testkit::{noise, run};

const CLIENT: &str = env!("CARGO_BIN_EXE_tcp_upper_client");

#[test]
fn a_200_kb_line_comes_back_whole() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut chunk = [0u8; 7000];
        let mut sizes = [1usize, 13, 4096, 977, 65536].into_iter().cycle();
        while let Ok(n @ 1..) = conn.read(&mut chunk) {
            let upper = chunk[..n].to_ascii_uppercase();
            let mut rest = upper.as_slice();
            while !rest.is_empty() {
                let take = sizes.next().unwrap().min(rest.len());
                if conn.write_all(&rest[..take]).is_err() {
                    return;
                }
                rest = &rest[take..];
            }
        }
    });
    let line: Vec<u8> = noise(200_000, 7)
        .into_iter()
        .map(|b| b'a' + b % 26)
        .collect();
    let mut input = line.clone();
    input.push(b'\n');
    let out = run(CLIENT, &["--port", &port.to_string()], &input);
    server.join().unwrap();
    let expected = format!(
        "From Server: {}\n",
        String::from_utf8(line.to_ascii_uppercase()).unwrap()
    );
    assert_eq!(out.code(), Some(0), "stderr: {}", out.stderr);
    assert!(
        out.stdout == expected,
        "expected one line of {} bytes, got {} bytes of output starting {:?}",
        expected.len(),
        out.stdout.len(),
        &out.stdout[..out.stdout.len().min(60)]
    );
}
