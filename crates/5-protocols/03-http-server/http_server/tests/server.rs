//! http_server as a black box: curl, raw requests typed as nc would send them, a browser.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use testkit::{PATIENCE, Server, read_to_close, require_tool, run, run_command};

#[test]
fn curl_gets_the_start_page_byte_for_byte() {
    let server = start(&[]);
    let out = curl(&["--include", &url(&server, "/")]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    let page = fs::read_to_string(site().join("index.html")).unwrap();
    assert_eq!(status_line(&out.stdout), "HTTP/1.1 200 OK");
    assert_eq!(
        header(&out.stdout, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(
        header(&out.stdout, "content-length"),
        Some(&*page.len().to_string())
    );
    assert_eq!(body(&out.stdout), page);
    let svg = curl(&[&url(&server, "/images/socket.svg")]);
    assert_eq!(
        svg.stdout,
        fs::read_to_string(site().join("images/socket.svg")).unwrap()
    );
}

#[test]
fn head_sends_the_headers_of_get_and_no_body() {
    let server = start(&[]);
    let response = raw(&server, b"HEAD /style.css HTTP/1.0\r\n\r\n");
    let css = fs::read(site().join("style.css")).unwrap();
    assert_eq!(status_line(&response), "HTTP/1.1 200 OK");
    assert_eq!(
        header(&response, "content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(
        header(&response, "content-length"),
        Some(&*css.len().to_string())
    );
    assert_eq!(body(&response), "");
    let out = curl(&["--head", &url(&server, "/style.css")]);
    assert!(out.stdout.starts_with("HTTP/1.1 200 OK\r\n"), "{out:?}");
}

#[test]
fn a_missing_file_is_404_with_a_page() {
    let server = start(&[]);
    let out = curl(&[
        "--write-out",
        "\n%{http_code}",
        &url(&server, "/missing.html"),
    ]);
    assert!(out.stdout.ends_with("\n404"), "{out:?}");
    assert!(out.stdout.contains("<h1>404 Not Found</h1>"), "{out:?}");
}

#[test]
fn a_folder_without_its_slash_is_a_301_that_curl_can_follow() {
    let server = start(&[]);
    let response = raw(&server, b"GET /docs HTTP/1.0\r\n\r\n");
    assert_eq!(status_line(&response), "HTTP/1.1 301 Moved Permanently");
    assert_eq!(header(&response, "location"), Some("/docs/"));
    let out = curl(&["--location", &url(&server, "/docs")]);
    assert_eq!(
        out.stdout,
        fs::read_to_string(site().join("docs/index.html")).unwrap()
    );
}

#[test]
fn a_redirect_never_leaves_the_server() {
    // A browser reads `Location: //docs/` as the host `docs`: the extra slashes must go.
    let server = start(&[]);
    for target in ["//docs", "///docs", "//docs/."] {
        let response = raw(&server, format!("GET {target} HTTP/1.0\r\n\r\n").as_bytes());
        assert_eq!(status_line(&response), "HTTP/1.1 301 Moved Permanently");
        let location = header(&response, "location").unwrap_or_default();
        assert!(location.starts_with("/docs/"), "{target}: {location}");
    }
}

#[test]
fn a_body_on_any_request_is_read_and_never_taken_for_the_next_request() {
    // The body below looks like a request. Were it taken for one, a proxy in front (which
    // sees one request with a body) and this server would disagree about what was asked.
    let server = start(&[]);
    let hidden = "GET /app.js HTTP/1.1\r\nHost: x\r\n\r\n";
    for method in ["GET", "HEAD", "DELETE", "PUT"] {
        let response = raw(
            &server,
            format!(
                "{method} /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{hidden}\
                 GET /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                hidden.len()
            )
            .as_bytes(),
        );
        let statuses: Vec<&str> = response
            .lines()
            .filter(|l| l.starts_with("HTTP/1.1 "))
            .collect();
        assert_eq!(statuses.len(), 2, "{method}: {response}");
        assert!(
            !response.contains("text/javascript"),
            "{method}: the body was served as a request: {response}"
        );
        assert!(response.contains("text/css"), "{method}: {response}");
    }
    // A body framed by chunks is read and dropped the same way.
    let response = raw(
        &server,
        format!(
            "GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{hidden}\r\n0\r\n\r\n\
             GET /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            hidden.len()
        )
        .as_bytes(),
    );
    let statuses: Vec<&str> = response
        .lines()
        .filter(|l| l.starts_with("HTTP/1.1 "))
        .collect();
    assert_eq!(
        statuses,
        ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"],
        "{response}"
    );
    assert!(!response.contains("text/javascript"), "{response}");
    assert!(response.contains("text/css"), "{response}");
}

#[test]
fn the_form_from_the_notes_is_decoded_and_echoed_in_chunks() {
    let server = start(&[]);
    let out = curl(&[
        "-X",
        "POST",
        &url(&server, "/form"),
        "-d",
        "title=whatever",
        "-d",
        "date=1421044443",
        "--data-urlencode",
        "body=beep boop!\n",
    ]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "You sent 3 field(s):\ntitle = \"whatever\"\ndate = \"1421044443\"\nbody = \"beep boop!\\n\"\n"
    );
    // On the wire: chunked, one chunk per line, as the node server in the notes answers.
    let body = b"title=whatever&x=%C3%A9t%C3%A9+2";
    let request = format!(
        "POST /form HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let response = raw(&server, &[request.as_bytes(), body].concat());
    assert_eq!(header(&response, "transfer-encoding"), Some("chunked"));
    assert!(
        response.ends_with(
            "\r\n\r\n15\r\nYou sent 2 field(s):\n\r\n13\r\ntitle = \"whatever\"\n\r\ne\r\nx = \"été 2\"\n\r\n0\r\n\r\n"
        ),
        "{response:?}"
    );
}

#[test]
fn an_http_1_0_form_post_gets_a_body_that_ends_with_the_connection() {
    let server = start(&[]);
    let response = raw(
        &server,
        b"POST /form HTTP/1.0\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 3\r\n\r\na=b",
    );
    assert_eq!(header(&response, "transfer-encoding"), None);
    assert_eq!(header(&response, "content-length"), None);
    assert_eq!(header(&response, "connection"), Some("close"));
    assert_eq!(body(&response), "You sent 1 field(s):\na = \"b\"\n");
}

#[test]
fn other_methods_get_405_with_allow() {
    let server = start(&[]);
    let out = curl(&["--include", "-X", "DELETE", &url(&server, "/index.html")]);
    assert!(
        out.stdout
            .starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
        "{out:?}"
    );
    assert_eq!(header(&out.stdout, "allow"), Some("GET, HEAD"));
    let out = curl(&["--include", &url(&server, "/form")]);
    assert!(out.stdout.starts_with("HTTP/1.1 405 "), "{out:?}");
    assert_eq!(header(&out.stdout, "allow"), Some("POST"));
    let out = curl(&["--include", "-d", "a=b", &url(&server, "/index.html")]);
    assert_eq!(header(&out.stdout, "allow"), Some("GET, HEAD"));
}

#[test]
fn bad_form_posts_get_the_matching_status() {
    let server = start(&["--max-body", "100"]);
    let post = |extra: &str, body: &str| {
        raw(
            &server,
            format!("POST /form HTTP/1.1\r\nHost: x\r\n{extra}\r\n{body}").as_bytes(),
        )
    };
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let cases = [
        (post(form, ""), "411 Length Required"),
        (
            post(&format!("{form}Content-Length: 101\r\n"), ""),
            "413 Content Too Large",
        ),
        (
            post("Content-Type: text/plain\r\nContent-Length: 3\r\n", "a=b"),
            "415 Unsupported Media Type",
        ),
        (
            post(&format!("{form}Content-Length: 3\r\n"), "a=%"),
            "400 Bad Request",
        ),
        (
            post(
                &format!("{form}Transfer-Encoding: chunked\r\n"),
                "3\r\na=b\r\n65\r\n",
            ),
            "413 Content Too Large",
        ),
        (
            post(
                &format!("{form}Transfer-Encoding: chunked\r\n"),
                "3\r\na=bc\r\n0\r\n\r\n",
            ),
            "400 Bad Request",
        ),
        (
            post(
                &format!("{form}Transfer-Encoding: gzip, chunked\r\n"),
                "0\r\n\r\n",
            ),
            "501 Not Implemented",
        ),
        (
            post(
                &format!("{form}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n"),
                "a=b",
            ),
            "400 Bad Request",
        ),
    ];
    for (response, expected) in cases {
        assert_eq!(
            status_line(&response),
            format!("HTTP/1.1 {expected}"),
            "{response}"
        );
    }
}

#[test]
fn malformed_requests_get_400_and_other_versions_505() {
    let server = start(&[]);
    for garbage in [
        &b"hello\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\n\r\n", // no Host
        b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost x\r\n\r\n",
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", // TLS spoken to plain HTTP
        b"GET /%zz HTTP/1.0\r\n\r\n",
    ] {
        let response = raw(&server, garbage);
        assert_eq!(
            status_line(&response),
            "HTTP/1.1 400 Bad Request",
            "{garbage:?}"
        );
        assert_eq!(header(&response, "connection"), Some("close"));
    }
    let response = raw(&server, b"GET / HTTP/2.0\r\n\r\n");
    assert_eq!(
        status_line(&response),
        "HTTP/1.1 505 HTTP Version Not Supported"
    );
}

#[test]
fn heads_over_the_limit_get_414_or_431() {
    let server = start(&["--max-head", "1024"]);
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(2000));
    assert_eq!(
        status_line(&raw(&server, long_target.as_bytes())),
        "HTTP/1.1 414 URI Too Long"
    );
    let many_headers = format!(
        "GET / HTTP/1.1\r\nHost: x\r\n{}\r\n",
        "X-Filler: 0123456789\r\n".repeat(100)
    );
    assert_eq!(
        status_line(&raw(&server, many_headers.as_bytes())),
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
    // An endless header block never reaches the end: the server answers at the limit
    // instead of reading forever.
    let mut conn = server.connect();
    conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let filler = [b'a'; 4096];
    let _ = conn.write_all(&filler); // the server may close while we write
    let mut response = String::new();
    let _ = conn.read_to_string(&mut response);
    assert_eq!(
        status_line(&response),
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
}

#[test]
fn a_client_that_stalls_half_way_gets_408_and_a_silent_one_is_closed() {
    let server = start(&["--timeout", "0.5"]);
    let mut conn = server.connect();
    conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let started = Instant::now();
    let response = String::from_utf8_lossy(&read_to_close(&mut conn)).into_owned();
    assert_eq!(status_line(&response), "HTTP/1.1 408 Request Timeout");
    assert!(started.elapsed() >= Duration::from_millis(400));

    // A body that never comes is a stall too.
    let mut conn = server.connect();
    conn.write_all(b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        .unwrap();
    let response = String::from_utf8_lossy(&read_to_close(&mut conn)).into_owned();
    assert_eq!(status_line(&response), "HTTP/1.1 408 Request Timeout");

    // Saying nothing at all: closed without a response.
    let mut silent = server.connect();
    assert_eq!(read_to_close(&mut silent), b"");
}

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let server = start(&[]);
    let mut conn = server.connect();
    // Two requests sent at once (pipelined), then a third that asks to close.
    conn.write_all(b"GET /app.js HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    conn.write_all(b"GET /missing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let all = String::from_utf8_lossy(&read_to_close(&mut conn)).into_owned();
    let statuses: Vec<&str> = all.lines().filter(|l| l.starts_with("HTTP/1.1 ")).collect();
    assert_eq!(
        statuses,
        [
            "HTTP/1.1 200 OK",
            "HTTP/1.1 200 OK",
            "HTTP/1.1 404 Not Found"
        ],
        "{all}"
    );

    // curl reuses the connection for a second URL on the same server.
    let out = curl(&[
        "--verbose",
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
        &url(&server, "/"),
        &url(&server, "/style.css"),
    ]);
    assert!(
        out.stderr.contains("Re-using existing") || out.stderr.contains("Reusing existing"),
        "{}",
        out.stderr
    );
    let log = server.wait_for_stderr("closed after 2 request(s)");
    assert!(log.contains("closed after 2 request(s)"), "{log}");
}

#[test]
fn an_http_1_0_client_gets_the_connection_closed_after_one_response() {
    let server = start(&[]);
    let nc = require_tool("nc");
    // Typed into nc: bare newlines, no Host header (HTTP/1.0 does not need one).
    let out = run(
        nc.to_str().unwrap(),
        &["127.0.0.1", &server.addr.port().to_string()],
        b"GET / HTTP/1.0\n\n",
    );
    assert!(out.stdout.starts_with("HTTP/1.1 200 OK\r\n"), "{out:?}");
    assert_eq!(header(&out.stdout, "connection"), Some("close"));
    assert!(out.stdout.ends_with("</html>\n"), "{out:?}");
}

#[test]
fn no_request_can_leave_the_root() {
    let root = TempDir::new("root");
    let outside = TempDir::new("outside");
    fs::write(outside.0.join("secret.txt"), "do not serve me").unwrap();
    fs::write(root.0.join("inside.txt"), "inside").unwrap();
    std::os::unix::fs::symlink(outside.0.join("secret.txt"), root.0.join("leak.txt")).unwrap();
    std::os::unix::fs::symlink(&outside.0, root.0.join("leakdir")).unwrap();
    std::os::unix::fs::symlink(root.0.join("inside.txt"), root.0.join("alias.txt")).unwrap();
    let server = start(&["--root", root.0.to_str().unwrap()]);
    let get = |path: &str| raw(&server, format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes());

    assert_eq!(body(&get("/inside.txt")), "inside");
    assert_eq!(
        body(&get("/alias.txt")),
        "inside",
        "a symlink that stays inside is fine"
    );
    let outside_name = outside.0.file_name().unwrap().to_str().unwrap();
    for escape in [
        "/leak.txt".to_owned(),
        "/leakdir/secret.txt".to_owned(),
        format!("/../{outside_name}/secret.txt"),
        format!("/%2e%2e/{outside_name}/secret.txt"),
        format!("/%2E%2e%2F{outside_name}%2Fsecret.txt"),
        format!("/inside.txt/../../{outside_name}/secret.txt"),
    ] {
        let response = get(&escape);
        assert_eq!(status_line(&response), "HTTP/1.1 403 Forbidden", "{escape}");
        assert!(!response.contains("do not serve me"), "{escape}");
    }
    // curl itself squashes `..` unless told not to: --path-as-is sends it as typed.
    let out = curl(&[
        "--path-as-is",
        "--write-out",
        "%{http_code}",
        "-o",
        "/dev/null",
        &url(&server, &format!("/../{outside_name}/secret.txt")),
    ]);
    assert_eq!(out.stdout, "403");
}

#[test]
fn when_all_slots_are_busy_the_next_client_waits_its_turn() {
    let server = start(&["--max-connections", "1"]);
    let first = server.connect(); // takes the only slot and says nothing
    let mut second = server.connect();
    second.write_all(b"GET /app.js HTTP/1.0\r\n\r\n").unwrap();
    second
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut byte = [0u8; 1];
    assert!(
        second.read(&mut byte).is_err(),
        "the second client was served while the slot was busy"
    );
    drop(first);
    second.set_read_timeout(Some(PATIENCE)).unwrap();
    let response = String::from_utf8_lossy(&read_to_close(&mut second)).into_owned();
    assert!(response.starts_with("HTTP/1.1 200 OK"), "{response}");
}

#[test]
fn resets_and_garbage_do_not_stop_the_server() {
    let server = start(&[]);
    for seed in 0..20 {
        let conn = server.connect();
        let _ = (&conn).write_all(&testkit::noise(3000, seed));
        testkit::reset(conn);
    }
    let response = raw(&server, b"GET /app.js HTTP/1.0\r\n\r\n");
    assert_eq!(status_line(&response), "HTTP/1.1 200 OK");
}

#[test]
fn ipv6_works_too() {
    let server = Server::start(SERVER, &["--host", "::1", "--port", "0"]);
    assert!(server.addr.is_ipv6());
    let out = curl(&[
        "--write-out",
        "%{http_code}",
        "-o",
        "/dev/null",
        &format!("http://[::1]:{}/", server.addr.port()),
    ]);
    assert_eq!(out.stdout, "200");
}

#[test]
fn bad_command_lines_are_one_line_errors() {
    let out = run(
        SERVER,
        &["--root", "/nonexistent/folder", "--port", "0"],
        b"",
    );
    assert_eq!(out.code(), Some(1));
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    assert!(out.stderr.contains("pass --root FOLDER"), "{out:?}");
    let out = run(SERVER, &["--timeout", "-1", "--port", "0"], b"");
    assert_eq!(out.code(), Some(2), "{out:?}");
}

/// The one browser check: headless Chromium loads the default site, fetches the style
/// sheet, the image and the script from our server, and runs the script.
#[test]
fn a_real_browser_renders_the_default_site() {
    let chromium = require_tool("chromium");
    let server = start(&[]);
    let profile = TempDir::new("chromium-profile");
    let mut command = Command::new(chromium);
    command.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        &format!("--user-data-dir={}", profile.0.display()),
        "--dump-dom",
        &url(&server, "/"),
    ]);
    let out = run_command(command, b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(out.stdout.contains("<h1>It works!</h1>"), "{}", out.stdout);
    // Only a browser that fetched /app.js from us and ran it shows this sentence.
    assert!(
        out.stdout
            .contains("The script /app.js was fetched from the same server and ran."),
        "{}",
        out.stdout
    );
    let log = server.wait_for_stderr("\"GET /app.js HTTP/1.1\" 200");
    for path in ["/style.css", "/images/socket.svg", "/app.js"] {
        assert!(
            log.contains(&format!("\"GET {path} HTTP/1.1\" 200")),
            "{path} not fetched:\n{log}"
        );
    }
}

#[test]
fn sigterm_finishes_the_request_in_progress_then_exits_0() {
    let mut server = start(&[]);
    // Two keep-alive clients, each served once (so both are surely accepted); then one
    // stays idle and the other sends half of its next request.
    let head_request = b"HEAD /app.js HTTP/1.1\r\nHost: x\r\n\r\n";
    let mut idle = server.connect();
    let mut half = server.connect();
    for conn in [&mut idle, &mut half] {
        conn.write_all(head_request).unwrap();
        let mut response = Vec::new();
        let mut byte = [0u8; 1];
        while !response.ends_with(b"\r\n\r\n") {
            conn.read_exact(&mut byte).unwrap();
            response.push(byte[0]);
        }
    }
    half.write_all(b"GET /app.js HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    server.signal(libc::SIGTERM);
    // The idle connection is closed without a response...
    assert_eq!(read_to_close(&mut idle), b"");
    // ...and the request in progress is answered, with Connection: close.
    half.write_all(b"\r\n").unwrap();
    let response = String::from_utf8_lossy(&read_to_close(&mut half)).into_owned();
    assert_eq!(status_line(&response), "HTTP/1.1 200 OK");
    assert_eq!(header(&response, "connection"), Some("close"));
    assert!(server.wait_for_exit().success());
    let log = server.wait_for_stderr("stopped");
    assert!(
        log.contains("SIGTERM: stopping; finishing the requests in progress"),
        "{log}"
    );
    assert!(log.trim_end().ends_with("stopped"), "{log}");
}

#[test]
fn a_client_that_never_reads_its_response_is_dropped_and_frees_its_slot() {
    let root = TempDir::new("big");
    fs::write(root.0.join("big.bin"), vec![b'x'; 32 << 20]).unwrap();
    let server = start(&[
        "--root",
        root.0.to_str().unwrap(),
        "--timeout",
        "0.5",
        "--max-connections",
        "1",
    ]);
    // Asks for 32 MiB and reads none of it: the server's sends block once the socket
    // buffers are full, until the write timeout.
    let mut stalled = server.connect();
    socket2::SockRef::from(&stalled)
        .set_recv_buffer_size(4096)
        .unwrap();
    stalled
        .write_all(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // The only slot is taken until then; afterwards the next client is served.
    let response = raw(&server, b"HEAD /big.bin HTTP/1.0\r\n\r\n");
    assert_eq!(status_line(&response), "HTTP/1.1 200 OK");
    let log = server.wait_for_stderr("dropped");
    assert!(log.contains("dropped"), "{log}");
    drop(stalled);
}

#[test]
fn running_out_of_file_descriptors_pauses_accepting_and_recovers() {
    // A shell lowers the limit on open files, then becomes the server.
    let mut command = Command::new("sh");
    command.args([
        "-c",
        "ulimit -n 20 && exec \"$0\" --port 0 --timeout 30",
        SERVER,
    ]);
    let server = Server::spawn(command);
    // Far more connections than descriptors: the kernel queues them, accept fails (EMFILE).
    let crowd: Vec<_> = (0..30).map(|_| server.connect()).collect();
    server.wait_for_stderr("Too many open files");
    drop(crowd);
    // Once descriptors are free again, the server serves as before. (While the threads of
    // the crowd are still closing, opening the file may fail: that is a 503, and the
    // next try works.)
    let deadline = Instant::now() + PATIENCE;
    loop {
        let response = raw(&server, b"GET /app.js HTTP/1.0\r\n\r\n");
        match status_line(&response) {
            "HTTP/1.1 200 OK" => break,
            "HTTP/1.1 503 Service Unavailable" if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20))
            }
            other => panic!("{other}: {}", server.stderr_so_far()),
        }
    }
    let log = server.wait_for_stderr("\"GET /app.js HTTP/1.0\" 200");
    // Said once per shortage (the queue drains in waves, so there may be a few; and at
    // the limit accept() fails before it even looks at the queue), never once per failed
    // accept, which would be thousands of lines.
    let shortages = log.matches("accept failed").count();
    assert!((1..10).contains(&shortages), "{shortages} shortages: {log}");
    assert!(log.contains("accepting connections again"), "{log}");
}

#[test]
fn a_client_that_expects_100_continue_gets_it_before_sending_the_body() {
    let server = start(&["--max-body", "5000"]);
    let body = format!("big={}", "x".repeat(2000));
    let mut conn = server.connect();
    let head = format!(
        "POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).unwrap();
    let mut interim = [0u8; 25];
    conn.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    conn.write_all(body.as_bytes()).unwrap();
    let response = String::from_utf8_lossy(&read_to_close(&mut conn)).into_owned();
    assert_eq!(status_line(&response), "HTTP/1.1 200 OK");
    assert!(response.contains("You sent 1 field(s):"), "{response}");
    // Too large: refused at once, without the go-ahead.
    let too_big = raw(
        &server,
        b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 9000\r\nExpect: 100-continue\r\n\r\n",
    );
    assert_eq!(status_line(&too_big), "HTTP/1.1 413 Content Too Large");
    // A client may send its body without waiting for the go-ahead; once part of it is
    // here, no 100 Continue is sent (RFC 9110 §10.1.1), however the chunks come.
    let mut conn = server.connect();
    conn.write_all(
        b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
          Transfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n\
          3\r\na=b\r\n",
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    conn.write_all(b"0\r\n\r\n").unwrap();
    let response = String::from_utf8_lossy(&read_to_close(&mut conn)).into_owned();
    assert_eq!(status_line(&response), "HTTP/1.1 200 OK", "{response}");
    // And curl, which sends Expect for a body this size, is answered.
    let out = curl(&["--data", &body, &url(&server, "/form")]);
    assert!(out.stdout.starts_with("You sent 1 field(s):"), "{out:?}");
}
