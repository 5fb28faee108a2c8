//! Hidden: random counters and random adders at once; a Python program that maps the same
//! file (its own mmap module) writing values your program reads and reading what yours
//! adds; and a watcher that sees a plain write() to the file in its mapping.

use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use testkit::probe::Rng;
use testkit::{Running, require_tool, run, run_command};

const BIN: &str = env!("CARGO_BIN_EXE_mmap_counters");

struct CounterFile(PathBuf);

impl CounterFile {
    fn new(name: &str) -> CounterFile {
        let path = std::env::temp_dir().join(format!("hmmc-{name}-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        CounterFile(path)
    }

    fn arg(&self) -> &str {
        self.0.to_str().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let mut all = vec!["--file", self.arg()];
        all.extend_from_slice(args);
        let out = run(BIN, &all, b"");
        assert_eq!(out.code(), Some(0), "{all:?}: {out:?}");
        out.stdout
    }

    fn on_disk(&self) -> Vec<u64> {
        std::fs::read(&self.0)
            .unwrap()
            .chunks(8)
            .map(|c| u64::from_ne_bytes(c.try_into().unwrap()))
            .collect()
    }
}

impl Drop for CounterFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn show_of(values: &[u64]) -> String {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{i}: {v}\n"))
        .collect()
}

#[test]
fn random_adders_at_once_on_random_counters_add_up() {
    let file = CounterFile::new("random");
    let mut rng = Rng::new(0x6d6d_6170);
    let count = rng.range(3, 40);
    file.ok(&["init", &count.to_string()]);
    let mut expected = vec![0u64; count];
    // A hot counter every process adds to, and one random counter each.
    let hot = rng.range(0, count - 1);
    let mut children = Vec::new();
    for _ in 0..6 {
        for index in [hot, rng.range(0, count - 1)] {
            let delta = rng.range(1, 1_000) as u64;
            let times = rng.range(50_000, 200_000) as u64;
            expected[index] += delta * times;
            let child = Command::new(BIN)
                .args(["--file", file.arg(), "add", &index.to_string()])
                .args(["--delta", &delta.to_string(), "--times", &times.to_string()])
                .stdout(Stdio::null())
                .spawn()
                .unwrap();
            children.push(child);
        }
    }
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_eq!(
        file.on_disk(),
        expected,
        "the file after 12 adders (counter {hot} had 6)"
    );
    assert_eq!(file.ok(&["show"]), show_of(&expected));
}

/// Sets counters through Python's own mmap of the file, from argv pairs INDEX=VALUE;
/// then prints every counter as it reads them through the mapping.
const PYTHON_PEER: &str = "import mmap, os, struct, sys
fd = os.open(sys.argv[1], os.O_RDWR)
m = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
for pair in sys.argv[2:]:
    i, v = (int(x) for x in pair.split('='))
    m[8 * i:8 * i + 8] = struct.pack('=Q', v)
m.flush()
for i in range(len(m) // 8):
    print(f'{i}: {struct.unpack_from(\"=Q\", m, 8 * i)[0]}')
";

#[test]
fn a_python_program_mapping_the_same_file_and_yours_see_each_others_counters() {
    let python = require_tool("python3");
    let file = CounterFile::new("python");
    let mut rng = Rng::new(0x7079_6d6d);
    let count = rng.range(2, 12);
    file.ok(&["init", &count.to_string()]);
    let mut expected = vec![0u64; count];
    let mut pairs = Vec::new();
    for (i, value) in expected.iter_mut().enumerate() {
        if rng.chance(70) {
            *value = rng.u64() >> 8;
            pairs.push(format!("{i}={value}"));
        }
    }
    let mut command = Command::new(&python);
    command.args(["-c", PYTHON_PEER, file.arg()]).args(&pairs);
    let out = run_command(command, b"");
    assert_eq!(out.code(), Some(0), "{out:?}");
    assert_eq!(
        file.ok(&["show"]),
        show_of(&expected),
        "what Python wrote, as yours reads it"
    );
    let index = rng.range(0, count - 1);
    let delta = rng.range(1, 999) as u64;
    assert_eq!(
        file.ok(&["add", &index.to_string(), "--delta", &delta.to_string()]),
        format!("counter {index} is {}\n", expected[index] + delta)
    );
    expected[index] += delta;
    let mut command = Command::new(&python);
    command.args(["-c", PYTHON_PEER, file.arg()]);
    let out = run_command(command, b"");
    assert_eq!(
        out.stdout,
        show_of(&expected),
        "what yours added, as Python reads it"
    );
}

#[test]
fn a_watcher_sees_a_plain_write_to_the_file() {
    let file = CounterFile::new("pwrite");
    let mut rng = Rng::new(0x7761_7463);
    let count = rng.range(2, 20);
    let index = rng.range(0, count - 1);
    let target = rng.u64() >> 4;
    file.ok(&["init", &count.to_string()]);
    let mut command = Command::new(BIN);
    command.args(["--file", file.arg(), "watch", &index.to_string()]);
    command.args(["--until", &target.to_string()]);
    let mut watcher = Running::spawn(command);
    watcher.expect_line(&format!("watching counter {index} (now 0)"));
    // pwrite(): the page cache the watcher's mapping shows is the file's.
    let disk = std::fs::OpenOptions::new()
        .write(true)
        .open(&file.0)
        .unwrap();
    disk.write_all_at(&target.to_ne_bytes(), 8 * index as u64)
        .unwrap();
    watcher.expect_line(&format!("counter {index} reached {target}"));
    assert_eq!(watcher.wait_for_exit().code(), Some(0));
}
