//! `rt_tally` counts the SIGUSR1 and SIGRTMIN it receives and keeps the value each
//! SIGRTMIN carries. It takes commands on stdin, one a line: `block`, `unblock`,
//! `pending`, `report`, or `report N` (N reports in a row). This file is complete; your
//! part is in `src/lib.rs`.

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use clap::Parser;
use rt_tally::{install, pending, report, set_blocked};

/// Count signals: SIGUSR1 (merged while pending) and SIGRTMIN (queued, with values).
#[derive(Parser)]
#[command(version)]
struct Args {}

fn main() -> ExitCode {
    let _: Args = netkit::parse_args();
    netkit::finish(run().map_err(Into::into))
}

fn run() -> io::Result<()> {
    install()?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "pid {}: counting SIGUSR1 and SIGRTMIN",
        std::process::id()
    )?;
    out.flush()?;
    for line in io::stdin().lock().lines() {
        let line = line?;
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("block"), None) => {
                set_blocked(true)?;
                writeln!(out, "blocked")?;
            }
            (Some("unblock"), None) => {
                set_blocked(false)?;
                writeln!(out, "unblocked")?;
            }
            (Some("pending"), None) => writeln!(out, "pending: {}", pending()?.join(" "))?,
            (Some("report"), None) => writeln!(out, "{}", report())?,
            (Some("report"), Some(n)) => {
                let n: usize = n.parse().unwrap_or(0);
                for _ in 0..n {
                    writeln!(out, "{}", report())?;
                }
                writeln!(out, "{n} reports")?;
            }
            _ => writeln!(out, "commands: block, unblock, pending, report [N]")?,
        }
        out.flush()?;
    }
    writeln!(out, "{}", report())
}
