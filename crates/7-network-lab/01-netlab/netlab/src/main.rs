//! `netlab`: build a network of namespaces and lossy wires on this machine, use it, take
//! it down. `cargo run -p netlab -- up pair --loss 10% --delay 50ms --pcap trace.pcap`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use netlab::impair::{self, Impairment};
use netlab::{DEFAULT_LAB, diagram, lab, state, topology};

/// A network on your machine: hosts and routers in network namespaces, joined by wires
/// that delay, lose and capture frames.
#[derive(Parser)]
#[command(version, after_help = TOPOLOGY_HELP)]
struct Cli {
    /// Which lab (several can be up at once under different names).
    #[arg(long, global = true, env = "NETLAB_LAB", default_value = DEFAULT_LAB)]
    lab: String,
    #[command(subcommand)]
    command: Cmd,
}

const TOPOLOGY_HELP: &str = "\
A topology file (netlab up --file FILE), one statement a line, # starts a comment:
  host h1 h2            hosts (names: lowercase letters and digits)
  router r1             routers forward packets between their links
  link h1 r1@254 delay=20ms loss=1%
                        a link; more than two ends make a switched LAN; @N sets an
                        end's host number (default: its place on the line); options:
                        net=192.0.2.0/24 net6=2001:db8:1::/64 name=NAME delay= jitter=
                        loss= duplicate= reorder= rate= queue=
  seed 7                the seed of every random decision of the wires
Routes are computed: each node reaches every subnet through the nearest router.";

#[derive(Subcommand)]
enum Cmd {
    /// Build a lab and leave its wires running in the background.
    Up(UpArgs),
    /// Show the lab: nodes, addresses, routes, links and what the wires counted.
    Status,
    /// Run a command inside a host: netlab run h1 -- nc h2 12000
    Run {
        host: String,
        /// The command and its arguments (after --).
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// An interactive shell inside a host.
    Shell { host: String },
    /// A line per frame, as the wires carry it, until Ctrl-C.
    Watch {
        /// Stop after this many frames.
        #[arg(long)]
        count: Option<usize>,
    },
    /// Remove everything the lab made: processes, namespaces, TAP devices, files.
    Down,
    /// Draw a sequence diagram (SVG, on stdout) from a capture.
    Diagram {
        /// The capture (pcap).
        pcap: PathBuf,
        /// Name an address's column, as 192.0.2.1=h1 (repeat the flag).
        #[arg(long = "name", value_name = "ADDR=NAME", value_parser = diagram::parse_name)]
        names: Vec<(std::net::IpAddr, String)>,
        /// Draw at most this many frames.
        #[arg(long, default_value_t = 40)]
        max: usize,
        /// Also draw ARP and IPv6 neighbour discovery.
        #[arg(long)]
        all: bool,
        /// Only TCP and UDP to or from this port.
        #[arg(long)]
        port: Option<u16>,
    },
    /// (internal) The wires of a lab; `up` starts it.
    #[command(name = "__wires", hide = true)]
    Wires { lab: String },
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Shape {
    /// Two hosts, one link: h1 (192.0.2.1) and h2 (192.0.2.2).
    Pair,
    /// h1 and h2 joined by N routers r1 … rN.
    Chain,
    /// N hosts h1 … hN on one switched segment.
    Lan,
}

#[derive(Args)]
struct UpArgs {
    /// The shape of the lab (or --file).
    #[arg(required_unless_present = "file", conflicts_with = "file")]
    shape: Option<Shape>,
    /// Routers for chain, hosts for lan.
    count: Option<usize>,
    /// A topology file (its format is at the end of --help).
    #[arg(long)]
    file: Option<PathBuf>,
    /// Share of frames each link loses: 10% or 0.1.
    #[arg(long)]
    loss: Option<String>,
    /// One-way delay of each link: 50ms.
    #[arg(long)]
    delay: Option<String>,
    /// Each frame's delay varies by up to this, either way: 5ms.
    #[arg(long)]
    jitter: Option<String>,
    /// Share of frames delivered twice.
    #[arg(long)]
    duplicate: Option<String>,
    /// Share of frames sent at once, overtaking the delayed ones.
    #[arg(long)]
    reorder: Option<String>,
    /// The links' rate: 1mbit, 512kbit.
    #[arg(long)]
    rate: Option<String>,
    /// Frames a link holds before it drops (default 1000).
    #[arg(long)]
    queue: Option<String>,
    /// The seed of the wires' decisions: the same seed, the same frames lost.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Capture every link to this pcap file (FILE.LINK.pcap when there are several).
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    /// Let the kernel's netem qdisc impair the links (where the kernel has it).
    #[arg(long)]
    netem: bool,
    /// After up, show every frame as the wires carry it (as netlab watch).
    #[arg(long)]
    watch: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Cmd::Wires { .. }) {
        // A command's output may go to a reader that stops early (`netlab status | head`):
        // end quietly then, as other command-line tools do, instead of panicking in
        // println!. The wires keep Rust's default (SIGPIPE ignored): they outlive the
        // command that started them, and must not die with its pipe.
        // SAFETY: SIG_DFL installs no handler of ours; no other thread runs yet.
        let _ = unsafe {
            nix::sys::signal::signal(
                nix::sys::signal::Signal::SIGPIPE,
                nix::sys::signal::SigHandler::SigDfl,
            )
        };
    }
    let outcome = state::check_lab_name(&cli.lab).and_then(|()| command(cli));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netlab: {e}");
            ExitCode::FAILURE
        }
    }
}

fn command(cli: Cli) -> lab::Result<()> {
    let lab = cli.lab;
    match cli.command {
        Cmd::Up(args) => {
            let watch = args.watch;
            let req = lab::Up {
                lab: lab.clone(),
                netem: args.netem,
                topology: topology_of(args)?,
            };
            lab::up(req)?;
            if watch {
                lab::watch(&lab, None)?;
            }
            Ok(())
        }
        Cmd::Status => lab::status(&lab),
        Cmd::Run { host, command } => lab::run(&lab, &host, &command),
        Cmd::Shell { host } => lab::shell(&lab, &host),
        Cmd::Watch { count } => lab::watch(&lab, count),
        Cmd::Down => lab::down(&lab),
        Cmd::Diagram {
            pcap,
            names,
            max,
            all,
            port,
        } => {
            let bytes =
                std::fs::read(&pcap).map_err(|e| format!("cannot read {}: {e}", pcap.display()))?;
            let options = diagram::Options {
                names,
                max,
                all,
                port,
            };
            let svg = diagram::render(&bytes, &options)
                .map_err(|e| format!("{}: {e}", pcap.display()))?;
            print!("{svg}");
            Ok(())
        }
        Cmd::Wires { lab } => netlab::wire::serve(&state::dir(&lab)?),
    }
}

/// The topology `up` is asked for, with the command line's link character.
fn topology_of(args: UpArgs) -> lab::Result<topology::Topology> {
    let mut imp = Impairment::default();
    for (name, value) in [
        ("loss", &args.loss),
        ("delay", &args.delay),
        ("jitter", &args.jitter),
        ("duplicate", &args.duplicate),
        ("reorder", &args.reorder),
        ("rate", &args.rate),
        ("queue", &args.queue),
    ] {
        if let Some(value) = value {
            imp.set(name, value).map_err(|e| format!("--{name}: {e}"))?;
        }
    }
    let _ = impair::DEFAULT_QUEUE;
    let mut topology = match (args.shape, args.count, &args.file) {
        (_, _, Some(file)) => {
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            topology::parse_file(file, &text, imp, args.seed)?
        }
        (Some(Shape::Pair), None, None) => topology::pair(imp, args.seed),
        (Some(Shape::Pair), Some(_), None) => return Err("up pair takes no number".to_owned()),
        (Some(Shape::Chain), Some(n), None) => topology::chain(n, imp, args.seed)?,
        (Some(Shape::Lan), Some(n), None) => topology::lan(n, imp, args.seed)?,
        (Some(_), None, None) => {
            return Err("up chain N / up lan N: how many (routers or hosts)?".to_owned());
        }
        (None, _, None) => unreachable!("clap asks for a shape or --file"),
    };
    if let Some(pcap) = &args.pcap {
        topology.capture_to(&absolute(pcap)?);
    }
    Ok(topology)
}

fn absolute(path: &Path) -> lab::Result<PathBuf> {
    std::path::absolute(path).map_err(|e| format!("{}: {e}", path.display()))
}
