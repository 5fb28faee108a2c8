//! A tiny HTTP client: GET a URL, print the body. This file is complete; your part is
//! `read_response` in `src/lib.rs`.

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use http_client::{parse_url, read_response, request};
use netkit::Fatal;

/// GET an http:// URL and print the body of the response.
#[derive(Parser)]
struct Args {
    /// The URL, such as http://127.0.0.1:6789/index.html
    url: String,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let url = parse_url(&args.url).map_err(Fatal::new)?;
    let addrs = netkit::resolve(&url.host, url.port)?;
    let mut stream = TcpStream::connect_timeout(&addrs[0], Duration::from_secs(5))
        .map_err(|e| netkit::connect_error(e, addrs[0]))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(&request(&url))?;
    let response = read_response(&mut BufReader::new(&stream))
        .map_err(|e| Fatal::new(format!("bad response: {e}")))?;
    if response.status >= 400 {
        eprintln!("http_client: the server answered {}", response.status);
    }
    std::io::stdout().write_all(&response.body)?;
    Ok(())
}
