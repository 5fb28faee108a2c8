//! The proxy as a proxy: what it forwards and what not, what it says when it cannot, its
//! reverse mode, a real browser, bad clients and bad origins, and its shutdown.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;

use common::{TempFile, curl, http_server, origin, proxy, raw, through};
use testkit::{closed_port, require_tool, run_command};

#[test]
fn hop_by_hop_fields_stay_on_their_hop_and_via_is_added() {
    let origin = origin();
    let proxy = proxy(&[]);
    let echoed = through(
        &proxy,
        &origin.url("/echo"),
        &[
            "-H",
            "Connection: X-Secret",
            "-H",
            "X-Secret: for this hop only",
            "-H",
            "Keep-Alive: timeout=300",
            "-H",
            "Proxy-Connection: keep-alive",
            "-H",
            "X-Kept: end to end",
        ],
    );
    // What the origin received, one field per line.
    let seen = echoed.body.to_ascii_lowercase();
    for gone in ["x-secret", "keep-alive", "proxy-connection"] {
        assert!(
            !seen.contains(gone),
            "{gone} reached the origin:\n{}",
            echoed.body
        );
    }
    assert!(seen.contains("x-kept: end to end"), "{}", echoed.body);
    assert!(seen.contains("connection: close"), "{}", echoed.body);
    assert!(
        seen.contains(&format!("host: {}", origin.server.addr)),
        "{}",
        echoed.body
    );
    assert!(
        seen.contains(&format!("via: 1.1 {} (web_proxy)", proxy.addr)),
        "{}",
        echoed.body
    );
}

#[test]
fn a_malformed_request_gets_400_and_the_next_client_is_served() {
    let origin = origin();
    let proxy = proxy(&[]);
    let cases: [(&[u8], &str); 5] = [
        (b"GARBAGE\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"),
        (
            b"GET http://x/ HTTP/1.1\r\nNo colon here\r\n\r\n",
            "HTTP/1.1 400 Bad Request\r\n",
        ),
        (
            b"GET /relative HTTP/1.1\r\nHost: x\r\n\r\n",
            "HTTP/1.1 400 Bad Request\r\n",
        ),
        (
            b"GET http://x/ HTTP/2.0\r\n\r\n",
            "HTTP/1.1 505 HTTP Version Not Supported\r\n",
        ),
        (
            b"GET http://x/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
            "HTTP/1.1 400 Bad Request\r\n",
        ),
    ];
    for (request, status) in cases {
        let answer = String::from_utf8_lossy(&raw(&proxy, request)).into_owned();
        assert!(answer.starts_with(status), "{request:?} got {answer:?}");
    }
    // A header line longer than the bound (8 KiB) is refused with 431 as soon as the
    // bound is passed: the proxy keeps no more of it.
    let mut huge = b"GET http://x/ HTTP/1.1\r\nX-Long: ".to_vec();
    huge.extend(std::iter::repeat_n(b'a', 40_000));
    let answer = String::from_utf8_lossy(&raw(&proxy, &huge)).into_owned();
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer:?}");
    // One log line each.
    let log = proxy.wait_for_stderr_count("\" 400 ", 4);
    assert!(log.contains("\"GARBAGE\" 400 a bad request line"), "{log}");
    assert!(log.contains("this is a forward proxy"), "{log}");
    // And the proxy goes on serving.
    let ok = through(&proxy, &origin.url("/after?cc=max-age=60"), &[]);
    assert!(ok.status().contains(" 200 "), "{}", ok.head);
}

#[test]
fn an_unreachable_or_broken_origin_gets_502_and_the_proxy_goes_on() {
    let origin = origin();
    let proxy = proxy(&[]);
    let refused = through(
        &proxy,
        &format!("http://127.0.0.1:{}/x", closed_port()),
        &[],
    );
    assert!(
        refused.status().starts_with("HTTP/1.1 502 Bad Gateway"),
        "{}",
        refused.head
    );
    assert!(
        refused.body.contains("refused the connection"),
        "{}",
        refused.body
    );
    let garbage = through(&proxy, &origin.url("/garbage"), &[]);
    assert!(
        garbage.status().starts_with("HTTP/1.1 502 "),
        "{}",
        garbage.head
    );
    assert!(
        garbage.body.contains("malformed response"),
        "{}",
        garbage.body
    );
    // An origin that promises 1000 bytes and sends 10: the head has gone to the client,
    // so the proxy can only cut the connection; curl sees a partial transfer.
    let via = format!("http://{}", proxy.addr);
    let truncated = curl(&["-x", &via, "-o", "/dev/null", &origin.url("/truncated")]);
    assert_eq!(
        truncated.code(),
        Some(18),
        "curl: (18) partial file: {truncated:?}"
    );
    let log = proxy.wait_for_stderr("origin broke off");
    assert_eq!(log.matches("\" 502 ").count(), 2, "{log}");
    // Nothing of it was stored, and other clients are served.
    let again = curl(&["-x", &via, "-o", "/dev/null", &origin.url("/truncated")]);
    assert_eq!(again.code(), Some(18));
    let ok = through(&proxy, &origin.url("/fine?cc=max-age=60"), &[]);
    assert!(ok.status().contains(" 200 "));
    assert!(!log.contains("cache: stored"), "{log}");
}

#[test]
fn connect_and_https_get_501() {
    let proxy = proxy(&[]);
    let via = format!("http://{}", proxy.addr);
    // curl asks for a tunnel (CONNECT) to reach an https:// URL through a proxy.
    let out = curl(&["-x", &via, "https://example.invalid/"]);
    assert_ne!(out.code(), Some(0));
    assert!(out.stderr.contains("501"), "{out:?}");
    let answer = raw(
        &proxy,
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    );
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(
        answer.starts_with("HTTP/1.1 501 Not Implemented\r\n"),
        "{answer}"
    );
    assert!(
        answer.contains("no TLS") || answer.contains("plain HTTP"),
        "{answer}"
    );
    let answer = raw(
        &proxy,
        b"GET https://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n",
    );
    assert!(answer.starts_with(b"HTTP/1.1 501 "));
    proxy.wait_for_stderr("\"CONNECT example.com:443 HTTP/1.1\" 501");
}

#[test]
fn a_request_that_loops_back_into_the_proxy_is_stopped_with_508() {
    let proxy = proxy(&[]);
    // The proxy forwards to itself once; the second time it finds its own Via.
    let looped = through(&proxy, &format!("http://{}/", proxy.addr), &[]);
    assert!(
        looped.status().starts_with("HTTP/1.1 508 Loop Detected"),
        "{}",
        looped.head
    );
}

#[test]
fn reverse_mode_serves_plain_curl_from_one_origin() {
    let server = http_server();
    let proxy = proxy(&["--reverse", &format!("http://{}", server.addr)]);
    let url = format!("http://{}/style.css", proxy.addr);
    let direct = curl(&[&format!("http://{}/style.css", server.addr)]);
    let first = common::split(&curl(&["-i", &url]).stdout);
    let second = common::split(&curl(&["-i", &url]).stdout);
    assert_eq!(first.x_cache(), "MISS");
    assert_eq!(second.x_cache(), "REVALIDATED");
    assert_eq!(second.body, direct.stdout);
    // A URL naming another host changes nothing: a reverse proxy forwards to its origin.
    let answer = raw(&proxy, b"GET http://example.invalid/style.css HTTP/1.1\r\nHost: example.invalid\r\nConnection: close\r\n\r\n");
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.ends_with(&direct.stdout), "{answer}");

    // In front of an origin that allows caching, the edge answers alone.
    let origin = origin();
    let edge = common::proxy(&["--reverse", &origin.server.addr.to_string()]);
    let url = format!("http://{}/page?cc=public,max-age=300", edge.addr);
    for expected in ["MISS", "HIT", "HIT"] {
        assert_eq!(
            common::split(&curl(&["-i", &url]).stdout).x_cache(),
            expected
        );
    }
    assert_eq!(origin.requests("/page?cc=public,max-age=300"), 1);
}

#[test]
fn a_headless_browser_loads_the_site_through_the_proxy() {
    let chromium = require_tool("chromium");
    let server = http_server();
    let proxy = proxy(&[]);
    let profile = TempFile::new("chromium-profile");
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
        &format!("--user-data-dir={}", profile.path()),
        &format!("--proxy-server=http://{}", proxy.addr),
        // Chromium never proxies loopback addresses unless told to.
        "--proxy-bypass-list=<-loopback>",
        "--dump-dom",
        &format!("http://{}/", server.addr),
    ]);
    let out = run_command(command, b"");
    let _ = std::fs::remove_dir_all(&profile.0);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(out.stdout.contains("<h1>It works!</h1>"), "{}", out.stdout);
    // Only a browser that fetched /app.js (through us) and ran it shows this sentence.
    assert!(
        out.stdout
            .contains("The script /app.js was fetched from the same server and ran."),
        "{}",
        out.stdout
    );
    let log = proxy.wait_for_stderr(&format!(
        "\"GET http://{}/app.js HTTP/1.1\" 200 MISS",
        server.addr
    ));
    for path in ["/", "/style.css", "/images/socket.svg"] {
        let line = format!("\"GET http://{}{path} HTTP/1.1\" 200 MISS", server.addr);
        assert!(
            log.contains(&line),
            "{path} not fetched through the proxy:\n{log}"
        );
    }
}

#[test]
fn more_clients_than_allowed_get_503() {
    let proxy = proxy(&["--max-clients", "1"]);
    // Connected and silent: the proxy accepts connections in order, so this one has the
    // one place (a thread waiting for its request) when the next one comes.
    let _first = proxy.connect();
    let busy = raw(&proxy, b"GET http://example.invalid/ HTTP/1.1\r\n\r\n");
    assert!(
        busy.starts_with(b"HTTP/1.1 503 Service Unavailable"),
        "{}",
        String::from_utf8_lossy(&busy)
    );
}

#[test]
fn sigterm_wakes_idle_clients_and_exits_0() {
    let origin = origin();
    let mut proxy = proxy(&[]);
    let mut idle = proxy.connect();
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: x\r\n\r\n",
        origin.url("/k?cc=max-age=60")
    );
    idle.write_all(request.as_bytes()).unwrap();
    let mut head = [0u8; 15];
    idle.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 200 OK");
    proxy.signal(libc::SIGTERM);
    assert_eq!(
        proxy.wait_for_exit().code(),
        Some(0),
        "{}",
        proxy.stderr_so_far()
    );
    // The kept-alive connection was closed: the rest of the response, then the end.
    let mut rest = Vec::new();
    idle.read_to_end(&mut rest).unwrap();
    assert!(String::from_utf8_lossy(&rest).ends_with("version 1\n"));
}

#[test]
fn a_port_in_use_is_one_line_and_status_1() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    testkit::assert_port_in_use_error(common::PROXY, taken.local_addr().unwrap().port(), &[]);
    let out = testkit::run(common::PROXY, &["--reverse", "https://example.com"], b"");
    assert_eq!(out.code(), Some(1));
    assert_eq!(
        out.stderr,
        "web_proxy: --reverse https://example.com: https:// is not supported (no TLS here); give an http:// origin\n"
    );
}

#[test]
fn garbage_and_resets_from_many_clients_cost_those_clients_only() {
    let origin = origin();
    let proxy = proxy(&[]);
    let rude: Vec<_> = (0..20u64)
        .map(|seed| {
            let mut conn = proxy.connect();
            let mut bytes = b"GET http://".to_vec();
            bytes.extend(testkit::noise(3000 + seed as usize * 100, seed));
            let _ = conn.write_all(&bytes);
            conn
        })
        .collect();
    for conn in rude {
        testkit::reset(conn);
    }
    for _ in 0..3 {
        let ok = through(&proxy, &origin.url("/still?cc=max-age=60"), &[]);
        assert!(ok.status().contains(" 200 "), "{}", ok.head);
    }
}

#[test]
fn a_stalled_client_is_dropped_at_the_timeout_and_holds_up_no_one() {
    let origin = origin();
    let proxy = proxy(&["--timeout", "1"]);
    let mut stalled = proxy.connect();
    stalled
        .write_all(b"GET http://example.invalid/ HTTP/1.1\r\nHost: exam")
        .unwrap();
    // Meanwhile, another client is served at once (a thread each).
    let ok = through(&proxy, &origin.url("/meanwhile?cc=max-age=60"), &[]);
    assert!(ok.status().contains(" 200 "), "{}", ok.head);
    // And the stalled one is closed after its second of silence, without an answer.
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    stalled.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn a_silent_origin_gets_504_after_the_timeout() {
    // An origin whose kernel completes the handshake (the listen queue) but that never
    // reads or answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = proxy(&["--timeout", "1"]);
    let url = format!("http://{}/", silent.local_addr().unwrap());
    let answer = through(&proxy, &url, &[]);
    assert!(
        answer.status().starts_with("HTTP/1.1 504 Gateway Timeout"),
        "{}",
        answer.head
    );
    assert!(
        answer.body.contains("did not answer within 1 s"),
        "{}",
        answer.body
    );
}

#[test]
fn ipv6_clients_and_origins() {
    let server = testkit::Server::start(
        &testkit::sibling_binary(common::PROXY, "http_server"),
        &["--port", "0", "--host", "::1"],
    );
    let proxy = proxy(&["--host", "::1"]);
    let via = format!("http://{}", proxy.addr);
    let url = format!("http://{}/style.css", server.addr);
    assert!(url.starts_with("http://[::1]:"), "{url}");
    let out = curl(&["-i", "-x", &via, &url]);
    let response = common::split(&out.stdout);
    assert!(response.status().contains(" 200 "), "{out:?}");
    assert_eq!(response.x_cache(), "MISS");
    let log = proxy.wait_for_stderr("\" 200 MISS");
    assert!(
        log.contains(&format!("\"GET {url} HTTP/1.1\" 200 MISS")),
        "{log}"
    );
}

#[test]
fn an_endless_header_line_is_refused_at_the_bound_without_waiting_for_its_end() {
    let proxy = proxy(&[]);
    let mut conn = proxy.connect();
    // 20 KB of one header line, and then nothing: no newline, no end of stream. A reader
    // that waited for the end of the line would wait for --timeout and answer nothing.
    let mut line = b"GET http://example.invalid/ HTTP/1.1\r\nX-Long: ".to_vec();
    line.extend(std::iter::repeat_n(b'a', 20_000));
    conn.write_all(&line).unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}
