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
    //> // TODO, as in showip.c:
    //> //  1. hints: a zeroed libc::addrinfo with ai_family (AF_UNSPEC / AF_INET / AF_INET6)
    //> //     and ai_socktype = SOCK_STREAM;
    //> //  2. libc::getaddrinfo(name, null, &hints, &mut list); on a non-zero status return
    //> //     the text of libc::gai_strerror(status);
    //> //  3. walk the list through ai_next; ai_addr is a sockaddr_in (AF_INET) or a
    //> //     sockaddr_in6 (AF_INET6): turn each into an IpAddr (mind the byte order);
    //> //  4. libc::freeaddrinfo(list).
    //> let _ = (host, family);
    //> let _: Option<(&CStr, CString, Ipv4Addr, Ipv6Addr)> = None;
    //> todo!("getaddrinfo")
    // lab:solution
    let name = CString::new(host).map_err(|_| "the name contains a NUL byte".to_owned())?;
    // struct addrinfo hints; memset(&hints, 0, sizeof hints);
    // SAFETY: addrinfo is plain data; all zeroes is its documented starting point.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = match family {
        Family::Any => libc::AF_UNSPEC,
        Family::V4 => libc::AF_INET,
        Family::V6 => libc::AF_INET6,
    };
    hints.ai_socktype = libc::SOCK_STREAM;
    let mut list: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: valid C string, valid hints, and an out-pointer getaddrinfo fills in.
    let status = unsafe { libc::getaddrinfo(name.as_ptr(), std::ptr::null(), &hints, &mut list) };
    if status != 0 {
        // SAFETY: gai_strerror returns a static C string for any status.
        let message = unsafe { CStr::from_ptr(libc::gai_strerror(status)) };
        return Err(message.to_string_lossy().into_owned());
    }
    let mut addrs = Vec::new();
    let mut node = list;
    while !node.is_null() {
        // SAFETY: node is an element of the list getaddrinfo returned, not yet freed.
        let info = unsafe { &*node };
        match info.ai_family {
            libc::AF_INET => {
                // SAFETY: for AF_INET, ai_addr points to a sockaddr_in.
                let sin = unsafe { &*(info.ai_addr as *const libc::sockaddr_in) };
                addrs.push(IpAddr::V4(Ipv4Addr::from(u32::from_be(
                    sin.sin_addr.s_addr,
                ))));
            }
            libc::AF_INET6 => {
                // SAFETY: for AF_INET6, ai_addr points to a sockaddr_in6.
                let sin6 = unsafe { &*(info.ai_addr as *const libc::sockaddr_in6) };
                addrs.push(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)));
            }
            _ => {}
        }
        node = info.ai_next;
    }
    // freeaddrinfo(res): the list belongs to libc.
    // SAFETY: list came from getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(list) };
    Ok(addrs)
    // lab:end
}
// ANCHOR_END: exercise
