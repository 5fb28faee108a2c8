//! Counting signals exactly. A standard signal sent while one is pending merges into it;
//! a real-time signal (`SIGRTMIN` to `SIGRTMAX`) is queued, each with the value its
//! sender gave `sigqueue`. `rt_tally` keeps the count and the values of every SIGRTMIN,
//! and the count of SIGUSR1, in a handler that calls nothing that is not
//! async-signal-safe: it only stores to atomics.

use std::io;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};

/// How many SIGRTMIN values are kept (more are counted, not kept).
pub const KEPT: usize = 4096;

/// SIGRTMIN deliveries so far, and the value of each, in the order they came. (Given.)
pub static RT_COUNT: AtomicUsize = AtomicUsize::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const ZERO: AtomicI32 = AtomicI32::new(0);
pub static RT_VALUES: [AtomicI32; KEPT] = [ZERO; KEPT];
/// SIGUSR1 deliveries so far. (Given.)
pub static USR1_COUNT: AtomicUsize = AtomicUsize::new(0);

/// -1 from a libc call as an io::Error naming the call. (Given.)
pub fn check(rc: libc::c_int, call: &str) -> io::Result<()> {
    if rc == -1 {
        let err = io::Error::last_os_error();
        return Err(io::Error::new(err.kind(), format!("{call}: {err}")));
    }
    Ok(())
}

/// The set {SIGUSR1, SIGRTMIN}. (Given.)
pub fn both() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data; sigemptyset initialises it, sigaddset adds to it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGUSR1);
        libc::sigaddset(&mut set, libc::SIGRTMIN());
        set
    }
}

/// The report: the counts, and the values of SIGRTMIN in the order they came. (Given.)
pub fn report() -> String {
    let count = RT_COUNT.load(Ordering::SeqCst);
    let values: Vec<String> = RT_VALUES[..count.min(KEPT)]
        .iter()
        .map(|v| v.load(Ordering::SeqCst).to_string())
        .collect();
    format!(
        "SIGUSR1: {}; SIGRTMIN: {count} [{}]",
        USR1_COUNT.load(Ordering::SeqCst),
        values.join(" ")
    )
}

// ANCHOR: exercise
/// The handler, for both signals (installed with SA_SIGINFO, so it gets the siginfo_t):
/// SIGUSR1 adds one to USR1_COUNT; SIGRTMIN takes the next place (RT_COUNT), stores
/// the value it carries there (if the place is below KEPT), and that is all. No
/// allocation, no lock, no printing: atomics only.
extern "C" fn on_signal(signal: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // TODO: SIGUSR1: count it. SIGRTMIN: take the next place, and keep the value the
    // signal carries there (sigqueue's int, in the siginfo_t) if the place is below
    // KEPT. Atomic operations only.
    let _ = (signal, info);
}

/// Installs `on_signal` for SIGUSR1 and SIGRTMIN: sigaction with SA_SIGINFO (the
/// three-argument handler) and SA_RESTART, and the other signal of the two in sa_mask.
pub fn install() -> io::Result<()> {
    // TODO: install on_signal for each of the two signals, as the doc comment says
    // (the three-argument kind, restarting, both() blocked while it runs). A failure
    // is an error (check).
    let _ = on_signal; // (the handler you install)
    todo!("install")
}

/// Blocks both signals (`true`) or unblocks them (`false`): sigprocmask with SIG_BLOCK or
/// SIG_UNBLOCK and both(). What was pending is delivered before an unblock returns.
pub fn set_blocked(blocked: bool) -> io::Result<()> {
    // TODO: block or unblock both(), as `blocked` says; check the result.
    let _ = blocked;
    todo!("set_blocked")
}

/// The names of the two that are pending now (sigpending), in the order SIGUSR1,
/// SIGRTMIN.
pub fn pending() -> io::Result<Vec<&'static str>> {
    // TODO: ask the kernel which signals are pending, and name those of the two.
    todo!("pending")
}
// ANCHOR_END: exercise
