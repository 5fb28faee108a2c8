//! loadgen against real servers, with small bounded loads: the counts, the checks of every
//! reply, the output formats, and the refusals.

use std::time::{Duration, Instant};

use testkit::{Server, closed_port, run, sibling_binary};

const LOADGEN: &str = env!("CARGO_BIN_EXE_loadgen");
const ECHO_FLOOR: &str = env!("CARGO_BIN_EXE_echo_floor");

fn thread_server() -> Server {
    let bin = sibling_binary(LOADGEN, "tcp_upper_thread_server");
    Server::start(&bin, &["--port", "0"])
}

/// The value of `"key":NUMBER` in loadgen's one-line JSON.
fn json_number(json: &str, key: &str) -> u64 {
    let at = json
        .find(&format!("\"{key}\":"))
        .unwrap_or_else(|| panic!("no {key} in {json}"));
    json[at + key.len() + 3..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("{key} is not a number in {json}"))
}

#[test]
fn four_clients_of_fifty_requests_are_all_answered_correctly() {
    let server = thread_server();
    let port = server.addr.port().to_string();
    let out = run(
        LOADGEN,
        &[
            "--port", &port, "-c", "4", "-n", "50", "--format", "json", "-q",
        ],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let json = out.stdout.trim();
    assert_eq!(json_number(json, "ok"), 200, "{json}");
    assert_eq!(json_number(json, "total"), 0, "{json}");
    assert_eq!(json_number(json, "connections"), 4, "{json}");
    assert!(json.contains("\"mode\":\"persistent\""), "{json}");
    // The server saw four clients, each sending 50 requests of 64 bytes. (It logs each
    // close as it reads it, maybe after loadgen has exited: wait for all four.)
    let log = server.wait_for_stderr_count("closed after 3200 bytes", 4);
    assert_eq!(log.matches("closed after 3200 bytes").count(), 4, "{log}");
    assert_eq!(log.matches("closed after").count(), 4, "{log}");
}

#[test]
fn connection_per_request_opens_one_connection_for_every_request() {
    let server = thread_server();
    let port = server.addr.port().to_string();
    let out = run(
        LOADGEN,
        &[
            "--port",
            &port,
            "-c",
            "2",
            "-n",
            "10",
            "-s",
            "100",
            "--connect-per-request",
            "--format",
            "csv",
            "--label",
            "per-request",
        ],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{out:?}");
    assert_eq!(lines[0], loadgen::Report::CSV_HEADER);
    let row: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(
        &row[..6],
        ["per-request", "connect-per-request", "2", "100", "20", "0"]
    );
    // Each client's "connected" comes before its "closed after": once the twentieth
    // close is in, every connection is.
    let log = server.wait_for_stderr_count("closed after 100 bytes", 20);
    assert_eq!(log.matches("connected").count(), 20, "{log}");
}

#[test]
fn replies_that_are_not_uppercased_are_counted_as_wrong() {
    // An echo server answers, but with the bytes unchanged.
    let echo = Server::start(ECHO_FLOOR, &["--port", "0"]);
    let port = echo.addr.port().to_string();
    let out = run(LOADGEN, &["--port", &port, "-c", "3", "-n", "5", "-q"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "loadgen: 3 request(s) failed (connect 0, io 0, wrong reply 3)\n"
    );
    // The same server passes when told to expect an echo.
    let out = run(
        LOADGEN,
        &[
            "--port", &port, "-c", "3", "-n", "5", "--expect", "echo", "-q",
        ],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(out.stdout.contains("15 ok, 0 errors"), "{out:?}");
}

#[test]
fn a_duration_run_stops_on_time_and_shows_progress() {
    let server = thread_server();
    let port = server.addr.port().to_string();
    let start = Instant::now();
    let out = run(
        LOADGEN,
        &["--port", &port, "-c", "2", "-d", "2", "-s", "16"],
        b"",
    );
    let took = start.elapsed();
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(6),
        "{took:?}"
    );
    assert!(out.stderr.contains("   1 s: "), "{out:?}");
    assert!(out.stdout.contains(" 0 errors"), "{out:?}");
    assert!(out.stdout.contains("latency     p50 "), "{out:?}");
}

#[test]
fn nothing_listening_is_a_connect_error_for_each_client() {
    let port = closed_port().to_string();
    let out = run(LOADGEN, &["--port", &port, "-c", "2", "-n", "3", "-q"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "loadgen: 2 request(s) failed (connect 2, io 0, wrong reply 0)\n"
    );
}

#[test]
fn a_target_beyond_loopback_is_refused_before_any_traffic() {
    let out = run(LOADGEN, &["--host", "192.0.2.1", "--port", "9"], b"");
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .starts_with("loadgen: 192.0.2.1:9 is not a loopback address"),
        "{out:?}"
    );
    assert_eq!(out.stdout, "");
}

#[test]
fn bad_arguments_are_one_line_and_exit_status_2() {
    for args in [
        &["-c", "0"][..],
        &["--duration", "0"][..],
        &["--size", "0"][..],
        &["--format", "xml"][..],
    ] {
        let out = run(LOADGEN, args, b"");
        assert_eq!(out.code(), Some(2), "{args:?}: {out:?}");
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {out:?}");
    }
}

#[test]
fn the_benchmark_script_writes_the_same_csv_header_as_loadgen() {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../book/src/part2/bench.sh"
    );
    let text = std::fs::read_to_string(script).unwrap();
    assert!(
        text.contains(&format!("echo \"{}\"", loadgen::Report::CSV_HEADER)),
        "bench.sh header differs"
    );
    let csv = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../book/src/part2/bench.csv"
    );
    let first = std::fs::read_to_string(csv).unwrap();
    assert_eq!(first.lines().next(), Some(loadgen::Report::CSV_HEADER));
    let http_script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../book/src/part5/http-bench.sh"
    );
    let text = std::fs::read_to_string(http_script).unwrap();
    assert!(
        text.contains(&format!("echo \"{}\"", loadgen::Report::CSV_HEADER)),
        "http-bench.sh header differs"
    );
}

#[test]
fn the_first_reply_includes_the_wait_for_a_busy_iterative_server() {
    let bin = sibling_binary(LOADGEN, "tcp_upper_server");
    let server = Server::start(&bin, &["--port", "0"]);
    let port = server.addr.port().to_string();
    // Someone else is being served: the iterative server will not read our bytes yet.
    let held = server.connect();
    let loading = std::thread::spawn(move || {
        run(
            LOADGEN,
            &["--port", &port, "-n", "3", "--format", "json", "-q"],
            b"",
        )
    });
    std::thread::sleep(Duration::from_millis(500));
    drop(held);
    let out = loading.join().unwrap();
    assert_eq!(out.code(), Some(0), "{out:?}");
    let json = out.stdout.trim();
    let first = &json[json.find("\"first_reply_us\"").expect(json)..];
    let waited = json_number(first, "p50");
    assert!(waited >= 400_000, "first reply after {waited} µs: {json}");
}

#[test]
fn with_a_connection_per_request_every_failed_request_counts() {
    let port = closed_port().to_string();
    let out = run(
        LOADGEN,
        &[
            "--port",
            &port,
            "-c",
            "2",
            "-n",
            "3",
            "-q",
            "--connect-per-request",
        ],
        b"",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "loadgen: 6 request(s) failed (connect 6, io 0, wrong reply 0)\n"
    );
}

/// A web server that answers every request on a connection with `response`; after
/// `per_connection` responses it closes. Serves `connections` connections, then stops.
fn scripted_http(
    response: &'static [u8],
    per_connection: usize,
    connections: usize,
) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for _ in 0..connections {
            let Ok((mut conn, _)) = listener.accept() else {
                return;
            };
            conn.set_read_timeout(Some(testkit::PATIENCE)).unwrap();
            let mut buf = Vec::new();
            let mut answered = 0;
            while answered < per_connection {
                let mut chunk = [0u8; 4096];
                match conn.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => buf.extend_from_slice(&chunk[..n]),
                }
                while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    buf.drain(..end + 4);
                    if conn.write_all(response).is_err() {
                        break;
                    }
                    answered += 1;
                }
            }
        }
    });
    addr
}

#[test]
fn http_mode_gets_a_real_web_server_and_checks_every_response() {
    let bin = sibling_binary(LOADGEN, "http_server");
    let server = Server::start(&bin, &["--port", "0"]);
    let port = server.addr.port().to_string();
    let out = run(
        LOADGEN,
        &[
            "--port",
            &port,
            "--http",
            "/style.css",
            "-c",
            "3",
            "-n",
            "40",
            "--format",
            "json",
            "-q",
        ],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let json = out.stdout.trim();
    assert_eq!(json_number(json, "ok"), 120, "{json}");
    assert_eq!(json_number(json, "total"), 0, "{json}");
    assert!(json.contains("\"mode\":\"http-keep-alive\""), "{json}");
    // The probe learned the length of the file, which is the size column.
    let css = std::fs::metadata(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../5-protocols/03-http-server/http_server/site/style.css"
    ))
    .unwrap();
    assert_eq!(json_number(json, "size"), css.len(), "{json}");
    // Keep-alive: one connection per client (and one for the probe), 40 requests on each.
    let log = server.wait_for_stderr_count("closed after 40 request(s)", 3);
    assert_eq!(
        log.matches("closed after 40 request(s)").count(),
        3,
        "{log}"
    );
    // A path that is not there: one clear line before any load.
    let out = run(
        LOADGEN,
        &["--port", &port, "--http", "/missing", "-n", "5"],
        b"",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("got status 404, not 200; check the path"),
        "{out:?}"
    );
}

#[test]
fn http_mode_counts_a_wrong_length_or_status_as_a_wrong_reply() {
    let short = scripted_http(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd", 100, 2);
    let port = short.port().to_string();
    let out = run(
        LOADGEN,
        &[
            "--port",
            &port,
            "--http",
            "/",
            "--expect-bytes",
            "5",
            "-n",
            "3",
            "-q",
        ],
        b"",
    );
    assert_eq!(out.code(), Some(1), "{out:?}");
    assert_eq!(
        out.stderr,
        "loadgen: 1 request(s) failed (connect 0, io 0, wrong reply 1)\n"
    );
    let chunked = scripted_http(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        100,
        1,
    );
    let port = chunked.port().to_string();
    let out = run(
        LOADGEN,
        &[
            "--port",
            &port,
            "--http",
            "/",
            "--expect-bytes",
            "0",
            "-n",
            "3",
            "-q",
        ],
        b"",
    );
    assert_eq!(
        out.stderr,
        "loadgen: 1 request(s) failed (connect 0, io 0, wrong reply 1)\n"
    );
}

#[test]
fn http_mode_opens_a_new_connection_after_connection_close() {
    // Every response says it is the last on its connection, and the server closes after
    // it: a client that tried the same connection again would get an io error.
    let response: &'static [u8] =
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    let addr = scripted_http(response, 1, 5);
    let port = addr.port().to_string();
    let out = run(
        LOADGEN,
        &[
            "--port",
            &port,
            "--http",
            "/",
            "--expect-bytes",
            "2",
            "-n",
            "5",
            "--format",
            "csv",
        ],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    let row: Vec<&str> = out.stdout.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(&row[4..6], ["5", "0"], "ok, errors: {out:?}");
}

#[test]
fn slowloris_holds_its_connections_and_replaces_the_ones_the_server_closes() {
    let bin = sibling_binary(LOADGEN, "http_server");
    let server = Server::start(&bin, &["--port", "0", "--timeout", "1"]);
    let port = server.addr.port().to_string();
    let slowloris = sibling_binary(LOADGEN, "slowloris");
    let out = run(
        &slowloris,
        &["--port", &port, "-c", "20", "--interval", "100", "-d", "4"],
        b"",
    );
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(out.stderr, "slowloris: 20 connections open\n");
    // The server closes every connection 1 s after it opened (the dribblers with 408),
    // and slowloris opens another in its place: in 4 s, at least one generation of 20
    // was closed and replaced, however busy the machine.
    let numbers: Vec<u64> = out
        .stdout
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    let [
        connections,
        seconds,
        opened,
        failed,
        closed,
        with_408,
        408,
        other,
        most,
        _,
    ] = numbers[..]
    else {
        panic!("{out:?}");
    };
    assert_eq!(
        (connections, seconds, failed, other, most),
        (20, 4, 0, 0, 20),
        "{out:?}"
    );
    assert!(
        closed >= 20 && opened >= closed && opened <= 20 + closed,
        "{out:?}"
    );
    // Half of them dribble, and only those get a 408.
    assert!(with_408 >= 10 && with_408 < closed, "{out:?}");
    let refused = run(&slowloris, &["--host", "192.0.2.1", "--port", "80"], b"");
    assert_eq!(refused.code(), Some(1), "{refused:?}");
}

/// bench.sh as a user runs it, up to its first step (a `cargo` that fails stands in for
/// the build): it names where the results go, the folder given, or by default one outside
/// the book, whose bench.csv records the run the chapter shows.
#[test]
fn the_benchmark_script_writes_where_it_is_told_and_never_into_the_book_by_default() {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../book/src/part2/bench.sh"
    );
    let book =
        std::fs::canonicalize(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../book")).unwrap();
    let scratch = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("bench-{}", std::process::id()));
    let stubs = scratch.join("stubs");
    std::fs::create_dir_all(&stubs).unwrap();
    let cargo = stubs.join("cargo");
    std::fs::write(&cargo, "#!/bin/sh\nexit 3\n").unwrap();
    let mut perms = std::fs::metadata(&cargo).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&cargo, perms).unwrap();
    let path = format!("{}:{}", stubs.display(), std::env::var("PATH").unwrap());
    let first_line = |args: &[&str]| {
        let mut command = std::process::Command::new("bash");
        command.arg(script).args(args).env("PATH", &path);
        let out = testkit::run_command(command, b"");
        assert_ne!(out.code(), Some(0), "the stub build must stop it: {out:?}");
        out.stderr.lines().next().unwrap_or_default().to_owned()
    };
    let named = scratch.join("results");
    let line = first_line(&[named.to_str().unwrap()]);
    let expected = std::fs::canonicalize(&named).unwrap().join("bench.csv");
    assert_eq!(
        line,
        format!("bench.sh: the results go to {}", expected.display())
    );
    let line = first_line(&[]);
    let default = line
        .strip_prefix("bench.sh: the results go to ")
        .unwrap_or_else(|| panic!("{line:?}"));
    assert!(default.ends_with("/target/bench/bench.csv"), "{default}");
    assert!(!default.starts_with(book.to_str().unwrap()), "{default}");
}
