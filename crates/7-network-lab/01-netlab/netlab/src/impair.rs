//! What a link does to the frames it carries: delay, jitter, loss, duplication,
//! reordering and a rate limit, each decided by a seeded random sequence, so that the same
//! seed gives the same decisions, frame for frame, run after run.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The character of one link. Every field is zero (a perfect wire) unless asked for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Impairment {
    /// One-way delay added to every frame.
    pub delay: Duration,
    /// Each frame's delay varies by up to this much, either way (uniformly).
    pub jitter: Duration,
    /// Share of frames lost, 0.0 to 1.0.
    pub loss: f64,
    /// Share of frames delivered twice.
    pub duplicate: f64,
    /// Share of frames sent at once, without the delay, overtaking those before them.
    pub reorder: f64,
    /// Bits per second the link carries (0: as fast as the machine can copy).
    pub rate: u64,
    /// Frames that may wait for the rate limit; past that, the link drops (tail drop).
    pub queue: usize,
}

/// The default for `queue`: as many frames as a Linux interface's usual txqueuelen.
pub const DEFAULT_QUEUE: usize = 1000;

impl Impairment {
    /// A short description, as `up` and `status` print it: `delay 50ms, loss 10%`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.delay.is_zero() {
            parts.push(format!("delay {}", show_duration(self.delay)));
        }
        if !self.jitter.is_zero() {
            parts.push(format!("jitter {}", show_duration(self.jitter)));
        }
        for (name, share) in [
            ("loss", self.loss),
            ("duplicate", self.duplicate),
            ("reorder", self.reorder),
        ] {
            if share > 0.0 {
                parts.push(format!("{name} {}%", show_share(share)));
            }
        }
        if self.rate > 0 {
            parts.push(format!("rate {}", show_rate(self.rate)));
        }
        if parts.is_empty() {
            "a perfect wire".to_owned()
        } else {
            parts.join(", ")
        }
    }

    /// Sets one property by name from its text, as the command line and the topology file
    /// write it (`loss`, `10%`).
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), String> {
        match name {
            "delay" => self.delay = parse_duration(value)?,
            "jitter" => self.jitter = parse_duration(value)?,
            "loss" => self.loss = parse_share(value)?,
            "duplicate" => self.duplicate = parse_share(value)?,
            "reorder" => self.reorder = parse_share(value)?,
            "rate" => self.rate = parse_rate(value)?,
            "queue" => {
                self.queue = value
                    .parse()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("queue `{value}`: a number of frames, at least 1"))?
            }
            _ => {
                return Err(format!(
                    "unknown link property `{name}` (delay, jitter, loss, duplicate, reorder, rate, queue)"
                ));
            }
        }
        Ok(())
    }
}

// ANCHOR: rng
/// SplitMix64: a tiny random generator whose sequence is fixed by its seed, on every
/// machine and in every version of this program (a library's generator may change).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
// ANCHOR_END: rng

/// The seed of one direction of one link: each sender on each link draws from its own
/// sequence, so what one direction does never shifts the decisions of another.
pub fn stream_seed(seed: u64, link: usize, port: usize) -> u64 {
    let mut mix = Rng::new(seed ^ ((link as u64) << 32) ^ (port as u64) << 16);
    mix.next_u64()
}

/// What happens to one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Lost on the wire.
    Dropped,
    /// Delivered after `delay` (`copies` is 2 when it is duplicated).
    Delivered {
        delay: Duration,
        copies: u8,
        reordered: bool,
    },
}

// ANCHOR: decide
/// The fate of the next frame of one direction. Every frame draws the same four numbers,
/// used or not, so frame n's fate depends only on the seed and on n.
pub fn decide(rng: &mut Rng, imp: &Impairment) -> Fate {
    let (lose, dup, reorder, jitter) = (rng.unit(), rng.unit(), rng.unit(), rng.unit());
    if lose < imp.loss {
        return Fate::Dropped;
    }
    let reordered = reorder < imp.reorder;
    let delay = if reordered {
        Duration::ZERO // sent at once: it overtakes the frames still being delayed
    } else {
        let spread = imp.jitter.as_secs_f64() * (2.0 * jitter - 1.0);
        Duration::from_secs_f64((imp.delay.as_secs_f64() + spread).max(0.0))
    };
    Fate::Delivered {
        delay,
        copies: if dup < imp.duplicate { 2 } else { 1 },
        reordered,
    }
}
// ANCHOR_END: decide

/// How long a frame of `bytes` occupies a link of `rate` bits per second.
pub fn transmission_time(bytes: usize, rate: u64) -> Duration {
    if rate == 0 {
        Duration::ZERO
    } else {
        Duration::from_secs_f64(bytes as f64 * 8.0 / rate as f64)
    }
}

/// `50ms`, `1.5s`, `200us`, `0`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration (write it as 50ms, 1s or 200us)");
    let (number, unit) = split_number(text);
    let value: f64 = number.parse().map_err(|_| bad())?;
    let seconds = match unit {
        "s" => value,
        "ms" => value / 1e3,
        "us" => value / 1e6,
        "" if value == 0.0 => 0.0,
        _ => return Err(bad()),
    };
    if !(0.0..=60.0).contains(&seconds) {
        return Err(format!("`{text}`: a delay between 0 and 60s"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// `10%` or `0.1`.
pub fn parse_share(text: &str) -> Result<f64, String> {
    let bad = || format!("`{text}` is not a share (write it as 10% or 0.1)");
    let share = match text.strip_suffix('%') {
        Some(percent) => percent.parse::<f64>().map_err(|_| bad())? / 100.0,
        None => text.parse::<f64>().map_err(|_| bad())?,
    };
    if !(0.0..=1.0).contains(&share) {
        return Err(format!("`{text}`: a share between 0% and 100%"));
    }
    Ok(share)
}

/// `1mbit`, `512kbit`, `10gbit`, `8000bit` (bits per second, as tc writes them).
pub fn parse_rate(text: &str) -> Result<u64, String> {
    let bad = || format!("`{text}` is not a rate (write it as 1mbit, 512kbit or 10gbit)");
    let (number, unit) = split_number(text);
    let value: f64 = number.parse().map_err(|_| bad())?;
    let scale = match unit.to_ascii_lowercase().as_str() {
        "bit" | "bps" => 1.0,
        "kbit" => 1e3,
        "mbit" => 1e6,
        "gbit" => 1e9,
        "" if value == 0.0 => 0.0,
        _ => return Err(bad()),
    };
    let rate = value * scale;
    if rate != 0.0 && rate < 1000.0 {
        return Err(format!(
            "`{text}`: a rate of at least 1kbit (or 0 for none)"
        ));
    }
    Ok(rate as u64)
}

fn split_number(text: &str) -> (&str, &str) {
    let at = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    text.split_at(at)
}

pub fn show_duration(d: Duration) -> String {
    let micros = d.as_micros();
    if micros.is_multiple_of(1_000_000) {
        format!("{}s", micros / 1_000_000)
    } else if micros.is_multiple_of(1000) {
        format!("{}ms", micros / 1000)
    } else {
        format!("{micros}us")
    }
}

fn show_share(share: f64) -> String {
    let percent = share * 100.0;
    if (percent - percent.round()).abs() < 1e-9 {
        format!("{}", percent.round())
    } else {
        format!("{percent:.2}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
    }
}

pub fn show_rate(rate: u64) -> String {
    for (unit, scale) in [("gbit", 1_000_000_000), ("mbit", 1_000_000), ("kbit", 1000)] {
        if rate >= scale && rate.is_multiple_of(scale) {
            return format!("{}{unit}", rate / scale);
        }
    }
    format!("{rate}bit")
}

impl fmt::Display for Impairment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lossy() -> Impairment {
        Impairment {
            loss: 0.1,
            delay: Duration::from_millis(50),
            jitter: Duration::from_millis(5),
            ..Impairment::default()
        }
    }

    fn drops(seed: u64, frames: usize) -> Vec<usize> {
        let mut rng = Rng::new(stream_seed(seed, 0, 0));
        (0..frames)
            .filter(|_| decide(&mut rng, &lossy()) == Fate::Dropped)
            .collect()
    }

    #[test]
    fn the_same_seed_drops_the_same_frames() {
        let first = drops(7, 1000);
        assert_eq!(first, drops(7, 1000));
        assert_ne!(first, drops(8, 1000), "another seed, other frames");
        // About one frame in ten, as asked.
        assert!((70..130).contains(&first.len()), "{} dropped", first.len());
    }

    #[test]
    fn the_sequence_is_fixed_forever() {
        // If this changes, every capture in the book changes with it.
        assert_eq!(&drops(1, 200)[..5], &[14, 18, 21, 27, 36]);
    }

    #[test]
    fn directions_draw_from_separate_sequences() {
        let mut a = Rng::new(stream_seed(1, 0, 0));
        let mut b = Rng::new(stream_seed(1, 0, 1));
        let mut c = Rng::new(stream_seed(1, 1, 0));
        let (x, y, z) = (a.next_u64(), b.next_u64(), c.next_u64());
        assert!(x != y && y != z && x != z);
    }

    #[test]
    fn delays_stay_within_the_jitter() {
        let mut rng = Rng::new(3);
        for _ in 0..1000 {
            if let Fate::Delivered { delay, .. } = decide(&mut rng, &lossy()) {
                assert!(delay >= Duration::from_millis(45) && delay <= Duration::from_millis(55));
            }
        }
    }

    #[test]
    fn a_perfect_wire_delivers_everything_at_once() {
        let mut rng = Rng::new(3);
        for _ in 0..100 {
            assert_eq!(
                decide(&mut rng, &Impairment::default()),
                Fate::Delivered {
                    delay: Duration::ZERO,
                    copies: 1,
                    reordered: false
                }
            );
        }
    }

    #[test]
    fn units_read_as_tc_writes_them() {
        assert_eq!(parse_duration("50ms"), Ok(Duration::from_millis(50)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("200us"), Ok(Duration::from_micros(200)));
        assert!(parse_duration("50").is_err());
        assert_eq!(parse_share("10%"), Ok(0.1));
        assert_eq!(parse_share("0.25"), Ok(0.25));
        assert!(parse_share("120%").is_err());
        assert_eq!(parse_rate("1mbit"), Ok(1_000_000));
        assert_eq!(parse_rate("512kbit"), Ok(512_000));
        assert!(parse_rate("1mb").is_err());
        assert_eq!(
            transmission_time(1500, 1_000_000),
            Duration::from_millis(12)
        );
    }

    #[test]
    fn descriptions_read_back() {
        let mut imp = Impairment::default();
        assert_eq!(imp.describe(), "a perfect wire");
        imp.set("loss", "10%").unwrap();
        imp.set("delay", "100ms").unwrap();
        imp.set("rate", "1mbit").unwrap();
        assert_eq!(imp.describe(), "delay 100ms, loss 10%, rate 1mbit");
        assert!(imp.set("speed", "1").unwrap_err().contains("unknown"));
    }
}
