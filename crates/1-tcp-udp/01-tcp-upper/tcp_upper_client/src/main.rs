//! TCPClient.py in Rust: send a sentence, print what the server sends back.
//!
//! With a sentence on the command line it sends that one and exits. Otherwise it reads
//! lines from stdin (prompting when stdin is a terminal) and sends each one, until end
//! of input: over the same connection while the server keeps it open (ours does), on a
//! new one for each sentence when the server closes after every reply (Kurose's
//! TCPServer.py does).

use std::io::{self, BufRead, IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::Parser;
use netkit::Fatal;
use tcp_upper_client::{MAX_LINE, Session};

/// Send sentences to tcp_upper_server and print the uppercased replies.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Server to connect to.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 12000)]
    port: u16,
    /// A sentence to send; without one, every line of stdin is sent.
    sentence: Vec<String>,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: run
    // serverName, serverPort: getaddrinfo() may give several addresses (IPv6 and IPv4).
    let addrs = netkit::resolve(&args.host, args.port)?;
    // clientSocket = socket(AF_INET, SOCK_STREAM); clientSocket.connect((serverName, serverPort))
    let mut session = Session::connect(addrs)?;
    let mut told = false;

    let mut send = |sentence: &[u8]| -> netkit::Result<()> {
        let reply = session.send(sentence)?;
        // print('From Server:', modifiedSentence.decode())
        println!("From Server: {}", String::from_utf8_lossy(&reply));
        if session.reconnects > 0 && !told {
            // Said once, for a server like TCPServer.py.
            told = true;
            eprintln!(
                "{}: the server closes the connection after each reply; \
                 connecting again for each sentence",
                netkit::program_name()
            );
        }
        Ok(())
    };

    if !args.sentence.is_empty() {
        return send(args.sentence.join(" ").as_bytes());
    }
    let stdin = io::stdin();
    let prompt = stdin.is_terminal();
    // Bytes, not String: whatever the user types goes to the server, UTF-8 or not.
    let mut line = Vec::new();
    loop {
        if prompt {
            print!("Input lowercase sentence: "); // sentence = input('Input lowercase sentence:')
            io::stdout().flush()?;
        }
        line.clear();
        // At most one byte past the limit (and the newline): an endless line
        // cannot fill the memory.
        let mut lines = stdin.lock().take(MAX_LINE as u64 + 2);
        if lines.read_until(b'\n', &mut line)? == 0 {
            return Ok(()); // end of input: clientSocket.close() as `stream` drops
        }
        let sentence = line.strip_suffix(b"\n").unwrap_or(&line);
        if sentence.len() > MAX_LINE {
            let words = format!("a line of more than {MAX_LINE} bytes; send shorter lines");
            return Err(Fatal::new(words));
        }
        send(sentence)?;
    }
    // ANCHOR_END: run
}
