//! Beej's kirk.c: make (or find) a System V message queue and send each line typed into
//! it; at the end of input, remove the queue.
//!
//! The queue lives in the kernel, not in either process: it is there before spock starts,
//! and it would stay after both have exited (see `ipcs -q`) if kirk did not remove it.

use std::io::{self, BufRead};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use msgqueue::{MsgBuf, key, pieces};
use netkit::Fatal;

/// Send each line typed to a System V message queue (spock prints them).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The existing file ftok() makes the queue's key from.
    #[arg(long, default_value = msgqueue::KEY_FILE)]
    key_file: PathBuf,
    /// The byte ftok() mixes into the key.
    #[arg(long, default_value_t = msgqueue::PROJ)]
    proj: char,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: kirk
    // key = ftok("kirk.c", 'B');
    let key = key(&args.key_file, args.proj)?;
    // msqid = msgget(key, 0644 | IPC_CREAT): connect to the queue, making it
    // if it does not exist yet.
    // SAFETY: msgget takes two integers and touches no memory of ours.
    let msqid = unsafe { libc::msgget(key, 0o644 | libc::IPC_CREAT) };
    if msqid == -1 {
        return Err(Fatal::new(format!(
            "msgget: {}",
            io::Error::last_os_error()
        )));
    }

    println!("Enter lines of text, ^D to quit:");
    for line in io::stdin().lock().split(b'\n') {
        let line = line?;
        for piece in pieces(&line) {
            let buf = MsgBuf::new(piece);
            // msgsnd(msqid, &buf, len+1, 0): the size counts the text only
            // (not mtype), here with the NUL that ends it.
            // SAFETY: `buf` is a live #[repr(C)] message whose mtext holds at
            // least piece.len() + 1 bytes.
            let sent = unsafe { libc::msgsnd(msqid, (&raw const buf).cast(), piece.len() + 1, 0) };
            if sent == -1 {
                return Err(Fatal::new(format!(
                    "msgsnd: {}",
                    io::Error::last_os_error()
                )));
            }
        }
    }

    // msgctl(msqid, IPC_RMID, NULL): remove the queue. Anyone waiting in
    // msgrcv() on it is woken with EIDRM.
    // SAFETY: IPC_RMID takes no buffer; a null pointer is what it expects.
    if unsafe { libc::msgctl(msqid, libc::IPC_RMID, std::ptr::null_mut()) } == -1 {
        return Err(Fatal::new(format!(
            "msgctl: {}",
            io::Error::last_os_error()
        )));
    }
    // ANCHOR_END: kirk
    Ok(())
}
