//! Jobs run in child processes, one `fork` each, and a parent that waits for every child
//! and says how each one ended: the exit status it passed to `exit`, or the signal that
//! killed it. The parent reaps the children in the order they end, whatever the order it
//! started them in.

use std::io;
//> #[allow(unused_imports)] // for your code
use std::io::Write;
use std::time::Duration;

use nix::sys::signal::Signal;
//> #[allow(unused_imports)] // for your code
use nix::unistd::{ForkResult, Pid, fork, getpid, getppid};
//> #[allow(unused_imports)] // for your code
use nix::{
    errno::Errno,
    sys::wait::{WaitStatus, waitpid},
};

/// What a job does, in its child, after waiting `delay`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// exit(status).
    Exit(u8),
    /// abort(): killed by SIGABRT.
    Abort,
    /// raise(SIGTERM): killed by SIGTERM.
    Term,
}

/// One job: `7@200` exits with 7 after 200 ms; `abort@50`, `term@0`. (Given.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub action: Action,
    pub delay: Duration,
}

impl std::str::FromStr for Job {
    type Err = String;

    fn from_str(text: &str) -> Result<Job, String> {
        let (what, ms) = text.split_once('@').unwrap_or((text, "0"));
        let ms: u64 = ms
            .parse()
            .map_err(|_| format!("{text:?}: the delay after @ is not a number of ms"))?;
        let action = match what {
            "abort" => Action::Abort,
            "term" => Action::Term,
            status => Action::Exit(status.parse().map_err(|_| {
                format!("{text:?}: a job is an exit status from 0 to 255, abort or term")
            })?),
        };
        Ok(Job {
            action,
            delay: Duration::from_millis(ms),
        })
    }
}

/// The child's whole life: say who it is, wait, end as the job says. Never returns.
/// (Given.)
pub fn run_job(number: usize, job: Job) -> ! {
    println!("job {number}: pid {}, parent {}", getpid(), getppid());
    std::thread::sleep(job.delay);
    match job.action {
        Action::Exit(status) => std::process::exit(status.into()),
        Action::Abort => std::process::abort(),
        Action::Term => {
            let _ = nix::sys::signal::raise(Signal::SIGTERM);
            // Not reached: SIGTERM's default action ends the process.
            std::process::exit(1)
        }
    }
}

/// How a child ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    Exited(i32),
    Killed(Signal),
}

// ANCHOR: exercise
/// Starts one child per job, numbered from 1, each running `run_job`; returns their pids
/// in the order of `jobs`. The parent does not wait here.
pub fn start(jobs: &[Job]) -> io::Result<Vec<Pid>> {
    //> // TODO: for each job: flush stdout first (whatever sits in its buffer would be
    //> // copied into the child and printed twice), then unsafe { fork() }:
    //> // ForkResult::Child => run_job(number, job) (it never returns),
    //> // ForkResult::Parent { child } => keep child. A fork error is an io::Error (?).
    //> let _ = jobs;
    //> todo!("start")
    // lab:solution
    let mut pids = Vec::with_capacity(jobs.len());
    for (i, job) in jobs.iter().enumerate() {
        io::stdout().flush()?;
        // SAFETY: this program has one thread, so the child starts consistent.
        match unsafe { fork() }? {
            ForkResult::Child => run_job(i + 1, *job),
            ForkResult::Parent { child } => pids.push(child),
        }
    }
    Ok(pids)
    // lab:end
}

/// Waits for `count` children, any of them, in the order they end (waitpid(-1, ...)),
/// and returns each pid with how it ended.
pub fn reap(count: usize) -> io::Result<Vec<(Pid, Ended)>> {
    //> // TODO: count times: waitpid(None, None) (None: any child). WaitStatus::Exited
    //> // (pid, code) is Ended::Exited(code), WaitStatus::Signaled(pid, signal, _) is
    //> // Ended::Killed(signal); other states (stopped, continued) are not an end: wait
    //> // again. Err(Errno::EINTR): wait again; any other error is an error.
    //> let _ = count;
    //> todo!("reap")
    // lab:solution
    let mut ended = Vec::with_capacity(count);
    while ended.len() < count {
        match waitpid(None, None) {
            Ok(WaitStatus::Exited(pid, code)) => ended.push((pid, Ended::Exited(code))),
            Ok(WaitStatus::Signaled(pid, signal, _)) => ended.push((pid, Ended::Killed(signal))),
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(ended)
    // lab:end
}
// ANCHOR_END: exercise
