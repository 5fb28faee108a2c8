//! How the course tests its programs: as black boxes.
//!
//! A test starts the real binary (`env!("CARGO_BIN_EXE_name")`) with `--port 0`, reads the
//! readiness line to learn the port, and talks to it over loopback. Every wait has a limit,
//! and whatever a test starts is killed (with its whole process group, so the children of
//! a forking server go too) when the test ends, pass or fail.

mod procfs;

pub use procfs::{ProcStat, TcpSocket, children_of, open_fds, proc_stat, tcp_sockets};

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::ops::{Deref, DerefMut};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

pub mod probe;
mod running;
pub mod tools;
pub use running::{Running, compile_c};
pub use tools::{require_python_module, require_tool};

/// The longest any single step of a test may wait: a read, a connect, a program start.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// How long, after a program has exited, its last output may take to be collected.
const OUTPUT_DRAIN: Duration = Duration::from_secs(2);

/// A server started for one test and killed when the test ends.
///
/// It is a [`Running`] program (so `stderr_so_far`, `wait_for_stderr`, `signal`, `pid`,
/// `wait_for_exit` all work on it) that has printed its readiness line.
pub struct Server {
    running: Running,
    /// The address from the readiness line.
    pub addr: SocketAddr,
}

impl Server {
    // ANCHOR: start
    /// Starts `bin` with `args` and waits for `listening on ADDR`.
    pub fn start(bin: &str, args: &[&str]) -> Server {
        let mut command = Command::new(bin);
        command.args(args);
        Server::spawn(command)
    }
    // ANCHOR_END: start

    /// Like [`Server::start`] for a command the test has set up itself. The server's stdin
    /// is empty (/dev/null): a server reads from its clients, not from the terminal.
    pub fn spawn(command: Command) -> Server {
        let running = Running::spawn_with_stdin(command, Stdio::null());
        let first = running.next_line();
        let addr = first
            .as_deref()
            .and_then(|line| line.strip_prefix("listening on "))
            .and_then(|addr| addr.parse().ok());
        let Some(addr) = addr else {
            panic!(
                "{} did not print `listening on ADDR` (first line: {first:?}); stderr:\n{}",
                running.description(),
                running.stderr_so_far()
            );
        };
        Server { running, addr }
    }

    /// A TCP connection to the server, with read and write timeouts set.
    pub fn connect(&self) -> TcpStream {
        connect(self.addr)
    }

    /// A UDP socket on the same loopback, connected to the server, with a read timeout.
    pub fn udp_peer(&self) -> UdpSocket {
        let local = if self.addr.is_ipv6() {
            "[::1]:0"
        } else {
            "127.0.0.1:0"
        };
        let socket = UdpSocket::bind(local).expect("bind a UDP socket on loopback");
        socket.connect(self.addr).expect("connect the UDP socket");
        socket.set_read_timeout(Some(PATIENCE)).unwrap();
        socket
    }

    /// The next line the server prints on stdout after its readiness line.
    pub fn next_stdout_line(&self) -> Option<String> {
        self.running.next_line()
    }
}

impl Deref for Server {
    type Target = Running;
    fn deref(&self) -> &Running {
        &self.running
    }
}

impl DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Running {
        &mut self.running
    }
}

/// A TCP connection to `addr` with read and write timeouts of [`PATIENCE`].
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, PATIENCE)
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
    stream.set_read_timeout(Some(PATIENCE)).unwrap();
    stream.set_write_timeout(Some(PATIENCE)).unwrap();
    stream
}

/// Reads until the peer closes (bounded by the read timeout) and returns everything read.
pub fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    stream
        .read_to_end(&mut all)
        .unwrap_or_else(|e| panic!("reading until the server closed: {e} (got {all:?} so far)"));
    all
}

/// Sends all of `bytes` and then end of stream (`shutdown(SHUT_WR)`) from a second thread,
/// while this one reads until the server closes; returns what was read.
///
/// For a stream larger than the socket buffers: sending it all before reading would
/// leave both sides blocked, each waiting for the other to read.
pub fn send_while_reading(conn: TcpStream, bytes: &[u8]) -> Vec<u8> {
    let mut writer = conn
        .try_clone()
        .expect("clone the connection for the sender");
    let to_send = bytes.to_vec();
    let sending = thread::spawn(move || {
        writer.write_all(&to_send).expect("send the whole stream");
        writer
            .shutdown(std::net::Shutdown::Write)
            .expect("shut down the sending side");
    });
    let mut reader = conn;
    let received = read_to_close(&mut reader);
    sending.join().expect("the sending thread");
    received
}

/// What a finished program did.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// The exit code (`None` when a signal ended the program).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }
}

/// Runs `bin` to the end with `stdin` as its input; fails the test if it takes too long.
pub fn run(bin: &str, args: &[&str], stdin: &[u8]) -> Finished {
    let mut command = Command::new(bin);
    command.args(args);
    run_command(command, stdin)
}

/// Like [`run`] for a command the test has set up itself.
pub fn run_command(mut command: Command, stdin: &[u8]) -> Finished {
    shield();
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    // A program may exit before reading all its input; that is its business, not an error.
    thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let stdout = Collected::start(child.stdout.take().unwrap());
    let stderr = Collected::start(child.stderr.take().unwrap());
    let Some(status) = wait_bounded(&mut child, PATIENCE) else {
        kill_group(&mut child);
        panic!(
            "{command:?} did not finish within {PATIENCE:?}; stdout so far:\n{}\nstderr so far:\n{}",
            stdout.text(),
            stderr.text()
        );
    };
    // Anything the program forked may still hold the pipes open: the wait is bounded.
    stdout.wait_for_end(OUTPUT_DRAIN);
    stderr.wait_for_end(OUTPUT_DRAIN);
    Finished {
        status,
        stdout: stdout.text(),
        stderr: stderr.text(),
    }
}

/// Makes this process (the test) undumpable, once, before it starts a program.
///
/// The program a test starts runs as the same user as the test. As a dumpable process,
/// the test would be at its mercy: the program could open `/proc/TEST/fd/1` and write a
/// fake "1 passed" where the grader reads the test's output, or attach to the test with
/// ptrace and make it exit with status 0. An undumpable process's `/proc/PID/fd` and
/// `/proc/PID/mem` belong to root, and ptrace refuses to attach to it (without
/// CAP_SYS_PTRACE), so all the program can still do to the test is kill it, which is a
/// failure. The flag is the process's own: the programs started after it (a new `exec`)
/// are dumpable again, and nothing else changes for the test.
pub(crate) fn shield() {
    static SHIELD: std::sync::Once = std::sync::Once::new();
    SHIELD.call_once(|| {
        // SAFETY: prctl(PR_SET_DUMPABLE, 0) changes one flag of this process; it takes no
        // pointers.
        let done = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) };
        assert_eq!(
            done,
            0,
            "prctl(PR_SET_DUMPABLE): {}",
            std::io::Error::last_os_error()
        );
    });
}

/// Whether this process runs as root (some tests drop privileges to see what users see).
pub fn running_as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The words that start the line [`needs_root`] writes, which `cargo xtask test` counts.
pub const NOT_RUN_WITHOUT_ROOT: &str = "not run here (needs root):";

/// Whether a test that needs root can go on. As root: true. Otherwise the test is not run:
/// it says so in one line, `not run here (needs root): TEST: WHY`, and the caller returns.
/// The line goes straight to stderr, past the test harness's capture (which keeps a passing
/// test's `eprintln!` to itself), so every run shows it and `cargo xtask test` counts it.
pub fn needs_root(why: &str) -> bool {
    if running_as_root() {
        return true;
    }
    let test = thread::current().name().unwrap_or("a test").to_owned();
    let line = format!("{NOT_RUN_WITHOUT_ROOT} {test}: {why}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    false
}

fn lines_of(source: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(source).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

/// What a program writes to one of its pipes, gathered by a thread as it comes.
#[derive(Clone)]
pub(crate) struct Collected(Arc<(Mutex<Vec<u8>>, AtomicBool)>);

impl Collected {
    /// Reads `source` to its end in a thread of its own.
    fn start(mut source: impl Read + Send + 'static) -> Collected {
        let collected = Collected(Arc::new((Mutex::new(Vec::new()), AtomicBool::new(false))));
        let filling = collected.clone();
        thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = source.read(&mut chunk) {
                filling.0.0.lock().unwrap().extend_from_slice(&chunk[..n]);
            }
            filling.0.1.store(true, Ordering::Release);
        });
        collected
    }

    /// Everything so far, as text (bytes that are not UTF-8 become U+FFFD).
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.0.lock().unwrap()).into_owned()
    }

    /// Waits (at most `limit`) until the pipe has been read to its end: after a program
    /// exits, the last of its output may still be on its way to the reading thread.
    pub(crate) fn wait_for_end(&self, limit: Duration) {
        let deadline = Instant::now() + limit;
        while !self.0.1.load(Ordering::Acquire) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(2));
        }
    }
}

fn wait_bounded(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("waitpid") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

fn kill_group(child: &mut Child) {
    // The child leads its own process group (process_group(0) above), so this reaches
    // anything it forked as well.
    let group = child.id() as libc::pid_t;
    // SAFETY: kill has no memory-safety preconditions; at worst the group is already gone.
    unsafe {
        libc::kill(-group, libc::SIGKILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A loopback TCP port where nothing listens, and nothing will while the tests run.
///
/// A socket of this test process keeps the port: bound, never listening, so a connection
/// to it is refused, and no other test (or program) can bind it in the meantime.
pub fn closed_port() -> u16 {
    static HELD: Mutex<Vec<socket2::Socket>> = Mutex::new(Vec::new());
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
        .expect("create a socket");
    let any_port: SocketAddr = "127.0.0.1:0".parse().unwrap();
    socket.bind(&any_port.into()).expect("bind a loopback port");
    let port = socket.local_addr().unwrap().as_socket().unwrap().port();
    HELD.lock().unwrap().push(socket);
    port
}

/// A loopback UDP port where nothing receives, and nothing will while the tests run.
///
/// A socket of this test process keeps the port, bound and *connected* to another port of
/// its own: the kernel hands such a socket only datagrams from that one peer, so a
/// datagram from anyone else finds no receiver and is answered with ICMP "port
/// unreachable" (ECONNREFUSED for a connected sender), while no other test can bind the
/// port in the meantime.
pub fn closed_udp_port() -> u16 {
    static HELD: Mutex<Vec<UdpSocket>> = Mutex::new(Vec::new());
    let peer = UdpSocket::bind("127.0.0.1:0").expect("bind a loopback UDP port");
    let holder = UdpSocket::bind("127.0.0.1:0").expect("bind a loopback UDP port");
    holder
        .connect(peer.local_addr().unwrap())
        .expect("connect the UDP socket");
    let port = holder.local_addr().unwrap().port();
    HELD.lock().unwrap().extend([holder, peer]);
    port
}

/// A pseudo-random byte stream, the same for the same seed (xorshift; no dependency).
pub fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// The path of another program of the workspace, built beside `own_binary`.
///
/// Cargo tells a test only where its own package's binaries are; the others are built in
/// the same folder by `cargo test` at the root of the workspace.
pub fn sibling_binary(own_binary: &str, name: &str) -> String {
    let path = std::path::Path::new(own_binary).with_file_name(name);
    assert!(
        path.is_file(),
        "{} is not built; run `cargo test` at the root of the workspace (or `cargo build -p {name}` first)",
        path.display()
    );
    path.to_string_lossy().into_owned()
}

/// The file name of the program at `bin` (`tcp_upper_pool_server`), for failure messages.
pub fn binary_name(bin: &str) -> String {
    std::path::Path::new(bin)
        .file_name()
        .unwrap_or_else(|| panic!("{bin:?} is not the path of a program"))
        .to_string_lossy()
        .into_owned()
}

/// Runs `check` on each of `programs` (binaries of the workspace, found beside
/// `own_binary`), every one of them even when an earlier one fails; then fails, naming each
/// program that failed. A program that is not built fails the test: nothing is skipped.
pub fn check_each(own_binary: &str, programs: &[&str], check: impl Fn(&str)) {
    let mut failed = Vec::new();
    for name in programs {
        let path = sibling_binary(own_binary, name);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&path)));
        if outcome.is_err() {
            failed.push(*name);
        }
    }
    assert!(
        failed.is_empty(),
        "failed for {failed:?} (of {programs:?}); their panic messages are above"
    );
}

/// Sends `signal` to process `pid` (a negative `pid` names a process group).
pub fn send_signal(pid: i32, signal: libc::c_int) {
    // SAFETY: kill has no memory-safety preconditions.
    let rc = unsafe { libc::kill(pid, signal) };
    assert_eq!(
        rc,
        0,
        "kill({pid}, {signal}): {}",
        std::io::Error::last_os_error()
    );
}

/// The start-up mistake every server must report in one line (CONVENTIONS.md, "Command
/// lines"): `bin`, started with `args` and `--port PORT` on a port already taken, exits
/// with status 1 and says exactly that, in the words every server shares.
pub fn assert_port_in_use_error(bin: &str, port: impl std::fmt::Display, args: &[&str]) {
    let port = port.to_string();
    let mut all = args.to_vec();
    all.extend(["--port", &port]);
    let out = run(bin, &all, b"");
    let name = binary_name(bin);
    assert_eq!(out.code(), Some(1), "{name}: {out:?}");
    assert_eq!(
        out.stdout, "",
        "{name} printed a readiness line it could not keep"
    );
    assert_eq!(
        out.stderr,
        format!("{name}: port {port} is already in use; stop the other server or pass --port\n"),
    );
}

mod wire;
pub use wire::{Conversation, show};

/// Closes `conn` the rude way: with SO_LINGER set to zero, close() sends a reset (RST)
/// instead of a FIN, and whatever was still unsent is thrown away. That is what a client
/// that crashes, or a cable that is pulled, looks like to a server.
pub fn reset(conn: TcpStream) {
    socket2::SockRef::from(&conn)
        .set_linger(Some(Duration::ZERO))
        .expect("set SO_LINGER to zero");
    drop(conn);
}
