//! getaddrinfo(3), called through libc and wrapped so that nobody else has to.
//!
//! `std::net::ToSocketAddrs` calls getaddrinfo too, but hides its hints: you cannot
//! ask for IPv6 only, for the wildcard address (`AI_PASSIVE`), for the canonical
//! name, or see the resolver's own error text. [`getaddrinfo`] exposes exactly what
//! the C call takes and returns, as Rust values:
//!
//! ```
//! use showip::{Family, Hints, getaddrinfo};
//!
//! let hints = Hints { family: Family::V6, ..Hints::default() };
//! let found = getaddrinfo(Some("::1"), Some("3490"), &hints).unwrap();
//! assert_eq!(found[0].addr, "[::1]:3490".parse().unwrap());
//! ```
//!
//! The list getaddrinfo allocates is always given back with freeaddrinfo, on every
//! path (the [`Owned`] guard below), and its error codes are worded by
//! gai_strerror.

use std::ffi::{CStr, CString, c_int};
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::ptr;

use libc::{sockaddr, socklen_t};

/// `ai_family`: which kind of address to ask for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Family {
    /// AF_UNSPEC: whatever the host has, IPv4 and IPv6.
    #[default]
    Any,
    /// AF_INET.
    V4,
    /// AF_INET6.
    V6,
}

/// `ai_socktype`: which kind of socket the addresses are for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SockType {
    /// 0: one entry per socket type (stream, datagram, raw) for each address.
    Any,
    /// SOCK_STREAM (TCP).
    #[default]
    Stream,
    /// SOCK_DGRAM (UDP).
    Datagram,
}

/// The `hints` argument: the `memset(&hints, 0, ...)` then a few fields of Beej's
/// programs.
#[derive(Clone, Copy, Debug, Default)]
pub struct Hints {
    pub family: Family,
    pub socktype: SockType,
    /// AI_PASSIVE: with no host, give the wildcard address (for bind) instead of
    /// loopback.
    pub passive: bool,
    /// AI_CANONNAME: also return the host's canonical name.
    pub canonical: bool,
    /// AI_NUMERICHOST: the host must be a numeric address; never ask a name server.
    pub numeric_host: bool,
}

/// One node of the list getaddrinfo returns, copied out before the list is freed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrInfo {
    /// `ai_addr` (and the port from the service).
    pub addr: SocketAddr,
    /// `ai_socktype` as getaddrinfo filled it in (SOCK_STREAM, SOCK_DGRAM,
    /// SOCK_RAW).
    pub socktype: c_int,
    /// `ai_protocol` (IPPROTO_TCP, IPPROTO_UDP, ...).
    pub protocol: c_int,
    /// `ai_canonname`: only on the first node, and only when asked for.
    pub canonical: Option<String>,
}

impl AddrInfo {
    /// `"IPv4"` or `"IPv6"`, the words showip.c prints.
    pub fn ip_version(&self) -> &'static str {
        if self.addr.is_ipv4() { "IPv4" } else { "IPv6" }
    }
}

/// Why getaddrinfo found nothing.
#[derive(Debug)]
pub enum Error {
    /// A non-zero return code (EAI_NONAME, EAI_SERVICE, ...), with gai_strerror's
    /// words.
    Resolver { code: c_int, message: String },
    /// EAI_SYSTEM: the real reason is in errno.
    System(io::Error),
    /// The host or service contained a NUL byte, which C strings cannot carry.
    NulByte,
}

impl Error {
    /// The EAI_* code, for the errors that have one.
    pub fn code(&self) -> Option<c_int> {
        match self {
            Error::Resolver { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Resolver { message, .. } => f.write_str(message),
            Error::System(err) => write!(f, "{err}"),
            Error::NulByte => f.write_str("names cannot contain a NUL byte"),
        }
    }
}

impl std::error::Error for Error {}

// ANCHOR: guard
/// Owns the list getaddrinfo allocated; freeaddrinfo runs when it goes out of
/// scope, whether we return normally, return early with `?`, or panic.
struct Owned(*mut libc::addrinfo);

impl Drop for Owned {
    fn drop(&mut self) {
        if !self.0.is_null() {
            // SAFETY: the pointer came from a successful getaddrinfo and is
            // freed once.
            unsafe { libc::freeaddrinfo(self.0) };
        }
    }
}
// ANCHOR_END: guard

// ANCHOR: getaddrinfo
/// getaddrinfo(node, service, &hints, &res): every address matching the hints, in
/// the resolver's order. `None` for the node is C's NULL (see [`Hints::passive`]);
/// `None` for the service leaves the ports at 0.
pub fn getaddrinfo(
    node: Option<&str>,
    service: Option<&str>,
    hints: &Hints,
) -> Result<Vec<AddrInfo>, Error> {
    let c_string = |s: &str| CString::new(s).map_err(|_| Error::NulByte);
    let node = node.map(c_string).transpose()?;
    let service = service.map(c_string).transpose()?;

    // struct addrinfo hints; memset(&hints, 0, sizeof hints);
    // then the fields we use.
    // SAFETY: addrinfo is plain data; all zeros is its documented empty value.
    let mut c_hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    c_hints.ai_family = match hints.family {
        Family::Any => libc::AF_UNSPEC,
        Family::V4 => libc::AF_INET,
        Family::V6 => libc::AF_INET6,
    };
    c_hints.ai_socktype = match hints.socktype {
        SockType::Any => 0,
        SockType::Stream => libc::SOCK_STREAM,
        SockType::Datagram => libc::SOCK_DGRAM,
    };
    for (wanted, flag) in [
        (hints.passive, libc::AI_PASSIVE),
        (hints.canonical, libc::AI_CANONNAME),
        (hints.numeric_host, libc::AI_NUMERICHOST),
    ] {
        if wanted {
            c_hints.ai_flags |= flag;
        }
    }

    let mut res: *mut libc::addrinfo = ptr::null_mut();
    // SAFETY: node and service are NUL-terminated or null, hints is
    // initialised, and res is a valid place for the result.
    let status = unsafe {
        libc::getaddrinfo(
            node.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
            service.as_ref().map_or(ptr::null(), |s| s.as_ptr()),
            &c_hints,
            &mut res,
        )
    };
    if status != 0 {
        return Err(resolver_error(status));
    }
    let list = Owned(res); // from here on, freeaddrinfo(res) is guaranteed

    // for (p = res; p != NULL; p = p->ai_next)
    let mut found = Vec::new();
    let mut p = list.0;
    while !p.is_null() {
        // SAFETY: p is a node of the list `list` owns, alive until `list` drops.
        let node = unsafe { &*p };
        // SAFETY: getaddrinfo's ai_addr is null or points to ai_addrlen bytes of
        // the family ai_family says, allocated (so aligned) by getaddrinfo.
        if let Some(addr) = unsafe { socket_addr(node.ai_addr, node.ai_addrlen) } {
            let canonical = (!node.ai_canonname.is_null()).then(|| {
                // SAFETY: getaddrinfo sets ai_canonname to a NUL-terminated string.
                unsafe { CStr::from_ptr(node.ai_canonname) }
                    .to_string_lossy()
                    .into_owned()
            });
            found.push(AddrInfo {
                addr,
                socktype: node.ai_socktype,
                protocol: node.ai_protocol,
                canonical,
            });
        }
        p = node.ai_next;
    }
    Ok(found)
    // `list` drops here: freeaddrinfo(res).
}
// ANCHOR_END: getaddrinfo

// ANCHOR: gai_strerror
fn resolver_error(status: c_int) -> Error {
    if status == libc::EAI_SYSTEM {
        return Error::System(io::Error::last_os_error());
    }
    // SAFETY: gai_strerror returns a pointer to a static NUL-terminated message.
    let message = unsafe { CStr::from_ptr(libc::gai_strerror(status)) };
    Error::Resolver {
        code: status,
        message: message.to_string_lossy().into_owned(),
    }
}
// ANCHOR_END: gai_strerror

// ANCHOR: sockaddr
/// The C `struct sockaddr *` as a Rust address: the casts showip.c does to
/// `struct sockaddr_in` / `struct sockaddr_in6` before calling inet_ntop.
///
/// # Safety
/// `sa` must be null or point to `len` readable bytes holding a socket address, aligned
/// as a `sockaddr` (as every address from the kernel or from getaddrinfo is).
unsafe fn socket_addr(sa: *const sockaddr, len: socklen_t) -> Option<SocketAddr> {
    let len = len as usize;
    if sa.is_null() || len < size_of::<libc::sa_family_t>() {
        return None; // not even the family field is there to read
    }
    // Each read below checks first that what it reads fits in the `len` bytes
    // the caller promised.
    // SAFETY: `sa` is not null and aligned as a sockaddr (the caller's
    // promise), and its `len` bytes hold the family field (checked above).
    match c_int::from(unsafe { (*sa).sa_family }) {
        libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
            // SAFETY: the `len` readable bytes hold a whole sockaddr_in (this
            // arm's guard); read unaligned, as `sa` is only promised the
            // alignment of a sockaddr, which is smaller.
            let v4 = unsafe { ptr::read_unaligned(sa.cast::<libc::sockaddr_in>()) };
            // Both fields are in network byte order: ntohl / ntohs.
            let ip = Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr));
            Some(SocketAddrV4::new(ip, u16::from_be(v4.sin_port)).into())
        }
        libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
            let sa6 = sa.cast::<libc::sockaddr_in6>();
            // SAFETY: as for AF_INET: the bytes hold a whole sockaddr_in6
            // (this arm's guard), read without assuming its alignment.
            let v6 = unsafe { ptr::read_unaligned(sa6) };
            let ip = Ipv6Addr::from(v6.sin6_addr.s6_addr);
            Some(
                SocketAddrV6::new(
                    ip,
                    u16::from_be(v6.sin6_port),
                    u32::from_be(v6.sin6_flowinfo),
                    v6.sin6_scope_id,
                )
                .into(),
            )
        }
        _ => None,
    }
}
// ANCHOR_END: sockaddr

/// The words for a socket type, as showip prints them with `--socktype any`.
pub fn socktype_name(socktype: c_int) -> &'static str {
    match socktype {
        libc::SOCK_STREAM => "stream",
        libc::SOCK_DGRAM => "datagram",
        libc::SOCK_RAW => "raw",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> Hints {
        Hints::default()
    }

    #[test]
    fn a_numeric_ipv4_host_comes_back_as_itself_with_the_port() {
        let found = getaddrinfo(Some("127.0.0.1"), Some("3490"), &stream()).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].addr, "127.0.0.1:3490".parse().unwrap());
        assert_eq!(found[0].socktype, libc::SOCK_STREAM);
        assert_eq!(found[0].protocol, libc::IPPROTO_TCP);
        assert_eq!(found[0].ip_version(), "IPv4");
    }

    #[test]
    fn the_ipv6_loopback_comes_back_as_ipv6() {
        let found = getaddrinfo(Some("::1"), Some("80"), &stream()).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].addr, "[::1]:80".parse().unwrap());
        assert_eq!(found[0].ip_version(), "IPv6");
    }

    #[test]
    fn asking_for_ipv6_only_refuses_an_ipv4_address() {
        let hints = Hints {
            family: Family::V6,
            ..stream()
        };
        let err = getaddrinfo(Some("127.0.0.1"), None, &hints).unwrap_err();
        // glibc says "Address family for hostname not supported" (EAI_ADDRFAMILY).
        assert!(err.code().is_some(), "{err:?}");
        assert!(!err.to_string().is_empty());
    }

    #[test]
    fn the_service_name_http_is_port_80() {
        let found = getaddrinfo(Some("127.0.0.1"), Some("http"), &stream()).unwrap();
        assert_eq!(found[0].addr.port(), 80);
    }

    #[test]
    fn an_unknown_service_name_is_an_error_with_gai_strerror_words() {
        let err = getaddrinfo(Some("127.0.0.1"), Some("no-such-service"), &stream()).unwrap_err();
        assert_eq!(err.code(), Some(libc::EAI_SERVICE), "{err:?}");
        assert_eq!(err.to_string(), "Servname not supported for ai_socktype");
    }

    #[test]
    fn a_name_that_cannot_exist_is_an_error_not_a_panic() {
        // .invalid is reserved: no name under it ever resolves (RFC 6761).
        let err = getaddrinfo(Some("no-such-host.invalid"), None, &stream()).unwrap_err();
        assert!(err.code().is_some(), "{err:?}");
        assert!(!err.to_string().contains('\n'));
    }

    #[test]
    fn numeric_host_refuses_a_name_without_asking_anyone() {
        let hints = Hints {
            numeric_host: true,
            ..stream()
        };
        let err = getaddrinfo(Some("localhost"), None, &hints).unwrap_err();
        assert_eq!(err.code(), Some(libc::EAI_NONAME), "{err:?}");
        assert_eq!(err.to_string(), "Name or service not known");
    }

    #[test]
    fn a_nul_byte_is_refused_before_calling_c() {
        let err = getaddrinfo(Some("local\0host"), None, &stream()).unwrap_err();
        assert!(matches!(err, Error::NulByte), "{err:?}");
    }

    #[test]
    fn passive_with_no_host_gives_the_wildcard_addresses() {
        let hints = Hints {
            passive: true,
            ..stream()
        };
        let found = getaddrinfo(None, Some("3490"), &hints).unwrap();
        let addrs: Vec<SocketAddr> = found.iter().map(|a| a.addr).collect();
        assert!(
            addrs.contains(&"0.0.0.0:3490".parse().unwrap()),
            "{addrs:?}"
        );
    }

    #[test]
    fn no_host_and_not_passive_gives_loopback() {
        let hints = Hints {
            family: Family::V4,
            ..stream()
        };
        let found = getaddrinfo(None, Some("3490"), &hints).unwrap();
        assert_eq!(found[0].addr, "127.0.0.1:3490".parse().unwrap());
    }

    #[test]
    fn without_a_socket_type_each_address_comes_once_per_type() {
        let hints = Hints {
            socktype: SockType::Any,
            ..stream()
        };
        let found = getaddrinfo(Some("127.0.0.1"), None, &hints).unwrap();
        let types: Vec<&str> = found.iter().map(|a| socktype_name(a.socktype)).collect();
        assert_eq!(types, ["stream", "datagram", "raw"]);
    }

    #[test]
    fn the_canonical_name_is_on_the_first_entry_only() {
        let hints = Hints {
            canonical: true,
            socktype: SockType::Any,
            ..stream()
        };
        let found = getaddrinfo(Some("127.0.0.1"), None, &hints).unwrap();
        assert_eq!(found.len(), 3, "{found:?}");
        assert_eq!(found[0].canonical.as_deref(), Some("127.0.0.1"));
        assert!(found[1..].iter().all(|a| a.canonical.is_none()));
    }
}
