//! Beej's shmdemo.c: attach to a 1 KiB shared memory segment (made on first use) and
//! either write the text given into it or print what it holds.
//!
//! The segment lives in the kernel, not in the process: one run writes, exits, and the
//! next run reads what the first wrote. It stays until someone removes it: `shmdemo
//! --remove`, or `ipcrm -m ID` (see `ipcs -m`).

use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;
use shm::{SHM_SIZE, Segment};

/// Write TEXT into a System V shared memory segment, or print what it holds.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// What to write; without it, the segment's contents are printed.
    text: Option<String>,
    /// Remove the segment instead (shmctl IPC_RMID).
    #[arg(long, conflicts_with = "text")]
    remove: bool,
    /// The existing file ftok() makes the segment's key from.
    #[arg(long, default_value = shm::KEY_FILE)]
    key_file: PathBuf,
    /// The byte ftok() mixes into the key.
    #[arg(long, default_value_t = shm::PROJ)]
    proj: char,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: shmdemo
    // key = ftok("shmdemo.c", 'R')
    let key = msgqueue::key(&args.key_file, args.proj)?;
    // shmid = shmget(key, SHM_SIZE, 0644 | IPC_CREAT): connect to (and maybe
    // create) the segment.
    // SAFETY: shmget takes integers only.
    let shmid = unsafe { libc::shmget(key, SHM_SIZE, 0o644 | libc::IPC_CREAT) };
    if shmid == -1 {
        return Err(Fatal::new(format!(
            "shmget: {}",
            io::Error::last_os_error()
        )));
    }
    if args.remove {
        // shmctl(shmid, IPC_RMID, NULL): removed once the last process detaches.
        // SAFETY: IPC_RMID takes no buffer.
        if unsafe { libc::shmctl(shmid, libc::IPC_RMID, std::ptr::null_mut()) } == -1 {
            return Err(Fatal::new(format!(
                "shmctl: {}",
                io::Error::last_os_error()
            )));
        }
        println!("shmdemo: removed segment {shmid}");
        return Ok(());
    }

    // data = shmat(shmid, (void *)0, 0): attach to the segment to get a pointer to it.
    let data = Segment::attach(shmid, SHM_SIZE)?;
    match &args.text {
        Some(text) => {
            println!("writing to segment: \"{text}\"");
            data.write(text.as_bytes());
        }
        None => println!(
            "segment contains: \"{}\"",
            String::from_utf8_lossy(&data.read())
        ),
    }
    // shmdt(data): when `data` is dropped.
    // ANCHOR_END: shmdemo
    Ok(())
}
