//! A copy from stdin to stdout that answers signals, as `dd` does: SIGUSR1 asks how far
//! it has got, SIGINT and SIGTERM stop it. The handlers only record what came; the copy
//! loop acts on it.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
#[allow(unused_imports)] // for your code
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

#[allow(unused_imports)] // for your code
use nix::errno::Errno;
// Useful for your code:
// use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, sigaction};
use nix::sys::signal::Signal;

/// Set by the SIGUSR1 handler: someone asked for a report.
pub static REPORT: AtomicBool = AtomicBool::new(false);
/// Set by the SIGINT and SIGTERM handler: the number of the signal that asked us to stop
/// (0 while none has).
pub static STOP: AtomicI32 = AtomicI32::new(0);

/// How the copy ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The input ended (read returned 0).
    Done,
    /// A signal asked us to stop.
    Stopped(Signal),
}

/// The line a report prints: `progress: N bytes`. (Given.)
pub fn report(bytes: u64) -> String {
    format!("progress: {bytes} bytes")
}

/// Writes all of `buf` to `out`. A signal that comes while the write is blocked (the
/// reader is slow) is acted on once the write is done: write(2) is retried after EINTR.
/// (Given.)
pub fn write_all(out: BorrowedFd<'_>, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        match nix::unistd::write(out, buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

// ANCHOR: exercise
// TODO: two handlers, `extern "C" fn(libc::c_int)`: one for SIGUSR1 that sets REPORT,
// one for SIGINT and SIGTERM that stores the signal's number in STOP. Nothing else:
// no println!, no allocation (see the Signals chapter: what a handler may do).

/// Installs the handlers: SIGUSR1 sets `REPORT`, SIGINT and SIGTERM set `STOP`. Without
/// `SA_RESTART`: a signal must interrupt a read that is waiting for input, so that the
/// copy loop can answer at once.
pub fn install_handlers() -> nix::Result<()> {
    // TODO: sigaction(SIGUSR1, ...) with your SIGUSR1 handler, and sigaction(SIGINT, ...)
    // and sigaction(SIGTERM, ...) with your stop handler; flags empty (no SA_RESTART).
    todo!("install the three handlers")
}

/// Copies `input` to `output` until the input ends or a signal asks us to stop, and
/// returns how many bytes it copied and why it ended. Whenever SIGUSR1 has come, it
/// writes `report(bytes so far)` and a newline to `log` before going on.
pub fn copy(
    input: BorrowedFd<'_>,
    output: BorrowedFd<'_>,
    log: &mut impl io::Write,
) -> io::Result<(u64, Ended)> {
    // TODO: a loop around nix::unistd::read(input, &mut buf):
    // - before each read: STOP set? return (bytes, Ended::Stopped(signal)) (turn the
    //   number into a Signal with Signal::try_from). REPORT set? clear it (swap) and
    //   writeln!(log, "{}", report(bytes));
    // - Ok(0): the input ended; Ok(n): write_all(output, ...) and count the n bytes;
    // - Err(Errno::EINTR): a handler ran; go round again, the checks above will see why;
    // - any other error: return it.
    let _ = (input, output, log);
    todo!("the copy loop")
}
// ANCHOR_END: exercise

/// Copies stdin to stdout with reports on stderr: what `main` runs. (Given.)
pub fn copy_stdio() -> io::Result<(u64, Ended)> {
    copy(io::stdin().as_fd(), io::stdout().as_fd(), &mut io::stderr())
}
