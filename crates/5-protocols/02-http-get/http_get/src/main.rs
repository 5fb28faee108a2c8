//! Talk HTTP by hand: what `nc` does when you type a request, as a program.
//!
//! It builds the request from its arguments, sends it, and prints the response exactly as
//! it arrived (status line, headers, empty line, body with any chunk framing), or with
//! `--body` only the body. It does not follow redirects: a `301` is printed, with its
//! `Location`, as the notes show it.

use std::io::{self, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use http_get::{build_request, host_header, parse_url, read_response};
use netkit::Fatal;

/// Send one HTTP request and print the response.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// A URL (http://HOST[:PORT]/PATH) or a path (then --host and --port say where).
    target: String,
    /// Server to connect to, when TARGET is a path.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port, when TARGET is a path.
    #[arg(long, default_value_t = 80)]
    port: u16,
    /// The method (default GET, or POST with --data).
    #[arg(short = 'X', long)]
    method: Option<String>,
    /// An extra header, "Name: value" (repeat for more).
    #[arg(short = 'H', long = "header")]
    headers: Vec<String>,
    /// A request body (sent as a form unless a Content-Type header is given).
    #[arg(short = 'd', long)]
    data: Option<String>,
    /// Send HTTP/1.0 instead of HTTP/1.1.
    #[arg(long = "http1.0")]
    http10: bool,
    /// Print only the body (chunked framing removed), not the raw response.
    #[arg(short = 'b', long)]
    body: bool,
    /// Also print the request, on stderr, each line starting with "> ".
    #[arg(short = 'v', long)]
    verbose: bool,
    /// Seconds to wait for the connection and for each read.
    #[arg(long, default_value_t = 10.0)]
    timeout: f64,
    /// The largest body accepted, in bytes.
    #[arg(long, default_value_t = 100 << 20)]
    max_body: u64,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let url_given = !args.target.starts_with('/');
    let target = if !url_given {
        http_get::Target {
            host: args.host.clone(),
            port: args.port,
            path: args.target.clone(),
        }
    } else {
        parse_url(&args.target).map_err(Fatal::new)?
    };
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| Fatal::new("--timeout must be a positive number of seconds"))?;
    let mut headers = Vec::new();
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .filter(|(name, _)| !name.is_empty() && !name.contains(char::is_whitespace))
            .ok_or_else(|| {
                Fatal::new(format!(
                    "-H '{header}' is not a header; write 'Name: value'"
                ))
            })?;
        if value.contains(['\r', '\n']) {
            return Err(Fatal::new(format!(
                "-H '{name}': a header value cannot contain a line break"
            )));
        }
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let body = args.data.unwrap_or_default().into_bytes();
    let method = args
        .method
        .unwrap_or_else(|| if body.is_empty() { "GET" } else { "POST" }.to_owned());
    if !body.is_empty()
        && !headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        headers.push((
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        ));
    }
    let version = if args.http10 { "HTTP/1.0" } else { "HTTP/1.1" };

    // ANCHOR: exchange
    // getaddrinfo(): every address of the host; try each in turn, as Beej's client does.
    let addrs = netkit::resolve(&target.host, target.port)?;
    let mut last_error = None;
    let mut connected = None;
    for addr in &addrs {
        // socket() + connect(), giving up after the timeout.
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(stream) => {
                connected = Some(stream);
                break;
            }
            Err(e) => {
                // Name what the user typed: the URL, or --host and --port.
                let check = if url_given {
                    "the URL"
                } else {
                    "--host and --port"
                };
                last_error = Some(netkit::connect_error_naming(e, *addr, check));
            }
        }
    }
    let Some(mut stream) = connected else {
        return Err(last_error.unwrap_or_else(|| Fatal::new("no address to connect to")));
    };
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;

    // The request, byte for byte what you would type into nc (with CRLF line ends).
    let host = host_header(&target.host, target.port);
    let request = build_request(&method, &target.path, version, &host, &headers, &body);
    if args.verbose {
        for line in String::from_utf8_lossy(&request).split_inclusive('\n') {
            eprint!("> {line}");
        }
        eprintln!();
    }
    // send() until all is taken (sendall).
    stream.write_all(&request)?;

    // recv() until the response is complete: how far depends on its framing.
    let response = read_response(&mut stream, method == "HEAD", args.max_body)
        .map_err(|e| Fatal::new(e.to_string()))?;
    // ANCHOR_END: exchange

    let mut out = io::stdout().lock();
    out.write_all(if args.body {
        &response.body
    } else {
        &response.raw
    })?;
    out.flush()?;
    Ok(())
    // close(): `stream` is dropped here.
}
