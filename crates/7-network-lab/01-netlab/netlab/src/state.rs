//! What a running lab remembers between commands, in its runtime folder
//! (/run/netlab/LAB for root, $XDG_RUNTIME_DIR/netlab/LAB for a user): the topology, the
//! wires' process, and the files `run` needs.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::netns::Netns;
use crate::topology::Topology;

/// Where every lab of root keeps its state: /run is a tmpfs, so a reboot forgets a lab
/// together with its namespaces.
pub const RUNTIME_ROOT: &str = "/run/netlab";

/// Where this user's labs keep their state: /run/netlab for root; for a user,
/// $XDG_RUNTIME_DIR/netlab (a tmpfs of their own, /run/user/UID), or ~/.cache/netlab.
pub fn runtime_root() -> Result<PathBuf, String> {
    if !crate::userns::unprivileged() {
        return Ok(PathBuf::from(RUNTIME_ROOT));
    }
    let var = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(run) = var("XDG_RUNTIME_DIR") {
        Ok(run.join("netlab"))
    } else if let Some(home) = var("HOME") {
        Ok(home.join(".cache").join("netlab"))
    } else {
        Err(
            "netlab keeps a lab's files in $XDG_RUNTIME_DIR/netlab (or ~/.cache/netlab), \
             and neither XDG_RUNTIME_DIR nor HOME is set"
                .to_owned(),
        )
    }
}

/// The state file in a lab's folder.
const STATE: &str = "state.json";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct State {
    /// The runtime folder the state is in.
    #[serde(skip)]
    pub dir: PathBuf,
    /// The lab's name: the prefix of its namespaces (`netlab-h1`).
    pub lab: String,
    pub topology: Topology,
    /// The kernel's netem impairs the links instead of the wires.
    pub netem: bool,
    /// The wires' process, once it runs.
    pub wires: Option<i32>,
    /// Seconds since the Unix epoch when `up` started.
    pub started: u64,
    /// The user who ran `sudo netlab up`, who gets the captures.
    pub owner: Option<(u32, u32)>,
    /// Built by a user, in a user namespace of the wires (see `userns`).
    #[serde(default)]
    pub unprivileged: bool,
    /// Without root: the wires' thread that holds each node's network namespace.
    #[serde(default)]
    pub holders: BTreeMap<String, i32>,
    /// Without root: the lab's user namespace (device, inode), to find what runs in it.
    #[serde(default)]
    pub userns: Option<(u64, u64)>,
}

/// The runtime folder of lab `lab`.
pub fn dir(lab: &str) -> Result<PathBuf, String> {
    Ok(runtime_root()?.join(lab))
}

/// A lab's name: a short word, since it prefixes every namespace's name.
pub fn check_lab_name(lab: &str) -> Result<(), String> {
    let ok = (1..=16).contains(&lab.len())
        && lab.starts_with(|c: char| c.is_ascii_lowercase())
        && lab
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{lab}` is not a lab name (up to 16 lowercase letters and digits, starting with a letter)"
        ))
    }
}

/// The namespace of node `node` of lab `lab`.
pub fn namespace(lab: &str, node: &str) -> String {
    format!("{lab}-{node}")
}

impl State {
    pub fn namespace(&self, node: &str) -> String {
        namespace(&self.lab, node)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where node `node`'s network stack is, for `run` and `ip` from outside the lab.
    pub fn netns(&self, node: &str) -> Result<Netns, String> {
        if !self.unprivileged {
            return Ok(Netns {
                user: None,
                net: crate::netns::path(&self.namespace(node)),
            });
        }
        match (self.wires, self.holders.get(node)) {
            (Some(pid), Some(tid)) => Ok(Netns {
                user: Some(format!("/proc/{pid}/ns/user").into()),
                net: format!("/proc/{pid}/task/{tid}/ns/net").into(),
            }),
            _ => Err(format!(
                "the namespace of {node} is not there (the wires never started): take the lab \
                 down with `netlab down`"
            )),
        }
    }

    pub fn load(dir: &Path) -> Result<State, String> {
        let path = dir.join(STATE);
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut state: State = serde_json::from_str(&text)
            .map_err(|e| format!("{} is damaged: {e}", path.display()))?;
        state.dir = dir.to_owned();
        Ok(state)
    }

    pub fn save(&self) -> Result<(), String> {
        let path = self.dir().join(STATE);
        let text = serde_json::to_string_pretty(self).expect("the state serializes");
        // Written whole, then renamed: a reader never sees half a file.
        let partial = path.with_extension("partial");
        fs::write(&partial, text)
            .and_then(|()| fs::rename(&partial, &path))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Gives a file netlab made to the user behind sudo, so they can open and delete it.
    pub fn give_to_user(&self, path: &Path) {
        if let Some((uid, gid)) = self.owner {
            let _ = std::os::unix::fs::chown(path, Some(uid), Some(gid));
        }
    }
}
