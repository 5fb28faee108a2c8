//! A line reader that also obeys signals, with no race between the two: SIGUSR1 asks
//! how far it has got, SIGINT and SIGTERM stop it. The handlers only set flags; the loop
//! checks the flags, then waits for input. A signal that came between the check and the
//! wait would set a flag nobody looks at until the next line arrives, so the signals are
//! kept blocked everywhere, and unblocked only inside `ppoll()`, which puts its mask in
//! place and starts waiting in one step.

use std::io::{self, Write};
use std::os::fd::BorrowedFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

use nix::errno::Errno;
//> #[allow(unused_imports)] // for your code
use nix::poll::{PollFd, PollFlags, ppoll};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
//> #[allow(unused_imports)] // for your code
use nix::sys::signal::{SigmaskHow, sigprocmask};

/// The signals the program acts on.
pub const SIGNALS: [Signal; 3] = [Signal::SIGUSR1, Signal::SIGINT, Signal::SIGTERM];
/// The longest line it keeps while waiting for the rest.
pub const MAX_LINE: usize = 64 * 1024;

static REPORT: AtomicBool = AtomicBool::new(false);
static STOP: AtomicBool = AtomicBool::new(false);

/// The handler: records what came, nothing else. (Given.)
extern "C" fn on_signal(signal: libc::c_int) {
    if signal == libc::SIGUSR1 {
        REPORT.store(true, Ordering::SeqCst);
    } else {
        STOP.store(true, Ordering::SeqCst);
    }
}

/// sigaction for each of SIGNALS, without SA_RESTART. (Given.)
pub fn install_handlers() -> io::Result<()> {
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for signal in SIGNALS {
        // SAFETY: the handler only stores to atomics, which is async-signal-safe.
        unsafe { sigaction(signal, &action) }?;
    }
    Ok(())
}

/// What ended a wait.
#[derive(Debug, PartialEq, Eq)]
pub enum Woken {
    /// The descriptor has something to read (or its end).
    Readable,
    /// A signal was delivered (EINTR): look at the flags.
    Interrupted,
}

// ANCHOR: exercise
/// Blocks SIGNALS in this thread, from now on, and returns the mask to wait with: the
/// mask the thread had before, without SIGNALS (so that they are let in only during the
/// wait).
pub fn block_signals() -> io::Result<SigSet> {
    //> // TODO: block SIGNALS, keeping the mask that blocking replaces; the mask to wait
    //> // with is that old one without SIGNALS.
    //> todo!("block_signals")
    // lab:solution
    let mut set = SigSet::empty();
    for signal in SIGNALS {
        set.add(signal);
    }
    let mut waiting = SigSet::empty();
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), Some(&mut waiting))?;
    for signal in SIGNALS {
        waiting.remove(signal);
    }
    Ok(waiting)
    // lab:end
}

/// Waits, with no timeout, until `fd` is readable, with `waiting` as the signal mask for
/// the wait only: a signal pending when the wait begins, or coming during it, ends it.
pub fn wait_for_input(fd: BorrowedFd, waiting: &SigSet) -> io::Result<Woken> {
    //> // TODO: one ppoll for fd to be readable, no timeout, with `waiting` as the mask
    //> // during the wait. It returns: Readable (data, or the end); a handler ran (EINTR):
    //> // Interrupted; any other error is an error.
    //> let _ = (fd, waiting);
    //> todo!("wait_for_input")
    // lab:solution
    let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
    match ppoll(&mut fds, None, Some(*waiting)) {
        Ok(_) => Ok(Woken::Readable),
        Err(Errno::EINTR) => Ok(Woken::Interrupted),
        Err(e) => Err(e.into()),
    }
    // lab:end
}
// ANCHOR_END: exercise

/// The loop: block, then check the flags, wait, read; `window` is spent between the
/// check and the wait, to hold the gap where a signal could slip in wide open. Prints
/// each line with its number, a report on SIGUSR1, and how it ended. Returns the number
/// of lines. (Given.)
pub fn run(input: BorrowedFd, window: Duration, out: &mut impl Write) -> io::Result<u64> {
    let waiting = block_signals()?;
    install_handlers()?;
    writeln!(out, "reading lines, pid {}", std::process::id())?;
    out.flush()?;
    let mut lines = 0u64;
    let mut partial = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        // 1. Check the flags.
        if REPORT.swap(false, Ordering::SeqCst) {
            writeln!(out, "so far: {lines} lines")?;
            out.flush()?;
        }
        if STOP.load(Ordering::SeqCst) {
            writeln!(out, "stopped by a signal after {lines} lines")?;
            return Ok(lines);
        }
        // 2. The gap between the check and the wait.
        eprintln!("checked the flags; {} ms until ppoll()", window.as_millis());
        thread::sleep(window);
        // 3. Wait, then read what came.
        if wait_for_input(input, &waiting)? == Woken::Interrupted {
            continue;
        }
        let n = loop {
            match nix::unistd::read(input, &mut buf) {
                Err(Errno::EINTR) => continue,
                other => break other?,
            }
        };
        if n == 0 {
            writeln!(out, "end of input after {lines} lines")?;
            return Ok(lines);
        }
        partial.extend_from_slice(&buf[..n]);
        while let Some(end) = partial.iter().position(|&b| b == b'\n') {
            lines += 1;
            writeln!(out, "{lines}: {}", String::from_utf8_lossy(&partial[..end]))?;
            partial.drain(..=end);
        }
        out.flush()?;
        if partial.len() > MAX_LINE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("a line longer than {MAX_LINE} bytes"),
            ));
        }
    }
}

/// Standard input, for `run`. (Given.)
pub fn stdin() -> BorrowedFd<'static> {
    // SAFETY: descriptor 0 is open for the life of the process, and nothing closes it.
    unsafe { BorrowedFd::borrow_raw(libc::STDIN_FILENO) }
}
