//! Beej's spock.c: find kirk's System V message queue and print every message taken from
//! it, until the queue is removed.
//!
//! Beej's spock ends with `msgrcv: Identifier removed` and status 1 when kirk removes the
//! queue. Ours treats that as the normal end of the conversation: it says so and exits 0.

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use msgqueue::{MTEXT, MsgBuf, key};
use netkit::Fatal;

/// Print every message on kirk's System V message queue.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The existing file ftok() makes the queue's key from.
    #[arg(long, default_value = msgqueue::KEY_FILE)]
    key_file: PathBuf,
    /// The byte ftok() mixes into the key.
    #[arg(long, default_value_t = msgqueue::PROJ)]
    proj: char,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: spock
    let key = key(&args.key_file, args.proj)?; // same file, same byte: same key
    // msqid = msgget(key, 0644): connect to the queue; no IPC_CREAT, so it
    // must exist already.
    // SAFETY: msgget takes two integers and touches no memory of ours.
    let msqid = unsafe { libc::msgget(key, 0o644) };
    if msqid == -1 {
        let err = io::Error::last_os_error();
        return Err(Fatal::new(match err.raw_os_error() {
            Some(libc::ENOENT) => "there is no queue yet; start kirk first".to_owned(),
            _ => format!("msgget: {err}"),
        }));
    }

    println!("spock: ready to receive messages, captain.");
    let mut buf = MsgBuf::new(b"");
    loop {
        // msgrcv(msqid, &buf, sizeof buf.mtext, 0, 0): wait for the next message
        // of any type (0), at most MTEXT bytes of text.
        // SAFETY: `buf` is a live #[repr(C)] message with room for MTEXT bytes.
        let n = unsafe { libc::msgrcv(msqid, (&raw mut buf).cast(), MTEXT, 0, 0) };
        if n == -1 {
            let err = io::Error::last_os_error();
            match err.raw_os_error() {
                Some(libc::EINTR) => continue,
                // EIDRM: removed while we waited; EINVAL: gone before we asked.
                Some(libc::EIDRM | libc::EINVAL) => {
                    println!("spock: the queue is gone; kirk has left the bridge.");
                    return Ok(());
                }
                _ => return Err(Fatal::new(format!("msgrcv: {err}"))),
            }
        }
        println!(
            "spock: \"{}\"",
            String::from_utf8_lossy(buf.text(n as usize))
        );
    }
    // ANCHOR_END: spock
}
