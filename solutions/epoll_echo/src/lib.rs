//! A line echo server as an event loop: one thread, non-blocking sockets, epoll. Each
//! complete line a client sends comes back to it as it was; a line whose newline has not
//! arrived yet waits in the client's inbox, and replies the socket will not take yet wait
//! in its outbox.

//> #[allow(unused_imports)] // Read and Write: for your code
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};

//> #[allow(unused_imports)] // EpollEvent: for your code
use nix::sys::epoll::{Epoll, EpollEvent, EpollFlags};

/// How much one `read` takes: one chunk per client per round. (Given.)
pub const CHUNK: usize = 64 * 1024;

/// The longest unfinished line a client may leave in its inbox; past it, it is dropped.
/// (Given.)
pub const MAX_LINE: usize = 64 * 1024;

/// One connected client: all the server keeps between two events. (Given.)
pub struct Client {
    pub conn: TcpStream,
    pub peer: SocketAddr,
    /// The start of a line whose newline has not arrived yet.
    pub inbox: Vec<u8>,
    /// Whole lines the socket would not take yet. While it holds anything, the client is
    /// watched for writing instead of reading, and not read from.
    pub outbox: Vec<u8>,
    /// The client has closed its sending side (`read` returned 0): once the outbox is
    /// sent, the server closes the connection.
    pub finished: bool,
}

/// What became of a client after an event. (Given.)
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Open,
    Closed,
}

impl Client {
    /// A client just accepted, its socket already non-blocking. (Given.)
    pub fn new(conn: TcpStream, peer: SocketAddr) -> Client {
        Client {
            conn,
            peer,
            inbox: Vec::new(),
            outbox: Vec::new(),
            finished: false,
        }
    }

    /// The events to wait for: readable while nothing waits to be sent, writable while
    /// something does. (Given.)
    pub fn interest(&self) -> EpollFlags {
        if self.outbox.is_empty() {
            EpollFlags::EPOLLIN
        } else {
            EpollFlags::EPOLLOUT
        }
    }
}

/// EAGAIN (`WouldBlock`) says "not now", EINTR says "try again": neither is a failure.
/// (Given.)
pub fn is_transient(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted)
}

// ANCHOR: exercise
/// Adds `data`, just read, to the client's unfinished line in `inbox`, and moves every
/// complete line (up to and including its last `\n`) from `inbox` to the end of
/// `outbox`. What follows the last newline stays in `inbox`. If that unfinished line is
/// now longer than [`MAX_LINE`], returns an error of kind `InvalidData`.
pub fn take_lines(inbox: &mut Vec<u8>, data: &[u8], outbox: &mut Vec<u8>) -> io::Result<()> {
    //> // TODO: append data to inbox; find the last b'\n' in it; move everything up to
    //> // and including it to outbox (Vec::drain). If what is left is longer than
    //> // MAX_LINE, return io::Error::new(ErrorKind::InvalidData, "...").
    //> let _ = (inbox, data, outbox);
    //> todo!("take_lines")
    // lab:solution
    inbox.extend_from_slice(data);
    if let Some(last) = inbox.iter().rposition(|&b| b == b'\n') {
        outbox.extend(inbox.drain(..=last));
    }
    if inbox.len() > MAX_LINE {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            format!("a line longer than {MAX_LINE} bytes"),
        ));
    }
    Ok(())
    // lab:end
}

/// The client's socket, registered in `epoll` with `token`, is ready (level-triggered).
///
/// - If its outbox is empty: `read` once into `buf`. 0 bytes: the client has finished
///   sending; its unfinished line, if any, goes to the outbox as it is. Some bytes: they
///   go through [`take_lines`].
/// - Then, if the outbox holds anything: `write` once, and remove what was sent from it.
/// - A finished client whose outbox is empty is [`Step::Closed`].
/// - If [`Client::interest`] changed, tell epoll (`EPOLL_CTL_MOD`, the same token).
///
/// `WouldBlock` and `Interrupted` are no failures (see [`is_transient`]); any other error
/// is returned, and the caller closes the connection.
pub fn serve(epoll: &Epoll, token: u64, client: &mut Client, buf: &mut [u8]) -> io::Result<Step> {
    //> // TODO: remember client.interest(); if the outbox is empty, read once (0: finished,
    //> // the inbox goes to the outbox; n: take_lines). If the outbox is not empty, write
    //> // once and drain what was sent. Finished and nothing left to send: Closed. If the
    //> // interest changed: epoll.modify(&client.conn, &mut EpollEvent::new(now, token)).
    //> let _ = (epoll, token, client, buf);
    //> todo!("serve")
    // lab:solution
    let before = client.interest();
    if client.outbox.is_empty() {
        // recv(): what has arrived, at most one chunk. If more is waiting, level-triggered
        // epoll reports the socket again next round, after the other ready clients.
        match client.conn.read(buf) {
            Ok(0) => {
                client.finished = true;
                client.outbox.append(&mut client.inbox);
            }
            Ok(n) => take_lines(&mut client.inbox, &buf[..n], &mut client.outbox)?,
            Err(e) if is_transient(&e) => return Ok(Step::Open),
            Err(e) => return Err(e),
        }
    }
    if !client.outbox.is_empty() {
        // send() on a non-blocking socket takes what fits, maybe less than all.
        match client.conn.write(&client.outbox) {
            Ok(sent) => {
                client.outbox.drain(..sent);
            }
            Err(e) if is_transient(&e) => {}
            Err(e) => return Err(e),
        }
    }
    if client.finished && client.outbox.is_empty() {
        return Ok(Step::Closed);
    }
    let now = client.interest();
    if now != before {
        // epoll_ctl(EPOLL_CTL_MOD): replies backed up (wait for writable) or drained
        // (wait for readable again).
        epoll.modify(&client.conn, &mut EpollEvent::new(now, token))?;
    }
    Ok(Step::Open)
    // lab:end
}
// ANCHOR_END: exercise
