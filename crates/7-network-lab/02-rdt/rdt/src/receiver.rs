//! The receiver's side of each protocol: given an undamaged data packet, what to
//! hand to the file (in order, each byte once) and what to acknowledge.

use std::collections::BTreeMap;

use crate::Protocol;

/// What became of a data packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The packet expected next: delivered (with any kept packets it unblocked).
    Delivered,
    /// Out of order but inside the window: kept until the gap fills (selective
    /// repeat only).
    Kept,
    /// Already had it (a retransmission whose ACK was lost, or a duplicate).
    Duplicate,
    /// Out of order and not kept (Go-Back-N), or outside every window: dropped.
    Dropped,
}

/// The answer to one data packet.
#[derive(Debug, PartialEq, Eq)]
pub struct Reply {
    pub verdict: Verdict,
    /// The data to append to the file now, in order.
    pub deliver: Vec<Vec<u8>>,
    /// The ACK to send back (its sequence number), if any.
    pub ack: Option<u32>,
}

/// A receiver of one protocol, with the sender's window size.
pub struct Receiver {
    protocol: Protocol,
    size: u32,
    /// The index of the next packet to deliver: everything before it is in the file.
    expected: u32,
    /// Selective repeat: packets that arrived ahead of `expected`.
    kept: BTreeMap<u32, Vec<u8>>,
}

impl Receiver {
    pub fn new(protocol: Protocol, window: u16) -> Receiver {
        Receiver {
            protocol,
            size: u32::from(window.max(1)),
            expected: 0,
            kept: BTreeMap::new(),
        }
    }

    /// How many packets have been delivered, in order.
    pub fn delivered(&self) -> u32 {
        self.expected
    }

    // ANCHOR: on_data
    /// A data packet with sequence number `seq` and `data` arrived, undamaged.
    pub fn on_data(&mut self, seq: u32, data: &[u8]) -> Reply {
        match self.protocol {
            // rdt 3.0: deliver the bit we wait for; either way, ACK the bit we got
            // (for the other bit, that repeats the ACK the sender missed).
            Protocol::StopAndWait => {
                if seq > 1 {
                    return self.reply(Verdict::Dropped, vec![], None);
                }
                if seq == self.expected % 2 {
                    self.expected += 1;
                    self.reply(Verdict::Delivered, vec![data.to_vec()], Some(seq))
                } else {
                    self.reply(Verdict::Duplicate, vec![], Some(seq))
                }
            }
            // Go-Back-N: only the packet expected is taken; every packet is answered
            // with the cumulative ACK "next, I expect `expected`".
            Protocol::Gbn => {
                let verdict = if seq == self.expected {
                    self.expected += 1;
                    Verdict::Delivered
                } else if seq < self.expected {
                    Verdict::Duplicate
                } else {
                    Verdict::Dropped
                };
                let deliver = match verdict {
                    Verdict::Delivered => vec![data.to_vec()],
                    _ => vec![],
                };
                self.reply(verdict, deliver, Some(self.expected))
            }
            // Selective repeat: keep anything inside the window, ACK each packet by
            // its own number, deliver the run that starts at `expected`. A packet
            // from the window before is ACKed again (its ACK may have been lost);
            // anything further away is dropped without an answer.
            Protocol::Sr => {
                let window_end = u64::from(self.expected) + u64::from(self.size);
                if seq >= self.expected && u64::from(seq) < window_end {
                    if self.kept.contains_key(&seq) {
                        return self.reply(Verdict::Duplicate, vec![], Some(seq));
                    }
                    self.kept.insert(seq, data.to_vec());
                    let mut deliver = Vec::new();
                    while let Some(data) = self.kept.remove(&self.expected) {
                        deliver.push(data);
                        self.expected += 1;
                    }
                    let verdict = if deliver.is_empty() {
                        Verdict::Kept
                    } else {
                        Verdict::Delivered
                    };
                    self.reply(verdict, deliver, Some(seq))
                } else if seq < self.expected && self.expected - seq <= self.size {
                    self.reply(Verdict::Duplicate, vec![], Some(seq))
                } else {
                    self.reply(Verdict::Dropped, vec![], None)
                }
            }
        }
    }
    // ANCHOR_END: on_data

    fn reply(
        &self,
        verdict: Verdict,
        deliver: Vec<Vec<u8>>,
        ack: Option<u32>,
    ) -> Reply {
        Reply {
            verdict,
            deliver,
            ack,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(reply: &Reply) -> Vec<&[u8]> {
        reply.deliver.iter().map(|d| &d[..]).collect()
    }

    #[test]
    fn stop_and_wait_delivers_alternate_bits_and_repeats_acks_for_duplicates() {
        let mut r = Receiver::new(Protocol::StopAndWait, 1);
        let first = r.on_data(0, b"a");
        assert_eq!((first.verdict, first.ack), (Verdict::Delivered, Some(0)));
        assert_eq!(data(&first), [b"a"]);
        let again = r.on_data(0, b"a");
        assert_eq!((again.verdict, again.ack), (Verdict::Duplicate, Some(0)));
        assert!(again.deliver.is_empty(), "never the same bytes twice");
        let second = r.on_data(1, b"b");
        assert_eq!(data(&second), [b"b"]);
        assert_eq!(r.on_data(7, b"?").ack, None, "no such bit");
        assert_eq!(r.delivered(), 2);
    }

    #[test]
    fn go_back_n_takes_only_the_next_packet_and_acks_cumulatively() {
        let mut r = Receiver::new(Protocol::Gbn, 4);
        assert_eq!(r.on_data(0, b"a").ack, Some(1));
        let early = r.on_data(2, b"c");
        assert_eq!((early.verdict, early.ack), (Verdict::Dropped, Some(1)));
        assert!(early.deliver.is_empty(), "out of order: thrown away");
        let next = r.on_data(1, b"b");
        assert_eq!((next.verdict, next.ack), (Verdict::Delivered, Some(2)));
        let old = r.on_data(0, b"a");
        assert_eq!((old.verdict, old.ack), (Verdict::Duplicate, Some(2)));
        assert!(old.deliver.is_empty());
    }

    #[test]
    fn selective_repeat_keeps_what_comes_early_and_delivers_the_run() {
        let mut r = Receiver::new(Protocol::Sr, 4);
        let early = r.on_data(2, b"c");
        assert_eq!((early.verdict, early.ack), (Verdict::Kept, Some(2)));
        assert!(early.deliver.is_empty());
        assert_eq!(r.on_data(2, b"c").verdict, Verdict::Duplicate);
        assert_eq!(r.on_data(1, b"b").verdict, Verdict::Kept);
        let gap = r.on_data(0, b"a");
        assert_eq!((gap.verdict, gap.ack), (Verdict::Delivered, Some(0)));
        assert_eq!(data(&gap), [b"a", b"b", b"c"], "the whole run, in order");
        // The window is now 3..7: 7 is beyond it, 0 is from the window before.
        assert_eq!(
            r.on_data(7, b"h"),
            Reply {
                verdict: Verdict::Dropped,
                deliver: vec![],
                ack: None
            }
        );
        let old = r.on_data(0, b"a");
        assert_eq!((old.verdict, old.ack), (Verdict::Duplicate, Some(0)));
        assert!(old.deliver.is_empty());
        assert_eq!(r.on_data(6, b"g").verdict, Verdict::Kept);
    }
}
