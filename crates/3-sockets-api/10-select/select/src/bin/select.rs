//! Beej's select.c: put standard input in an `fd_set`, give select() a `struct timeval`
//! of 2.5 seconds, and see which came first, a key (a whole line: the terminal sends
//! nothing before RETURN) or the timeout.
//!
//! Linux also writes the time that was left back into the timeval; other systems leave it
//! alone. A portable program does not count on either, so it sets the timeout again
//! before every call.

use std::io;
use std::os::fd::AsFd;
use std::process::ExitCode;

use clap::Parser;
use nix::sys::select::{FdSet, select};
use nix::sys::time::{TimeVal, TimeValLike};

/// Wait for input on stdin, or a timeout, with select().
#[derive(Parser)]
#[command(version)]
struct Args {
    /// How long to wait, in milliseconds.
    #[arg(long, default_value_t = 2500, value_parser = clap::value_parser!(u32).range(0..=60_000))]
    timeout_ms: u32,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

// ANCHOR: select
fn run(args: Args) -> netkit::Result<()> {
    let stdin = io::stdin();
    // struct timeval tv; tv.tv_sec = 2; tv.tv_usec = 500000;
    let mut tv = TimeVal::microseconds(i64::from(args.timeout_ms) * 1000);
    // fd_set readfds; FD_ZERO(&readfds); FD_SET(STDIN, &readfds);
    let mut readfds = FdSet::new();
    readfds.insert(stdin.as_fd());

    // select(STDIN+1, &readfds, NULL, NULL, &tv): the first argument is one more
    // than the highest descriptor in any set. Don't care about writefds and
    // exceptfds.
    select(1, &mut readfds, None, None, &mut tv)?;

    // select() left in readfds only the descriptors that are ready.
    if readfds.contains(stdin.as_fd()) {
        println!("A key was pressed!");
    } else {
        println!("Timed out.");
    }
    println!(
        "(the timeval now says {}.{:06} s: the time that was left)",
        tv.tv_sec(),
        tv.tv_usec()
    );
    Ok(())
}
// ANCHOR_END: select
