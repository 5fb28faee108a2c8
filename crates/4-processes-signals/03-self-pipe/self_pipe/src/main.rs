//! The self-pipe trick, on its own.
//!
//! The program waits in `poll` for two things at once: a line on standard input, and a
//! signal. A signal handler may do almost nothing safely, and setting a flag is not enough:
//! a flag set just before the loop goes back into `poll` is not looked at until something
//! else wakes it, maybe never. So the handler writes one byte (the signal's number) into a
//! pipe whose read end is in the poll set. The byte waits in the pipe until the loop reads
//! it, so no signal is lost, whenever it arrives.
//!
//! SIGUSR1 is counted and the loop goes on; SIGINT and SIGTERM end it cleanly, exit 0.

use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::process::ExitCode;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

use clap::Parser;
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

/// Waits for input on stdin and for signals, and says which woke it up.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Milliseconds of pretend work after each line (a signal that arrives meanwhile
    /// waits in the pipe and is handled right after).
    #[arg(long, default_value_t = 0)]
    work_ms: u64,
}

// ANCHOR: handler
/// The write end of the pipe, where the handler can find it.
static WRITE_END: AtomicI32 = AtomicI32::new(-1);

/// The signal handler. Only async-signal-safe calls: write(2), and errno saved
/// and restored so the interrupted code never sees ours.
extern "C" fn on_signal(signal: libc::c_int) {
    let saved_errno = io::Error::last_os_error().raw_os_error().unwrap_or(0);
    let byte = signal as u8;
    // SAFETY: write reads one byte from `byte`, a live local. If the pipe is
    // full the write just fails, and a full pipe is readable anyway, which is
    // all the loop needs. __errno_location points to this thread's errno,
    // which lives as long as the thread: writing an int there is sound.
    unsafe {
        libc::write(
            WRITE_END.load(Ordering::Relaxed),
            (&byte as *const u8).cast(),
            1,
        );
        *libc::__errno_location() = saved_errno;
    }
}
// ANCHOR_END: handler

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: setup
    // pipe2(O_NONBLOCK | O_CLOEXEC): the handler must never block on a full
    // pipe, and draining it must stop when it is empty.
    let (read_end, write_end): (OwnedFd, OwnedFd) =
        nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC)?;
    WRITE_END.store(write_end.as_raw_fd(), Ordering::SeqCst);

    // sigaction() for each signal: our handler, SA_RESTART so that other system
    // calls interrupted by the signal resume instead of failing with EINTR.
    let action = SigAction::new(
        SigHandler::Handler(on_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGUSR1] {
        // SAFETY: on_signal only does async-signal-safe work.
        unsafe { sigaction(signal, &action) }?;
    }
    // ANCHOR_END: setup

    let mut out = io::stdout().lock();
    writeln!(
        out,
        "ready (pid {}): type lines, or send SIGUSR1, SIGINT or SIGTERM",
        std::process::id()
    )?;
    out.flush()?;

    let stdin = io::stdin();
    let mut usr1 = 0u32;
    // ANCHOR: loop
    loop {
        // poll(), no timeout: sleep until stdin or the pipe is readable.
        let mut fds = [
            PollFd::new(stdin.as_fd(), PollFlags::POLLIN),
            PollFd::new(read_end.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            // EINTR: a signal arrived; the pipe will say which.
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        let (stdin_ready, pipe_ready) =
            (fds[0].any().unwrap_or(true), fds[1].any().unwrap_or(true));

        if pipe_ready {
            // read() every byte waiting: one per signal delivered.
            let mut bytes = [0u8; 64];
            let n = nix::unistd::read(&read_end, &mut bytes).unwrap_or(0);
            for &byte in &bytes[..n] {
                match Signal::try_from(i32::from(byte)) {
                    Ok(Signal::SIGUSR1) => {
                        usr1 += 1;
                        let so_far = format!("{usr1} so far");
                        writeln!(out, "woken by SIGUSR1 ({so_far}); carrying on")?;
                    }
                    Ok(stop) => {
                        writeln!(out, "woken by {stop}: cleaning up and exiting")?;
                        out.flush()?;
                        return Ok(());
                    }
                    Err(_) => {}
                }
            }
            out.flush()?;
        }
        if stdin_ready {
            // read(0): what was typed (a terminal passes it on line by line).
            let mut typed = [0u8; 1024];
            let n = nix::unistd::read(&stdin, &mut typed)?;
            if n == 0 {
                writeln!(out, "end of input: exiting")?;
                return Ok(());
            }
            let text = String::from_utf8_lossy(&typed[..n]);
            writeln!(out, "woken by input: {}", text.trim_end())?;
            out.flush()?;
            // Pretend to work. A signal arriving now waits in the pipe.
            std::thread::sleep(Duration::from_millis(args.work_ms));
        }
    }
    // ANCHOR_END: loop
}
