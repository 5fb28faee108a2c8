//! HTTP/1.1 where real clients need it (RFC 9112, RFC 9110): request-target forms,
//! versions, chunked request bodies, unknown methods, conditional GETs, cookies, and a
//! binary that carries its own site. Checked with curl, Python's http.client and raw bytes.

mod common;

use std::fs;
use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, SystemTime};

use common::*;
use testkit::{Server, read_to_close, require_tool, run_command};

#[test]
fn the_absolute_form_is_served_like_the_origin_form() {
    let server = start(&[]);
    // As a client talking to a proxy would send it (RFC 9112 §3.2.2: a server must accept it).
    let out = curl(&[
        "--request-target",
        "http://example.invalid/style.css",
        &url(&server, "/"),
    ]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        fs::read_to_string(site().join("style.css")).unwrap()
    );
    let response = raw(
        &server,
        b"GET HTTP://example.invalid:6789/docs?x=1 HTTP/1.1\r\nHost: example.invalid\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status_line(&response), "HTTP/1.1 301 Moved Permanently");
    assert_eq!(header(&response, "location"), Some("/docs/"));
    // Other schemes, and a user name in the URL, are refused.
    for target in [
        "ftp://localhost/",
        "http://user:pw@localhost/",
        "localhost/index.html",
    ] {
        let response = raw(
            &server,
            format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
        );
        assert_eq!(
            status_line(&response),
            "HTTP/1.1 400 Bad Request",
            "{target}"
        );
    }
}

#[test]
fn later_1_x_versions_are_served_as_1_1_malformed_ones_get_400_and_other_majors_505() {
    let server = start(&[]);
    // HTTP/1.2 is processed as 1.1 (RFC 9112 §2.3): keep-alive by default, so the second
    // request on the connection is answered too.
    let response = raw(
        &server,
        b"GET /app.js HTTP/1.2\r\nHost: x\r\n\r\nHEAD / HTTP/1.9\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    let statuses: Vec<&str> = response
        .lines()
        .filter(|l| l.starts_with("HTTP/"))
        .collect();
    assert_eq!(
        statuses,
        ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK"],
        "{response}"
    );
    for malformed in [
        "HTTP/1.10",
        "HTTP/1",
        "HTTP/11.1",
        "HTTP/1.1.1",
        "HTTP/one",
        "http/1.1",
    ] {
        let response = raw(
            &server,
            format!("GET / {malformed}\r\nHost: x\r\n\r\n").as_bytes(),
        );
        assert_eq!(
            status_line(&response),
            "HTTP/1.1 400 Bad Request",
            "{malformed}"
        );
    }
    for other in ["HTTP/2.0", "HTTP/0.9", "HTTP/3.0"] {
        let response = raw(
            &server,
            format!("GET / {other}\r\nHost: x\r\n\r\n").as_bytes(),
        );
        assert_eq!(
            status_line(&response),
            "HTTP/1.1 505 HTTP Version Not Supported",
            "{other}"
        );
    }
}

#[test]
fn a_chunked_form_post_is_decoded_from_curl_python_and_a_byte_at_a_time() {
    let server = start(&[]);
    let out = curl(&[
        "--verbose",
        "-H",
        "Transfer-Encoding: chunked",
        "-d",
        "title=whatever",
        "-d",
        "date=1421044443",
        &url(&server, "/form"),
    ]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert!(
        out.stderr.contains("> Transfer-Encoding: chunked"),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stdout,
        "You sent 2 field(s):\ntitle = \"whatever\"\ndate = \"1421044443\"\n"
    );

    // Python's http.client frames the body in chunks itself.
    let python = require_tool("python3");
    let mut command = Command::new(python);
    command.arg(peer("http_client.py")).args([
        &server.addr.port().to_string(),
        "chunked-post",
        "/form",
        "a=1&b=%C3%A9t%C3%A9",
    ]);
    let out = run_command(command, b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "200\nYou sent 2 field(s):\na = \"1\"\nb = \"été\"\n"
    );

    // The chunks arrive a byte at a time, with an extension and a trailer; the connection
    // then serves the next request.
    let mut conn = server.connect();
    conn.set_nodelay(true).unwrap();
    let request = b"POST /form HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
        Transfer-Encoding: chunked\r\n\r\n4;note=split\r\nx=ab\r\n3\r\n&y=\r\n0\r\nX-Trailer: t\r\n\r\n\
        GET /app.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    for byte in request {
        conn.write_all(&[*byte]).unwrap();
    }
    let response = String::from_utf8_lossy(&read_to_close(&mut conn)).into_owned();
    assert!(
        response.contains("You sent 2 field(s):\n\r\n") && response.contains("y = \"\"\n"),
        "{response}"
    );
    assert!(response.contains("text/javascript"), "{response}");
}

#[test]
fn unknown_methods_get_501_known_ones_not_allowed_here_405() {
    let server = start(&[]);
    // Methods are case-sensitive: `get` is not GET. The body is read, so the connection
    // goes on with the next request.
    for method in ["BREW", "get", "PROPFIND"] {
        let response = raw(
            &server,
            format!(
                "{method} / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc\
                 GET /app.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            .as_bytes(),
        );
        assert_eq!(
            status_line(&response),
            "HTTP/1.1 501 Not Implemented",
            "{method}"
        );
        assert_eq!(header(&response, "allow"), None, "{method}");
        assert!(response.contains("text/javascript"), "{method}: {response}");
    }
    for (method, path, allow) in [
        ("PUT", "/index.html", "GET, HEAD"),
        ("OPTIONS", "/", "GET, HEAD"),
        ("PATCH", "/visits", "GET, HEAD"),
        ("GET", "/form", "POST"),
    ] {
        let out = curl(&["--include", "-X", method, &url(&server, path)]);
        assert!(
            out.stdout
                .starts_with("HTTP/1.1 405 Method Not Allowed\r\n"),
            "{method} {path}: {out:?}"
        );
        assert_eq!(header(&out.stdout, "allow"), Some(allow), "{method} {path}");
    }
}

/// A root with one page in it, for the conditional-request tests.
fn page_root() -> TempDir {
    let root = TempDir::new("conditional");
    fs::write(root.0.join("page.html"), "<p>version 1</p>\n").unwrap();
    root
}

#[test]
fn curl_z_gets_304_until_the_file_changes() {
    let root = page_root();
    let copy = TempDir::new("conditional-copy");
    let server = start(&["--root", root.0.to_str().unwrap()]);
    let page_url = url(&server, "/page.html");
    let saved = copy.0.join("page.html");
    let saved = saved.to_str().unwrap();
    // --remote-time: the saved copy gets the server's Last-Modified as its time.
    let first = curl(&["--remote-time", "-o", saved, "-D", "-", &page_url]);
    assert!(first.stdout.starts_with("HTTP/1.1 200 OK\r\n"), "{first:?}");
    assert_eq!(header(&first.stdout, "cache-control"), Some("no-cache"));
    assert!(header(&first.stdout, "etag").is_some_and(|t| t.starts_with('"')));
    assert!(header(&first.stdout, "last-modified").is_some_and(|d| d.ends_with(" GMT")));
    // -z FILE: If-Modified-Since with the copy's time. Nothing changed: 304, no body.
    let again = curl(&["-z", saved, "-D", "-", &page_url]);
    assert!(
        again.stdout.starts_with("HTTP/1.1 304 Not Modified\r\n"),
        "{again:?}"
    );
    assert_eq!(body(&again.stdout), "");
    assert_eq!(header(&again.stdout, "etag"), header(&first.stdout, "etag"));
    assert_eq!(header(&again.stdout, "content-length"), None);
    // The file changes (and its time moves on): 200 with the new version.
    let later = SystemTime::now() + Duration::from_secs(5);
    fs::write(root.0.join("page.html"), "<p>version 2</p>\n").unwrap();
    fs::File::options()
        .write(true)
        .open(root.0.join("page.html"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    let changed = curl(&["-z", saved, "-D", "-", &page_url]);
    assert!(
        changed.stdout.starts_with("HTTP/1.1 200 OK\r\n"),
        "{changed:?}"
    );
    assert_eq!(body(&changed.stdout), "<p>version 2</p>\n");
    assert_ne!(
        header(&changed.stdout, "etag"),
        header(&first.stdout, "etag")
    );
}

#[test]
fn if_none_match_gets_304_and_wins_over_if_modified_since() {
    let root = page_root();
    let server = start(&["--root", root.0.to_str().unwrap()]);
    let page_url = url(&server, "/page.html");
    let first = curl(&["-D", "-", "-o", "/dev/null", &page_url]);
    let etag = header(&first.stdout, "etag").unwrap().to_owned();
    let modified = header(&first.stdout, "last-modified").unwrap().to_owned();
    let ask = |headers: &[String]| {
        let mut args = vec!["-D", "-", "-o", "/dev/null"];
        for h in headers {
            args.extend(["-H", h]);
        }
        args.push(&page_url);
        status_line(&curl(&args).stdout).to_owned()
    };
    let not_modified = "HTTP/1.1 304 Not Modified";
    assert_eq!(ask(&[format!("If-None-Match: {etag}")]), not_modified);
    assert_eq!(
        ask(&[format!("If-None-Match: \"other\", W/{etag}")]),
        not_modified
    );
    assert_eq!(ask(&["If-None-Match: *".into()]), not_modified);
    assert_eq!(
        ask(&[format!("If-Modified-Since: {modified}")]),
        not_modified
    );
    // A tag that does not match decides, even with a date that does (RFC 9110 §13.2.2).
    assert_eq!(
        ask(&[
            "If-None-Match: \"other\"".into(),
            format!("If-Modified-Since: {modified}")
        ]),
        "HTTP/1.1 200 OK"
    );
    assert_eq!(
        ask(&["If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT".into()]),
        "HTTP/1.1 200 OK"
    );

    // Python's http.client: the 304 has no body, and the connection stays usable.
    let python = require_tool("python3");
    let mut command = Command::new(python);
    command.arg(peer("http_client.py")).args([
        &server.addr.port().to_string(),
        "revalidate",
        "/page.html",
    ]);
    let out = run_command(command, b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        out.stdout,
        "200 17 no-cache\n304 0 no-cache\n304 0 no-cache\n200 17 no-cache\n"
    );
}

#[test]
fn the_built_in_site_has_validators_too() {
    let server = start(&[]);
    let first = curl(&["-D", "-", "-o", "/dev/null", &url(&server, "/style.css")]);
    let etag = header(&first.stdout, "etag").unwrap().to_owned();
    assert!(
        header(&first.stdout, "last-modified").is_some(),
        "{first:?}"
    );
    let again = curl(&[
        "-D",
        "-",
        "-H",
        &format!("If-None-Match: {etag}"),
        &url(&server, "/style.css"),
    ]);
    assert!(
        again.stdout.starts_with("HTTP/1.1 304 Not Modified\r\n"),
        "{again:?}"
    );
    // Another file has another tag.
    let other = curl(&["-D", "-", "-o", "/dev/null", &url(&server, "/app.js")]);
    assert_ne!(header(&other.stdout, "etag"), Some(&*etag));
}

#[test]
fn the_visits_page_counts_with_an_http_only_cookie() {
    let server = start(&[]);
    let jar = TempDir::new("cookies");
    let jar_file = jar.0.join("jar.txt");
    let jar_file = jar_file.to_str().unwrap();
    let visits = url(&server, "/visits");
    let visit = |extra: &str| {
        let target = format!("{visits}{extra}");
        curl(&["-D", "-", "-c", jar_file, "-b", jar_file, &target]).stdout
    };
    let first = visit("");
    assert!(first.starts_with("HTTP/1.1 200 OK\r\n"), "{first}");
    assert_eq!(
        header(&first, "set-cookie"),
        Some("visits=1; Path=/visits; Max-Age=86400; HttpOnly; SameSite=Strict")
    );
    assert_eq!(header(&first, "cache-control"), Some("no-store"));
    assert!(first.contains("Your first visit"), "{first}");
    visit("");
    let third = visit("");
    assert!(
        third.contains("Visit number 3: your browser sent <code>Cookie: visits=2</code>."),
        "{third}"
    );
    // curl's jar marks an HttpOnly cookie, and keeps its path.
    let saved = fs::read_to_string(jar_file).unwrap();
    let line = saved
        .lines()
        .find(|l| l.contains("visits"))
        .unwrap_or_else(|| panic!("{saved}"));
    assert!(line.starts_with("#HttpOnly_127.0.0.1\t"), "{line}");
    assert!(
        line.contains("\t/visits\t") && line.ends_with("\tvisits\t3"),
        "{line}"
    );
    // The cookie is not sent for other paths: the start page does not see it (Path).
    let elsewhere = curl(&["-v", "-b", jar_file, "-o", "/dev/null", &url(&server, "/")]);
    assert!(
        !elsewhere.stderr.contains("> Cookie:"),
        "{}",
        elsewhere.stderr
    );
    // ?forget: Max-Age=0, and curl drops it from the jar.
    let forgot = visit("?forget");
    assert_eq!(
        header(&forgot, "set-cookie"),
        Some("visits=; Path=/visits; Max-Age=0; HttpOnly; SameSite=Strict")
    );
    assert!(!fs::read_to_string(jar_file).unwrap().contains("\tvisits\t"));
    assert!(visit("").contains("Your first visit"));
}

/// The binary carries its site: a copy of it serves the start page even where the
/// source folder it was built from cannot be seen (here: hidden under an empty tmpfs in
/// a mount namespace of its own, which needs root).
#[test]
fn a_copy_of_the_binary_serves_its_site_without_the_source_folder() {
    if !testkit::needs_root("it hides the source folder with a mount namespace") {
        return;
    }
    let unshare = require_tool("unshare");
    let elsewhere = TempDir::new("installed");
    let copy = elsewhere.0.join("http_server");
    fs::copy(SERVER, &copy).unwrap();
    let mut command = Command::new(unshare);
    command.current_dir(&elsewhere.0).args([
        "--mount",
        "sh",
        "-c",
        "mount -t tmpfs none \"$1\" && exec \"$2\" --port 0",
        "sh",
        site().to_str().unwrap(),
        copy.to_str().unwrap(),
    ]);
    let server = Server::spawn(command);
    let out = curl(&["-D", "-", &url(&server, "/")]);
    assert!(out.stdout.starts_with("HTTP/1.1 200 OK\r\n"), "{out:?}");
    assert_eq!(
        body(&out.stdout),
        fs::read_to_string(site().join("index.html")).unwrap()
    );
    let log = server.wait_for_stderr("built-in");
    assert!(log.contains("serving the built-in site"), "{log}");
    let mut conn = server.connect();
    conn.write_all(b"GET /images/socket.svg HTTP/1.0\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
}

fn peer(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(name)
}
