//! Feeds arbitrary bytes to pack's decoders: unpack with several formats, the frame
//! reassembler and the chat packet decoder. Any panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    pack::fuzz_one_input(data);
});
