//! `progress < big > copy`: copies stdin to stdout. `kill -USR1 PID` prints how far it has
//! got on stderr (`progress: 1048576 bytes`); `kill PID` or Ctrl-C stops it. This file is
//! complete; your part is in `src/lib.rs`.

use std::process::ExitCode;

use clap::Parser;
use progress::{Ended, copy_stdio, install_handlers, report};

/// Copy stdin to stdout; report on SIGUSR1, stop on SIGINT or SIGTERM.
#[derive(Parser)]
#[command(version)]
struct Args {}

fn main() -> ExitCode {
    let _: Args = netkit::parse_args();
    if let Err(e) = install_handlers() {
        return netkit::finish(Err(e.into()));
    }
    match copy_stdio() {
        Ok((bytes, Ended::Done)) => {
            eprintln!("{}, done", report(bytes));
            ExitCode::SUCCESS
        }
        Ok((bytes, Ended::Stopped(signal))) => {
            eprintln!("{}, stopped by {signal}", report(bytes));
            // A shell's convention for "ended by a signal": 128 + its number.
            ExitCode::from(128 + signal as u8)
        }
        Err(e) => netkit::finish(Err(e.into())),
    }
}
