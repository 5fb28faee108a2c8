//! The self-pipe that turns a signal into something poll() can wait for, and the loop
//! that uses it.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
#[allow(unused_imports)] // AsFd: for your code
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};
#[allow(unused_imports)] // thread: for your code
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

#[allow(unused_imports)] // for your code
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

/// The write end of the pipe, for the signal handler (a handler can reach only globals).
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);

extern "C" fn on_signal(_: libc::c_int) {
    let saved = nix::errno::Errno::last_raw();
    let fd = WAKE_FD.load(Ordering::Relaxed);
    // SAFETY: write is async-signal-safe; the pipe is non-blocking, so a full pipe (the
    // signal came many times) cannot block the handler.
    unsafe { libc::write(fd, b"!".as_ptr().cast(), 1) };
    nix::errno::Errno::set_raw(saved);
}

/// The read end of a self-pipe that becomes readable when SIGINT or SIGTERM arrives.
/// (Given.)
pub struct Wake {
    read: OwnedFd,
    _write: OwnedFd,
}

impl Wake {
    pub fn on_sigint_and_sigterm() -> io::Result<Wake> {
        let (read, write) =
            nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC | nix::fcntl::OFlag::O_NONBLOCK)?;
        WAKE_FD.store(write.as_raw_fd(), Ordering::Relaxed);
        let action = SigAction::new(
            SigHandler::Handler(on_signal),
            SaFlags::SA_RESTART,
            SigSet::empty(),
        );
        for signal in [Signal::SIGINT, Signal::SIGTERM] {
            // SAFETY: the handler only writes to a pipe and restores errno.
            unsafe { sigaction(signal, &action) }?;
        }
        Ok(Wake {
            read,
            _write: write,
        })
    }

    /// The descriptor to poll: readable once a signal has come.
    pub fn fd(&self) -> &OwnedFd {
        &self.read
    }
}

/// Serves one client: uppercase everything until it closes. (Given.)
pub fn serve(mut conn: TcpStream) -> io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut buf = [0u8; 4096];
    loop {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        conn.write_all(&buf[..n].to_ascii_uppercase())?;
    }
}

// ANCHOR: exercise
/// Accepts clients (each served by `serve` in a thread of its own) until `wake` becomes
/// readable; then accepts no more, waits up to `grace` for the clients being served, and
/// returns how many had not finished by then.
pub fn serve_until_signalled(
    listener: &TcpListener,
    wake: &Wake,
    grace: Duration,
) -> io::Result<usize> {
    // TODO: loop: poll the listener and wake.fd() (both POLLIN, no timeout; retry EINTR).
    // If wake is readable, stop accepting. If the listener is readable, accept and serve
    // the client in a new thread; keep the JoinHandles. Then wait until every client
    // thread has finished or `grace` has passed, and return how many are still running.
    let _ = (
        listener,
        wake,
        grace,
        Instant::now(),
        Vec::<JoinHandle<()>>::new(),
    );
    todo!("serve until a signal comes")
}
// ANCHOR_END: exercise
