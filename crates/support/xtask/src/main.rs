//! `cargo xtask test`: on a fresh machine, install what the tests need, then run them.
//! `cargo xtask mutants`: mutation testing of the shared and protocol crates (see `mutants`).
//!
//! The list of tools is testkit's `tools.txt`, the same list `require_tool` reads, so a
//! tool a test needs is one the installer knows. As root (CI, a container) it installs
//! what is missing; as a user it shows the exact `sudo` command and asks first when a
//! terminal is attached, otherwise it stops with that command.

mod mutants;
mod plan;

use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::process::{Command, ExitCode, Stdio};

use clap::{Parser, Subcommand};
use plan::Plan;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    version,
    about = "The course's own tasks."
)]
struct Args {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Install what the tests need (asking first), then run `cargo test`.
    Test {
        /// Print what would be installed, install nothing and run no test.
        #[arg(long)]
        dry_run: bool,
        /// Install without asking.
        #[arg(long, short)]
        yes: bool,
        /// Passed on to `cargo test` (after `--`).
        #[arg(last = true)]
        cargo_test_args: Vec<String>,
    },
    /// Mutation testing of the shared and protocol crates (cargo-mutants, installed if
    /// missing): scores and missed mutants in a report; fails below the floor. Takes tens
    /// of minutes.
    Mutants {
        /// Only this crate (repeatable); all of them by default.
        #[arg(long, value_name = "CRATE")]
        only: Vec<String>,
        /// Longest a test of one mutant may take, in seconds (by default each crate's own,
        /// a few times what its tests take).
        #[arg(long)]
        timeout: Option<u64>,
        /// Mutants built and tested at once (each needs a copy of the tree and a core).
        #[arg(long, default_value_t = 1)]
        jobs: u32,
        /// Test again only the mutants the last run did not catch.
        #[arg(long)]
        iterate: bool,
        /// Where the report is written.
        #[arg(long, default_value = "target/mutants-report.md")]
        report: std::path::PathBuf,
        /// Run nothing: read the last runs' outcomes again and write the report.
        #[arg(long)]
        report_only: bool,
    },
}

fn main() -> ExitCode {
    match Args::parse().command {
        Task::Test {
            dry_run,
            yes,
            cargo_test_args,
        } => test(dry_run, yes, &cargo_test_args),
        Task::Mutants {
            only,
            timeout,
            jobs,
            iterate,
            report,
            report_only,
        } => {
            let root = workspace_root();
            let options = mutants::Options {
                only,
                timeout,
                jobs,
                iterate,
                report: root.join(report),
                report_only,
            };
            match mutants::run(&root, &options) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => {
                    eprintln!("cargo xtask mutants: a crate is below its floor (see the report)");
                    ExitCode::FAILURE
                }
                Err(message) => {
                    eprintln!("cargo xtask mutants: {message}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// The workspace's root: two folders above this crate's manifest.
fn workspace_root() -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../..");
    root.canonicalize().unwrap_or(root)
}

fn test(dry_run: bool, yes: bool, cargo_test_args: &[String]) -> ExitCode {
    let plan = Plan::for_this_machine();
    if dry_run {
        print!("{}", plan.describe());
        return ExitCode::SUCCESS;
    }
    if let Err(message) = install(&plan, yes) {
        eprintln!("cargo xtask: {message}");
        return ExitCode::FAILURE;
    }
    cargo_test(cargo_test_args)
}

/// Installs what the plan lists: at once as root, after asking otherwise.
fn install(plan: &Plan, yes: bool) -> Result<(), String> {
    if plan.is_empty() {
        return Ok(());
    }
    let root = testkit::running_as_root();
    let commands = plan.commands(root)?;
    let shown: Vec<String> = commands.iter().map(|c| c.join(" ")).collect();
    let needed = format!("the tests need {}, missing here", plan.missing_names());
    if !root && !yes {
        if !std::io::stdin().is_terminal() {
            return Err(format!(
                "{needed}; install them with: {}",
                shown.join(" && ")
            ));
        }
        eprintln!("cargo xtask: {needed}");
        eprint!("run `{}` now? [y/N] ", shown.join(" && "));
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Err(format!(
                "nothing installed; the tests that need these tools would fail. Run: {}",
                shown.join(" && ")
            ));
        }
    }
    eprintln!("cargo xtask: {needed}; installing them");
    for command in commands {
        eprintln!("+ {}", command.join(" "));
        let status = Command::new(&command[0])
            .args(&command[1..])
            .status()
            .map_err(|e| format!("cannot run {}: {e}", command[0]))?;
        if !status.success() {
            return Err(format!("`{}` failed ({status})", command.join(" ")));
        }
    }
    Ok(())
}

/// Runs `cargo test`, passing its output through, and counts the tests that could not run
/// because they need root (each says so in one line that starts the same way).
fn cargo_test(args: &[String]) -> ExitCode {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = match Command::new(cargo)
        .arg("test")
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            eprintln!("cargo xtask: cannot run cargo test: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut not_run = 0;
    let stderr = child.stderr.take().expect("piped");
    for line in BufReader::new(stderr).split(b'\n') {
        let Ok(line) = line else { break };
        if line.starts_with(testkit::NOT_RUN_WITHOUT_ROOT.as_bytes()) {
            not_run += 1;
        }
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(&line);
        let _ = err.write_all(b"\n");
    }
    let status = child.wait().map(|s| s.success()).unwrap_or(false);
    if not_run > 0 {
        eprintln!(
            "cargo xtask: {not_run} tests did not run because they need root \
             (network namespaces, another user id); CI runs them as root"
        );
    }
    if status {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
