//! A POSIX message queue receiver: print each message taken from `/mq_test` until the
//! empty message that ends the conversation, then remove the queue.

use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;
use nix::errno::Errno;
use nix::mqueue::{MQ_OFlag, MqAttr, mq_getattr, mq_open, mq_receive, mq_unlink};
use nix::sys::stat::Mode;

/// Print the messages on a POSIX message queue until an empty one; then remove the queue.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The queue's name: a slash and a word.
    #[arg(default_value = "/mq_test")]
    name: String,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: receiver
    // mq_open("/mq_test", O_CREAT | O_RDONLY, 0644, &attr): whoever comes first
    // creates the queue; the other one opens it (and its attributes are ignored).
    let attr = MqAttr::new(0, 10, 1024, 0);
    let flags = MQ_OFlag::O_CREAT | MQ_OFlag::O_RDONLY;
    let mq = mq_open(
        args.name.as_str(),
        flags,
        Mode::from_bits_truncate(0o644),
        Some(&attr),
    )
    .map_err(|e| Fatal::new(format!("mq_open {}: {}", args.name, e.desc())))?;
    // mq_getattr(): the buffer for mq_receive() must hold the largest message
    // the queue allows, whoever set that size.
    let size = mq_getattr(&mq)?.msgsize() as usize;
    let mut buf = vec![0u8; size];

    println!("mq_receiver: waiting on {}", args.name);
    loop {
        let mut priority = 0;
        // mq_receive(mq, buf, size, &priority): the oldest message of the
        // highest priority; waits while the queue is empty.
        let n = match mq_receive(&mq, &mut buf, &mut priority) {
            Ok(n) => n,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(Fatal::new(format!("mq_receive: {}", e.desc()))),
        };
        if n == 0 {
            println!("mq_receiver: end of messages");
            break;
        }
        let text = String::from_utf8_lossy(&buf[..n]);
        println!("mq_receiver: \"{text}\" (priority {priority})");
    }
    // mq_unlink("/mq_test"): remove the name; the queue goes when the last
    // descriptor to it is closed.
    mq_unlink(args.name.as_str()).map_err(|e| Fatal::new(format!("mq_unlink: {}", e.desc())))?;
    // ANCHOR_END: receiver
    Ok(())
}
