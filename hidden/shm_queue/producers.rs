//! Hidden: two producers at once (the mutex), and messages of every length (the slots).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use testkit::{Running, noise};

const BIN: &str = env!("CARGO_BIN_EXE_shm_queue");

fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hq-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Removes the queue of `dir` when dropped.
struct Guard(libc::key_t);

impl Guard {
    fn new(dir: &Path) -> Guard {
        let path = CString::new(dir.as_os_str().as_bytes()).unwrap();
        // SAFETY: ftok reads the NUL-terminated path only.
        Guard(unsafe { libc::ftok(path.as_ptr(), 'Q' as libc::c_int) })
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        // SAFETY: shmget/semget take integers; IPC_RMID takes no buffer.
        unsafe {
            let shm = libc::shmget(self.0, 0, 0);
            if shm != -1 {
                libc::shmctl(shm, libc::IPC_RMID, std::ptr::null_mut());
            }
            let sem = libc::semget(self.0, 0, 0);
            if sem != -1 {
                libc::semctl(sem, 0, libc::IPC_RMID);
            }
        }
    }
}

fn start(dir: &Path, args: &[&str]) -> Running {
    let mut command = Command::new(BIN);
    command.args(args).arg("--key-file").arg(dir);
    Running::spawn(command)
}

/// A random lowercase word of 1 to 40 letters.
fn word(seed: u64) -> String {
    let bytes = noise(41, seed);
    let len = 1 + usize::from(bytes[0]) % 40;
    bytes[1..=len]
        .iter()
        .map(|b| char::from(b'a' + b % 26))
        .collect()
}

#[test]
fn two_producers_at_once_lose_nothing_and_mix_nothing() {
    let dir = folder("two");
    let _queue = Guard::new(&dir);
    let mut consumer = start(&dir, &["consume", "--producers", "2"]);
    let mut inputs = Vec::new();
    let mut producers = Vec::new();
    for p in 0..2u64 {
        let text: String = (0..300)
            .map(|i| format!("p{p} {i} {}\n", word(p * 1000 + i)))
            .collect();
        let mut producer = start(&dir, &["produce"]);
        producer.type_in(text.as_bytes());
        producer.close_stdin();
        producers.push(producer);
        inputs.push(text);
    }
    let got = consumer.remaining_lines();
    for mut producer in producers {
        assert_eq!(producer.wait_for_exit().code(), Some(0));
    }
    assert_eq!(consumer.wait_for_exit().code(), Some(0));
    assert_eq!(got.len(), 600, "lines were lost or doubled");
    for (p, text) in inputs.iter().enumerate() {
        let tag = format!("p{p} ");
        let theirs: Vec<&str> = got
            .iter()
            .map(String::as_str)
            .filter(|l| l.starts_with(&tag))
            .collect();
        let sent: Vec<&str> = text.lines().collect();
        assert_eq!(theirs, sent, "producer {p}'s lines, in its order");
    }
}

#[test]
fn messages_of_every_length_come_out_whole() {
    let dir = folder("lengths");
    let _queue = Guard::new(&dir);
    let mut consumer = start(&dir, &["consume"]);
    let mut producer = start(&dir, &["produce"]);
    // Lines from 0 to 600 bytes: one slot, exactly a slot, several slots.
    let text: String = [0usize, 1, 252, 253, 254, 255, 300, 507, 508, 600]
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let body: String = noise(n, i as u64)
                .iter()
                .map(|b| char::from(b'a' + b % 26))
                .collect();
            format!("{body}\n")
        })
        .collect();
    producer.type_in(text.as_bytes());
    producer.close_stdin();
    let got = consumer.remaining_lines();
    assert_eq!(producer.wait_for_exit().code(), Some(0));
    let sent: Vec<&str> = text.lines().collect();
    assert_eq!(got, sent);
}
