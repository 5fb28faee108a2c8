//! fork1.c in Rust: one process becomes two.
//!
//! fork() returns twice: in the parent with the child's process id, in the child
//! with 0. The child starts with a copy of everything the parent had, memory and
//! open files alike; from then on each changes only its own copy. The parent waits
//! for the child and learns how it ended: the number it passed to exit(), or the
//! signal that killed it.

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork, getpid, getppid};

/// Fork a child, let it choose its exit status, and wait for it.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The child's exit status; without it the child asks on stdin, as fork1.c
    /// does.
    #[arg(long)]
    status: Option<u8>,
    /// Make the child abort() instead, to see a child killed by a signal.
    #[arg(long, conflicts_with = "status")]
    crash: bool,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: fork
    // Anything still in our stdout buffer would be copied into the child and
    // printed by both processes. println! leaves nothing behind after its
    // newline; flush anyway.
    let mut value = 1;
    io::stdout().flush()?;

    // switch (pid = fork()) {
    // SAFETY: this program has a single thread, so the child starts in a
    // consistent state.
    match unsafe { fork() }.map_err(|e| Fatal::new(format!("fork: {e}")))? {
        ForkResult::Child => {
            println!("CHILD: This is the child process!");
            println!("CHILD: My PID is {}", getpid());
            println!("CHILD: My parent's PID is {}", getppid());
            value = 99;
            println!("CHILD: I set my copy of value to {value}");
            let status = if args.crash {
                println!("CHILD: I'm calling abort()!");
                std::process::abort();
            } else {
                match args.status {
                    Some(status) => status,
                    None => ask_for_status()?,
                }
            };
            println!("CHILD: I'm outta here!");
            // exit(rv): the parent's wait() will see this number.
            std::process::exit(status.into());
        }
        ForkResult::Parent { child } => {
            println!("PARENT: This is the parent process!");
            println!("PARENT: My PID is {}", getpid());
            println!("PARENT: My child's PID is {child}");
            println!("PARENT: I'm now waiting for my child to exit()...");
            // wait(&rv): sleep until the child ends, then read how it ended.
            match waitpid(child, None)? {
                // WEXITSTATUS(rv)
                WaitStatus::Exited(_, code) => {
                    println!("PARENT: My child's exit status is: {code}")
                }
                // WIFSIGNALED(rv), WTERMSIG(rv)
                WaitStatus::Signaled(_, signal, _) => {
                    println!("PARENT: My child was killed by signal {signal}")
                }
                other => println!("PARENT: My child changed state: {other:?}"),
            }
            println!("PARENT: My value is still {value}");
            println!("PARENT: I'm outta here!");
        }
    }
    Ok(())
    // ANCHOR_END: fork
}

/// printf("CHILD: Enter my exit status (make it small): "); scanf(" %d", &rv);
fn ask_for_status() -> netkit::Result<u8> {
    print!("CHILD: Enter my exit status (make it small): ");
    io::stdout().flush()?;
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    if !io::stdin().is_terminal() {
        println!(); // a terminal has echoed the newline already
    }
    line.trim().parse().map_err(|_| {
        Fatal::new(format!(
            "child: {:?} is not a number from 0 to 255",
            line.trim()
        ))
    })
}
