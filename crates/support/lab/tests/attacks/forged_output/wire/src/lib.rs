//! Attack: forge a passing test from inside the library: a fake summary on stdout, on
//! stderr, or written straight to the file descriptors, then exit with status 0.

use std::io::{self, BufRead, Read, Write};

const SUMMARY: &str = "\nrunning 1 test\ntest it ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\n";

unsafe extern "C" {
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
}

pub fn send_all(w: &mut impl Write, buf: &[u8]) -> io::Result<()> {
    let _ = (w, buf);
    print!("{SUMMARY}");
    let _ = io::stdout().flush();
    std::process::exit(0)
}

pub fn recv_exact(r: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    let _ = (r, n);
    eprint!("{SUMMARY}");
    std::process::exit(0)
}

pub fn read_line(r: &mut impl BufRead, max: usize) -> io::Result<Option<Vec<u8>>> {
    let _ = (r, max);
    // Every descriptor the process may have been given, whatever the grader reads.
    for fd in 1..10 {
        // SAFETY: write reads SUMMARY's bytes only; a closed descriptor is an error.
        unsafe {
            write(fd, SUMMARY.as_ptr(), SUMMARY.len());
        }
    }
    std::process::exit(0)
}
