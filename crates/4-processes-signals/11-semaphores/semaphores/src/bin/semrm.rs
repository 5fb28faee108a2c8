//! Beej's semrm.c: remove semdemo's semaphore set. System V objects outlive the
//! processes that made them; somebody has to remove them (this, or `ipcrm -s ID`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;

/// Remove semdemo's System V semaphore set.
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

// ANCHOR: semrm
fn run(args: Args) -> netkit::Result<()> {
    let key = semaphores::key(&args.key_file, args.proj)?;
    // semid = semget(key, 1, 0): find the set; 0 flags, so no creating.
    // SAFETY: semget takes three integers.
    let semid = unsafe { libc::semget(key, 1, 0) };
    if semid == -1 {
        return Err(match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::ENOENT) => Fatal::new("there is no semaphore set to remove"),
            _ => semaphores::os_error("semget"),
        });
    }
    // semctl(semid, 0, IPC_RMID): remove it. Processes waiting in semop() on it
    // are woken with EIDRM.
    // SAFETY: IPC_RMID takes no fourth argument.
    if unsafe { libc::semctl(semid, 0, libc::IPC_RMID) } == -1 {
        return Err(semaphores::os_error("semctl"));
    }
    println!("semrm: removed semaphore set {semid}");
    Ok(())
}
// ANCHOR_END: semrm
