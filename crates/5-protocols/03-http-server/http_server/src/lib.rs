//! The web server's parts: read requests as their bytes arrive, parse them, find the file,
//! write the response.
//!
//! `main.rs` holds the socket calls (listen, accept) and starts the threads; [`Server`]
//! holds the connections that wait for bytes (in an epoll set, without a thread each) and
//! the workers that answer whole requests; [`Conn`] is one connection and the reading of
//! its requests; `answer` decides what each request gets.

mod answer;
mod chunked;
mod conn;
mod files;
mod form;
mod request;
mod response;
mod server;
mod site;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, SystemTime};

pub use answer::{FORM_PATH, VISITS_PATH};
pub use chunked::Chunked;
pub use conn::Conn;
pub use files::{Folder, Lookup, Validators, content_type, lookup, lookup_built_in, not_modified};
pub use form::{parse_form, percent_decode};
pub use request::{Framing, KNOWN_METHODS, Request, Version, end_of_head, parse_head};
pub use response::{Status, error_page, http_date, parse_http_date};
pub use server::Server;
pub use site::SITE;

/// What the server serves.
#[derive(Debug)]
pub enum Root {
    /// A folder.
    Folder(Folder),
    /// The site built into the binary; `modified` is when the binary was written, its
    /// files' Last-Modified.
    BuiltIn { modified: Option<SystemTime> },
}

/// What the server was told on its command line.
#[derive(Debug)]
pub struct Config {
    pub root: Root,
    /// How long the server waits for a whole request head, counted from when it starts
    /// waiting (the connection is accepted, or the previous response is sent): then the
    /// connection is closed, with 408 if part of a request had arrived. Also the longest
    /// a single send may block.
    pub timeout: Duration,
    /// The slowest a body may arrive and a response be read, in bytes per second, on
    /// average, after a first `timeout` of grace.
    pub min_rate: u64,
    /// The largest request head (request line and headers) accepted: 414 or 431 beyond.
    pub max_head: usize,
    /// The largest request body accepted: 413 beyond.
    pub max_body: u64,
    /// No line per request and per connection in the log.
    pub quiet: bool,
}

/// Set when the server is asked to stop (SIGINT, SIGTERM): every connection finishes the
/// request in progress, answers it with `Connection: close`, and ends; idle ones end at once.
pub static STOPPING: AtomicBool = AtomicBool::new(false);

fn stopping() -> bool {
    STOPPING.load(Ordering::SeqCst)
}

/// A connection is closed after this many requests (nginx's default `keepalive_requests`),
/// so that no client keeps one forever.
pub const MAX_REQUESTS_PER_CONNECTION: u32 = 1000;

/// Checks every input a fuzzer can produce: the head parser, the body framing, the chunk
/// decoder, the form decoder, the dates and the path checks. Used by the fuzz target in
/// `fuzz/` and by the tests, which run it over nasty inputs: it must never panic.
pub fn fuzz_one_input(data: &[u8]) {
    if let Some(end) = end_of_head(data, 0) {
        assert!(end <= data.len());
    }
    if let Ok(request) = parse_head(data) {
        let _ = request.framing();
        let _ = request.keep_alive();
        if let Ok(root) = Folder::open(std::path::Path::new("/nonexistent-root")) {
            let _ = lookup(&root, &request.target);
        }
        let _ = lookup_built_in(&request.target);
        let _ = not_modified(&request, &Validators::of_bytes(data, None));
    }
    let mut chunked = Chunked::new(1 << 16);
    if let Ok((used, _)) = chunked.feed(data) {
        assert!(used <= data.len());
    }
    let _ = parse_http_date(&String::from_utf8_lossy(data));
    let _ = parse_form(data);
}

// ANCHOR: slots
/// A counting semaphore: at most `max` connections are open at once. The accept loop
/// takes a slot before `accept`, so when all are taken new clients wait in the kernel's
/// listen queue instead of costing a descriptor each.
pub struct Slots {
    busy: Mutex<usize>,
    freed: Condvar,
    max: usize,
}

impl Slots {
    pub fn new(max: usize) -> Arc<Slots> {
        Arc::new(Slots {
            busy: Mutex::new(0),
            freed: Condvar::new(),
            max: max.max(1),
        })
    }

    /// Waits for a free slot and takes it; it is given back when the guard is dropped.
    pub fn acquire(self: &Arc<Self>) -> SlotGuard {
        let mut busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        while *busy >= self.max {
            busy = self.freed.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        *busy += 1;
        SlotGuard {
            slots: Arc::clone(self),
        }
    }

    /// Waits until every slot is free (every connection closed), or `limit` has passed;
    /// returns how many are still taken.
    pub fn wait_all_free(&self, limit: Duration) -> usize {
        let busy = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        let (busy, _) = self
            .freed
            .wait_timeout_while(busy, limit, |busy| *busy > 0)
            .unwrap_or_else(|e| e.into_inner());
        *busy
    }
}

pub struct SlotGuard {
    slots: Arc<Slots>,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        let mut busy = self.slots.busy.lock().unwrap_or_else(|e| e.into_inner());
        *busy -= 1;
        self.slots.freed.notify_all();
    }
}
// ANCHOR_END: slots

#[cfg(test)]
mod tests {
    use super::*;

    /// Inputs that have broken HTTP parsers somewhere, and then some noise.
    #[test]
    fn the_fuzz_entry_survives_nasty_inputs() {
        let nasty: &[&[u8]] = &[
            b"",
            b"\n",
            b"\r\n\r\n",
            b"GET",
            b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n",
            b"GET /%",
            b"GET /%% HTTP/1.1\r\n\r\n",
            b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.0\r\n\r\n",
            b"GET /\x00 HTTP/1.0\r\n\r\n",
            b"\xff\xfe\xfd",
            b"a=%&b=%f&c=%fg&=&&==",
            b"GET / HTTP/1.1\r\nHost:\r\n\r\n",
            b"GET / HTTP/9.9\r\n\r\n",
            b"GET http:// HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET http://x?%zz HTTP/1.1\r\nHost: x\r\nIf-None-Match: W/\"\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"a\" \"b\",,\r\nIf-Modified-Since: Sun, 99 Nov 1994 99:99:99 GMT\r\n\r\n",
            b"ffffffffffffffff\r\n",
            b"0;\x01\r\n\r\n",
            b"Sun, 06 Nov 99999999999999999999 08:49:37 GMT",
            b"Sun Nov 31 08:49:37 1994",
            b":\n:\n\n",
        ];
        for input in nasty {
            fuzz_one_input(input);
        }
        for seed in 1..2_000u64 {
            let mut state = seed;
            let len = (seed % 300) as usize;
            let alphabet = b"GETPOST /%2e.:\r\n HTTP/1.01Host: a=&+%;\"W*0f";
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    if state % 4 == 0 {
                        (state >> 8) as u8
                    } else {
                        alphabet[(state >> 8) as usize % alphabet.len()]
                    }
                })
                .collect();
            fuzz_one_input(&input);
        }
    }
}
