//! sigint.c and sigusr.c in Rust: what a signal handler may do, and what it does to
//! the system call it interrupts.
//!
//! `signal_demo read` blocks in read(2) on stdin with a SIGINT handler installed.
//! Press Ctrl-C: without SA_RESTART the read fails with EINTR once the handler
//! returns; with `--restart` the kernel restarts the read and it goes on waiting
//! for your line.
//!
//! `signal_demo count` counts SIGUSR1s in an atomic counter until SIGTERM or
//! SIGINT.
//!
//! `signal_demo print-in-handler | head -n 3` shows what the rules are for: a handler
//! that calls println! aborts the program.

use std::os::fd::AsFd;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use clap::{Parser, Subcommand};
use nix::errno::Errno;
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use nix::unistd::{getpid, read, sleep};

/// Signal handlers, SA_RESTART and EINTR, made visible.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Wait for a line on stdin with a SIGINT handler installed (press Ctrl-C).
    Read {
        /// Install the handler with SA_RESTART: the interrupted read is restarted.
        #[arg(long)]
        restart: bool,
    },
    /// Count SIGUSR1 until SIGTERM or SIGINT (send them with kill).
    Count,
    /// Print lines forever with a SIGPIPE handler that calls println! (the wrong
    /// thing): run it as `signal_demo print-in-handler | head -n 3` and watch it abort.
    PrintInHandler,
}

// ANCHOR: handlers
/// How many SIGINTs the handler has seen. A lock-free atomic: the handler may run
/// between any two instructions of main, and an atomic update can never be seen
/// half done.
static SIGINTS: AtomicUsize = AtomicUsize::new(0);
/// How many SIGUSR1s arrived (sigusr.c's `volatile sig_atomic_t got_usr1`,
/// counting).
static USR1S: AtomicUsize = AtomicUsize::new(0);
/// Set by SIGTERM or SIGINT in `count`: time to stop.
static STOP: AtomicBool = AtomicBool::new(false);

/// sigint_handler: write(2) and an atomic add, both async-signal-safe. No println!:
/// if the signal arrived in the middle of main's own println!, the handler's would
/// find stdout's buffer in use and panic, and the program would abort
/// (`signal_demo print-in-handler` shows it).
extern "C" fn on_sigint(_signal: libc::c_int) {
    const MESSAGE: &[u8] = b"Ahhh! SIGINT!\n";
    let (text, len) = (MESSAGE.as_ptr().cast(), MESSAGE.len());
    // SAFETY: write(2) only reads `len` bytes from `text`, a static string that
    // lives as long as the program. A closed or full stdout only makes it fail,
    // and that result does not matter here.
    unsafe { libc::write(libc::STDOUT_FILENO, text, len) };
    SIGINTS.fetch_add(1, Ordering::Relaxed);
}

extern "C" fn on_sigusr1(_signal: libc::c_int) {
    USR1S.fetch_add(1, Ordering::Relaxed);
}

extern "C" fn on_stop(_signal: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}
// ANCHOR_END: handlers

fn main() -> ExitCode {
    netkit::finish(match netkit::parse_args::<Args>().command {
        Command::Read { restart } => read_line(restart),
        Command::Count => count(),
        Command::PrintInHandler => print_in_handler(),
    })
}

/// sigaction(signal, &sa, NULL) with sa_handler = handler, an empty sa_mask and
/// `flags`.
fn install(signal: Signal, handler: extern "C" fn(libc::c_int), flags: SaFlags) -> nix::Result<()> {
    let action = SigAction::new(SigHandler::Handler(handler), flags, SigSet::empty());
    // SAFETY: every handler of this program does async-signal-safe work only.
    unsafe { sigaction(signal, &action) }.map(drop)
}

fn read_line(restart: bool) -> netkit::Result<()> {
    // ANCHOR: read
    // sa.sa_flags = 0;  or  sa.sa_flags = SA_RESTART;
    let flags = if restart {
        SaFlags::SA_RESTART
    } else {
        SaFlags::empty()
    };
    install(Signal::SIGINT, on_sigint, flags)?;

    println!("Enter a string:");
    // fgets(s, sizeof s, stdin), as the one read(2) underneath it. std's
    // read_line would hide EINTR by retrying, so we call read(2) ourselves to
    // see what it returns.
    let mut buf = [0u8; 200];
    match read(std::io::stdin().as_fd(), &mut buf) {
        Ok(0) => println!("(end of input)"),
        Ok(n) => {
            let text = String::from_utf8_lossy(&buf[..n]);
            println!("You entered: {}", text.trim_end_matches('\n'));
        }
        // perror("fgets"): the handler ran, and the read gave up.
        Err(Errno::EINTR) => println!("read: {} (EINTR)", Errno::EINTR.desc()),
        Err(e) => return Err(e.into()),
    }
    println!("SIGINTs caught: {}", SIGINTS.load(Ordering::Relaxed));
    Ok(())
    // ANCHOR_END: read
}

fn count() -> netkit::Result<()> {
    // ANCHOR: count
    install(Signal::SIGUSR1, on_sigusr1, SaFlags::empty())?;
    install(Signal::SIGTERM, on_stop, SaFlags::empty())?;
    install(Signal::SIGINT, on_stop, SaFlags::empty())?;
    let pid = getpid();
    let stop = "SIGTERM or Ctrl-C stops";
    println!("PID {pid}: counting SIGUSR1 (kill -USR1 {pid}); {stop}");

    let mut shown = 0;
    while !STOP.load(Ordering::Relaxed) {
        let now = USR1S.load(Ordering::Relaxed);
        if now != shown {
            println!("SIGUSR1 count: {now}");
            shown = now;
            continue;
        }
        println!("PID {pid}: working hard...");
        // sleep(1) returns early when a handler runs. A signal that lands
        // between the check above and this call waits out the second: the
        // Unix domain sockets and self-pipe chapters close that gap.
        sleep(1);
    }
    println!("Done: SIGUSR1s caught: {}", USR1S.load(Ordering::Relaxed));
    Ok(())
    // ANCHOR_END: count
}

// ANCHOR: print_in_handler
/// The mistake: println! in a handler. Not async-signal-safe (see signal-safety(7)).
extern "C" fn on_sigpipe_printing(_signal: libc::c_int) {
    println!("SIGPIPE!");
}

fn print_in_handler() -> netkit::Result<()> {
    let action = SigAction::new(
        SigHandler::Handler(on_sigpipe_printing),
        SaFlags::empty(),
        SigSet::empty(),
    );
    // SAFETY: it is not: this handler breaks the rule, on purpose, to show what happens.
    unsafe { sigaction(Signal::SIGPIPE, &action) }?;
    // Once the reader of our stdout has gone (`| head -n 3` exits after three lines),
    // the next write(2) inside println! raises SIGPIPE, and the handler runs while that
    // println! is still in progress.
    for n in 1.. {
        println!("line {n}");
    }
    Ok(())
}
// ANCHOR_END: print_in_handler
