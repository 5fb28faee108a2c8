//! `ppoll_lines` numbers the lines of its input; `kill -USR1 PID` asks how far it has
//! got, `kill PID` (or Ctrl-C) stops it. `--window-ms` widens the gap between checking
//! the flags and waiting, where a signal could be lost. This file is complete; your part
//! is in `src/lib.rs`.

use std::io;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// Number the lines of stdin; report on SIGUSR1; stop on SIGINT or SIGTERM.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Milliseconds between checking the flags and starting to wait.
    #[arg(long, default_value_t = 0)]
    window_ms: u64,
}

fn main() -> ExitCode {
    let args: Args = netkit::parse_args();
    let window = Duration::from_millis(args.window_ms);
    let result = ppoll_lines::run(ppoll_lines::stdin(), window, &mut io::stdout().lock());
    netkit::finish(result.map(|_| ()).map_err(Into::into))
}
