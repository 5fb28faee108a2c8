//! One child process per client, and a parent that reaps every child.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

// Useful for your code:
// use std::os::fd::AsRawFd;
// use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
// use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
// use nix::unistd::{ForkResult, fork};

/// How long a child waits for a silent client before giving up on it.
pub const IDLE: Duration = Duration::from_secs(30);

/// Serves one client: uppercase every byte until the client closes. (Given.)
pub fn serve(mut conn: &TcpStream) -> io::Result<()> {
    conn.set_read_timeout(Some(IDLE))?;
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
// TODO: a SIGCHLD handler, `extern "C" fn reap(_: libc::c_int)`, that reaps every child
// that has exited (waitpid with WNOHANG, in a loop) and leaves errno as it found it.

/// Installs the SIGCHLD handler that reaps finished children (Beej's sigchld_handler).
pub fn install_reaper() -> nix::Result<()> {
    // TODO: install your handler for SIGCHLD with sigaction (SA_RESTART, so that accept
    // is restarted after the handler ran).
    todo!("install the SIGCHLD handler")
}

/// Forks a child that serves `conn` and exits; the parent returns at once.
///
/// The child closes its copy of the listening socket (it never accepts); the parent
/// closes its copy of the connection (only the child talks to that client).
pub fn fork_and_serve(listener: &TcpListener, conn: TcpStream) -> nix::Result<()> {
    // TODO: fork. In the child: close the listener's fd, serve the client, exit. In the
    // parent: close (drop) the connection and return.
    let _ = (listener, conn);
    todo!("fork a child for this client")
}
// ANCHOR_END: exercise
