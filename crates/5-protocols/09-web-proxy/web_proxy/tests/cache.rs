//! What the cache does, seen from outside: curl through the proxy, and the origin's own
//! log of the requests it got (Python's http.server, or the course's web server).

mod common;

use std::thread;
use std::time::Duration;

use common::{
    Origin, TempFile, curl, http_server, origin, pattern, peak_memory, proxy, raw, through,
};
use testkit::Server;

#[test]
fn curl_twice_is_a_miss_then_a_hit_and_the_origin_is_asked_once() {
    let origin = origin();
    let proxy = proxy(&[]);
    let path = "/a?cc=max-age=60";
    let first = through(&proxy, &origin.url(path), &[]);
    assert!(first.status().contains(" 200 "), "{}", first.head);
    assert_eq!(first.x_cache(), "MISS");
    assert_eq!(
        first.header("Age"),
        None,
        "a fresh response from the origin has no Age"
    );
    let second = through(&proxy, &origin.url(path), &[]);
    assert_eq!(second.x_cache(), "HIT", "{}", second.head);
    assert_eq!(second.body, first.body);
    let age: u64 = second
        .header("Age")
        .expect("a hit says its Age")
        .parse()
        .unwrap();
    assert!(age <= 1, "age {age}");
    assert_eq!(origin.requests(path), 1, "the hit never reached the origin");
    assert!(first.header("Via").unwrap().ends_with("(web_proxy)"));
}

#[test]
fn http_server_as_origin_is_revalidated_every_time_with_a_304() {
    // The course's web server sends Cache-Control: no-cache: keep it, but ask each time.
    let origin = http_server();
    let proxy = proxy(&[]);
    let url = format!("http://{}/style.css", origin.addr);
    let direct = curl(&[&url]);
    let first = through(&proxy, &url, &[]);
    let second = through(&proxy, &url, &[]);
    assert_eq!(first.x_cache(), "MISS");
    assert_eq!(second.x_cache(), "REVALIDATED");
    assert_eq!(second.body, direct.stdout);
    assert_eq!(second.header("ETag"), first.header("ETag"));
    // The origin answered the second one with 304: no body crossed from it.
    let log = origin.wait_for_stderr("\"GET /style.css HTTP/1.1\" 304");
    assert_eq!(
        log.matches("\"GET /style.css HTTP/1.1\" 200").count(),
        2,
        "{log}"
    );
}

#[test]
fn a_max_age_1_object_is_revalidated_with_a_304_after_a_second() {
    let origin = origin();
    let proxy = proxy(&[]);
    let path = "/r?cc=max-age=1&etag=v1";
    let first = through(&proxy, &origin.url(path), &[]);
    assert_eq!(first.x_cache(), "MISS");
    // Not a wait for readiness: the object's lifetime is what is being tested.
    thread::sleep(Duration::from_millis(2100));
    let second = through(&proxy, &origin.url(path), &[]);
    assert_eq!(second.x_cache(), "REVALIDATED", "{}", second.head);
    assert_eq!(second.body, first.body);
    let lines = origin.lines_for(path);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].ends_with("inm=- ims=- -> 200"), "{lines:?}");
    assert!(lines[1].ends_with("inm=\"v1\" ims=- -> 304"), "{lines:?}");
}

#[test]
fn no_store_and_private_responses_are_never_cached() {
    let origin = origin();
    let proxy = proxy(&[]);
    for path in ["/n?cc=no-store&etag=x", "/p?cc=private,max-age=60&etag=x"] {
        for _ in 0..3 {
            assert_eq!(
                through(&proxy, &origin.url(path), &[]).x_cache(),
                "MISS",
                "{path}"
            );
        }
        assert_eq!(origin.requests(path), 3, "{path}");
    }
    assert!(
        !proxy.stderr_so_far().contains("cache: stored"),
        "{}",
        proxy.stderr_so_far()
    );
    // The same object, cacheable, is kept: the test above can tell.
    let path = "/q?cc=public,max-age=60";
    through(&proxy, &origin.url(path), &[]);
    assert_eq!(through(&proxy, &origin.url(path), &[]).x_cache(), "HIT");
}

/// The numbers of the `cache: stored ...; N objects, B of LIMIT bytes` lines.
fn usage_lines(log: &str) -> Vec<(usize, usize)> {
    log.lines()
        .filter(|l| l.starts_with("cache: stored "))
        .map(|l| {
            let tail = l.rsplit_once("; ").unwrap().1;
            let words: Vec<&str> = tail.split(' ').collect();
            (words[0].parse().unwrap(), words[2].parse().unwrap())
        })
        .collect()
}

#[test]
fn the_cache_stays_within_its_bytes_and_throws_out_the_least_recently_used() {
    let origin = origin();
    let limit = 65_536;
    let proxy = proxy(&["--cache-bytes", &limit.to_string()]);
    let url = |i: usize| origin.url(&format!("/o{i}?cc=max-age=60&size=4000"));
    // Objects of about 4,130 bytes each: 15 fit. Fetch 11, use the first again, fetch 10
    // more, all over one connection (curl takes several URLs).
    let fetch = |urls: Vec<String>| {
        let via = format!("http://{}", proxy.addr);
        let mut args = vec!["-x", via.as_str(), "-w", "%{http_code} %header{x-cache}\\n"];
        for u in &urls {
            args.extend(["-o", "/dev/null", u.as_str()]);
        }
        let out = curl(&args);
        assert_eq!(out.code(), Some(0), "{out:?}");
        out.stdout.lines().map(str::to_owned).collect::<Vec<_>>()
    };
    let first: Vec<String> = (0..=10).map(url).collect();
    assert!(fetch(first).iter().all(|l| l == "200 MISS"));
    assert_eq!(fetch(vec![url(0)]), ["200 HIT"]);
    assert!(
        fetch((11..=20).map(url).collect())
            .iter()
            .all(|l| l == "200 MISS")
    );
    // Object 0 was used more recently than 1 to 6: they went, it stayed.
    assert_eq!(fetch(vec![url(0), url(1)]), ["200 HIT", "200 MISS"]);
    // And many more objects never take the cache past its bound.
    fetch((21..80).map(url).collect());
    let log = proxy.stderr_so_far();
    let usage = usage_lines(&log);
    assert!(usage.len() >= 80, "{log}");
    assert!(usage.iter().all(|&(_, bytes)| bytes <= limit), "{usage:?}");
    let most = usage.iter().map(|&(objects, _)| objects).max().unwrap();
    assert!((11..=16).contains(&most), "at most {most} objects at once");
    assert!(log.matches("cache: evicted ").count() >= 60, "{log}");
}

fn download(proxy: &Server, origin: &Origin, path: &str, file: &TempFile) -> (String, String) {
    let via = format!("http://{}", proxy.addr);
    let out = curl(&[
        "-x",
        &via,
        "-o",
        file.path(),
        "-w",
        "%{http_code} %header{x-cache} %header{transfer-encoding}",
        &origin.url(path),
    ]);
    assert_eq!(out.code(), Some(0), "{out:?}");
    let mut words = out.stdout.splitn(2, ' ');
    let status = words.next().unwrap().to_owned();
    (status, words.next().unwrap_or_default().to_owned())
}

#[test]
fn a_body_larger_than_the_cache_streams_through_intact_and_is_not_cached() {
    let origin = origin();
    let proxy = proxy(&["--cache-bytes", "1000000"]);
    let size = 64 * 1024 * 1024;
    let path = format!("/big?cc=max-age=60&size={size}");
    let file = TempFile::new("big");
    for _ in 0..2 {
        let (status, rest) = download(&proxy, &origin, &path, &file);
        assert_eq!(status, "200");
        assert!(rest.starts_with("MISS"), "{rest}");
        let got = std::fs::read(&file.0).unwrap();
        assert_eq!(got.len(), size);
        assert!(got == pattern(size), "the body came through changed");
    }
    assert_eq!(origin.requests(&path), 2);
    // Streamed in pieces: 64 MiB went through, the proxy never held more than a few.
    let peak = peak_memory(proxy.pid());
    assert!(
        peak < 32 * 1024 * 1024,
        "the proxy held {peak} bytes at its peak"
    );

    // A chunked body (no length said in advance) is streamed, and chunked again for curl.
    let path = "/bigc?cc=max-age=60&chunked=1&size=3000000";
    let (status, rest) = download(&proxy, &origin, path, &file);
    assert_eq!((status.as_str(), rest.as_str()), ("200", "MISS chunked"));
    assert!(std::fs::read(&file.0).unwrap() == pattern(3_000_000));
    let (_, rest) = download(&proxy, &origin, path, &file);
    assert!(rest.starts_with("MISS"), "{rest}");
    assert!(
        !proxy.stderr_so_far().contains("cache: stored"),
        "{}",
        proxy.stderr_so_far()
    );
}

#[test]
fn a_chunked_response_is_stored_whole_and_an_http_1_0_client_gets_it_unchunked() {
    let origin = origin();
    let proxy = proxy(&[]);
    let path = "/c?cc=max-age=60&chunked=1&size=200000";
    let request = format!("GET {} HTTP/1.0\r\n\r\n", origin.url(path));
    for expected in ["MISS", "HIT"] {
        let response = raw(&proxy, request.as_bytes());
        let at = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&response[..at]).into_owned();
        let body = &response[at + 4..];
        assert_eq!(common::header(&head, "X-Cache"), Some(expected), "{head}");
        assert_eq!(common::header(&head, "Transfer-Encoding"), None, "{head}");
        assert!(body == pattern(200_000), "{head}");
        if expected == "HIT" {
            assert_eq!(common::header(&head, "Content-Length"), Some("200000"));
        }
    }
}

#[test]
fn vary_keeps_the_variant_for_the_request_fields_it_names() {
    let origin = origin();
    let proxy = proxy(&[]);
    let path = "/v?cc=max-age=60&vary=Accept-Language";
    let fr = ["-H", "Accept-Language: fr"];
    let de = ["-H", "Accept-Language: de"];
    let a = through(&proxy, &origin.url(path), &fr);
    let b = through(&proxy, &origin.url(path), &fr);
    let c = through(&proxy, &origin.url(path), &de);
    assert_eq!(
        (a.x_cache(), b.x_cache(), c.x_cache()),
        ("MISS", "HIT", "MISS")
    );
    assert!(b.body.contains("Accept-Language=fr"), "{}", b.body);
    assert!(c.body.contains("Accept-Language=de"), "{}", c.body);
    // Vary: * can never match: not stored.
    let star = "/s?cc=max-age=60&vary=*";
    through(&proxy, &origin.url(star), &[]);
    assert_eq!(through(&proxy, &origin.url(star), &[]).x_cache(), "MISS");
}

#[test]
fn expires_gives_a_lifetime_and_an_invalid_one_means_already_stale() {
    let origin = origin();
    let proxy = proxy(&[]);
    let path = "/e?expires=60";
    through(&proxy, &origin.url(path), &[]);
    assert_eq!(through(&proxy, &origin.url(path), &[]).x_cache(), "HIT");
    // Expires: 0 is not a date: stale at once, so each use is revalidated.
    let path = "/e0?expires=junk&etag=e0";
    let first = through(&proxy, &origin.url(path), &[]);
    assert_eq!(first.header("Expires"), Some("0"));
    assert_eq!(
        through(&proxy, &origin.url(path), &[]).x_cache(),
        "REVALIDATED"
    );
    // An Age from a cache before us counts: max-age=60 with Age: 100 is stale on arrival.
    let path = "/old?cc=max-age=60&age=100";
    through(&proxy, &origin.url(path), &[]);
    assert_eq!(through(&proxy, &origin.url(path), &[]).x_cache(), "MISS");
}

#[test]
fn a_client_that_asks_to_revalidate_gets_a_revalidation() {
    let origin = origin();
    let proxy = proxy(&[]);
    let path = "/f?cc=max-age=60&etag=f1";
    through(&proxy, &origin.url(path), &[]);
    assert_eq!(through(&proxy, &origin.url(path), &[]).x_cache(), "HIT");
    let reload = through(
        &proxy,
        &origin.url(path),
        &["-H", "Cache-Control: no-cache"],
    );
    assert_eq!(reload.x_cache(), "REVALIDATED");
    // The client's own copy is current: a 304 from the cache, without the body.
    let mine = through(&proxy, &origin.url(path), &["-H", "If-None-Match: \"f1\""]);
    assert!(mine.status().contains(" 304 "), "{}", mine.head);
    assert_eq!(mine.x_cache(), "HIT");
    assert_eq!(mine.body, "");
    assert_eq!(origin.requests(path), 2);
}

#[test]
fn a_post_goes_through_and_makes_the_stored_copy_stale() {
    let origin = origin();
    let proxy = proxy(&[]);
    let path = "/w?cc=max-age=60";
    through(&proxy, &origin.url(path), &[]);
    assert_eq!(through(&proxy, &origin.url(path), &[]).x_cache(), "HIT");
    let posted = through(&proxy, &origin.url(path), &["-d", "x=1"]);
    assert_eq!(posted.body, "posted x=1");
    assert_eq!(through(&proxy, &origin.url(path), &[]).x_cache(), "MISS");

    // The course's web server answers its form in chunks: they come back chunked again.
    let server = http_server();
    let form = through(
        &proxy,
        &format!("http://{}/form", server.addr),
        &["-d", "name=Ada&lang=rust"],
    );
    assert_eq!(form.header("Transfer-Encoding"), Some("chunked"));
    assert!(form.body.contains("name = \"Ada\""), "{}", form.body);
}
