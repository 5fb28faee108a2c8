//! A shell pipeline by hand: `cmd1 | cmd2 | ... | cmdN` with pipe, fork, dup2 and exec.

use std::ffi::CString;
use std::io;

use nix::sys::signal::{SigHandler, Signal, signal};
use nix::sys::wait::WaitStatus;
//> #[allow(unused_imports)] // for your code
use nix::sys::wait::waitpid;
//> #[allow(unused_imports)]
use nix::unistd::{ForkResult, dup2_stdin, dup2_stdout, fork, pipe};

/// Splits each command into its words (`"grep -c x"` is `grep`, `-c`, `x`): what a shell
/// does, without quotes or globs. (Given.)
pub fn parse(commands: &[String]) -> Result<Vec<Vec<CString>>, String> {
    commands
        .iter()
        .map(|command| {
            let words: Vec<CString> = command
                .split_whitespace()
                .map(|w| CString::new(w).map_err(|_| format!("a NUL byte in {command:?}")))
                .collect::<Result<_, _>>()?;
            if words.is_empty() {
                return Err("an empty command".to_owned());
            }
            Ok(words)
        })
        .collect()
}

/// In a child, once its stdin and stdout are in place: run `argv`. Never returns. (Given.)
///
/// SIGPIPE goes back to its default first: Rust ignores it, and exec() would keep it
/// ignored, so `yes | head -1` would leave `yes` writing into a closed pipe for ever
/// (or failing with "Broken pipe") instead of being ended by the signal, as in a shell.
/// If exec fails: one line on stderr, and exit status 127, the shell's "not found".
pub fn exec(argv: &[CString]) -> ! {
    // SAFETY: SIG_DFL installs no handler of ours.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
    let error = nix::unistd::execvp(&argv[0], argv).unwrap_err();
    let line = format!(
        "pipeline: cannot run {}: {}\n",
        argv[0].to_string_lossy(),
        error.desc()
    );
    let _ = nix::unistd::write(io::stderr(), line.as_bytes());
    // SAFETY: _exit ends the child at once, without running the parent's clean-up.
    unsafe { libc::_exit(127) }
}

/// How a child ended, as a shell's `$?`: its exit status, or 128 + the signal. (Given.)
pub fn status_of(status: WaitStatus) -> i32 {
    match status {
        WaitStatus::Exited(_, code) => code,
        WaitStatus::Signaled(_, signal, _) => 128 + signal as i32,
        _ => 1,
    }
}

// ANCHOR: exercise
/// Runs `commands` at once, each one's stdout connected to the next one's stdin by a
/// pipe; waits for all of them and returns the status of the last (as a shell does).
pub fn run_pipeline(commands: &[Vec<CString>]) -> io::Result<i32> {
    //> // TODO: make one pipe between each two neighbours (n - 1 pipes). fork() a child
    //> // per command; in child i: dup2 the read end of pipe i-1 onto stdin (not for the
    //> // first), the write end of pipe i onto stdout (not for the last), then close
    //> // every pipe end (drop them all) and exec(argv). The parent closes every end too
    //> // (a reader sees end of file only once *every* write end is closed), waits for
    //> // each child (waitpid), and returns status_of(...) of the last.
    //> // fork is unsafe: this program is single-threaded, so say so in a SAFETY comment.
    //> let _ = commands;
    //> todo!("the pipeline")
    // lab:solution
    let n = commands.len();
    // pipes[i] connects command i (writes) to command i + 1 (reads).
    let mut pipes = Vec::with_capacity(n.saturating_sub(1));
    for _ in 1..n {
        pipes.push(pipe()?);
    }
    let mut children = Vec::with_capacity(n);
    for (i, argv) in commands.iter().enumerate() {
        // SAFETY: this program has a single thread, so the child starts in a
        // consistent state; it only calls dup2, close and exec before it is replaced.
        match unsafe { fork() }? {
            ForkResult::Child => {
                if i > 0 {
                    dup2_stdin(&pipes[i - 1].0)?;
                }
                if i + 1 < n {
                    dup2_stdout(&pipes[i].1)?;
                }
                // The copies on 0 and 1 are all this child needs.
                drop(pipes);
                exec(argv);
            }
            ForkResult::Parent { child } => children.push(child),
        }
    }
    // The parent keeps no end open: otherwise the last reader never sees end of file.
    drop(pipes);
    let mut last = 0;
    for child in children {
        last = status_of(waitpid(child, None)?);
    }
    Ok(last)
    // lab:end
}
// ANCHOR_END: exercise
