//! Hidden: a crowd of clients sending random lines in random pieces, a hog that does not
//! read, typists beside it, resets in every state, an endless line, quiet clients that
//! must cost no CPU, and the real `nc` as a client.

use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{Server, noise, open_fds, proc_stat, read_to_close, require_tool, reset, run};

const SERVER: &str = env!("CARGO_BIN_EXE_epoll_echo");

fn status_field(pid: u32, field: &str) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{field}:")))
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"));
    line.split_whitespace().next().unwrap().parse().unwrap()
}

/// Random text: lines of letters, digits and spaces; `ended` says whether the last line
/// has its newline.
fn text(len: usize, seed: u64, ended: bool) -> Vec<u8> {
    let mut bytes: Vec<u8> = noise(len, seed)
        .iter()
        .map(|b| match b % 41 {
            0 => b'\n',
            1 => b' ',
            n => b"abcdefghijklmnopqrstuvwxyz0123456789.,-_?"[n as usize],
        })
        .collect();
    if let Some(last) = bytes.last_mut() {
        *last = if ended { b'\n' } else { b'x' };
    }
    bytes
}

/// `bytes` cut into pieces of 1 to 97 bytes, sizes drawn from `seed`.
fn pieces(bytes: &[u8], seed: u64) -> Vec<Vec<u8>> {
    let sizes = noise(bytes.len(), seed);
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut i = 0;
    while !rest.is_empty() {
        let take = (1 + sizes[i] as usize % 97).min(rest.len());
        out.push(rest[..take].to_vec());
        rest = &rest[take..];
        i += 1;
    }
    out
}

#[test]
fn two_hundred_clients_send_random_lines_in_random_pieces() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let clients = 200;
    let texts: Vec<Vec<u8>> = (0..clients)
        .map(|i| text(200 + (i * 37) % 2800, 1000 + i as u64, i % 3 != 0))
        .collect();
    let cut: Vec<Vec<Vec<u8>>> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| pieces(t, 5000 + i as u64))
        .collect();
    let mut conns: Vec<TcpStream> = (0..clients).map(|_| server.connect()).collect();
    // Round-robin: every client sends its next piece, until all have sent everything.
    let rounds = cut.iter().map(Vec::len).max().unwrap();
    for round in 0..rounds {
        for (conn, pieces) in conns.iter_mut().zip(&cut) {
            if let Some(piece) = pieces.get(round) {
                conn.write_all(piece).unwrap();
            }
        }
    }
    assert_eq!(
        status_field(server.pid(), "Threads"),
        1,
        "{clients} clients connected: the server should still be one thread"
    );
    for conn in &conns {
        conn.shutdown(Shutdown::Write).unwrap();
    }
    for (i, (conn, sent)) in conns.iter_mut().zip(&texts).enumerate() {
        let echoed = read_to_close(conn);
        if &echoed != sent {
            let same = echoed.iter().zip(sent).take_while(|(a, b)| a == b).count();
            panic!(
                "client {i} sent {} bytes in {} pieces (its last line {}), and got {} bytes \
                 back; they agree up to byte {same}",
                sent.len(),
                cut[i].len(),
                if sent.ends_with(b"\n") {
                    "ended"
                } else {
                    "without a newline"
                },
                echoed.len()
            );
        }
    }
}

#[test]
fn quiet_clients_cost_no_cpu() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let mut conns: Vec<TcpStream> = (0..20).map(|_| server.connect()).collect();
    for (i, conn) in conns.iter_mut().enumerate() {
        let line = format!("client {i}\n");
        conn.write_all(line.as_bytes()).unwrap();
        let mut reply = vec![0u8; line.len()];
        conn.read_exact(&mut reply).unwrap();
    }
    let before = proc_stat(server.pid()).unwrap().cpu_ticks;
    thread::sleep(Duration::from_millis(1500));
    let used = proc_stat(server.pid()).unwrap().cpu_ticks - before;
    assert!(
        used < 10,
        "20 connected clients sent nothing for 1.5 s, and the server used {used} ticks of \
         CPU (a tick is usually 10 ms): is a client with nothing to send watched for \
         EPOLLOUT?"
    );
}

#[test]
fn a_hog_of_48_mib_that_does_not_read_holds_up_none_of_twenty_typists() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let hog = server.connect();
    let socket = socket2::SockRef::from(&hog);
    socket.set_recv_buffer_size(64 * 1024).unwrap();
    socket.set_send_buffer_size(64 * 1024).unwrap();
    let block = text(64 * 1024, 77, true);
    let blocks = 768;
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
        "48 MiB went through without being read"
    );
    // While the hog is stuck, the server has nothing to do for it: no CPU either.
    let before = proc_stat(server.pid()).unwrap().cpu_ticks;
    thread::sleep(Duration::from_millis(1500));
    let used = proc_stat(server.pid()).unwrap().cpu_ticks - before;
    assert!(
        used < 10,
        "while the hog was stuck (its replies not read, more of its data waiting), the \
         server used {used} ticks of CPU in 1.5 s (a tick is usually 10 ms): is the hog \
         still watched for EPOLLIN while its outbox is full?"
    );
    let mut typists: Vec<TcpStream> = (0..20).map(|_| server.connect()).collect();
    for round in 0..5 {
        for (i, typist) in typists.iter_mut().enumerate() {
            let line = text(10 + (round * 20 + i) % 50, (round * 20 + i) as u64, true);
            let began = Instant::now();
            typist.write_all(&line).unwrap();
            let mut reply = vec![0u8; line.len()];
            typist.read_exact(&mut reply).unwrap();
            assert_eq!(reply, line);
            assert!(
                began.elapsed() < Duration::from_secs(2),
                "typist {i} waited {:?} for its line while the hog was stuck",
                began.elapsed()
            );
        }
    }
    let rss = status_field(server.pid(), "VmRSS");
    assert!(
        rss < 16 * 1024,
        "the server's VmRSS is {rss} kB while the hog is stuck"
    );
    let mut reader = hog;
    reader
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut chunk = vec![0u8; block.len()];
    for i in 0..blocks {
        reader.read_exact(&mut chunk).unwrap();
        assert!(chunk == block, "block {i} of the hog's echo differs");
    }
    assert_eq!(read_to_close(&mut reader), b"");
    sending.join().unwrap();
}

/// Waits (bounded) until the server has at most `fds` descriptors open.
fn fds_come_down_to(pid: u32, fds: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = open_fds(pid);
        if now <= fds || Instant::now() > deadline {
            return now;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn clients_that_reset_in_every_state_cost_only_themselves() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let pid = server.pid();
    let baseline = open_fds(pid);
    for round in 0..3u64 {
        // Straight after connecting.
        reset(server.connect());
        // With half a line in its inbox.
        let mut half = server.connect();
        half.write_all(&text(300, round, false)).unwrap();
        thread::sleep(Duration::from_millis(50));
        reset(half);
        // With replies piled up: it sent megabytes and never read.
        let hog = server.connect();
        socket2::SockRef::from(&hog)
            .set_recv_buffer_size(4096)
            .unwrap();
        let mut writer = hog.try_clone().unwrap();
        writer
            .set_write_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let block = text(64 * 1024, 40 + round, true);
        for _ in 0..64 {
            if writer.write_all(&block).is_err() {
                break; // stuck: the server stopped reading it
            }
        }
        drop(writer);
        reset(hog);
        // The server is still there for the next client.
        let mut next = server.connect();
        let line = text(60, 90 + round, true);
        next.write_all(&line).unwrap();
        let mut reply = vec![0u8; line.len()];
        next.read_exact(&mut reply).unwrap();
        assert_eq!(reply, line, "round {round}: a new client after the resets");
    }
    let after = fds_come_down_to(pid, baseline + 3);
    assert!(
        after <= baseline + 3,
        "the server had {baseline} descriptors open before the resets and {after} after: \
         a reset client's socket must be closed"
    );
}

#[test]
fn an_endless_line_drops_that_client_only() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let mut bystander = server.connect();
    let flood = server.connect();
    let mut writer = flood.try_clone().unwrap();
    writer
        .set_write_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let line: Vec<u8> = text(1 << 20, 5, true)
        .into_iter()
        .filter(|b| *b != b'\n')
        .collect();
    let flooding = thread::spawn(move || {
        // Stops at an error: the server has closed the connection.
        let _ = writer.write_all(&line);
    });
    let mut reader = flood;
    reader
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut echoed = Vec::new();
    let end = reader.read_to_end(&mut echoed);
    assert!(
        end.is_ok() || matches!(&end, Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "a line of a megabyte without a newline: the server should close that connection \
         (it said {end:?} after 5 s)"
    );
    assert!(
        echoed.is_empty(),
        "no line was complete, yet {} bytes came back",
        echoed.len()
    );
    flooding.join().unwrap();
    bystander.write_all(b"still here\n").unwrap();
    let mut reply = [0u8; 11];
    bystander.read_exact(&mut reply).unwrap();
    assert_eq!(&reply, b"still here\n");
}

#[test]
fn the_real_nc_gets_its_lines_back() {
    let nc = require_tool("nc");
    let server = Server::start(SERVER, &["--port", "0"]);
    let input = text(5000, 123, true);
    let out = run(
        nc.to_str().unwrap(),
        &["-N", "127.0.0.1", &server.addr.port().to_string()],
        &input,
    );
    assert_eq!(out.code(), Some(0), "{}", out.stderr);
    assert_eq!(out.stdout.as_bytes(), &input[..]);
}
