//! The moving parts of netcat that are not socket calls: the two pumps that run at once
//! (stdin to the socket, the socket to stdout), the hex dump of what passes, and the
//! clock for the idle timeout.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Where the bytes read from stdin go: the current peer, once there is one.
pub enum Sink {
    /// A TCP connection.
    Tcp(TcpStream),
    /// A connected UDP socket: every read from stdin becomes one datagram.
    Udp(UdpSocket),
    /// An unconnected UDP socket and the peer that spoke last (`-u -l -k`).
    UdpTo(UdpSocket, SocketAddr),
}

impl Sink {
    fn send(&self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Sink::Tcp(stream) => (&*stream).write_all(bytes),
            Sink::Udp(socket) => socket.send(bytes).map(drop),
            Sink::UdpTo(socket, peer) => socket.send_to(bytes, peer).map(drop),
        }
    }
}

/// The peer stdin is sent to, shared by the stdin thread and the main thread (which
/// sets it when a connection is made, accepted, or a datagram arrives).
pub struct Outgoing {
    sink: Mutex<Option<Sink>>,
    ready: Condvar,
    /// `-N`: after end of input, close the sending half of every TCP connection.
    half_close: bool,
    sending: Mutex<Sending>,
    /// Notified when the sending direction ends (see [`Outgoing::wait_until_sent`]).
    sent: Condvar,
}

/// How far the sending direction (stdin to the socket) has got.
#[derive(Default)]
struct Sending {
    /// stdin has reached its end: everything it had is sent.
    input_ended: bool,
    /// A send to the current connection failed: the peer takes nothing more.
    peer_gone: bool,
}

impl Outgoing {
    pub fn new(half_close: bool) -> Outgoing {
        Outgoing {
            sink: Mutex::new(None),
            ready: Condvar::new(),
            half_close,
            sending: Mutex::new(Sending::default()),
            sent: Condvar::new(),
        }
    }

    fn sending(&self) -> std::sync::MutexGuard<'_, Sending> {
        self.sending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes `sink` the peer for stdin. With `-N` and stdin already at its end, a new TCP
    /// connection is half-closed at once.
    pub fn set(&self, sink: Sink) {
        // Always the sink's lock first, then the sending state's (as end_of_input does).
        let mut slot = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        let mut sending = self.sending();
        sending.peer_gone = false; // a new peer
        if let (true, true, Sink::Tcp(stream)) = (sending.input_ended, self.half_close, &sink) {
            let _ = stream.shutdown(Shutdown::Write);
        }
        drop(sending);
        *slot = Some(sink);
        self.ready.notify_all();
    }

    /// Sends `bytes` to the peer, waiting for one if there is none yet. A TCP peer that
    /// takes nothing more (EPIPE, reset) ends the sending direction of this connection.
    fn send(&self, bytes: &[u8]) {
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        while sink.is_none() {
            sink = self.ready.wait(sink).unwrap_or_else(|e| e.into_inner());
        }
        if let Some(sink) = sink.as_ref()
            && sink.send(bytes).is_err()
            && matches!(sink, Sink::Tcp(_))
        {
            self.sending().peer_gone = true;
            self.sent.notify_all();
        }
    }

    /// Waits until the sending direction of the current TCP connection is over: stdin
    /// has ended (and, with `-N`, the FIN is out) or the peer takes nothing more. With
    /// `idle`, gives up when nothing has passed either way for that long; returns whether
    /// the sending ended (false: idle).
    pub fn wait_until_sent(&self, idle: Option<Duration>, activity: &Activity) -> bool {
        let mut sending = self.sending();
        while !(sending.input_ended || sending.peer_gone) {
            let Some(idle) = idle else {
                sending = self.sent.wait(sending).unwrap_or_else(|e| e.into_inner());
                continue;
            };
            let quiet = activity.idle_for();
            if quiet >= idle {
                return false;
            }
            sending = self
                .sent
                .wait_timeout(sending, idle - quiet)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    /// `-u -l -k`: replies go to whoever sent the last datagram.
    pub fn retarget(&self, peer: SocketAddr) {
        if let Some(Sink::UdpTo(_, to)) = &mut *self.sink.lock().unwrap_or_else(|e| e.into_inner())
        {
            *to = peer;
        }
    }

    /// Forgets the peer (its connection ended); stdin waits for the next one (`-k`).
    pub fn clear(&self) {
        *self.sink.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Whether stdin has reached its end.
    pub fn input_finished(&self) -> bool {
        self.sending().input_ended
    }

    fn end_of_input(&self) {
        let sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        if let (true, Some(Sink::Tcp(stream))) = (self.half_close, &*sink) {
            // shutdown(SHUT_WR): the peer reads end-of-file; we can still receive.
            let _ = stream.shutdown(Shutdown::Write);
        }
        self.sending().input_ended = true;
        drop(sink);
        self.sent.notify_all();
    }
}

/// What the stdin thread and the main thread share.
pub struct Shared {
    pub outgoing: Outgoing,
    pub trace: Trace,
    pub activity: Activity,
}

/// `-x`: a hex dump of every chunk that passes, on stderr, with an offset per direction.
pub struct Trace {
    enabled: bool,
    sent: AtomicUsize,
    received: AtomicUsize,
}

impl Trace {
    pub fn new(enabled: bool) -> Trace {
        Trace {
            enabled,
            sent: AtomicUsize::new(0),
            received: AtomicUsize::new(0),
        }
    }

    pub fn sent(&self, bytes: &[u8]) {
        self.show("> sent", &self.sent, bytes);
    }

    pub fn received(&self, bytes: &[u8]) {
        self.show("< received", &self.received, bytes);
    }

    fn show(&self, what: &str, offset: &AtomicUsize, bytes: &[u8]) {
        if !self.enabled {
            return;
        }
        let at = offset.fetch_add(bytes.len(), Ordering::Relaxed);
        let text = format!(
            "{what} {} bytes\n{}",
            bytes.len(),
            netkit::hexdump(bytes, at)
        );
        // One write per dump, so the two directions never interleave within a dump.
        let _ = io::stderr().lock().write_all(text.as_bytes());
    }
}

/// When something last passed in either direction, for `-w`.
pub struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Default for Activity {
    fn default() -> Self {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }
}

impl Activity {
    pub fn touch(&self) {
        let now = self.start.elapsed().as_millis() as u64;
        self.last_ms.store(now, Ordering::Relaxed);
    }

    pub fn idle_for(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }
}

// ANCHOR: stdin_pump
/// The stdin thread: every read from stdin goes to the current peer, until end of input.
pub fn pump_stdin(shared: &Shared) {
    let Shared {
        outgoing,
        trace,
        activity,
    } = shared;
    let mut stdin = io::stdin().lock();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        activity.touch();
        trace.sent(&buf[..n]);
        outgoing.send(&buf[..n]);
    }
    outgoing.end_of_input();
}
// ANCHOR_END: stdin_pump

/// Why receiving stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The peer closed its sending half (TCP end-of-file).
    PeerClosed,
    /// Nothing passed either way for the `-w` time.
    Idle,
    /// Stdout is closed (the reader went away): nothing more can be delivered.
    StdoutClosed,
}

/// One receive on a socket with a timeout: `Ok(None)` when the wait timed out.
pub fn receive_some<F>(mut recv: F) -> io::Result<Option<usize>>
where
    F: FnMut() -> io::Result<usize>,
{
    loop {
        match recv() {
            Ok(n) => return Ok(Some(n)),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Ok(None);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Writes what arrived to stdout at once (no buffering: an interactive peer waits for it).
pub fn deliver(bytes: &[u8]) -> bool {
    let mut out = io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).is_ok()
}

// ANCHOR: socket_pump
/// The main thread's half: everything the TCP peer sends goes to stdout, until the peer
/// closes, or nothing passes either way for `idle`.
pub fn pump_socket(
    stream: &TcpStream,
    trace: &Trace,
    activity: &Activity,
    idle: Option<Duration>,
) -> io::Result<Stop> {
    stream.set_read_timeout(idle)?;
    let mut buf = [0u8; 16 * 1024];
    loop {
        // recv(): whatever has arrived; 0 means the peer closed (FIN).
        let Some(n) = receive_some(|| (&*stream).read(&mut buf))? else {
            if idle.is_some_and(|idle| activity.idle_for() >= idle) {
                return Ok(Stop::Idle);
            }
            continue; // stdin was busy meanwhile: not idle
        };
        if n == 0 {
            return Ok(Stop::PeerClosed);
        }
        activity.touch();
        trace.received(&buf[..n]);
        if !deliver(&buf[..n]) {
            return Ok(Stop::StdoutClosed);
        }
    }
}
// ANCHOR_END: socket_pump

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_measures_idleness() {
        let activity = Activity::default();
        std::thread::sleep(Duration::from_millis(30));
        assert!(activity.idle_for() >= Duration::from_millis(30));
        activity.touch();
        assert!(activity.idle_for() < Duration::from_millis(30));
    }
}
