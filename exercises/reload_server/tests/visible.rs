//! reload_server as a black box: clients over TCP, signals sent with kill(2), the greeting
//! file changed on disk between them.

use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use testkit::Server;

const SERVER: &str = env!("CARGO_BIN_EXE_reload_server");

/// A greeting file of this test's own, removed at the end.
struct Greeting(PathBuf);

impl Greeting {
    fn new(name: &str, text: &str) -> Greeting {
        let path = std::env::temp_dir().join(format!("reload-{name}-{}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        Greeting(path)
    }

    fn set(&self, text: &str) {
        std::fs::write(&self.0, text).unwrap();
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Greeting {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// What a client receives: everything until the server closes.
fn greeting_from(server: &Server) -> String {
    let mut conn = server.connect();
    let mut text = String::new();
    conn.read_to_string(&mut text).expect("read the greeting");
    text
}

#[test]
fn sighup_reloads_the_greeting_and_the_server_goes_on() {
    let file = Greeting::new("hup", "hello, first edition\n");
    let mut server = Server::start(SERVER, &["--port", "0", "--greeting", file.arg()]);
    assert_eq!(greeting_from(&server), "hello, first edition\n");
    // A changed file changes nothing until SIGHUP.
    file.set("hello, second edition\nand a line nobody sees\n");
    assert_eq!(greeting_from(&server), "hello, first edition\n");
    server.signal(libc::SIGHUP);
    server.wait_for_stderr("reloaded");
    assert_eq!(greeting_from(&server), "hello, second edition\n");
    assert!(server.is_running(), "SIGHUP must not stop the server");
}

#[test]
fn sigterm_stops_it_with_status_0() {
    let file = Greeting::new("term", "hi\n");
    let mut server = Server::start(SERVER, &["--port", "0", "--greeting", file.arg()]);
    assert_eq!(greeting_from(&server), "hi\n");
    server.signal(libc::SIGTERM);
    let status = server.wait_for_exit();
    assert_eq!(status.code(), Some(0), "{}", server.stderr_so_far());
    assert!(
        server.stderr_so_far().contains("stopping on SIGTERM"),
        "stderr: {}",
        server.stderr_so_far()
    );
}

#[test]
fn a_signal_that_comes_while_the_server_is_busy_is_not_lost() {
    let file = Greeting::new("busy", "hi\n");
    let mut server = Server::start(
        SERVER,
        &["--port", "0", "--greeting", file.arg(), "--work-ms", "1000"],
    );
    // The greeting comes before the second of work: the signal lands outside poll().
    assert_eq!(greeting_from(&server), "hi\n");
    let sent = Instant::now();
    server.signal(libc::SIGINT);
    let status = server.wait_for_exit();
    assert_eq!(status.code(), Some(0), "{}", server.stderr_so_far());
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "stopped {:?} after the signal",
        sent.elapsed()
    );
    assert!(server.stderr_so_far().contains("stopping on SIGINT"));
}
