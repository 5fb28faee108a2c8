//! echoc.c in Rust: send each line to the AF_UNIX echo server, print the echo.

use std::io::{self, BufRead, ErrorKind, IsTerminal, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use netkit::Fatal;

/// Send every line of stdin to unix_echo_server and print what comes back.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Path of the server's socket file.
    #[arg(long, default_value = "echo_socket")]
    path: PathBuf,
}

/// How long the client waits for an echo.
const PATIENCE: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: run
    let shown = args.path.display();
    println!("Trying to connect...");
    // s = socket(AF_UNIX, SOCK_STREAM, 0);
    // connect(s, (struct sockaddr *)&remote, len)
    let mut conn = UnixStream::connect(&args.path).map_err(|e| match e.kind() {
        ErrorKind::NotFound => Fatal::new(format!(
            "no socket at {shown}; start unix_echo_server first, or check --path"
        )),
        ErrorKind::ConnectionRefused => {
            let hint = "(a stale socket file?); start unix_echo_server";
            Fatal::new(format!("nobody is listening on {shown} {hint}"))
        }
        _ => Fatal::new(format!("cannot connect to {shown}: {e}")),
    })?;
    conn.set_read_timeout(Some(PATIENCE))?;
    println!("Connected.");

    let stdin = io::stdin();
    let prompt = stdin.is_terminal();
    let mut line = Vec::new();
    loop {
        // while (printf("> "), fgets(str, 100, stdin), !feof(stdin))
        if prompt {
            print!("> ");
            io::stdout().flush()?;
        }
        line.clear();
        if stdin.lock().read_until(b'\n', &mut line)? == 0 {
            return Ok(()); // end of input; close(s) as `conn` drops
        }
        // send(s, str, strlen(str), 0)
        conn.write_all(&line).map_err(|e| match e.kind() {
            ErrorKind::BrokenPipe | ErrorKind::ConnectionReset => {
                Fatal::new("Server closed connection")
            }
            _ => Fatal::new(format!("send: {e}")),
        })?;
        // recv(s, str, 100, 0), until the whole line is back.
        let mut echo = vec![0u8; line.len()];
        conn.read_exact(&mut echo).map_err(|e| match e.kind() {
            // A close with our line still unread arrives as a reset, not an end.
            ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset => {
                Fatal::new("Server closed connection")
            }
            _ => Fatal::new(format!("recv: {e}")),
        })?;
        // printf("echo> %s", str)
        print!("echo> {}", String::from_utf8_lossy(&echo));
        if !echo.ends_with(b"\n") {
            println!();
        }
    }
    // ANCHOR_END: run
}
