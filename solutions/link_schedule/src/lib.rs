//! The schedule of one direction of a `netlab` wire with a rate limit and a queue, as a
//! pure function: when each frame has been sent, when it arrives, and which frames the
//! full queue drops.
//!
//! Times are whole microseconds since the first frame could have arrived, rates bits per
//! second, sizes bytes. A frame occupies the link for its *transmission time* (its bits
//! divided by the rate); frames queue behind one another for the link; once sent, each
//! travels for the link's *propagation delay*. Kurose's first chapter in a few lines.

/// One direction of a link.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    /// Propagation delay, in microseconds.
    pub delay_us: u64,
    /// Bits per second; 0 means no limit (a transmission time of 0).
    pub rate_bps: u64,
    /// How many frames may be on their way at once (accepted and not yet arrived); a
    /// frame that finds this many is dropped (tail drop). At least 1.
    pub queue: usize,
}

/// A frame handed to the link at `at_us`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    pub at_us: u64,
    pub bytes: u64,
}

/// What became of a frame.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fate {
    /// Its last bit left at `sent_us` and arrived at `arrives_us`.
    Delivered { sent_us: u64, arrives_us: u64 },
    /// The queue was full when it came.
    Dropped,
}

// ANCHOR: exercise
/// How long `bytes` occupy a link of `rate_bps`: bytes × 8 × 1 000 000 / rate
/// microseconds, rounded *up* to a whole microsecond; 0 when the rate is 0 (no limit).
pub fn transmission_us(bytes: u64, rate_bps: u64) -> u64 {
    //> // TODO
    //> let _ = (bytes, rate_bps);
    //> todo!("transmission_us")
    // lab:solution
    if rate_bps == 0 {
        return 0;
    }
    (u128::from(bytes) * 8 * 1_000_000).div_ceil(u128::from(rate_bps)) as u64
    // lab:end
}

/// The fate of each of `frames` (in the order given, their `at_us` never decreasing) on
/// `link`. For each frame in turn:
///
/// - the frames on their way are the ones delivered so far whose `arrives_us` is after
///   this frame's `at_us`; if there are `link.queue` of them (or more), it is `Dropped`,
///   and it changes nothing for the frames after it;
/// - otherwise it starts being sent when it comes or when the link has finished sending
///   the frame before it, whichever is later; `sent_us` is that start plus its
///   transmission time, and `arrives_us` is `sent_us` plus the delay.
pub fn schedule(link: &Link, frames: &[Frame]) -> Vec<Fate> {
    //> // TODO: remember when the link is free again, and the arrival times of the
    //> // frames delivered so far.
    //> let _ = (link, frames);
    //> todo!("schedule")
    // lab:solution
    let mut free_at = 0u64;
    let mut arrivals: Vec<u64> = Vec::new();
    let mut fates = Vec::with_capacity(frames.len());
    for frame in frames {
        let on_their_way = arrivals.iter().filter(|&&a| a > frame.at_us).count();
        if on_their_way >= link.queue {
            fates.push(Fate::Dropped);
            continue;
        }
        let start = frame.at_us.max(free_at);
        let sent_us = start + transmission_us(frame.bytes, link.rate_bps);
        free_at = sent_us;
        let arrives_us = sent_us + link.delay_us;
        arrivals.push(arrives_us);
        fates.push(Fate::Delivered {
            sent_us,
            arrives_us,
        });
    }
    fates
    // lab:end
}
// ANCHOR_END: exercise
