//! gethostname and getpeername as black boxes: the name the kernel has, and both ends of
//! a real connection, seen from each side.

use std::fs;
use std::io::Read;
use std::net::TcpListener;

use testkit::{Server, run};

const GETPEERNAME: &str = env!("CARGO_BIN_EXE_getpeername");
const GETHOSTNAME: &str = env!("CARGO_BIN_EXE_gethostname");

#[test]
fn gethostname_prints_the_name_the_kernel_has() {
    let out = run(GETHOSTNAME, &[], b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    let kernel = fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(out.stdout, kernel);
}

#[test]
fn the_client_sees_its_ephemeral_port_and_the_servers_address() {
    for host in ["127.0.0.1", "::1"] {
        let listener = TcpListener::bind((host, 0)).unwrap();
        let server = listener.local_addr().unwrap();
        let port = server.port().to_string();
        let out = run(GETPEERNAME, &["--host", host, "--port", &port], b"");
        assert_eq!(out.code(), Some(0), "{out:?}");
        let (conn, client) = listener.accept().unwrap();
        drop(conn);
        assert_eq!(
            out.stdout,
            format!(
                "getsockname: {client} (this end: the port connect() picked)\n\
                 getpeername: {server} (the other end)\n"
            )
        );
    }
}

#[test]
fn the_server_tells_each_client_the_address_getpeername_gave() {
    let server = Server::start(GETPEERNAME, &["--listen", "--port", "0"]);
    let mut conn = server.connect();
    let me = conn.local_addr().unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    assert_eq!(reply, format!("you are {me}\n"));
    assert_eq!(
        server.next_stdout_line(),
        Some(format!("getpeername: {me} (the client)"))
    );
    assert_eq!(
        server.next_stdout_line(),
        Some(format!(
            "getsockname: {} (this end of the connection)",
            server.addr
        ))
    );
}

#[test]
fn the_client_against_the_server_each_sees_the_other() {
    let mut server = Server::start(GETPEERNAME, &["--listen", "--port", "0"]);
    let port = server.addr.port().to_string();
    let out = run(GETPEERNAME, &["--port", &port], b"");
    let client_line = out.stdout.lines().next().unwrap().to_owned();
    let client = client_line
        .strip_prefix("getsockname: ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap();
    assert_eq!(
        server.next_stdout_line(),
        Some(format!("getpeername: {client} (the client)"))
    );
    // Our client does not wait for the server's answer; that is no error.
    assert_eq!(
        server.wait_for_exit().code(),
        Some(0),
        "{}",
        server.stderr_so_far()
    );
}

#[test]
fn nothing_listening_is_one_line_and_exit_status_1() {
    let port = testkit::closed_port().to_string();
    let out = run(GETPEERNAME, &["--port", &port], b"");
    assert_eq!(out.code(), Some(1));
    assert_eq!(
        out.stderr,
        format!(
            "getpeername: nothing is listening on 127.0.0.1:{port}; start the server first, or check --host and --port\n"
        )
    );
}
