//! `udp_errqueue`: send one UDP probe to each of a few ports, as traceroute does, and
//! report what the error queue says about each: who answered with which ICMP message.
//! This file is complete; your part is in `src/lib.rs`.

use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use udp_errqueue::{QueuedError, keep_errors, next_error};

/// Send a UDP probe to each port from --port on, and print the ICMP errors they caused.
#[derive(Parser)]
struct Args {
    /// Where to send the probes.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The first port; the probes go to this port and the ones after it.
    #[arg(long, default_value_t = 33434)]
    port: u16,
    /// How many probes.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=1000))]
    count: u16,
    /// Milliseconds to wait for the errors after the last probe.
    #[arg(long, default_value_t = 500)]
    wait_ms: u64,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let target = netkit::resolve_one(&args.host, args.port)?;
    if u32::from(args.port) + u32::from(args.count) > 65536 {
        return Err(netkit::Fatal::new(
            "--port plus --count goes beyond port 65535",
        ));
    }
    let local = if target.is_ipv6() {
        "[::]:0"
    } else {
        "0.0.0.0:0"
    };
    let udp = UdpSocket::bind(local)?;
    keep_errors(&udp)?;
    let mut errors: Vec<QueuedError> = Vec::new();
    for i in 0..args.count {
        let to = SocketAddr::new(target.ip(), args.port + i);
        // An error still in the queue fails the next send (once), with its errno: read
        // the queue first. On loopback the answer to a probe is there before send_to
        // returns.
        while let Some(err) = next_error(&udp)? {
            errors.push(err);
        }
        udp.send_to(format!("probe {i}").as_bytes(), to)?;
    }
    // Read the queue until the wait is over: poll reports POLLERR while it is not empty.
    let deadline = Instant::now() + Duration::from_millis(args.wait_ms);
    loop {
        while let Some(err) = next_error(&udp)? {
            errors.push(err);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || errors.len() >= usize::from(args.count) {
            break;
        }
        let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(udp.as_fd(), PollFlags::empty())];
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(netkit::Fatal::new(format!("poll failed: {e}"))),
        }
    }
    errors.sort_by_key(|e| e.to.port());
    for e in &errors {
        let origin = match e.origin {
            1 => "local",
            2 => "ICMP",
            3 => "ICMPv6",
            _ => "other",
        };
        let from = e.from.map_or("-".to_owned(), |a| a.to_string());
        let meaning = std::io::Error::from_raw_os_error(e.errno as i32);
        println!(
            "port {}: {origin} type {} code {} from {from}: {meaning}",
            e.to.port(),
            e.kind,
            e.code
        );
    }
    let quiet: Vec<String> = (0..args.count)
        .map(|i| args.port + i)
        .filter(|p| !errors.iter().any(|e| e.to.port() == *p))
        .map(|p| p.to_string())
        .collect();
    println!(
        "{} probes, {} errors; no error for: {}",
        args.count,
        errors.len(),
        if quiet.is_empty() {
            "-".to_owned()
        } else {
            quiet.join(" ")
        }
    );
    Ok(())
}
