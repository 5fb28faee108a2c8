//! The Kurose mail-client assignment: send the message on stdin through an SMTP server.
//! This file is complete; your part is in `src/lib.rs`.

use std::io::{BufReader, Read};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use netkit::Fatal;
use smtp_client::send_mail;

/// Send the message on stdin by SMTP.
#[derive(Parser)]
struct Args {
    /// Mail server.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Mail server port.
    #[arg(long, default_value_t = 2525)]
    port: u16,
    /// Sender address.
    #[arg(long)]
    from: String,
    /// Recipient address.
    #[arg(long)]
    to: String,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let mut message = String::new();
    std::io::stdin().read_to_string(&mut message)?;
    let addrs = netkit::resolve(&args.host, args.port)?;
    let stream = TcpStream::connect_timeout(&addrs[0], Duration::from_secs(5))
        .map_err(|e| netkit::connect_error(e, addrs[0]))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(&stream);
    send_mail(&mut reader, &stream, &args.from, &args.to, &message).map_err(Fatal::new)?;
    eprintln!("sent");
    Ok(())
}
