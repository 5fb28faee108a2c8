//! `msg_upper serve` answers requests on a System V message queue; `msg_upper ask` sends
//! each line of its input as a request and prints the reply; `msg_upper stop` removes the
//! queue, which ends the server. This file is complete; your part is in `src/lib.rs`.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use msg_upper::{MAX_TEXT, ask, open, remove, serve};

/// A server and its clients on one System V message queue, each client answered on the
/// message type of its own pid.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    role: Role,
    /// An existing file or folder that names the queue (ftok).
    #[arg(long, global = true, default_value = ".")]
    key_file: PathBuf,
}

#[derive(Subcommand)]
enum Role {
    /// Answer every request with its text in upper case, until the queue is removed.
    Serve,
    /// Send each line of stdin as a request and print each reply.
    Ask,
    /// Remove the queue (msgctl IPC_RMID): the server ends.
    Stop,
}

fn main() -> ExitCode {
    let args: Args = netkit::parse_args();
    netkit::finish(run(args).map_err(Into::into))
}

fn run(args: Args) -> io::Result<()> {
    match args.role {
        Role::Serve => {
            // msgget(key, 0600 | IPC_CREAT): the server makes the queue.
            let msqid = open(&args.key_file, true)?;
            let mut out = io::stdout().lock();
            writeln!(out, "serving queue {msqid}")?;
            out.flush()?;
            let answered = serve(msqid)?;
            writeln!(out, "the queue is gone; answered {answered} requests")
        }
        Role::Ask => {
            // msgget(key, 0): a client only finds it.
            let msqid = open(&args.key_file, false)?;
            let mut out = io::stdout().lock();
            for line in io::stdin().lock().split(b'\n') {
                let line = line?;
                if line.len() > MAX_TEXT {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "a line of {} bytes; at most {MAX_TEXT} fit a request",
                            line.len()
                        ),
                    ));
                }
                let mut reply = ask(msqid, &line)?;
                reply.push(b'\n');
                out.write_all(&reply)?;
                out.flush()?;
            }
            Ok(())
        }
        Role::Stop => remove(open(&args.key_file, false)?),
    }
}
