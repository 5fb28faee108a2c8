//! Connecting without waiting: a non-blocking `connect` to every address at once, one
//! `poll` for all of them, and the first that answers wins.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsFd;
//> #[allow(unused_imports)] // for your code
use std::time::{Duration, Instant};

//> #[allow(unused_imports)] // for your code
use nix::errno::Errno;
//> #[allow(unused_imports)] // for your code
use nix::fcntl::{FcntlArg, OFlag, fcntl};
//> #[allow(unused_imports)] // for your code
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
//> #[allow(unused_imports)] // for your code
use socket2::{Domain, Socket, Type};

/// How a race ended. (Given.)
#[derive(Debug, Default)]
pub struct Race {
    /// The first address whose connection was made, and that connection, blocking again.
    pub winner: Option<(SocketAddr, TcpStream)>,
    /// The addresses that failed before the race ended, in the order they failed, each
    /// with its error (`ECONNREFUSED`, ...).
    pub failed: Vec<(SocketAddr, io::Error)>,
    /// The addresses still trying when the time ran out (none if there is a winner).
    pub waiting: Vec<SocketAddr>,
}

// ANCHOR: exercise
/// Turns `O_NONBLOCK` on or off for `fd`, with `fcntl`, keeping every other flag of the
/// descriptor: `F_GETFL` first, then `F_SETFL` with the flag added or removed.
pub fn set_nonblocking(fd: impl AsFd, on: bool) -> io::Result<()> {
    //> // TODO: read the flags (FcntlArg::F_GETFL, OFlag::from_bits_truncate), add or
    //> // remove OFlag::O_NONBLOCK, write them back (FcntlArg::F_SETFL).
    //> let _ = (fd.as_fd(), on);
    //> todo!("set_nonblocking")
    // lab:solution
    let flags = OFlag::from_bits_truncate(fcntl(&fd, FcntlArg::F_GETFL)?);
    let flags = if on {
        flags | OFlag::O_NONBLOCK
    } else {
        flags - OFlag::O_NONBLOCK
    };
    fcntl(&fd, FcntlArg::F_SETFL(flags))?;
    Ok(())
    // lab:end
}

/// Connects to every address of `addrs` at once and returns the first connection made,
/// waiting at most `timeout` in all.
///
/// For each address: a TCP socket of its family (`socket2::Socket`), made non-blocking
/// with [`set_nonblocking`], and `connect`, which returns at once: `Ok` (connected
/// already), `EINPROGRESS` (under way: wait for it), or another error (failed: record
/// it). Then `poll` the sockets under way for `POLLOUT`, with the time left, until one
/// is connected, all have failed, or the time is up. A socket `poll` reports has finished
/// connecting, well or not: its `SO_ERROR` (`take_error`) says which. The winner is made
/// blocking again before it is returned; every other socket is closed.
pub fn race(addrs: &[SocketAddr], timeout: Duration) -> io::Result<Race> {
    //> // TODO: start a non-blocking connect for each address; then, while any are under
    //> // way and time is left, poll them all for POLLOUT; for each reported one,
    //> // take_error(): None means connected (the winner: blocking again, into a
    //> // TcpStream), Some(e) means it failed. EINTR from poll: poll again.
    //> let _ = (addrs, timeout);
    //> todo!("race")
    // lab:solution
    let deadline = Instant::now() + timeout;
    let mut race = Race::default();
    let mut under_way: Vec<(SocketAddr, Socket)> = Vec::new();
    let won = |addr: SocketAddr, socket: Socket, race: Race| -> io::Result<Race> {
        set_nonblocking(&socket, false)?;
        Ok(Race {
            winner: Some((addr, socket.into())),
            ..race
        })
    };
    for &addr in addrs {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
        set_nonblocking(&socket, true)?;
        match socket.connect(&addr.into()) {
            Ok(()) => return won(addr, socket, race),
            Err(e) if e.raw_os_error() == Some(Errno::EINPROGRESS as i32) => {
                under_way.push((addr, socket));
            }
            Err(e) => race.failed.push((addr, e)),
        }
    }
    while !under_way.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        // Whole milliseconds, rounded up, so that the last one is not a busy wait.
        let ms = u64::try_from(left.as_micros().div_ceil(1000)).unwrap_or(u64::MAX);
        let wait = PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX);
        let mut fds: Vec<PollFd> = under_way
            .iter()
            .map(|(_, socket)| PollFd::new(socket.as_fd(), PollFlags::POLLOUT))
            .collect();
        match poll(&mut fds, wait) {
            Ok(_) => {}
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        let reported: Vec<bool> = fds.iter().map(|fd| fd.any().unwrap_or(false)).collect();
        drop(fds);
        let mut still = Vec::new();
        for ((addr, socket), reported) in under_way.drain(..).zip(reported) {
            if !reported {
                still.push((addr, socket));
                continue;
            }
            // getsockopt(SO_ERROR): how the connect ended.
            match socket.take_error()? {
                None => return won(addr, socket, race),
                Some(e) => race.failed.push((addr, e)),
            }
        }
        under_way = still;
    }
    race.waiting = under_way.into_iter().map(|(addr, _)| addr).collect();
    Ok(race)
    // lab:end
}
// ANCHOR_END: exercise
