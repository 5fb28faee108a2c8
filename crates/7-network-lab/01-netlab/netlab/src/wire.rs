//! The wires: one background process that holds a TAP device at each end of every link
//! and copies frames between them, deciding for each frame whether it is lost, delayed,
//! duplicated or sent ahead, writing it to the link's capture, and telling anyone who
//! watches (`netlab watch`) in one line.
//!
//! Threads: one per link end reads frames (read() blocks until the kernel sends one); one
//! per link delivers them when they are due. A link with more than two ends is a switch:
//! it learns which end each source MAC address is behind and floods what it does not know.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use nix::errno::Errno;
use nix::sys::signal::{SigSet, Signal};

use crate::frame;
use crate::impair::{self, DEFAULT_QUEUE, Fate, Impairment, Rng};
use crate::netns;
use crate::pcap;
use crate::state::State;
use crate::topology::Role;
use crate::userns;

/// What a link has done so far (`netlab status` shows it).
#[derive(Default)]
pub struct Counters {
    pub frames: AtomicU64,
    pub bytes: AtomicU64,
    pub dropped: AtomicU64,
    pub duplicated: AtomicU64,
    pub reordered: AtomicU64,
    pub queue_full: AtomicU64,
}

impl Counters {
    fn line(&self, name: &str) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        format!(
            "{name} frames={} bytes={} dropped={} duplicated={} reordered={} queue_full={}\n",
            get(&self.frames),
            get(&self.bytes),
            get(&self.dropped),
            get(&self.duplicated),
            get(&self.reordered),
            get(&self.queue_full)
        )
    }
}

/// A frame on its way, ordered by the time it is due (then by arrival).
struct Flight {
    due: Instant,
    order: u64,
    from: usize,
    to: Vec<usize>,
    frame: Arc<Vec<u8>>,
}

impl PartialEq for Flight {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.order) == (other.due, other.order)
    }
}
impl Eq for Flight {}
impl PartialOrd for Flight {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Flight {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.due, self.order).cmp(&(other.due, other.order))
    }
}

#[derive(Default)]
struct InFlight {
    heap: BinaryHeap<Reverse<Flight>>,
    order: u64,
    /// Frames of each end still on their way (the queue the limit applies to).
    waiting: Vec<usize>,
    /// When each end's last frame finishes being sent at the link's rate.
    busy_until: Vec<Option<Instant>>,
    /// The switch's table: which end each MAC address was last seen behind.
    learned: HashMap<[u8; 6], usize>,
}

struct Wire {
    index: usize,
    name: String,
    /// The sending node of each end.
    senders: Vec<String>,
    taps: Vec<File>,
    impairment: Impairment,
    seed: u64,
    in_flight: Mutex<InFlight>,
    due: Condvar,
    capture: Option<Mutex<pcap::Writer>>,
    counters: Counters,
}

/// Everyone who asked to watch, and when the wires started.
struct Watchers {
    start: Instant,
    streams: Mutex<Vec<UnixStream>>,
}

impl Watchers {
    fn tell(&self, line: &str) {
        let mut streams = self.streams.lock().unwrap();
        if streams.is_empty() {
            return;
        }
        let line = format!("{:10.6} {line}\n", self.start.elapsed().as_secs_f64());
        // A watcher that cannot keep up (or has gone) is let go: the wire never waits.
        streams.retain_mut(|s| s.write_all(line.as_bytes()).is_ok());
    }
}

/// The file of the control socket in the lab's runtime folder.
pub const CONTROL: &str = "control.sock";

/// Runs the wires of the lab in `dir` until SIGTERM or SIGINT. Prints `ready` on stdout
/// once every node's namespace is set up and every TAP device exists (without root,
/// followed by `NODE=TID` for the thread holding each node's namespace), or one line
/// saying what failed.
pub fn serve(dir: &Path) -> Result<(), String> {
    let state = State::load(dir)?;
    let topology = &state.topology;
    // Signals are taken by sigwait below, never by a handler: block them in every thread.
    let mut signals = SigSet::empty();
    for s in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        signals.add(s);
    }
    signals.thread_block().map_err(|e| e.to_string())?;

    // ANCHOR: nodes
    // Each node's network namespace, as a file this process opens: root's are named by
    // `up` (ip netns add); a user's are made here, inside a user namespace of the lab's.
    let mut nets = Vec::new();
    let mut holders = String::new();
    if state.unprivileged {
        userns::become_lab_root()?;
        for node in &topology.nodes {
            let tid = userns::hold_new_netns()?;
            nets.push(PathBuf::from(format!("/proc/self/task/{tid}/ns/net")));
            holders += &format!(" {}={tid}", node.name);
        }
    } else {
        for node in &topology.nodes {
            nets.push(netns::path(&state.namespace(&node.name)));
        }
    }
    for (node, net) in topology.nodes.iter().zip(&nets) {
        let set = |key: &str, value: &str| {
            netns::sysctl(net, key, value)
                .map_err(|e| format!("cannot set {key} in {}: {e}", node.name))
        };
        // New interfaces inherit these: no router advertisements to wait for (the routes
        // are set by `up`), and no duplicate address detection, which would hold back the
        // link-local addresses (and with them a router's neighbour discovery) for seconds.
        set("net/ipv6/conf/default/accept_ra", "0")?;
        set("net/ipv6/conf/default/accept_dad", "0")?;
        if node.role == Role::Router {
            // What makes a router a router: it forwards packets not addressed to it.
            set("net/ipv4/ip_forward", "1")?;
            set("net/ipv6/conf/all/forwarding", "1")?;
        }
    }
    // ANCHOR_END: nodes

    let mut wires = Vec::new();
    for (index, link) in topology.links.iter().enumerate() {
        let mut taps = Vec::new();
        let mut senders = Vec::new();
        for &(node, iface) in &link.ends {
            let net = &nets[node];
            let node = &topology.nodes[node];
            let dev = &node.ifaces[iface].name;
            let tap = netns::create_tap(net, dev).map_err(|e| match e.raw_os_error() {
                Some(errno) if state.unprivileged => {
                    userns::explain(userns::Step::Tun, Errno::from_raw(errno), userns::sysctl)
                }
                _ => format!("cannot create TAP device {dev} in {}: {e}", node.name),
            })?;
            taps.push(tap);
            senders.push(node.name.clone());
        }
        let capture = match &link.pcap {
            Some(path) => {
                let writer = pcap::Writer::create(path)
                    .map_err(|e| format!("cannot write the capture {}: {e}", path.display()))?;
                state.give_to_user(path);
                Some(Mutex::new(writer))
            }
            None => None,
        };
        let ends = taps.len();
        wires.push(Arc::new(Wire {
            index,
            name: link.name.clone(),
            senders,
            taps,
            // With --netem the kernel impairs, and the wire only carries and captures.
            impairment: if state.netem {
                Impairment::default()
            } else {
                link.impairment
            },
            seed: topology.seed,
            in_flight: Mutex::new(InFlight {
                waiting: vec![0; ends],
                busy_until: vec![None; ends],
                ..InFlight::default()
            }),
            due: Condvar::new(),
            capture,
            counters: Counters::default(),
        }));
    }

    let control = dir.join(CONTROL);
    let _ = std::fs::remove_file(&control);
    let listener = UnixListener::bind(&control)
        .map_err(|e| format!("cannot bind {}: {e}", control.display()))?;
    let _ = std::fs::set_permissions(&control, std::fs::Permissions::from_mode(0o600));
    let watchers = Arc::new(Watchers {
        start: Instant::now(),
        streams: Mutex::new(Vec::new()),
    });

    for wire in &wires {
        for end in 0..wire.taps.len() {
            let (wire, watchers) = (Arc::clone(wire), Arc::clone(&watchers));
            thread::spawn(move || receive(&wire, end, &watchers));
        }
        let wire = Arc::clone(wire);
        thread::spawn(move || deliver(&wire));
    }
    {
        let (wires, watchers) = (wires.clone(), Arc::clone(&watchers));
        thread::spawn(move || answer(listener, &wires, &watchers));
    }

    // `ready`, and without root where each node's namespace is held.
    println!("ready{holders}");
    io::stdout().flush().map_err(|e| e.to_string())?;
    // Nothing more goes to stdout: let `up`, which waits for the line above, go on.
    let null = File::options()
        .write(true)
        .open("/dev/null")
        .map_err(|e| e.to_string())?;
    nix::unistd::dup2_stdout(&null).map_err(|e| e.to_string())?;

    let signal = signals.wait().map_err(|e| e.to_string())?;
    eprintln!("netlab wires: {signal:?}, stopping");
    for wire in &wires {
        if let Some(capture) = &wire.capture {
            // Every record is flushed as it is written; holding the lock keeps a half-written
            // one from being cut off by the exit.
            std::mem::forget(capture.lock().unwrap());
        }
    }
    let _ = std::fs::remove_file(&control);
    std::process::exit(0);
}

// ANCHOR: receive
/// One end of a link: every frame its namespace sends is captured, given its fate, and
/// put in flight towards the other end(s).
fn receive(wire: &Wire, end: usize, watchers: &Watchers) {
    let mut rng = Rng::new(impair::stream_seed(wire.seed, wire.index, end));
    let mut buf = vec![0u8; 65536];
    let mut tap = &wire.taps[end];
    for number in 1.. {
        let n = match tap.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                eprintln!("netlab wires: {} end {end}: read: {e}", wire.name);
                return;
            }
        };
        let (now, wall) = (Instant::now(), SystemTime::now());
        let frame = Arc::new(buf[..n].to_vec());
        if let Some(capture) = &wire.capture
            && let Err(e) = capture.lock().unwrap().write(wall, &frame)
        {
            eprintln!("netlab wires: {}: capture: {e}", wire.name);
        }
        let c = &wire.counters;
        c.frames.fetch_add(1, Ordering::Relaxed);
        c.bytes.fetch_add(n as u64, Ordering::Relaxed);
        let fate = impair::decide(&mut rng, &wire.impairment);
        let said = match fate {
            Fate::Dropped => {
                c.dropped.fetch_add(1, Ordering::Relaxed);
                "LOST".to_owned()
            }
            Fate::Delivered {
                delay,
                copies,
                reordered,
            } => match send_later(wire, end, now, delay, copies, frame.clone()) {
                Ok(()) => {
                    if copies > 1 {
                        c.duplicated.fetch_add(1, Ordering::Relaxed);
                    }
                    if reordered {
                        c.reordered.fetch_add(1, Ordering::Relaxed);
                    }
                    let mut s = format!("+{:.1}ms", delay.as_secs_f64() * 1000.0);
                    if copies > 1 {
                        s += " DUPLICATED";
                    }
                    if reordered {
                        s += " SENT AHEAD";
                    }
                    s
                }
                Err(()) => {
                    c.queue_full.fetch_add(1, Ordering::Relaxed);
                    "LOST (queue full)".to_owned()
                }
            },
        };
        watchers.tell(&format!(
            "{} {} #{number}: {}  [{said}]",
            wire.name,
            wire.senders[end],
            frame::summary(&frame)
        ));
    }
}
// ANCHOR_END: receive

/// Puts a frame in flight: due after the link has sent the frames before it (at its
/// rate) and then after its delay. `Err` when the queue is full (tail drop).
fn send_later(
    wire: &Wire,
    end: usize,
    now: Instant,
    delay: Duration,
    copies: u8,
    frame: Arc<Vec<u8>>,
) -> Result<(), ()> {
    let mut f = wire.in_flight.lock().unwrap();
    let limit = match wire.impairment.queue {
        0 => DEFAULT_QUEUE,
        n => n,
    };
    if f.waiting[end] >= limit {
        return Err(());
    }
    let start = f.busy_until[end].map_or(now, |busy| busy.max(now));
    let sent = start + impair::transmission_time(frame.len(), wire.impairment.rate);
    f.busy_until[end] = Some(sent);
    let to = destinations(&mut f, end, &frame, wire.taps.len());
    for _ in 0..copies {
        f.waiting[end] += 1;
        let order = f.order;
        f.order += 1;
        f.heap.push(Reverse(Flight {
            due: sent + delay,
            order,
            from: end,
            to: to.clone(),
            frame: Arc::clone(&frame),
        }));
    }
    wire.due.notify_one();
    Ok(())
}

/// Where a frame goes: the other end of a two-ended link; on a switch, the end its
/// destination MAC was learned behind, or every other end.
fn destinations(f: &mut InFlight, from: usize, frame: &[u8], ends: usize) -> Vec<usize> {
    if frame.len() >= 12 {
        let dst: [u8; 6] = frame[0..6].try_into().unwrap();
        let src: [u8; 6] = frame[6..12].try_into().unwrap();
        if src[0] & 1 == 0 {
            f.learned.insert(src, from);
        }
        if let Some(&end) = f.learned.get(&dst)
            && end != from
        {
            return vec![end];
        }
    }
    (0..ends).filter(|&e| e != from).collect()
}

/// Hands each frame to its destination(s) when it is due.
fn deliver(wire: &Wire) {
    let mut f = wire.in_flight.lock().unwrap();
    loop {
        let now = Instant::now();
        match f.heap.peek() {
            None => f = wire.due.wait(f).unwrap(),
            Some(Reverse(next)) if next.due > now => {
                let wait = next.due - now;
                f = wire.due.wait_timeout(f, wait).unwrap().0;
            }
            Some(_) => {
                let Reverse(flight) = f.heap.pop().unwrap();
                f.waiting[flight.from] -= 1;
                drop(f);
                for &to in &flight.to {
                    // A write fails while the interface is down: the frame is lost, as
                    // it would be on a real wire.
                    let _ = (&wire.taps[to]).write(&flight.frame);
                }
                f = wire.in_flight.lock().unwrap();
            }
        }
    }
}

/// The control socket: `watch` (a line per frame from now on) or `stats` (the counters).
fn answer(listener: UnixListener, wires: &[Arc<Wire>], watchers: &Watchers) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let mut request = [0u8; 16];
        let n = stream.read(&mut request).unwrap_or(0);
        match &request[..n] {
            b"watch\n" => {
                let _ = stream.set_nonblocking(true);
                watchers.streams.lock().unwrap().push(stream);
            }
            b"stats\n" => {
                let text: String = wires.iter().map(|w| w.counters.line(&w.name)).collect();
                let _ = stream.write_all(text.as_bytes());
            }
            _ => {
                let _ = stream.write_all(b"unknown request (watch, stats)\n");
            }
        }
    }
}
