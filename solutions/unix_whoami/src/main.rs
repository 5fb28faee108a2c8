//! `unix_whoami --path whoami_socket`: a Unix domain socket server that answers every
//! client with who the kernel says it is (`pid 4242 uid 1000 gid 1000`). SIGINT or
//! SIGTERM stops it and removes the socket file. This file is complete; your part is in
//! `src/lib.rs`.

use std::fs;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use netkit::Signals;
use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::Signal;
use std::os::fd::AsFd;
use unix_whoami::{prepare_path, serve};

/// Tell each client its pid, uid and gid, over a Unix domain socket.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Where the socket file goes.
    #[arg(long, default_value = "whoami_socket")]
    path: PathBuf,
}

/// Removes the socket file when the server ends, however it ends.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if fs::remove_file(&self.0).is_ok() {
            eprintln!("removed {}", self.0.display());
        }
    }
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let path = args.path;
    if prepare_path(&path)? {
        eprintln!("removed stale socket {}", path.display());
    }
    // socket(AF_UNIX, SOCK_STREAM, 0); bind; listen: bind creates the socket file.
    let listener = UnixListener::bind(&path)
        .map_err(|e| netkit::Fatal::new(format!("cannot bind {}: {e}", path.display())))?;
    let _cleanup = RemoveOnDrop(path.clone());
    let signals = Signals::catch(&[Signal::SIGINT, Signal::SIGTERM])?;
    println!("listening on {}", path.display());
    loop {
        let mut fds = [
            PollFd::new(listener.as_fd(), PollFlags::POLLIN),
            PollFd::new(signals.fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(_) | Err(Errno::EINTR) => {}
            Err(e) => return Err(e.into()),
        }
        if let Some(signal) = signals.drain().first() {
            eprintln!("stopping on {signal}");
            return Ok(());
        }
        if fds[0].any() == Some(true) {
            match listener.accept() {
                Ok((conn, _)) => {
                    if let Err(e) = serve(conn) {
                        eprintln!("client: {e}");
                    }
                }
                Err(e) => eprintln!("accept: {e}"),
            }
        }
    }
}
