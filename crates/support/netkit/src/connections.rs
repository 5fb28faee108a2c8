//! The connections a threaded server is serving, kept in one place so that its shutdown
//! can count them and, when the grace period is over, cut off the ones still open.
//!
//! Each client thread holds a [`Tracked`] connection instead of a bare `TcpStream`; it is
//! counted from [`Connections::track`] until the thread drops it. [`Connections::cut_off`]
//! shuts down the reading side of every connection still open: a thread blocked in
//! `read` wakes up with end of stream (after any bytes that had already arrived), so it
//! can say goodbye on the writing side, which still works, and return.
//!
//! A server that must never turn a new client away because idle ones hold every place
//! records each client's activity ([`Tracked::touch`]) and, at its limit, closes the one
//! idle the longest ([`Connections::close_idlest`]).

use std::collections::BTreeMap;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::ops::Deref;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// The open connections of a server (see the module's documentation).
#[derive(Default)]
pub struct Connections {
    open: Mutex<BTreeMap<u64, Entry>>,
    next_id: AtomicU64,
    cut_off: AtomicBool,
}

/// One open connection, as the set keeps it.
struct Entry {
    conn: Arc<TcpStream>,
    activity: Arc<Activity>,
}

/// When a connection last did something, and whether the server closed it for idling.
struct Activity {
    last: Mutex<Instant>,
    closed_idle: AtomicBool,
}

/// A connection counted in its [`Connections`] until it is dropped. It derefs to the
/// `TcpStream`, so `&*conn` reads and writes like `&TcpStream`.
pub struct Tracked {
    conn: Arc<TcpStream>,
    activity: Arc<Activity>,
    id: u64,
    owner: Arc<Connections>,
}

/// The connection [`Connections::close_idlest`] closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClosedIdle {
    /// Its peer, when the system still knew it.
    pub peer: Option<SocketAddr>,
    /// How long it had been idle.
    pub idle: Duration,
}

impl Connections {
    /// An empty set, to share between the accept loop and the client threads.
    pub fn new() -> Arc<Connections> {
        Arc::new(Connections::default())
    }

    fn open(&self) -> MutexGuard<'_, BTreeMap<u64, Entry>> {
        // A panicking client thread must not stop the shutdown from counting.
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts `conn` as open until the returned handle is dropped.
    pub fn track(self: &Arc<Self>, conn: TcpStream) -> Tracked {
        let conn = Arc::new(conn);
        let activity = Arc::new(Activity {
            last: Mutex::new(Instant::now()),
            closed_idle: AtomicBool::new(false),
        });
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let entry = Entry {
            conn: Arc::clone(&conn),
            activity: Arc::clone(&activity),
        };
        self.open().insert(id, entry);
        Tracked {
            conn,
            activity,
            id,
            owner: Arc::clone(self),
        }
    }

    /// Makes room for a new client: closes the open connection that has been idle the
    /// longest (no [`Tracked::touch`] for the longest time; a connection never touched
    /// counts from when it was tracked). `shutdown(SHUT_RDWR)` wakes its thread with end of
    /// stream; the connection stops counting at once. `None` when no connection is open.
    pub fn close_idlest(&self) -> Option<ClosedIdle> {
        let mut open = self.open();
        let (&id, _) = open.iter().min_by_key(|(_, entry)| entry.activity.last())?;
        let entry = open.remove(&id)?;
        drop(open);
        entry.activity.closed_idle.store(true, Ordering::SeqCst);
        let peer = entry.conn.peer_addr().ok();
        let _ = entry.conn.shutdown(Shutdown::Both);
        Some(ClosedIdle {
            peer,
            idle: entry.activity.last().elapsed(),
        })
    }

    /// How many connections are open.
    pub fn count(&self) -> usize {
        self.open().len()
    }

    /// Ends the grace period: `shutdown(SHUT_RD)` on every open connection, which makes
    /// its thread's `read` return what had already arrived and then end of stream; then
    /// waits at most `limit` for those threads to finish. Returns how many connections are
    /// still open after that.
    pub fn cut_off(&self, limit: Duration) -> usize {
        self.cut_off.store(true, Ordering::SeqCst);
        for entry in self.open().values() {
            let _ = entry.conn.shutdown(Shutdown::Read);
        }
        let deadline = Instant::now() + limit;
        let mut left = self.count();
        while left > 0 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
            left = self.count();
        }
        left
    }
}

impl Activity {
    fn last(&self) -> Instant {
        *self.last.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Tracked {
    /// Whether the server has cut the connections off (so an end of stream may be the
    /// server's doing, not the client's).
    pub fn was_cut_off(&self) -> bool {
        self.owner.cut_off.load(Ordering::SeqCst)
    }

    /// Records that the client did something worth its place (sent a whole message):
    /// [`Connections::close_idlest`] closes the connection that did so least recently.
    pub fn touch(&self) {
        *self.activity.last.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    /// Whether [`Connections::close_idlest`] closed this connection to make room.
    pub fn was_closed_idle(&self) -> bool {
        self.activity.closed_idle.load(Ordering::SeqCst)
    }
}

impl Deref for Tracked {
    type Target = TcpStream;
    fn deref(&self) -> &TcpStream {
        &self.conn
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.owner.open().remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        server
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        (client, server)
    }

    #[test]
    fn a_connection_is_counted_until_its_handle_is_dropped() {
        let connections = Connections::new();
        let (_c1, s1) = pair();
        let (_c2, s2) = pair();
        let first = connections.track(s1);
        let second = connections.track(s2);
        assert_eq!(connections.count(), 2);
        drop(first);
        assert_eq!(connections.count(), 1);
        assert!(!second.was_cut_off());
        drop(second);
        assert_eq!(connections.count(), 0);
    }

    #[test]
    fn cut_off_wakes_a_blocked_reader_after_what_had_arrived_and_its_goodbye_gets_out() {
        let connections = Connections::new();
        let (mut client, server) = pair();
        let tracked = connections.track(server);
        client.write_all(b"in flight\n").unwrap();
        let reader = thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = [0u8; 64];
            // Reads until end of stream, which only the cut-off can cause here.
            loop {
                match (&*tracked).read(&mut buf).unwrap() {
                    0 => break,
                    n => got.extend_from_slice(&buf[..n]),
                }
            }
            assert!(tracked.was_cut_off());
            (&*tracked).write_all(b"bye\n").unwrap();
            got
        });
        // Most often the reader is blocked in read() by now; if it is not, SHUT_RD
        // makes its next read end the same way, so the test holds either way.
        thread::sleep(Duration::from_millis(100));
        let start = Instant::now();
        assert_eq!(connections.cut_off(Duration::from_secs(5)), 0);
        // It returned when the last connection closed, not at the end of the 5 s.
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(reader.join().unwrap(), b"in flight\n");
        let mut rest = Vec::new();
        client.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"bye\n");
    }

    #[test]
    fn close_idlest_closes_the_one_quiet_the_longest_and_it_stops_counting() {
        let connections = Connections::new();
        assert_eq!(connections.close_idlest(), None);
        let (mut c1, s1) = pair();
        let (_c2, s2) = pair();
        let (_c3, s3) = pair();
        let first = connections.track(s1);
        let second = connections.track(s2);
        let third = connections.track(s3);
        thread::sleep(Duration::from_millis(20));
        first.touch();
        third.touch();
        // The second connection has been quiet the longest: it goes.
        let closed = connections.close_idlest().unwrap();
        assert_eq!(closed.peer, Some(second.peer_addr().unwrap()));
        assert!(closed.idle >= Duration::from_millis(20), "{closed:?}");
        assert!(second.was_closed_idle() && !first.was_closed_idle());
        assert_eq!(connections.count(), 2);
        let mut buf = [0u8; 8];
        assert_eq!((&*second).read(&mut buf).unwrap(), 0, "end of stream");
        drop(second);
        assert_eq!(connections.count(), 2);
        // Then the first, touched before the third.
        connections.close_idlest().unwrap();
        assert!(first.was_closed_idle() && !third.was_closed_idle());
        assert_eq!(c1.read(&mut buf).unwrap(), 0, "the client sees the close");
    }

    #[test]
    fn cut_off_with_nothing_open_returns_at_once() {
        let start = Instant::now();
        assert_eq!(Connections::new().cut_off(Duration::from_secs(5)), 0);
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn cut_off_gives_up_on_a_thread_that_does_not_finish() {
        let connections = Connections::new();
        let (_client, server) = pair();
        let _held = connections.track(server); // nobody drops it
        let start = Instant::now();
        assert_eq!(connections.cut_off(Duration::from_millis(100)), 1);
        assert!(start.elapsed() < Duration::from_secs(2));
    }
}
