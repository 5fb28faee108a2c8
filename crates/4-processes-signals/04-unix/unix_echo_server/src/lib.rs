//! What the AF_UNIX echo server needs beyond the socket calls its main.rs shows:
//! taking over a socket path safely, and stopping on SIGINT/SIGTERM without a race.
//!
//! A blocked accept() and a signal do not mix well. A handler that sets a flag
//! works only if the signal arrives *during* accept (which then fails with EINTR);
//! one that arrives just before it goes unnoticed until the next client. So the
//! server keeps SIGINT and SIGTERM blocked, and waits in ppoll(2), which unblocks
//! them for the duration of the wait, atomically: a signal can only be delivered
//! while the server is waiting, and then it always ends the wait.

use std::fs;
use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use netkit::Fatal;
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, ppoll};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, SigmaskHow, Signal, sigaction};
use nix::sys::time::TimeSpec;

// ANCHOR: prepare
/// Makes `path` free for bind(), the careful version of echos.c's
/// `unlink(SOCK_PATH)`.
///
/// A socket file outlives its server if the server dies without removing it; bind()
/// on it then fails with EADDRINUSE. But unlinking blindly could steal the name of
/// a server that is running. So: nothing there, fine; a socket nobody answers on,
/// stale, remove it; a socket someone answers on, refuse; anything else (a file of
/// yours!), refuse.
pub fn prepare_path(path: &Path) -> Result<(), Fatal> {
    let shown = path.display();
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Fatal::new(format!("cannot check {shown}: {e}"))),
        Ok(meta) if !meta.file_type().is_socket() => Err(Fatal::new(format!(
            "{shown} exists and is not a socket; remove it or pass --path"
        ))),
        Ok(_) => match UnixStream::connect(path) {
            Ok(_) => Err(Fatal::new(format!(
                "another server is listening on {shown}; stop it or pass --path"
            ))),
            Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                fs::remove_file(path)?;
                eprintln!("removed stale socket {shown}");
                Ok(())
            }
            Err(e) => Err(Fatal::new(format!("cannot check {shown}: {e}"))),
        },
    }
}
// ANCHOR_END: prepare

/// Removes the socket file when dropped: on a normal exit, on an error, on
/// SIGINT/SIGTERM (which end the main loop instead of the process).
pub struct RemoveOnDrop(pub PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if fs::remove_file(&self.0).is_ok() {
            eprintln!("removed {}", self.0.display());
        }
    }
}

// ANCHOR: signals
/// Set by the SIGINT/SIGTERM handler: an atomic store, async-signal-safe.
static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn request_stop(_signal: libc::c_int) {
    STOP.store(true, Ordering::Relaxed);
}

/// Whether SIGINT or SIGTERM has arrived.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Installs the handler and blocks SIGINT and SIGTERM; returns the signal mask to
/// wait with (the previous one, in which they are not blocked).
pub fn catch_stop_signals() -> nix::Result<SigSet> {
    let mut stop = SigSet::empty();
    stop.add(Signal::SIGINT);
    stop.add(Signal::SIGTERM);
    let waiting_mask = stop.thread_swap_mask(SigmaskHow::SIG_BLOCK)?;
    let action = SigAction::new(
        SigHandler::Handler(request_stop),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        // SAFETY: the handler does one atomic store.
        unsafe { sigaction(signal, &action) }?;
    }
    Ok(waiting_mask)
}
// ANCHOR_END: signals

/// How a wait ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Woken {
    Readable,
    Signal,
    Timeout,
}

// ANCHOR: wait
/// Waits until `fd` is readable (a client to accept, bytes to read), a signal
/// arrives, or `timeout` passes (`None`: no limit). The stop signals are
/// deliverable only inside this wait.
pub fn wait_readable(
    fd: impl AsFd,
    timeout: Option<Duration>,
    waiting_mask: &SigSet,
) -> io::Result<Woken> {
    let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
    let timeout = timeout.map(TimeSpec::from_duration);
    match ppoll(&mut fds, timeout, Some(*waiting_mask)) {
        Ok(0) => Ok(Woken::Timeout),
        Ok(_) => Ok(Woken::Readable),
        Err(Errno::EINTR) => Ok(Woken::Signal),
        Err(e) => Err(e.into()),
    }
}
// ANCHOR_END: wait

// ANCHOR: serve
/// Echoes everything one client sends until it closes: echos.c's inner loop.
///
/// A client silent for `idle` is dropped. Once a stop signal has arrived, the
/// client has `grace` more to finish; then it is dropped too.
pub fn serve(
    mut conn: &UnixStream,
    idle: Duration,
    grace: Duration,
    waiting_mask: &SigSet,
) -> io::Result<u64> {
    conn.set_write_timeout(Some(idle))?;
    let mut stop_deadline: Option<Instant> = None;
    let mut buf = [0u8; 100];
    let mut total = 0;
    loop {
        if stop_requested() && stop_deadline.is_none() {
            stop_deadline = Some(Instant::now() + grace);
        }
        let limit = match stop_deadline {
            Some(deadline) => deadline.saturating_duration_since(Instant::now()),
            None => idle,
        };
        match wait_readable(conn, Some(limit), waiting_mask)? {
            Woken::Signal => continue,
            Woken::Timeout => return Err(ErrorKind::TimedOut.into()),
            Woken::Readable => {}
        }
        // n = recv(s2, str, 100, 0): ready, so it does not block.
        let n = match conn.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        // send(s2, str, n, 0), all of it.
        conn.write_all(&buf[..n])?;
        total += n as u64;
    }
}
// ANCHOR_END: serve

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::net::UnixListener;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("unix-echo-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir.join("echo_socket")
    }

    #[test]
    fn a_missing_path_is_free() {
        let path = scratch("missing");
        prepare_path(&path).unwrap();
    }

    #[test]
    fn a_stale_socket_is_removed() {
        let path = scratch("stale");
        drop(UnixListener::bind(&path).unwrap()); // closed, but the file stays
        assert!(path.exists());
        prepare_path(&path).unwrap();
        assert!(!path.exists());
    }

    #[test]
    fn a_live_socket_is_left_alone() {
        let path = scratch("live");
        let _live = UnixListener::bind(&path).unwrap();
        let err = prepare_path(&path).unwrap_err();
        assert!(
            err.message().starts_with("another server is listening on "),
            "{err:?}"
        );
        assert!(path.exists());
    }

    #[test]
    fn a_regular_file_is_never_removed() {
        let path = scratch("file");
        fs::write(&path, "precious").unwrap();
        let err = prepare_path(&path).unwrap_err();
        assert!(
            err.message()
                .ends_with("exists and is not a socket; remove it or pass --path")
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), "precious");
    }
}
