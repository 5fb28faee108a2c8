//! `pipeline "ls -l" "grep rs" "wc -l"`: the commands run as a shell runs
//! `ls -l | grep rs | wc -l`. This file is complete; your part is `run_pipeline` in
//! `src/lib.rs`.

use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;

/// Run commands connected by pipes, like a shell's `cmd1 | cmd2 | ...`.
#[derive(Parser)]
struct Args {
    /// The commands, each one argument (quote it): "grep -c x".
    #[arg(required = true)]
    commands: Vec<String>,
}

fn main() -> ExitCode {
    let args: Args = netkit::parse_args();
    let commands = match pipeline::parse(&args.commands) {
        Ok(commands) => commands,
        Err(e) => return netkit::finish(Err(Fatal::new(e))),
    };
    match pipeline::run_pipeline(&commands) {
        Ok(status) => ExitCode::from(status.clamp(0, 255) as u8),
        Err(e) => netkit::finish(Err(e.into())),
    }
}
