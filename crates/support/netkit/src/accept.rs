use std::io::{self, ErrorKind};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

const FIRST_PAUSE: Duration = Duration::from_millis(5);
const LONGEST_PAUSE: Duration = Duration::from_secs(1);

/// What an accept loop does when `accept` fails.
///
/// Some failures concern one connection only (EINTR, ECONNABORTED: the client gave up
/// before we took it): try again at once. Others mean the process or the system is short
/// of something, most often file descriptors (EMFILE, ENFILE). Then the pending connection
/// stays queued, and calling `accept` again at once would fail again at once, a busy loop.
/// So we say so once, pause (5 ms, doubling up to 1 s) and try again; when descriptors free
/// up, accept succeeds and the loop carries on.
#[derive(Debug)]
pub struct AcceptBackoff {
    pause: Duration,
    short: bool,
}

impl Default for AcceptBackoff {
    fn default() -> Self {
        Self::new()
    }
}

impl AcceptBackoff {
    pub fn new() -> Self {
        AcceptBackoff {
            pause: FIRST_PAUSE,
            short: false,
        }
    }

    /// Call after every successful accept.
    pub fn succeeded(&mut self) {
        if self.short {
            eprintln!("accepting connections again");
        }
        *self = AcceptBackoff::new();
    }

    // ANCHOR: failed
    /// Call after every failed accept; returns once it is sensible to try again.
    pub fn failed(&mut self, err: &io::Error) {
        if let Some(pause) = self.pause_after(err) {
            thread::sleep(pause);
        }
    }

    /// The same decision without the sleep, for a loop that waits in `poll` and
    /// must go on serving its clients meanwhile: how long to leave the listener
    /// alone before the next `accept` (`None`: try again at once).
    pub fn pause_after(&mut self, err: &io::Error) -> Option<Duration> {
        if is_per_connection(err) {
            return None;
        }
        if !self.short {
            self.short = true;
            eprintln!("accept failed: {err}; pausing until it works again");
        }
        let pause = self.pause;
        self.pause = (self.pause * 2).min(LONGEST_PAUSE);
        Some(pause)
    }
    // ANCHOR_END: failed
}

fn is_per_connection(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        ErrorKind::Interrupted | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) || err.raw_os_error() == Some(libc::EPROTO) // a protocol error on that one connection
}

/// `listener.accept()`, retried through every failure with [`AcceptBackoff`].
pub fn accept_patiently(
    listener: &TcpListener,
    backoff: &mut AcceptBackoff,
) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept() {
            Ok(accepted) => {
                backoff.succeeded();
                return accepted;
            }
            Err(err) => backoff.failed(&err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn per_connection_failures_are_retried_without_a_pause() {
        let mut backoff = AcceptBackoff::new();
        let start = Instant::now();
        for _ in 0..100 {
            backoff.failed(&ErrorKind::ConnectionAborted.into());
            // Were they paused (5 ms, doubling), the test would take minutes: stop early.
            if start.elapsed() >= Duration::from_millis(100) {
                break;
            }
        }
        assert!(start.elapsed() < Duration::from_millis(100));
        assert!(!backoff.short);
    }

    #[test]
    fn running_out_of_descriptors_pauses_longer_each_time_up_to_a_second() {
        let mut backoff = AcceptBackoff::new();
        let emfile = io::Error::from_raw_os_error(libc::EMFILE);
        let start = Instant::now();
        backoff.failed(&emfile);
        backoff.failed(&emfile);
        assert!(start.elapsed() >= Duration::from_millis(15));
        assert_eq!(backoff.pause, Duration::from_millis(20));
        // Short of descriptors: said once (the flag that keeps it from being said again),
        // and on the next success that it works again.
        assert!(backoff.short);
        backoff.succeeded();
        assert!(!backoff.short);
        assert_eq!(backoff.pause, FIRST_PAUSE);
    }

    #[test]
    fn a_poll_loop_is_told_how_long_to_pause_and_never_made_to_wait() {
        let mut backoff = AcceptBackoff::new();
        let start = Instant::now();
        for errno in [
            libc::ECONNABORTED,
            libc::ECONNRESET,
            libc::EPROTO,
            libc::EINTR,
        ] {
            let err = io::Error::from_raw_os_error(errno);
            assert_eq!(backoff.pause_after(&err), None, "{err}");
        }
        let enfile = io::Error::from_raw_os_error(libc::ENFILE);
        let pauses: Vec<_> = (0..10)
            .filter_map(|_| backoff.pause_after(&enfile))
            .collect();
        assert!(start.elapsed() < Duration::from_millis(100));
        assert_eq!(pauses[..3], [5, 10, 20].map(Duration::from_millis));
        assert_eq!(pauses[8..], [LONGEST_PAUSE, LONGEST_PAUSE]);
        backoff.succeeded();
        assert_eq!(backoff.pause_after(&enfile), Some(FIRST_PAUSE));
    }
}
