//! A signal racing a blocking wait, and pselect(), which closes the race.
//!
//! The usual plan for "wait for input, but stop when a signal comes": the handler sets a
//! flag; the loop checks the flag, then sleeps in select(). The hole is between the two:
//! a signal that arrives after the check and before select() has started sets the flag,
//! and then select() sleeps anyway, because nothing tells it. Usually the window is a few
//! instructions wide and the bug shows once a month. Here it is widened on purpose
//! (`--window-ms`), and an alarm (`--alarm-ms`) rings inside it, so it shows every time.
//!
//! pselect() takes a signal mask and installs it *atomically* for the duration of the
//! wait. The program keeps the signal blocked everywhere else, so a signal that comes
//! early stays pending, and pselect() is interrupted the moment it unblocks it. The
//! self-pipe (Part 4) closes the same race another way, and works with any wait.

use std::io;
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use netkit::Fatal;
use nix::errno::Errno;
use nix::sys::select::{FdSet, pselect, select};
use nix::sys::signal::{
    SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal, sigaction, sigprocmask,
};
use nix::sys::time::{TimeSpec, TimeVal};

/// Wait for input with select() or pselect() while a signal races the wait.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Which call waits.
    #[arg(long, value_enum, default_value_t = Wait::Select)]
    wait: Wait,
    /// The gap between checking the flag and starting to wait, made wide on purpose.
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    window_ms: u64,
    /// When SIGALRM rings, counted from the first check (0: no alarm; send SIGINT or
    /// SIGTERM yourself).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(0..=60_000))]
    alarm_ms: u64,
    /// How long the wait may last before the program gives up on it.
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    give_up_ms: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Wait {
    /// Check the flag, then select(): the racy way.
    Select,
    /// Block the signals, check the flag, then pselect() with them unblocked.
    Pselect,
}

/// Set by the handler: time to stop.
static STOP: AtomicBool = AtomicBool::new(false);

// ANCHOR: handler
extern "C" fn on_stop(signal: libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
    let line: &[u8] = match signal {
        libc::SIGALRM => b"handler: SIGALRM, flag set\n",
        libc::SIGINT => b"handler: SIGINT, flag set\n",
        _ => b"handler: SIGTERM, flag set\n",
    };
    // SAFETY: write(2) is async-signal-safe; the buffer is static.
    unsafe { libc::write(libc::STDOUT_FILENO, line.as_ptr().cast(), line.len()) };
}
// ANCHOR_END: handler

const STOPPERS: [Signal; 3] = [Signal::SIGALRM, Signal::SIGINT, Signal::SIGTERM];

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // No SA_RESTART: a wait interrupted by the signal returns EINTR.
    let action = SigAction::new(
        SigHandler::Handler(on_stop),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for signal in STOPPERS {
        // SAFETY: the handler stores to an atomic and calls write(2), both
        // async-signal-safe.
        unsafe { sigaction(signal, &action) }?;
    }
    let stoppers: SigSet = STOPPERS.into_iter().collect();
    // The mask to wait with: the one we have now, before blocking anything.
    let mut waiting_mask = SigSet::thread_get_mask()?;
    for signal in STOPPERS {
        waiting_mask.remove(signal);
    }
    if args.wait == Wait::Pselect {
        // ANCHOR: block
        // sigprocmask(SIG_BLOCK, {SIGALRM, SIGINT, SIGTERM}): from here on they
        // can only be delivered inside pselect().
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(&stoppers), None)?;
        // ANCHOR_END: block
        println!("SIGALRM, SIGINT and SIGTERM are blocked except inside pselect()");
    }
    let pid = std::process::id();
    match args.alarm_ms {
        0 => println!("pid {pid}: type lines; no alarm (send SIGINT or SIGTERM yourself)"),
        ms => println!("pid {pid}: type lines; the alarm rings after {ms} ms"),
    }
    alarm_after(args.alarm_ms)?;

    let stdin = io::stdin();
    let give_up = Duration::from_millis(args.give_up_ms);
    let name = if args.wait == Wait::Select {
        "select"
    } else {
        "pselect"
    };
    // ANCHOR: race
    loop {
        // 1. Check the flag.
        if STOP.load(Ordering::SeqCst) {
            println!("stopping: the flag is set");
            return Ok(());
        }
        println!(
            "checked the flag: not set; {} ms until {name}()",
            args.window_ms
        );
        // 2. The window: anything between the check and the wait (here a sleep,
        //    in a real program a few instructions). A signal now sets the flag
        //    that was just checked.
        thread::sleep(Duration::from_millis(args.window_ms));
        // 3. Wait for input.
        let mut readfds = FdSet::new();
        readfds.insert(stdin.as_fd());
        let began = Instant::now();
        let waited = match args.wait {
            // select(): sleeps until input or the timeout, whatever the flag says.
            Wait::Select => {
                let mut timeout = TimeVal::from(libc::timeval {
                    tv_sec: give_up.as_secs() as libc::time_t,
                    tv_usec: give_up.subsec_micros() as libc::suseconds_t,
                });
                select(None, &mut readfds, None, None, &mut timeout)
            }
            // pselect(): installs waiting_mask (the stoppers unblocked) for the
            // wait only, in one step with the wait. A pending signal is delivered
            // at once and pselect returns EINTR.
            Wait::Pselect => {
                let timeout = TimeSpec::from_duration(give_up);
                pselect(None, &mut readfds, None, None, &timeout, &waiting_mask)
            }
        };
        let took = began.elapsed().as_secs_f64();
        match waited {
            Err(Errno::EINTR) => println!("{name}() was interrupted after {took:.3} s"),
            Ok(0) => {
                println!(
                    "{name}() slept until its timeout, {took:.3} s: the signal came too early to wake it"
                );
                if STOP.load(Ordering::SeqCst) {
                    println!("stopping late: the flag was set all along");
                    return Ok(());
                }
            }
            Ok(_) => {
                if !echo_line()? {
                    println!("end of input: stopping");
                    return Ok(());
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    // ANCHOR_END: race
}

/// Reads the line select() said was there and prints it; false at the end of input.
fn echo_line() -> netkit::Result<bool> {
    let mut line = String::new();
    if io::stdin().read_line(&mut line)? == 0 {
        return Ok(false);
    }
    println!("input: {}", line.trim_end());
    Ok(true)
}

/// setitimer(ITIMER_REAL, one shot): SIGALRM after `ms` milliseconds (0: never).
fn alarm_after(ms: u64) -> netkit::Result<()> {
    let at = libc::timeval {
        tv_sec: (ms / 1000) as libc::time_t,
        tv_usec: ((ms % 1000) * 1000) as libc::suseconds_t,
    };
    let zero = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let timer = libc::itimerval {
        it_interval: zero,
        it_value: at,
    };
    // SAFETY: a valid itimerval; the old value is not wanted.
    if unsafe { libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut()) } == -1 {
        return Err(Fatal::new(format!(
            "setitimer: {}",
            io::Error::last_os_error()
        )));
    }
    Ok(())
}
