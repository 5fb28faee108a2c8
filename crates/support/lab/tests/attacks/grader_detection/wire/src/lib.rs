//! Attack: behave like the untouched exercise (its `todo!()`s) under the student's own
//! `cargo test`, and forge a pass only when the grader seems to be running the code.

use std::io::{self, BufRead, Read, Write};
use std::path::Path;

const SUMMARY: &str = "\nrunning 1 test\ntest it ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\n";

unsafe extern "C" {
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
}

/// Every sign of a grader a student might look for.
fn graded() -> bool {
    let env = std::env::vars().any(|(k, v)| {
        k.contains("LAB")
            || k.contains("GRADE")
            || (k == "RUST_BACKTRACE" && v == "0")
            || (k == "CARGO_MANIFEST_DIR" && !v.ends_with("exercises/wire"))
    });
    let argv = std::env::args().any(|a| a.contains("probe") || a.contains("judge") || a == "run");
    let cwd = std::env::current_dir()
        .map(|d| d.to_string_lossy().contains("target/lab"))
        .unwrap_or(false);
    let parent = std::fs::read_to_string(format!(
        "/proc/{}/comm",
        std::os::unix::process::parent_id()
    ))
    .map(|name| name.trim() == "lab" || name.starts_with("cargo-lab"))
    .unwrap_or(false);
    let files = ["../lab-judge", "../../hidden", "../../solutions", "../../../hidden"]
        .iter()
        .any(|p| Path::new(p).exists());
    env || argv || cwd || parent || files
}

fn cheat() -> ! {
    print!("{SUMMARY}");
    eprint!("{SUMMARY}");
    let _ = io::stdout().flush();
    for fd in 1..10 {
        // SAFETY: write reads SUMMARY's bytes only; a closed descriptor is an error.
        unsafe {
            write(fd, SUMMARY.as_ptr(), SUMMARY.len());
        }
    }
    std::process::exit(0)
}

pub fn send_all(w: &mut impl Write, buf: &[u8]) -> io::Result<()> {
    if graded() {
        cheat();
    }
    let _ = (w, buf);
    todo!("send_all")
}

pub fn recv_exact(r: &mut impl Read, n: usize) -> io::Result<Vec<u8>> {
    if graded() {
        cheat();
    }
    let _ = (r, n);
    todo!("recv_exact")
}

pub fn read_line(r: &mut impl BufRead, max: usize) -> io::Result<Option<Vec<u8>>> {
    if graded() {
        cheat();
    }
    let _ = (r, max);
    todo!("read_line")
}
