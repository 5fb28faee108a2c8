//! Beej's pack2 demo, and the "Son of Data Encapsulation" chat packet over TCP.
//!
//! - `pack demo` packs the values of Beej's example and shows the bytes and the values
//!   read back.
//! - `pack listen` accepts clients and prints every chat packet they send, as `name: text`.
//! - `pack send --name tom Hi` sends one packet (or one per line of stdin).
//! - `pack fixed 3.1415926` is pack.c: a float as Beej's 32-bit fixed-point number.
//! - `pack htonll 0x0102030405060708` shows a 64-bit number's bytes before and after.

use std::io::{self, BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use clap::{Parser, Subcommand};
use netkit::Fatal;
use pack::chat::{self, ChatDecoder};
use pack::{Value, pack, unpack};

/// Binary packing, Beej style: a demo, and a chat packet sender and listener.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Pack Beej's example values, show the bytes, unpack them again.
    Demo,
    /// pack.c: floats as 32-bit fixed-point numbers (htonf), and back (ntohf).
    Fixed {
        /// The floats (default: Beej's 3.1415926).
        #[arg(allow_negative_numbers = true, default_values_t = [BEEJS_PI])]
        values: Vec<f32>,
    },
    /// A 64-bit number's bytes in memory, then in network byte order (htonll).
    Htonll {
        /// The number, decimal or 0x hexadecimal.
        #[arg(default_value = "0x0102030405060708", value_parser = parse_u64)]
        value: u64,
    },
    /// Print every chat packet that clients send (one thread per client).
    Listen {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Port to listen on (0 picks any free port).
        #[arg(long, default_value_t = 9036)]
        port: u16,
        /// Clients connected at once; past that, a new client is told the server is
        /// busy and closed.
        #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        max_clients: u32,
    },
    /// Send chat packets: the words given, or one packet per line of stdin.
    Send {
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        #[arg(long, default_value_t = 9036)]
        port: u16,
        /// Your name (at most 8 bytes).
        #[arg(long)]
        name: String,
        /// The message; without one, each line of stdin is sent.
        text: Vec<String>,
    },
}

/// The value pack.c packs: not quite pi, and not `f32::consts::PI` either (which is
/// 3.14159274 as an f32, where this is 3.14159250).
#[allow(clippy::approx_constant)]
const BEEJS_PI: f32 = 3.141_592_6;

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    match args.command {
        Command::Demo => demo(),
        Command::Fixed { values } => {
            fixed(&values);
            Ok(())
        }
        Command::Htonll { value } => {
            show_htonll(value);
            Ok(())
        }
        Command::Listen {
            host,
            port,
            max_clients,
        } => listen(&host, port, max_clients as usize),
        Command::Send {
            host,
            port,
            name,
            text,
        } => send(&host, port, &name, &text),
    }
}

// ANCHOR: demo
fn demo() -> netkit::Result<()> {
    let format = "chhlsg";
    let values = [
        Value::I8(b'B' as i8),
        Value::I16(0),
        Value::I16(37),
        Value::I32(-5),
        Value::Str("Great unmitigated Zot! You've found the Runestaff!".into()),
        Value::F64(-3490.6677),
    ];
    let bytes = pack(format, &values).map_err(|e| Fatal::new(e.to_string()))?;
    println!("pack({format:?}, {values:?})");
    println!("is {} bytes:", bytes.len());
    print!("{}", netkit::hexdump(&bytes, 0));
    let (back, used) = unpack(format, &bytes).map_err(|e| Fatal::new(e.to_string()))?;
    println!("unpack({format:?}) took {used} bytes and gave back {back:?}");
    Ok(())
}
// ANCHOR_END: demo

// ANCHOR: fixed
/// pack.c's main(): pack, show the 32 bits as sent, unpack.
fn fixed(values: &[f32]) {
    for &f in values {
        let netf = pack::htonf(f);
        let f2 = pack::ntohf(netf);
        println!("Original: {f:.6}");
        println!(" Network: 0x{netf:08X}");
        println!("Unpacked: {f2:.6}");
    }
}
// ANCHOR_END: fixed

// ANCHOR: show_htonll
/// The 8 bytes of `value` as this machine keeps them, then after htonll().
fn show_htonll(value: u64) {
    let bytes = |v: u64| {
        // The bytes exactly as they lie in memory (what send() would copy).
        let shown: Vec<String> = v.to_ne_bytes().iter().map(|b| format!("{b:02x}")).collect();
        shown.join(" ")
    };
    let order = if cfg!(target_endian = "little") {
        "little-endian: least significant byte first"
    } else {
        "big-endian: most significant byte first"
    };
    println!("value        0x{value:016x}");
    println!("in memory    {}   (this machine is {order})", bytes(value));
    println!(
        "htonll       {}   (network byte order)",
        bytes(pack::htonll(value))
    );
    println!("ntohll back  0x{:016x}", pack::ntohll(pack::htonll(value)));
}
// ANCHOR_END: show_htonll

/// A u64 written in decimal or as 0x hexadecimal.
fn parse_u64(text: &str) -> Result<u64, String> {
    let parsed = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.map_err(|_| format!("'{text}' is not a 64-bit number (decimal or 0x hex)"))
}

// ANCHOR: listen
fn listen(host: &str, port: u16, max_clients: usize) -> netkit::Result<()> {
    let listener: TcpListener = netkit::tcp_listen(netkit::resolve_one(host, port)?)?;
    netkit::announce(listener.local_addr()?);
    // How many client threads are running: each one costs a thread, so there is
    // a limit.
    let live = Arc::new(AtomicUsize::new(0));
    let mut backoff = netkit::AcceptBackoff::new();
    loop {
        let (conn, peer) = netkit::accept_patiently(&listener, &mut backoff);
        if live.load(Ordering::SeqCst) >= max_clients {
            let max = max_clients;
            eprintln!("{peer}: turned away, {max} clients already connected");
            let busy = format!("server busy: {max} clients connected; try again later\n");
            netkit::turn_away(conn, busy.as_bytes());
            continue;
        }
        live.fetch_add(1, Ordering::SeqCst);
        let counted = Arc::clone(&live);
        // A thread per client; a failure to start one costs that client only.
        let spawned = thread::Builder::new().spawn(move || {
            let received = receive_packets(conn);
            counted.fetch_sub(1, Ordering::SeqCst); // its place is free again
            match received {
                Ok(()) => eprintln!("{peer}: closed"),
                Err(e) => eprintln!("{peer}: dropped: {e}"),
            }
        });
        if let Err(e) = spawned {
            live.fetch_sub(1, Ordering::SeqCst);
            eprintln!("cannot start a thread for {peer}: {e}");
        }
    }
}

/// recv() whatever arrives, feed it to the decoder, print every complete packet.
fn receive_packets(mut conn: TcpStream) -> io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(300)))?;
    let mut decoder = ChatDecoder::new();
    let mut buf = [0u8; 512];
    loop {
        let n = conn.read(&mut buf)?;
        if n == 0 {
            if decoder.pending() > 0 {
                eprintln!(
                    "({} bytes of an unfinished packet dropped)",
                    decoder.pending()
                );
            }
            return Ok(());
        }
        decoder.push(&buf[..n]);
        loop {
            match decoder.next_packet() {
                Ok(Some(packet)) => {
                    // Control characters escaped: a packet must not be able to
                    // move the cursor, clear the screen or forge a line.
                    let name = netkit::escape(&packet.name);
                    let text = String::from_utf8_lossy(&packet.text);
                    let text = netkit::escape(&text);
                    let mut out = io::stdout().lock();
                    writeln!(out, "{name}: {text}")?;
                    out.flush()?;
                }
                Ok(None) => break, // wait for more bytes
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e.to_string())),
            }
        }
    }
}
// ANCHOR_END: listen

fn send(host: &str, port: u16, name: &str, text: &[String]) -> netkit::Result<()> {
    let packet =
        |line: &str| chat::encode(name, line.as_bytes()).map_err(|e| Fatal::new(e.to_string()));
    // A bad name or a message too long is reported before connecting.
    let given = if text.is_empty() {
        None
    } else {
        Some(packet(&text.join(" "))?)
    };
    packet("")?;
    let addrs = netkit::resolve(host, port)?;
    let mut conn =
        TcpStream::connect(&addrs[..]).map_err(|e| netkit::connect_error(e, addrs[0]))?;
    if let Some(bytes) = given {
        conn.write_all(&bytes)?; // sendall()
        return Ok(());
    }
    for line in io::stdin().lock().lines() {
        conn.write_all(&packet(&line?)?)?;
    }
    Ok(())
}
