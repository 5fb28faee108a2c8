//! The probe of `proxy_cache`: the cache's decisions on responses, requests and times
//! drawn at random. The first six checks are the visible tests on random inputs of the
//! same simple kind; the others mix every rule at once, with the edge cases the doc
//! comments name (several lines of a field, quoted and malformed arguments, huge numbers,
//! invalid dates, clocks that disagree, names in any case).

use proxy_cache::{
    Decision, Headers, Stored, apply_not_modified, conditional_request, current_age, decide,
    freshness_lifetime, is_storable,
};
use testkit::probe::{self, Case, Check, Rng};

fn main() {
    probe::main(&[
        Check::visible(
            "a_response_is_storable_only_when_the_rules_allow",
            30,
            storable_simple,
        ),
        Check::visible(
            "the_lifetime_comes_from_s_maxage_max_age_then_expires",
            30,
            lifetime_simple,
        ),
        Check::visible(
            "the_age_counts_the_time_before_and_in_the_cache",
            30,
            age_simple,
        ),
        Check::visible(
            "fresh_is_a_hit_stale_with_a_validator_is_revalidated",
            30,
            decision_simple,
        ),
        Check::visible(
            "the_conditional_request_names_the_validators",
            20,
            conditional,
        ),
        Check::visible(
            "a_304_refreshes_the_stored_fields_and_times",
            20,
            refresh_simple,
        ),
        Check::hidden(
            "storable_for_random_requests_and_responses",
            200,
            storable_any,
        ),
        Check::hidden(
            "lifetime_and_age_of_random_responses",
            200,
            lifetime_and_age_any,
        ),
        Check::hidden(
            "decisions_for_random_copies_requests_and_times",
            300,
            decision_any,
        ),
        Check::hidden("a_304_with_random_fields_and_validators", 100, refresh_any),
        Check::hidden("ages_at_the_edge_of_freshness", 60, freshness_edges),
    ]);
}

// ---------------------------------------------------------------- drawing inputs

/// An IMF-fixdate, made here (not with the exercise's given `http_date`).
fn date(secs: u64) -> String {
    let days = secs / 86_400;
    let (mut year, mut left) = (1970u64, days);
    let leap = |y: u64| y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
    while left >= if leap(year) { 366 } else { 365 } {
        left -= if leap(year) { 366 } else { 365 };
        year += 1;
    }
    let lengths = [
        31,
        if leap(year) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let mut month = 0;
    while left >= lengths[month] {
        left -= lengths[month];
        month += 1;
    }
    let names = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let weekdays = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let rest = secs % 86_400;
    format!(
        "{}, {:02} {} {year} {:02}:{:02}:{:02} GMT",
        weekdays[(days % 7) as usize],
        left + 1,
        names[month],
        rest / 3600,
        rest / 60 % 60,
        rest % 60
    )
}

/// `secs` as one of the three date formats a recipient reads (mostly the usual one).
fn any_date(rng: &mut Rng, secs: u64) -> String {
    let fixdate = date(secs);
    let w: Vec<&str> = fixdate.split(' ').collect(); // Sun, 06 Nov 1994 08:49:37 GMT
    match rng.range(0, 9) {
        0 => {
            let long = [
                "Thursday",
                "Friday",
                "Saturday",
                "Sunday",
                "Monday",
                "Tuesday",
                "Wednesday",
            ];
            let day = long[((secs / 86_400) % 7) as usize];
            format!("{day}, {}-{}-{} {} GMT", w[1], w[2], &w[3][2..], w[4])
        }
        1 => format!(
            "{} {} {:>2} {} {}",
            &w[0][..3],
            w[2],
            w[1].trim_start_matches('0'),
            w[4],
            w[3]
        ),
        _ => fixdate,
    }
}

/// A time: somewhere between 2020 and 2027.
fn moment(rng: &mut Rng) -> u64 {
    rng.range(1_580_000_000, 1_800_000_000) as u64
}

/// `name` in the case a sender chose.
fn cased(rng: &mut Rng, name: &str) -> String {
    match rng.range(0, 5) {
        0 => name.to_ascii_lowercase(),
        1 => name.to_ascii_uppercase(),
        _ => name.to_owned(),
    }
}

fn seconds(rng: &mut Rng) -> String {
    match rng.range(0, 19) {
        0 => "junk".into(),
        1 => "99999999999999999999".into(),
        2 => format!("\"{}\"", rng.range(0, 200)),
        3 => "-5".into(),
        _ => rng.range(0, 200).to_string(),
    }
}

/// One or two `Cache-Control` lines of a response, of the directives a cache looks at
/// and some it ignores.
fn response_cache_control(rng: &mut Rng, fields: &mut Vec<(String, String)>) {
    let lines = rng.range(0, 2);
    for _ in 0..lines {
        let count = rng.range(1, 3);
        let mut directives = Vec::new();
        for _ in 0..count {
            let d = match rng.range(0, 12) {
                0 => "no-store".to_owned(),
                1 => "no-cache".to_owned(),
                2 => "private".to_owned(),
                3 => "public".to_owned(),
                4 => "must-revalidate".to_owned(),
                5 => "proxy-revalidate".to_owned(),
                6 => "immutable".to_owned(),
                7 => "no-cache=\"Set-Cookie, X-A\"".to_owned(),
                8 | 9 => format!("{}={}", cased(rng, "max-age"), seconds(rng)),
                _ => format!("s-maxage={}", seconds(rng)),
            };
            directives.push(d);
        }
        let sep = if rng.chance(50) { ", " } else { "," };
        fields.push((cased(rng, "Cache-Control"), directives.join(sep)));
    }
}

/// A response's fields, arriving at `arrived`.
fn response_fields(rng: &mut Rng, arrived: u64) -> Headers {
    let mut fields: Vec<(String, String)> = Vec::new();
    response_cache_control(rng, &mut fields);
    if rng.chance(60) {
        let skew = rng.range(0, 120) as u64;
        let value = match rng.range(0, 9) {
            0 => "yesterday".into(),
            1..=3 => any_date(rng, arrived + skew / 4), // a clock ahead of ours
            _ => any_date(rng, arrived.saturating_sub(skew)),
        };
        fields.push((cased(rng, "Date"), value));
    }
    if rng.chance(40) {
        let value = match rng.range(0, 9) {
            0 => "0".into(),
            1 => "-1".into(),
            2 => {
                let before = arrived.saturating_sub(rng.range(0, 100) as u64);
                any_date(rng, before)
            }
            _ => {
                let after = arrived + rng.range(0, 400) as u64;
                any_date(rng, after)
            }
        };
        fields.push((cased(rng, "Expires"), value));
    }
    if rng.chance(30) {
        let value = seconds(rng);
        fields.push((cased(rng, "Age"), value));
    }
    if rng.chance(40) {
        let tag = if rng.chance(20) { "W/\"v1\"" } else { "\"v1\"" };
        fields.push((cased(rng, "ETag"), tag.into()));
    }
    if rng.chance(30) {
        let value = any_date(rng, arrived - 86_400);
        fields.push((cased(rng, "Last-Modified"), value));
    }
    if rng.chance(20) {
        let value = *rng.pick(&[
            "Accept",
            "accept-language, Accept",
            "*",
            "Accept-Language",
            "Accept, *",
        ]);
        fields.push((cased(rng, "Vary"), value.into()));
    }
    // A field sent twice: the first line is the one that counts.
    for name in ["Age", "Expires", "Date"] {
        if rng.chance(8) {
            let value = match name {
                "Age" => rng.range(0, 300).to_string(),
                _ => date(arrived + rng.range(0, 600) as u64),
            };
            fields.push((cased(rng, name), value));
        }
    }
    fields.push(("Content-Type".into(), "text/html".into()));
    // Any order.
    for i in (1..fields.len()).rev() {
        let j = rng.range(0, i);
        fields.swap(i, j);
    }
    let mut headers = Headers::new();
    for (name, value) in &fields {
        headers.push(name, value);
    }
    headers
}

/// A request's fields.
fn request_fields(rng: &mut Rng) -> Headers {
    let mut headers = Headers::new();
    if rng.chance(30) {
        let value = match rng.range(0, 5) {
            0 => "no-cache".to_owned(),
            1 => "no-store".to_owned(),
            2 => "max-age=0".to_owned(),
            _ => format!("max-age={}", seconds(rng)),
        };
        headers.push(&cased(rng, "Cache-Control"), &value);
    }
    if rng.chance(15) {
        headers.push(&cased(rng, "Authorization"), "Bearer abc");
    }
    if rng.chance(60) {
        let value = *rng.pick(&["text/html", "*/*"]);
        headers.push(&cased(rng, "Accept"), value);
    }
    if rng.chance(40) {
        let value = *rng.pick(&["fr", "de"]);
        headers.push(&cased(rng, "Accept-Language"), value);
    }
    headers
}

/// A stored copy: fetched by `original`, sent at `sent`, arrived a few seconds later.
fn stored_copy(rng: &mut Rng, original: &Headers) -> Stored {
    let sent = moment(rng);
    let arrived = sent + rng.range(0, 6) as u64;
    let headers = response_fields(rng, arrived);
    // What the cache keeps of the request: the fields Vary names (as the proxy does).
    let mut request_headers = Headers::new();
    for name in headers.list("vary") {
        for value in original.get_all(&name) {
            request_headers.push(&name.to_ascii_lowercase(), value);
        }
    }
    Stored {
        headers,
        request_headers,
        request_time: sent,
        response_time: arrived,
    }
}

// ---------------------------------------------------------------- showing what happened

fn show(headers: &Headers) -> String {
    let lines: Vec<String> = headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
    format!("[{}]", lines.join(" | "))
}

fn show_stored(stored: &Stored) -> String {
    format!(
        "fields {}, vary-request {}, request_time {}, response_time {}",
        show(&stored.headers),
        show(&stored.request_headers),
        stored.request_time,
        stored.response_time
    )
}

fn decision(d: Decision) -> &'static str {
    match d {
        Decision::Hit => "Hit",
        Decision::Revalidate => "Revalidate",
        Decision::Miss => "Miss",
    }
}

// ---------------------------------------------------------------- visible checks

fn storable_simple(rng: &mut Rng) -> Case {
    let mut response = Headers::new();
    let directive = *rng.pick(&[
        "max-age=60",
        "no-store, max-age=60",
        "private, max-age=60",
        "public",
        "s-maxage=30",
    ]);
    response.push("Cache-Control", directive);
    if rng.chance(30) {
        response.push("ETag", "\"v1\"");
    }
    if rng.chance(20) {
        response.push("Vary", *rng.pick(&["*", "Accept"]));
    }
    let mut request = Headers::new();
    if rng.chance(25) {
        request.push("Authorization", "Basic eDp5");
    }
    let status = *rng.pick(&[200, 200, 200, 404, 304]);
    Case::new(
        format!(
            "is_storable(request {}, {status}, response {})",
            show(&request),
            show(&response)
        ),
        || is_storable(&request, status, &response).to_string(),
    )
}

fn lifetime_simple(rng: &mut Rng) -> Case {
    let arrived = moment(rng);
    let mut headers = Headers::new();
    match rng.range(0, 3) {
        0 => headers.push("Cache-Control", &format!("max-age={}", rng.range(0, 500))),
        1 => headers.push(
            "Cache-Control",
            &format!(
                "max-age={}, s-maxage={}",
                rng.range(0, 500),
                rng.range(0, 500)
            ),
        ),
        2 => {
            let d = arrived - rng.range(0, 10) as u64;
            headers.push("Date", &date(d));
            headers.push("Expires", &date(d + rng.range(0, 1000) as u64));
        }
        _ => headers.push("Expires", &date(arrived + rng.range(0, 1000) as u64)),
    }
    let stored = Stored {
        headers,
        request_headers: Headers::new(),
        request_time: arrived - 1,
        response_time: arrived,
    };
    Case::new(
        format!("freshness_lifetime({})", show_stored(&stored)),
        || freshness_lifetime(&stored).to_string(),
    )
}

fn age_simple(rng: &mut Rng) -> Case {
    let sent = moment(rng);
    let arrived = sent + rng.range(0, 3) as u64;
    let mut headers = Headers::new();
    headers.push("Date", &date(arrived - rng.range(0, 60) as u64));
    if rng.chance(50) {
        headers.push("Age", &rng.range(0, 100).to_string());
    }
    let stored = Stored {
        headers,
        request_headers: Headers::new(),
        request_time: sent,
        response_time: arrived,
    };
    let now = arrived + rng.range(0, 100) as u64;
    Case::new(
        format!("current_age({}, now {now})", show_stored(&stored)),
        || current_age(&stored, now).to_string(),
    )
}

fn decision_simple(rng: &mut Rng) -> Case {
    let sent = moment(rng);
    let max_age = rng.range(0, 30) as u64;
    let mut headers = Headers::new();
    headers.push("Cache-Control", &format!("max-age={max_age}"));
    if rng.chance(60) {
        headers.push("ETag", "\"v1\"");
    }
    let stored = Stored {
        headers,
        request_headers: Headers::new(),
        request_time: sent,
        response_time: sent,
    };
    // Often right at the edge of freshness: an age of max-age - 1, max-age, max-age + 1.
    let age = if rng.chance(60) {
        (max_age + rng.range(0, 2) as u64).saturating_sub(1)
    } else {
        rng.range(0, 40) as u64
    };
    let mut request = Headers::new();
    if rng.chance(40) {
        let value = match rng.range(0, 3) {
            0 => "no-cache".to_owned(),
            1 => "max-age=0".to_owned(),
            _ => format!(
                "max-age={}",
                (age + rng.range(0, 2) as u64).saturating_sub(1)
            ),
        };
        request.push("Cache-Control", &value);
    }
    let now = sent + age;
    let nothing = rng.chance(10);
    Case::new(
        format!(
            "decide(request {}, {}, now {now})",
            show(&request),
            if nothing {
                "nothing stored".to_owned()
            } else {
                show_stored(&stored)
            }
        ),
        || decision(decide(&request, (!nothing).then_some(&stored), now)).to_owned(),
    )
}

/// A copy with a plain max-age, a Date and maybe an Age, asked for when its age is
/// exactly its lifetime, or one second either side; or, half the time, fresh but asked
/// for with a request `max-age` of its age, or one second either side. (The age is worked
/// out here, for this simple case, only to aim the inputs.)
fn freshness_edges(rng: &mut Rng) -> Case {
    let sent = moment(rng);
    let arrived = sent + rng.range(0, 4) as u64;
    let behind = rng.range(0, 20) as u64; // how far the origin's clock is behind ours
    let age_field = rng.chance(50).then(|| rng.range(0, 20) as u64);
    let on_arrival = behind.max(age_field.unwrap_or(0) + (arrived - sent));
    let client_edge = rng.chance(50);
    let (max_age, target) = if client_edge {
        let target = on_arrival + rng.range(0, 30) as u64;
        (target + rng.range(1, 60) as u64, target)
    } else {
        let max_age = rng.range(0, 120) as u64;
        (
            max_age,
            (max_age + rng.range(0, 2) as u64).saturating_sub(1),
        )
    };
    let mut headers = Headers::new();
    headers.push("Date", &date(arrived - behind));
    headers.push("Cache-Control", &format!("max-age={max_age}"));
    if let Some(a) = age_field {
        headers.push("Age", &a.to_string());
    }
    headers.push("Last-Modified", &date(arrived - 9_999));
    let stored = Stored {
        headers,
        request_headers: Headers::new(),
        request_time: sent,
        response_time: arrived,
    };
    let now = arrived + target.saturating_sub(on_arrival);
    let mut request = Headers::new();
    if client_edge {
        let asked = (target + rng.range(0, 2) as u64).saturating_sub(1);
        request.push("Cache-Control", &format!("max-age={asked}"));
    }
    Case::new(
        format!(
            "request {}, {}, now {now}",
            show(&request),
            show_stored(&stored)
        ),
        || {
            format!(
                "current_age {}, decide {}",
                current_age(&stored, now),
                decision(decide(&request, Some(&stored), now))
            )
        },
    )
}

fn conditional(rng: &mut Rng) -> Case {
    let arrived = moment(rng);
    let mut fields: Vec<(String, String)> = vec![("Cache-Control".into(), "max-age=0".into())];
    if rng.chance(60) {
        fields.push((cased(rng, "ETag"), format!("\"{}\"", rng.word(1, 8))));
    }
    if rng.chance(60) {
        fields.push((
            cased(rng, "Last-Modified"),
            date(arrived - rng.range(0, 99_999) as u64),
        ));
    }
    if rng.chance(20) {
        fields.push(("ETag".into(), "\"second\"".into()));
    }
    if rng.chance(50) {
        fields.reverse();
    }
    let mut headers = Headers::new();
    for (n, v) in &fields {
        headers.push(n, v);
    }
    let stored = Stored {
        headers,
        request_headers: Headers::new(),
        request_time: arrived,
        response_time: arrived,
    };
    Case::new(
        format!("conditional_request({})", show_stored(&stored)),
        || show(&conditional_request(&stored)),
    )
}

fn refresh_simple(rng: &mut Rng) -> Case {
    let sent = moment(rng);
    let mut stored = Stored {
        headers: Headers::from([
            ("ETag", "\"v1\""),
            ("Cache-Control", "max-age=1"),
            ("Content-Type", "text/plain"),
        ]),
        request_headers: Headers::new(),
        request_time: sent,
        response_time: sent,
    };
    let mut not_modified = Headers::new();
    not_modified.push("Cache-Control", &format!("max-age={}", rng.range(0, 100)));
    if rng.chance(70) {
        not_modified.push("ETag", if rng.chance(70) { "\"v1\"" } else { "\"v2\"" });
    }
    not_modified.push("Date", &date(sent + 100));
    let (again, arrived) = (sent + 100, sent + 101);
    let input = format!(
        "apply_not_modified({}, 304 {}, {again}, {arrived})",
        show_stored(&stored),
        show(&not_modified)
    );
    Case::new(input, || {
        let applied = apply_not_modified(&mut stored, &not_modified, again, arrived);
        format!("{applied}; stored now {}", show_stored(&stored))
    })
}

// ---------------------------------------------------------------- hidden checks

fn storable_any(rng: &mut Rng) -> Case {
    let request = request_fields(rng);
    let arrived = moment(rng);
    let response = response_fields(rng, arrived);
    let status = *rng.pick(&[200, 200, 200, 200, 203, 206, 301, 404, 500]);
    Case::new(
        format!(
            "is_storable(request {}, {status}, response {})",
            show(&request),
            show(&response)
        ),
        || is_storable(&request, status, &response).to_string(),
    )
}

fn lifetime_and_age_any(rng: &mut Rng) -> Case {
    let stored = stored_copy(rng, &Headers::new());
    let now = match rng.range(0, 19) {
        0 => stored.response_time.saturating_sub(rng.range(1, 30) as u64), // a clock gone back
        _ => stored.response_time + rng.range(0, 500) as u64,
    };
    Case::new(format!("{}, now {now}", show_stored(&stored)), || {
        format!(
            "freshness_lifetime {}, current_age {}",
            freshness_lifetime(&stored),
            current_age(&stored, now)
        )
    })
}

fn decision_any(rng: &mut Rng) -> Case {
    let original = request_fields(rng);
    let stored = stored_copy(rng, &original);
    // Half the time the same client asks again; otherwise another one.
    let request = if rng.chance(50) {
        original
    } else {
        request_fields(rng)
    };
    let now = stored.response_time + rng.range(0, 300) as u64;
    let nothing = rng.chance(5);
    Case::new(
        format!(
            "decide(request {}, {}, now {now})",
            show(&request),
            if nothing {
                "nothing stored".to_owned()
            } else {
                show_stored(&stored)
            }
        ),
        || decision(decide(&request, (!nothing).then_some(&stored), now)).to_owned(),
    )
}

fn refresh_any(rng: &mut Rng) -> Case {
    let mut stored = stored_copy(rng, &Headers::new());
    stored.headers.push(&cased(rng, "X-Extra"), "kept");
    let again = stored.response_time + rng.range(1, 1000) as u64;
    let arrived = again + rng.range(0, 3) as u64;
    let mut fields: Vec<(String, String)> = Vec::new();
    if rng.chance(70) {
        let tag = match rng.range(0, 5) {
            0 => "\"v2\"",
            1 => "W/\"v1\"",
            _ => "\"v1\"",
        };
        fields.push((cased(rng, "ETag"), tag.into()));
    }
    fields.push((cased(rng, "Date"), date(arrived)));
    response_cache_control(rng, &mut fields);
    if rng.chance(40) {
        fields.push((cased(rng, "Content-Length"), "0".into()));
    }
    if rng.chance(40) {
        fields.push((cased(rng, "Expires"), date(arrived + 60)));
    }
    if rng.chance(30) {
        fields.push((cased(rng, "X-Extra"), "new".into()));
        if rng.chance(50) {
            fields.push((cased(rng, "x-extra"), "newer".into()));
        }
    }
    for i in (1..fields.len()).rev() {
        let j = rng.range(0, i);
        fields.swap(i, j);
    }
    let mut not_modified = Headers::new();
    for (n, v) in &fields {
        not_modified.push(n, v);
    }
    let input = format!(
        "apply_not_modified({}, 304 {}, {again}, {arrived})",
        show_stored(&stored),
        show(&not_modified)
    );
    Case::new(input, || {
        let applied = apply_not_modified(&mut stored, &not_modified, again, arrived);
        format!("{applied}; stored now {}", show_stored(&stored))
    })
}
