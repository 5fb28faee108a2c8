//! What the pinger's client and server share: the message, the dice that decide
//! which pings are lost, and the statistics printed at the end.

use std::time::Duration;

/// The largest datagram the server echoes; longer ones are cut to this size.
pub const MAX_DATAGRAM: usize = 2048;

// ANCHOR: dice
/// The server's dice: SplitMix64, a small, well-known pseudo-random generator. The
/// same seed gives the same sequence, so a run with `--seed` can be repeated
/// exactly.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// True `percent` times in a hundred (one roll per datagram).
    pub fn lose(&mut self, percent: u8) -> bool {
        self.next_u64() % 100 < u64::from(percent)
    }
}
// ANCHOR_END: dice

/// What the client sends: `Ping 3 1763779384.120458`, as in the assignment (the
/// number of the ping and the time it was sent).
pub fn ping_message(sequence: u32, unix_time: Duration) -> String {
    format!(
        "Ping {sequence} {}.{:06}",
        unix_time.as_secs(),
        unix_time.subsec_micros()
    )
}

/// What the server sends back: the same bytes in capitals (as the assignment's
/// server does).
pub fn pong_of(ping: &[u8]) -> Vec<u8> {
    ping.to_ascii_uppercase()
}

/// The numbers `ping` prints at the end.
#[derive(Debug, Default)]
pub struct Stats {
    pub sent: u32,
    pub rtts: Vec<Duration>,
}

impl Stats {
    /// `10 packets transmitted, 7 received, 30% packet loss` and, when any came
    /// back, `rtt min/avg/max = 0.051/0.081/0.143 ms`.
    pub fn summary(&self) -> String {
        let received = self.rtts.len() as u32;
        let loss = if self.sent == 0 {
            0.0
        } else {
            f64::from(self.sent - received) * 100.0 / f64::from(self.sent)
        };
        let loss = format!("{loss:.1}");
        let loss = loss.strip_suffix(".0").unwrap_or(&loss);
        let mut text = format!(
            "{} packets transmitted, {received} received, {loss}% packet loss\n",
            self.sent
        );
        if let (Some(min), Some(max)) =
            (self.rtts.iter().min(), self.rtts.iter().max())
        {
            let avg = self.rtts.iter().sum::<Duration>() / received;
            text.push_str(&format!(
                "rtt min/avg/max = {}/{}/{} ms\n",
                millis(*min),
                millis(avg),
                millis(*max)
            ));
        }
        text
    }
}

/// A duration in milliseconds with three decimals, as ping prints it.
pub fn millis(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_its_published_first_outputs() {
        // The reference outputs of SplitMix64 seeded with 1234567.
        let mut dice = Dice::new(1234567);
        assert_eq!(dice.next_u64(), 6457827717110365317);
        assert_eq!(dice.next_u64(), 3203168211198807973);
        assert_eq!(dice.next_u64(), 9817491932198370423);
    }

    #[test]
    fn zero_and_hundred_percent_are_never_and_always() {
        let mut dice = Dice::new(9);
        assert!((0..1000).all(|_| !dice.lose(0)));
        assert!((0..1000).all(|_| dice.lose(100)));
    }

    #[test]
    fn thirty_percent_is_about_thirty_percent() {
        let mut dice = Dice::new(2024);
        let lost = (0..10_000).filter(|_| dice.lose(30)).count();
        assert!((2800..3200).contains(&lost), "{lost}");
    }

    #[test]
    fn the_summary_reads_like_ping() {
        let ms = Duration::from_micros;
        let stats = Stats {
            sent: 3,
            rtts: vec![ms(100), ms(400)],
        };
        assert_eq!(
            stats.summary(),
            "3 packets transmitted, 2 received, 33.3% packet loss\nrtt min/avg/max = 0.100/0.250/0.400 ms\n"
        );
        let none = Stats {
            sent: 10,
            rtts: vec![],
        };
        assert_eq!(
            none.summary(),
            "10 packets transmitted, 0 received, 100% packet loss\n"
        );
    }

    #[test]
    fn the_message_has_the_sequence_number_and_the_time() {
        let at = Duration::new(1_763_779_384, 120_458_000);
        assert_eq!(ping_message(3, at), "Ping 3 1763779384.120458");
        assert_eq!(pong_of(b"Ping 3 17.5"), b"PING 3 17.5");
    }
}
