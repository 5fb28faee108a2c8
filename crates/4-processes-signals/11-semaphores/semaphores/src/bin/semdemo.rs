//! Beej's semdemo.c: a System V semaphore used as a lock. Press RETURN to take it, RETURN
//! again to give it back. Run two in two terminals (in a folder holding `semdemo.c`): the
//! second waits in semop() while the first holds the lock.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;

/// Take and release a System V semaphore, one RETURN at a time.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The existing file ftok() makes the set's key from.
    #[arg(long, default_value = semaphores::KEY_FILE)]
    key_file: PathBuf,
    /// The byte ftok() mixes into the key.
    #[arg(long, default_value_t = semaphores::PROJ)]
    proj: char,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: semdemo
    // key = ftok("semdemo.c", 'J'); semid = initsem(key, 1)
    let key = semaphores::key(&args.key_file, args.proj)?;
    let semid = semaphores::initsem(key, 1)?;

    prompt("Press return to lock: ")?;
    println!("Trying to lock...");
    // sb.sem_op = -1; sb.sem_flg = SEM_UNDO; semop(semid, &sb, 1)
    semaphores::semop(semid, -1, libc::SEM_UNDO).map_err(|e| Fatal::new(format!("semop: {e}")))?;
    println!("Locked.");

    prompt("Press return to unlock: ")?;
    // sb.sem_op = 1: give it back.
    semaphores::semop(semid, 1, libc::SEM_UNDO).map_err(|e| Fatal::new(format!("semop: {e}")))?;
    println!("Unlocked");
    // ANCHOR_END: semdemo
    Ok(())
}

/// Prints `text` and waits for RETURN (getchar()); end of input counts as RETURN.
fn prompt(text: &str) -> io::Result<()> {
    print!("{text}");
    io::stdout().flush()?;
    io::stdin().lock().read_line(&mut String::new())?;
    Ok(())
}
