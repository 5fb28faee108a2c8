//! What the pool server's tests and the book need from it.

use std::thread;

/// What a client gets, instead of its uppercased bytes, when every worker is busy and the
/// queue is full. Then the server closes the connection.
pub const BUSY_REPLY: &[u8] =
    b"server busy: every worker is taken and the queue is full; try again later\n";

/// The number of workers when `--workers` is not given: four per CPU core.
///
/// Four, not one: a worker serving a client spends most of its time waiting for that
/// client, not computing, so one per core would leave the cores idle.
pub fn default_workers() -> usize {
    4 * thread::available_parallelism().map_or(1, usize::from)
}
