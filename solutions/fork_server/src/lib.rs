//! One child process per client, and a parent that reaps every child.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
// lab:solution
use std::os::fd::AsRawFd;
// lab:end
use std::time::Duration;

//> // Useful for your code:
//> // use std::os::fd::AsRawFd;
//> // use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
//> // use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
//> // use nix::unistd::{ForkResult, fork};
// lab:solution
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, fork};
// lab:end

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
//> // TODO: a SIGCHLD handler, `extern "C" fn reap(_: libc::c_int)`, that reaps every child
//> // that has exited (waitpid with WNOHANG, in a loop) and leaves errno as it found it.
// lab:solution
/// The SIGCHLD handler: reap every child that has exited, without waiting for the others.
/// Only async-signal-safe calls here (waitpid is one); errno is saved and restored so the
/// interrupted code never sees it change.
extern "C" fn reap(_: libc::c_int) {
    let saved = nix::errno::Errno::last_raw();
    while let Ok(status) = waitpid(None, Some(WaitPidFlag::WNOHANG)) {
        if status == WaitStatus::StillAlive {
            break;
        }
    }
    nix::errno::Errno::set_raw(saved);
}
// lab:end

/// Installs the SIGCHLD handler that reaps finished children (Beej's sigchld_handler).
pub fn install_reaper() -> nix::Result<()> {
    //> // TODO: install your handler for SIGCHLD with sigaction (SA_RESTART, so that accept
    //> // is restarted after the handler ran).
    //> todo!("install the SIGCHLD handler")
    // lab:solution
    let action = SigAction::new(
        SigHandler::Handler(reap),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler only calls waitpid and touches errno, both async-signal-safe.
    unsafe { sigaction(Signal::SIGCHLD, &action) }?;
    Ok(())
    // lab:end
}

/// Forks a child that serves `conn` and exits; the parent returns at once.
///
/// The child closes its copy of the listening socket (it never accepts); the parent
/// closes its copy of the connection (only the child talks to that client).
pub fn fork_and_serve(listener: &TcpListener, conn: TcpStream) -> nix::Result<()> {
    //> // TODO: fork. In the child: close the listener's fd, serve the client, exit. In the
    //> // parent: close (drop) the connection and return.
    //> let _ = (listener, conn);
    //> todo!("fork a child for this client")
    // lab:solution
    // SAFETY: the server is single-threaded, so the child may run any code.
    match unsafe { fork() }? {
        ForkResult::Child => {
            // close(sockfd): the child does not need the listener.
            // SAFETY: the fd is open and nothing in the child uses the listener again.
            unsafe { libc::close(listener.as_raw_fd()) };
            let code = match serve(&conn) {
                Ok(()) => 0,
                Err(_) => 1,
            };
            drop(conn);
            std::process::exit(code);
        }
        ForkResult::Parent { .. } => {
            // close(new_fd): the parent does not talk to this client.
            drop(conn);
            Ok(())
        }
    }
    // lab:end
}
// ANCHOR_END: exercise
