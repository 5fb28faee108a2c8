//! `shm_queue produce` puts each line of its input into the queue; `shm_queue consume`
//! prints each message it takes out, and removes the queue at the end. This file is
//! complete; your part is `Queue::put` and `Queue::take` in `src/lib.rs`.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shm_queue::{MAX_MESSAGE, Queue};

/// A producer and a consumer sharing a queue in System V shared memory.
#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    role: Role,
    /// An existing file or folder that names the queue (ftok).
    #[arg(long, global = true, default_value = ".")]
    key_file: PathBuf,
}

#[derive(Subcommand)]
enum Role {
    /// Put each line of stdin into the queue, then an empty message: the end.
    Produce,
    /// Print every message taken from the queue until the end; then remove the queue.
    Consume {
        /// How many producers' ends to wait for.
        #[arg(long, default_value_t = 1)]
        producers: u32,
    },
}

fn main() -> ExitCode {
    let args: Args = netkit::parse_args();
    netkit::finish(run(args).map_err(Into::into))
}

fn run(args: Args) -> io::Result<()> {
    let queue = Queue::open(&args.key_file)?;
    match args.role {
        Role::Produce => {
            for line in io::stdin().lock().split(b'\n') {
                let mut line = line?;
                line.push(b'\n'); // so that no message but the end is empty
                for piece in line.chunks(MAX_MESSAGE) {
                    queue.put(piece)?;
                }
            }
            queue.put(b"")
        }
        Role::Consume { producers } => {
            let mut ends = 0;
            let mut out = io::stdout().lock();
            while ends < producers {
                let message = queue.take()?;
                if message.is_empty() {
                    ends += 1;
                    continue;
                }
                out.write_all(&message)?;
                out.flush()?;
            }
            queue.remove()
        }
    }
}
