//! A syslog client after Real World Haskell's chapter 27: every line of input (or
//! the message on the command line) becomes one message `<PRI>tag: text`, sent over
//! UDP, or with `--tcp` over one long-lived TCP connection with keep-alive switched
//! on.

use std::io::{self, BufRead, IsTerminal, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use netkit::Fatal;
use socket2::{SockRef, TcpKeepalive};
use syslog_server::{MAX_MESSAGE, parse_priority};

/// Send each line of stdin (or the message given) to a syslog server.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Syslog server.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Server port.
    #[arg(long, default_value_t = 1514)]
    port: u16,
    /// Send over TCP (one connection for all messages) instead of UDP.
    #[arg(long)]
    tcp: bool,
    /// Over TCP, frame each message with its length (RFC 6587 octet counting)
    /// instead of ending it with a newline.
    #[arg(long, requires = "tcp")]
    octet_count: bool,
    /// FACILITY.SEVERITY, as with logger -p (user.notice, local3.warning,
    /// mail.err...).
    #[arg(short, long, default_value = "user.notice")]
    priority: String,
    /// The tag before the message, usually the program's name.
    #[arg(short, long, default_value = "syslog_client")]
    tag: String,
    /// The message; without one, every line of stdin is a message.
    message: Vec<String>,
}

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

/// Where the messages go.
enum Sender {
    Udp(UdpSocket, SocketAddr),
    Tcp(TcpStream, SocketAddr, bool),
}

fn run(args: Args) -> netkit::Result<()> {
    let pri = parse_priority(&args.priority).ok_or_else(|| {
        Fatal::new(format!(
            "unknown priority '{}'; use FACILITY.SEVERITY, such as user.notice or local3.warning",
            args.priority
        ))
    })?;
    let addrs = netkit::resolve(&args.host, args.port)?;
    let mut sender = if args.tcp {
        let (stream, addr) = connect_tcp(&addrs)?;
        Sender::Tcp(stream, addr, args.octet_count)
    } else {
        // socket(SOCK_DGRAM) and connect() to the first address, as openlog does.
        let addr = addrs[0];
        let local = if addr.is_ipv6() {
            "[::]:0"
        } else {
            "0.0.0.0:0"
        };
        let socket = UdpSocket::bind(local)?;
        socket.connect(addr)?;
        Sender::Udp(socket, addr)
    };

    if !args.message.is_empty() {
        return send(
            &mut sender,
            &format_message(pri, &args.tag, args.message.join(" ").as_bytes()),
        );
    }
    if io::stdin().is_terminal() {
        eprintln!("Type messages, one per line; end with Ctrl-D.");
    }
    let mut line = Vec::new();
    let mut stdin = io::stdin().lock();
    loop {
        line.clear();
        if stdin.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        send(&mut sender, &format_message(pri, &args.tag, text))?;
    }
    if let Sender::Tcp(stream, _, _) = &sender {
        // Done: close our side, so the server sees the end of the stream.
        let _ = stream.shutdown(std::net::Shutdown::Write);
    }
    Ok(())
}

// ANCHOR: message
/// `<13>tag: text`: the PRI, the tag, the text. (Real loggers add a timestamp and
/// the host name; a server takes the message without them.)
fn format_message(pri: u8, tag: &str, text: &[u8]) -> Vec<u8> {
    let text = text.strip_suffix(b"\r").unwrap_or(text);
    let mut message = format!("<{pri}>{tag}: ").into_bytes();
    message.extend_from_slice(text);
    message
}
// ANCHOR_END: message

// ANCHOR: connect_tcp
/// socket(SOCK_STREAM), SO_KEEPALIVE, connect(): to the first address that accepts.
fn connect_tcp(addrs: &[SocketAddr]) -> netkit::Result<(TcpStream, SocketAddr)> {
    let mut last = None;
    for &addr in addrs {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(10)) {
            Ok(stream) => {
                // setSocketOption sock KeepAlive 1: on a connection that may stay
                // idle for hours, the kernel probes the server now and then, and
                // the connection fails instead of hanging if the server has
                // vanished. We also shorten the wait before the first probe from
                // two hours to one minute.
                let keepalive = TcpKeepalive::new()
                    .with_time(Duration::from_secs(60))
                    .with_interval(Duration::from_secs(10));
                SockRef::from(&stream).set_tcp_keepalive(&keepalive)?;
                stream.set_write_timeout(Some(Duration::from_secs(10)))?;
                return Ok((stream, addr));
            }
            Err(e) => last = Some(netkit::connect_error(e, addr)),
        }
    }
    Err(last.expect("resolve gives at least one address"))
}
// ANCHOR_END: connect_tcp

// ANCHOR: send
fn send(sender: &mut Sender, message: &[u8]) -> netkit::Result<()> {
    if message.len() > MAX_MESSAGE {
        return Err(Fatal::new(format!(
            "a message of {} bytes is too long (the limit is {MAX_MESSAGE}); \
             shorten the line",
            message.len()
        )));
    }
    match sender {
        // sendto(): one datagram per message. If an earlier datagram met a closed
        // port, the ICMP error comes back here, on this send.
        Sender::Udp(socket, addr) => {
            socket
                .send(message)
                .map_err(|e| netkit::connect_error(e, *addr))?;
        }
        // hPutStrLn + hFlush: the message and its framing, written at once.
        Sender::Tcp(stream, addr, octet_count) => {
            let framed = if *octet_count {
                [format!("{} ", message.len()).as_bytes(), message].concat()
            } else {
                [message, b"\n"].concat()
            };
            stream.write_all(&framed).map_err(|e| match e.kind() {
                io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => {
                    Fatal::new(format!(
                        "the server at {addr} closed the connection"
                    ))
                }
                _ => Fatal::from(e),
            })?;
        }
    }
    Ok(())
}
// ANCHOR_END: send
