//! Beej's speak.c: make the FIFO `american_maid`, open it for writing, and write each
//! line typed into it.
//!
//! Opening a FIFO for writing waits until some process opens it for reading (and the
//! other way round): that is where the two programs meet.

use std::fs::OpenOptions;
use std::io::{self, BufRead, ErrorKind, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;

/// Write each line typed into a FIFO (tick reads them).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The FIFO's path.
    #[arg(long, default_value = fifos::FIFO_NAME)]
    fifo: PathBuf,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

// ANCHOR: speak
fn run(args: Args) -> netkit::Result<()> {
    fifos::make_fifo(&args.fifo)?;
    println!("waiting for readers...");
    // open(FIFO_NAME, O_WRONLY): sleeps until a reader opens the other end.
    let mut fifo = OpenOptions::new().write(true).open(&args.fifo)?;
    println!("got a reader--type some stuff");

    for line in io::stdin().lock().lines() {
        let line = line?;
        // write(fd, s, strlen(s)): the line without its newline, as gets() left it.
        match fifo.write(line.as_bytes()) {
            Ok(num) => println!("speak: wrote {num} bytes"),
            // The reader closed its end. C's speak would be killed by SIGPIPE;
            // Rust ignores SIGPIPE, so write() fails with EPIPE instead.
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                return Err(Fatal::new("the reader has gone (EPIPE); start tick again"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
// ANCHOR_END: speak
