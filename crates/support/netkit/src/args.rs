use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use clap::error::ErrorKind;

use crate::{Fatal, Result, program_name};

/// Parses the command line like `T::parse()`, but a mistake costs one line, not a screen.
///
/// `--help` and `--version` print as usual. Anything else the user got wrong (an unknown
/// flag, a port of 70000) prints one line and exits with status 2, the usual status for a
/// command-line mistake.
pub fn parse_args<T: clap::Parser>() -> T {
    match T::try_parse() {
        Ok(args) => args,
        Err(err)
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            err.exit()
        }
        Err(err) => {
            let line = one_line(&err.render().to_string());
            eprintln!("{}: {line} (see --help)", program_name());
            std::process::exit(2)
        }
    }
}

/// clap's error message as one line: its first line, and the indented lines that follow
/// it directly, which are part of the sentence (the names of the missing arguments:
/// `the following required arguments were not provided:` then `  <MESSAGE>` on a line of
/// its own). What comes after the first blank line (tips, usage) is left to `--help`.
fn one_line(rendered: &str) -> String {
    let mut lines = rendered.lines();
    let first = lines.next().unwrap_or("invalid arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let details: Vec<&str> = lines
        .take_while(|line| line.starts_with([' ', '\t']) && !line.trim().is_empty())
        .map(str::trim)
        .collect();
    if details.is_empty() {
        first.to_owned()
    } else {
        format!("{first} {}", details.join(", "))
    }
}

/// Every address `host` names, with `port` filled in, in the resolver's order (getaddrinfo).
///
/// A numeric host (`127.0.0.1`, `::1`) is used as it is; a name is looked up. A name that
/// does not resolve is one clear error.
pub fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>> {
    let unknown = |reason: String| {
        Fatal::new(format!(
            "cannot find host '{host}' ({reason}); check the name or use an address such as 127.0.0.1"
        ))
    };
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|err| unknown(err.to_string()))?
        .collect();
    if addrs.is_empty() {
        return Err(unknown("no addresses".to_owned()));
    }
    Ok(addrs)
}

/// The first address `host` names: what a server binds to.
pub fn resolve_one(host: &str, port: u16) -> Result<SocketAddr> {
    Ok(resolve(host, port)?[0])
}

// ANCHOR: may_reach
/// Whether a program that sends raw or ICMP probes may send to `ip`: this machine
/// (loopback), or a host of a netlab network, whose addresses come from the ranges
/// reserved for documentation (RFC 5737, RFC 3849), which no router on the Internet
/// carries.
pub fn may_reach(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            v4.is_loopback() || matches!((a, b, c), (192, 0, 2) | (198, 51, 100) | (203, 0, 113))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback() || (s[0] == 0x2001 && s[1] == 0x0db8)
        }
    }
}
// ANCHOR_END: may_reach

/// The address `host` names of the family asked for (IPv4 only with `ipv4`, IPv6 only
/// with `ipv6`), and one [`may_reach`] allows. `verb` says in the error what the program
/// does to its destinations ("pings", "probes").
pub fn resolve_lab_host(host: &str, ipv4: bool, ipv6: bool, verb: &str) -> Result<IpAddr> {
    let wanted = resolve(host, 0)?
        .iter()
        .map(SocketAddr::ip)
        .find(|ip| (!ipv4 || ip.is_ipv4()) && (!ipv6 || ip.is_ipv6()));
    let Some(ip) = wanted else {
        let family = if ipv4 { "IPv4" } else { "IPv6" };
        return Err(Fatal::new(format!("'{host}' has no {family} address")));
    };
    if !may_reach(ip) {
        return Err(Fatal::new(format!(
            "'{host}' is {ip}, which is neither this machine nor a netlab host; \
             {} {verb} only loopback (127.0.0.0/8, ::1) and the lab's \
             ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32)",
            program_name()
        )));
    }
    Ok(ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What clap says for `args` to a program with these arguments, as parse_args prints it.
    fn error_line<T: clap::Parser>(args: &[&str]) -> String {
        let err = T::try_parse_from(args).err().expect("a usage error");
        one_line(&err.render().to_string())
    }

    #[derive(clap::Parser, Debug)]
    #[allow(dead_code)]
    struct Two {
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        message: String,
    }

    #[test]
    fn missing_arguments_are_named_on_the_one_line() {
        assert_eq!(
            error_line::<Two>(&["prog", "--from", "a"]),
            "the following required arguments were not provided: --to <TO>, <MESSAGE>"
        );
        assert_eq!(
            error_line::<Two>(&["prog", "--from", "a", "--to", "b", "x", "--bogus"]),
            "unexpected argument '--bogus' found"
        );
        assert_eq!(
            error_line::<Two>(&["prog", "--from"]),
            "a value is required for '--from <FROM>' but none was supplied"
        );
    }

    #[test]
    fn only_the_indented_lines_right_after_the_first_join_it() {
        assert_eq!(
            one_line("error: first\n  a\n\tb\n\n  after a blank line\n"),
            "first a, b"
        );
        assert_eq!(one_line("error: first\nnot indented\n  c\n"), "first");
        assert_eq!(one_line("no prefix\n   \n  c\n"), "no prefix");
        assert_eq!(one_line(""), "invalid arguments");
    }

    #[test]
    fn numeric_hosts_resolve_to_themselves() {
        assert_eq!(
            resolve_one("127.0.0.1", 12000).unwrap(),
            "127.0.0.1:12000".parse().unwrap()
        );
        assert_eq!(resolve_one("::1", 0).unwrap(), "[::1]:0".parse().unwrap());
    }

    #[test]
    fn an_unresolvable_name_is_one_line_that_names_the_host() {
        let err = resolve("no-such-host.invalid", 80).unwrap_err();
        assert!(err.message().contains("'no-such-host.invalid'"), "{err:?}");
        assert!(!err.message().contains('\n'), "{err:?}");
    }

    #[test]
    fn only_loopback_and_lab_addresses_may_be_reached() {
        for ok in [
            "127.0.0.1",
            "127.3.2.1",
            "::1",
            "192.0.2.2",
            "198.51.100.6",
            "203.0.113.2",
            "2001:db8::2",
            "2001:db8:4::2",
        ] {
            assert!(may_reach(ok.parse().unwrap()), "{ok}");
        }
        for no in [
            "8.8.8.8",
            "192.0.3.1",
            "10.0.0.1",
            "2001:db9::1",
            "2606:4700::1111",
            "::ffff:127.0.0.1",
            "0.0.0.0",
            "::",
        ] {
            assert!(!may_reach(no.parse().unwrap()), "{no}");
        }
    }

    #[test]
    fn a_lab_host_is_of_the_family_asked_for_and_reachable() {
        assert_eq!(
            resolve_lab_host("127.0.0.1", false, false, "pings").unwrap(),
            IpAddr::from([127, 0, 0, 1])
        );
        assert_eq!(
            resolve_lab_host("::1", false, true, "pings").unwrap(),
            "::1".parse::<IpAddr>().unwrap()
        );
        let no_v6 = resolve_lab_host("127.0.0.1", false, true, "pings")
            .unwrap_err()
            .message()
            .to_owned();
        assert_eq!(no_v6, "'127.0.0.1' has no IPv6 address");
        let no_v4 = resolve_lab_host("::1", true, false, "pings")
            .unwrap_err()
            .message()
            .to_owned();
        assert_eq!(no_v4, "'::1' has no IPv4 address");
        let far = resolve_lab_host("8.8.8.8", false, false, "probes")
            .unwrap_err()
            .message()
            .to_owned();
        assert!(
            far.starts_with(
                "'8.8.8.8' is 8.8.8.8, which is neither this machine nor a netlab host; "
            ) && far.contains(" probes only loopback (127.0.0.0/8, ::1)"),
            "{far}"
        );
    }
}
