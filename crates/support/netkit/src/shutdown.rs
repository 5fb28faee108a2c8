//! Graceful shutdown for the concurrent servers: signals arrive through a self-pipe, so a
//! server that waits in `poll` wakes up at once, stops accepting, and gives its clients a
//! short grace period before it exits 0.
//!
//! The `self_pipe` crate shows the technique on its own, call by call; this module is the
//! same idea packaged for the servers of Part 2.

use std::io::{self, ErrorKind};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

use crate::AcceptBackoff;

/// The write end of the self-pipe, for the signal handler (-1 until [`Signals::catch`]).
static WRITE_END: AtomicI32 = AtomicI32::new(-1);

// ANCHOR: handler
/// The signal handler: one `write` of the signal number into the pipe, and
/// nothing else.
///
/// `write` is async-signal-safe; so are the atomic load and saving and
/// restoring errno. No allocation, no lock, no printing: the handler may
/// interrupt the program anywhere.
extern "C" fn on_signal(signal: libc::c_int) {
    let saved = io::Error::last_os_error().raw_os_error().unwrap_or(0);
    let fd = WRITE_END.load(Ordering::Relaxed);
    let byte = signal as u8;
    // SAFETY: write reads one byte from `byte`, a live local; the pipe is
    // non-blocking, so a full pipe makes the write fail, never wait.
    // __errno_location points to this thread's errno, which lives as long as
    // the thread: writing an int there is sound.
    unsafe {
        libc::write(fd, (&byte as *const u8).cast(), 1);
        *libc::__errno_location() = saved;
    }
}
// ANCHOR_END: handler

/// Signals caught into a self-pipe. One per process (the handler has one pipe to write to).
pub struct Signals {
    read_end: OwnedFd,
    write_end: OwnedFd,
    caught: Vec<Signal>,
}

impl Signals {
    /// Creates the pipe and installs the handler for each of `signals` (with SA_RESTART).
    pub fn catch(signals: &[Signal]) -> io::Result<Signals> {
        // Both ends non-blocking: the handler must never block on a full pipe, and draining
        // must stop when the pipe is empty. Close-on-exec: no program we run inherits them.
        let (read_end, write_end) = nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC)?;
        if WRITE_END
            .compare_exchange(
                -1,
                write_end.as_raw_fd(),
                Ordering::SeqCst,
                Ordering::SeqCst,
            )
            .is_err()
        {
            return Err(io::Error::other(
                "signals are already caught in this process",
            ));
        }
        let action = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        for &signal in signals {
            // SAFETY: the handler only does async-signal-safe work (see on_signal).
            unsafe { sigaction(signal, &action) }?;
        }
        Ok(Signals {
            read_end,
            write_end,
            caught: signals.to_vec(),
        })
    }

    /// The read end: readable as soon as a signal has arrived. Put it in a `poll` set.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.read_end.as_fd()
    }

    /// The signals that arrived since the last call, oldest first (does not block).
    pub fn drain(&self) -> Vec<Signal> {
        let mut arrived = Vec::new();
        let mut buf = [0u8; 64];
        // Bounded: a pipe holds at most 64 KiB, and each round empties up to 64 bytes.
        for _ in 0..1024 {
            match nix::unistd::read(&self.read_end, &mut buf) {
                Ok(0) | Err(_) => break, // EAGAIN: empty
                Ok(n) => arrived.extend(
                    buf[..n]
                        .iter()
                        .filter_map(|&b| Signal::try_from(i32::from(b)).ok()),
                ),
            }
        }
        arrived
    }

    /// In a forked child: put the default action back for every caught signal and close
    /// both ends of the pipe, so the child cannot wake its parent by mistake.
    pub fn release_in_child(self) {
        let default = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
        for &signal in &self.caught {
            // SAFETY: SIG_DFL installs no handler code of ours, so nothing of
            // ours can run at a moment the interrupted code did not expect.
            let _ = unsafe { sigaction(signal, &default) };
        }
        drop(self.read_end);
        drop(self.write_end);
    }
}

/// What [`accept_or_signal`] woke up for.
pub enum Woken {
    /// A new client.
    Client(TcpStream, SocketAddr),
    /// One or more signals (in order of arrival).
    Signals(Vec<Signal>),
}

/// What [`wait_readable`] woke up for.
pub enum Ready {
    /// The descriptor has something to read (a datagram, a client to accept).
    Readable,
    /// One or more signals (in order of arrival).
    Signals(Vec<Signal>),
}

// ANCHOR: wait_readable
/// Waits until `fd` is readable or a signal arrives, whichever comes first:
/// `poll` watches the descriptor and the self-pipe together. Signals that
/// arrived win over a ready descriptor. [`accept_or_signal`] waits here for a
/// client; the UDP servers, which stop at once, wait here for a datagram and
/// call `recvfrom` only after this returns [`Ready::Readable`].
pub fn wait_readable(fd: impl AsFd, signals: &Signals) -> io::Result<Ready> {
    loop {
        let mut fds = [
            PollFd::new(fd.as_fd(), PollFlags::POLLIN),
            PollFd::new(signals.fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
        if fds[1].any().unwrap_or(true) {
            let arrived = signals.drain();
            if !arrived.is_empty() {
                return Ok(Ready::Signals(arrived));
            }
        }
        if fds[0].any().unwrap_or(true) {
            return Ok(Ready::Readable);
        }
    }
}
// ANCHOR_END: wait_readable

// ANCHOR: accept_or_signal
/// Waits for whichever comes first: a client to accept, or a signal.
///
/// [`wait_readable`] watches the listener and the self-pipe together. The
/// listener is switched to non-blocking mode, so a client that vanished
/// between `poll` and `accept` costs nothing; accepted sockets are blocking.
/// Failed accepts go through `backoff`: on EMFILE the pending connection stays
/// queued and the listener stays readable, so without the pause this loop
/// would spin.
pub fn accept_or_signal(
    listener: &TcpListener,
    signals: &Signals,
    backoff: &mut AcceptBackoff,
) -> io::Result<Woken> {
    listener.set_nonblocking(true)?;
    loop {
        if let Ready::Signals(arrived) = wait_readable(listener, signals)? {
            return Ok(Woken::Signals(arrived));
        }
        match listener.accept() {
            Ok((conn, peer)) => {
                backoff.succeeded();
                conn.set_nonblocking(false)?;
                return Ok(Woken::Client(conn, peer));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
            Err(e) => backoff.failed(&e),
        }
    }
}
// ANCHOR_END: accept_or_signal

/// Whether `signal` asks the server to stop (SIGINT from Ctrl-C, SIGTERM from `kill`).
pub fn is_stop(signal: Signal) -> bool {
    matches!(signal, Signal::SIGINT | Signal::SIGTERM)
}

// ANCHOR: grace
/// The grace period: calls `count` (how many clients are still being
/// served) every 10 ms until it returns 0 or `grace` has passed. Logs what it
/// does and returns the number of clients still there at the end.
pub fn wait_for_clients(grace: Duration, mut count: impl FnMut() -> usize) -> usize {
    let deadline = Instant::now() + grace;
    let mut left = count();
    if left > 0 {
        eprintln!(
            "shutting down: waiting up to {:.1} s for {left} client(s) to finish",
            grace.as_secs_f64()
        );
    }
    while left > 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
        left = count();
    }
    if left > 0 {
        let after = "still connected after the grace period";
        eprintln!("shutting down: {left} client(s) {after}");
    } else {
        eprintln!("shutting down: every client has finished");
    }
    left
}
// ANCHOR_END: grace

#[cfg(test)]
mod tests {
    use super::*;

    // The only test in this crate that catches signals: one pipe per process.
    #[test]
    fn caught_signals_arrive_in_the_pipe_in_order_and_only_once() {
        let signals = Signals::catch(&[Signal::SIGUSR1, Signal::SIGUSR2]).unwrap();
        assert!(signals.drain().is_empty());
        nix::sys::signal::raise(Signal::SIGUSR2).unwrap();
        nix::sys::signal::raise(Signal::SIGUSR1).unwrap();
        let mut fds = [PollFd::new(signals.fd(), PollFlags::POLLIN)];
        assert_eq!(poll(&mut fds, PollTimeout::ZERO).unwrap(), 1);
        assert_eq!(signals.drain(), [Signal::SIGUSR2, Signal::SIGUSR1]);
        assert!(signals.drain().is_empty());
        // A second pipe would leave the handler writing to the first.
        assert!(Signals::catch(&[Signal::SIGUSR1]).is_err());

        // wait_readable: a readable socket alone is Readable; with a signal as well, the
        // signal wins (the server must stop, not serve one more datagram).
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.send_to(b"x", socket.local_addr().unwrap()).unwrap();
        assert!(matches!(
            wait_readable(&socket, &signals).unwrap(),
            Ready::Readable
        ));
        nix::sys::signal::raise(Signal::SIGUSR1).unwrap();
        match wait_readable(&socket, &signals).unwrap() {
            Ready::Signals(arrived) => assert_eq!(arrived, [Signal::SIGUSR1]),
            Ready::Readable => panic!("the signal was not reported"),
        }

        // In a forked child the handlers go back to the default action. (Done last here:
        // after it, these signals would end the test process.)
        signals.release_in_child();
        let default = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
        for signal in [Signal::SIGUSR1, Signal::SIGUSR2] {
            // SAFETY: SIG_DFL installs no handler code; it is what is there already.
            let before = unsafe { sigaction(signal, &default) }.unwrap();
            assert!(
                matches!(before.handler(), SigHandler::SigDfl),
                "{signal}: {:?}",
                before.handler()
            );
        }
    }

    #[test]
    fn the_grace_period_ends_early_when_the_clients_are_done() {
        let start = Instant::now();
        let mut left = 3;
        let remaining = wait_for_clients(Duration::from_secs(10), || {
            left -= 1;
            left
        });
        assert_eq!(remaining, 0);
        assert!(start.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn the_grace_period_gives_up_on_clients_that_never_finish() {
        let start = Instant::now();
        assert_eq!(wait_for_clients(Duration::from_millis(200), || 2), 2);
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(200) && took < Duration::from_secs(2));
    }

    #[test]
    fn only_sigint_and_sigterm_ask_to_stop() {
        assert!(is_stop(Signal::SIGINT) && is_stop(Signal::SIGTERM));
        assert!(!is_stop(Signal::SIGCHLD) && !is_stop(Signal::SIGUSR1));
    }
}
