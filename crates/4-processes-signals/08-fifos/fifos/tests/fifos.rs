//! speak and tick against each other and against C programs that behave like Beej's,
//! meeting at the FIFO `american_maid` in a folder of their own.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::{Running, compile_c, run_command};

const SPEAK: &str = env!("CARGO_BIN_EXE_speak");
const TICK: &str = env!("CARGO_BIN_EXE_tick");

fn c_peer(name: &str) -> String {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/peers/{name}.c"));
    compile_c(&source, env!("CARGO_TARGET_TMPDIR"))
        .to_string_lossy()
        .into_owned()
}

/// A fresh, empty folder for one test: the FIFO is made there, under its default name.
fn folder(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fifo-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn start_in(dir: &Path, bin: &str) -> Running {
    let mut command = Command::new(bin);
    command.current_dir(dir);
    Running::spawn(command)
}

/// speak and tick meet at american_maid; each line typed arrives, then the end.
fn conversation(speak: &str, tick: &str, dir: &Path) {
    let mut reader = start_in(dir, tick);
    reader.expect_line("waiting for writers...");
    let mut writer = start_in(dir, speak);
    writer.expect_line("waiting for readers...");
    writer.expect_line("got a reader--type some stuff");
    reader.expect_line("got a writer");
    for (line, shown) in [
        ("hello", "tick: read 5 bytes: \"hello\""),
        (
            "Captain, the FIFO works",
            "tick: read 23 bytes: \"Captain, the FIFO works\"",
        ),
        ("", ""),
    ] {
        writer.type_in(format!("{line}\n").as_bytes());
        writer.expect_line(&format!("speak: wrote {} bytes", line.len()));
        // A write of 0 bytes sends nothing: tick has nothing to read.
        if !shown.is_empty() {
            reader.expect_line(shown);
        }
    }
    writer.close_stdin();
    assert_eq!(
        writer.wait_for_exit().code(),
        Some(0),
        "{}",
        writer.stderr_so_far()
    );
    // The writer closed its end: read() returns 0, and tick says so and ends.
    reader.expect_line("tick: read 0 bytes: \"\"");
    assert_eq!(
        reader.wait_for_exit().code(),
        Some(0),
        "{}",
        reader.stderr_so_far()
    );
    assert!(dir.join("american_maid").exists());
}

// ANCHOR: twins
#[test]
fn our_speak_talks_to_our_tick() {
    conversation(SPEAK, TICK, &folder("twins"));
}

#[test]
fn our_speak_talks_to_a_c_tick() {
    conversation(SPEAK, &c_peer("tick"), &folder("c-tick"));
}

#[test]
fn a_c_speak_talks_to_our_tick() {
    conversation(&c_peer("speak"), TICK, &folder("c-speak"));
}
// ANCHOR_END: twins

// ANCHOR: epipe
#[test]
fn when_the_reader_is_gone_our_speak_says_epipe_and_cs_dies_of_sigpipe() {
    for (speak, c) in [(SPEAK.to_owned(), false), (c_peer("speak"), true)] {
        let dir = folder(if c { "sigpipe-c" } else { "sigpipe" });
        let reader = start_in(&dir, TICK);
        let mut writer = start_in(&dir, &speak);
        writer.expect_line("waiting for readers...");
        writer.expect_line("got a reader--type some stuff");
        drop(reader); // killed: nobody holds the read end any more
        writer.type_in(b"anyone there?\n");
        let status = writer.wait_for_exit();
        if c {
            assert_eq!(status.signal(), Some(libc::SIGPIPE), "{status:?}");
        } else {
            assert_eq!(status.code(), Some(1), "{status:?}");
            assert_eq!(
                writer.stderr_so_far(),
                "speak: the reader has gone (EPIPE); start tick again\n"
            );
        }
    }
}
// ANCHOR_END: epipe

#[test]
fn a_file_that_is_not_a_fifo_is_refused_in_one_line() {
    let dir = folder("notfifo");
    std::fs::write(dir.join("american_maid"), b"a plain file").unwrap();
    for bin in [SPEAK, TICK] {
        let mut command = Command::new(bin);
        command.current_dir(&dir);
        let out = run_command(command, b"");
        assert_eq!(out.code(), Some(1), "{out:?}");
        let name = Path::new(bin).file_name().unwrap().to_string_lossy();
        assert_eq!(
            out.stderr,
            format!("{name}: american_maid exists and is not a FIFO; remove it or pass --fifo\n")
        );
    }
}
