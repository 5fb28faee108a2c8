//! `ss -tln` by hand: the kernel's table of TCP sockets, `/proc/net/tcp` and
//! `/proc/net/tcp6`, read and decoded.
//!
//! Each line of those files is one socket:
//!
//! ```text
//!   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid ...
//!    0: 0100007F:2EE0 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 ...
//! ```
//!
//! `local_address` is the address and port in hexadecimal; `st` the state (`0A` is
//! LISTEN, `01` ESTABLISHED); `rx_queue` the second half of `tx_queue:rx_queue`, which
//! for a listening socket counts the connections waiting for `accept` (what `ss` shows as
//! Recv-Q).

use std::net::SocketAddr;
//> #[allow(unused_imports)] // for your code
use std::net::{Ipv4Addr, Ipv6Addr};

/// The kernel's number for the LISTEN state. (Given.)
pub const LISTEN: u8 = 0x0A;

/// One socket of the table: the fields `ss -tln` shows. (Given.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub local: SocketAddr,
    pub state: u8,
    pub rx_queue: u32,
}

// ANCHOR: exercise
/// An address of the table, `HEX:PORT`: 8 hex digits for IPv4, 32 for IPv6, then 4 for
/// the port (an ordinary number in hexadecimal: `2EE0` is 12000).
///
/// The address is written as 32-bit numbers (one for IPv4, four for IPv6), each printed
/// in hexadecimal from the number the machine holds in memory. So on a little-endian
/// machine each group of 8 digits holds its 4 bytes in reverse: `0100007F` is 127.0.0.1.
/// `u32::from_str_radix(group, 16)?.to_ne_bytes()` gives a group's 4 bytes in memory
/// order, which is the address's order on any machine. `None` for anything malformed.
pub fn parse_address(text: &str) -> Option<SocketAddr> {
    //> // TODO: split at ':'; parse the port (hex); turn each group of 8 hex digits into
    //> // 4 bytes with to_ne_bytes; 4 bytes are an Ipv4Addr, 16 an Ipv6Addr.
    //> let _ = text;
    //> todo!("parse_address")
    // lab:solution
    let (address, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    if address.len() % 8 != 0 || !address.is_ascii() {
        return None;
    }
    let mut bytes = Vec::with_capacity(16);
    for i in (0..address.len()).step_by(8) {
        let group = u32::from_str_radix(&address[i..i + 8], 16).ok()?;
        bytes.extend_from_slice(&group.to_ne_bytes());
    }
    match bytes.len() {
        4 => Some(SocketAddr::new(
            Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?).into(),
            port,
        )),
        16 => Some(SocketAddr::new(
            Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?).into(),
            port,
        )),
        _ => None,
    }
    // lab:end
}

/// One line of `/proc/net/tcp` or `/proc/net/tcp6` (the header line, or any line that
/// does not parse, is `None`): fields are separated by spaces; the 2nd is the local
/// address, the 4th the state in hex, the 5th `tx_queue:rx_queue` in hex.
pub fn parse_line(line: &str) -> Option<Entry> {
    //> // TODO: split_whitespace; parse_address(fields[1]); the state
    //> // (u8::from_str_radix(fields[3], 16)); rx_queue after the ':' of fields[4].
    //> let _ = line;
    //> todo!("parse_line")
    // lab:solution
    let fields: Vec<&str> = line.split_whitespace().collect();
    let local = parse_address(fields.get(1)?)?;
    let state = u8::from_str_radix(fields.get(3)?, 16).ok()?;
    let (_, rx) = fields.get(4)?.split_once(':')?;
    let rx_queue = u32::from_str_radix(rx, 16).ok()?;
    Some(Entry {
        local,
        state,
        rx_queue,
    })
    // lab:end
}

/// The listening sockets of a table (the whole text of `/proc/net/tcp` or `tcp6`), in
/// the table's order: every line that parses and whose state is [`LISTEN`].
pub fn listeners(table: &str) -> Vec<Entry> {
    //> // TODO: parse_line on every line, keeping the entries in state LISTEN.
    //> let _ = table;
    //> todo!("listeners")
    // lab:solution
    table
        .lines()
        .filter_map(parse_line)
        .filter(|entry| entry.state == LISTEN)
        .collect()
    // lab:end
}
// ANCHOR_END: exercise
