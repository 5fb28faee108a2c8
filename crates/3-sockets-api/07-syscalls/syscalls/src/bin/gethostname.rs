//! gethostname(): the name of the machine the program runs on, as the `hostname` command
//! prints it.
//!
//! The name is whatever the administrator set (in a container, often the container's id);
//! it is not necessarily a name any resolver knows. To turn it into addresses, give it to
//! getaddrinfo: `cargo run -p showip -- "$(cargo run -q -p syscalls --bin gethostname)"`.

use std::process::ExitCode;

use clap::Parser;

/// Print this machine's host name (gethostname).
#[derive(Parser)]
#[command(version)]
struct Args {}

fn main() -> ExitCode {
    let Args {} = netkit::parse_args();
    netkit::finish(run())
}

// ANCHOR: gethostname
fn run() -> netkit::Result<()> {
    // char hostname[256]; gethostname(hostname, sizeof hostname);
    // nix sizes the buffer and stops at the NUL for us.
    let name = nix::unistd::gethostname()?;
    println!("{}", name.to_string_lossy());
    Ok(())
}
// ANCHOR_END: gethostname
