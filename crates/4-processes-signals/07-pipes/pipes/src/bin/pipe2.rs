//! Beej's pipe2.c: a pipe made before fork() is shared by parent and child, so the child
//! can write into it and the parent read what the child wrote.
//!
//! The parent's read() waits until there is something to read: that is what keeps the
//! two in step, whichever of them the scheduler runs first.

use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork, pipe, read, write};

/// A child writes into a pipe, its parent reads.
#[derive(Parser)]
#[command(version)]
struct Args {}

fn main() -> ExitCode {
    let Args {} = netkit::parse_args();
    netkit::finish(run())
}

// ANCHOR: pipe2
fn run() -> netkit::Result<()> {
    // pipe(pfds) before fork(): both processes get both ends.
    let (read_end, write_end) = pipe()?;

    // SAFETY: this program has a single thread, so the child starts in a
    // consistent state (no lock is held by a thread that does not exist there).
    match unsafe { fork() }.map_err(|e| Fatal::new(format!("fork: {e}")))? {
        ForkResult::Child => {
            println!(" CHILD: writing to the pipe");
            write(&write_end, b"test")?;
            println!(" CHILD: exiting");
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            println!("PARENT: reading from pipe");
            let mut buf = [0u8; 30];
            // read() sleeps until the child has written.
            let n = read(&read_end, &mut buf)?;
            println!("PARENT: read \"{}\"", String::from_utf8_lossy(&buf[..n]));
            // wait(NULL): collect the child, so no zombie is left.
            waitpid(child, None)?;
        }
    }
    Ok(())
}
// ANCHOR_END: pipe2
