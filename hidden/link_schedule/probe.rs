//! The probe of `link_schedule`: transmission times of random sizes and rates, and the
//! schedules of random traffic (bursts, idle gaps, equal times) on random links. The
//! first checks are the visible tests, on random inputs; the others are hidden.

use link_schedule::{Fate, Frame, Link, schedule, transmission_us};
use testkit::probe::{self, Case, Check, Rng};

fn main() {
    probe::main(&[
        Check::visible(
            "transmission_time_is_bits_over_rate_rounded_up",
            30,
            transmission,
        ),
        Check::visible(
            "a_frame_arrives_after_its_transmission_and_the_delay",
            10,
            one_frame,
        ),
        Check::visible("frames_back_to_back_wait_for_the_link", 12, burst),
        Check::visible("a_full_queue_drops_the_frame_that_comes", 12, small_queue),
        Check::visible("a_dropped_frame_costs_the_link_no_time", 12, queue_of_one),
        Check::hidden("random_traffic_on_random_links", 30, traffic),
        Check::hidden(
            "a_frame_that_comes_as_another_arrives_finds_its_place",
            16,
            exact_arrivals,
        ),
        Check::hidden("large_frames_slow_links_and_long_runs", 10, extremes),
    ]);
}

fn link(rng: &mut Rng, queue_high: usize) -> Link {
    Link {
        delay_us: *rng.pick(&[0, 1, 100, 5000, 20_000, 100_000]) + rng.range(0, 50) as u64,
        rate_bps: *rng.pick(&[
            0,
            56_000,
            512_000,
            1_000_000,
            2_000_000,
            10_000_000,
            1_000_000_000,
        ]) + if rng.chance(30) {
            rng.range(1, 999) as u64
        } else {
            0
        },
        queue: rng.range(1, queue_high),
    }
}

/// `count` frames: bursts (several at the same time or close) and gaps.
fn frames(rng: &mut Rng, count: usize) -> Vec<Frame> {
    let mut at = rng.range(0, 1000) as u64;
    (0..count)
        .map(|_| {
            at += match rng.range(0, 3) {
                0 => 0,
                1 => rng.range(1, 100) as u64,
                2 => rng.range(100, 20_000) as u64,
                _ => rng.range(20_000, 300_000) as u64,
            };
            Frame {
                at_us: at,
                bytes: *rng.pick(&[0, 40, 64, 576, 1000, 1500, 1514]) + rng.range(0, 3) as u64,
            }
        })
        .collect()
}

fn shown(link: &Link, frames: &[Frame]) -> String {
    format!(
        "link delay {} us, rate {} bit/s, queue {}; frames (at us, bytes): {}",
        link.delay_us,
        link.rate_bps,
        link.queue,
        frames
            .iter()
            .map(|f| format!("({}, {})", f.at_us, f.bytes))
            .collect::<Vec<_>>()
            .join(" ")
    )
}

fn fates(fates: Vec<Fate>) -> String {
    fates
        .iter()
        .map(|f| match f {
            Fate::Delivered {
                sent_us,
                arrives_us,
            } => format!("sent {sent_us} arrives {arrives_us}"),
            Fate::Dropped => "dropped".into(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn run(link: Link, frames: Vec<Frame>) -> Case {
    Case::new(shown(&link, &frames), move || {
        fates(schedule(&link, &frames))
    })
}

fn transmission(rng: &mut Rng) -> Case {
    let bytes = if rng.chance(20) {
        rng.u64() % (1 << 40)
    } else {
        rng.range(0, 70_000) as u64
    };
    let rate = match rng.range(0, 3) {
        0 => 0,
        1 => rng.range(1, 1000) as u64,
        _ => rng.u64() % 100_000_000_000 + 1,
    };
    Case::new(format!("{bytes} bytes at {rate} bit/s"), move || {
        transmission_us(bytes, rate).to_string()
    })
}

fn one_frame(rng: &mut Rng) -> Case {
    let l = link(rng, 5);
    let f = frames(rng, 1);
    run(l, f)
}

fn burst(rng: &mut Rng) -> Case {
    let mut l = link(rng, 1);
    l.queue = 1000;
    if l.rate_bps == 0 {
        l.rate_bps = 1_000_000;
    }
    let at = rng.range(0, 5000) as u64;
    let mut f: Vec<Frame> = (0..rng.range(2, 12))
        .map(|_| Frame {
            at_us: at,
            bytes: rng.range(40, 1514) as u64,
        })
        .collect();
    f.push(Frame {
        at_us: at + rng.range(0, 200_000) as u64,
        bytes: 100,
    });
    run(l, f)
}

fn small_queue(rng: &mut Rng) -> Case {
    let l = link(rng, 4);
    let count = rng.range(4, 20);
    let f = frames(rng, count);
    run(l, f)
}

fn queue_of_one(rng: &mut Rng) -> Case {
    let mut l = link(rng, 1);
    l.queue = 1;
    let count = rng.range(3, 15);
    let f = frames(rng, count);
    run(l, f)
}

fn traffic(rng: &mut Rng) -> Case {
    let l = link(rng, 30);
    let count = rng.range(10, 80);
    let f = frames(rng, count);
    run(l, f)
}

fn extremes(rng: &mut Rng) -> Case {
    let l = Link {
        delay_us: rng.range(0, 2_000_000) as u64,
        rate_bps: rng.range(1, 64_000) as u64,
        queue: rng.range(1, 100),
    };
    let count = rng.range(100, 300);
    let mut f = frames(rng, count);
    for frame in f.iter_mut().step_by(7) {
        frame.bytes = 65_535;
    }
    run(l, f)
}

fn exact_arrivals(rng: &mut Rng) -> Case {
    // Frames spaced so that none waits for the link: each arrives at its time plus its
    // transmission time plus the delay, which the probe can work out; later frames come
    // exactly when earlier ones arrive (no longer on their way), or one microsecond
    // before (still on their way).
    let l = Link {
        delay_us: rng.range(1, 50_000) as u64,
        rate_bps: *rng.pick(&[0, 8_000_000, 1_000_000_000]),
        queue: rng.range(1, 4),
    };
    let mut f: Vec<Frame> = Vec::new();
    let mut arrivals: Vec<u64> = Vec::new();
    let mut at = rng.range(0, 100) as u64;
    for _ in 0..rng.range(4, 16) {
        if !arrivals.is_empty() && rng.chance(60) {
            let target = *rng.pick(&arrivals);
            at = at.max(target - u64::from(rng.chance(30)));
        }
        let bytes = rng.range(0, 100) as u64;
        f.push(Frame { at_us: at, bytes });
        // The arrival if it is not dropped and the link is idle (it is: frames are spaced
        // by at least their transmission time below).
        arrivals.push(at + tx(bytes, l.rate_bps) + l.delay_us);
        at += tx(bytes, l.rate_bps) + rng.range(0, 3) as u64;
    }
    run(l, f)
}

/// The transmission time as the task defines it, worked out here (the inputs must not
/// depend on the student's code).
fn tx(bytes: u64, rate_bps: u64) -> u64 {
    if rate_bps == 0 {
        0
    } else {
        (u128::from(bytes) * 8_000_000).div_ceil(u128::from(rate_bps)) as u64
    }
}
