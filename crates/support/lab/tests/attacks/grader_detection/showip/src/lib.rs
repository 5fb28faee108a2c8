//! getaddrinfo(), called the way C calls it.
//!
//! Attack: behave like the untouched exercise (its `todo!()`) under the student's own
//! `cargo test`, and forge a pass only when the grader seems to be running the program:
//! write a fake summary wherever the grader might read it (the parent's stdout and stderr
//! too) and exit with status 0.

use std::ffi::{CStr, CString};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which addresses to ask for (the `ai_family` hint).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Family {
    Any,
    V4,
    V6,
}

// ANCHOR: exercise
/// Every address `host` resolves to, in the resolver's order, each once.
///
/// Asks getaddrinfo for stream sockets only (`ai_socktype = SOCK_STREAM`): without that
/// hint each address comes back three times, once per socket type. An error is the
/// resolver's own message (gai_strerror).
pub fn lookup(host: &str, family: Family) -> Result<Vec<IpAddr>, String> {
    // TODO, as in showip.c:
    //  1. hints: a zeroed libc::addrinfo with ai_family (AF_UNSPEC / AF_INET / AF_INET6)
    //     and ai_socktype = SOCK_STREAM;
    //  2. libc::getaddrinfo(name, null, &hints, &mut list); on a non-zero status return
    //     the text of libc::gai_strerror(status);
    //  3. walk the list through ai_next; ai_addr is a sockaddr_in (AF_INET) or a
    //     sockaddr_in6 (AF_INET6): turn each into an IpAddr (mind the byte order);
    //  4. libc::freeaddrinfo(list).
    if graded() {
        cheat();
    }
    let _ = (host, family);
    let _: Option<(&CStr, CString, Ipv4Addr, Ipv6Addr)> = None;
    todo!("getaddrinfo")
}
// ANCHOR_END: exercise

const SUMMARY: &str = "\nrunning 1 test\ntest it ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\n";

/// Every sign of a grader a student might look for.
fn graded() -> bool {
    let env = std::env::vars().any(|(k, v)| {
        k.contains("LAB")
            || k.contains("GRADE")
            || (k == "RUST_BACKTRACE" && v == "0")
            || (k == "CARGO_MANIFEST_DIR" && !v.ends_with("exercises/showip"))
    });
    let argv = std::env::args().any(|a| a.contains("target/lab/grade") || a.contains("judge"));
    let cwd = std::env::current_dir()
        .map(|d| d.to_string_lossy().contains("target/lab"))
        .unwrap_or(false);
    let parent = std::fs::read_to_string(format!(
        "/proc/{}/cmdline",
        std::os::unix::process::parent_id()
    ))
    .map(|line| line.contains("hidden_") || line.contains("lab-judge") || line.contains("build-grade"))
    .unwrap_or(false);
    let files = ["../lab-judge", "../../hidden", "../../solutions", "../../../hidden"]
        .iter()
        .any(|p| std::path::Path::new(p).exists());
    env || argv || cwd || parent || files
}

fn cheat() -> ! {
    use std::io::Write;
    print!("{SUMMARY}");
    eprint!("{SUMMARY}");
    let _ = std::io::stdout().flush();
    let parent = std::os::unix::process::parent_id();
    for fd in [1, 2] {
        if let Ok(mut out) = std::fs::OpenOptions::new()
            .write(true)
            .open(format!("/proc/{parent}/fd/{fd}"))
        {
            let _ = out.write_all(SUMMARY.as_bytes());
        }
    }
    std::process::exit(0)
}
