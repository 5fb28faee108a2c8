//! The cache's decisions, as pure functions of header fields and times (RFC 9111): may
//! this response be stored, is a stored one fresh, how old is it, what to ask the origin
//! to revalidate it, and what a `304 Not Modified` changes. No sockets and no clock: the
//! time is an argument (seconds since 1970), so every rule can be tested with exact
//! numbers. The store itself (bounded in bytes, least recently used out first) is in
//! `store.rs`; the proxy that calls these is in `proxy.rs`.
//!
//! This proxy is a *shared* cache (RFC 9111 §1): what it stores for one client it serves
//! to others. That is why `private` responses are not stored, `s-maxage` wins over
//! `max-age`, and a request with `Authorization` is stored only when the origin says so.

use crate::http::{Headers, parse_http_date};

/// The largest number of seconds a delta-seconds value stands for; larger ones are cut to
/// it (RFC 9111 §1.2.2).
pub const MAX_SECONDS: u64 = 1 << 31;

// ANCHOR: cache_control
/// The `Cache-Control` directives the cache obeys (RFC 9111 §5.2), from a request or a
/// response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheControl {
    pub no_store: bool,
    pub no_cache: bool,
    pub private: bool,
    pub public: bool,
    pub must_revalidate: bool,
    pub max_age: Option<u64>,
    pub s_maxage: Option<u64>,
}

impl CacheControl {
    /// The directives of every `Cache-Control` line of `headers`. Names are compared
    /// without regard to case; an argument may be quoted (`max-age="60"`); commas inside
    /// quotes do not split. The first `max-age` (`s-maxage`) counts, and one whose
    /// argument is not a number counts as 0: the response is stale (§4.2.1).
    pub fn of(headers: &Headers) -> CacheControl {
        let mut cc = CacheControl::default();
        for line in headers.get_all("cache-control") {
            for directive in split_outside_quotes(line) {
                let (name, argument) = match directive.split_once('=') {
                    Some((n, a)) => (n.trim(), Some(a.trim().trim_matches('"'))),
                    None => (directive.trim(), None),
                };
                let seconds = || Some(argument.and_then(delta_seconds).unwrap_or(0));
                match name.to_ascii_lowercase().as_str() {
                    "no-store" => cc.no_store = true,
                    "no-cache" => cc.no_cache = true,
                    "private" => cc.private = true,
                    "public" => cc.public = true,
                    "must-revalidate" | "proxy-revalidate" => cc.must_revalidate = true,
                    "max-age" if cc.max_age.is_none() => cc.max_age = seconds(),
                    "s-maxage" if cc.s_maxage.is_none() => cc.s_maxage = seconds(),
                    _ => {} // unknown directives are ignored (§5.2.3)
                }
            }
        }
        cc
    }
}

/// A list split at the commas that are not inside double quotes.
fn split_outside_quotes(line: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&line[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&line[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// A number of seconds (digits only, after trimming spaces), cut to [`MAX_SECONDS`].
pub fn delta_seconds(text: &str) -> Option<u64> {
    let text = text.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        text.parse::<u64>()
            .map_or(MAX_SECONDS, |n| n.min(MAX_SECONDS)),
    )
}
// ANCHOR_END: cache_control

// ANCHOR: stored
/// A response in the cache, as the rules see it (the body is kept beside it, in the
/// store).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stored {
    /// Its header fields, hop-by-hop ones and the framing (`Content-Length`,
    /// `Transfer-Encoding`) removed.
    pub headers: Headers,
    /// The fields of the request that fetched it that its `Vary` names.
    pub request_headers: Headers,
    /// When that request was sent, in seconds since 1970.
    pub request_time: u64,
    /// When the response's head arrived.
    pub response_time: u64,
}

/// What to do with a request, given what the cache holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Answer from the cache; the origin hears nothing.
    Hit,
    /// Ask the origin whether the stored copy is still good (a conditional request).
    Revalidate,
    /// Fetch it from the origin.
    Miss,
}
// ANCHOR_END: stored

/// The names a response's `Vary` lists, in lower case.
pub fn vary_names(response: &Headers) -> Vec<String> {
    response
        .list("vary")
        .into_iter()
        .map(|n| n.to_ascii_lowercase())
        .collect()
}

// ANCHOR: vary
/// Whether `request` may be answered with `stored`: every field its `Vary` names has the
/// same value (all its lines joined, [`Headers::combined`]) in `request` as in the
/// request that fetched it, absent in both counting as the same (RFC 9111 §4.1).
pub fn vary_matches(stored: &Stored, request: &Headers) -> bool {
    vary_names(&stored.headers)
        .iter()
        .all(|name| name != "*" && stored.request_headers.combined(name) == request.combined(name))
}
// ANCHOR_END: vary

// ANCHOR: storable
/// Whether a shared cache may store this response to a GET (RFC 9111 §3): a `200`; no
/// `no-store` in the request or the response, no `private`; with `Authorization` in the
/// request, only if the response says `public`, `s-maxage` or `must-revalidate` (§3.5);
/// not `Vary: *`; and something that makes a copy useful: an explicit lifetime
/// (`max-age`, `s-maxage`, `Expires`) or a validator to revalidate it with (`ETag`,
/// `Last-Modified`).
pub fn is_storable(request: &Headers, status: u16, response: &Headers) -> bool {
    let asked = CacheControl::of(request);
    let said = CacheControl::of(response);
    if status != 200 || asked.no_store || said.no_store || said.private {
        return false;
    }
    let authorized = said.public || said.s_maxage.is_some() || said.must_revalidate;
    if request.get("authorization").is_some() && !authorized {
        return false;
    }
    if vary_names(response).iter().any(|name| name == "*") {
        return false;
    }
    said.max_age.is_some()
        || said.s_maxage.is_some()
        || ["expires", "etag", "last-modified"]
            .iter()
            .any(|name| response.get(name).is_some())
}
// ANCHOR_END: storable

// ANCHOR: freshness
/// How long the response stays fresh after it left the origin (RFC 9111 §4.2.1):
/// `s-maxage` (we are a shared cache), else `max-age`, else `Expires` minus `Date` (the
/// time the response arrived when there is no valid `Date`; 0 when `Expires` is not a
/// valid date, as in `Expires: 0`), else 0: no heuristics, a response without a lifetime
/// is stale at once and used only after revalidation.
pub fn freshness_lifetime(stored: &Stored) -> u64 {
    let cc = CacheControl::of(&stored.headers);
    if let Some(seconds) = cc.s_maxage.or(cc.max_age) {
        return seconds;
    }
    let Some(expires) = stored.headers.get("expires") else {
        return 0;
    };
    let Some(expires) = parse_http_date(expires) else {
        return 0;
    };
    expires.saturating_sub(date_value(stored))
}

/// The response's `Date`, or when it arrived if it has no valid one.
fn date_value(stored: &Stored) -> u64 {
    stored
        .headers
        .get("date")
        .and_then(parse_http_date)
        .unwrap_or(stored.response_time)
}

/// How old the stored response is at `now` (RFC 9111 §4.2.3): the age it already had when
/// it arrived (the larger of what the clocks say, `response_time - Date`, and what the
/// caches before us said, `Age` plus the time the request took) plus the time it has
/// spent here. A missing or malformed `Age` counts as 0.
pub fn current_age(stored: &Stored, now: u64) -> u64 {
    let apparent_age = stored.response_time.saturating_sub(date_value(stored));
    let age_value = stored
        .headers
        .get("age")
        .and_then(delta_seconds)
        .unwrap_or(0);
    let response_delay = stored.response_time.saturating_sub(stored.request_time);
    let corrected_age_value = age_value.saturating_add(response_delay);
    let corrected_initial_age = apparent_age.max(corrected_age_value);
    let resident_time = now.saturating_sub(stored.response_time);
    corrected_initial_age.saturating_add(resident_time)
}
// ANCHOR_END: freshness

// ANCHOR: decide
/// What to do with a GET whose fields are `request`, when the cache holds `stored` for
/// its URL (RFC 9111 §4):
///
/// - nothing stored, or `Vary` does not match: [`Decision::Miss`];
/// - fresh (lifetime > age), the response does not say `no-cache`, and the request says
///   neither `no-cache` nor a `max-age` smaller than the age: [`Decision::Hit`];
/// - otherwise, if it has a validator (`ETag` or `Last-Modified`):
///   [`Decision::Revalidate`], else [`Decision::Miss`].
pub fn decide(request: &Headers, stored: Option<&Stored>, now: u64) -> Decision {
    let Some(stored) = stored else {
        return Decision::Miss;
    };
    if !vary_matches(stored, request) {
        return Decision::Miss;
    }
    let asked = CacheControl::of(request);
    let said = CacheControl::of(&stored.headers);
    let age = current_age(stored, now);
    let fresh = freshness_lifetime(stored) > age;
    let too_old_for_client = asked.max_age.is_some_and(|max| age > max);
    if fresh && !said.no_cache && !asked.no_cache && !too_old_for_client {
        return Decision::Hit;
    }
    if stored.headers.get("etag").is_some() || stored.headers.get("last-modified").is_some() {
        Decision::Revalidate
    } else {
        Decision::Miss
    }
}
// ANCHOR_END: decide

// ANCHOR: revalidate
/// The fields that make a request conditional on the stored copy (RFC 9111 §4.3.1):
/// `If-None-Match` with its `ETag`, `If-Modified-Since` with its `Last-Modified`
/// (each only if it has one), in that order.
pub fn conditional_request(stored: &Stored) -> Headers {
    let mut fields = Headers::new();
    if let Some(etag) = stored.headers.get("etag") {
        fields.push("If-None-Match", etag);
    }
    if let Some(modified) = stored.headers.get("last-modified") {
        fields.push("If-Modified-Since", modified);
    }
    fields
}

/// Applies a `304 Not Modified` (its fields, hop-by-hop ones removed, in
/// `not_modified`) to the stored response it validates (RFC 9111 §4.3.4, §3.2). If the
/// 304 has an `ETag` other than the stored one, it is about another copy: nothing changes
/// and the answer is `false`. Otherwise each field of the 304 except `Content-Length`
/// replaces the stored lines of its name (all of them, where it first appears; the 304's
/// lines of that name go at the end, in order), the stored copy takes the times of this
/// exchange, and the answer is `true`.
pub fn apply_not_modified(
    stored: &mut Stored,
    not_modified: &Headers,
    request_time: u64,
    response_time: u64,
) -> bool {
    if let Some(tag) = not_modified.get("etag")
        && stored.headers.get("etag") != Some(tag)
    {
        return false;
    }
    let mut replaced: Vec<String> = Vec::new();
    for (name, value) in not_modified.iter() {
        if name.eq_ignore_ascii_case("content-length") {
            continue;
        }
        if !replaced.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            stored.headers.remove(name);
            replaced.push(name.to_owned());
        }
        stored.headers.push(name, value);
    }
    stored.request_time = request_time;
    stored.response_time = response_time;
    true
}
// ANCHOR_END: revalidate

// ANCHOR: client_copy
/// Whether the client's own copy, named by its conditional fields, is the stored one, so
/// that a `304` answers it (RFC 9110 §13.2.2): `If-None-Match` decides when present (the
/// stored `ETag`, weak or strong, among its tags, or `*`); otherwise `If-Modified-Since`
/// not older than the stored `Last-Modified`.
pub fn client_has_current_copy(request: &Headers, stored: &Stored) -> bool {
    let tags = request.list("if-none-match");
    if !tags.is_empty() {
        let Some(ours) = stored.headers.get("etag") else {
            return tags.iter().any(|t| t == "*");
        };
        let opaque = |tag: &str| tag.trim_start_matches("W/").to_owned();
        return tags.iter().any(|t| t == "*" || opaque(t) == opaque(ours));
    }
    let since = request.get("if-modified-since").and_then(parse_http_date);
    let modified = stored
        .headers
        .get("last-modified")
        .and_then(parse_http_date);
    matches!((since, modified), (Some(since), Some(modified)) if modified <= since)
}
// ANCHOR_END: client_copy

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::http_date;

    const T: u64 = 1_700_000_000;

    fn stored(fields: &[(&str, &str)], request_time: u64, response_time: u64) -> Stored {
        let mut headers = Headers::new();
        for (n, v) in fields {
            headers.push(n, v);
        }
        Stored {
            headers,
            request_headers: Headers::new(),
            request_time,
            response_time,
        }
    }

    #[test]
    fn cache_control_directives_are_read_from_every_line() {
        let cc = CacheControl::of(&Headers::from([
            ("Cache-Control", "Public, MAX-AGE=\"60\""),
            (
                "cache-control",
                "no-cache=\"Set-Cookie, X\", max-age=5, s-maxage=abc",
            ),
        ]));
        assert!(cc.public && cc.no_cache && !cc.no_store && !cc.private);
        assert_eq!((cc.max_age, cc.s_maxage), (Some(60), Some(0)));
        let huge = CacheControl::of(&Headers::from([(
            "Cache-Control",
            "max-age=99999999999999999999999",
        )]));
        assert_eq!(huge.max_age, Some(MAX_SECONDS));
    }

    #[test]
    fn lifetime_comes_from_s_maxage_then_max_age_then_expires() {
        let date = http_date(T);
        let expires = http_date(T + 300);
        let f = |fields: &[(&str, &str)]| freshness_lifetime(&stored(fields, T, T + 2));
        assert_eq!(f(&[("Cache-Control", "max-age=60, s-maxage=30")]), 30);
        assert_eq!(
            f(&[("Cache-Control", "max-age=60"), ("Expires", &expires)]),
            60
        );
        assert_eq!(f(&[("Date", &date), ("Expires", &expires)]), 300);
        // Without a Date, from when it arrived.
        assert_eq!(f(&[("Expires", &expires)]), 298);
        assert_eq!(f(&[("Date", &date), ("Expires", "0")]), 0);
        assert_eq!(f(&[("Date", &expires), ("Expires", &date)]), 0);
        assert_eq!(f(&[("ETag", "\"x\"")]), 0);
    }

    #[test]
    fn age_adds_what_came_before_and_the_time_spent_here() {
        // Sent at T, answered at T+2 with Age: 10 and a Date of T+1.
        let s = stored(&[("Date", &http_date(T + 1)), ("Age", "10")], T, T + 2);
        // corrected age 10 + 2 = 12 beats the apparent 1; then 5 s resident.
        assert_eq!(current_age(&s, T + 7), 17);
        // A Date from a fast clock makes no negative age; a slow one counts.
        let s = stored(&[("Date", &http_date(T + 100))], T, T);
        assert_eq!(current_age(&s, T + 3), 3);
        let s = stored(&[("Date", &http_date(T - 50)), ("Age", "x")], T, T);
        assert_eq!(current_age(&s, T), 50);
    }

    #[test]
    fn what_a_shared_cache_may_store() {
        let none = Headers::new();
        let ok = |fields: &[(&str, &str)]| {
            let mut h = Headers::new();
            for (n, v) in fields {
                h.push(n, v);
            }
            is_storable(&none, 200, &h)
        };
        assert!(ok(&[("Cache-Control", "max-age=60")]));
        assert!(ok(&[("ETag", "\"a\"")]));
        assert!(ok(&[
            ("Cache-Control", "no-cache"),
            ("Last-Modified", &http_date(T))
        ]));
        assert!(ok(&[("Expires", "0")]));
        assert!(!ok(&[]));
        assert!(!ok(&[("Cache-Control", "no-store, max-age=60")]));
        assert!(!ok(&[("Cache-Control", "private, max-age=60")]));
        assert!(!ok(&[
            ("Cache-Control", "max-age=60"),
            ("Vary", "Accept, *")
        ]));
        assert!(ok(&[("Cache-Control", "max-age=60"), ("Vary", "Accept")]));
        let cc = Headers::from([("Cache-Control", "max-age=60")]);
        assert!(!is_storable(&none, 404, &cc));
        assert!(!is_storable(
            &Headers::from([("Cache-Control", "no-store")]),
            200,
            &cc
        ));
        let auth = Headers::from([("Authorization", "Basic eDp5")]);
        assert!(!is_storable(&auth, 200, &cc));
        assert!(is_storable(
            &auth,
            200,
            &Headers::from([("Cache-Control", "public, max-age=60")])
        ));
    }

    #[test]
    fn hit_revalidate_or_miss() {
        let none = Headers::new();
        let s = stored(&[("Cache-Control", "max-age=10"), ("ETag", "\"v1\"")], T, T);
        assert_eq!(decide(&none, None, T), Decision::Miss);
        assert_eq!(decide(&none, Some(&s), T + 9), Decision::Hit);
        assert_eq!(decide(&none, Some(&s), T + 10), Decision::Revalidate);
        let reload = Headers::from([("Cache-Control", "no-cache")]);
        assert_eq!(decide(&reload, Some(&s), T + 1), Decision::Revalidate);
        let picky = Headers::from([("Cache-Control", "max-age=3")]);
        assert_eq!(decide(&picky, Some(&s), T + 3), Decision::Hit);
        assert_eq!(decide(&picky, Some(&s), T + 4), Decision::Revalidate);
        let no_validator = stored(&[("Cache-Control", "max-age=10")], T, T);
        assert_eq!(decide(&none, Some(&no_validator), T + 11), Decision::Miss);
        let always_ask = stored(
            &[("Cache-Control", "no-cache, max-age=99"), ("ETag", "\"a\"")],
            T,
            T,
        );
        assert_eq!(decide(&none, Some(&always_ask), T), Decision::Revalidate);
    }

    #[test]
    fn vary_compares_the_named_request_fields() {
        let mut s = stored(
            &[("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")],
            T,
            T,
        );
        s.request_headers.push("Accept-Language", "fr");
        let fr = Headers::from([("accept-language", "fr")]);
        let de = Headers::from([("Accept-Language", "de")]);
        assert_eq!(decide(&fr, Some(&s), T), Decision::Hit);
        assert_eq!(decide(&de, Some(&s), T), Decision::Miss);
        assert_eq!(decide(&Headers::new(), Some(&s), T), Decision::Miss);
    }

    #[test]
    fn a_304_refreshes_the_stored_fields_and_times() {
        let mut s = stored(
            &[
                ("ETag", "\"v1\""),
                ("Cache-Control", "max-age=1"),
                ("X-A", "1"),
                ("x-a", "2"),
                ("Content-Type", "text/plain"),
            ],
            T,
            T,
        );
        assert_eq!(
            conditional_request(&s),
            Headers::from([("If-None-Match", "\"v1\"")])
        );
        let not_modified = Headers::from([
            ("Cache-Control", "max-age=30"),
            ("X-A", "3"),
            ("Content-Length", "0"),
            ("ETag", "\"v1\""),
        ]);
        assert!(apply_not_modified(&mut s, &not_modified, T + 5, T + 6));
        assert_eq!(
            s.headers,
            Headers::from([
                ("Content-Type", "text/plain"),
                ("Cache-Control", "max-age=30"),
                ("X-A", "3"),
                ("ETag", "\"v1\""),
            ])
        );
        assert_eq!((s.request_time, s.response_time), (T + 5, T + 6));
        let other = Headers::from([("ETag", "\"v2\"")]);
        let before = s.clone();
        assert!(!apply_not_modified(&mut s, &other, T + 9, T + 9));
        assert_eq!(s, before);
    }

    #[test]
    fn the_clients_own_copy_is_recognised() {
        let s = stored(
            &[("ETag", "\"v1\""), ("Last-Modified", &http_date(T))],
            T,
            T,
        );
        let asks = |fields: &[(&str, &str)]| {
            let mut h = Headers::new();
            for (n, v) in fields {
                h.push(n, v);
            }
            client_has_current_copy(&h, &s)
        };
        assert!(asks(&[("If-None-Match", "\"v0\", W/\"v1\"")]));
        assert!(!asks(&[("If-None-Match", "\"v0\"")]));
        assert!(asks(&[("If-None-Match", "*")]));
        assert!(asks(&[("If-Modified-Since", &http_date(T))]));
        assert!(!asks(&[("If-Modified-Since", &http_date(T - 1))]));
        // If-None-Match decides when both are there.
        assert!(!asks(&[
            ("If-None-Match", "\"v0\""),
            ("If-Modified-Since", &http_date(T))
        ]));
        assert!(!asks(&[]));
    }
}
