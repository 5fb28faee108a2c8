//! Beej's lockdemo.c: take a lock on a whole file with fcntl(), hold it until RETURN, let
//! it go.
//!
//! A write lock is exclusive: while one process holds it, nobody else gets any lock on
//! that part of the file. Read locks are shared: any number of processes may hold one at
//! once, but none of them while someone holds a write lock. The locks are *advisory*: they
//! stop only the processes that ask for locks, not a plain read() or write().
//!
//! Run two of them in two terminals, in the same folder: the second waits in F_SETLKW
//! until the first lets go. With `--nonblocking` it asks with F_SETLK instead, which fails
//! at once, and F_GETLK says who holds the lock.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, fcntl};

/// Lock a file with fcntl (a write lock, or --read), hold it until RETURN, release it.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The file to lock (made if it is not there).
    #[arg(long, default_value = "lockdemo.c")]
    file: PathBuf,
    /// Ask for a read (shared) lock instead of a write (exclusive) lock.
    #[arg(long)]
    read: bool,
    /// Do not wait: F_SETLK instead of F_SETLKW, and say who holds the lock.
    #[arg(long)]
    nonblocking: bool,
}

fn main() -> ExitCode {
    let args: Args = netkit::parse_args();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1), // --nonblocking, and the lock was taken
        Err(e) => netkit::finish(Err(e)),
    }
}

// ANCHOR: flock
/// struct flock fl = {l_type, SEEK_SET, 0, 0, pid}: from the start of the file,
/// length 0 meaning "to the end, however long it grows".
fn whole_file(l_type: libc::c_short) -> libc::flock {
    libc::flock {
        l_type,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: std::process::id() as libc::pid_t,
    }
}
// ANCHOR_END: flock

/// Returns whether the lock was taken.
fn run(args: &Args) -> netkit::Result<bool> {
    // fd = open("lockdemo.c", O_RDWR): both read and write locks need it open
    // for the matching access.
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o644)
        .open(&args.file)?;
    // ANCHOR: lock
    let l_type = if args.read {
        libc::F_RDLCK
    } else {
        libc::F_WRLCK
    };
    let mut fl = whole_file(l_type as libc::c_short);

    prompt("Press <RETURN> to try to get lock: ")?;
    print!("Trying to get lock...");
    io::stdout().flush()?;
    if args.nonblocking {
        // F_SETLK: take the lock if it is free, fail with EAGAIN (or EACCES)
        // at once if not.
        match fcntl(&file, FcntlArg::F_SETLK(&fl)) {
            Ok(_) => {}
            Err(Errno::EAGAIN | Errno::EACCES) => {
                println!("{}", who_holds(&file, l_type)?);
                return Ok(false);
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        // F_SETLKW: wait (W) until the lock can be taken.
        fcntl(&file, FcntlArg::F_SETLKW(&fl))?;
    }
    println!("got lock");

    prompt("Press <RETURN> to release lock: ")?;
    // fl.l_type = F_UNLCK;  set to unlock same region
    fl.l_type = libc::F_UNLCK as libc::c_short;
    fcntl(&file, FcntlArg::F_SETLK(&fl))?;
    println!("Unlocked.");
    // ANCHOR_END: lock
    Ok(true)
}

// ANCHOR: getlk
/// F_GETLK: "would this lock be granted?" The kernel answers with the first
/// lock in the way, and the process id of its holder.
fn who_holds(file: &File, l_type: libc::c_int) -> netkit::Result<String> {
    let mut probe = whole_file(l_type as libc::c_short);
    fcntl(file, FcntlArg::F_GETLK(&mut probe))?;
    Ok(match i32::from(probe.l_type) {
        libc::F_UNLCK => "busy, but free again now; try once more".to_owned(),
        held => {
            let kind = if held == libc::F_RDLCK {
                "read"
            } else {
                "write"
            };
            format!("busy: a {kind} lock is held by process {}", probe.l_pid)
        }
    })
}
// ANCHOR_END: getlk

/// Prints `text` and waits for RETURN (getchar()); end of input counts as RETURN.
fn prompt(text: &str) -> io::Result<()> {
    print!("{text}");
    io::stdout().flush()?;
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    Ok(())
}
