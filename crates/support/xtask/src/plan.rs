//! What this machine lacks of testkit's tool list, and the commands that install it.

use std::process::Command;

use testkit::tools::{self, Source, Tool};

/// The tools that are missing here, in the list's order.
pub struct Plan {
    missing: Vec<Tool>,
    /// Python has no pip: Debian's python3-pip comes first.
    needs_pip: bool,
}

impl Plan {
    /// Looks at this machine: PATH, dpkg's database, what python3 can import.
    pub fn for_this_machine() -> Plan {
        let missing: Vec<Tool> = tools::all().into_iter().filter(|t| !present(t)).collect();
        let needs_pip = missing.iter().any(|t| t.source == Source::Pip)
            && !succeeds("python3", &["-m", "pip", "--version"]);
        Plan { missing, needs_pip }
    }

    pub fn is_empty(&self) -> bool {
        self.missing.is_empty()
    }

    /// `nc (netcat-openbsd), irc (pip: irc)`: the tools and where they come from.
    pub fn missing_names(&self) -> String {
        let names: Vec<String> = self
            .missing
            .iter()
            .map(|t| match t.source {
                Source::Apt | Source::AptExact => format!("{} (Debian: {})", t.name, t.package),
                Source::Pip => format!("{} (PyPI: {})", t.name, t.package),
                Source::Cargo => format!("{} (crates.io: {})", t.name, t.package),
            })
            .collect();
        names.join(", ")
    }

    /// The commands, in order; `sudo` before the system-wide ones when not `root`.
    pub fn commands(&self, root: bool) -> Result<Vec<Vec<String>>, String> {
        let mut packages: Vec<&str> = Vec::new();
        for tool in &self.missing {
            if matches!(tool.source, Source::Apt | Source::AptExact)
                && !packages.contains(&tool.package.as_str())
            {
                packages.push(&tool.package);
            }
        }
        if self.needs_pip {
            packages.push("python3-pip");
        }
        let mut commands = Vec::new();
        if !packages.is_empty() {
            if tools::on_path("apt-get").is_none() {
                return Err(format!(
                    "these Debian packages are needed, and this machine has no apt-get: {}; \
                     install the same tools with your system's package manager",
                    packages.join(" ")
                ));
            }
            let sudo: &[&str] = if root { &[] } else { &["sudo"] };
            commands.push(words(sudo, &["apt-get", "update"], &[]));
            commands.push(words(
                sudo,
                &["apt-get", "install", "-y", "--no-install-recommends"],
                &packages,
            ));
        }
        let pip: Vec<&str> = self.packages_from(Source::Pip);
        if !pip.is_empty() {
            // Debian's python3 refuses pip installs outside a virtual environment (PEP 668);
            // the tests need the module for the python3 on PATH, so say that this is meant.
            let user: &[&str] = if root { &[] } else { &["--user"] };
            let mut command = words(
                &["env", "PIP_BREAK_SYSTEM_PACKAGES=1"],
                &["python3", "-m", "pip", "install", "--quiet"],
                user,
            );
            command.extend(pip.iter().map(|p| p.to_string()));
            commands.push(command);
        }
        for package in self.packages_from(Source::Cargo) {
            commands.push(words(&[], &["cargo", "install", package, "--locked"], &[]));
        }
        Ok(commands)
    }

    fn packages_from(&self, source: Source) -> Vec<&str> {
        self.missing
            .iter()
            .filter(|t| t.source == source)
            .map(|t| t.package.as_str())
            .collect()
    }

    /// The dry run's report: what is missing and what would run.
    pub fn describe(&self) -> String {
        if self.is_empty() {
            return "nothing to install: every tool the tests need is here\n".to_owned();
        }
        let mut text = format!("missing: {}\n", self.missing_names());
        match self.commands(testkit::running_as_root()) {
            Ok(commands) => {
                text.push_str("would run:\n");
                for command in commands {
                    text.push_str(&format!("  {}\n", command.join(" ")));
                }
            }
            Err(message) => text.push_str(&format!("cannot install here: {message}\n")),
        }
        text
    }
}

fn words(prefix: &[&str], command: &[&str], suffix: &[&str]) -> Vec<String> {
    prefix
        .iter()
        .chain(command)
        .chain(suffix)
        .map(|w| w.to_string())
        .collect()
}

fn succeeds(program: &str, args: &[&str]) -> bool {
    tools::on_path(program).is_some()
        && Command::new(program)
            .args(args)
            .output()
            .is_ok_and(|out| out.status.success())
}

/// Whether a tool of the list is installed.
fn present(tool: &Tool) -> bool {
    match tool.source {
        Source::Apt | Source::Cargo => tools::on_path(&tool.name).is_some(),
        // Another package's command of the same name does not count: ask dpkg.
        Source::AptExact => {
            tools::on_path(&tool.name).is_some()
                && tools::on_path("dpkg-query").is_some()
                && Command::new("dpkg-query")
                    .args(["-W", "-f=${Status}", &tool.package])
                    .output()
                    .is_ok_and(|out| out.stdout.ends_with(b"install ok installed"))
        }
        Source::Pip => succeeds("python3", &["-c", &format!("import {}", tool.name)]),
    }
}
