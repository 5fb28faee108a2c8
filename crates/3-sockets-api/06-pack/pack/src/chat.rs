//! "Son of Data Encapsulation": the chat packet from Beej's guide.
//!
//! ```text
//! +-----+----------------------------+----------------------+
//! | len | name: 8 bytes, NUL-padded  | text: 0 to 128 bytes |
//! +-----+----------------------------+----------------------+
//! ```
//!
//! `len` is one unsigned byte: the number of bytes after it (8 + the text's length), so a
//! packet is 9 to 137 bytes long. "tom" saying "Hi" is
//! `0a 74 6f 6d 00 00 00 00 00 48 69`.

use std::fmt;

/// The longest name and the longest text a packet carries.
pub const NAME_LEN: usize = 8;
pub const MAX_TEXT: usize = 128;

/// One chat message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatPacket {
    pub name: String,
    pub text: Vec<u8>,
}

/// Why a chat packet could not be made or read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChatError {
    NameTooLong(usize),
    TextTooLong(usize),
    /// A length byte below 8 (no room for the name) or above 136.
    BadLength(u8),
}

impl fmt::Display for ChatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChatError::NameTooLong(n) => write!(f, "a name has at most {NAME_LEN} bytes, not {n}"),
            ChatError::TextTooLong(n) => {
                write!(f, "a message has at most {MAX_TEXT} bytes, not {n}")
            }
            ChatError::BadLength(len) => write!(
                f,
                "length byte {len} is impossible (a packet holds 8 to {} bytes after it)",
                NAME_LEN + MAX_TEXT
            ),
        }
    }
}

// ANCHOR: encode
/// The bytes of one packet.
pub fn encode(name: &str, text: &[u8]) -> Result<Vec<u8>, ChatError> {
    if name.len() > NAME_LEN {
        return Err(ChatError::NameTooLong(name.len()));
    }
    if text.len() > MAX_TEXT {
        return Err(ChatError::TextTooLong(text.len()));
    }
    let mut packet = Vec::with_capacity(1 + NAME_LEN + text.len());
    packet.push((NAME_LEN + text.len()) as u8); // fits: at most 136
    packet.extend_from_slice(name.as_bytes());
    packet.resize(1 + NAME_LEN, 0); // NUL padding up to 8 bytes
    packet.extend_from_slice(text);
    Ok(packet)
}
// ANCHOR_END: encode

// ANCHOR: decoder
/// Reassembles packets from a stream of bytes split anyhow.
#[derive(Default)]
pub struct ChatDecoder {
    buf: Vec<u8>,
}

impl ChatDecoder {
    pub fn new() -> ChatDecoder {
        ChatDecoder::default()
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet part of a complete packet.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// The next complete packet, `Ok(None)` until one has fully arrived. After an error
    /// the stream cannot be resynchronized (where would the next packet start?): the
    /// caller should drop the connection.
    pub fn next_packet(&mut self) -> Result<Option<ChatPacket>, ChatError> {
        let Some(&len) = self.buf.first() else {
            return Ok(None);
        };
        if usize::from(len) < NAME_LEN || usize::from(len) > NAME_LEN + MAX_TEXT {
            return Err(ChatError::BadLength(len));
        }
        let total = 1 + usize::from(len);
        if self.buf.len() < total {
            return Ok(None);
        }
        let packet: Vec<u8> = self.buf.drain(..total).collect();
        let name = &packet[1..1 + NAME_LEN];
        let name = name.split(|&b| b == 0).next().unwrap_or_default();
        Ok(Some(ChatPacket {
            name: String::from_utf8_lossy(name).into_owned(),
            text: packet[1 + NAME_LEN..].to_vec(),
        }))
    }
}
// ANCHOR_END: decoder
