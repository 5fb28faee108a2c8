//! The numbers of RFC 6298 on a few round trips, worked by hand (in microseconds).

use std::time::Duration;

use rtt_estimator::{Limits, RttEstimator};

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A pinger's limits: 1 s before the first answer, then between 10 ms and 10 s.
const PINGER: Limits = Limits {
    initial: Duration::from_secs(1),
    min: Duration::from_millis(10),
    max: Duration::from_secs(10),
    granularity: Duration::from_millis(1),
};

/// (SRTT, RTTVAR, RTO) as they are now.
fn state(e: &RttEstimator) -> (Option<Duration>, Option<Duration>, Duration) {
    (e.srtt(), e.rttvar(), e.rto())
}

#[test]
fn a_new_estimator_waits_the_initial_timeout() {
    let e = RttEstimator::new(PINGER);
    assert_eq!(state(&e), (None, None, ms(1000)));
    let e = RttEstimator::new(Limits {
        initial: ms(5),
        ..PINGER
    });
    assert_eq!(e.rto(), ms(10), "an initial RTO below min is raised to min");
}

#[test]
fn the_first_round_trip_sets_srtt_and_rttvar() {
    let mut e = RttEstimator::new(PINGER);
    e.sample(ms(100));
    // SRTT = 100 ms, RTTVAR = 50 ms, RTO = 100 + 4 × 50 = 300 ms.
    assert_eq!(state(&e), (Some(ms(100)), Some(ms(50)), ms(300)));
    let mut e = RttEstimator::new(PINGER);
    e.sample(Duration::from_nanos(100_001_999));
    // 100001 µs (the 999 ns dropped); RTTVAR = 100001 / 2 = 50000 (rounded down).
    assert_eq!(
        state(&e),
        (Some(us(100_001)), Some(us(50_000)), us(300_001))
    );
}

#[test]
fn later_round_trips_are_smoothed() {
    let mut e = RttEstimator::new(PINGER);
    e.sample(ms(100));
    e.sample(ms(60));
    // RTTVAR = (3 × 50000 + |100000 − 60000|) / 4 = 47500, with the old SRTT;
    // SRTT = (7 × 100000 + 60000) / 8 = 95000; RTO = 95000 + 4 × 47500.
    assert_eq!(state(&e), (Some(us(95_000)), Some(us(47_500)), us(285_000)));
    e.sample(ms(33));
    // RTTVAR = (142500 + 62000) / 4 = 51125; SRTT = (665000 + 33000) / 8 = 87250.
    assert_eq!(state(&e), (Some(us(87_250)), Some(us(51_125)), us(291_750)));
    e.sample(us(7));
    // RTTVAR = (153375 + 87243) / 4 = 60154 (.5 dropped); SRTT = 610757 / 8 = 76344.
    assert_eq!(state(&e), (Some(us(76_344)), Some(us(60_154)), us(316_960)));
}

#[test]
fn a_timeout_doubles_the_rto_up_to_the_max() {
    let mut e = RttEstimator::new(PINGER);
    e.sample(ms(100));
    let mut seen = Vec::new();
    for _ in 0..7 {
        e.timed_out();
        seen.push(e.rto());
    }
    let expected: Vec<Duration> = [600, 1200, 2400, 4800, 9600, 10_000, 10_000]
        .map(ms)
        .to_vec();
    assert_eq!(seen, expected);
    assert_eq!(
        (e.srtt(), e.rttvar()),
        (Some(ms(100)), Some(ms(50))),
        "a timeout changes neither SRTT nor RTTVAR"
    );
}

#[test]
fn a_measurement_ends_the_back_off() {
    let mut e = RttEstimator::new(PINGER);
    e.sample(ms(100));
    e.timed_out();
    e.timed_out();
    assert_eq!(e.rto(), ms(1200));
    e.sample(ms(100));
    // RTTVAR = (150000 + 0) / 4 = 37500; SRTT = 100000; RTO = 250 ms, not 1.2 s.
    assert_eq!(state(&e), (Some(ms(100)), Some(us(37_500)), ms(250)));
}

#[test]
fn a_steady_link_leaves_srtt_plus_the_granularity() {
    let mut e = RttEstimator::new(PINGER);
    for _ in 0..40 {
        e.sample(ms(20));
    }
    // RTTVAR shrinks to 0: the RTO is SRTT + G.
    assert_eq!(state(&e), (Some(ms(20)), Some(us(0)), ms(21)));
    let mut e = RttEstimator::new(Limits::RFC);
    e.sample(ms(20));
    assert_eq!(e.rto(), ms(1000), "RFC 6298 keeps the RTO at 1 s or more");
}
