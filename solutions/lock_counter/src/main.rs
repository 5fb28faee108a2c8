//! `lock_counter --file counter.txt --add 100`: adds one to the number in the file, a
//! hundred times, safe to run in many processes at once. Without `--add` it prints the
//! number. This file is complete; your part is in `src/lib.rs`.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use lock_counter::{add_one, read_locked};

/// Add to a counter file that other processes add to at the same time.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The counter file (made if it is not there, starting at 0).
    #[arg(long, default_value = "counter.txt")]
    file: PathBuf,
    /// Add one this many times (0: just print the count).
    #[arg(long, default_value_t = 0)]
    add: u64,
    /// Microseconds to pause between reading the count and writing it back.
    #[arg(long, default_value_t = 0)]
    pause_us: u64,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // open(path, O_RDWR | O_CREAT, 0644): a write lock needs the file open for writing.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(&args.file)
        .map_err(|e| netkit::Fatal::new(format!("cannot open {}: {e}", args.file.display())))?;
    let pause = Duration::from_micros(args.pause_us);
    let mut last = None;
    for _ in 0..args.add {
        last = Some(add_one(&mut file, pause)?);
    }
    match last {
        Some(count) => println!("added {}, the count is now {count}", args.add),
        None => println!("{}", read_locked(&mut file)?),
    }
    Ok(())
}
