//! What a running lab remembers between commands, in its runtime folder
//! (/run/netlab/LAB): the topology, the wires' process, and the files `run` needs.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::topology::Topology;

/// Where every lab keeps its state: /run is a tmpfs, so a reboot forgets a lab together
/// with its namespaces.
pub const RUNTIME_ROOT: &str = "/run/netlab";

/// The state file in a lab's folder.
const STATE: &str = "state.json";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct State {
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
}

/// The runtime folder of lab `lab`.
pub fn dir(lab: &str) -> PathBuf {
    Path::new(RUNTIME_ROOT).join(lab)
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

    pub fn dir(&self) -> PathBuf {
        dir(&self.lab)
    }

    pub fn load(dir: &Path) -> Result<State, String> {
        let path = dir.join(STATE);
        let text = fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{} is damaged: {e}", path.display()))
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
