//! Beej's selectserver.c: a chat server in one thread. This file is complete; your part is
//! `Chat::step` in `src/lib.rs`.

use std::process::ExitCode;

use clap::Parser;
use select_chat::Chat;

/// Relay whatever a client sends to every other client, all in one thread, with select().
#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 9034)]
    port: u16,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    let listener = netkit::tcp_listen(addr)?;
    netkit::announce(listener.local_addr()?);
    let mut chat = Chat::new(listener);
    loop {
        chat.step()?;
    }
}
