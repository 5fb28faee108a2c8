//! Beej's poll.c: one `struct pollfd` for standard input, and one call to poll() that
//! returns when stdin is readable or when 2.5 seconds have passed, whichever comes first.
//!
//! Nothing is read: poll only says that a read would not block. The chat server of Part 2
//! (Beej's pollserver.c) is the same call with a whole array of descriptors.

use std::io;
use std::os::fd::AsFd;
use std::process::ExitCode;

use clap::Parser;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

/// Wait for input on stdin, or a timeout, with poll().
#[derive(Parser)]
#[command(version)]
struct Args {
    /// How long to wait, in milliseconds.
    #[arg(long, default_value_t = 2500, value_parser = clap::value_parser!(u16).range(0..=60_000))]
    timeout_ms: u16,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

// ANCHOR: poll
fn run(args: Args) -> netkit::Result<()> {
    let stdin = io::stdin();
    // struct pollfd pfds[1];
    // pfds[0].fd = 0;            standard input
    // pfds[0].events = POLLIN;   tell me when it is ready to read
    let mut pfds = [PollFd::new(stdin.as_fd(), PollFlags::POLLIN)];

    println!(
        "Hit RETURN or wait {} seconds for timeout",
        f64::from(args.timeout_ms) / 1000.0
    );
    // int num_events = poll(pfds, 1, 2500);
    let num_events = poll(&mut pfds, PollTimeout::from(args.timeout_ms))?;

    if num_events == 0 {
        println!("Poll timed out!");
    } else {
        // revents: what happened, which need not be what we asked for.
        let revents = pfds[0].revents().unwrap_or(PollFlags::empty());
        if revents.contains(PollFlags::POLLIN) {
            println!("File descriptor 0 is ready to read");
        } else {
            // POLLHUP (the writer of a pipe has gone), POLLERR, POLLNVAL: poll
            // reports them even though nobody asked.
            println!(
                "Unexpected event occurred: {} ({revents:?})",
                revents.bits()
            );
        }
    }
    Ok(())
}
// ANCHOR_END: poll
