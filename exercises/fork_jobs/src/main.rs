//! `fork_jobs 3@200 abort@100 0@300` runs each job in a child of its own and reports how
//! each child ended, in the order they end. This file is complete; your part is in
//! `src/lib.rs`.

use std::io::{self, Read};
use std::process::ExitCode;

use clap::Parser;
use fork_jobs::{Ended, Job, reap, start};

/// Run jobs in child processes and report how each one ended.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Each job: an exit status (0-255), `abort` or `term`, with `@MS` to wait first.
    #[arg(required = true)]
    jobs: Vec<Job>,
    /// After reaping, wait until stdin ends before exiting.
    #[arg(long)]
    hold: bool,
}

fn main() -> ExitCode {
    let args: Args = netkit::parse_args();
    netkit::finish(run(args).map_err(Into::into))
}

fn run(args: Args) -> io::Result<()> {
    let pids = start(&args.jobs)?;
    for (i, pid) in pids.iter().enumerate() {
        println!("started job {} as pid {pid}", i + 1);
    }
    let (mut exited, mut killed) = (0, 0);
    for (pid, ended) in reap(pids.len())? {
        let number = pids.iter().position(|p| *p == pid).map_or(0, |i| i + 1);
        match ended {
            Ended::Exited(code) => {
                exited += 1;
                println!("job {number} (pid {pid}) exited with status {code}");
            }
            Ended::Killed(signal) => {
                killed += 1;
                println!("job {number} (pid {pid}) was killed by {signal}");
            }
        }
    }
    println!(
        "all {} reaped: {exited} exited, {killed} killed",
        pids.len()
    );
    if args.hold {
        io::stdin().read_to_end(&mut Vec::new())?;
    }
    Ok(())
}
