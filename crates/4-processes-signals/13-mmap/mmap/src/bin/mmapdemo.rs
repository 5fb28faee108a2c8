//! Beej's mmapdemo.c: map a file into memory and read one byte of it as if the file were
//! an array.
//!
//! After mmap() there is no read(): the file's bytes are at an address, and the kernel
//! loads each page the first time it is touched. Beej's program maps its own source file;
//! ours does too unless given `--file`.

use std::fs::File;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;
use nix::sys::mman::{MapFlags, ProtFlags, mmap, munmap};

/// Print the byte at OFFSET of a file, read through mmap().
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Which byte, counted from 0.
    offset: u64,
    /// The file to map (default: this program's own source, as Beej's maps mmapdemo.c).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/src/bin/mmapdemo.rs"))]
    file: PathBuf,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

// ANCHOR: mmapdemo
fn run(args: Args) -> netkit::Result<()> {
    // fd = open("mmapdemo.c", O_RDONLY)
    let file = File::open(&args.file)
        .map_err(|e| Fatal::new(format!("cannot open {}: {e}", args.file.display())))?;
    // stat("mmapdemo.c", &sbuf): the size, to map all of it and to check the offset.
    let size = file.metadata()?.len();
    if size == 0 {
        return Err(Fatal::new(format!(
            "{} is empty: nothing to map",
            args.file.display()
        )));
    }
    if args.offset > size - 1 {
        return Err(Fatal::new(format!(
            "offset must be in the range 0-{}",
            size - 1
        )));
    }
    let len = NonZeroUsize::new(size as usize).expect("size > 0");

    // data = mmap(0, sbuf.st_size, PROT_READ, MAP_SHARED, fd, 0): the whole
    // file, read-only, shared with every other mapping of it.
    // SAFETY: a fresh read-only mapping of a file we opened; the kernel picks the
    // address. (If another process truncated the file meanwhile, touching a page
    // past its new end would raise SIGBUS; that is the price of mmap.)
    let data = unsafe {
        mmap(
            None,
            len,
            ProtFlags::PROT_READ,
            MapFlags::MAP_SHARED,
            &file,
            0,
        )
    }?;

    // data[offset]: an ordinary memory read. The kernel loads the page on first touch.
    // SAFETY: offset < size, and the mapping is `size` bytes long.
    let byte = unsafe { data.cast::<u8>().add(args.offset as usize).read() };
    println!(
        "byte at offset {} is '{}'",
        args.offset,
        char::from(byte).escape_default()
    );

    // munmap(data, size): unmapping happens at exit anyway; done here to show it.
    // SAFETY: exactly the mapping mmap returned, not used after this.
    unsafe { munmap(data, size as usize) }?;
    Ok(())
}
// ANCHOR_END: mmapdemo
