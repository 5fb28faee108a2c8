//! Beej's tick.c: make the FIFO `american_maid` (if speak has not), open it for reading,
//! and print what arrives until the writer closes its end.
//!
//! A FIFO keeps no message boundaries: two lines written quickly may come out of one
//! read(), as on a TCP socket.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Print what a writer sends through a FIFO (speak writes it).
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

// ANCHOR: tick
fn run(args: Args) -> netkit::Result<()> {
    fifos::make_fifo(&args.fifo)?;
    println!("waiting for writers...");
    // open(FIFO_NAME, O_RDONLY): sleeps until a writer opens the other end.
    let mut fifo = File::open(&args.fifo)?;
    println!("got a writer");

    let mut s = [0u8; 300];
    loop {
        // read(fd, s, 300): what has arrived, up to 300 bytes; 0 once every
        // writer has closed its end.
        let num = fifo.read(&mut s)?;
        println!(
            "tick: read {num} bytes: \"{}\"",
            String::from_utf8_lossy(&s[..num])
        );
        if num == 0 {
            return Ok(());
        }
    }
}
// ANCHOR_END: tick
