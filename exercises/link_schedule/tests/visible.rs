//! Transmission time, queueing and tail drop on small examples worked by hand.

use link_schedule::{Fate, Frame, Link, schedule, transmission_us};

fn frame(at_us: u64, bytes: u64) -> Frame {
    Frame { at_us, bytes }
}

fn delivered(sent_us: u64, arrives_us: u64) -> Fate {
    Fate::Delivered {
        sent_us,
        arrives_us,
    }
}

#[test]
fn transmission_time_is_bits_over_rate_rounded_up() {
    // 1500 bytes at 1 Mbit/s: 12000 bits, 12 ms.
    assert_eq!(transmission_us(1500, 1_000_000), 12_000);
    // 64 bytes at 512 kbit/s: 512 bits, exactly 1 ms.
    assert_eq!(transmission_us(64, 512_000), 1000);
    // 1 byte at 3 bit/s: 2.67 s, rounded up to 2666667 µs.
    assert_eq!(transmission_us(1, 3), 2_666_667);
    assert_eq!(transmission_us(1500, 0), 0, "rate 0: no limit");
    assert_eq!(transmission_us(0, 1000), 0);
}

#[test]
fn a_frame_arrives_after_its_transmission_and_the_delay() {
    let link = Link {
        delay_us: 20_000,
        rate_bps: 1_000_000,
        queue: 10,
    };
    assert_eq!(
        schedule(&link, &[frame(5, 1500)]),
        [delivered(12_005, 32_005)]
    );
}

#[test]
fn frames_back_to_back_wait_for_the_link() {
    let link = Link {
        delay_us: 1000,
        rate_bps: 1_000_000,
        queue: 10,
    };
    // Three 1500-byte frames at once: each waits for the one before (12 ms each); a
    // fourth comes when the link is idle again and goes at once.
    let got = schedule(
        &link,
        &[
            frame(0, 1500),
            frame(0, 1500),
            frame(0, 1500),
            frame(50_000, 125),
        ],
    );
    assert_eq!(
        got,
        [
            delivered(12_000, 13_000),
            delivered(24_000, 25_000),
            delivered(36_000, 37_000),
            delivered(51_000, 52_000),
        ]
    );
}

#[test]
fn a_full_queue_drops_the_frame_that_comes() {
    let link = Link {
        delay_us: 10_000,
        rate_bps: 0,
        queue: 2,
    };
    // No rate limit: each frame takes 10 ms to arrive. Two on their way, the third is
    // dropped; at 10 ms the first has arrived (not "after" 10 ms), so there is room.
    let got = schedule(
        &link,
        &[
            frame(0, 100),
            frame(1, 100),
            frame(2, 100),
            frame(10_000, 100),
        ],
    );
    assert_eq!(
        got,
        [
            delivered(0, 10_000),
            delivered(1, 10_001),
            Fate::Dropped,
            delivered(10_000, 20_000),
        ]
    );
}

#[test]
fn a_dropped_frame_costs_the_link_no_time() {
    let link = Link {
        delay_us: 0,
        rate_bps: 8_000_000, // a byte a microsecond
        queue: 1,
    };
    let got = schedule(&link, &[frame(0, 1000), frame(10, 1000), frame(1000, 10)]);
    assert_eq!(
        got,
        [delivered(1000, 1000), Fate::Dropped, delivered(1010, 1010)]
    );
}
