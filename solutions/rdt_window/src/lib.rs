//! The sender's window of Go-Back-N, as a state machine: events in, actions out.
//!
//! The packets of the file are numbered 0, 1, 2, ... `total - 1`. At most `size` of
//! them are in flight (sent, not yet acknowledged): `base` is the oldest of them,
//! `next` the first not sent yet. An ACK is cumulative: ACK n means "I have every
//! packet before n". There is one timer, for the oldest packet in flight.
//!
//! No socket and no clock in here: `main.rs` sends what `Send` says and keeps the
//! timer that `StartTimer` and `StopTimer` start and stop.

pub mod packet;

/// What the sender must do after an event. (Given.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send packet number `n` (again, if it went before).
    Send(u32),
    /// Start the timer, or start it over if it runs.
    StartTimer,
    /// Stop the timer.
    StopTimer,
}

/// The window. (Given: its fields, `new`, the accessors and `is_done`.)
#[derive(Debug)]
pub struct GoBackN {
    /// Packets in the file.
    total: u32,
    /// Packets in flight at most.
    size: u32,
    /// The oldest packet not acknowledged.
    base: u32,
    /// The first packet not sent yet.
    next: u32,
}

impl GoBackN {
    pub fn new(total: u32, size: u32) -> GoBackN {
        assert!(size > 0, "a window holds at least one packet");
        GoBackN {
            total,
            size,
            base: 0,
            next: 0,
        }
    }

    pub fn total(&self) -> u32 {
        self.total
    }

    pub fn size(&self) -> u32 {
        self.size
    }

    pub fn base(&self) -> u32 {
        self.base
    }

    pub fn next(&self) -> u32 {
        self.next
    }

    /// Every packet acknowledged.
    pub fn is_done(&self) -> bool {
        self.base == self.total
    }

    // ANCHOR: exercise
    /// May a packet not sent before go now? Only if there is one (`next < total`)
    /// and the window has room for it (`next < base + size`).
    pub fn can_send(&self) -> bool {
        //> // TODO: the two conditions above. (Mind overflow: base + size can be
        //> // bigger than u32::MAX; compare as u64.)
        //> todo!("can_send")
        // lab:solution
        self.next < self.total && u64::from(self.next) < u64::from(self.base) + u64::from(self.size)
        // lab:end
    }

    /// Sends the next new packet: `[Send(next)]`, plus `StartTimer` if the window
    /// was empty (that packet is now the oldest in flight); `next` moves on. When
    /// `can_send()` is false: nothing happens, and the answer is `[]`.
    pub fn send_new(&mut self) -> Vec<Action> {
        //> // TODO
        //> todo!("send_new")
        // lab:solution
        if !self.can_send() {
            return vec![];
        }
        let seq = self.next;
        self.next += 1;
        if seq == self.base {
            vec![Action::Send(seq), Action::StartTimer]
        } else {
            vec![Action::Send(seq)]
        }
        // lab:end
    }

    /// An ACK `ack` arrived: the receiver has every packet before `ack`. If that
    /// moves the window (`base < ack <= next`), `base` becomes `ack`, and the timer
    /// stops if nothing is in flight any more (`[StopTimer]`), or starts over for
    /// the new oldest packet (`[StartTimer]`). Any other ACK (old, duplicate, or for
    /// a packet never sent) changes nothing: `[]`.
    pub fn on_ack(&mut self, ack: u32) -> Vec<Action> {
        //> // TODO
        //> let _ = ack;
        //> todo!("on_ack")
        // lab:solution
        if ack <= self.base || ack > self.next {
            return vec![];
        }
        self.base = ack;
        if self.base == self.next {
            vec![Action::StopTimer]
        } else {
            vec![Action::StartTimer]
        }
        // lab:end
    }

    /// The timer fired: go back N. Start the timer over and send every packet in
    /// flight again, oldest first: `[StartTimer, Send(base), ..., Send(next - 1)]`.
    /// With nothing in flight: `[]`.
    pub fn on_timeout(&mut self) -> Vec<Action> {
        //> // TODO
        //> todo!("on_timeout")
        // lab:solution
        if self.base == self.next {
            return vec![];
        }
        let mut actions = vec![Action::StartTimer];
        actions.extend((self.base..self.next).map(Action::Send));
        actions
        // lab:end
    }
    // ANCHOR_END: exercise
}
