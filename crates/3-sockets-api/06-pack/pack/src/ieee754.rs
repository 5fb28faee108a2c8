//! Floats to integers and back, by arithmetic: what `pack754` does in Beej's guide.
//!
//! A binary floating-point number is `sign × 1.fraction × 2^exponent`. IEEE 754 stores the
//! sign in one bit, the exponent plus a *bias* in `expbits` bits, and the fraction in the
//! rest (the leading 1 is implied). All-zero exponent bits mean a *subnormal* number
//! (`0.fraction × 2^(1-bias)`, which includes zero); all-one bits mean infinity (fraction 0)
//! or NaN. These functions compute that layout with arithmetic alone, for any width up to
//! 64 bits: 16 (half), 32 (`f32`) and 64 (`f64`). The tests check them against the bits the
//! CPU itself uses (`f32::to_bits`, `f64::to_bits`).

/// 2 to the power `n`, for `n` in the range of normal `f64` exponents (exact).
fn pow2(n: i32) -> f64 {
    debug_assert!((-1022..=1023).contains(&n));
    2f64.powi(n)
}

// ANCHOR: pack754
/// The IEEE-754 bits of `value` in a format of `bits` bits with `expbits` exponent bits,
/// rounded to the nearest representable value (ties to even), as the hardware does.
pub fn pack754(value: f64, bits: u32, expbits: u32) -> u64 {
    let fraction_bits = bits - expbits - 1; // 52 for f64, 23 for f32, 10 for half
    let bias = (1i32 << (expbits - 1)) - 1; // 1023, 127, 15
    let max_exponent = (1u64 << expbits) - 1; // all ones: infinity and NaN
    let sign = u64::from(value.is_sign_negative()) << (bits - 1);

    if value.is_nan() {
        return (max_exponent << fraction_bits) | (1 << (fraction_bits - 1)); // a quiet NaN
    }
    if value.is_infinite() {
        return sign | (max_exponent << fraction_bits);
    }
    if value == 0.0 {
        return sign; // +0.0 or -0.0
    }

    // Normalize: value = fnorm × 2^shift with 1 <= fnorm < 2. Halving and doubling are exact.
    let mut fnorm = value.abs();
    let mut shift = 0i32;
    while fnorm >= 2.0 {
        fnorm /= 2.0;
        shift += 1;
    }
    while fnorm < 1.0 {
        fnorm *= 2.0;
        shift -= 1;
    }

    let exponent = shift + bias; // the stored (biased) exponent
    if exponent <= 0 {
        // Too small for a normal number: a subnormal, 0.fraction × 2^(1-bias).
        // (If it rounds up to 2^fraction_bits, the sum below becomes the smallest normal.)
        let scale = exponent - 1 + fraction_bits as i32;
        let fraction = if scale < -1022 {
            0.0 // far below the smallest subnormal: rounds to zero
        } else {
            (fnorm * pow2(scale)).round_ties_even()
        };
        return sign | fraction as u64;
    }
    // The fraction without its leading 1, as an integer of fraction_bits bits.
    let fraction = ((fnorm - 1.0) * pow2(fraction_bits as i32)).round_ties_even() as u64;
    // Rounding up may carry into the exponent (and from the largest exponent into
    // infinity): adding the fields does exactly that.
    let magnitude = ((exponent as u64) << fraction_bits) + fraction;
    if magnitude >= max_exponent << fraction_bits {
        return sign | (max_exponent << fraction_bits); // too large: infinity
    }
    sign | magnitude
}
// ANCHOR_END: pack754

// ANCHOR: unpack754
/// The value of the IEEE-754 bits `packed` in a format of `bits` bits, `expbits` of them
/// exponent.
pub fn unpack754(packed: u64, bits: u32, expbits: u32) -> f64 {
    let fraction_bits = bits - expbits - 1;
    let bias = (1i32 << (expbits - 1)) - 1;
    let max_exponent = (1u64 << expbits) - 1;
    let negative = (packed >> (bits - 1)) & 1 == 1;
    let exponent = (packed >> fraction_bits) & max_exponent;
    let fraction = packed & ((1u64 << fraction_bits) - 1);

    let magnitude = if exponent == max_exponent {
        if fraction == 0 {
            f64::INFINITY
        } else {
            f64::NAN
        }
    } else if exponent == 0 {
        // Subnormal (or zero): 0.fraction × 2^(1-bias), in two exact steps.
        fraction as f64 * pow2(-(fraction_bits as i32)) * pow2(1 - bias)
    } else {
        // Normal: 1.fraction × 2^(exponent-bias).
        (1.0 + fraction as f64 * pow2(-(fraction_bits as i32))) * pow2(exponent as i32 - bias)
    };
    if negative { -magnitude } else { magnitude }
}
// ANCHOR_END: unpack754

#[cfg(test)]
mod tests {
    use super::*;

    fn edge_values() -> Vec<f64> {
        let mut values = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.1,
            1.0 / 3.0,
            std::f64::consts::PI,
            -5.5,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            f64::from_bits(1),                     // the smallest f64 subnormal
            f64::from_bits(0x000f_ffff_ffff_ffff), // the largest f64 subnormal
            f64::INFINITY,
            f64::NEG_INFINITY,
            f32::MAX as f64,
            f32::MIN_POSITIVE as f64,
            f32::from_bits(1) as f64,
            f32::from_bits(0x007f_ffff) as f64,
            f32::MAX as f64 * 1.5,
            65504.0, // the largest half
            65520.0, // rounds to infinity in half
            6.1035156e-5,
            5.9604645e-8, // the smallest half subnormal
            2.9802322e-8, // half of it: a tie, rounds to even (zero)
            1e300,
            -1e-300,
        ];
        // Ties and near-ties at f32 precision: 1 + k/2^24 for small k.
        values.extend((0..8).map(|k| 1.0 + k as f64 / 16_777_216.0));
        values
    }

    #[test]
    fn f64_bits_match_the_hardware() {
        for v in edge_values() {
            assert_eq!(pack754(v, 64, 11), v.to_bits(), "{v:e}");
            assert_eq!(
                unpack754(v.to_bits(), 64, 11).to_bits(),
                v.to_bits(),
                "{v:e}"
            );
        }
        let nan = pack754(f64::NAN, 64, 11);
        assert!(f64::from_bits(nan).is_nan());
        assert!(unpack754(nan, 64, 11).is_nan());
    }

    #[test]
    fn f32_bits_match_the_hardware_including_rounding() {
        for v in edge_values() {
            let hardware = (v as f32).to_bits(); // Rust's `as` rounds to nearest, ties to even
            assert_eq!(pack754(v, 32, 8), u64::from(hardware), "{v:e}");
        }
        // Pseudo-random bit patterns: every f32 must survive f32 -> bits -> f64 -> f32.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..200_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let bits = state as u32;
            let value = f32::from_bits(bits);
            if value.is_nan() {
                continue;
            }
            assert_eq!(pack754(value as f64, 32, 8), u64::from(bits), "{bits:#x}");
            assert_eq!(unpack754(u64::from(bits), 32, 8), value as f64, "{bits:#x}");
        }
    }

    #[test]
    fn every_half_precision_value_round_trips() {
        // All 65536 bit patterns of a 16-bit float, exhaustively.
        for bits in 0..=u16::MAX as u64 {
            let value = unpack754(bits, 16, 5);
            if value.is_nan() {
                assert!(unpack754(pack754(value, 16, 5), 16, 5).is_nan());
                continue;
            }
            assert_eq!(pack754(value, 16, 5), bits, "{bits:#06x} = {value:e}");
        }
        assert_eq!(unpack754(0x3c00, 16, 5), 1.0);
        assert_eq!(unpack754(0x7bff, 16, 5), 65504.0);
        assert_eq!(pack754(65520.0, 16, 5), 0x7c00); // rounds up to infinity
        assert_eq!(pack754(1e-10, 16, 5), 0);
        // Far below half precision's smallest subnormal, down to f64's own smallest
        // subnormal: zero, keeping the sign.
        for tiny in [1e-300, f64::MIN_POSITIVE, 5e-324] {
            assert_eq!(pack754(tiny, 16, 5), 0, "{tiny:e}");
            assert_eq!(pack754(-tiny, 16, 5), 0x8000, "{tiny:e}");
            assert_eq!(pack754(tiny, 32, 8), 0, "{tiny:e}");
        }
    }
}
