//! Standard signals do not queue; real-time signals do.
//!
//! While a signal is blocked, the kernel keeps one bit per standard signal (SIGUSR1,
//! SIGINT, ...): a hundred SIGUSR1s make one pending SIGUSR1. Real-time signals
//! (SIGRTMIN to SIGRTMAX) are queued one by one, each with a value, so a hundred
//! SIGRTMINs are delivered a hundred times. sigcount blocks both until you press RETURN,
//! then lets them through and counts what the handlers saw.
//!
//! nix names only the standard signals, so this program uses libc's sigaction and
//! sigprocmask directly.

use std::io::{self, BufRead};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::Parser;
use netkit::Fatal;

/// Count SIGUSR1 and SIGRTMIN, sent while blocked and after.
#[derive(Parser)]
#[command(version)]
struct Args {}

static USR1: AtomicUsize = AtomicUsize::new(0);
static RTMIN: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_usr1(_: libc::c_int) {
    USR1.fetch_add(1, Ordering::Relaxed);
}

extern "C" fn on_rtmin(_: libc::c_int) {
    RTMIN.fetch_add(1, Ordering::Relaxed);
}

fn main() -> ExitCode {
    let Args {} = netkit::parse_args();
    netkit::finish(run())
}

/// A sigset_t holding SIGUSR1 and SIGRTMIN.
fn both() -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set; sigaddset adds valid signals to it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR1);
        libc::sigaddset(&mut set, libc::SIGRTMIN());
        set
    }
}

fn check(rc: libc::c_int, call: &str) -> netkit::Result<()> {
    if rc == -1 {
        return Err(Fatal::new(format!(
            "{call}: {}",
            io::Error::last_os_error()
        )));
    }
    Ok(())
}

fn run() -> netkit::Result<()> {
    // ANCHOR: count
    for (signal, handler) in [
        (libc::SIGUSR1, on_usr1 as extern "C" fn(libc::c_int)),
        (libc::SIGRTMIN(), on_rtmin),
    ] {
        // struct sigaction sa = { .sa_handler = handler, .sa_flags = SA_RESTART };
        // SAFETY: sigaction is a plain C struct; all zeros is a valid start (an
        // empty sa_mask after sigemptyset).
        let mut sa: libc::sigaction = unsafe { std::mem::zeroed() };
        sa.sa_sigaction = handler as usize;
        sa.sa_flags = libc::SA_RESTART;
        // SAFETY: sigemptyset initialises the mask it is given.
        check(unsafe { libc::sigemptyset(&mut sa.sa_mask) }, "sigemptyset")?;
        // SAFETY: the handlers only add to atomics; `sa` is fully initialised.
        let rc = unsafe { libc::sigaction(signal, &sa, std::ptr::null_mut()) };
        check(rc, "sigaction")?;
    }

    // sigprocmask(SIG_BLOCK, {SIGUSR1, SIGRTMIN}): both wait from now on.
    let set = both();
    // SAFETY: a valid set; the old mask is not wanted.
    let rc = unsafe { libc::sigprocmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    check(rc, "sigprocmask")?;
    let pid = std::process::id();
    println!(
        "pid {pid}: SIGUSR1 and SIGRTMIN are blocked: send some \
         (kill -USR1 {pid}, kill -RTMIN {pid}), then press RETURN"
    );
    io::stdin().lock().read_line(&mut String::new())?;

    // sigprocmask(SIG_UNBLOCK): what was pending is delivered before this returns.
    // SAFETY: as above.
    let rc = unsafe { libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
    check(rc, "sigprocmask")?;
    println!(
        "unblocked: SIGUSR1 arrived {} time(s), SIGRTMIN {} time(s)",
        USR1.load(Ordering::Relaxed),
        RTMIN.load(Ordering::Relaxed)
    );
    // ANCHOR_END: count

    println!("now unblocked: send more, then press RETURN");
    io::stdin().lock().read_line(&mut String::new())?;
    println!(
        "SIGUSR1 arrived {} time(s), SIGRTMIN {} time(s) in all",
        USR1.load(Ordering::Relaxed),
        RTMIN.load(Ordering::Relaxed)
    );
    Ok(())
}
