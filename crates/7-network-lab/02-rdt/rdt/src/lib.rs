//! Reliable data transfer over UDP, the three protocols of Kurose & Ross ch. 3.4:
//! stop-and-wait (rdt 3.0, the alternating bit), Go-Back-N and selective repeat.
//!
//! Everything here is pure: no sockets, no clocks. `main.rs` holds the socket calls
//! and feeds these state machines what arrives and what times out.
//!
//! - [`packet`]: the header on the wire, and the CRC-32 that rejects a damaged one;
//! - [`window`]: the sender's window and timers, one state machine per protocol;
//! - [`receiver`]: what a receiver delivers and acknowledges, per protocol;
//! - [`channel`]: the dice that lose and damage packets on purpose (`--loss`,
//!   `--corrupt`), so that loopback shows the protocols at work.

pub mod channel;
pub mod packet;
pub mod receiver;
pub mod window;

pub use packet::{Kind, Packet, Protocol};
