//! What /proc says about a process: its state, parent, CPU time, open descriptors and
//! children; and about the kernel's IPv4 TCP sockets. Linux only, like the course.

use std::fs;
use std::net::{Ipv4Addr, SocketAddrV4};

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

/// One line of `/proc/net/tcp`: an IPv4 TCP socket of this network namespace, as `ss -tan`
/// shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSocket {
    pub local: SocketAddrV4,
    pub remote: SocketAddrV4,
    /// The kernel's state number: 1 ESTABLISHED, 2 SYN_SENT, 8 CLOSE_WAIT, 10 LISTEN, ...
    pub state: u8,
    /// Bytes sent and not yet acknowledged by the peer.
    pub tx_queue: u32,
    /// Bytes received and not yet read; for a listener, connections waiting for accept.
    pub rx_queue: u32,
}

/// Every IPv4 TCP socket in `/proc/net/tcp` (see proc(5)).
pub fn tcp_sockets() -> Vec<TcpSocket> {
    fn address(field: &str) -> Option<SocketAddrV4> {
        let (ip, port) = field.split_once(':')?;
        // The address is a native-endian u32 printed in hex; the port is plain hex.
        let ip = u32::from_str_radix(ip, 16).ok()?;
        let port = u16::from_str_radix(port, 16).ok()?;
        Some(SocketAddrV4::new(Ipv4Addr::from(u32::from_be(ip)), port))
    }
    let table = fs::read_to_string("/proc/net/tcp").expect("read /proc/net/tcp");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (tx, rx) = fields.get(4)?.split_once(':')?;
            Some(TcpSocket {
                local: address(fields.get(1)?)?,
                remote: address(fields.get(2)?)?,
                state: u8::from_str_radix(fields.get(3)?, 16).ok()?,
                tx_queue: u32::from_str_radix(tx, 16).ok()?,
                rx_queue: u32::from_str_radix(rx, 16).ok()?,
            })
        })
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

    #[test]
    fn a_listener_and_a_connection_show_up_in_the_tcp_table() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let std::net::SocketAddr::V4(at) = listener.local_addr().unwrap() else {
            unreachable!()
        };
        let client = std::net::TcpStream::connect(at).unwrap();
        let std::net::SocketAddr::V4(from) = client.local_addr().unwrap() else {
            unreachable!()
        };
        let table = tcp_sockets();
        let listening = table.iter().find(|s| s.local == at && s.state == 10);
        assert!(listening.is_some(), "{table:?}");
        let connected = table.iter().find(|s| s.local == from && s.remote == at);
        assert_eq!(connected.map(|s| s.state), Some(1), "{table:?}");
    }
}
