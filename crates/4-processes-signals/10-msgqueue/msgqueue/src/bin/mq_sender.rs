//! A POSIX message queue sender: each line typed becomes a message on the queue
//! `/mq_test`; at the end of input, an empty message says "that was all".
//!
//! Where System V names a queue with a number made by ftok(), POSIX names it with a string
//! that starts with a slash. On Linux it appears as a file in the mqueue file system
//! (`mount -t mqueue none /dev/mqueue` to see it). Each message also has a priority: the
//! receiver always gets the highest-priority message waiting first.

use std::io::{self, BufRead};
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;
use nix::mqueue::{MQ_OFlag, MqAttr, mq_open, mq_send};
use nix::sys::stat::Mode;

/// Send each line typed as a message on a POSIX message queue (mq_receiver prints them).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The queue's name: a slash and a word.
    #[arg(default_value = "/mq_test")]
    name: String,
    /// The priority of every message sent (0 to 31; higher ones are received first).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..32))]
    priority: u32,
}

/// The queue's size when this program creates it: 10 messages (Linux's default limit for
/// users) of at most 1024 bytes.
const MAX_MESSAGES: i64 = 10;
const MESSAGE_SIZE: i64 = 1024;

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: sender
    // mqd_t mq = mq_open("/mq_test", O_CREAT | O_WRONLY, 0644, &attr): open the
    // queue for sending, creating it with room for 10 messages of 1 KiB if it is
    // not there yet.
    let attr = MqAttr::new(0, MAX_MESSAGES, MESSAGE_SIZE, 0);
    let flags = MQ_OFlag::O_CREAT | MQ_OFlag::O_WRONLY;
    let mq = mq_open(
        args.name.as_str(),
        flags,
        Mode::from_bits_truncate(0o644),
        Some(&attr),
    )
    .map_err(|e| Fatal::new(format!("mq_open {}: {}", args.name, e.desc())))?;

    println!("mq_sender: sending each line to {}; ^D to end", args.name);
    for line in io::stdin().lock().lines() {
        let line = line?;
        if line.is_empty() {
            continue; // an empty message means "the end"
        }
        // mq_send(mq, text, len, priority): waits while the queue is full.
        mq_send(&mq, line.as_bytes(), args.priority)
            .map_err(|e| Fatal::new(format!("mq_send: {}", e.desc())))?;
        println!("mq_sender: sent {} bytes", line.len());
    }
    // The end: a message of 0 bytes, at the lowest priority, so it comes last.
    mq_send(&mq, b"", 0).map_err(|e| Fatal::new(format!("mq_send: {}", e.desc())))?;
    println!("mq_sender: sent the end (an empty message)");
    // mq_close(mq): happens when `mq` is dropped. The queue itself stays until
    // someone calls mq_unlink() (the receiver does, at the end).
    // ANCHOR_END: sender
    Ok(())
}
