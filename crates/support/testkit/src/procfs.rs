//! What /proc says about a process: its state, parent, CPU time, open descriptors and
//! children. Linux only, like the course.

use std::fs;

/// The fields of `/proc/PID/stat` the tests look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: u32,
    /// `R` running, `S` sleeping, `Z` zombie (exited, not yet reaped), ...
    pub state: char,
    pub ppid: u32,
    /// User plus system CPU time, in clock ticks (usually 100 per second).
    pub cpu_ticks: u64,
}

/// `/proc/PID/stat`, or `None` once the process is gone.
pub fn proc_stat(pid: u32) -> Option<ProcStat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may contain spaces: split after it.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state(3) ppid(4) ... utime(14) stime(15), counted from 1.
    Some(ProcStat {
        pid,
        state: fields.first()?.chars().next()?,
        ppid: fields.get(1)?.parse().ok()?,
        cpu_ticks: fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?,
    })
}

/// How many file descriptors `pid` has open (entries of `/proc/PID/fd`).
pub fn open_fds(pid: u32) -> usize {
    fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap_or_else(|e| panic!("cannot list /proc/{pid}/fd: {e}"))
        .count()
}

/// Every process whose parent is `pid`, zombies included.
pub fn children_of(pid: u32) -> Vec<ProcStat> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(proc_stat)
        .filter(|stat| stat.ppid == pid)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_running_and_has_descriptors_open() {
        let me = std::process::id();
        let stat = proc_stat(me).unwrap();
        assert_eq!(stat.pid, me);
        assert!(matches!(stat.state, 'R' | 'S'), "{stat:?}");
        assert!(open_fds(me) >= 3);
    }

    #[test]
    fn a_child_that_exited_unwaited_is_a_zombie_of_ours() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        let deadline = std::time::Instant::now() + crate::PATIENCE;
        let mut seen = None;
        while std::time::Instant::now() < deadline {
            seen = children_of(std::process::id())
                .into_iter()
                .find(|c| c.pid == pid);
            if seen.is_some_and(|c| c.state == 'Z') {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert_eq!(seen.map(|c| c.state), Some('Z'));
        child.wait().unwrap();
        assert!(proc_stat(pid).is_none());
    }
}
