//! An IRC bot: it connects, registers, joins its channel, answers PING, and answers
//! `!echo` and `!upper`. This file is complete; your part is `parse` and `respond` in
//! `src/lib.rs`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;

use clap::Parser;
use irc_bot::{Bot, parse};

/// The longest line read from the server (RFC 1459: 512 bytes with the CRLF).
const MAX_LINE: u64 = 512;

/// A small IRC bot.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// IRC server.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Its port.
    #[arg(long, default_value_t = 6667)]
    port: u16,
    /// The bot's nick (the bot adds `_` while it is taken).
    #[arg(long, default_value = "echobot")]
    nick: String,
    /// The channel to join.
    #[arg(long, default_value = "#bots")]
    channel: String,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    let addr = netkit::resolve_one(&args.host, args.port)?;
    // socket() + connect().
    let stream = TcpStream::connect(addr)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut bot = Bot::new(&args.nick, &args.channel);
    for line in bot.hello() {
        send(&mut writer, &line)?;
    }
    let mut raw = Vec::new();
    loop {
        // recv() up to a line end, at most MAX_LINE bytes.
        raw.clear();
        let n = (&mut reader).take(MAX_LINE).read_until(b'\n', &mut raw)?;
        if n == 0 {
            eprintln!("the server closed the connection");
            return Ok(());
        }
        let text = String::from_utf8_lossy(&raw);
        let line = text.trim_end_matches(['\n', '\r']);
        eprintln!(">> {line}");
        let Some(msg) = parse(line) else { continue };
        for answer in bot.respond(&msg) {
            send(&mut writer, &answer)?;
        }
    }
}

/// send(): one line and its CRLF.
fn send(writer: &mut TcpStream, line: &str) -> std::io::Result<()> {
    eprintln!("<< {line}");
    writer.write_all(format!("{line}\r\n").as_bytes())
}
