//! semdemo with a POSIX named semaphore: the same lock, named `/semdemo` instead of a
//! key from ftok(), taken with sem_wait() and given back with sem_post().
//!
//! The difference that matters: POSIX semaphores have no SEM_UNDO. A process that dies
//! while holding this one leaves it taken, and every other process waits for ever (or,
//! with `--nonblocking`, is refused). `--remove` removes the name (sem_unlink).

use std::ffi::CString;
use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;

/// Take and release a POSIX named semaphore, one RETURN at a time.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The semaphore's name: a slash and a word.
    #[arg(long, default_value = "/semdemo")]
    name: String,
    /// Do not wait: sem_trywait() instead of sem_wait().
    #[arg(long)]
    nonblocking: bool,
    /// Only remove the name (sem_unlink) and exit.
    #[arg(long)]
    remove: bool,
}

fn main() -> ExitCode {
    let args: Args = netkit::parse_args();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => netkit::finish(Err(e)),
    }
}

fn run(args: &Args) -> netkit::Result<bool> {
    let name =
        CString::new(args.name.as_str()).map_err(|_| Fatal::new("a name with a NUL byte"))?;
    if args.remove {
        // SAFETY: sem_unlink reads the NUL-terminated name only.
        if unsafe { libc::sem_unlink(name.as_ptr()) } == -1 {
            return Err(semaphores::os_error("sem_unlink"));
        }
        println!("semdemo_posix: removed {}", args.name);
        return Ok(true);
    }
    // ANCHOR: posix
    // sem_t *sem = sem_open("/semdemo", O_CREAT, 0644, 1): made at 1 (free) by
    // whoever comes first, in one call: no initialisation race here.
    // SAFETY: a NUL-terminated name, and with O_CREAT the two further arguments
    // sem_open expects (a mode and an unsigned initial value).
    let sem = unsafe {
        libc::sem_open(
            name.as_ptr(),
            libc::O_CREAT,
            0o644 as libc::c_uint,
            1 as libc::c_uint,
        )
    };
    if sem == libc::SEM_FAILED {
        return Err(semaphores::os_error("sem_open"));
    }

    prompt("Press return to lock: ")?;
    println!("Trying to lock...");
    if args.nonblocking {
        // sem_trywait(): take it if it is free, EAGAIN at once if not.
        // SAFETY: `sem` came from a successful sem_open and is still open.
        if unsafe { libc::sem_trywait(sem) } == -1 {
            if io::Error::last_os_error().raw_os_error() == Some(libc::EAGAIN) {
                println!("Busy: someone holds it.");
                return Ok(false);
            }
            return Err(semaphores::os_error("sem_trywait"));
        }
    } else {
        // sem_wait(): take it, waiting while it is 0. Retried after a signal.
        // SAFETY: as above.
        while unsafe { libc::sem_wait(sem) } == -1 {
            if io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                return Err(semaphores::os_error("sem_wait"));
            }
        }
    }
    println!("Locked.");

    prompt("Press return to unlock: ")?;
    // sem_post(): give it back (add 1).
    // SAFETY: as above.
    if unsafe { libc::sem_post(sem) } == -1 {
        return Err(semaphores::os_error("sem_post"));
    }
    println!("Unlocked");
    // sem_close(): this process is done with it; the semaphore stays, by name.
    // SAFETY: as above, and `sem` is not used after this.
    unsafe { libc::sem_close(sem) };
    // ANCHOR_END: posix
    Ok(true)
}

/// Prints `text` and waits for RETURN; end of input counts as RETURN.
fn prompt(text: &str) -> io::Result<()> {
    print!("{text}");
    io::stdout().flush()?;
    io::stdin().lock().read_line(&mut String::new())?;
    Ok(())
}
