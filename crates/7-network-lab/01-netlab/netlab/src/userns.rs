//! Labs without root, through a user namespace.
//!
//! A user namespace is a private set of user ids with capabilities of its own: its
//! creator becomes root inside it, and a network namespace created from inside belongs
//! to it, so that root-inside may configure that network stack (interfaces, addresses,
//! routes, TAP devices) and nothing of the machine's. The wires process is the lab's
//! root: it creates the lab's user namespace (`unshare(CLONE_NEWUSER)`, the user mapped
//! to root inside), then one network namespace per node, each held by a thread that
//! stays in it. `netlab run` joins them with setns through /proc/WIRES/ns/user and
//! /proc/WIRES/task/TID/ns/net. When the wires stop, the namespaces go with them.
//!
//! What the kernel must allow, and what to do when it does not, is in `explain`.

use std::fs;
use std::io;
use std::sync::mpsc;
use std::thread;

use nix::errno::Errno;
use nix::sched::{CloneFlags, unshare};

/// Every message that says what a user lacks starts so; `up` shows it as it is.
pub const WITHOUT_ROOT: &str = "without root, ";

/// Whether this process builds and uses labs as a user (through user namespaces).
pub fn unprivileged() -> bool {
    !nix::unistd::Uid::effective().is_root()
}

/// The step that failed, for `explain`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step {
    /// unshare(CLONE_NEWUSER)
    UserNamespace,
    /// Writing uid_map and gid_map, or unshare(CLONE_NEWNET) inside.
    Inside,
    /// open("/dev/net/tun") and TUNSETIFF.
    Tun,
}

// ANCHOR: lab_root
/// Makes this process (which must still have a single thread) the root of a new user
/// namespace: the calling user is root inside, and nobody else exists there.
pub fn become_lab_root() -> Result<(), String> {
    let (uid, gid) = (nix::unistd::getuid(), nix::unistd::getgid());
    // unshare(CLONE_NEWUSER): a user namespace of our own, with every capability in it.
    unshare(CloneFlags::CLONE_NEWUSER).map_err(|e| explain(Step::UserNamespace, e, sysctl))?;
    // Our user id is root inside (uid_map: inside, outside, count). A user may map only
    // their own ids, and the group ids only once setgroups is denied.
    let maps = [
        ("/proc/self/setgroups", "deny".to_owned()),
        ("/proc/self/uid_map", format!("0 {uid} 1")),
        ("/proc/self/gid_map", format!("0 {gid} 1")),
    ];
    for (file, text) in maps {
        fs::write(file, text).map_err(|e| explain(Step::Inside, errno(&e), sysctl))?;
    }
    Ok(())
}

/// A new network namespace, held by a thread that stays in it for good; returns the
/// thread's id, so that /proc/PID/task/TID/ns/net opens the namespace.
pub fn hold_new_netns() -> Result<i32, String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        // unshare(CLONE_NEWNET): moves this thread only into a fresh network stack.
        let made = unshare(CloneFlags::CLONE_NEWNET).map(|()| nix::unistd::gettid().as_raw());
        let held = made.is_ok();
        let _ = tx.send(made);
        if held {
            // The namespace lives as long as a thread is in it: this one stays for good.
            loop {
                thread::park();
            }
        }
    });
    let made = rx.recv().expect("the namespace thread answers");
    made.map_err(|e| explain(Step::Inside, e, sysctl))
}
// ANCHOR_END: lab_root

fn errno(e: &io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(0))
}

/// A kernel setting (`kernel/unprivileged_userns_clone`), if this kernel has it.
pub fn sysctl(key: &str) -> Option<String> {
    fs::read_to_string(format!("/proc/sys/{key}"))
        .ok()
        .map(|s| s.trim().to_owned())
}

/// What failed, why (from the kernel's settings) and what to do, in one line.
pub fn explain(step: Step, e: Errno, sysctl: impl Fn(&str) -> Option<String>) -> String {
    let is = |key: &str, value: &str| sysctl(key).as_deref() == Some(value);
    let sudo = "or run netlab with sudo";
    match step {
        Step::UserNamespace | Step::Inside if is("kernel/unprivileged_userns_clone", "0") => {
            format!(
                "{WITHOUT_ROOT}netlab needs user namespaces, and this kernel keeps them from users \
                 (kernel.unprivileged_userns_clone = 0): allow them with \
                 `sudo sysctl -w kernel.unprivileged_userns_clone=1`, {sudo}"
            )
        }
        Step::UserNamespace | Step::Inside if is("user/max_user_namespaces", "0") => format!(
            "{WITHOUT_ROOT}netlab needs user namespaces, and this kernel allows none \
             (user.max_user_namespaces = 0): allow them with \
             `sudo sysctl -w user.max_user_namespaces=10000`, {sudo}"
        ),
        Step::UserNamespace | Step::Inside
            if is("kernel/apparmor_restrict_unprivileged_userns", "1") =>
        {
            format!(
                "{WITHOUT_ROOT}netlab needs user namespaces, and AppArmor keeps them from programs \
                 without a profile that allows them (kernel.apparmor_restrict_unprivileged_userns \
                 = 1): give netlab such a profile (see the book), or \
                 `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`, {sudo}"
            )
        }
        Step::UserNamespace | Step::Inside => format!(
            "{WITHOUT_ROOT}netlab needs user namespaces, and the kernel refused one ({}); in a \
             container, its seccomp profile may forbid them: run the container with \
             --security-opt seccomp=unconfined, {sudo}",
            e.desc()
        ),
        Step::Tun if e == Errno::ENOENT || e == Errno::ENODEV => format!(
            "{WITHOUT_ROOT}netlab needs /dev/net/tun, and this machine has none ({}): \
             `sudo modprobe tun`, {sudo}",
            e.desc()
        ),
        Step::Tun if e == Errno::EACCES || e == Errno::EPERM => format!(
            "{WITHOUT_ROOT}netlab needs to open /dev/net/tun, and here only root may: \
             `sudo chmod 0666 /dev/net/tun` (most distributions ship it so), {sudo}"
        ),
        Step::Tun => format!(
            "{WITHOUT_ROOT}netlab needs TAP devices, and the kernel refused one ({}), {sudo}",
            e.desc()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
    }

    #[test]
    fn each_missing_permission_is_named_with_its_remedy() {
        let debian = explain(
            Step::UserNamespace,
            Errno::EPERM,
            settings(&[("kernel/unprivileged_userns_clone", "0")]),
        );
        assert!(debian.starts_with(WITHOUT_ROOT), "{debian}");
        assert!(debian.contains("sudo sysctl -w kernel.unprivileged_userns_clone=1"));
        let ubuntu = explain(
            Step::Inside,
            Errno::EPERM,
            settings(&[
                ("kernel/unprivileged_userns_clone", "1"),
                ("kernel/apparmor_restrict_unprivileged_userns", "1"),
            ]),
        );
        assert!(ubuntu.contains("AppArmor"), "{ubuntu}");
        let none = explain(
            Step::UserNamespace,
            Errno::ENOSPC,
            settings(&[("user/max_user_namespaces", "0")]),
        );
        assert!(none.contains("user.max_user_namespaces=10000"), "{none}");
        let container = explain(Step::UserNamespace, Errno::EPERM, settings(&[]));
        assert!(container.contains("seccomp"), "{container}");
        let tun = explain(Step::Tun, Errno::EACCES, settings(&[]));
        assert!(tun.contains("sudo chmod 0666 /dev/net/tun"), "{tun}");
        for line in [debian, ubuntu, none, container, tun] {
            assert!(!line.contains('\n'), "{line}");
            assert!(line.ends_with("or run netlab with sudo"), "{line}");
        }
    }
}
