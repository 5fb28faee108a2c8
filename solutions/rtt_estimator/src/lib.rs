//! The retransmission timeout of RFC 6298, for a pinger that sets its timeout from the
//! round trips it has measured instead of a fixed second.
//!
//! The estimator keeps two numbers: SRTT, a smoothed round trip, and RTTVAR, how much the
//! round trips vary. The timeout (RTO) is SRTT plus four times RTTVAR: on a steady link it
//! sits a little above the round trip, on a jittery one well above it. A timeout that
//! expires doubles the RTO (back-off), up to a maximum, until a new round trip is measured.
//!
//! Everything is counted in whole microseconds with integer arithmetic, the way a kernel
//! does it (no floating point), with the formulas of the doc comments exactly as written:
//! `x / 4` is integer division, rounding down.

use std::time::Duration;

/// The bounds of the timeout, and the clock's granularity G.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// The RTO before any round trip has been measured.
    pub initial: Duration,
    /// The RTO is never below this.
    pub min: Duration,
    /// The RTO is never above this, not even after many back-offs.
    pub max: Duration,
    /// The clock's granularity G: the variation term is at least this.
    pub granularity: Duration,
}

impl Limits {
    /// RFC 6298's values: 1 s at first, at least 1 s, at most 60 s; a 1 ms clock.
    pub const RFC: Limits = Limits {
        initial: Duration::from_secs(1),
        min: Duration::from_secs(1),
        max: Duration::from_secs(60),
        granularity: Duration::from_millis(1),
    };
}

/// Whole microseconds of `d` (the nanoseconds beyond them dropped), as a `u64`.
pub fn micros(d: Duration) -> u64 {
    d.as_micros() as u64
}

// ANCHOR: exercise
/// SRTT, RTTVAR and the RTO of one peer.
#[derive(Clone, Debug)]
pub struct RttEstimator {
    //> // TODO: what you need to remember between calls: the limits, the smoothed round
    //> // trip and its variation (none before the first measurement), and the current RTO.
    // lab:solution
    limits: Limits,
    /// SRTT and RTTVAR in microseconds, once a round trip has been measured.
    smoothed: Option<(u64, u64)>,
    /// The RTO in microseconds.
    rto: u64,
    // lab:end
}

impl RttEstimator {
    /// An estimator with no measurement yet: its RTO is `limits.initial`, clamped to
    /// `min..=max`.
    pub fn new(limits: Limits) -> RttEstimator {
        //> // TODO
        //> let _ = limits;
        //> todo!("new")
        // lab:solution
        let mut estimator = RttEstimator {
            limits,
            smoothed: None,
            rto: 0,
        };
        estimator.rto = estimator.clamp(micros(limits.initial));
        estimator
        // lab:end
    }

    /// A round trip `rtt` was measured (of a ping answered in time: never of one that was
    /// sent again or timed out, Karn's rule). In whole microseconds (the nanoseconds
    /// beyond them dropped, here and in the limits), with R = `rtt`:
    ///
    /// - the first one: SRTT = R, RTTVAR = R / 2;
    /// - each later one: RTTVAR = (3 × RTTVAR + |SRTT − R|) / 4, *then*
    ///   SRTT = (7 × SRTT + R) / 8 (RTTVAR uses the SRTT from before this sample);
    ///
    /// and then RTO = SRTT + max(G, 4 × RTTVAR), clamped to `min..=max`. A measurement
    /// ends any back-off: the RTO comes from SRTT and RTTVAR again.
    pub fn sample(&mut self, rtt: Duration) {
        //> // TODO
        //> let _ = rtt;
        //> todo!("sample")
        // lab:solution
        let r = micros(rtt);
        let (srtt, rttvar) = match self.smoothed {
            None => (r, r / 2),
            Some((srtt, rttvar)) => ((7 * srtt + r) / 8, (3 * rttvar + srtt.abs_diff(r)) / 4),
        };
        self.smoothed = Some((srtt, rttvar));
        let variation = micros(self.limits.granularity).max(4 * rttvar);
        self.rto = self.clamp(srtt.saturating_add(variation));
        // lab:end
    }

    /// The timer expired without an answer: the RTO doubles, but never beyond `max`.
    /// SRTT and RTTVAR stay as they are.
    pub fn timed_out(&mut self) {
        //> // TODO
        //> todo!("timed_out")
        // lab:solution
        self.rto = self.clamp(self.rto.saturating_mul(2));
        // lab:end
    }

    /// How long to wait for the next answer.
    pub fn rto(&self) -> Duration {
        //> // TODO
        //> todo!("rto")
        // lab:solution
        Duration::from_micros(self.rto)
        // lab:end
    }

    /// SRTT, or `None` before the first measurement.
    pub fn srtt(&self) -> Option<Duration> {
        //> // TODO
        //> todo!("srtt")
        // lab:solution
        self.smoothed.map(|(s, _)| Duration::from_micros(s))
        // lab:end
    }

    /// RTTVAR, or `None` before the first measurement.
    pub fn rttvar(&self) -> Option<Duration> {
        //> // TODO
        //> todo!("rttvar")
        // lab:solution
        self.smoothed.map(|(_, v)| Duration::from_micros(v))
        // lab:end
    }
    // lab:solution

    /// `us` within `min..=max`.
    fn clamp(&self, us: u64) -> u64 {
        us.max(micros(self.limits.min)).min(micros(self.limits.max))
    }
    // lab:end
}
// ANCHOR_END: exercise
