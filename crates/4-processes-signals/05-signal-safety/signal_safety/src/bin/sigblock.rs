//! A blocked signal is not lost, and not repeated: while SIGINT is blocked, Ctrl-C only
//! marks it *pending*; when the mask lets it through, the handler runs, once, however many
//! times it was sent.
//!
//! sigprocmask() changes the set of signals the process blocks; sigpending() says which
//! blocked signals are waiting. (SIGKILL and SIGSTOP cannot be blocked: sigprocmask quietly
//! leaves them out.)

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use clap::Parser;
use nix::sys::signal::{
    SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal, sigaction, sigprocmask,
};

/// Block SIGINT for a while, then show it was pending and let it through.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// How long SIGINT stays blocked, in seconds.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=60))]
    seconds: u64,
}

/// How many times the handler ran.
static HANDLED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_sigint(_: libc::c_int) {
    HANDLED.fetch_add(1, Ordering::Relaxed);
    signal_safety::write_from_handler(b"handler: SIGINT delivered\n");
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let action = SigAction::new(
        SigHandler::Handler(on_sigint),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler only adds to an atomic and calls write(2).
    unsafe { sigaction(Signal::SIGINT, &action) }?;

    // ANCHOR: block
    // sigset_t set; sigemptyset(&set); sigaddset(&set, SIGINT);
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    // sigprocmask(SIG_BLOCK, &set, NULL): from now on SIGINT waits.
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None)?;
    let pid = std::process::id();
    println!(
        "pid {pid}: SIGINT is blocked for {} s; press Ctrl-C (or kill -INT {pid}) as often as you like",
        args.seconds
    );
    thread::sleep(Duration::from_secs(args.seconds));

    // sigpending(&pending): the blocked signals that arrived meanwhile.
    let shown = if is_pending(libc::SIGINT)? {
        "SIGINT"
    } else {
        "nothing"
    };
    println!("pending now: {shown}");
    println!("unblocking SIGINT");
    // sigprocmask(SIG_UNBLOCK, &set, NULL): a pending SIGINT is delivered now,
    // before this call returns: the handler runs here, once.
    sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&set), None)?;
    println!(
        "the handler ran {} time(s)",
        HANDLED.load(Ordering::Relaxed)
    );
    // ANCHOR_END: block
    Ok(())
}

/// sigpending(&set); sigismember(&set, signal). nix has no wrapper for
/// sigpending, so these are libc's.
fn is_pending(signal: libc::c_int) -> nix::Result<bool> {
    // SAFETY: sigset_t is a plain C struct that sigpending fills completely.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid sigset_t for sigpending to fill.
    nix::errno::Errno::result(unsafe { libc::sigpending(&mut set) })?;
    // SAFETY: `set` was filled by sigpending; `signal` is a valid signal number.
    Ok(unsafe { libc::sigismember(&set, signal) } == 1)
}
