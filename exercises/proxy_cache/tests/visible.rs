//! The rules on a few responses you can work out by hand.

use proxy_cache::{
    Decision, Headers, Stored, apply_not_modified, conditional_request, current_age, decide,
    freshness_lifetime, http_date, is_storable,
};

/// A moment in 2023, in seconds since 1970.
const T: u64 = 1_700_000_000;

fn stored(fields: Headers, request_time: u64, response_time: u64) -> Stored {
    Stored {
        headers: fields,
        request_headers: Headers::new(),
        request_time,
        response_time,
    }
}

#[test]
fn a_response_is_storable_only_when_the_rules_allow() {
    let none = Headers::new();
    let yes = |fields: Headers| is_storable(&none, 200, &fields);
    assert!(yes(Headers::from([("Cache-Control", "max-age=60")])));
    assert!(
        yes(Headers::from([("ETag", "\"v1\"")])),
        "a validator is enough"
    );
    assert!(!yes(Headers::new()), "nothing to make a copy useful");
    assert!(!yes(Headers::from([(
        "Cache-Control",
        "no-store, max-age=60"
    )])));
    assert!(!yes(Headers::from([(
        "Cache-Control",
        "private, max-age=60"
    )])));
    assert!(!yes(Headers::from([
        ("Cache-Control", "max-age=60"),
        ("Vary", "*")
    ])));
    let fine = Headers::from([("Cache-Control", "max-age=60")]);
    assert!(!is_storable(&none, 404, &fine), "only a 200");
    let reload = Headers::from([("Cache-Control", "no-store")]);
    assert!(
        !is_storable(&reload, 200, &fine),
        "the request said no-store"
    );
    let login = Headers::from([("Authorization", "Basic YWxpY2U6eA==")]);
    assert!(!is_storable(&login, 200, &fine), "one user's answer");
    let public = Headers::from([("Cache-Control", "public, max-age=60")]);
    assert!(
        is_storable(&login, 200, &public),
        "unless the origin says so"
    );
}

#[test]
fn the_lifetime_comes_from_s_maxage_max_age_then_expires() {
    let f = |fields: Headers| freshness_lifetime(&stored(fields, T, T + 2));
    assert_eq!(
        f(Headers::from([(
            "Cache-Control",
            "max-age=60, s-maxage=30"
        )])),
        30
    );
    assert_eq!(
        f(Headers::from([
            ("Cache-Control", "max-age=60"),
            ("Expires", http_date(T + 600).as_str())
        ])),
        60
    );
    assert_eq!(
        f(Headers::from([
            ("Date", http_date(T).as_str()),
            ("Expires", http_date(T + 300).as_str())
        ])),
        300
    );
    // Without a Date, Expires counts from when the response arrived (T + 2).
    assert_eq!(
        f(Headers::from([("Expires", http_date(T + 300).as_str())])),
        298
    );
    assert_eq!(
        f(Headers::from([
            ("Date", http_date(T).as_str()),
            ("Expires", "0")
        ])),
        0
    );
    assert_eq!(
        f(Headers::from([
            ("Date", http_date(T).as_str()),
            ("Expires", http_date(T - 10).as_str())
        ])),
        0
    );
    assert_eq!(f(Headers::from([("ETag", "\"v1\"")])), 0);
}

#[test]
fn the_age_counts_the_time_before_and_in_the_cache() {
    // Asked at T, answered at T + 2 with a Date of T + 1 and Age: 10 (another cache
    // had it for 10 s): the copy was 10 + 2 = 12 s old on arrival.
    let s = stored(
        Headers::from([("Date", http_date(T + 1).as_str()), ("Age", "10")]),
        T,
        T + 2,
    );
    assert_eq!(current_age(&s, T + 2), 12);
    assert_eq!(current_age(&s, T + 7), 17);
    // An origin whose clock is 50 s slow: the apparent age wins.
    let s = stored(Headers::from([("Date", http_date(T - 50).as_str())]), T, T);
    assert_eq!(current_age(&s, T + 1), 51);
    // One 100 s fast: no negative age.
    let s = stored(
        Headers::from([("Date", http_date(T + 100).as_str()), ("Age", "junk")]),
        T,
        T,
    );
    assert_eq!(current_age(&s, T + 3), 3);
}

#[test]
fn fresh_is_a_hit_stale_with_a_validator_is_revalidated() {
    let none = Headers::new();
    let s = stored(
        Headers::from([("Cache-Control", "max-age=10"), ("ETag", "\"v1\"")]),
        T,
        T,
    );
    assert_eq!(decide(&none, None, T), Decision::Miss);
    assert_eq!(decide(&none, Some(&s), T + 9), Decision::Hit);
    assert_eq!(decide(&none, Some(&s), T + 10), Decision::Revalidate);
    let reload = Headers::from([("Cache-Control", "no-cache")]);
    assert_eq!(decide(&reload, Some(&s), T + 1), Decision::Revalidate);
    let picky = Headers::from([("Cache-Control", "max-age=3")]);
    assert_eq!(decide(&picky, Some(&s), T + 3), Decision::Hit);
    assert_eq!(decide(&picky, Some(&s), T + 4), Decision::Revalidate);
    let no_validator = stored(Headers::from([("Cache-Control", "max-age=10")]), T, T);
    assert_eq!(decide(&none, Some(&no_validator), T + 10), Decision::Miss);
    let ask_each_time = stored(
        Headers::from([
            ("Cache-Control", "no-cache, max-age=60"),
            ("Last-Modified", http_date(T - 99).as_str()),
        ]),
        T,
        T,
    );
    assert_eq!(decide(&none, Some(&ask_each_time), T), Decision::Revalidate);
    let mut varied = stored(
        Headers::from([("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")]),
        T,
        T,
    );
    varied.request_headers.push("Accept-Language", "fr");
    assert_eq!(
        decide(
            &Headers::from([("Accept-Language", "fr")]),
            Some(&varied),
            T
        ),
        Decision::Hit
    );
    assert_eq!(
        decide(
            &Headers::from([("Accept-Language", "de")]),
            Some(&varied),
            T
        ),
        Decision::Miss
    );
}

#[test]
fn the_conditional_request_names_the_validators() {
    let modified = http_date(T - 3600);
    let both = stored(
        Headers::from([("Last-Modified", modified.as_str()), ("ETag", "\"v1\"")]),
        T,
        T,
    );
    assert_eq!(
        conditional_request(&both),
        Headers::from([
            ("If-None-Match", "\"v1\""),
            ("If-Modified-Since", modified.as_str())
        ])
    );
    let none = stored(Headers::from([("Cache-Control", "max-age=60")]), T, T);
    assert_eq!(conditional_request(&none), Headers::new());
}

#[test]
fn a_304_refreshes_the_stored_fields_and_times() {
    let mut s = stored(
        Headers::from([
            ("ETag", "\"v1\""),
            ("Cache-Control", "max-age=1"),
            ("X-A", "1"),
            ("x-a", "2"),
            ("Content-Type", "text/plain"),
        ]),
        T,
        T,
    );
    let not_modified = Headers::from([
        ("Cache-Control", "max-age=30"),
        ("X-A", "3"),
        ("Content-Length", "0"),
        ("ETag", "\"v1\""),
        ("X-A", "4"),
    ]);
    assert!(apply_not_modified(&mut s, &not_modified, T + 5, T + 6));
    assert_eq!(
        s.headers,
        Headers::from([
            ("Content-Type", "text/plain"),
            ("Cache-Control", "max-age=30"),
            ("X-A", "3"),
            ("ETag", "\"v1\""),
            ("X-A", "4"),
        ])
    );
    assert_eq!((s.request_time, s.response_time), (T + 5, T + 6));
    let before = s.clone();
    assert!(!apply_not_modified(
        &mut s,
        &Headers::from([("ETag", "\"v2\"")]),
        T + 9,
        T + 9
    ));
    assert_eq!(s, before, "a 304 about another version changes nothing");
}
