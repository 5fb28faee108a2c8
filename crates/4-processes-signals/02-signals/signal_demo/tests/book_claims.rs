//! What the signals chapter says a handler must not do, shown: println! in a handler.
//! The chapter names this test after the claim: `(tested: `book_claims::…`)`.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use testkit::PATIENCE;

const SIGNAL_DEMO: &str = env!("CARGO_BIN_EXE_signal_demo");

/// `signal_demo print-in-handler | head -n 3`: when the reader has gone, the write(2)
/// inside main's println! raises SIGPIPE, and the handler's own println! runs while
/// main's is still in progress. It does not hang (stdout's lock lets the same thread in
/// again); it finds the buffer behind the lock borrowed and panics, and a panic cannot
/// unwind out of an `extern "C"` handler: the program aborts (SIGABRT). The signal comes
/// from the write itself, so it lands inside println! every time.
#[test]
fn println_in_a_signal_handler_panics_and_aborts_the_program() {
    let mut demo = Command::new(SIGNAL_DEMO)
        .arg("print-in-handler")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start signal_demo");
    let mut head = BufReader::new(demo.stdout.take().unwrap());
    for n in 1..=3 {
        let mut line = String::new();
        head.read_line(&mut line).unwrap();
        assert_eq!(line, format!("line {n}\n"));
    }
    drop(head); // as `head -n 3` exits

    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = demo.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            demo.kill().unwrap();
            demo.wait().unwrap();
            panic!("signal_demo print-in-handler did not end: it hangs");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut stderr = String::new();
    demo.stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.signal(), Some(libc::SIGABRT), "{status:?}\n{stderr}");
    assert!(stderr.contains("already borrowed"), "{stderr}");
    assert!(
        stderr.contains("panic in a function that cannot unwind"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("SIGPIPE!"),
        "the handler printed: {stderr}"
    );
}
