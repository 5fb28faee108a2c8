//! Hex dumps in the style of `tcpdump -X`: a tab, the offset, sixteen bytes as hex in
//! pairs, the same bytes as ASCII with a dot for anything unprintable.
//!
//! ```text
//!     0x0000:  4745 5420 2f20 4854 5450 2f31 2e31 0d0a  GET./.HTTP/1.1..
//!     0x0010:  486f 7374 3a20 780d 0a0d 0a              Host:.x....
//! ```

use std::fmt::Write;

/// Bytes per line.
pub const WIDTH: usize = 16;

// ANCHOR: hexdump
/// Dumps `bytes`, numbering the lines from `offset` (the position of the first byte in its
/// stream, so that successive dumps of one connection continue each other's offsets).
pub fn hexdump(bytes: &[u8], offset: usize) -> String {
    let mut out = String::new();
    for (line, chunk) in bytes.chunks(WIDTH).enumerate() {
        let _ = write!(out, "\t0x{:04x}:  ", offset + line * WIDTH);
        let mut hex = String::new();
        for (i, byte) in chunk.iter().enumerate() {
            let _ = write!(hex, "{byte:02x}");
            if i % 2 == 1 && i + 1 < chunk.len() {
                hex.push(' ');
            }
        }
        // 16 bytes take 8 groups of 4 digits and 7 spaces: pad short lines to line up.
        let _ = write!(out, "{hex:<39}  ");
        // Like tcpdump, only visible characters are shown: even a space becomes a dot.
        out.extend(
            chunk
                .iter()
                .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' }),
        );
        out.push('\n');
    }
    out
}
// ANCHOR_END: hexdump

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_http_request_dumps_like_tcpdump() {
        let dump = hexdump(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 0);
        assert_eq!(
            dump,
            "\t0x0000:  4745 5420 2f20 4854 5450 2f31 2e31 0d0a  GET./.HTTP/1.1..\n\
             \t0x0010:  486f 7374 3a20 780d 0a0d 0a              Host:.x....\n"
        );
    }

    #[test]
    fn offsets_continue_and_every_byte_value_is_shown() {
        let all: Vec<u8> = (0..=255).collect();
        let dump = hexdump(&all, 0x20);
        let lines: Vec<&str> = dump.lines().collect();
        assert_eq!(lines.len(), 16);
        assert_eq!(
            lines[0],
            "\t0x0020:  0001 0203 0405 0607 0809 0a0b 0c0d 0e0f  ................"
        );
        assert_eq!(
            lines[2],
            "\t0x0040:  2021 2223 2425 2627 2829 2a2b 2c2d 2e2f  .!\"#$%&'()*+,-./"
        );
        assert_eq!(
            lines[15],
            "\t0x0110:  f0f1 f2f3 f4f5 f6f7 f8f9 fafb fcfd feff  ................"
        );
        assert_eq!(hexdump(b"", 0), "");
        assert_eq!(
            hexdump(b"a", 7),
            "\t0x0007:  61                                       a\n"
        );
    }
}
