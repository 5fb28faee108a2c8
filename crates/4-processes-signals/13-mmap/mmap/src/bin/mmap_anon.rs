//! An anonymous mapping shared between a parent and its child: memory that is not a file,
//! made before fork(), and seen by both afterwards.
//!
//! With MAP_SHARED (the default here) the child's write lands in the very page the parent
//! reads. With `--private` (MAP_PRIVATE) fork() gives the child a copy-on-write copy: the
//! child writes into its own copy and the parent never sees it. That is also what happens
//! to every ordinary variable across fork().

use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::ptr::NonNull;

use clap::Parser;
use netkit::Fatal;
use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork, getpid};

/// Share an anonymous page with a child process (or, with --private, not).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// MAP_PRIVATE instead of MAP_SHARED: the child gets a copy of its own.
    #[arg(long)]
    private: bool,
}

/// One page.
const SIZE: usize = 4096;

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: anon
    let sharing = if args.private {
        MapFlags::MAP_PRIVATE
    } else {
        MapFlags::MAP_SHARED
    };
    // mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0):
    // a page of zeros, backed by no file.
    let len = NonZeroUsize::new(SIZE).expect("not zero");
    let rw = ProtFlags::PROT_READ | ProtFlags::PROT_WRITE;
    // SAFETY: a fresh anonymous mapping at an address the kernel picks.
    let page = unsafe { mmap_anonymous(None, len, rw, sharing) }?.cast::<u8>();

    put(page, "written by the parent");
    println!("parent: the page says \"{}\"", get(page));

    // SAFETY: this program has a single thread, so the child starts in a
    // consistent state.
    match unsafe { fork() }.map_err(|e| Fatal::new(format!("fork: {e}")))? {
        ForkResult::Child => {
            let text = format!("written by the child (pid {})", getpid());
            println!("child: writing \"{text}\"");
            put(page, &text);
            std::process::exit(0);
        }
        ForkResult::Parent { child } => {
            // wait() first: after it, the child's write is certainly done.
            waitpid(child, None)?;
            println!(
                "parent: after the child exited, the page says \"{}\"",
                get(page)
            );
        }
    }
    // SAFETY: exactly the mapping made above, not used after this.
    unsafe { munmap(page.cast(), SIZE) }?;
    // ANCHOR_END: anon
    Ok(())
}

/// Writes `text` and a NUL at the start of the page.
fn put(page: NonNull<u8>, text: &str) {
    let n = text.len().min(SIZE - 1);
    // SAFETY: the page is SIZE bytes long and writable; n + 1 <= SIZE. Only this
    // process touches its view of the page at this moment (the other waits).
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), page.as_ptr(), n);
        page.as_ptr().add(n).write(0);
    }
}

/// The text at the start of the page, up to its NUL.
fn get(page: NonNull<u8>) -> String {
    let mut copy = vec![0u8; SIZE];
    // SAFETY: the page is SIZE bytes long and readable.
    unsafe { std::ptr::copy_nonoverlapping(page.as_ptr(), copy.as_mut_ptr(), SIZE) };
    let end = copy.iter().position(|&b| b == 0).unwrap_or(SIZE);
    String::from_utf8_lossy(&copy[..end]).into_owned()
}
