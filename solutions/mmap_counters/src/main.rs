//! `mmap_counters init 8` makes a file of 8 counters at 0; `mmap_counters add 3` adds one
//! to counter 3; `mmap_counters show` prints them all; `mmap_counters watch 3 --until 100`
//! waits, looking at the mapped page, until counter 3 reaches 100. Any number of these
//! at once, on one file. This file is complete; your part is in `src/lib.rs`.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use mmap_counters::{COUNTER, Counters};

/// Counters in a file, shared by every process that maps it.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Cmd,
    /// The counter file.
    #[arg(long, global = true, default_value = "counters.bin")]
    file: PathBuf,
}

#[derive(Subcommand)]
enum Cmd {
    /// Make the file: COUNT counters, all 0 (an existing file is replaced).
    Init { count: usize },
    /// Add DELTA to counter INDEX, TIMES times, then msync.
    Add {
        index: usize,
        #[arg(long, default_value_t = 1)]
        delta: u64,
        #[arg(long, default_value_t = 1)]
        times: u64,
    },
    /// Print every counter, `INDEX: VALUE`, one a line.
    Show,
    /// Wait until counter INDEX is at least VALUE, looking at the mapping every
    /// millisecond (at most --timeout-ms).
    Watch {
        index: usize,
        #[arg(long)]
        until: u64,
        #[arg(long, default_value_t = 10_000)]
        timeout_ms: u64,
    },
}

fn main() -> ExitCode {
    let args: Args = netkit::parse_args();
    netkit::finish(run(args).map_err(Into::into))
}

fn open(path: &Path, writable: bool) -> io::Result<File> {
    // open(path, O_RDWR) or open(path, O_RDONLY): PROT_WRITE with MAP_SHARED needs a
    // file open for writing (EACCES otherwise).
    OpenOptions::new()
        .read(true)
        .write(writable)
        .open(path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot open {}: {e}", path.display())))
}

fn run(args: Args) -> io::Result<()> {
    let mut out = io::stdout().lock();
    match args.command {
        Cmd::Init { count } => {
            // open(O_CREAT | O_TRUNC), ftruncate(count * 8): a new file of zeros.
            let file = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o644)
                .open(&args.file)?;
            file.set_len((count * COUNTER) as u64)?;
            writeln!(out, "{count} counters in {}", args.file.display())
        }
        Cmd::Add {
            index,
            delta,
            times,
        } => {
            let counters = Counters::map(&open(&args.file, true)?, true)?;
            let mut value = counters.get(index)?;
            for _ in 0..times {
                value = counters.add(index, delta)?;
            }
            counters.sync()?;
            writeln!(out, "counter {index} is {value}")
        }
        Cmd::Show => {
            let counters = Counters::map(&open(&args.file, false)?, false)?;
            for index in 0..counters.len() {
                writeln!(out, "{index}: {}", counters.get(index)?)?;
            }
            Ok(())
        }
        Cmd::Watch {
            index,
            until,
            timeout_ms,
        } => {
            let counters = Counters::map(&open(&args.file, false)?, false)?;
            writeln!(
                out,
                "watching counter {index} (now {})",
                counters.get(index)?
            )?;
            out.flush()?;
            let deadline = Instant::now() + Duration::from_millis(timeout_ms);
            loop {
                let value = counters.get(index)?;
                if value >= until {
                    return writeln!(out, "counter {index} reached {value}");
                }
                if Instant::now() >= deadline {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("counter {index} is {value}, not yet {until}; gave up"),
                    ));
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
}
