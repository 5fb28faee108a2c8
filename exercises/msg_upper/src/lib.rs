//! A request/reply server on one System V message queue. Every client sends its requests
//! as messages of type 1 (`REQUEST`), each starting with the client's process id; the
//! server answers each on a type of that client's own, the pid, so that a client waiting
//! with `msgrcv(..., pid, 0)` takes only its own replies, however many clients share the
//! queue.
//!
//! | message | `mtype` | `mtext` |
//! |---|---|---|
//! | request | `REQUEST` (1) | the client's pid (4 bytes, native order), then the text |
//! | reply | the client's pid | the text in upper case |

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The type every request is sent with; the server receives only this type.
pub const REQUEST: libc::c_long = 1;
/// The size of `mtext`: the longest message the programs send or receive.
pub const MTEXT: usize = 256;
/// The longest text of a request: `mtext` less the 4 bytes of the pid.
pub const MAX_TEXT: usize = MTEXT - 4;
/// The byte ftok() mixes into the key.
pub const PROJ: char = 'U';

/// struct msgbuf { long mtype; char mtext[MTEXT]; }, laid out as C lays it out. (Given.)
#[repr(C)]
pub struct MsgBuf {
    pub mtype: libc::c_long,
    pub mtext: [u8; MTEXT],
}

fn last_error(call: &str) -> io::Error {
    let err = io::Error::last_os_error();
    io::Error::new(err.kind(), format!("{call}: {err}"))
}

/// The queue named by `key_file` (ftok(key_file, 'U')): made if `create` (the server),
/// else it must exist (a client). Returns the msqid. (Given.)
pub fn open(key_file: &Path, create: bool) -> io::Result<libc::c_int> {
    let path = CString::new(key_file.as_os_str().as_bytes())
        .map_err(|_| io::Error::other("a path with a NUL byte"))?;
    // SAFETY: ftok reads the NUL-terminated path only.
    let key = unsafe { libc::ftok(path.as_ptr(), PROJ as libc::c_int) };
    if key == -1 {
        return Err(last_error(&format!("ftok {}", key_file.display())));
    }
    let flags = if create { 0o600 | libc::IPC_CREAT } else { 0 };
    // SAFETY: msgget takes integers only.
    let msqid = unsafe { libc::msgget(key, flags) };
    if msqid == -1 {
        let err = io::Error::last_os_error();
        if err.kind() == io::ErrorKind::NotFound {
            return Err(io::Error::new(
                err.kind(),
                "there is no queue for this key file; start the server first",
            ));
        }
        return Err(last_error("msgget"));
    }
    Ok(msqid)
}

/// msgctl(IPC_RMID): removes the queue; a server waiting in msgrcv wakes with EIDRM.
/// (Given.)
pub fn remove(msqid: libc::c_int) -> io::Result<()> {
    // SAFETY: IPC_RMID takes no buffer.
    if unsafe { libc::msgctl(msqid, libc::IPC_RMID, std::ptr::null_mut()) } == -1 {
        return Err(last_error("msgctl"));
    }
    Ok(())
}

/// A request's `mtext`: the pid, then the text. (Given.)
pub fn request_bytes(pid: u32, text: &[u8]) -> Vec<u8> {
    let mut bytes = pid.to_ne_bytes().to_vec();
    bytes.extend_from_slice(text);
    bytes
}

/// The pid and the text of a request's `mtext`, or None if it is too short. (Given.)
pub fn parse_request(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let (pid, text) = bytes.split_first_chunk::<4>()?;
    Some((u32::from_ne_bytes(*pid), text))
}

// ANCHOR: exercise
/// msgsnd: puts one message of type `mtype` holding `bytes` (at most MTEXT) into the
/// queue, waiting while the queue is full.
pub fn send(msqid: libc::c_int, mtype: libc::c_long, bytes: &[u8]) -> io::Result<()> {
    // TODO: fill a MsgBuf (mtype, and bytes at the start of mtext), then
    // libc::msgsnd(msqid, &raw const buf as *const libc::c_void, bytes.len(), 0).
    // The size counts the bytes of mtext only, not the mtype. -1 is an error;
    // EINTR (a signal came while waiting) means try again.
    let _ = (msqid, mtype, bytes);
    todo!("send")
}

/// msgrcv: takes the oldest message of type `mtype` out of the queue, waiting until
/// there is one, and returns its bytes.
pub fn receive(msqid: libc::c_int, mtype: libc::c_long) -> io::Result<Vec<u8>> {
    // TODO: libc::msgrcv(msqid, &raw mut buf as *mut libc::c_void, MTEXT, mtype, 0)
    // into a MsgBuf; it returns how many bytes of mtext it filled, or -1: retry on
    // EINTR, return any other error as io::Error::last_os_error() gives it (serve
    // needs its raw_os_error(): EIDRM when the queue is removed).
    let _ = (msqid, mtype);
    todo!("receive")
}

/// The server: takes requests (type REQUEST only: the replies waiting in the queue are
/// not the server's), answers each with its text in upper case on the type of the pid it
/// names; until the queue is removed (EIDRM, or EINVAL if it went between two calls).
/// Returns how many requests it answered. A request too short to hold a pid is skipped.
pub fn serve(msqid: libc::c_int) -> io::Result<u64> {
    // TODO: loop { receive(msqid, REQUEST); parse_request; send(msqid, pid as
    // c_long, &text.to_ascii_uppercase()) }. When receive fails with
    // raw_os_error() EIDRM or EINVAL, the queue is gone: return Ok(answered).
    let _ = msqid;
    todo!("serve")
}

/// A client's one question: sends `text` as a request naming this process's pid, and
/// waits for the reply on the type of that pid.
pub fn ask(msqid: libc::c_int, text: &[u8]) -> io::Result<Vec<u8>> {
    // TODO: let pid = std::process::id(); send a REQUEST holding
    // request_bytes(pid, text), then receive(msqid, pid as c_long).
    let _ = (msqid, text);
    todo!("ask")
}
// ANCHOR_END: exercise
