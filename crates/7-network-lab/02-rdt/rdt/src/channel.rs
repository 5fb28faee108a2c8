//! A bad channel on purpose: `--loss` and `--corrupt` decide, packet by packet, to
//! lose an outgoing packet or to flip some of its bits. Loopback loses nothing, so
//! without them the protocols would never have anything to repair.

// ANCHOR: xorshift
/// xorshift64* (Marsaglia's xorshift, its output multiplied as Vigna suggests): a
/// small pseudo-random generator. The same seed gives the same numbers, so a run
/// with `--seed` loses the same packets again.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> XorShift {
        // One step of SplitMix64 spreads the seed's bits first (as xorshift's
        // authors advise): neighbouring seeds, 1, 2, 3, start from unrelated states.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // The state must never be zero (zero would stay zero forever).
        XorShift(if z == 0 { 0x9E37_79B9_7F4A_7C15 } else { z })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True `percent` times in a hundred (to a hundredth of a percent).
    pub fn chance(&mut self, percent: f64) -> bool {
        (self.below(10_000) as f64) < percent * 100.0
    }
}
// ANCHOR_END: xorshift

/// What became of a packet handed to the channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Sent as it was.
    Sent,
    /// Not sent at all.
    Lost,
    /// Sent with this many bits flipped.
    Damaged(u32),
}

// ANCHOR: impair
/// The dice of one side: the share of its packets to lose and to damage.
pub struct Impair {
    loss: f64,
    corrupt: f64,
    dice: XorShift,
}

impl Impair {
    pub fn new(loss: f64, corrupt: f64, seed: u64) -> Impair {
        Impair {
            loss,
            corrupt,
            dice: XorShift::new(seed),
        }
    }

    /// No loss, no damage.
    pub fn none() -> Impair {
        Impair::new(0.0, 0.0, 1)
    }

    /// Decides the fate of `packet`, flipping its bits when it is to be damaged:
    /// one to three bits, anywhere (CRC-32 catches every such error in a packet this
    /// short).
    pub fn decide(&mut self, packet: &mut [u8]) -> Fate {
        if self.dice.chance(self.loss) {
            return Fate::Lost;
        }
        if packet.is_empty() || !self.dice.chance(self.corrupt) {
            return Fate::Sent;
        }
        let flips = 1 + self.dice.below(3) as u32;
        let mut flipped: Vec<u64> = Vec::new();
        while flipped.len() < flips as usize {
            let bit = self.dice.below(packet.len() as u64 * 8);
            if !flipped.contains(&bit) {
                flipped.push(bit);
                packet[(bit / 8) as usize] ^= 1 << (bit % 8);
            }
        }
        Fate::Damaged(flips)
    }
}
// ANCHOR_END: impair

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xorshift64_star_matches_its_definition() {
        // Seed 1 spread by SplitMix64 is the published first output of SplitMix64
        // seeded with 1; from there, the three shifts and the multiplier.
        let mut x: u64 = 0x910A_2DEC_8902_5CC1;
        let mut dice = XorShift::new(1);
        for _ in 0..5 {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            assert_eq!(dice.next_u64(), x.wrapping_mul(0x2545F4914F6CDD1D));
        }
    }

    #[test]
    fn the_same_seed_decides_the_same_fates() {
        let fates = |seed| {
            let mut channel = Impair::new(20.0, 10.0, seed);
            (0..200)
                .map(|_| channel.decide(&mut [0u8; 30]))
                .collect::<Vec<_>>()
        };
        assert_eq!(fates(5), fates(5));
        assert_ne!(fates(5), fates(6));
    }

    #[test]
    fn the_shares_come_out_near_what_was_asked() {
        let mut channel = Impair::new(20.0, 5.0, 42);
        let mut lost = 0;
        let mut damaged = 0;
        for _ in 0..100_000 {
            let mut packet = [0u8; 64];
            match channel.decide(&mut packet) {
                Fate::Lost => lost += 1,
                Fate::Damaged(n) => {
                    damaged += 1;
                    let ones: u32 = packet.iter().map(|b| b.count_ones()).sum();
                    assert_eq!(ones, n, "the bits flipped are the bits counted");
                }
                Fate::Sent => assert_eq!(packet, [0u8; 64]),
            }
        }
        // 20 % lost; 5 % of the remaining 80 % damaged.
        assert!((19_000..21_000).contains(&lost), "{lost}");
        assert!((3_600..4_400).contains(&damaged), "{damaged}");
    }

    #[test]
    fn zero_percent_never_and_a_hundred_always() {
        let mut none = Impair::none();
        assert!((0..1000).all(|_| none.decide(&mut [1, 2, 3]) == Fate::Sent));
        let mut all = Impair::new(100.0, 0.0, 3);
        assert!((0..1000).all(|_| all.decide(&mut [1, 2, 3]) == Fate::Lost));
    }
}
