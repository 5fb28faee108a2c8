//! Beej's "Blocking" section in one program: a UDP socket made non-blocking with fcntl,
//! recvfrom that answers EAGAIN instead of waiting, and what it costs to ask again and
//! again.
//!
//! `nonblocking --wait busy` calls recvfrom in a loop until a datagram comes (or the time
//! is up): a busy wait. `nonblocking --wait poll` asks the kernel to wake it when the socket
//! is readable, and calls recvfrom once. At the end it counts the calls and the CPU time
//! each way took.

use std::io::ErrorKind;
use std::net::UdpSocket;
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use nix::fcntl::{FcntlArg, OFlag, fcntl};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::resource::{UsageWho, getrusage};

/// Wait for one UDP datagram on a non-blocking socket, by busy-waiting or with poll.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// UDP port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 4950)]
    port: u16,
    /// How to wait for the datagram.
    #[arg(long, value_enum, default_value_t = Wait::Busy)]
    wait: Wait,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    seconds: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Wait {
    /// Call recvfrom again and again (what not to do).
    Busy,
    /// Sleep in poll until the socket is readable, then call recvfrom once.
    Poll,
}

/// What the waiting cost.
#[derive(Default)]
struct Tally {
    calls: u64,
    eagain: u64,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: nonblock
    // socket(), bind(): an ordinary UDP socket, blocking as every socket starts.
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let socket = netkit::udp_bind(addr)?;
    // fcntl(sockfd, F_SETFL, O_NONBLOCK), keeping the flags already set:
    // from now on, a call that would wait fails with EAGAIN instead.
    let flags = OFlag::from_bits_truncate(fcntl(&socket, FcntlArg::F_GETFL)?);
    fcntl(&socket, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
    // ANCHOR_END: nonblock
    netkit::announce(socket.local_addr()?);

    let limit = Duration::from_secs(args.seconds);
    let began = Instant::now();
    let cpu_before = cpu_time()?;
    let mut tally = Tally::default();
    let got = match args.wait {
        Wait::Busy => busy_wait(&socket, limit, &mut tally)?,
        Wait::Poll => poll_wait(&socket, limit, &mut tally)?,
    };
    let waited = began.elapsed();
    let cpu = cpu_time()? - cpu_before;

    match got {
        Some((text, from)) => println!("got {text:?} from {from}"),
        None => println!("nothing arrived in {} s", args.seconds),
    }
    println!(
        "recvfrom called {} times, {} of them said EAGAIN (EWOULDBLOCK)",
        tally.calls, tally.eagain
    );
    println!(
        "CPU time used: {:.3} s in {:.3} s of waiting",
        cpu.as_secs_f64(),
        waited.as_secs_f64()
    );
    Ok(())
}

type Datagram = (String, std::net::SocketAddr);

// ANCHOR: busy
/// Asks recvfrom again and again. Every call returns at once; almost all of
/// them say "nothing yet", and the CPU is never given back.
fn busy_wait(
    socket: &UdpSocket,
    limit: Duration,
    tally: &mut Tally,
) -> netkit::Result<Option<Datagram>> {
    let began = Instant::now();
    let mut buf = [0u8; 1500];
    while began.elapsed() < limit {
        tally.calls += 1;
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => return Ok(Some((String::from_utf8_lossy(&buf[..n]).into(), from))),
            // EAGAIN and EWOULDBLOCK are the same number on Linux; Rust calls it WouldBlock.
            Err(e) if e.kind() == ErrorKind::WouldBlock => tally.eagain += 1,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(None)
}
// ANCHOR_END: busy

// ANCHOR: poll
/// Sleeps in poll until the socket is readable (or the time is up): the
/// kernel wakes us when a datagram arrives, and recvfrom is called once.
fn poll_wait(
    socket: &UdpSocket,
    limit: Duration,
    tally: &mut Tally,
) -> netkit::Result<Option<Datagram>> {
    let began = Instant::now();
    let mut buf = [0u8; 1500];
    while let Some(left) = limit.checked_sub(began.elapsed()) {
        let mut fds = [PollFd::new(socket.as_fd(), PollFlags::POLLIN)];
        let timeout = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, timeout) {
            Ok(0) => break, // timed out
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        tally.calls += 1;
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => return Ok(Some((String::from_utf8_lossy(&buf[..n]).into(), from))),
            // Possible even after poll (a datagram with a bad checksum is dropped).
            Err(e) if e.kind() == ErrorKind::WouldBlock => tally.eagain += 1,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(None)
}
// ANCHOR_END: poll

/// User plus system CPU time this process has used so far (getrusage).
fn cpu_time() -> netkit::Result<Duration> {
    let usage = getrusage(UsageWho::RUSAGE_SELF)?;
    let micros = |t: nix::sys::time::TimeVal| t.tv_sec() as u64 * 1_000_000 + t.tv_usec() as u64;
    Ok(Duration::from_micros(
        micros(usage.user_time()) + micros(usage.system_time()),
    ))
}
