//! Beej's pipe3.c: the shell's `ls | wc -l`, by hand.
//!
//! One pipe; a child whose standard output is the pipe's write end runs `ls`; a child whose
//! standard input is the pipe's read end runs `wc -l`. dup2() puts a pipe end in place of
//! descriptor 1 or 0, and exec() replaces the child's program while keeping its
//! descriptors, so `ls` and `wc` read and write the pipe without knowing it.
//!
//! Beej's parent becomes `wc` itself. Ours forks twice and waits for both children, as a
//! shell does, so it can say how each one ended, and it ends with the status of the last
//! command of the pipeline, as `$?` would.
//!
//! `--forget-close` leaves the parent's copy of the write end open: `wc` then never sees
//! the end of its input, and the pipeline never ends. Try it, and press Ctrl-C.

use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;
use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, dup2_stdin, dup2_stdout, execvp, fork, pipe};

/// Run `ls | wc -l` with pipe, fork, dup2 and exec.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Keep the parent's copy of the pipe's write end open (the classic bug: wc waits
    /// forever for the end of its input).
    #[arg(long)]
    forget_close: bool,
}

fn main() -> ExitCode {
    let args: Args = netkit::parse_args();
    match run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => netkit::finish(Err(e)),
    }
}

// ANCHOR: pipe3
fn run(args: &Args) -> netkit::Result<u8> {
    // The argument vectors are built before fork(): a child of a forked process
    // should do as little as possible before exec().
    let ls = [c"ls".to_owned()];
    let wc = [c"wc".to_owned(), c"-l".to_owned()];

    // pipe(pfds): pfds[0] the read end, pfds[1] the write end.
    let (read_end, write_end) = pipe()?;

    // The first child: close(1); dup(pfds[1]): its stdout is the pipe. Then ls.
    let writer = spawn(&ls, || dup2_stdout(&write_end), [&read_end, &write_end])?;
    // The second child: close(0); dup(pfds[0]): its stdin is the pipe. Then wc -l.
    let reader = spawn(&wc, || dup2_stdin(&read_end), [&read_end, &write_end])?;

    // The parent closes both ends. While any process holds the write end open, the
    // reader's read() waits for more instead of returning 0 (end of file).
    drop(read_end);
    let kept = if args.forget_close {
        Some(write_end)
    } else {
        drop(write_end);
        None
    };

    // wait() for both children, as a shell does; the pipeline's status is the
    // last command's.
    let ls_status = wait_for(writer, "ls")?;
    let wc_status = wait_for(reader, "wc")?;
    drop(kept);
    if ls_status != 0 {
        eprintln!("pipe3: ls exited with status {ls_status}");
    }
    Ok(wc_status)
}
// ANCHOR_END: pipe3

// ANCHOR: spawn
/// fork(); in the child, redirect with `redirect`, close both pipe ends (the
/// copy dup2 made is all it needs), and exec `argv`.
fn spawn(
    argv: &[CString],
    redirect: impl Fn() -> nix::Result<()>,
    ends: [&OwnedFd; 2],
) -> netkit::Result<Pid> {
    // SAFETY: this program has a single thread, so the child starts in a
    // consistent state; it only calls dup2, close, signal, execvp and, on
    // failure, write and _exit.
    match unsafe { fork() }.map_err(|e| Fatal::new(format!("fork: {e}")))? {
        ForkResult::Parent { child } => Ok(child),
        ForkResult::Child => {
            let failed = redirect().err();
            for end in ends {
                // close(pfds[0]); close(pfds[1]). By number: the OwnedFds belong
                // to the code after fork() returns in the parent, and exec() will
                // never run their destructors here.
                // SAFETY: the descriptor is open, and nothing in this child uses
                // it after this line.
                unsafe { libc::close(end.as_raw_fd()) };
            }
            // Rust ignores SIGPIPE (so that a write to a closed pipe is an error it
            // can report), and exec() keeps an ignored signal ignored. Put the default
            // back, or `ls` would see EPIPE errors where a C program dies quietly.
            // SAFETY: SIG_DFL installs no handler of ours.
            let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
            let error = match failed {
                Some(e) => e,
                // execlp("ls", "ls", NULL): returns only if it failed.
                None => execvp(&argv[0], argv).unwrap_err(),
            };
            child_fails(&argv[0], error)
        }
    }
}
// ANCHOR_END: spawn

/// In a child whose exec failed: one line on stderr, then _exit(127), the shell's status
/// for "command not found". _exit, not exit: the child must not run the parent's
/// clean-up (flushing buffers the parent will flush too).
fn child_fails(program: &CStr, error: nix::errno::Errno) -> ! {
    let line = format!(
        "pipe3: cannot run {}: {}\n",
        program.to_string_lossy(),
        error.desc()
    );
    let _ = nix::unistd::write(std::io::stderr(), line.as_bytes());
    // SAFETY: _exit ends the process at once; it has no preconditions.
    unsafe { libc::_exit(127) }
}

/// waitpid() for one child; its exit status (128 + the signal if a signal killed it).
fn wait_for(pid: Pid, name: &str) -> netkit::Result<u8> {
    match waitpid(pid, None)? {
        WaitStatus::Exited(_, code) => Ok(code as u8),
        WaitStatus::Signaled(_, signal, _) => {
            eprintln!("pipe3: {name} was killed by {signal}");
            Ok(128 + signal as u8)
        }
        other => Err(Fatal::new(format!("{name}: unexpected {other:?}"))),
    }
}
