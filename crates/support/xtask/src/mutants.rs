//! `cargo xtask mutants`: how well the tests pin the shared and protocol code down,
//! measured with cargo-mutants.
//!
//! cargo-mutants changes the code one small way at a time (a `<` becomes `<=`, a function
//! returns `Default::default()`, a `!` disappears) and runs the tests on each change, a
//! *mutant*. A mutant the tests notice is *caught*; one they pass is *missed*: behaviour no
//! test pins down. Each target below is run on its own, one crate at a time, and its score
//! is `caught / (caught + missed)`. A missed mutant that cannot change what anybody could
//! observe (an *equivalent* mutant) is listed, with the reason, in
//! `mutants-equivalent.txt` beside this crate's manifest and is not counted again.
//!
//! netkit is used by nearly every program of the course, and some of its code (the accept
//! loop, the shutdown on a signal) is exercised by its users' tests rather than its own.
//! Its mutants are first run against its own tests; those still missed are run again
//! against the tests of the programs named in [`Target::users`] as well
//! (`--test-package`), and the two runs count together.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::Value;

/// One run of cargo-mutants: a package, the files of it that are mutated, and where the
/// tests that may catch the mutants come from.
pub struct Target {
    /// The package (also the name in the report and of the output folder).
    pub package: &'static str,
    /// Globs of the files mutated, from the workspace's root.
    pub files: &'static [&'static str],
    /// Why these files, in a few words (shown in the report).
    pub why: &'static str,
    /// Packages whose tests also count, in a second run over what the package's own tests
    /// missed.
    pub users: &'static [&'static str],
    /// Packages whose tests run with the package's own in every run, because those
    /// tests need their programs built (testkit's `sibling_binary`).
    pub with: &'static [&'static str],
    /// Passed on to `cargo test` (after `--`).
    pub test_args: &'static [&'static str],
    /// Longest a build or test of one mutant may take, in seconds: a few times what the
    /// tests take unmutated, as a mutant that makes them hang costs this much.
    pub timeout: u64,
    /// Mutants left out (cargo-mutants' `--exclude-re`, matched against the names that
    /// `cargo mutants --list` shows), for code that the tests run here cannot reach.
    pub exclude_re: &'static [&'static str],
}

/// The timeout of the second run, with the users' tests (about 30 s unmutated).
const USERS_TIMEOUT: u64 = 240;

/// The lowest score a target may have.
pub const FLOOR: f64 = 0.90;

/// What is measured. Tooling crates (lab's sandbox, the book's checks) and the lecture
/// programs that are one `main.rs` of socket calls are left out: the first are tested by
/// running real graders, the second by their black-box tests, and a mutant of a socket call
/// mostly shows up as a hang, which costs a timeout each.
pub const TARGETS: &[Target] = &[
    Target {
        package: "netkit",
        timeout: 45,
        files: &["crates/support/netkit/src/*.rs"],
        why: "all of it: every program shares it",
        // What netkit's own tests cannot reach is the process around it: the exit on
        // `--help`, the readiness line on stdout (tcp_upper_server's tests), the grace
        // period's log and the accept loop out of descriptors (smtp_server's). Their
        // tests take about 15 s.
        users: &["tcp_upper_server", "smtp_server"],
        with: &[],
        test_args: &[],
        exclude_re: &[],
    },
    Target {
        package: "pack",
        timeout: 30,
        files: &["crates/3-sockets-api/06-pack/pack/src/*.rs"],
        why: "all of it: the encoders, decoders and framing",
        users: &[],
        with: &[],
        test_args: &[],
        exclude_re: &[],
    },
    Target {
        package: "http_server",
        timeout: 60,
        files: &[
            "crates/5-protocols/03-http-server/http_server/src/request.rs",
            "crates/5-protocols/03-http-server/http_server/src/form.rs",
            "crates/5-protocols/03-http-server/http_server/src/chunked.rs",
        ],
        why: "the parsers: what the server accepts, and which status it answers",
        users: &[],
        with: &[],
        test_args: &[],
        exclude_re: &[],
    },
    Target {
        package: "http_get",
        timeout: 30,
        files: &["crates/5-protocols/02-http-get/http_get/src/lib.rs"],
        why: "the client's URL and response parsing",
        users: &[],
        // Its tests fetch pages from the course's own server.
        with: &["http_server"],
        test_args: &[],
        exclude_re: &[],
    },
    Target {
        package: "smtp_server",
        timeout: 60,
        files: &["crates/5-protocols/04-smtp/smtp_server/src/lib.rs"],
        why: "the protocol's state machine and its replies",
        users: &[],
        with: &[],
        test_args: &[],
        exclude_re: &[],
    },
    Target {
        package: "irc_server",
        timeout: 150,
        files: &[
            "crates/5-protocols/05-irc/irc_server/src/message.rs",
            "crates/5-protocols/05-irc/irc_server/src/lib.rs",
        ],
        why: "message parsing and the commands' replies",
        users: &[],
        with: &[],
        test_args: &[],
        exclude_re: &[],
    },
    Target {
        package: "chat_server",
        timeout: 60,
        files: &["crates/2-many-clients/02-chat/chat_server/src/lib.rs"],
        why: "the chat's line handling and backlog bounds",
        users: &[],
        with: &[],
        test_args: &[],
        exclude_re: &[],
    },
    Target {
        package: "lab",
        timeout: 60,
        files: &[
            "crates/support/lab/src/grade/judge.rs",
            "crates/support/lab/src/grade/probe.rs",
            "crates/support/lab/src/grade/score.rs",
            "crates/support/lab/src/grade/report.rs",
        ],
        why: "the grader's verdicts: judge, probe comparisons, points, report",
        users: &[],
        // The unit tests hold the judge's cases; the integration tests grade whole
        // courses in the sandbox (minutes each), which no mutant run can afford.
        with: &[],
        test_args: &["--bin", "lab"],
        // The functions that run the instructor's programs and the student's probe as
        // processes: tested by grading real exercises (tests/grade.rs), not here.
        exclude_re: &[
            r"grade/probe\.rs:\d+:\d+: replace (expected|observe|run_trusted|case_lines) ->",
            r"grade/probe\.rs:.* in (expected|observe|run_trusted|case_lines)$",
        ],
    },
];

/// How the run is made.
pub struct Options {
    /// Targets to run (package names); all when empty.
    pub only: Vec<String>,
    /// Longest a test of one mutant may take, in seconds (each target's own by default).
    pub timeout: Option<u64>,
    /// Mutants built and tested at once (each in a copy of the tree).
    pub jobs: u32,
    /// Run again only what the last run did not catch (cargo-mutants' `--iterate`).
    pub iterate: bool,
    /// Where the report goes.
    pub report: PathBuf,
    /// Run nothing: read the last runs' outcomes again and write the report.
    pub report_only: bool,
}

/// Runs every chosen target, writes the report, and says whether each met its floor.
pub fn run(root: &Path, options: &Options) -> Result<bool, String> {
    let chosen: Vec<&Target> = TARGETS
        .iter()
        .filter(|t| options.only.is_empty() || options.only.iter().any(|o| o == t.package))
        .collect();
    if let Some(unknown) = options
        .only
        .iter()
        .find(|o| !TARGETS.iter().any(|t| t.package == o.as_str()))
    {
        let names: Vec<&str> = TARGETS.iter().map(|t| t.package).collect();
        return Err(format!(
            "no target named {unknown}; the targets are {}",
            names.join(", ")
        ));
    }
    let equivalents = Equivalents::read(&root.join(EQUIVALENTS))?;
    let version = if options.report_only {
        "outcomes of the last runs".to_owned()
    } else {
        ensure_installed()?
    };
    let out_root = root.join("target/mutants");
    let mut scores = Vec::new();
    let mut failed = Vec::new();
    for target in chosen {
        eprintln!("cargo xtask mutants: {} ...", target.package);
        // A crate that cannot be measured is reported, and the others are still run.
        match measure(root, target, &out_root, &equivalents, options) {
            Ok(score) => {
                eprintln!("cargo xtask mutants: {}", score.summary());
                scores.push(score);
            }
            Err(message) => {
                eprintln!("cargo xtask mutants: {}: {message}", target.package);
                failed.push(format!("{}: {message}", target.package));
            }
        }
    }
    let command = command_line(options);
    let mut report = render(&scores, &equivalents, &version, &command);
    if !failed.is_empty() {
        report.push_str("\n## Not measured\n\n");
        for line in &failed {
            report.push_str(&format!("- {line}\n"));
        }
    }
    if let Some(dir) = options.report.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    fs::write(&options.report, report)
        .map_err(|e| format!("cannot write {}: {e}", options.report.display()))?;
    eprintln!(
        "cargo xtask mutants: report in {}",
        options.report.display()
    );
    Ok(failed.is_empty() && scores.iter().all(Score::meets_floor))
}

/// One target's run (and, for a package with users, the second run), scored.
fn measure(
    root: &Path,
    target: &Target,
    out_root: &Path,
    equivalents: &Equivalents,
    options: &Options,
) -> Result<Score, String> {
    let started = Instant::now();
    let own = out_root.join(target.package);
    if !options.report_only {
        if !target.with.is_empty() {
            let mut packages = vec![target.package];
            packages.extend(target.with);
            tests_pass(root, target.package, &packages)?;
        }
        cargo_mutants(root, target, &own, options, None)?;
    }
    let current = current_mutants(root, target)?;
    let mut tally = Tally::read(&own.join("mutants.out"))?;
    tally.keep_only(&current);
    let missed: Vec<String> = tally
        .missed
        .iter()
        .filter(|m| !equivalents.contains(m))
        .cloned()
        .collect();
    if !target.users.is_empty() && !missed.is_empty() {
        eprintln!(
            "cargo xtask mutants: {} missed by its own tests, trying {} with its users' tests",
            target.package,
            missed.len()
        );
        let users = out_root.join(format!("{}-users", target.package));
        if !options.report_only {
            tests_pass(root, target.package, target.users)?;
            cargo_mutants(root, target, &users, options, Some(&missed))?;
        }
        tally.add_second_run(&Tally::read(&users.join("mutants.out"))?);
    }
    // A report made again from old outcomes knows no times.
    let seconds = (!options.report_only).then(|| started.elapsed().as_secs());
    Ok(Score::new(target, tally, equivalents, seconds))
}

/// The file of known equivalent mutants, from the workspace's root.
pub const EQUIVALENTS: &str = "crates/support/xtask/mutants-equivalent.txt";

/// Runs the tests of `packages` once, unmutated. cargo-mutants' own check of the
/// unmutated tree (its baseline) runs only the mutated package's tests; were another
/// package's test failing anyway (a tool missing), every mutant would look caught.
fn tests_pass(root: &Path, package: &str, packages: &[&str]) -> Result<(), String> {
    let mut command = Command::new(cargo());
    command.current_dir(root).args(["test", "--quiet"]);
    for package in packages {
        command.args(["--package", package]);
    }
    if std::env::var_os("CARGO_PROFILE_DEV_DEBUG").is_none() {
        command.env("CARGO_PROFILE_DEV_DEBUG", "0");
    }
    cap_memory(&mut command);
    eprintln!(
        "cargo xtask mutants: first the tests of {}, unmutated",
        packages.join(", ")
    );
    let out = command
        .output()
        .map_err(|e| format!("cannot run cargo test: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let failed: Vec<&str> = stdout
        .lines()
        .filter(|l| l.ends_with("FAILED") || l.contains("panicked"))
        .take(10)
        .collect();
    Err(format!(
        "the tests that {package}'s run needs fail without any mutant; fix them first:\n{}",
        failed.join("\n")
    ))
}

/// The names of the mutants the run makes of `target` as the code is now: after code has
/// changed, `--iterate`'s list of mutants caught before holds names (with their line
/// numbers) that no longer exist.
fn current_mutants(root: &Path, target: &Target) -> Result<BTreeSet<String>, String> {
    let mut args = vec!["mutants".to_owned(), "--list".to_owned()];
    args.extend(selection_args(target));
    let out = Command::new(cargo())
        .current_dir(root)
        .args(&args)
        .output()
        .map_err(|e| format!("cannot run cargo mutants --list: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "cargo mutants --list failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect())
}

/// `cargo mutants --version`, installing it first if it is missing.
fn ensure_installed() -> Result<String, String> {
    let cargo = cargo();
    let version = || {
        Command::new(&cargo)
            .args(["mutants", "--version"])
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    };
    if let Some(v) = version() {
        return Ok(v);
    }
    eprintln!(
        "cargo xtask mutants: installing cargo-mutants (cargo install cargo-mutants --locked)"
    );
    let status = Command::new(&cargo)
        .args(["install", "cargo-mutants", "--locked"])
        .status()
        .map_err(|e| format!("cannot run cargo install: {e}"))?;
    if !status.success() {
        return Err(format!(
            "`cargo install cargo-mutants --locked` failed ({status})"
        ));
    }
    version().ok_or_else(|| "cargo-mutants was installed but does not run".to_owned())
}

fn cargo() -> std::ffi::OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into())
}

/// One run of cargo-mutants over `target`, its output in `out/mutants.out`. With `only`,
/// just those mutants, tested by the package's users as well.
fn cargo_mutants(
    root: &Path,
    target: &Target,
    out: &Path,
    options: &Options,
    only: Option<&[String]>,
) -> Result<(), String> {
    let args = mutants_args(target, out, options, only);
    // cargo-mutants creates its output folder but not the folders above it (a fresh
    // clone has no target/mutants yet).
    fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    eprintln!("+ cargo {}", args.join(" "));
    let mut command = Command::new(cargo());
    command.current_dir(root).args(&args);
    // Smaller and quicker builds; the mutants do not need debug information.
    if std::env::var_os("CARGO_PROFILE_DEV_DEBUG").is_none() {
        command.env("CARGO_PROFILE_DEV_DEBUG", "0");
    }
    cap_memory(&mut command);
    let status = command
        .status()
        .map_err(|e| format!("cannot run cargo mutants: {e}"))?;
    let stopped = stop_leftovers();
    if stopped > 0 {
        eprintln!(
            "cargo xtask mutants: stopped {stopped} programs the mutants' tests left running"
        );
    }
    // 0: all caught, 2: some missed, 3: some timed out. 4: the tests fail unmutated.
    match status.code() {
        Some(0 | 2 | 3) => Ok(()),
        Some(4) => Err(format!(
            "the tests of {} fail without any mutant (see {}/mutants.out/log); fix them first",
            target.package,
            out.display()
        )),
        _ => Err(format!(
            "cargo mutants failed on {} ({status}); see {}/mutants.out/debug.log",
            target.package,
            out.display()
        )),
    }
}

/// The most memory one process of the run may take for its data: cargo, rustc, a test.
const MEMORY_CAP: u64 = 6 << 30;

/// Caps each process of the run at [`MEMORY_CAP`] bytes of data (RLIMIT_DATA: its heap
/// and private writable mappings). A mutant that makes a buffer grow without end (a limit
/// checked the wrong way round) would otherwise take the machine's memory; capped, its
/// allocation fails, the test dies and the mutant counts as caught, which it is.
/// (RLIMIT_AS would also count address space only reserved, and Chromium, which a test
/// of http_server starts, reserves more than that at start-up.)
fn cap_memory(command: &mut Command) {
    use std::os::unix::process::CommandExt;
    let cap = libc::rlimit {
        rlim_cur: MEMORY_CAP,
        rlim_max: MEMORY_CAP,
    };
    // SAFETY: runs in the child between fork and exec, and only calls setrlimit, which is
    // async-signal-safe; `cap` is a plain value copied into the closure.
    unsafe {
        command.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_DATA, &cap) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}

/// Kills the programs that mutants' tests started and left running. A test that hangs is
/// killed at the timeout, and the server it started (whose kill was in the test's `Drop`)
/// goes on running from cargo-mutants' copy of the tree, which is deleted when the run
/// ends. Only programs of such deleted copies are touched: a run still going keeps its own.
fn stop_leftovers() -> usize {
    let copies = std::env::temp_dir().join("cargo-mutants-");
    let copies = copies.to_string_lossy();
    let mut stopped = 0;
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<libc::pid_t>() else {
            continue;
        };
        let Ok(program) = fs::read_link(entry.path().join("exe")) else {
            continue;
        };
        let program = program.to_string_lossy();
        // The kernel marks the program of a process whose file is gone with " (deleted)".
        if program.starts_with(&*copies) && program.ends_with(" (deleted)") {
            // SAFETY: kill has no memory-safety preconditions.
            if unsafe { libc::kill(pid, libc::SIGKILL) } == 0 {
                stopped += 1;
            }
        }
    }
    stopped
}

/// Which mutants a target has: its package, files and exclusions.
fn selection_args(target: &Target) -> Vec<String> {
    let mut args = vec!["--package".to_owned(), target.package.to_owned()];
    for file in target.files {
        args.extend(["--file".into(), file.to_string()]);
    }
    for re in target.exclude_re {
        args.extend(["--exclude-re".into(), re.to_string()]);
    }
    args
}

/// The arguments of cargo-mutants for one run.
pub fn mutants_args(
    target: &Target,
    out: &Path,
    options: &Options,
    only: Option<&[String]>,
) -> Vec<String> {
    let mut args: Vec<String> = vec!["mutants".into()];
    args.extend(selection_args(target));
    // The users' tests wait for a readiness line or a reply up to testkit's PATIENCE
    // (10 s) each: a mutant that breaks one makes them slow before they fail.
    let timeout = match (options.timeout, only) {
        (Some(timeout), _) => timeout,
        (None, Some(_)) => USERS_TIMEOUT,
        (None, None) => target.timeout,
    };
    args.extend([
        "--timeout".into(),
        timeout.to_string(),
        "--build-timeout".into(),
        "600".into(),
        "--jobs".into(),
        options.jobs.to_string(),
        "--output".into(),
        out.display().to_string(),
        "--colors".into(),
        "never".into(),
    ]);
    if only.is_none() && !target.with.is_empty() {
        // Checked by tests_pass instead: cargo-mutants' baseline would run only the
        // package's own tests, without the programs they need.
        args.extend(["--baseline".into(), "skip".into()]);
        args.extend(["--test-package".into(), target.package.into()]);
        for with in target.with {
            args.extend(["--test-package".into(), with.to_string()]);
        }
    }
    match only {
        Some(names) => {
            // The mutants named exactly. cargo-mutants' baseline runs only the mutated
            // package's tests: `measure` has checked that the users' pass unmutated
            // (`tests_pass`), or every mutant would look caught.
            let alternatives: Vec<String> = names.iter().map(|n| regex::escape(n)).collect();
            args.extend([
                "--re".into(),
                format!("^({})$", alternatives.join("|")),
                "--test-package".into(),
                target.package.into(),
            ]);
            for user in target.users.iter().chain(target.with) {
                args.extend(["--test-package".into(), user.to_string()]);
            }
        }
        None if options.iterate => args.push("--iterate".into()),
        None => {}
    }
    if !target.test_args.is_empty() {
        args.push("--".into());
        args.extend(target.test_args.iter().map(|a| a.to_string()));
    }
    args
}

fn command_line(options: &Options) -> String {
    let mut line = "cargo xtask mutants".to_owned();
    for only in &options.only {
        let _ = write!(line, " --only {only}");
    }
    if let Some(timeout) = options.timeout {
        let _ = write!(line, " --timeout {timeout}");
    }
    if !options.report_only {
        let _ = write!(line, " --jobs {}", options.jobs);
    }
    if options.iterate {
        line.push_str(" --iterate");
    }
    if options.report_only {
        line.push_str(" --report-only");
    }
    line
}

/// A mutant's name without its line and column, as the equivalents file names it:
/// `crates/x/src/lib.rs:12:5: replace + with -` becomes `crates/x/src/lib.rs: replace + with -`.
/// Lines move whenever code is added above; the file and the change itself do not.
pub fn without_position(name: &str) -> String {
    let Some((place, change)) = name.split_once(": ") else {
        return name.to_owned();
    };
    let mut parts = place.rsplitn(3, ':');
    let (col, line, file) = (parts.next(), parts.next(), parts.next());
    match (file, line, col) {
        (Some(file), Some(line), Some(col))
            if line.bytes().all(|b| b.is_ascii_digit())
                && col.bytes().all(|b| b.is_ascii_digit()) =>
        {
            format!("{file}: {change}")
        }
        _ => name.to_owned(),
    }
}

/// The known equivalent mutants: `FILE: MUTANT # why`, one a line.
pub struct Equivalents {
    /// Mutant (without its position) to why it is equivalent.
    entries: BTreeMap<String, String>,
}

impl Equivalents {
    pub fn read(path: &Path) -> Result<Equivalents, String> {
        let text =
            fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Equivalents::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn parse(text: &str) -> Result<Equivalents, String> {
        let mut entries = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((mutant, why)) = line.split_once(" # ") else {
                return Err(format!(
                    "line {}: no ` # ` and reason after the mutant",
                    n + 1
                ));
            };
            let (mutant, why) = (without_position(mutant.trim()), why.trim());
            if why.is_empty() {
                return Err(format!("line {}: the reason is empty", n + 1));
            }
            if entries.insert(mutant, why.to_owned()).is_some() {
                return Err(format!("line {}: listed twice", n + 1));
            }
        }
        Ok(Equivalents { entries })
    }

    /// Whether the mutant `name` (with or without its position) is listed.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(&without_position(name))
    }

    fn why(&self, name: &str) -> Option<&str> {
        self.entries
            .get(&without_position(name))
            .map(String::as_str)
    }
}

/// What one target's run(s) found, by mutant name.
#[derive(Default, Debug)]
pub struct Tally {
    pub caught: BTreeSet<String>,
    pub missed: BTreeSet<String>,
    pub timeouts: BTreeSet<String>,
    pub unviable: BTreeSet<String>,
    /// Caught only by the users' tests (the second run).
    pub caught_by_users: BTreeSet<String>,
}

impl Tally {
    /// Reads cargo-mutants' `outcomes.json` in `dir` (and, after `--iterate`, the mutants
    /// caught in the runs before, which it lists in `previously_caught.txt`). It also
    /// writes, beside `dir`, `unviable-seen.txt`: the unviable mutants of every run so far.
    pub fn read(dir: &Path) -> Result<Tally, String> {
        let path = dir.join("outcomes.json");
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut tally =
            Tally::from_outcomes(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        // cargo-mutants' `previously_caught.txt` holds the unviable mutants of the runs
        // before as well: keep every unviable mutant seen, to tell the two apart.
        let seen_path = dir.with_file_name("unviable-seen.txt");
        let lines = |path: &Path| -> Vec<String> {
            fs::read_to_string(path)
                .map(|text| {
                    text.lines()
                        .filter(|l| !l.trim().is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut unviable: BTreeSet<String> = lines(&seen_path).into_iter().collect();
        unviable.extend(lines(
            &dir.with_file_name("mutants.out.old").join("unviable.txt"),
        ));
        unviable.extend(tally.unviable.iter().cloned());
        let mut text: String = unviable.iter().map(|n| format!("{n}\n")).collect();
        if text.is_empty() {
            text.push('\n');
        }
        fs::write(&seen_path, text)
            .map_err(|e| format!("cannot write {}: {e}", seen_path.display()))?;
        for name in lines(&dir.join("previously_caught.txt")) {
            if tally.missed.contains(&name) || tally.timeouts.contains(&name) {
                continue;
            }
            if unviable.contains(&name) {
                tally.unviable.insert(name);
            } else {
                tally.caught.insert(name);
            }
        }
        Ok(tally)
    }

    pub fn from_outcomes(json: &str) -> Result<Tally, String> {
        let value: Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
        let outcomes = value["outcomes"].as_array().ok_or("no list of outcomes")?;
        let mut tally = Tally::default();
        for outcome in outcomes {
            // The baseline's scenario is the string "Baseline"; a mutant's is an object.
            let Some(name) = outcome["scenario"]["Mutant"]["name"].as_str() else {
                continue;
            };
            let set = match outcome["summary"].as_str() {
                Some("CaughtMutant") => &mut tally.caught,
                Some("MissedMutant") => &mut tally.missed,
                Some("Timeout") => &mut tally.timeouts,
                Some("Unviable") => &mut tally.unviable,
                Some(other) => return Err(format!("unknown outcome {other:?} for {name}")),
                None => return Err(format!("no summary for {name}")),
            };
            set.insert(name.to_owned());
        }
        Ok(tally)
    }

    /// Forgets the mutants not in `current` (names from before the code changed).
    pub fn keep_only(&mut self, current: &BTreeSet<String>) {
        for set in [
            &mut self.caught,
            &mut self.missed,
            &mut self.timeouts,
            &mut self.unviable,
            &mut self.caught_by_users,
        ] {
            set.retain(|name| current.contains(name));
        }
    }

    /// Counts the second run's verdict on the mutants the first one missed.
    pub fn add_second_run(&mut self, second: &Tally) {
        for name in &second.caught {
            if self.missed.remove(name) {
                self.caught.insert(name.clone());
                self.caught_by_users.insert(name.clone());
            }
        }
        for name in &second.timeouts {
            if self.missed.remove(name) {
                self.timeouts.insert(name.clone());
            }
        }
    }
}

/// A target's figures.
pub struct Score {
    pub package: &'static str,
    pub why: &'static str,
    pub files: Vec<String>,
    pub tally: Tally,
    /// Missed mutants that the equivalents file explains.
    pub equivalent: Vec<String>,
    /// Missed mutants it does not.
    pub missed: Vec<String>,
    /// Listed as equivalent but caught: the entry is wrong or out of date.
    pub wrongly_listed: Vec<String>,
    /// How long the runs took (`None` for `--report-only`).
    pub seconds: Option<u64>,
}

impl Score {
    pub fn new(
        target: &Target,
        tally: Tally,
        equivalents: &Equivalents,
        seconds: Option<u64>,
    ) -> Score {
        let (equivalent, missed) = tally
            .missed
            .iter()
            .cloned()
            .partition(|m| equivalents.contains(m));
        let wrongly_listed = tally
            .caught
            .iter()
            .filter(|m| equivalents.contains(m))
            .cloned()
            .collect();
        Score {
            package: target.package,
            why: target.why,
            files: target.files.iter().map(|f| f.to_string()).collect(),
            tally,
            equivalent,
            missed,
            wrongly_listed,
            seconds,
        }
    }

    /// caught / (caught + missed), the known equivalents left out; 1 when nothing counts.
    pub fn ratio(&self) -> f64 {
        let caught = self.tally.caught.len();
        let counted = caught + self.missed.len();
        if counted == 0 {
            1.0
        } else {
            caught as f64 / counted as f64
        }
    }

    pub fn meets_floor(&self) -> bool {
        self.ratio() >= FLOOR
    }

    pub fn summary(&self) -> String {
        format!(
            "{}: {:.1} % ({} caught, {} missed, {} equivalent, {} unviable, {} timeouts){}{}",
            self.package,
            self.ratio() * 100.0,
            self.tally.caught.len(),
            self.missed.len(),
            self.equivalent.len(),
            self.tally.unviable.len(),
            self.tally.timeouts.len(),
            self.seconds
                .map(|s| format!(" in {s} s"))
                .unwrap_or_default(),
            if self.meets_floor() {
                String::new()
            } else {
                format!(", below the floor of {:.0} %", FLOOR * 100.0)
            }
        )
    }
}

/// The report: a table of the scores, then every mutant that needs a look.
pub fn render(scores: &[Score], equivalents: &Equivalents, version: &str, command: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# Mutation testing\n");
    let _ = writeln!(
        out,
        "`{command}` ({version}). Score = caught / (caught + missed); the known equivalent \
         mutants (`{EQUIVALENTS}`) are left out, and so are unviable mutants (they do not \
         compile) and timeouts (the tests hung). Floor: {:.0} % each.\n",
        FLOOR * 100.0
    );
    let _ = writeln!(
        out,
        "| crate | caught | missed | equivalent | unviable | timeouts | score | time | |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for s in scores {
        let by_users = if s.tally.caught_by_users.is_empty() {
            String::new()
        } else {
            format!(" ({} by its users' tests)", s.tally.caught_by_users.len())
        };
        let _ = writeln!(
            out,
            "| {} | {}{} | {} | {} | {} | {} | {:.1} % | {} | {} |",
            s.package,
            s.tally.caught.len(),
            by_users,
            s.missed.len(),
            s.equivalent.len(),
            s.tally.unviable.len(),
            s.tally.timeouts.len(),
            s.ratio() * 100.0,
            s.seconds.map_or("—".to_owned(), |s| format!("{s} s")),
            if s.meets_floor() {
                "ok"
            } else {
                "**below the floor**"
            }
        );
    }
    let _ = writeln!(out, "\n## What was mutated\n");
    for s in scores {
        let _ = writeln!(out, "- {} ({}): {}", s.package, s.why, s.files.join(", "));
    }
    let mut section = |title: &str, intro: &str, pick: &dyn Fn(&Score) -> Vec<String>| {
        let listed: Vec<(&str, Vec<String>)> = scores
            .iter()
            .map(|s| (s.package, pick(s)))
            .filter(|(_, names)| !names.is_empty())
            .collect();
        if listed.is_empty() {
            return;
        }
        let _ = writeln!(out, "\n## {title}\n\n{intro}\n");
        for (package, names) in listed {
            let _ = writeln!(out, "### {package}\n");
            for name in names {
                match equivalents.why(&name) {
                    Some(why) => {
                        let _ = writeln!(out, "- `{name}`: {why}");
                    }
                    None => {
                        let _ = writeln!(out, "- `{name}`");
                    }
                }
            }
            let _ = writeln!(out);
        }
    };
    section(
        "Missed",
        "No test noticed these changes. Pin the behaviour down with a test, or, if the \
         change cannot be observed, add it to the equivalents file with the reason. Each \
         mutant's diff is in `target/mutants/CRATE/mutants.out/diff/`.",
        &|s| s.missed.clone(),
    );
    section(
        "Listed as equivalent, but caught",
        "The equivalents file names these, yet a test caught them: remove their lines.",
        &|s| s.wrongly_listed.clone(),
    );
    section(
        "Timeouts",
        "The tests did not finish within the timeout with these mutants (usually an endless \
         loop, so the change was noticed, but not counted).",
        &|s| s.tally.timeouts.iter().cloned().collect(),
    );
    section(
        "Known equivalent",
        "Missed, and explained in the equivalents file.",
        &|s| s.equivalent.clone(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTCOMES: &str = r#"{"outcomes": [
        {"scenario": "Baseline", "summary": "Success"},
        {"scenario": {"Mutant": {"name": "src/lib.rs:10:5: replace a with b"}}, "summary": "CaughtMutant"},
        {"scenario": {"Mutant": {"name": "src/lib.rs:11:5: replace | with ^ in f"}}, "summary": "MissedMutant"},
        {"scenario": {"Mutant": {"name": "src/lib.rs:12:5: replace < with <= in g"}}, "summary": "MissedMutant"},
        {"scenario": {"Mutant": {"name": "src/lib.rs:13:5: replace h with ()"}}, "summary": "Timeout"},
        {"scenario": {"Mutant": {"name": "src/lib.rs:14:5: delete ! in k"}}, "summary": "Unviable"}
    ]}"#;

    fn target() -> Target {
        Target {
            package: "demo",
            files: &["src/lib.rs"],
            why: "all of it",
            timeout: 60,
            users: &[],
            with: &[],
            test_args: &[],
            exclude_re: &[],
        }
    }

    #[test]
    fn a_position_is_dropped_but_nothing_else() {
        assert_eq!(
            without_position("crates/a/src/lib.rs:12:5: replace + with - in f"),
            "crates/a/src/lib.rs: replace + with - in f"
        );
        assert_eq!(
            without_position("src/lib.rs: replace + with - in f"),
            "src/lib.rs: replace + with - in f"
        );
    }

    #[test]
    fn equivalents_need_a_reason_and_are_listed_once() {
        let parsed = Equivalents::parse(
            "# comment\n\nsrc/lib.rs: replace | with ^ in f # the bits never overlap\n",
        )
        .unwrap();
        assert!(parsed.contains("src/lib.rs:99:1: replace | with ^ in f"));
        assert!(!parsed.contains("src/lib.rs:99:1: replace | with & in f"));
        assert_eq!(
            Equivalents::parse("src/lib.rs: replace | with ^ in f\n").err(),
            Some("line 1: no ` # ` and reason after the mutant".to_owned())
        );
        assert_eq!(
            Equivalents::parse("a: x # y\na: x # z\n").err(),
            Some("line 2: listed twice".to_owned())
        );
    }

    #[test]
    fn programs_left_running_from_a_deleted_copy_are_stopped() {
        use std::time::{Duration, Instant};
        // A program running from a copy of the tree, as a mutant's server does.
        let copy = tempfile::Builder::new()
            .prefix("cargo-mutants-xtask-test-")
            .tempdir_in(std::env::temp_dir())
            .unwrap();
        let program = copy.path().join("sleep");
        fs::copy("/bin/sleep", &program).unwrap();
        let spawn = |path: &Path| {
            // Another test's fork may still hold the new file open for writing.
            for _ in 0..100 {
                match Command::new(path).arg("30").spawn() {
                    Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    started => return started.unwrap(),
                }
            }
            panic!("{} stayed busy", path.display());
        };
        let mut child = spawn(&program);
        // While the copy exists, its run is still going: its programs are left alone.
        stop_leftovers();
        assert!(
            child.try_wait().unwrap().is_none(),
            "a running copy's program was stopped"
        );
        drop(copy);
        assert!(stop_leftovers() >= 1);
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the left program still runs");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn the_score_leaves_out_equivalents_unviable_and_timeouts() {
        let tally = Tally::from_outcomes(OUTCOMES).unwrap();
        assert_eq!(
            (
                tally.caught.len(),
                tally.missed.len(),
                tally.timeouts.len(),
                tally.unviable.len()
            ),
            (1, 2, 1, 1)
        );
        let none = Equivalents::parse("").unwrap();
        let score = Score::new(
            &target(),
            Tally::from_outcomes(OUTCOMES).unwrap(),
            &none,
            None,
        );
        assert_eq!(score.ratio(), 1.0 / 3.0);
        assert!(!score.meets_floor());
        let known = Equivalents::parse("src/lib.rs: replace | with ^ in f # bits apart\n").unwrap();
        let score = Score::new(&target(), tally, &known, None);
        assert_eq!(score.ratio(), 0.5);
        let report = render(
            &[score],
            &known,
            "cargo-mutants 27.1.0",
            "cargo xtask mutants",
        );
        assert!(
            report.contains("| demo | 1 | 1 | 1 | 1 | 1 | 50.0 % |"),
            "{report}"
        );
        assert!(
            report.contains("- `src/lib.rs:12:5: replace < with <= in g`\n"),
            "{report}"
        );
        assert!(
            report.contains("- `src/lib.rs:11:5: replace | with ^ in f`: bits apart"),
            "{report}"
        );
    }

    #[test]
    fn a_caught_mutant_listed_as_equivalent_is_reported() {
        let known = Equivalents::parse("src/lib.rs: replace a with b # wrong\n").unwrap();
        let score = Score::new(
            &target(),
            Tally::from_outcomes(OUTCOMES).unwrap(),
            &known,
            None,
        );
        assert_eq!(score.wrongly_listed, ["src/lib.rs:10:5: replace a with b"]);
        let report = render(&[score], &known, "v", "c");
        assert!(
            report.contains("## Listed as equivalent, but caught"),
            "{report}"
        );
    }

    #[test]
    fn after_iterate_the_unviable_mutants_of_earlier_runs_stay_unviable() {
        let dir = std::env::temp_dir().join(format!("xtask-tally-{}", std::process::id()));
        let out = dir.join("mutants.out");
        let old = dir.join("mutants.out.old");
        fs::create_dir_all(&out).unwrap();
        fs::create_dir_all(&old).unwrap();
        // The full run found `u` unviable; the iterate run lists it as previously caught.
        fs::write(old.join("unviable.txt"), "src/lib.rs:1:1: u\n").unwrap();
        fs::write(
            out.join("previously_caught.txt"),
            "src/lib.rs:1:1: u\nsrc/lib.rs:2:1: c\n",
        )
        .unwrap();
        fs::write(out.join("outcomes.json"), r#"{"outcomes": []}"#).unwrap();
        let tally = Tally::read(&out).unwrap();
        assert_eq!(
            (tally.caught.len(), tally.unviable.len()),
            (1, 1),
            "{tally:?}"
        );
        // A later iteration (with mutants.out.old gone) still knows.
        fs::remove_dir_all(&old).unwrap();
        let tally = Tally::read(&out).unwrap();
        assert_eq!((tally.caught.len(), tally.unviable.len()), (1, 1));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_users_tests_count_for_what_the_own_tests_missed() {
        let mut tally = Tally::from_outcomes(OUTCOMES).unwrap();
        let second = Tally::from_outcomes(
            r#"{"outcomes": [
            {"scenario": {"Mutant": {"name": "src/lib.rs:12:5: replace < with <= in g"}}, "summary": "CaughtMutant"}
        ]}"#,
        )
        .unwrap();
        tally.add_second_run(&second);
        assert_eq!(tally.caught.len(), 2);
        assert_eq!(
            tally.missed.iter().collect::<Vec<_>>(),
            ["src/lib.rs:11:5: replace | with ^ in f"]
        );
        assert_eq!(tally.caught_by_users.len(), 1);
    }

    #[test]
    fn the_second_run_names_exactly_the_missed_mutants_and_the_users() {
        let target = Target {
            users: &["chat_server"],
            ..target()
        };
        let options = Options {
            only: vec![],
            timeout: None,
            jobs: 1,
            iterate: false,
            report: PathBuf::from("r.md"),
            report_only: false,
        };
        let names = ["src/lib.rs:12:5: replace < with <= in g".to_owned()];
        let args = mutants_args(&target, Path::new("out"), &options, Some(&names)).join(" ");
        assert!(
            args.contains(r"--re ^(src/lib\.rs:12:5: replace < with <= in g)$"),
            "{args}"
        );
        assert!(
            args.contains("--test-package demo --test-package chat_server"),
            "{args}"
        );
        let first = mutants_args(&target, Path::new("out"), &options, None).join(" ");
        assert!(!first.contains("--test-package"), "{first}");
        assert!(first.contains("--file src/lib.rs --timeout 60"), "{first}");
    }
}
