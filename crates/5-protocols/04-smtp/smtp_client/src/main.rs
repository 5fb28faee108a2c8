//! The Kurose mail-client assignment: send one message to an SMTP server, checking
//! the code of every reply, and show the dialogue as it happens.
//!
//! The body comes from stdin; `--from`, `--to` (one or more) and `--subject` make
//! the envelope and the headers. Each line we send is shown as `> ...`, each reply
//! as `< ...`.

use std::io::{self, BufReader, IsTerminal, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use netkit::Fatal;
use smtp_client::{Reply, message_text, read_reply};

/// Send one mail message over SMTP; the body is read from stdin.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Mail server to connect to.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port (smtp_server listens on 2525; real mail servers on 25).
    #[arg(long, default_value_t = 2525)]
    port: u16,
    /// The sender's address (MAIL FROM and the From: header).
    #[arg(long)]
    from: String,
    /// A recipient's address (RCPT TO and the To: header); repeat for several.
    #[arg(long, required = true)]
    to: Vec<String>,
    /// The Subject: header (any language: non-ASCII text is sent as RFC 2047
    /// encoded-words).
    #[arg(long, default_value = "")]
    subject: String,
    /// The name we greet the server with (HELO).
    #[arg(long, default_value = "localhost")]
    helo: String,
    /// Seconds to wait for the connection and for each reply.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // Read and check the whole message first: a line SMTP cannot carry is found
    // before anything is sent.
    if io::stdin().is_terminal() {
        eprintln!("Type the message; end it with Ctrl-D on a line of its own.");
    }
    let mut body = Vec::new();
    io::stdin().read_to_end(&mut body)?;
    let sent = std::time::SystemTime::now(); // for the Date: header
    let text = message_text(&args.from, &args.to, &args.subject, sent, &body)
        .map_err(Fatal::new)?;

    // ANCHOR: dialogue
    // clientSocket = socket(AF_INET, SOCK_STREAM); clientSocket.connect(mailserver)
    let wait = Duration::from_secs(args.timeout);
    let mut conn = connect(&args.host, args.port, wait)?;
    let mut replies = BufReader::new(conn.try_clone()?);

    // recv = clientSocket.recv(1024)
    // if recv[:3] != '220': print('220 reply not received')
    expect(&mut replies, &[220], "the greeting")?;
    command(&mut conn, &format!("HELO {}", args.helo))?;
    expect(&mut replies, &[250], "HELO")?;
    command(&mut conn, &format!("MAIL FROM:<{}>", args.from))?;
    expect(&mut replies, &[250], "MAIL FROM")?;
    for to in &args.to {
        command(&mut conn, &format!("RCPT TO:<{to}>"))?;
        // 251 means "not local, will forward": accepted too.
        expect(&mut replies, &[250, 251], &format!("RCPT TO:<{to}>"))?;
    }
    command(&mut conn, "DATA")?;
    expect(&mut replies, &[354], "DATA")?;
    // The message, dot-stuffed, ending with "\r\n.\r\n".
    conn.write_all(&text)?;
    println!("> ({} bytes of message, then \".\")", text.len() - 3);
    expect(&mut replies, &[250], "the message")?;
    command(&mut conn, "QUIT")?;
    expect(&mut replies, &[221], "QUIT")?;
    // clientSocket.close(): `conn` drops here.
    Ok(())
    // ANCHOR_END: dialogue
}

/// socket() + connect() to the first address that answers.
fn connect(host: &str, port: u16, wait: Duration) -> netkit::Result<TcpStream> {
    let mut last = None;
    for addr in netkit::resolve(host, port)? {
        match TcpStream::connect_timeout(&addr, wait) {
            Ok(conn) => {
                conn.set_read_timeout(Some(wait))?;
                conn.set_write_timeout(Some(wait))?;
                return Ok(conn);
            }
            Err(e) => last = Some(netkit::connect_error(e, addr)),
        }
    }
    Err(last.expect("resolve gives at least one address"))
}

/// Sends one command line (with its CRLF) and shows it.
fn command(conn: &mut TcpStream, line: &str) -> netkit::Result<()> {
    println!("> {line}");
    conn.write_all(format!("{line}\r\n").as_bytes())
        .map_err(|e| Fatal::new(format!("sending {line}: {e}")))
}

// ANCHOR: expect
/// Reads a reply, shows it, and fails unless its code is one of `codes`.
fn expect(
    replies: &mut impl io::BufRead,
    codes: &[u16],
    after: &str,
) -> netkit::Result<Reply> {
    let reply = read_reply(replies).map_err(|e| match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            Fatal::new(format!("no reply to {after} in time"))
        }
        _ => Fatal::new(format!("waiting for the reply to {after}: {e}")),
    })?;
    for line in &reply.lines {
        println!("< {} {line}", reply.code);
    }
    if !codes.contains(&reply.code) {
        return Err(Fatal::new(format!("the server refused {after}: {reply}")));
    }
    Ok(reply)
}
// ANCHOR_END: expect
