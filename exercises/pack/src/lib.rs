//! Packing a message for the wire and unpacking it from a byte stream
//! (Beej's pack2.c and "Son of Data Encapsulation").
//!
//! A frame on the wire:
//!
//! ```text
//! +----------------+-------------+--------------------+----------+-------------+
//! | body length    | id          | reading            | name len | name        |
//! | u32, 4 bytes   | u32         | f64 (IEEE 754 bits)| u8       | UTF-8 bytes |
//! +----------------+-------------+--------------------+----------+-------------+
//!   big-endian       big-endian    big-endian
//! ```
//!
//! The length counts the bytes of the body (everything after the length itself).

/// One sensor reading.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub id: u32,
    pub reading: f64,
    pub name: String,
}

/// Largest body a receiver accepts: 4 + 8 + 1 + 255.
pub const MAX_BODY: usize = 268;

/// Why a frame cannot be unpacked.
#[derive(Debug, PartialEq)]
pub enum PackError {
    /// The body length is below the smallest or above `MAX_BODY`.
    BadLength(u32),
    /// The name length does not fit the body.
    BadNameLength,
    /// The name is not UTF-8.
    NotUtf8,
    /// The name is longer than 255 bytes (only when packing).
    NameTooLong,
}

// ANCHOR: exercise
/// The frame for `msg`.
pub fn pack(msg: &Message) -> Result<Vec<u8>, PackError> {
    // TODO: the length of the body, then id, reading (its IEEE 754 bits) and the name's
    // length and bytes, every number big-endian. A name over 255 bytes: NameTooLong.
    let _ = msg;
    todo!("pack")
}

/// Unpacks the first frame of `buf`, which holds whatever has arrived so far.
///
/// `Ok(None)`: not all of the frame has arrived yet (read more, call again).
/// `Ok(Some((msg, used)))`: a whole frame, `used` bytes long; the bytes after it belong to
/// the next frame. `Err`: the frame is malformed and the stream cannot be trusted.
pub fn unpack(buf: &[u8]) -> Result<Option<(Message, usize)>, PackError> {
    // TODO: fewer than 4 bytes, or fewer than the whole body: Ok(None). A body length
    // outside 13..=MAX_BODY: BadLength. Then the fields, in order; a name length that does
    // not match the body: BadNameLength; a name that is not UTF-8: NotUtf8.
    let _ = buf;
    todo!("unpack")
}
// ANCHOR_END: exercise
