//! The commands that build, show, use and remove a lab: up, status, run, shell, watch,
//! down. Each fails with one line; `up` that fails half-way removes what it built.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, unshare};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::netns::{self, Netns};
use crate::state::{self, State};
use crate::topology::{Role, Topology};
use crate::userns;
use crate::wire;

pub type Result<T> = std::result::Result<T, String>;

/// How long the wires may take to start, and to stop.
const PATIENCE: Duration = Duration::from_secs(10);

/// Whether `pid` is this lab's wires process (and not a process that got its number).
fn is_wires(pid: i32, lab: &str) -> bool {
    let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
    args.contains(&b"__wires".as_slice()) && args.contains(&lab.as_bytes())
}

/// The named namespaces of lab `lab` that exist now, from the state or not (only root's
/// labs have names; a user's namespaces go with their wires).
fn namespaces_of(lab: &str) -> Vec<String> {
    if userns::unprivileged() {
        return Vec::new();
    }
    netns::list()
        .into_iter()
        .filter(|ns| {
            ns.split_once('-')
                .is_some_and(|(l, node)| l == lab && !node.contains('-'))
        })
        .collect()
}

/// The processes that run inside the lab now (not its wires): those in its user namespace
/// (a user's lab), or in its named network namespaces (root's).
fn pids_in_lab(state: Option<&State>, namespaces: &[String]) -> Vec<i32> {
    match state {
        Some(state) if state.unprivileged => {
            let Some(id) = state.userns else {
                return Vec::new();
            };
            netns::pids_in_ns("user", id)
                .into_iter()
                .filter(|&pid| Some(pid) != state.wires)
                .collect()
        }
        _ => namespaces
            .iter()
            .flat_map(|ns| netns::pids_in("net", &netns::path(ns)))
            .collect(),
    }
}

/// Removes everything lab `lab` made: the processes inside its namespaces, the wires
/// (and with them the TAP devices, and a user's namespaces), root's namespaces, the
/// runtime folder. Returns what it did, in words.
fn teardown(dir: &Path, lab: &str) -> Vec<String> {
    let mut done = Vec::new();
    let state = State::load(dir).ok();
    let mut namespaces = namespaces_of(lab);
    if let Some(state) = &state {
        for node in &state.topology.nodes {
            let ns = state.namespace(&node.name);
            if !namespaces.contains(&ns) && netns::exists(&ns) {
                namespaces.push(ns);
            }
        }
    }
    // Programs started with `netlab run` would keep a namespace alive after its name is
    // gone: they go first, politely, then not.
    let mut stopped = 0;
    for signal in [Signal::SIGTERM, Signal::SIGKILL] {
        let pids = pids_in_lab(state.as_ref(), &namespaces);
        for &pid in &pids {
            let _ = kill(Pid::from_raw(pid), signal);
        }
        if signal == Signal::SIGTERM {
            stopped = pids.len();
        }
        wait_until(Duration::from_secs(2), || {
            pids_in_lab(state.as_ref(), &namespaces).is_empty()
        });
    }
    if stopped > 0 {
        done.push(format!("stopped {stopped} process(es) running in the lab"));
    }
    if let Some(pid) = state.as_ref().and_then(|s| s.wires)
        && is_wires(pid, lab)
    {
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        if !wait_until(PATIENCE, || !is_wires(pid, lab)) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            wait_until(PATIENCE, || !is_wires(pid, lab));
        }
        if state.as_ref().is_some_and(|s| s.unprivileged) {
            done.push(format!(
                "stopped the wires (pid {pid}), and with them the lab's namespaces"
            ));
        } else {
            done.push(format!("stopped the wires (pid {pid})"));
        }
    }
    let mut deleted = 0;
    for ns in &namespaces {
        match netns::delete(ns) {
            Ok(()) => deleted += 1,
            Err(e) => done.push(format!("could not delete namespace {ns}: {e}")),
        }
    }
    if deleted > 0 {
        done.push(format!("deleted {deleted} namespace(s)"));
    }
    if dir.exists() {
        match fs::remove_dir_all(dir) {
            Ok(()) => done.push(format!("removed {}", dir.display())),
            Err(e) => done.push(format!("could not remove {}: {e}", dir.display())),
        }
    }
    // The folder of all labs goes too when this was the last one.
    if let Some(root) = dir.parent() {
        let _ = fs::remove_dir(root);
    }
    done
}

fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// What `up` is asked to build.
pub struct Up {
    pub lab: String,
    pub topology: Topology,
    pub netem: bool,
}

/// `netlab up`: checks for a lab already up (or the remains of one), builds the
/// namespaces, starts the wires, sets addresses and routes, and prints the plan.
pub fn up(req: Up) -> Result<()> {
    let lab = &req.lab;
    let dir = state::dir(lab)?;
    if let Ok(old) = State::load(&dir)
        && old.wires.is_some_and(|pid| is_wires(pid, lab))
    {
        return Err(format!(
            "lab {lab} is already up ({}); see `netlab status`, or take it down with `netlab down`",
            old.topology.names().join(", ")
        ));
    }
    if dir.exists() || !namespaces_of(lab).is_empty() {
        let done = teardown(&dir, lab);
        eprintln!(
            "netlab: found the remains of lab {lab} (its wires were not running) and cleaned up: {}",
            done.join(", ")
        );
    }
    let owner = match (std::env::var("SUDO_UID"), std::env::var("SUDO_GID")) {
        (Ok(u), Ok(g)) => u.parse().ok().zip(g.parse().ok()),
        _ => None,
    };
    let mut state = State {
        dir: dir.clone(),
        unprivileged: userns::unprivileged(),
        holders: Default::default(),
        userns: None,
        lab: lab.clone(),
        topology: req.topology,
        netem: req.netem,
        wires: None,
        started: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs(),
        owner,
    };
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // The state is written before anything is built, so that `down` (or the next `up`)
    // finds whatever a crash in the middle leaves.
    state.save()?;
    if let Err(e) = build(&mut state) {
        teardown(&dir, lab);
        return Err(e);
    }
    println!("lab {lab} is up (seed {}):", state.topology.seed);
    print!("{}", state.topology.describe());
    println!(
        "try: netlab run {} -- ping -c 3 {}",
        first_host(&state),
        last_host(&state)
    );
    Ok(())
}

fn first_host(state: &State) -> &str {
    &state.topology.nodes[0].name
}

fn last_host(state: &State) -> &str {
    let hosts: Vec<&str> = state
        .topology
        .nodes
        .iter()
        .filter(|n| n.role == Role::Host)
        .map(|n| n.name.as_str())
        .collect();
    hosts.last().copied().unwrap_or(first_host(state))
}

// ANCHOR: build
fn build(state: &mut State) -> Result<()> {
    netns::ip(&["-V"])?; // is `ip` there at all?
    if !state.unprivileged {
        for node in &state.topology.nodes {
            netns::add(&state.namespace(&node.name))?; // ip netns add netlab-h1
        }
    }
    // The wires set up each namespace (without root, they create them first) and the
    // TAP devices in them.
    let (pid, holders) = start_wires(state)?;
    state.wires = Some(pid);
    state.holders = holders;
    if state.unprivileged {
        let user = fs::metadata(format!("/proc/{pid}/ns/user"))
            .map_err(|e| format!("cannot see the wires' user namespace: {e}"))?;
        state.userns = Some((user.dev(), user.ino()));
    }
    state.save()?;
    for node in &state.topology.nodes {
        let mut batch = String::from("link set dev lo up\n");
        for i in &node.ifaces {
            let mac = crate::frame::mac(i.mac);
            batch += &format!("link set dev {} address {mac}\n", i.name);
            batch += &format!("address add {} dev {}\n", i.v4, i.name);
            // nodad: the address is usable at once, not after duplicate detection.
            batch += &format!("address add {} dev {} nodad\n", i.v6, i.name);
            batch += &format!("link set dev {} up\n", i.name);
        }
        for r in &node.routes {
            let dest = r.dest.map_or("default".to_owned(), |d| d.to_string());
            let family = "";
            batch += &format!("{family}route add {dest} via {}\n", r.via);
        }
        ip_batch(&state.netns(&node.name)?, &node.name, &batch)?;
    }
    if state.netem {
        add_netem(state)?;
    }
    let hosts = state.dir().join("hosts");
    fs::write(&hosts, state.topology.hosts_file())
        .map_err(|e| format!("cannot write {}: {e}", hosts.display()))?;
    Ok(())
}
// ANCHOR_END: build

/// `ip -batch -` inside a node: one ip process configures a whole node.
fn ip_batch(ns: &Netns, node: &str, commands: &str) -> Result<()> {
    let mut child = ns
        .command("ip")
        .map_err(|e| format!("cannot enter {node}: {e}"))?
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(commands.as_bytes())
        .map_err(|e| format!("cannot talk to ip: {e}"))?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "configuring {node} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// With `--netem`: the kernel's netem qdisc on every interface impairs what it sends.
fn add_netem(state: &State) -> Result<()> {
    for node in &state.topology.nodes {
        for i in &node.ifaces {
            let imp = state.topology.links[i.link].impairment;
            let mut args = vec![
                "qdisc".to_owned(),
                "add".into(),
                "dev".into(),
                i.name.clone(),
                "root".into(),
                "netem".into(),
            ];
            let ms = |d: Duration| format!("{}us", d.as_micros());
            args.extend(["delay".into(), ms(imp.delay), ms(imp.jitter)]);
            for (name, share) in [
                ("loss", imp.loss),
                ("duplicate", imp.duplicate),
                ("reorder", imp.reorder),
            ] {
                if share > 0.0 {
                    args.extend([name.into(), format!("{}%", share * 100.0)]);
                }
            }
            if imp.rate > 0 {
                args.extend(["rate".into(), format!("{}bit", imp.rate)]);
            }
            let out = state
                .netns(&node.name)?
                .command("tc")
                .map_err(|e| format!("cannot enter {}: {e}", node.name))?
                .args(&args)
                .output()
                .map_err(|e| format!("--netem needs tc (iproute2): {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "--netem: tc could not add a netem qdisc ({}); this kernel may have no \
                     netem: leave out --netem and the wires impair the links themselves",
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
        }
    }
    Ok(())
}

/// Starts the wires as a process of their own, in a session of their own (so a closed
/// terminal or a Ctrl-C does not stop them), and waits for their `ready` (which, without
/// root, names the thread holding each node's namespace).
fn start_wires(state: &State) -> Result<(i32, BTreeMap<String, i32>)> {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find netlab itself: {e}"))?;
    let log = state.dir().join("wires.log");
    let log =
        fs::File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    let mut command = Command::new(exe);
    command
        .args(["__wires", &state.lab])
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log);
    // SAFETY: setsid is async-signal-safe, the only call made between fork and exec.
    unsafe {
        command.pre_exec(|| {
            nix::unistd::setsid().map_err(io::Error::from)?;
            Ok(())
        });
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start the wires: {e}"))?;
    let pid = child.id() as i32;
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(PATIENCE).unwrap_or_default();
    let mut words = line.split_whitespace();
    if words.next() == Some("ready") {
        let holders = words
            .filter_map(|w| w.split_once('='))
            .filter_map(|(node, tid)| Some((node.to_owned(), tid.parse().ok()?)))
            .collect();
        // The wires outlive this process; the kernel's init will reap them.
        std::mem::forget(child);
        return Ok((pid, holders));
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = fs::read_to_string(state.dir().join("wires.log")).unwrap_or_default();
    let why = log.lines().last().unwrap_or("they did not say why");
    let why = why.strip_prefix("netlab: ").unwrap_or(why);
    if why.starts_with(userns::WITHOUT_ROOT) {
        // What this user lacks, and how to get it, is the whole story.
        return Err(why.to_owned());
    }
    Err(format!("the wires did not start: {why}"))
}

/// The state of the lab that is up, or the one line that says none is.
fn current(lab: &str) -> Result<State> {
    let dir = state::dir(lab)?;
    if !dir.exists() {
        return Err(format!(
            "no lab is up (start one with `netlab up pair`){}",
            named(lab)
        ));
    }
    State::load(&dir)
}

fn named(lab: &str) -> String {
    if lab == crate::DEFAULT_LAB {
        String::new()
    } else {
        format!(" [lab {lab}]")
    }
}

/// `netlab status`
pub fn status(lab: &str) -> Result<()> {
    let state = current(lab)?;
    let wires = match state.wires {
        Some(pid) if is_wires(pid, lab) => format!("wires running (pid {pid})"),
        Some(pid) => format!(
            "its wires (pid {pid}) are NOT running: take it down with `netlab down` and start again"
        ),
        None => "its wires never started: take it down with `netlab down`".to_owned(),
    };
    println!("lab {lab}: {wires}; seed {}", state.topology.seed);
    print!("{}", state.topology.describe());
    if let Ok(stats) = ask(&state, "stats") {
        for line in stats.lines() {
            println!("  counted: {line}");
        }
    }
    Ok(())
}

/// One request to the wires' control socket, and the whole answer.
fn ask(state: &State, request: &str) -> io::Result<String> {
    let mut stream = UnixStream::connect(state.dir().join(wire::CONTROL))?;
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.write_all(format!("{request}\n").as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

/// `netlab watch`: a line per frame, as the wires see them, until Ctrl-C (or `count`).
pub fn watch(lab: &str, count: Option<usize>) -> Result<()> {
    let state = current(lab)?;
    let mut stream = UnixStream::connect(state.dir().join(wire::CONTROL)).map_err(|e| {
        format!("cannot reach the wires: {e} (are they running? see `netlab status`)")
    })?;
    stream
        .write_all(b"watch\n")
        .map_err(|e| format!("cannot reach the wires: {e}"))?;
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for (seen, line) in BufReader::new(stream).lines().enumerate() {
        if count.is_some_and(|c| seen >= c) {
            break;
        }
        let Ok(line) = line else { break };
        if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
    Ok(())
}

/// `netlab down`
pub fn down(lab: &str) -> Result<()> {
    let dir = state::dir(lab)?;
    if !dir.exists() && namespaces_of(lab).is_empty() {
        return Err(format!("no lab is up, nothing to take down{}", named(lab)));
    }
    let done = teardown(&dir, lab);
    println!("lab {lab} is down: {}", done.join(", "));
    Ok(())
}

// ANCHOR: run
/// `netlab run HOST -- CMD…`: becomes CMD inside HOST's namespace (this process is
/// replaced, so CMD's exit status is netlab's). The lab's names (h1, h2, …) are in the
/// /etc/hosts that CMD sees.
pub fn run(lab: &str, host: &str, command: &[String]) -> Result<()> {
    let state = current(lab)?;
    if state.topology.node(host).is_none() {
        return Err(format!(
            "no host {host} in lab {lab} (it has {})",
            state.topology.names().join(", ")
        ));
    }
    let (program, args) = command
        .split_first()
        .ok_or("netlab run HOST -- COMMAND: the command is missing")?;
    enter(&state, host)?;
    let err = Command::new(program)
        .args(args)
        .env("NETLAB_HOST", host)
        .env("NETLAB_LAB", lab)
        .exec();
    Err(format!("cannot run {program}: {err}"))
}
// ANCHOR_END: run

/// Moves this (single-threaded) process into `host`'s network namespace (without root,
/// into the lab's user namespace first), with a mount namespace of its own in which the
/// lab's hosts file is /etc/hosts.
fn enter(state: &State, host: &str) -> Result<()> {
    if state.unprivileged && !state.wires.is_some_and(|pid| is_wires(pid, &state.lab)) {
        return Err(format!(
            "the lab's wires are not running, and its namespaces went with them: take it \
             down with `netlab down` and start again{}",
            named(&state.lab)
        ));
    }
    state
        .netns(host)?
        .enter()
        .map_err(|e| format!("cannot enter the namespace of {host}: {e}"))?;
    unshare(CloneFlags::CLONE_NEWNS).map_err(|e| format!("cannot unshare the mounts: {e}"))?;
    // Mounts made from here on stay in this process's namespace (and its children's).
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_SLAVE,
        None::<&str>,
    )
    .map_err(|e| format!("cannot make / a slave mount: {e}"))?;
    let hosts = state.dir().join("hosts");
    // Without it, names do not resolve but addresses still work: no reason to fail.
    let _ = mount(
        Some(&hosts),
        "/etc/hosts",
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    );
    Ok(())
}

/// `netlab shell HOST`: an interactive shell inside HOST, its prompt naming the host.
pub fn shell(lab: &str, host: &str) -> Result<()> {
    let state = current(lab)?;
    if state.topology.node(host).is_none() {
        return Err(format!(
            "no host {host} in lab {lab} (it has {})",
            state.topology.names().join(", ")
        ));
    }
    let shell = std::env::var("SHELL").unwrap_or_else(|_| "/bin/bash".to_owned());
    if Path::new(&shell).file_name().is_some_and(|n| n == "bash") {
        let rc = state.dir().join(format!("bashrc-{host}"));
        let text = format!(
            "[ -f ~/.bashrc ] && . ~/.bashrc\nPS1='[{host}] \\w\\$ '\necho \"netlab: a shell on {host}; exit (or Ctrl-D) leaves it\"\n"
        );
        if fs::write(&rc, text).is_ok() {
            let rc = rc.to_string_lossy().into_owned();
            return run(lab, host, &[shell, "--rcfile".into(), rc]);
        }
    }
    run(lab, host, &[shell])
}
