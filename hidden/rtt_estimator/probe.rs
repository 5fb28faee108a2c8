//! The probe of `rtt_estimator`: random runs of round trips and timeouts under random
//! limits, with SRTT, RTTVAR and the RTO written down after every event. The first checks
//! are the visible tests, on random inputs; the others are hidden.

use std::time::Duration;

use rtt_estimator::{Limits, RttEstimator};
use testkit::probe::{self, Case, Check, Rng};

fn main() {
    probe::main(&[
        Check::visible("a_new_estimator_waits_the_initial_timeout", 10, fresh),
        Check::visible(
            "the_first_round_trip_sets_srtt_and_rttvar",
            20,
            first_sample,
        ),
        Check::visible("later_round_trips_are_smoothed", 20, smoothed),
        Check::visible("a_timeout_doubles_the_rto_up_to_the_max", 10, backed_off),
        Check::visible("a_measurement_ends_the_back_off", 10, back_off_ended),
        Check::visible("a_steady_link_leaves_srtt_plus_the_granularity", 8, steady),
        Check::hidden(
            "a_pinger_on_a_lossy_jittery_link_follows_rfc_6298",
            30,
            lossy_pinger,
        ),
        Check::hidden("round_trips_far_from_the_limits_are_clamped", 15, extremes),
    ]);
}

/// Limits a pinger might pick: min below the initial RTO, max well above it.
fn limits(rng: &mut Rng) -> Limits {
    let min = rng.range(1, 500) as u64 * 1000;
    let max = min + rng.range(1, 30_000) as u64 * 1000;
    Limits {
        initial: Duration::from_micros(rng.range(0, 3_000_000) as u64),
        min: Duration::from_micros(min),
        max: Duration::from_micros(max),
        granularity: Duration::from_micros(*rng.pick(&[1, 100, 1000, 4000, 10_000])),
    }
}

fn shown_limits(l: &Limits) -> String {
    format!(
        "limits: initial {:?}, min {:?}, max {:?}, granularity {:?}",
        l.initial, l.min, l.max, l.granularity
    )
}

/// A round trip around `center` microseconds, give or take `spread`, with some stray
/// nanoseconds.
fn round_trip(rng: &mut Rng, center: usize, spread: usize) -> Duration {
    let us = rng.range(center.saturating_sub(spread), center + spread) as u64;
    Duration::from_nanos(us * 1000 + rng.range(0, 999) as u64)
}

/// What happens to the estimator.
#[derive(Clone, Copy)]
enum Event {
    Sample(Duration),
    TimedOut,
}

/// The state, in microseconds (not with the student's `Debug`, which is theirs to change).
fn state(e: &RttEstimator) -> String {
    let us = |d: Option<Duration>| d.map_or("-".to_string(), |d| d.as_micros().to_string());
    format!(
        "srtt {} rttvar {} rto {}",
        us(e.srtt()),
        us(e.rttvar()),
        e.rto().as_micros()
    )
}

/// A case: a new estimator with `limits`, then `events`, the state written after each.
fn run(limits: Limits, events: Vec<Event>) -> Case {
    let input = format!(
        "{}; events: {}",
        shown_limits(&limits),
        events
            .iter()
            .map(|e| match e {
                Event::Sample(d) => format!("sample {d:?}"),
                Event::TimedOut => "timeout".into(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    Case::new(input, move || {
        let mut e = RttEstimator::new(limits);
        let mut out = vec![format!("new: {}", state(&e))];
        for event in &events {
            match *event {
                Event::Sample(d) => e.sample(d),
                Event::TimedOut => e.timed_out(),
            }
            out.push(state(&e));
        }
        out.join("; ")
    })
}

fn fresh(rng: &mut Rng) -> Case {
    run(limits(rng), vec![])
}

fn first_sample(rng: &mut Rng) -> Case {
    let l = limits(rng);
    let center = rng.range(1, 2_000_000);
    run(l, vec![Event::Sample(round_trip(rng, center, 0))])
}

fn smoothed(rng: &mut Rng) -> Case {
    let l = limits(rng);
    let center = rng.range(1000, 500_000);
    let spread = rng.range(0, center);
    let count = rng.range(2, 12);
    let events = (0..count)
        .map(|_| Event::Sample(round_trip(rng, center, spread)))
        .collect();
    run(l, events)
}

fn backed_off(rng: &mut Rng) -> Case {
    let l = limits(rng);
    let mut events = Vec::new();
    if rng.chance(70) {
        let center = rng.range(1000, 300_000);
        events.push(Event::Sample(round_trip(rng, center, center / 2)));
    }
    events.extend(std::iter::repeat_n(Event::TimedOut, rng.range(1, 20)));
    run(l, events)
}

fn back_off_ended(rng: &mut Rng) -> Case {
    let l = limits(rng);
    let center = rng.range(1000, 300_000);
    let mut events = vec![Event::Sample(round_trip(rng, center, center / 2))];
    events.extend(std::iter::repeat_n(Event::TimedOut, rng.range(1, 6)));
    events.push(Event::Sample(round_trip(rng, center, center / 2)));
    run(l, events)
}

fn steady(rng: &mut Rng) -> Case {
    let l = limits(rng);
    let center = rng.range(100, 200_000);
    let rtt = round_trip(rng, center, 0);
    run(l, vec![Event::Sample(rtt); rng.range(20, 60)])
}

fn lossy_pinger(rng: &mut Rng) -> Case {
    // 30 ms each way, jitter, a share of pings lost (a timeout each).
    let l = limits(rng);
    let center = rng.range(5_000, 120_000);
    let jitter = rng.range(0, center / 2);
    let loss = rng.range(0, 40) as u64;
    let events = (0..rng.range(20, 80))
        .map(|_| {
            if rng.chance(loss) {
                Event::TimedOut
            } else {
                Event::Sample(round_trip(rng, center, jitter))
            }
        })
        .collect();
    run(l, events)
}

fn extremes(rng: &mut Rng) -> Case {
    // Round trips of a few microseconds and of many seconds, against the same limits.
    let l = limits(rng);
    let events = (0..rng.range(5, 20))
        .map(|_| match rng.range(0, 3) {
            0 => Event::Sample(round_trip(rng, 3, 3)),
            1 => Event::Sample(round_trip(rng, 60_000_000, 30_000_000)),
            2 => Event::TimedOut,
            _ => Event::Sample(round_trip(rng, 50_000, 50_000)),
        })
        .collect();
    run(l, events)
}
