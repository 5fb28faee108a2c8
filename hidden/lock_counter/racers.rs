//! Hidden: eight writers at once with random counts, two of them Python programs taking
//! the same fcntl lock (fcntl.lockf); and readers that never see a half-written count.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use testkit::{noise, require_tool};

const COUNTER: &str = env!("CARGO_BIN_EXE_lock_counter");

struct Counter(PathBuf);

impl Counter {
    fn new(name: &str) -> Counter {
        let path = std::env::temp_dir().join(format!("hcounter-{name}-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        Counter(path)
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for Counter {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Python's fcntl.lockf is a wrapper around fcntl(F_SETLKW): the same lock.
const PYTHON_ADDER: &str = "import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
for _ in range(int(sys.argv[2])):
    fcntl.lockf(fd, fcntl.LOCK_EX)
    os.lseek(fd, 0, 0)
    text = os.read(fd, 100).decode().strip()
    count = int(text) if text else 0
    time.sleep(0.0002)
    os.lseek(fd, 0, 0)
    os.ftruncate(fd, 0)
    os.write(fd, f'{count + 1}\\n'.encode())
    fcntl.lockf(fd, fcntl.LOCK_UN)
";

#[test]
fn eight_writers_with_random_counts_and_two_python_peers_lose_nothing() {
    let python = require_tool("python3");
    let counter = Counter::new("eight");
    let counts: Vec<u64> = noise(8, 31337)
        .iter()
        .map(|b| 5 + u64::from(*b) % 30)
        .collect();
    let children: Vec<_> = counts
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let mut command = if i % 4 == 3 {
                let mut c = Command::new(&python);
                c.args(["-c", PYTHON_ADDER, counter.arg(), &n.to_string()]);
                c
            } else {
                let mut c = Command::new(COUNTER);
                c.args(["--file", counter.arg(), "--add", &n.to_string()]);
                c.args(["--pause-us", "200"]);
                c
            };
            command.stdout(Stdio::null()).spawn().unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let total: u64 = counts.iter().sum();
    assert_eq!(
        std::fs::read_to_string(&counter.0).unwrap(),
        format!("{total}\n"),
        "counts added: {counts:?}"
    );
}

#[test]
fn a_reader_never_sees_a_count_go_back() {
    let counter = Counter::new("readers");
    std::fs::write(&counter.0, "1\n").unwrap();
    let writers: Vec<_> = (0..3)
        .map(|_| {
            Command::new(COUNTER)
                .args(["--file", counter.arg(), "--add", "60"])
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut last = 0;
    for _ in 0..60 {
        let out = Command::new(COUNTER)
            .args(["--file", counter.arg()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let seen: u64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("not a count: {out:?}"));
        assert!(
            seen >= last,
            "a reader saw {seen} after {last}: a half-written file?"
        );
        last = seen;
    }
    for mut writer in writers {
        assert!(writer.wait().unwrap().success());
    }
    assert_eq!(std::fs::read_to_string(&counter.0).unwrap(), "181\n");
}
