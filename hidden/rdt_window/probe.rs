//! The probe of `rdt_window`: the student's `GoBackN` fed events (seeded, random), every
//! answer and the state after it written down, for the grader to compare with the
//! reference window's. The first five checks mirror the visible tests on random sizes;
//! the others are hidden: long random event sequences, a channel that loses, reorders and
//! duplicates, and the edges (empty files, huge windows, ACKs near u32::MAX).
//!
//! An answer is written in a canonical form: the packets sent, in order, and the timer's
//! actions, in order (where the timer's action stands among the sends does not matter).

use rdt_window::{Action, GoBackN};
use testkit::probe::{self, Case, Check, Rng};

fn main() {
    probe::main(&[
        Check::visible("a_fresh_window_sends_up_to_its_size", 12, fresh),
        Check::visible("an_ack_slides_the_window_and_restarts_the_timer", 12, slide),
        Check::visible("a_timeout_sends_everything_in_flight_again", 12, timeout),
        Check::visible(
            "old_duplicate_and_impossible_acks_change_nothing",
            12,
            bogus_acks,
        ),
        Check::visible("the_whole_file_goes_through_a_lossy_channel", 6, lossy),
        Check::hidden("random_event_sequences", 40, random_events),
        Check::hidden(
            "a_channel_that_reorders_and_duplicates_still_delivers_in_order",
            8,
            reordering,
        ),
        Check::hidden("empty_files_huge_windows_and_acks_near_the_top", 10, edges),
    ]);
}

/// An answer, canonical: `sends [1, 2] timer [start]`.
fn answer(actions: &[Action]) -> String {
    let mut sends = Vec::new();
    let mut timer = Vec::new();
    for action in actions {
        match action {
            Action::Send(n) => sends.push(n.to_string()),
            Action::StartTimer => timer.push("start"),
            Action::StopTimer => timer.push("stop"),
        }
    }
    format!("sends [{}] timer [{}]", sends.join(", "), timer.join(", "))
}

/// The window's state, through its given accessors and the student's `can_send`.
fn state(w: &GoBackN) -> String {
    format!(
        "base {} next {} can_send {} done {}",
        w.base(),
        w.next(),
        w.can_send(),
        w.is_done()
    )
}

/// One step of a log: the event, the answer, the state after it.
fn step(log: &mut Vec<String>, event: String, actions: Vec<Action>, w: &GoBackN) {
    log.push(format!("{event}: {} -> {}", answer(&actions), state(w)));
}

/// `send_new` while `can_send` says yes (at most `limit` times), logged.
fn fill(w: &mut GoBackN, log: &mut Vec<String>, limit: u32) {
    for _ in 0..limit {
        if !w.can_send() {
            break;
        }
        let actions = w.send_new();
        step(log, "send_new".into(), actions, w);
    }
}

fn fresh(rng: &mut Rng) -> Case {
    let size = rng.range(1, 16) as u32;
    let total = rng.range(0, 40) as u32;
    Case::new(
        format!(
            "GoBackN::new({total}, {size}), then send_new {} times",
            size + 3
        ),
        || {
            let mut w = GoBackN::new(total, size);
            let mut log = vec![format!("new: {}", state(&w))];
            for _ in 0..size + 3 {
                let actions = w.send_new();
                step(&mut log, "send_new".into(), actions, &w);
            }
            log.join("; ")
        },
    )
}

fn slide(rng: &mut Rng) -> Case {
    let size = rng.range(2, 12) as u32;
    let total = size + rng.range(5, 50) as u32;
    let steps: Vec<u64> = (0..5).map(|_| rng.u64()).collect();
    Case::new(
        format!(
            "GoBackN::new({total}, {size}); five rounds of: fill the window, then an ACK \
             that moves it (drawn from {steps:?})"
        ),
        || {
            let mut w = GoBackN::new(total, size);
            let mut log = Vec::new();
            for pick in &steps {
                fill(&mut w, &mut log, size + 1);
                let (base, next) = (w.base(), w.next());
                if next <= base {
                    break;
                }
                let ack = base + 1 + (pick % u64::from(next - base)) as u32;
                let actions = w.on_ack(ack);
                step(&mut log, format!("on_ack({ack})"), actions, &w);
            }
            log.join("; ")
        },
    )
}

fn timeout(rng: &mut Rng) -> Case {
    let size = rng.range(1, 12) as u32;
    let total = rng.range(1, 40) as u32;
    let acked = rng.range(0, size as usize) as u32;
    Case::new(
        format!(
            "GoBackN::new({total}, {size}): fill, ACK base+{acked} (if that is in flight), \
             on_timeout twice, ACK everything, on_timeout"
        ),
        || {
            let mut w = GoBackN::new(total, size);
            let mut log = Vec::new();
            fill(&mut w, &mut log, size + 1);
            let ack = w.base() + acked;
            if acked > 0 && ack <= w.next() {
                let actions = w.on_ack(ack);
                step(&mut log, format!("on_ack({ack})"), actions, &w);
            }
            for _ in 0..2 {
                let actions = w.on_timeout();
                step(&mut log, "on_timeout".into(), actions, &w);
            }
            let all = w.next();
            let actions = w.on_ack(all);
            step(&mut log, format!("on_ack({all})"), actions, &w);
            let actions = w.on_timeout();
            step(&mut log, "on_timeout".into(), actions, &w);
            log.join("; ")
        },
    )
}

fn bogus_acks(rng: &mut Rng) -> Case {
    let size = rng.range(2, 12) as u32;
    let total = size + rng.range(2, 30) as u32;
    let first = rng.range(1, size as usize) as u32;
    let far = rng.range(1, 1000) as u32;
    Case::new(
        format!(
            "GoBackN::new({total}, {size}): fill, on_ack({first}), then the same ACK, older \
             ones, 0, ACKs beyond next (next+1, next+{far}, u32::MAX), and the last one"
        ),
        || {
            let mut w = GoBackN::new(total, size);
            let mut log = Vec::new();
            fill(&mut w, &mut log, size + 1);
            let next = w.next();
            let mut acks = vec![first, first, first - 1, 0, next + 1, next + far, u32::MAX];
            acks.push(next);
            for ack in acks {
                let actions = w.on_ack(ack);
                step(&mut log, format!("on_ack({ack})"), actions, &w);
            }
            log.join("; ")
        },
    )
}

/// A whole transfer through a channel in the probe: the student's window, a Go-Back-N
/// receiver, `loss` percent lost each way, time in steps, and (with `shuffle`) packets
/// and ACKs arriving in any order, some twice. Returns what was delivered and how.
fn transfer(total: u32, size: u32, loss: usize, shuffle: bool, rng: &mut Rng) -> String {
    let mut w = GoBackN::new(total, size);
    let mut timer: Option<u64> = None;
    let mut expected = 0u32;
    let mut delivered = Vec::new();
    let mut to_receiver: Vec<u32> = Vec::new();
    let mut to_sender: Vec<u32> = Vec::new();
    let mut sent = 0u64;
    let mut timeouts = 0u64;
    let apply = |actions: Vec<Action>,
                 timer: &mut Option<u64>,
                 out: &mut Vec<u32>,
                 sent: &mut u64,
                 now: u64| {
        for action in actions {
            match action {
                Action::Send(n) => {
                    *sent += 1;
                    out.push(n);
                }
                Action::StartTimer => *timer = Some(now + 25),
                Action::StopTimer => *timer = None,
            }
        }
    };
    let mut now = 0u64;
    while now < 50_000 && !w.is_done() {
        now += 1;
        for _ in 0..=size.min(64) {
            if !w.can_send() {
                break;
            }
            let actions = w.send_new();
            apply(actions, &mut timer, &mut to_receiver, &mut sent, now);
        }
        if timer.is_some_and(|at| at <= now) {
            timer = None;
            timeouts += 1;
            let actions = w.on_timeout();
            apply(actions, &mut timer, &mut to_receiver, &mut sent, now);
        }
        // Deliver one packet in flight (the oldest, or any when shuffling), maybe lost.
        if !to_receiver.is_empty() {
            let at = if shuffle {
                rng.range(0, to_receiver.len() - 1)
            } else {
                0
            };
            let n = if shuffle && rng.chance(10) {
                to_receiver[at] // a duplicate: it stays in flight too
            } else {
                to_receiver.remove(at)
            };
            if !rng.chance(loss as u64) {
                if n == expected {
                    delivered.push(n);
                    expected += 1;
                }
                to_sender.push(expected);
            }
        }
        if !to_sender.is_empty() {
            let at = if shuffle {
                rng.range(0, to_sender.len() - 1)
            } else {
                0
            };
            let ack = to_sender.remove(at);
            if !rng.chance(loss as u64) {
                let actions = w.on_ack(ack);
                let mut stray = Vec::new();
                apply(actions, &mut timer, &mut stray, &mut sent, now);
                if !stray.is_empty() {
                    return format!("on_ack({ack}) asked to send {stray:?}");
                }
            }
        }
        to_receiver.truncate(10_000);
        to_sender.truncate(10_000);
    }
    let in_order = delivered.iter().enumerate().all(|(i, n)| *n == i as u32);
    format!(
        "after {now} steps: {}; delivered {} packets{}; {sent} sends, {timeouts} timeouts",
        state(&w),
        delivered.len(),
        if in_order {
            ", in order"
        } else {
            ", NOT in order"
        }
    )
}

fn lossy(rng: &mut Rng) -> Case {
    let total = rng.range(1, 80) as u32;
    let size = rng.range(1, 12) as u32;
    let loss = rng.range(5, 35);
    let seed = rng.u64();
    Case::new(
        format!(
            "{total} packets, window {size}, {loss}% lost each way, in order (channel seed \
             {seed})"
        ),
        || transfer(total, size, loss, false, &mut Rng::new(seed)),
    )
}

fn reordering(rng: &mut Rng) -> Case {
    let total = rng.range(20, 150) as u32;
    let size = rng.range(1, 20) as u32;
    let loss = rng.range(0, 30);
    let seed = rng.u64();
    Case::new(
        format!(
            "{total} packets, window {size}, {loss}% lost each way, packets and ACKs \
             arriving in any order, some twice (channel seed {seed})"
        ),
        || transfer(total, size, loss, true, &mut Rng::new(seed)),
    )
}

fn random_events(rng: &mut Rng) -> Case {
    let size = rng.range(1, 10) as u32;
    let total = rng.range(0, 30) as u32;
    // Each event: 0..=3 send_new, 4 on_timeout, 5..=9 an ACK at base + (offset - 2).
    let events: Vec<(usize, u32)> = (0..150)
        .map(|_| (rng.range(0, 9), rng.range(0, size as usize + 4) as u32))
        .collect();
    let described: Vec<String> = events
        .iter()
        .map(|(kind, offset)| match kind {
            0..=3 => "send_new".to_owned(),
            4 => "on_timeout".to_owned(),
            _ => format!("on_ack(base{:+})", i64::from(*offset) - 2),
        })
        .collect();
    Case::new(
        format!(
            "GoBackN::new({total}, {size}), then: {}",
            described.join(", ")
        ),
        || {
            let mut w = GoBackN::new(total, size);
            let mut log = Vec::new();
            for (kind, offset) in &events {
                match kind {
                    0..=3 => {
                        let actions = w.send_new();
                        step(&mut log, "send_new".into(), actions, &w);
                    }
                    4 => {
                        let actions = w.on_timeout();
                        step(&mut log, "on_timeout".into(), actions, &w);
                    }
                    _ => {
                        let ack = (w.base() + offset).saturating_sub(2);
                        let actions = w.on_ack(ack);
                        step(&mut log, format!("on_ack({ack})"), actions, &w);
                    }
                }
            }
            log.join("; ")
        },
    )
}

fn edges(rng: &mut Rng) -> Case {
    let pick = rng.range(0, 3);
    let size = *rng.pick(&[1, 2, u32::MAX, u32::MAX - 1, 1 << 31]);
    let total = match pick {
        0 => 0,
        1 => 1,
        2 => rng.range(2, 6) as u32,
        _ => rng.range(100, 200) as u32,
    };
    Case::new(
        format!(
            "GoBackN::new({total}, {size}): send_new until it says no (at most {} times), \
             on_timeout, on_ack(u32::MAX), on_ack(next), on_timeout, send_new",
            total + 2
        ),
        || {
            let mut w = GoBackN::new(total, size);
            let mut log = vec![format!("new: {}", state(&w))];
            fill(&mut w, &mut log, total + 2);
            let actions = w.on_timeout();
            step(&mut log, "on_timeout".into(), actions, &w);
            let actions = w.on_ack(u32::MAX);
            step(&mut log, "on_ack(u32::MAX)".into(), actions, &w);
            let next = w.next();
            let actions = w.on_ack(next);
            step(&mut log, format!("on_ack({next})"), actions, &w);
            let actions = w.on_timeout();
            step(&mut log, "on_timeout".into(), actions, &w);
            let actions = w.send_new();
            step(&mut log, "send_new".into(), actions, &w);
            log.join("; ")
        },
    )
}
