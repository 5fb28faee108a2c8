//! Beej's `pack2` in Rust: putting numbers and strings into bytes in a way every machine
//! reads back the same, and cutting a byte stream back into messages.
//!
//! - [`Packer`] and [`Unpacker`]: integers of 8, 16, 32 and 64 bits in network byte order
//!   (big-endian), floats as IEEE 754 ([`pack754`]), strings with a 16-bit length before them.
//! - [`pack`] and [`unpack`]: the same driven by a format string, as in Beej's `pack()`.
//! - [`frame`] and [`Deframer`]: length-prefixed messages over a stream, whatever the splits.
//! - [`chat`]: the "Son of Data Encapsulation" chat packet.
//! - [`htonf`] and [`ntohf`]: pack.c's fixed-point floats; [`htonll`] and [`ntohll`].
//!
//! Every decoder here returns an error for bad input, never panics: the fuzz target in
//! `fuzz/` checks [`fuzz_one_input`].

pub mod chat;
mod fixed;
mod ieee754;

use std::fmt;

pub use fixed::{htonf, htonll, ntohf, ntohll};
pub use ieee754::{pack754, unpack754};

/// Why bytes could not be decoded (or values encoded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PackError {
    /// The input ended before the value did.
    Short { wanted: usize, left: usize },
    /// A string is longer than its 16-bit length field can say (encoding).
    StringTooLong(usize),
    /// A string's bytes are not UTF-8.
    NotUtf8,
    /// A format letter that means nothing.
    BadFormat(char),
    /// The values do not fit the format (encoding).
    Mismatch(String),
    /// A frame announces more bytes than the limit allows.
    FrameTooLarge { announced: u64, limit: usize },
}

impl fmt::Display for PackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PackError::Short { wanted, left } => {
                write!(
                    f,
                    "input ends early: wanted {wanted} more bytes, {left} left"
                )
            }
            PackError::StringTooLong(n) => {
                write!(f, "a {n}-byte string does not fit a 16-bit length")
            }
            PackError::NotUtf8 => write!(f, "a string is not UTF-8"),
            PackError::BadFormat(c) => write!(f, "unknown format letter {c:?}"),
            PackError::Mismatch(what) => write!(f, "values do not match the format: {what}"),
            PackError::FrameTooLarge { announced, limit } => {
                write!(
                    f,
                    "a frame of {announced} bytes is over the limit of {limit}"
                )
            }
        }
    }
}

// ANCHOR: packer
/// Builds a message: each `put` appends a value in network byte order.
#[derive(Default)]
pub struct Packer {
    bytes: Vec<u8>,
}

impl Packer {
    pub fn new() -> Packer {
        Packer::default()
    }

    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.bytes.push(v);
        self
    }

    pub fn i8(&mut self, v: i8) -> &mut Self {
        self.u8(v as u8) // two's complement: the same bits
    }

    /// htons(): the most significant byte first.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.bytes.extend_from_slice(&[(v >> 8) as u8, v as u8]);
        self
    }

    pub fn i16(&mut self, v: i16) -> &mut Self {
        self.u16(v as u16)
    }

    /// htonl().
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn i32(&mut self, v: i32) -> &mut Self {
        self.u32(v as u32)
    }

    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub fn i64(&mut self, v: i64) -> &mut Self {
        self.u64(v as u64)
    }

    /// A 16-bit IEEE-754 float (half precision): 1 sign, 5 exponent, 10 fraction bits.
    pub fn f16(&mut self, v: f32) -> &mut Self {
        self.u16(pack754(v.into(), 16, 5) as u16)
    }

    pub fn f32(&mut self, v: f32) -> &mut Self {
        self.u32(pack754(v.into(), 32, 8) as u32)
    }

    pub fn f64(&mut self, v: f64) -> &mut Self {
        self.u64(pack754(v, 64, 11))
    }

    /// A string: its length as a u16, then its bytes.
    pub fn str(&mut self, s: &str) -> Result<&mut Self, PackError> {
        let len = u16::try_from(s.len()).map_err(|_| PackError::StringTooLong(s.len()))?;
        self.u16(len);
        self.bytes.extend_from_slice(s.as_bytes());
        Ok(self)
    }

    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.bytes)
    }
}
// ANCHOR_END: packer

// ANCHOR: unpacker
/// Reads values back from bytes, checking at every step that they are there.
pub struct Unpacker<'a> {
    bytes: &'a [u8],
}

impl<'a> Unpacker<'a> {
    pub fn new(bytes: &'a [u8]) -> Unpacker<'a> {
        Unpacker { bytes }
    }

    /// The bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.bytes
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], PackError> {
        let (head, tail) = self
            .bytes
            .split_first_chunk::<N>()
            .ok_or(PackError::Short {
                wanted: N,
                left: self.bytes.len(),
            })?;
        self.bytes = tail;
        Ok(*head)
    }

    pub fn u8(&mut self) -> Result<u8, PackError> {
        Ok(self.take::<1>()?[0])
    }

    pub fn i8(&mut self) -> Result<i8, PackError> {
        Ok(self.u8()? as i8)
    }

    /// ntohs().
    pub fn u16(&mut self) -> Result<u16, PackError> {
        let [hi, lo] = self.take::<2>()?;
        Ok(u16::from(hi) << 8 | u16::from(lo))
    }

    pub fn i16(&mut self) -> Result<i16, PackError> {
        Ok(self.u16()? as i16)
    }

    /// ntohl().
    pub fn u32(&mut self) -> Result<u32, PackError> {
        Ok(u32::from_be_bytes(self.take()?))
    }

    pub fn i32(&mut self) -> Result<i32, PackError> {
        Ok(self.u32()? as i32)
    }

    pub fn u64(&mut self) -> Result<u64, PackError> {
        Ok(u64::from_be_bytes(self.take()?))
    }

    pub fn i64(&mut self) -> Result<i64, PackError> {
        Ok(self.u64()? as i64)
    }

    pub fn f16(&mut self) -> Result<f32, PackError> {
        Ok(unpack754(self.u16()?.into(), 16, 5) as f32)
    }

    pub fn f32(&mut self) -> Result<f32, PackError> {
        Ok(unpack754(self.u32()?.into(), 32, 8) as f32)
    }

    pub fn f64(&mut self) -> Result<f64, PackError> {
        Ok(unpack754(self.u64()?, 64, 11))
    }

    /// A string: a u16 length, then that many bytes, which must be UTF-8.
    pub fn str(&mut self) -> Result<String, PackError> {
        let len = usize::from(self.u16()?);
        if self.bytes.len() < len {
            return Err(PackError::Short {
                wanted: len,
                left: self.bytes.len(),
            });
        }
        let (text, tail) = self.bytes.split_at(len);
        self.bytes = tail;
        String::from_utf8(text.to_vec()).map_err(|_| PackError::NotUtf8)
    }
}
// ANCHOR_END: unpacker

/// One value for [`pack`] and from [`unpack`].
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    I8(i8),
    U8(u8),
    I16(i16),
    U16(u16),
    I32(i32),
    U32(u32),
    I64(i64),
    U64(u64),
    F16(f32),
    F32(f32),
    F64(f64),
    Str(String),
}

// ANCHOR: format
/// Packs `values` as `format` says, one letter per value, as Beej's `pack()`:
///
/// | letter | value | bytes |
/// |---|---|---|
/// | `c` / `C` | signed / unsigned 8-bit | 1 |
/// | `h` / `H` | signed / unsigned 16-bit | 2 |
/// | `l` / `L` | signed / unsigned 32-bit | 4 |
/// | `q` / `Q` | signed / unsigned 64-bit | 8 |
/// | `f` / `d` / `g` | float of 16 / 32 / 64 bits | 2 / 4 / 8 |
/// | `s` | string, 16-bit length first | 2 + length |
pub fn pack(format: &str, values: &[Value]) -> Result<Vec<u8>, PackError> {
    if format.chars().count() != values.len() {
        return Err(PackError::Mismatch(format!(
            "{} letters, {} values",
            format.chars().count(),
            values.len()
        )));
    }
    let mut p = Packer::new();
    for (letter, value) in format.chars().zip(values) {
        match (letter, value) {
            ('c', Value::I8(v)) => p.i8(*v),
            ('C', Value::U8(v)) => p.u8(*v),
            ('h', Value::I16(v)) => p.i16(*v),
            ('H', Value::U16(v)) => p.u16(*v),
            ('l', Value::I32(v)) => p.i32(*v),
            ('L', Value::U32(v)) => p.u32(*v),
            ('q', Value::I64(v)) => p.i64(*v),
            ('Q', Value::U64(v)) => p.u64(*v),
            ('f', Value::F16(v)) => p.f16(*v),
            ('d', Value::F32(v)) => p.f32(*v),
            ('g', Value::F64(v)) => p.f64(*v),
            ('s', Value::Str(v)) => p.str(v)?,
            (letter, _) if !"cChHlLqQfdgs".contains(letter) => {
                return Err(PackError::BadFormat(letter));
            }
            (letter, value) => {
                return Err(PackError::Mismatch(format!(
                    "'{letter}' cannot hold {value:?}"
                )));
            }
        };
    }
    Ok(p.finish())
}

/// Unpacks values as `format` says; returns them and how many bytes they took.
pub fn unpack(format: &str, bytes: &[u8]) -> Result<(Vec<Value>, usize), PackError> {
    let mut u = Unpacker::new(bytes);
    let mut values = Vec::new();
    for letter in format.chars() {
        values.push(match letter {
            'c' => Value::I8(u.i8()?),
            'C' => Value::U8(u.u8()?),
            'h' => Value::I16(u.i16()?),
            'H' => Value::U16(u.u16()?),
            'l' => Value::I32(u.i32()?),
            'L' => Value::U32(u.u32()?),
            'q' => Value::I64(u.i64()?),
            'Q' => Value::U64(u.u64()?),
            'f' => Value::F16(u.f16()?),
            'd' => Value::F32(u.f32()?),
            'g' => Value::F64(u.f64()?),
            's' => Value::Str(u.str()?),
            other => return Err(PackError::BadFormat(other)),
        });
    }
    Ok((values, bytes.len() - u.rest().len()))
}
// ANCHOR_END: format

// ANCHOR: framing
/// A frame: the payload's length as a u32 in network byte order, then the payload.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Packer::new().u32(payload.len() as u32).finish();
    out.extend_from_slice(payload);
    out
}

/// Cuts a byte stream back into frames, however the stream was split into reads.
///
/// Feed it whatever `recv` returned; take out every complete frame. A partial frame stays
/// in the buffer until the rest arrives. A length over `limit` is an error (otherwise a
/// peer could announce 4 GiB and have us try to buffer it).
pub struct Deframer {
    buf: Vec<u8>,
    limit: usize,
}

impl Deframer {
    pub fn new(limit: usize) -> Deframer {
        Deframer {
            buf: Vec::new(),
            limit,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete frame, `Ok(None)` if it has not fully arrived yet.
    pub fn next_frame(&mut self) -> Result<Option<Vec<u8>>, PackError> {
        let Some(header) = self.buf.first_chunk::<4>() else {
            return Ok(None); // not even the length yet
        };
        let announced = u32::from_be_bytes(*header) as usize;
        if announced > self.limit {
            return Err(PackError::FrameTooLarge {
                announced: announced as u64,
                limit: self.limit,
            });
        }
        if self.buf.len() < 4 + announced {
            return Ok(None); // the length is here, the payload not all of it
        }
        let payload = self.buf[4..4 + announced].to_vec();
        self.buf.drain(..4 + announced);
        Ok(Some(payload))
    }

    /// Bytes of an incomplete frame still waiting (0 at a clean frame boundary).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }
}
// ANCHOR_END: framing

/// Every decoder of this crate on one input: none may panic. Used by the fuzz target in
/// `fuzz/` and by the tests.
pub fn fuzz_one_input(data: &[u8]) {
    let formats = ["cChHlLqQfdgs", "s", "ss", "gQ", "hs", "x"];
    let format = formats[data.first().map_or(0, |&b| b as usize % formats.len())];
    if let Ok((_, used)) = unpack(format, data) {
        assert!(used <= data.len());
    }
    let mut deframer = Deframer::new(1 << 16);
    deframer.push(data);
    while let Ok(Some(frame)) = deframer.next_frame() {
        assert!(frame.len() <= 1 << 16);
    }
    let mut chat = chat::ChatDecoder::new();
    chat.push(data);
    while let Ok(Some(_)) = chat.next_packet() {}
}
