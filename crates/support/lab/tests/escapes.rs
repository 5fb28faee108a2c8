//! Submissions that try to get out of the sandbox, graded for real.
//!
//! Each attack is a small file in `tests/escapes/` that takes the place of one exercise's
//! `main.rs` (or joins its library as `attack.rs`); the rest of that exercise is as
//! handed out. Every attack must score exactly what the untouched exercise scores (0),
//! the report must show that it was stopped, and the honest exercises graded in the same
//! submission (after the attacks, in course order) must keep full marks:
//!
//! | attack                                        | exercise         | file                      |
//! |-----------------------------------------------|------------------|---------------------------|
//! | exec any `showip` under the course (verify's build, another submission's) | showip | exec_a_course_binary.rs |
//! | read solutions/ and hidden/, absolute and relative, and the scratch copy of the hidden tests | tcp_upper_client | read_the_answers.rs |
//! | connect to this machine's own address; take a port the machine listens on | http_client | leave_the_network.rs |
//! | allocate 8 GiB; kill the parent and `kill(-1)`, before main and in each test | pack | eat_memory.rs |
//! | fill the disk (every folder it might write)   | wire             | fill_the_disk.rs          |
//!
//! (The fork bomb is in `tests/grade.rs`.) The same submission graded with
//! `--unsafe-no-sandbox` shows that the harmless attacks do work without the sandbox: the
//! exec scores full marks, the answers are in the report, the connection arrives.

use std::fs;
use std::io::Read;
use std::net::{IpAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

mod common;
use common::root;

use serde_json::Value;

const LAB: &str = env!("CARGO_BIN_EXE_lab");

/// Honest exercises graded with the attacks, after them in course order.
const CONTROLS: [&str; 2] = ["smtp_client", "udp_pinger"];

/// Copies `from` (a `src/` folder) to exercise `name` of the submission `dir`.
fn put(dir: &Path, name: &str, from: &Path) -> PathBuf {
    let to = dir.join("exercises").join(name).join("src");
    fs::create_dir_all(&to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
    }
    to
}

fn solved(dir: &Path, name: &str) {
    put(dir, name, &root().join("solutions").join(name).join("src"));
}

/// Exercise `name` as handed out, with the attack `file` (placeholders filled in) as its
/// `src/main.rs`, or, for a library, as `src/attack.rs` called where `todo!` was.
fn attack(dir: &Path, name: &str, file: &str, fill: &[(&str, String)]) {
    let src = put(dir, name, &root().join("exercises").join(name).join("src"));
    let mut code = fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/escapes")
            .join(file),
    )
    .unwrap();
    for (key, value) in fill {
        code = code.replace(key, value);
    }
    if src.join("main.rs").exists() {
        fs::write(src.join("main.rs"), code).unwrap();
    } else {
        fs::write(src.join("attack.rs"), code).unwrap();
        let lib = fs::read_to_string(src.join("lib.rs")).unwrap();
        let todo = regex::Regex::new(r#"todo!\("[^"]*"\)"#).unwrap();
        let lib = todo.replace_all(&lib, "crate::attack::strike()");
        fs::write(src.join("lib.rs"), format!("{lib}\nmod attack;\n")).unwrap();
    }
}

struct Graded {
    table: String,
    stderr: String,
    report: String,
    json: Value,
}

impl Graded {
    fn points(&self, name: &str) -> f64 {
        self.json["exercises"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in the report:\n{}", self.table))["points"]
            .as_f64()
            .unwrap()
    }

    /// Everything the report says, for the evidence.
    fn says(&self, what: &str) -> bool {
        self.report.contains(what) || self.table.contains(what)
    }
}

fn grade(dir: &Path, only: &[&str], extra: &[&str]) -> Graded {
    let json = dir.join("report.json");
    let mut command = Command::new(LAB);
    command
        .arg("--root")
        .arg(root())
        .args(["grade", "--submission"])
        .arg(dir)
        .arg("--json")
        .arg(&json)
        .args(["--time-limit", "10", "--seed", "7"])
        .args(extra);
    for name in only {
        command.args(["--only", name]);
    }
    let out = command.output().unwrap();
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{table}\n{stderr}");
    let report = fs::read_to_string(&json).unwrap();
    let json = serde_json::from_str(&report).unwrap();
    println!("{table}");
    Graded {
        table,
        stderr,
        report,
        json,
    }
}

/// One of this machine's own IPv4 addresses other than loopback, if it has one.
fn own_address() -> Option<IpAddr> {
    let mut found = None;
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list`, freed below; an entry's address is read as the
    // type its family says.
    unsafe {
        if libc::getifaddrs(&mut list) != 0 {
            return None;
        }
        let mut entry = list;
        while !entry.is_null() {
            let address = (*entry).ifa_addr;
            if !address.is_null() && i32::from((*address).sa_family) == libc::AF_INET {
                let a = &*(address as *const libc::sockaddr_in);
                let ip = std::net::Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
                if !ip.is_loopback() && !ip.is_link_local() {
                    found = Some(IpAddr::V4(ip));
                }
            }
            entry = (*entry).ifa_next;
        }
        libc::freeifaddrs(list);
    }
    found
}

/// Files named `escape-fill-*` under `dir` (a few levels down).
fn fill_files(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with("escape-fill-")
        {
            found.push(path);
        } else if depth > 0 && entry.file_type().is_ok_and(|t| t.is_dir()) {
            fill_files(&path, depth - 1, found);
        }
    }
}

#[test]
fn every_escape_scores_what_an_empty_submission_scores() {
    if !testkit::needs_root("the grader's sandbox needs root") {
        return;
    }
    let course = root();
    let base = std::env::temp_dir().join(format!("lab-escapes-{}", std::process::id()));
    let _ = fs::remove_dir_all(&base);

    // 1. An honest showip and the controls: full marks in the sandbox. The showip graded
    // here is then built again where another submission's build would be (the grader
    // removes what it built from a submission once it has graded it).
    let honest = base.join("honest");
    for name in ["showip"].iter().chain(&CONTROLS) {
        solved(&honest, name);
    }
    let mut only = vec!["showip"];
    only.extend(CONTROLS);
    let graded = grade(&honest, &only, &[]);
    for name in &only {
        assert_eq!(graded.points(name), 10.0, "{name}:\n{}", graded.table);
    }
    let other = course.join("target/lab/build-grade-other-submission/debug");
    // The scratch copy still holds the honest submission's sources.
    let built = Command::new(env!("CARGO"))
        .args([
            "build",
            "--quiet",
            "--bins",
            "-p",
            "showip",
            "--manifest-path",
        ])
        .arg(course.join("target/lab/grade/exercises/Cargo.toml"))
        .env("CARGO_TARGET_DIR", other.parent().unwrap())
        .output()
        .unwrap();
    assert!(
        built.status.success() && other.join("showip").is_file(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );

    // 2. The attacks, and the same controls.
    let host = own_address();
    let listener = TcpListener::bind("0.0.0.0:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let arrived = Arc::new(AtomicUsize::new(0));
    {
        let (listener, arrived) = (listener.try_clone().unwrap(), Arc::clone(&arrived));
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                arrived.fetch_add(1, Ordering::SeqCst);
                let _ = std::io::Write::write_all(&mut &conn, b"the machine's own service\n");
            }
        });
    }
    let submission = base.join("attacks");
    let fill = [
        ("@COURSE@", course.display().to_string()),
        (
            "@HOST@",
            host.map_or("127.0.0.2".to_owned(), |h| h.to_string()),
        ),
        ("@PORT@", port.to_string()),
    ];
    let attacks = [
        ("showip", "exec_a_course_binary.rs"),
        ("tcp_upper_client", "read_the_answers.rs"),
        ("http_client", "leave_the_network.rs"),
        ("pack", "eat_memory.rs"),
        ("wire", "fill_the_disk.rs"),
    ];
    for (name, file) in attacks {
        attack(&submission, name, file, &fill);
    }
    for name in CONTROLS {
        solved(&submission, name);
    }
    let mut only: Vec<&str> = attacks.iter().map(|(name, _)| *name).collect();
    only.extend(CONTROLS);
    let graded = grade(&submission, &only, &[]);
    let table = &graded.table;
    for (name, _) in attacks {
        assert_eq!(graded.points(name), 0.0, "{name} gained points:\n{table}");
    }
    for name in CONTROLS {
        assert_eq!(graded.points(name), 10.0, "{name}:\n{table}");
    }

    // exec: the program found nothing to become.
    assert!(
        graded.says("EXEC: no other showip that works"),
        "{}",
        graded.report
    );
    // read: nothing of the answers, by any path.
    let solution =
        fs::read_to_string(course.join("solutions/tcp_upper_client/src/lib.rs")).unwrap();
    let hidden = fs::read_to_string(course.join("hidden/tcp_upper_client/long_lines.rs")).unwrap();
    let secret = |text: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.len() > 30 && !l.starts_with("//"))
            .unwrap()
            .to_owned()
    };
    assert!(solution.contains("read_exact"));
    for snippet in [
        "stream.read_exact(&mut reply)?;".to_owned(),
        secret(&hidden),
    ] {
        assert!(!graded.says(&snippet), "{snippet} is in the report");
    }
    // The judge package with the hidden tests' sources is not in the sandbox's view.
    assert!(
        graded.says("READ: 20 of 20 paths not found"),
        "{}",
        graded.report
    );
    // network: unreachable; the port was free inside, and nothing arrived outside.
    if let Some(host) = host {
        assert!(
            graded.says(&format!(
                "NET connect {host}:{port}: Network is unreachable"
            )),
            "{}",
            graded.report
        );
    }
    assert!(
        graded.says(&format!("NET connect 127.0.0.1:{port}: Connection refused")),
        "{}",
        graded.report
    );
    for host in ["127.0.0.1", "0.0.0.0"] {
        assert!(graded.says(&format!("NET bind {host}:{port}: bound")));
    }
    assert_eq!(arrived.load(Ordering::SeqCst), 0, "a connection got out");
    let mut greeting = String::new();
    let mut conn = TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    conn.read_to_string(&mut greeting).ok();
    assert_eq!(
        greeting, "the machine's own service\n",
        "the port is still ours"
    );
    // memory: stopped, and the report says which limit.
    assert!(
        graded.says("hit the memory limit (1024 MiB of address space per process)"),
        "{table}"
    );
    assert!(!graded.says("MEMORY: took"), "{}", graded.report);
    // kill: the parent is the grader, another user; kill(-1) reached no one else.
    assert!(
        graded.says("KILL parent: -1 (Operation not permitted (os error 1))"),
        "{}",
        graded.report
    );
    // disk: stopped at the caps; nothing of it anywhere on the machine afterwards.
    for stop in [
        "File too large (os error 27)",
        "No space left on device (os error 28)",
    ] {
        assert!(graded.says(stop), "{stop}:\n{}", graded.report);
    }
    let mut left = Vec::new();
    for dir in [
        std::env::temp_dir(),
        PathBuf::from("/var/tmp"),
        course.join("target/lab"),
    ] {
        fill_files(&dir, 6, &mut left);
    }
    assert!(left.is_empty(), "left behind: {left:?}");
    // kill: the grader lived on to grade the controls after pack (see above).
    assert!(!graded.stderr.contains("panicked"), "{}", graded.stderr);

    // 3. Without the sandbox, the same attacks get somewhere.
    let open = grade(
        &submission,
        &["showip", "tcp_upper_client", "http_client"],
        &["--unsafe-no-sandbox"],
    );
    assert!(open.table.contains("--unsafe-no-sandbox"), "{}", open.table);
    // The first showip it finds may be the lecture's, which answers some of the
    // exercise's tests differently: any points at all show the exec got somewhere.
    assert!(open.points("showip") > 0.0, "{}", open.table);
    assert!(
        open.says("stream.read_exact(&mut reply)?;"),
        "{}",
        open.report
    );
    assert!(
        open.says(&format!("NET bind 0.0.0.0:{port}: Address already in use")),
        "{}",
        open.report
    );
    assert!(arrived.load(Ordering::SeqCst) > 0, "{}", open.report);

    fs::remove_dir_all(other.parent().unwrap()).unwrap();
    fs::remove_dir_all(&base).unwrap();
}
