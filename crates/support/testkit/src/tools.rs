//! The external tools the tests need, from one list (`tools.txt`), which `cargo xtask test`
//! also reads to install them.

use std::path::PathBuf;
use std::process::Command;

/// The list itself, as written in `crates/support/testkit/tools.txt`.
pub const LIST: &str = include_str!("../tools.txt");

/// Where a tool comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A Debian package that provides a command of the tool's name.
    Apt,
    /// This Debian package exactly: another package's command of the same name will not do
    /// (`nc` must be OpenBSD's netcat).
    AptExact,
    /// A Python module from PyPI, for the `python3` on PATH.
    Pip,
    /// A program installed with `cargo install`.
    Cargo,
}

/// One line of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tool {
    /// The command on PATH, or the Python module's name.
    pub name: String,
    pub source: Source,
    /// The package that provides it.
    pub package: String,
    /// What needs it, for the reader of a failure or an install plan.
    pub needed_by: String,
}

/// Every tool of the list, in its order.
pub fn all() -> Vec<Tool> {
    parse(LIST).unwrap_or_else(|e| panic!("tools.txt: {e}"))
}

/// Reads the list: `tool | from | package | what needs it`, `#` comments, blank lines.
pub fn parse(text: &str) -> Result<Vec<Tool>, String> {
    let mut tools = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let [name, from, package, needed_by] = fields[..] else {
            return Err(format!(
                "line {}: expected `tool | from | package | what needs it`",
                number + 1
            ));
        };
        let source = match from {
            "apt" => Source::Apt,
            "apt-exact" => Source::AptExact,
            "pip" => Source::Pip,
            "cargo" => Source::Cargo,
            other => {
                return Err(format!(
                    "line {}: `{other}` is not apt, apt-exact, pip or cargo",
                    number + 1
                ));
            }
        };
        if name.is_empty() || package.is_empty() {
            return Err(format!(
                "line {}: a tool and its package are needed",
                number + 1
            ));
        }
        tools.push(Tool {
            name: name.to_owned(),
            source,
            package: package.to_owned(),
            needed_by: needed_by.to_owned(),
        });
    }
    Ok(tools)
}

/// The list's line for `name`; a test that asks for a tool the list does not name fails,
/// so the installer can never miss one.
pub fn listed(name: &str) -> Tool {
    all().into_iter().find(|t| t.name == name).unwrap_or_else(|| {
        panic!(
            "this test asks for `{name}`, which crates/support/testkit/tools.txt does not list; \
             add it there so that `cargo xtask test` installs it"
        )
    })
}

/// How to get a tool, in the words a failing test prints.
fn how_to_install(tool: &Tool) -> String {
    let by_hand = match tool.source {
        Source::Apt | Source::AptExact => format!("apt-get install {}", tool.package),
        Source::Pip => format!("python3 -m pip install {}", tool.package),
        Source::Cargo => format!("cargo install {} --locked", tool.package),
    };
    format!("run `cargo xtask test` (it installs what the tests need), or {by_hand}")
}

/// Searches PATH for a command.
pub fn on_path(command: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(command))
        .find(|candidate| candidate.is_file())
}

/// The path of an external tool a test needs, or a failure that says how to install it.
pub fn require_tool(name: &str) -> PathBuf {
    let tool = listed(name);
    on_path(name).unwrap_or_else(|| {
        panic!(
            "this test needs `{name}` ({}), which is not installed: {}",
            tool.package,
            how_to_install(&tool)
        )
    })
}

/// The `python3` on PATH, once it is known to import `module` (a `pip` line of the list).
pub fn require_python_module(module: &str) -> PathBuf {
    let tool = listed(module);
    let python = require_tool("python3");
    let imports = Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|out| out.status.success());
    assert!(
        imports,
        "this test needs the Python module `{module}`, which {} cannot import: {}",
        python.display(),
        how_to_install(&tool)
    );
    python
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_reads_and_names_each_tool_once() {
        let tools = all();
        assert!(
            tools
                .iter()
                .any(|t| t.name == "nc" && t.source == Source::AptExact)
        );
        let mut names: Vec<_> = tools.iter().map(|t| t.name.as_str()).collect();
        names.sort();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "a tool listed twice");
    }

    #[test]
    fn a_malformed_line_is_an_error_naming_it() {
        assert_eq!(
            parse("# c\nnc | apt | netcat-openbsd | x\ncurl | snap | curl | y\n").unwrap_err(),
            "line 3: `snap` is not apt, apt-exact, pip or cargo"
        );
        assert!(parse("nc | apt\n").unwrap_err().starts_with("line 1:"));
    }

    #[test]
    #[should_panic(expected = "does not list")]
    fn a_tool_the_list_does_not_name_fails_the_test() {
        require_tool("telnet");
    }
}
