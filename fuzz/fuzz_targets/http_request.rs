//! Feeds arbitrary bytes to the web server's request parser, form decoder and path checks.
//! Any panic is a bug: a request must get a status code, never crash the server.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    http_server::fuzz_one_input(data);
});
