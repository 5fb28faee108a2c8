//! A shared HTTP cache's decisions (RFC 9111), the heart of `web_proxy`: may a response
//! be stored, how long it stays fresh, how old it is, whether a request is a hit, a miss
//! or a revalidation, what to ask the origin, and what a `304 Not Modified` changes.
//!
//! Pure functions of header fields and times: no sockets, no clock. A time is a number of
//! seconds since 1970 (`now`, `request_time`, `response_time`), and an HTTP date turns
//! into one with [`parse_http_date`].

mod http;

pub use http::{Headers, http_date, parse_http_date};

/// The largest number of seconds a delta-seconds value stands for; larger ones are cut to
/// it (RFC 9111 §1.2.2).
pub const MAX_SECONDS: u64 = 1 << 31;

/// The `Cache-Control` directives a cache obeys (RFC 9111 §5.2), from a request or a
/// response. (Given.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CacheControl {
    pub no_store: bool,
    pub no_cache: bool,
    pub private: bool,
    pub public: bool,
    /// `must-revalidate` or `proxy-revalidate`.
    pub must_revalidate: bool,
    pub max_age: Option<u64>,
    pub s_maxage: Option<u64>,
}

impl CacheControl {
    /// The directives of every `Cache-Control` line of `headers`. Names are compared
    /// without regard to case; an argument may be quoted (`max-age="60"`); commas inside
    /// quotes do not split. The first `max-age` (`s-maxage`) counts, and one whose
    /// argument is not a number counts as 0 (the response is stale). (Given.)
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
                    _ => {}
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

/// A number of seconds (digits only, after trimming spaces), cut to [`MAX_SECONDS`];
/// `None` for anything else. (Given.)
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

/// A response in the cache, as the rules see it (the body is kept elsewhere).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stored {
    /// Its header fields, hop-by-hop ones and the framing (`Content-Length`,
    /// `Transfer-Encoding`) removed.
    pub headers: Headers,
    /// The fields of the request that fetched it that its `Vary` names.
    pub request_headers: Headers,
    /// When that request was sent.
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

/// The names a response's `Vary` lists, in lower case. (Given.)
pub fn vary_names(response: &Headers) -> Vec<String> {
    response
        .list("vary")
        .into_iter()
        .map(|n| n.to_ascii_lowercase())
        .collect()
}

/// Whether `request` may be answered with `stored`: every field its `Vary` names has the
/// same value ([`Headers::combined`]) in `request` as in the request that fetched it,
/// absent in both counting as the same; `Vary: *` never matches. (Given.)
pub fn vary_matches(stored: &Stored, request: &Headers) -> bool {
    vary_names(&stored.headers)
        .iter()
        .all(|name| name != "*" && stored.request_headers.combined(name) == request.combined(name))
}

/// The response's `Date` (its first line) if it is a valid HTTP date, otherwise the time
/// the response arrived. (Given.)
pub fn date_value(stored: &Stored) -> u64 {
    stored
        .headers
        .get("date")
        .and_then(parse_http_date)
        .unwrap_or(stored.response_time)
}

// ANCHOR: exercise
/// Whether a shared cache may store this response (`status`, `response`) to a GET whose
/// fields were `request` (RFC 9111 §3). All of:
///
/// - the status is 200;
/// - neither the request's nor the response's `Cache-Control` says `no-store`, and the
///   response's does not say `private`;
/// - if the request has an `Authorization` field, the response says `public`,
///   `s-maxage` or `must-revalidate` (§3.5);
/// - the response's `Vary` does not list `*`;
/// - the response has a `max-age` or an `s-maxage`, or a field `Expires`, `ETag` or
///   `Last-Modified`: a lifetime, or a validator to revalidate the copy with.
pub fn is_storable(request: &Headers, status: u16, response: &Headers) -> bool {
    //> // TODO: CacheControl::of(request) and CacheControl::of(response) hold the
    //> // directives; vary_names(response) the names Vary lists.
    //> let _ = (request, status, response);
    //> todo!("is_storable")
    // lab:solution
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
    // lab:end
}

/// How long the stored response stays fresh after it left the origin (RFC 9111 §4.2.1),
/// in seconds: its `s-maxage` if it has one (this is a shared cache), else its `max-age`,
/// else `Expires` minus [`date_value`] (0 if that is negative, and 0 if the first
/// `Expires` line is not a valid date: `Expires: 0` means "already expired"), else 0.
pub fn freshness_lifetime(stored: &Stored) -> u64 {
    //> // TODO: CacheControl::of(&stored.headers); then the first Expires line, through
    //> // parse_http_date.
    //> let _ = stored;
    //> todo!("freshness_lifetime")
    // lab:solution
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
    // lab:end
}

/// How old the stored response is at `now`, in seconds (RFC 9111 §4.2.3):
///
/// ```text
/// apparent_age          = max(0, response_time - date_value)
/// age_value             = the first Age line, through delta_seconds (missing or invalid: 0)
/// response_delay        = response_time - request_time
/// corrected_initial_age = max(apparent_age, age_value + response_delay)
/// resident_time         = now - response_time
/// current_age           = corrected_initial_age + resident_time
/// ```
///
/// No step goes below 0 (use `saturating_sub`), and none overflows (`saturating_add`).
pub fn current_age(stored: &Stored, now: u64) -> u64 {
    //> // TODO: the formula above, step by step.
    //> let _ = (stored, now);
    //> todo!("current_age")
    // lab:solution
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
    // lab:end
}

/// What to do with a GET whose fields are `request`, when the cache holds `stored` for
/// its URL (or nothing), at `now` (RFC 9111 §4):
///
/// - nothing stored, or [`vary_matches`] says no: `Miss`;
/// - fresh (`freshness_lifetime > current_age`), the stored response's `Cache-Control`
///   does not say `no-cache`, and the request's says neither `no-cache` nor a `max-age`
///   smaller than the current age: `Hit`;
/// - otherwise `Revalidate` if the stored response has an `ETag` or a `Last-Modified`
///   (something to revalidate with), else `Miss`.
pub fn decide(request: &Headers, stored: Option<&Stored>, now: u64) -> Decision {
    //> // TODO: the rules above, in that order.
    //> let _ = (request, stored, now);
    //> todo!("decide")
    // lab:solution
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
    // lab:end
}

/// The fields that make a request conditional on the stored copy (RFC 9111 §4.3.1):
/// `If-None-Match` with the value of its (first) `ETag`, then `If-Modified-Since` with
/// the value of its (first) `Last-Modified`, each only if the stored response has one.
pub fn conditional_request(stored: &Stored) -> Headers {
    //> // TODO: a Headers::new(), and a push for each validator the stored response has.
    //> let _ = stored;
    //> todo!("conditional_request")
    // lab:solution
    let mut fields = Headers::new();
    if let Some(etag) = stored.headers.get("etag") {
        fields.push("If-None-Match", etag);
    }
    if let Some(modified) = stored.headers.get("last-modified") {
        fields.push("If-Modified-Since", modified);
    }
    fields
    // lab:end
}

/// Applies a `304 Not Modified` (its fields in `not_modified`) to the stored response it
/// validates (RFC 9111 §4.3.4, §3.2), and returns whether it did:
///
/// - if the 304 has an `ETag` (its first line) that is not the stored response's (first)
///   `ETag`, it is about another copy: change nothing and return `false`;
/// - otherwise, going through the 304's lines in order and skipping `Content-Length`:
///   at the first line of each name, remove every stored line of that name (any case);
///   then add the line at the end of the stored fields. So the 304's values replace the
///   stored ones, and a name the 304 does not have keeps its stored lines;
/// - the stored response takes `request_time` and `response_time` of this exchange, and
///   the answer is `true`.
pub fn apply_not_modified(
    stored: &mut Stored,
    not_modified: &Headers,
    request_time: u64,
    response_time: u64,
) -> bool {
    //> // TODO: the ETag check, then the fields, then the times.
    //> let _ = (stored, not_modified, request_time, response_time);
    //> todo!("apply_not_modified")
    // lab:solution
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
    // lab:end
}
// ANCHOR_END: exercise
