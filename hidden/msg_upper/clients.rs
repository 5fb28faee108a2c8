//! Hidden: six clients at once with random lines; the test itself as a client laid out as
//! C lays a message out (random bytes, types of its choosing, a message of another type
//! left waiting); and the test as the server of the student's client.

use std::ffi::CString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use testkit::probe::Rng;
use testkit::{PATIENCE, Running};

const BIN: &str = env!("CARGO_BIN_EXE_msg_upper");
const MTEXT: usize = 256;

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hmsgq-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The queue of a folder, removed when the guard is dropped.
struct Guard(libc::key_t);

impl Guard {
    fn new(dir: &Path) -> Guard {
        let path = CString::new(dir.as_os_str().as_bytes()).unwrap();
        // SAFETY: ftok reads the NUL-terminated path only.
        let key = unsafe { libc::ftok(path.as_ptr(), 'U' as libc::c_int) };
        assert_ne!(key, -1);
        Guard(key)
    }

    /// msgget(key, flags), or None.
    fn id(&self, flags: libc::c_int) -> Option<libc::c_int> {
        // SAFETY: msgget takes integers only.
        let id = unsafe { libc::msgget(self.0, flags) };
        (id != -1).then_some(id)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(id) = self.id(0) {
            // SAFETY: IPC_RMID takes no buffer.
            unsafe { libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
        }
    }
}

#[repr(C)]
struct MsgBuf {
    mtype: libc::c_long,
    mtext: [u8; MTEXT],
}

fn send(id: libc::c_int, mtype: libc::c_long, bytes: &[u8]) {
    let mut buf = MsgBuf {
        mtype,
        mtext: [0; MTEXT],
    };
    buf.mtext[..bytes.len()].copy_from_slice(bytes);
    // SAFETY: a live msgbuf with bytes.len() bytes of mtext.
    let rc = unsafe { libc::msgsnd(id, (&raw const buf).cast(), bytes.len(), libc::IPC_NOWAIT) };
    assert_eq!(rc, 0, "msgsnd: {}", std::io::Error::last_os_error());
}

/// The next message of type `mtype`, polled without waiting (bounded by PATIENCE).
fn receive(id: libc::c_int, mtype: libc::c_long) -> Option<(libc::c_long, Vec<u8>)> {
    let deadline = Instant::now() + PATIENCE;
    let mut buf = MsgBuf {
        mtype: 0,
        mtext: [0; MTEXT],
    };
    while Instant::now() < deadline {
        // SAFETY: a live msgbuf with MTEXT bytes of mtext.
        let n = unsafe {
            libc::msgrcv(
                id,
                (&raw mut buf).cast(),
                MTEXT,
                mtype,
                libc::IPC_NOWAIT | libc::MSG_NOERROR,
            )
        };
        if n >= 0 {
            return Some((buf.mtype, buf.mtext[..n as usize].to_vec()));
        }
        thread::sleep(Duration::from_millis(5));
    }
    None
}

fn server(dir: &Path) -> Running {
    let mut command = Command::new(BIN);
    command.arg("serve").arg("--key-file").arg(dir);
    let server = Running::spawn(command);
    let line = server.next_line().unwrap_or_default();
    assert!(
        line.starts_with("serving queue "),
        "{line:?}: {}",
        server.stderr_so_far()
    );
    server
}

/// A random line of printable ASCII, 0 to 252 bytes (the longest that fits).
fn random_line(rng: &mut Rng) -> String {
    let len = if rng.chance(10) {
        252
    } else {
        rng.range(0, 120)
    };
    (0..len)
        .map(|_| char::from(b' ' + (rng.u64() % 95) as u8))
        .collect()
}

#[test]
fn six_clients_at_once_with_random_lines_each_get_their_own_replies() {
    let dir = folder("six");
    let _queue = Guard::new(&dir);
    let _server = server(&dir);
    let mut rng = Rng::new(0x6d73_6771);
    let inputs: Vec<String> = (0..6)
        .map(|_| {
            let n = rng.range(20, 60);
            (0..n).map(|_| random_line(&mut rng) + "\n").collect()
        })
        .collect();
    let clients: Vec<_> = inputs
        .iter()
        .map(|input| {
            let mut child = Command::new(BIN)
                .arg("ask")
                .arg("--key-file")
                .arg(&dir)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stdin = child.stdin.take().unwrap();
            let input = input.clone();
            thread::spawn(move || {
                let _ = stdin.write_all(input.as_bytes());
            });
            child
        })
        .collect();
    for (i, child) in clients.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "client {i}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            inputs[i].to_ascii_uppercase(),
            "client {i} of 6 did not get exactly its own replies, in order"
        );
    }
}

#[test]
fn the_server_answers_a_c_layout_client_on_its_type_and_leaves_other_types_alone() {
    let dir = folder("clayout");
    let queue = Guard::new(&dir);
    let _server = server(&dir);
    let id = queue
        .id(0)
        .expect("the server made no queue for its key file");
    // A message of a type nobody asks for: the server must not take it.
    let bystander = b"not a request".to_vec();
    send(id, 7, &bystander);
    let mut rng = Rng::new(0x5eed_c1a0);
    for round in 0..40 {
        let pid = 100_000 + rng.u32() % 1_000_000_000;
        // Any bytes, NUL and non-ASCII included; lowercase letters become uppercase.
        let len = rng.range(0, MTEXT - 4);
        let text = rng.bytes(len);
        let mut request = pid.to_ne_bytes().to_vec();
        request.extend_from_slice(&text);
        send(id, 1, &request);
        let (mtype, reply) = receive(id, libc::c_long::from(pid)).unwrap_or_else(|| {
            panic!("round {round}: no reply of type {pid} (the pid in the request)")
        });
        assert_eq!(mtype, libc::c_long::from(pid));
        assert_eq!(
            reply,
            text.to_ascii_uppercase(),
            "round {round}: {} bytes of text",
            text.len()
        );
    }
    assert_eq!(
        receive(id, 7),
        Some((7, bystander)),
        "the message of type 7 was taken: the server should receive type 1 only"
    );
}

#[test]
fn the_client_names_its_pid_and_prints_the_reply_of_that_type() {
    let dir = folder("client");
    let queue = Guard::new(&dir);
    // The test is the server: it makes the queue and answers with tokens of its own.
    let id = queue.id(0o600 | libc::IPC_CREAT).unwrap();
    let mut rng = Rng::new(0xc11e_4e55);
    let lines: Vec<String> = (0..12).map(|_| rng.word(1, 40)).collect();
    let mut client = Command::new(BIN)
        .arg("ask")
        .arg("--key-file")
        .arg(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = client.id();
    let mut stdin = client.stdin.take().unwrap();
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut expected = String::new();
    for line in &lines {
        let (_, request) = receive(id, 1).expect("no request (type 1) from the client");
        assert_eq!(
            &request[..4],
            &pid.to_ne_bytes(),
            "the request does not start with the client's pid"
        );
        assert_eq!(&request[4..], line.as_bytes(), "the request's text");
        // A decoy on another type first: the client must wait for its own.
        send(id, libc::c_long::from(pid) + 1, b"decoy");
        let answer = format!("{}-{}", rng.u32(), line.len());
        send(id, libc::c_long::from(pid), answer.as_bytes());
        expected.push_str(&answer);
        expected.push('\n');
        assert_eq!(
            receive(id, libc::c_long::from(pid) + 1).map(|m| m.1),
            Some(b"decoy".to_vec())
        );
    }
    let out = client.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}
