//! Where connections wait, and the threads that serve them.
//!
//! A connection that is waiting for bytes (a head that has not ended, a body on its way,
//! a keep-alive connection between requests) holds no thread: it sits in an epoll set,
//! with its buffer in a table. The workers all wait in `epoll_wait` on that one set; the
//! kernel hands each connection that has bytes to exactly one of them (EPOLLONESHOT), which
//! reads what is there without waiting, answers the request if it is whole, and puts the
//! connection back. A clock thread closes the connections whose time is up.

use std::collections::HashMap;
use std::io::{self, ErrorKind};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::socket::{MsgFlags, send};

use crate::answer::{Reply, answer, send_error};
use crate::conn::{Conn, Next};
use crate::{Config, MAX_REQUESTS_PER_CONNECTION, SlotGuard, Status, error_page, stopping};

/// How often the clock looks for connections whose time is up.
const TICK: Duration = Duration::from_millis(50);

/// The table of waiting connections is split in this many parts, each with its own lock,
/// so that workers putting back different connections rarely wait for each other.
const SHARDS: usize = 16;

/// The connections waiting for bytes, and the configuration every worker reads.
pub struct Server {
    pub config: Config,
    epoll: Epoll,
    /// Every waiting connection, by token (in the part `token % SHARDS`). A connection a
    /// worker is serving is not here: it belongs to that worker until it is put back.
    waiting: [Mutex<HashMap<u64, Conn>>; SHARDS],
    next_token: AtomicU64,
}

/// EPOLLIN: tell us when there are bytes (or the client closed). EPOLLONESHOT: tell one
/// worker, once; the connection is silent in the set until it is armed again.
fn readable_once(token: u64) -> EpollEvent {
    EpollEvent::new(EpollFlags::EPOLLIN | EpollFlags::EPOLLONESHOT, token)
}

impl Server {
    /// epoll_create1(): an empty set.
    pub fn new(config: Config) -> io::Result<Server> {
        Ok(Server {
            config,
            epoll: Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?,
            waiting: std::array::from_fn(|_| Mutex::new(HashMap::new())),
            next_token: AtomicU64::new(1),
        })
    }

    /// The part of the table where the connection `token` waits, locked.
    fn waiting(&self, token: u64) -> MutexGuard<'_, HashMap<u64, Conn>> {
        self.waiting[token as usize % SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    // ANCHOR: add
    /// A connection just accepted joins the set: from now on it waits for its first head
    /// without holding a thread.
    pub fn add(&self, stream: TcpStream, peer: SocketAddr, slot: SlotGuard) -> io::Result<()> {
        // A worker's send may block for at most --timeout (SO_SNDTIMEO). TCP_NODELAY: a
        // response goes out at once, even while the previous one is not acknowledged.
        stream.set_write_timeout(Some(self.config.timeout))?;
        stream.set_nodelay(true)?;
        let mut conn = Conn::new(stream, peer, slot, self.config.timeout);
        conn.token = self.next_token.fetch_add(1, Ordering::Relaxed);
        let mut waiting = self.waiting(conn.token);
        // epoll_ctl(EPOLL_CTL_ADD)
        self.epoll.add(&conn.stream, readable_once(conn.token))?;
        waiting.insert(conn.token, conn);
        Ok(())
    }
    // ANCHOR_END: add

    /// Back into the set, armed for its next bytes. Its part of the table is locked until
    /// the connection is armed, so the clock cannot close it in between (and its descriptor
    /// number cannot go to a new connection that we would then arm by mistake).
    fn put_back(&self, conn: Conn) {
        let mut waiting = self.waiting(conn.token);
        // epoll_ctl(EPOLL_CTL_MOD)
        match self
            .epoll
            .modify(&conn.stream, &mut readable_once(conn.token))
        {
            Ok(()) => {
                waiting.insert(conn.token, conn);
            }
            Err(e) => eprintln!("{}: dropped: epoll_ctl: {e}", conn.peer),
        }
    }

    // ANCHOR: worker
    /// A worker: wait for a connection with bytes, serve it, again. Many workers wait on
    /// the same set; each ready connection wakes only one of them.
    pub fn work(&self) {
        let mut events = [EpollEvent::empty(); 1];
        loop {
            // epoll_wait(): sleeps until some connection in the set has bytes.
            match self.epoll.wait(&mut events, EpollTimeout::NONE) {
                Ok(0) | Err(Errno::EINTR) => continue,
                Ok(_) => {}
                Err(e) => {
                    eprintln!("epoll_wait failed: {e}; this worker stops");
                    return;
                }
            }
            // Gone already if the clock closed it a moment ago.
            let token = events[0].data();
            let taken = self.waiting(token).remove(&token);
            if let Some(conn) = taken {
                self.serve(conn);
            }
        }
    }
    // ANCHOR_END: worker

    // ANCHOR: serve
    /// Reads what arrived, answers every whole request in it, and puts the connection
    /// back to wait for more; or closes it.
    fn serve(&self, mut conn: Conn) {
        match conn.receive() {
            Ok(0) => return self.end(conn, Ending::Closed),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
            Err(e) => return self.end(conn, Ending::Dropped(e)),
        }
        loop {
            match conn.next(&self.config) {
                Next::More if stopping() && conn.idle() => {
                    return self.end(conn, Ending::Idle);
                }
                Next::More => return self.put_back(conn),
                Next::Continue => {
                    // The head was fine: tell the client to send its body (RFC 9110 §10.1.1).
                    let go_ahead = b"HTTP/1.1 100 Continue\r\n\r\n";
                    if let Err(e) = std::io::Write::write_all(&mut &conn.stream, go_ahead) {
                        return self.end(conn, Ending::Dropped(e));
                    }
                }
                Next::Refuse(status, line) => {
                    self.log(&conn, &line, status);
                    conn.served += 1;
                    // After a malformed request the server cannot know where the next
                    // one would start: answer, and close.
                    return match send_error(&conn.stream, status, false, true, &self.config) {
                        Ok(_) => self.end(conn, Ending::Refused(status)),
                        Err(e) => self.end(conn, Ending::Dropped(e)),
                    };
                }
                Next::Request(request, body, line) => {
                    let last = !request.keep_alive()
                        || conn.served + 1 >= MAX_REQUESTS_PER_CONNECTION
                        || stopping();
                    let reply = answer(&conn.stream, &request, &body, &self.config, last);
                    conn.served += 1;
                    match reply {
                        Ok(Reply { status, close }) => {
                            self.log(&conn, &line, status);
                            if close {
                                let ok = status == Status::Ok || last;
                                let ending = if ok {
                                    Ending::Done
                                } else {
                                    Ending::Refused(status)
                                };
                                return self.end(conn, ending);
                            }
                            conn.wait_for_next(self.config.timeout);
                        }
                        Err(e) => return self.end(conn, Ending::Dropped(e)),
                    }
                }
            }
        }
    }
    // ANCHOR_END: serve

    // ANCHOR: clock
    /// The clock: every [`TICK`], close the connections whose time is up. One that sent
    /// part of a request gets 408 first; an idle one is closed without a word. While the
    /// server stops, idle connections are closed at once.
    pub fn clock(&self) {
        loop {
            thread::sleep(TICK);
            let now = Instant::now();
            let stop = stopping();
            let mut expired: Vec<Conn> = Vec::new();
            for part in 0..SHARDS as u64 {
                let mut waiting = self.waiting(part);
                let due: Vec<u64> = waiting
                    .values()
                    .filter(|c| c.deadline <= now || (stop && c.idle()))
                    .map(|c| c.token)
                    .collect();
                expired.extend(due.iter().filter_map(|t| waiting.remove(t)));
            }
            for mut conn in expired {
                if conn.started() {
                    conn.served += 1;
                    self.log(&conn, "-", Status::RequestTimeout);
                    // Without waiting: a client that does not read gets nothing.
                    let page = error_page(Status::RequestTimeout);
                    let response = format!(
                        "{}{page}",
                        crate::answer::Head::new(Status::RequestTimeout)
                            .with("Content-Type", "text/html; charset=utf-8")
                            .with("Content-Length", &page.len().to_string())
                            .with("Connection", "close")
                            .render()
                    );
                    let flags = MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL;
                    let _ = send(conn.stream.as_raw_fd(), response.as_bytes(), flags);
                    self.end(conn, Ending::Refused(Status::RequestTimeout));
                } else {
                    self.end(conn, Ending::Idle);
                }
            }
        }
    }
    // ANCHOR_END: clock

    fn log(&self, conn: &Conn, line: &str, status: Status) {
        if !self.config.quiet {
            eprintln!("{} \"{line}\" {}", conn.peer, status.code());
        }
    }

    /// Closes the connection (dropping it closes the socket, which also takes it out of
    /// the epoll set, and gives its slot back) and logs how it ended.
    fn end(&self, conn: Conn, how: Ending) {
        let (peer, n) = (conn.peer, conn.served);
        if self.config.quiet && !matches!(how, Ending::Dropped(_)) {
            return;
        }
        match how {
            Ending::Done | Ending::Closed => eprintln!("{peer}: closed after {n} request(s)"),
            Ending::Idle => eprintln!("{peer}: idle, closed after {n} request(s)"),
            Ending::Refused(status) => eprintln!(
                "{peer}: closed after {n} request(s), the last one {}",
                status.code()
            ),
            Ending::Dropped(e) => eprintln!("{peer}: dropped: {e}"),
        }
    }
}

/// How a connection ended, for the log.
enum Ending {
    /// The last response said `Connection: close` (asked for, or the request limit).
    Done,
    /// The client closed its side.
    Closed,
    /// Nothing arrived in time, or the server is stopping: closed without a word.
    Idle,
    /// Closed after an error response (400, 408, 413, ...).
    Refused(Status),
    /// A send or receive failed (reset, timeout).
    Dropped(io::Error),
}
