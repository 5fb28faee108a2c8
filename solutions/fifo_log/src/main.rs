//! `fifo_log --fifo log.fifo`: prints every line that any process writes into the FIFO
//! (`echo hello > log.fifo`), session after session. This file is complete; your part is
//! `collect` in `src/lib.rs`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use fifo_log::{collect, make_fifo};

/// Collect lines from a FIFO that anyone may write to.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The FIFO (made if it is not there).
    #[arg(long, default_value = "log.fifo")]
    fifo: PathBuf,
    /// Stop after this many sessions (a session ends when the last writer has gone).
    #[arg(long, default_value_t = u32::MAX)]
    sessions: u32,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    make_fifo(&args.fifo)?;
    let mut out = io::stdout().lock();
    let lines = collect(&args.fifo, args.sessions, &mut out)?;
    out.flush()?;
    eprintln!("{lines} lines in all");
    Ok(())
}
