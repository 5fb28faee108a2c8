//! Beej's first answer to "how do I send a float?" (pack.c): not IEEE 754 at all, but a
//! fixed-point number in 32 bits. The sign goes in the top bit, the whole part in the next
//! 15 bits, and the fraction, in units of 1/65536, in the low 16 bits:
//!
//! ```text
//!  31 | 30 ........... 16 | 15 ........... 0
//! sign|   whole part      |  fraction × 65536
//! ```
//!
//! It is simple and portable, and it shows what a float format has to decide. It also
//! shows the price: the range is ±32767.99998, anything beyond wraps around silently (the
//! `& 0x7fff`), and the precision is 1/65536 whatever the size of the number, so 3.1415926
//! comes back as 3.141586. `pack754` in this crate is the answer that keeps both.
//!
//! And `htonll`, which C never standardised: `htonl` for 64-bit numbers.

// ANCHOR: htonf
/// htonf(): a float as Beej's 32-bit fixed-point number, in host order (send it with
/// `u32::to_be_bytes`, as `htonl` would).
///
/// The arithmetic is done in `f32`, as the C code does with `float`, so both give the
/// same bits.
pub fn htonf(f: f32) -> u32 {
    let (sign, f) = if f < 0.0 { (1u32, -f) } else { (0, f) };
    // The whole part: 15 bits, and the higher bits are dropped (wrap-around).
    let whole = (f as u32 & 0x7fff) << 16;
    // The fraction: what is left after the whole part, in 1/65536ths, truncated.
    let fraction = ((f - f.trunc()) * 65536.0) as u32 & 0xffff;
    whole | (sign << 31) | fraction
}

/// ntohf(): the float back from the 32-bit fixed-point number.
pub fn ntohf(p: u32) -> f32 {
    let mut f = ((p >> 16) & 0x7fff) as f32; // the whole part
    f += (p & 0xffff) as f32 / 65536.0; // the fraction
    if (p >> 31) & 1 == 1 {
        f = -f; // the sign bit
    }
    f
}
// ANCHOR_END: htonf

// ANCHOR: htonll
/// htonll(): a 64-bit number in network byte order (big-endian). C has `htons` and
/// `htonl` but no standard 64-bit one; Beej's guide writes its own, and so do we. On a
/// big-endian machine it changes nothing; on x86 and ARM it reverses the 8 bytes.
pub fn htonll(v: u64) -> u64 {
    v.to_be()
}

/// ntohll(): the same swap back (swapping twice is no swap at all).
pub fn ntohll(v: u64) -> u64 {
    u64::from_be(v)
}
// ANCHOR_END: htonll

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::approx_constant)] // the guide's value, not quite pi
    fn beejs_example_comes_back_a_little_off() {
        let p = htonf(3.1415926);
        assert_eq!(p, 0x0003_243f);
        assert_eq!(format!("{:.6}", ntohf(p)), "3.141586");
    }

    #[test]
    fn sign_whole_part_and_fraction_land_in_their_bits() {
        assert_eq!(htonf(0.0), 0);
        assert_eq!(htonf(1.0), 0x0001_0000);
        assert_eq!(htonf(0.5), 0x0000_8000);
        assert_eq!(htonf(-2.25), 0x8002_4000);
        assert_eq!(ntohf(0x8002_4000), -2.25);
        assert_eq!(ntohf(htonf(32767.5)), 32767.5);
    }

    #[test]
    fn numbers_past_the_range_wrap_around_silently() {
        // 40000 = 0x9c40; only the low 15 bits, 0x1c40 = 7232, survive.
        assert_eq!(ntohf(htonf(40000.0)), 7232.0);
    }

    #[test]
    fn htonll_puts_the_most_significant_byte_first_in_memory() {
        let v = 0x0102_0304_0506_0708u64;
        assert_eq!(htonll(v).to_ne_bytes(), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(ntohll(htonll(v)), v);
    }
}
