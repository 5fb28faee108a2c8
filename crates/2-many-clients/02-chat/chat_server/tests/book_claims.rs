//! What the chat and shutdown chapters say about clients that vanish: what `accept` and
//! `read` report on Linux. The chapters name these tests after each claim:
//! `(tested: `book_claims::…`)`.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, SocketAddrV4, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use testkit::{PATIENCE, tcp_sockets};

fn v4(addr: SocketAddr) -> SocketAddrV4 {
    match addr {
        SocketAddr::V4(addr) => addr,
        SocketAddr::V6(_) => panic!("an IPv4 address was expected"),
    }
}

/// Waits (at most PATIENCE) until the kernel's TCP table shows what `done` asks for.
fn wait_for_table(what: &str, done: impl Fn(&[testkit::TcpSocket]) -> bool) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let table = tcp_sockets();
        if done(&table) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: not seen in {table:?}");
        thread::sleep(Duration::from_millis(5));
    }
}

/// Whether `fd` is readable now (poll with a zero timeout), as the chat server's loop
/// asks of its listener.
fn readable_now(fd: &impl AsRawFd) -> bool {
    let mut pollfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, for the length given.
    let n = unsafe { libc::poll(&mut pollfd, 1, 0) };
    n == 1 && pollfd.revents & libc::POLLIN != 0
}

/// A client connects, the kernel queues the connection, and the client resets it (RST)
/// before the server gets to `accept`. On Linux the reset connection stays in the queue:
/// the listener stays readable, `accept` returns it, and the first `read` fails with
/// ECONNRESET. (Berkeley-derived kernels, as Stevens describes them, remove it from the
/// queue instead, so an `accept` after `poll` could block.)
#[test]
fn a_connection_reset_before_accept_is_still_accepted_and_its_read_fails_with_econnreset() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    // Non-blocking, as in the chat server: if the connection were gone, this test would
    // fail with WouldBlock instead of hanging.
    listener.set_nonblocking(true).unwrap();
    let server = v4(listener.local_addr().unwrap());
    let client = TcpStream::connect(server).expect("connect");
    let client_addr = v4(client.local_addr().unwrap());
    testkit::reset(client);
    // The server's side of the connection leaves the table once the RST has arrived.
    wait_for_table("the reset reaching the queued connection", |table| {
        !table
            .iter()
            .any(|s| s.local == server && s.remote == client_addr)
    });

    assert!(readable_now(&listener), "poll says nobody is waiting");
    let (mut conn, peer) = listener
        .accept()
        .expect("accept returns the reset connection");
    assert_eq!(v4(peer), client_addr);
    conn.set_nonblocking(false).unwrap();
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    let err = conn
        .read(&mut [0u8; 16])
        .expect_err("the read reports the reset");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err:?}");
}

/// A process connected to `listener`, holding the client's end as its stdin; returns the
/// process and the server's end of the connection.
fn client_process(listener: &TcpListener) -> (std::process::Child, TcpStream, SocketAddrV4) {
    let client = TcpStream::connect(listener.local_addr().unwrap()).expect("connect");
    let client_addr = v4(client.local_addr().unwrap());
    let (conn, _) = listener.accept().expect("accept");
    conn.set_read_timeout(Some(PATIENCE)).unwrap();
    // `sleep` never reads its stdin: the connection is its, and no one else's.
    let process = Command::new("sleep")
        .arg("60")
        .stdin(Stdio::from(OwnedFd::from(client)))
        .stdout(Stdio::null())
        .spawn()
        .expect("start sleep");
    (process, conn, client_addr)
}

/// A client that crashes (here: killed with SIGKILL) does not reset its connections: the
/// kernel closes its descriptors as `close` would, with a FIN, and the server reads the
/// end of the stream (0). A reset comes only if the client had unread data waiting
/// (RFC 1122, 4.2.2.13; or SO_LINGER 0): then the server's `read` gets ECONNRESET.
#[test]
fn a_killed_client_closes_with_a_fin_unless_it_left_data_unread() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");

    let (mut process, mut conn, _) = client_process(&listener);
    process.kill().unwrap();
    process.wait().unwrap();
    assert_eq!(conn.read(&mut [0u8; 16]).expect("read after a crash"), 0);

    let (mut process, mut conn, client_addr) = client_process(&listener);
    conn.write_all(b"never read\n").unwrap();
    // Until the bytes wait in the client's receive queue.
    wait_for_table("the bytes in the client's receive queue", |table| {
        table
            .iter()
            .any(|s| s.local == client_addr && s.rx_queue == 11)
    });
    process.kill().unwrap();
    process.wait().unwrap();
    let err = conn.read(&mut [0u8; 16]).expect_err("a reset");
    assert_eq!(err.kind(), ErrorKind::ConnectionReset, "{err:?}");
}

/// A line from the chat server, read with the connection's timeout.
fn line_from(lines: &mut std::io::BufReader<TcpStream>) -> std::io::Result<String> {
    use std::io::BufRead;
    let mut line = String::new();
    lines.read_line(&mut line)?;
    Ok(line)
}

/// OpenBSD's nc leaves the connection open when its input ends (Ctrl-D) unless it was
/// started with `-N`, which makes it shut down its sending side (nc(1)); only then does
/// the chat server see the end of the stream and announce that the client left.
#[test]
fn nc_ends_its_chat_connection_at_the_end_of_input_only_with_dash_n() {
    const SERVER: &str = env!("CARGO_BIN_EXE_chat_server");
    let nc = testkit::require_tool("nc");
    let server = testkit::Server::start(SERVER, &["--port", "0"]);
    let port = server.addr.port().to_string();
    let watcher = server.connect();
    let mut lines = std::io::BufReader::new(watcher.try_clone().unwrap());
    assert!(line_from(&mut lines).unwrap().starts_with("*** welcome"));

    // Without -N: the line goes out, and the connection stays after the input ended.
    let mut plain = testkit::Running::start(&nc.to_string_lossy(), &["127.0.0.1", &port]);
    plain.type_in(b"hi all\n");
    plain.close_stdin();
    let joined = line_from(&mut lines).unwrap();
    let name = joined
        .strip_prefix("*** ")
        .and_then(|rest| rest.strip_suffix(" joined\n"))
        .unwrap_or_else(|| panic!("not a join: {joined:?}"))
        .to_owned();
    assert_eq!(line_from(&mut lines).unwrap(), format!("{name}: hi all\n"));
    watcher
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let err = line_from(&mut lines).expect_err("nothing more: nc is still connected");
    assert!(
        matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
        "{err:?}"
    );
    assert!(
        plain.is_running(),
        "nc without -N ended at the end of its input"
    );
    drop(plain);
    assert_eq!(
        line_from(&mut lines).unwrap(),
        format!("*** {name} left\n"),
        "killing nc closes its connection"
    );
    watcher.set_read_timeout(Some(PATIENCE)).unwrap();

    // With -N: the end of the input ends the connection, and nc exits.
    let out = testkit::run(&nc.to_string_lossy(), &["-N", "127.0.0.1", &port], b"bye\n");
    assert_eq!(out.code(), Some(0), "{out:?}");
    let joined = line_from(&mut lines).unwrap();
    let name = joined
        .strip_prefix("*** ")
        .and_then(|rest| rest.strip_suffix(" joined\n"))
        .unwrap_or_else(|| panic!("not a join: {joined:?}"))
        .to_owned();
    assert_eq!(line_from(&mut lines).unwrap(), format!("{name}: bye\n"));
    assert_eq!(line_from(&mut lines).unwrap(), format!("*** {name} left\n"));
}
