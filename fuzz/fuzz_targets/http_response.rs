//! Feeds arbitrary bytes to http_get's response reader, as if a server had sent them.
//! Any panic is a bug: a broken server must get an error message, not a crash.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    http_get::fuzz_one_input(data);
});
