//! The libpcap file format, the one tcpdump and Wireshark read: a 24-byte file header,
//! then for each frame a 16-byte record header (time, captured length, original length)
//! followed by the frame's bytes. Small enough to write by hand.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// LINKTYPE_ETHERNET: every record is an Ethernet frame.
const LINKTYPE_ETHERNET: u32 = 1;
/// The longest frame kept whole; longer ones are cut (no TAP frame is this long).
const SNAPLEN: u32 = 262_144;

// ANCHOR: writer
/// Writes a capture, one frame at a time, flushed after each so that `tcpdump -r` and
/// Wireshark see every frame written so far, while the lab still runs.
pub struct Writer {
    out: BufWriter<File>,
}

impl Writer {
    pub fn create(path: &Path) -> io::Result<Writer> {
        let mut out = BufWriter::new(File::create(path)?);
        out.write_all(&0xa1b2_c3d4u32.to_le_bytes())?; // magic: microsecond timestamps
        out.write_all(&2u16.to_le_bytes())?; // version 2.4
        out.write_all(&4u16.to_le_bytes())?;
        out.write_all(&0i32.to_le_bytes())?; // timestamps are UTC
        out.write_all(&0u32.to_le_bytes())?; // their accuracy (always 0)
        out.write_all(&SNAPLEN.to_le_bytes())?;
        out.write_all(&LINKTYPE_ETHERNET.to_le_bytes())?;
        out.flush()?;
        Ok(Writer { out })
    }

    pub fn write(&mut self, when: SystemTime, frame: &[u8]) -> io::Result<()> {
        let since = when.duration_since(UNIX_EPOCH).unwrap_or_default();
        let kept = frame.len().min(SNAPLEN as usize);
        self.out
            .write_all(&(since.as_secs() as u32).to_le_bytes())?;
        self.out.write_all(&since.subsec_micros().to_le_bytes())?;
        self.out.write_all(&(kept as u32).to_le_bytes())?;
        self.out.write_all(&(frame.len() as u32).to_le_bytes())?;
        self.out.write_all(&frame[..kept])?;
        self.out.flush()
    }
}
// ANCHOR_END: writer

/// One frame read back from a capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Time since the Unix epoch.
    pub time: Duration,
    pub data: Vec<u8>,
}

/// Reads a whole capture: either byte order, micro- or nanosecond timestamps, Ethernet
/// frames only.
pub fn read(bytes: &[u8]) -> Result<Vec<Record>, String> {
    if bytes.len() < 24 {
        return Err("too short for a pcap file (no 24-byte header)".to_owned());
    }
    let magic_le = u32::from_le_bytes(bytes[0..4].try_into().unwrap());
    let magic_be = u32::from_be_bytes(bytes[0..4].try_into().unwrap());
    let (little, nanos) = match (magic_le, magic_be) {
        (0xa1b2_c3d4, _) => (true, false),
        (0xa1b2_3c4d, _) => (true, true),
        (_, 0xa1b2_c3d4) => (false, false),
        (_, 0xa1b2_3c4d) => (false, true),
        _ => {
            return Err(
                "not a pcap file (a pcapng file? save it as pcap: editcap -F pcap IN OUT)"
                    .to_owned(),
            );
        }
    };
    let u32_at = |at: usize| {
        let four: [u8; 4] = bytes[at..at + 4].try_into().unwrap();
        if little {
            u32::from_le_bytes(four)
        } else {
            u32::from_be_bytes(four)
        }
    };
    let linktype = u32_at(20);
    if linktype != LINKTYPE_ETHERNET {
        return Err(format!(
            "link type {linktype}: only Ethernet captures (link type 1) can be read"
        ));
    }
    let mut records = Vec::new();
    let mut at = 24;
    while at < bytes.len() {
        if at + 16 > bytes.len() {
            return Err(format!(
                "the capture ends inside a record header (byte {at})"
            ));
        }
        let (secs, frac, len) = (u32_at(at), u32_at(at + 4), u32_at(at + 8) as usize);
        at += 16;
        if at + len > bytes.len() {
            // A capture still being written may end inside its last frame: keep the rest.
            break;
        }
        let sub = if nanos {
            Duration::from_nanos(frac.into())
        } else {
            Duration::from_micros(frac.into())
        };
        records.push(Record {
            time: Duration::from_secs(secs.into()) + sub,
            data: bytes[at..at + len].to_vec(),
        });
        at += len;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back() {
        let dir = std::env::temp_dir().join(format!("netlab-pcap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.pcap");
        let mut w = Writer::create(&path).unwrap();
        let t0 = UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456);
        w.write(t0, b"first frame").unwrap();
        w.write(t0 + Duration::from_millis(50), b"second").unwrap();
        drop(w);
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes.len(), 24 + 16 + 11 + 16 + 6);
        let records = read(&bytes).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].data, b"first frame");
        assert_eq!(records[1].time - records[0].time, Duration::from_millis(50));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn other_files_are_refused_in_one_line() {
        assert!(read(b"short").unwrap_err().contains("too short"));
        assert!(read(&[0u8; 24]).unwrap_err().contains("not a pcap file"));
    }
}
