//! UDPClient.py in Rust: send a sentence as one datagram, print the datagram that comes back.
//!
//! UDP promises nothing: a datagram or its reply may be lost and nobody will say so. So
//! unlike the Python original, this client waits for each reply only so long (`--timeout`,
//! 1 s by default) and then says what happened and exits with status 1.

use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use udp_upper_client::{BUFFER, describe_failure, exchange, max_payload, too_long, udp_connect};

/// Send sentences to udp_upper_server and print the uppercased replies.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Server to send to.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 12000)]
    port: u16,
    /// Seconds to wait for each reply (fractions allowed, e.g. 0.5).
    #[arg(long, default_value = "1", allow_negative_numbers = true,
          value_parser = udp_upper_client::parse_timeout)]
    timeout: Duration,
    /// A sentence to send; without one, every line of stdin is sent as its own datagram.
    sentence: Vec<String>,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: run
    // serverName, serverPort: the first address the name resolves to.
    let server = netkit::resolve_one(&args.host, args.port)?;
    //                           clientSocket = socket(AF_INET, SOCK_DGRAM)
    let socket = udp_connect(server)?;
    // setsockopt(SO_RCVTIMEO): recv() gives up after --timeout instead of waiting forever.
    socket.set_read_timeout(Some(args.timeout))?;
    let limit = max_payload(server);
    let mut buf = vec![0u8; BUFFER];

    let mut send = |sentence: &[u8]| -> netkit::Result<()> {
        if sentence.len() > limit {
            return Err(too_long(server));
        }
        let n = exchange(&socket, sentence, &mut buf)
            .map_err(|e| describe_failure(e, server, args.timeout))?;
        // print(modifiedMessage.decode())
        println!("From Server: {}", String::from_utf8_lossy(&buf[..n]));
        Ok(())
    };
    // ANCHOR_END: run

    if !args.sentence.is_empty() {
        return send(args.sentence.join(" ").as_bytes());
    }
    let stdin = io::stdin();
    let prompt = stdin.is_terminal();
    let mut line = Vec::new();
    loop {
        if prompt {
            print!("Input lowercase sentence: "); // message = input('Input lowercase sentence:')
            io::stdout().flush()?;
        }
        line.clear();
        // A line is read up to one byte more than a datagram holds (plus its newline), so
        // an endless line cannot fill the memory: past the limit it is an error anyway.
        let mut lines = stdin.lock().take(limit as u64 + 2);
        if lines.read_until(b'\n', &mut line)? == 0 {
            return Ok(()); // end of input: clientSocket.close() as `socket` drops
        }
        send(line.strip_suffix(b"\n").unwrap_or(&line))?;
    }
}
