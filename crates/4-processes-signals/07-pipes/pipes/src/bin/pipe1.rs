//! Beej's pipe1.c: a pipe, and one process that writes into one end and reads from the
//! other. Not useful yet, but it shows what pipe() gives: two descriptors, the first for
//! reading and the second for writing, with a buffer in the kernel between them.

use std::os::fd::AsRawFd;
use std::process::ExitCode;

use clap::Parser;
use nix::unistd::{pipe, read, write};

/// Write into a pipe and read back from it, in one process.
#[derive(Parser)]
#[command(version)]
struct Args {}

fn main() -> ExitCode {
    let Args {} = netkit::parse_args();
    netkit::finish(run())
}

// ANCHOR: pipe1
fn run() -> netkit::Result<()> {
    // int pfds[2]; pipe(pfds);  pfds[0] is for reading, pfds[1] for writing.
    let (read_end, write_end) = pipe()?;

    println!("writing to file descriptor #{}", write_end.as_raw_fd());
    // write(pfds[1], "test", 5): C sends the NUL that ends its string too; a
    // Rust string has none, so 4 bytes.
    write(&write_end, b"test")?;

    println!("reading from file descriptor #{}", read_end.as_raw_fd());
    let mut buf = [0u8; 30];
    let n = read(&read_end, &mut buf)?;
    println!("read \"{}\"", String::from_utf8_lossy(&buf[..n]));
    Ok(())
}
// ANCHOR_END: pipe1
