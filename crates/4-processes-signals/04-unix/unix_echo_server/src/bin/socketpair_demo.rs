//! spair.c in Rust: a socketpair shared by a parent and its child.
//!
//! socketpair() makes two connected sockets at once, no address, no listen, no
//! accept. After fork() both processes hold both ends; each closes the one it does
//! not use, and what one writes into its end the other reads from its own.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};

/// The parent sends WORD through a socketpair, the child sends it back in capitals.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// What the parent sends (spair.c sends one character, "b").
    #[arg(default_value = "b")]
    word: String,
}

/// The most the child reads: a demonstration, not a file transfer.
const MOST: u64 = 4096;

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: spair
    // socketpair(AF_UNIX, SOCK_STREAM, 0, sv)
    let (parent_end, child_end) = UnixStream::pair()?;
    std::io::Write::flush(&mut std::io::stdout())?;

    // SAFETY: this program has a single thread, so the child starts in a
    // consistent state.
    match unsafe { fork() }.map_err(|e| Fatal::new(format!("fork: {e}")))? {
        ForkResult::Child => {
            drop(parent_end); // the child uses sv[1] only
            let mut end = child_end;
            let mut got = Vec::new();
            // read(sv[1], &buf, 1); here: everything until the parent
            // shuts its side.
            (&mut end).take(MOST).read_to_end(&mut got)?;
            println!("child: read '{}'", String::from_utf8_lossy(&got));
            got.make_ascii_uppercase(); // buf = toupper(buf)
            end.write_all(&got)?; // write(sv[1], &buf, 1)
            println!("child: sent '{}'", String::from_utf8_lossy(&got));
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            drop(child_end); // the parent uses sv[0] only
            let mut end = parent_end;
            end.write_all(args.word.as_bytes())?; // write(sv[0], "b", 1)
            end.shutdown(Shutdown::Write)?; // "that is all": the child's read ends
            println!("parent: sent '{}'", args.word);
            let mut back = Vec::new();
            end.read_to_end(&mut back)?; // read(sv[0], &buf, 1)
            println!("parent: read '{}'", String::from_utf8_lossy(&back));
            // wait(NULL)
            match waitpid(child, None)? {
                WaitStatus::Exited(_, 0) => Ok(()),
                other => Err(Fatal::new(format!("the child ended: {other:?}"))),
            }
        }
    }
    // ANCHOR_END: spair
}
