//! The IRC server's state and rules, apart from the sockets.
//!
//! Every client has a thread that reads its lines and calls [`Irc::handle`], and an
//! outbox (a bounded queue) that a writer thread empties into its socket. All the
//! shared state (who is connected, which nicks are taken, who is in which channel)
//! sits behind one mutex in [`Irc`]. Sending to a client only puts a line in its
//! outbox, so no thread ever blocks on another client's socket while it holds the
//! lock.

pub mod message;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, Shutdown, TcpStream};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use message::{Message, line, text_line};

/// Lines waiting for a slow client; past this, the client is disconnected.
pub const OUTBOX: usize = 512;
/// The longest nickname.
pub const NICKLEN: usize = 16;
/// The longest channel name.
pub const CHANNELLEN: usize = 50;
/// How many channels one client may be in.
pub const MAX_CHANNELS: usize = 20;
/// How many targets one PRIVMSG may name.
pub const MAX_TARGETS: usize = 4;
/// The longest topic, away message and kick reason.
pub const TOPICLEN: usize = 300;
/// The reason clients are given when the server stops.
pub const SHUTTING_DOWN: &str = "Server shutting down";
/// How far a client's flood clock may run ahead of the real time before the
/// server stops reading from it (RFC 1459 §8.10).
pub const FLOOD_AHEAD: Duration = Duration::from_secs(10);
/// How many bytes a client may have sent that wait unread while its flood clock
/// is ahead. Past this it keeps going regardless: `Excess Flood`, and it is cut.
pub const MAX_UNREAD: usize = 8 * 1024;
/// The reason given to a client cut off for flooding.
pub const EXCESS_FLOOD: &str = "Excess Flood";

// ANCHOR: flood_clock
/// The flood control of RFC 1459 §8.10: every client has a clock that each of
/// its lines moves on by a penalty (2 s), and that never lags behind the real
/// time. While the clock is less than [`FLOOD_AHEAD`] (10 s) ahead, lines are
/// handled at once: a burst of five or six goes through. Past that the server
/// reads nothing more from the client until the real time has caught up, so a
/// client that keeps talking gets one line handled every 2 s, and the rest of
/// what it sends waits in the kernel, where TCP's flow control slows it down.
#[derive(Debug, Clone)]
pub struct FloodClock {
    at: Instant,
    penalty: Duration,
}

impl FloodClock {
    /// A clock that starts now; a `penalty` of zero turns flood control off.
    pub fn new(now: Instant, penalty: Duration) -> FloodClock {
        FloodClock { at: now, penalty }
    }

    /// How long the server must wait before it handles the next line.
    pub fn wait(&self, now: Instant) -> Duration {
        self.at
            .saturating_duration_since(now)
            .saturating_sub(FLOOD_AHEAD)
    }

    /// A line is handled: the clock moves on (from now, if it had fallen behind).
    pub fn charge(&mut self, now: Instant) {
        self.at = self.at.max(now) + self.penalty;
    }
}
// ANCHOR_END: flood_clock

/// What the reader thread should do after a line.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Continue,
    /// The client said QUIT: its farewell is queued; close after it is sent.
    Close,
}

/// What a client's writer thread receives.
#[derive(Debug, PartialEq, Eq)]
pub enum Out {
    Line(String),
    /// Send nothing more and close the connection.
    Close,
}

/// A connected client's way out: its outbox, and its socket to shut down if it is
/// too slow to keep up.
pub struct Outlet {
    pub outbox: SyncSender<Out>,
    pub socket: Option<TcpStream>,
}

struct Client {
    nick: Option<String>,
    user: Option<String>,
    /// The real name from USER, shown by WHO and WHOIS.
    realname: String,
    /// The AWAY message, while the client is away.
    away: Option<String>,
    host: String,
    registered: bool,
    /// CAP LS was sent: registration waits for CAP END.
    negotiating: bool,
    out: Outlet,
    channels: BTreeSet<String>,
}

impl Client {
    fn prefix(&self) -> String {
        format!(
            "{}!{}@{}",
            self.nick.as_deref().unwrap_or("*"),
            self.user.as_deref().unwrap_or("*"),
            self.host
        )
    }
    fn target(&self) -> &str {
        self.nick.as_deref().unwrap_or("*")
    }
}

struct Channel {
    name: String,
    members: BTreeSet<u64>,
    /// The channel operators: whoever created the channel, and whoever they
    /// give `+o`. They may KICK.
    ops: BTreeSet<u64>,
    topic: Option<Topic>,
    /// When the channel was created (Unix time), for MODE's 329.
    created: u64,
}

struct Topic {
    text: String,
    /// Who set it (`nick!user@host`) and when (Unix time), for 333.
    set_by: String,
    set_at: u64,
}

impl Channel {
    /// Forgets a member; says whether the channel is now empty.
    fn remove(&mut self, id: u64) -> bool {
        self.members.remove(&id);
        self.ops.remove(&id);
        self.members.is_empty()
    }
}

#[derive(Default)]
struct State {
    next_id: u64,
    clients: HashMap<u64, Client>,
    /// Nick in lower case -> client.
    nicks: HashMap<String, u64>,
    /// Channel name in lower case -> channel.
    channels: BTreeMap<String, Channel>,
    /// The server is shutting down: nobody new may connect.
    closed: bool,
}

/// The whole server.
pub struct Irc {
    name: String,
    created: String,
    max_clients: usize,
    state: Mutex<State>,
}

impl Irc {
    pub fn new(name: &str, created: &str, max_clients: usize) -> Irc {
        Irc {
            name: name.to_owned(),
            created: created.to_owned(),
            max_clients,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in one client's thread must not take the server down with it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new connection: its id, or why it is refused (the server is full, or
    /// shutting down), to be sent to the client as `ERROR :Closing Link`.
    pub fn connect(&self, peer: IpAddr, out: Outlet) -> Result<u64, &'static str> {
        let mut state = self.lock();
        if state.closed {
            return Err(SHUTTING_DOWN);
        }
        if state.clients.len() >= self.max_clients {
            return Err("Server is full");
        }
        state.next_id += 1;
        let id = state.next_id;
        let host = match peer {
            IpAddr::V6(v6) => v6.to_canonical().to_string(),
            v4 => v4.to_string(),
        };
        state.clients.insert(
            id,
            Client {
                nick: None,
                user: None,
                realname: String::new(),
                away: None,
                host,
                registered: false,
                negotiating: false,
                out,
                channels: BTreeSet::new(),
            },
        );
        Ok(id)
    }

    // ANCHOR: close_all
    /// The server is shutting down: every client gets `ERROR :Closing Link: host
    /// (Server shutting down)` after whatever its outbox already holds, then its
    /// writer closes the connection. Nobody can connect from now on. Returns how
    /// many clients were told.
    pub fn close_all(&self) -> usize {
        let mut state = self.lock();
        state.closed = true;
        let ids: Vec<u64> = state.clients.keys().copied().collect();
        for &id in &ids {
            let host = &state.clients[&id].host;
            let farewell =
                format!("ERROR :Closing Link: {host} ({SHUTTING_DOWN})\r\n");
            send(&state, id, &farewell);
            let _ = state.clients[&id].out.outbox.try_send(Out::Close);
        }
        // Everyone is gone at once: no QUIT to relay, no channel left.
        state.clients.clear();
        state.nicks.clear();
        state.channels.clear();
        ids.len()
    }
    // ANCHOR_END: close_all

    /// Whether [`Irc::close_all`] has run: the server is shutting down.
    pub fn closed(&self) -> bool {
        self.lock().closed
    }

    /// The client is leaving (QUIT, closed, reset or timed out): say goodbye to it,
    /// tell the others, and forget it.
    pub fn disconnect(&self, id: u64, reason: &str) {
        let mut state = self.lock();
        let Some(client) = state.clients.get(&id) else {
            return;
        };
        if client.registered {
            let quit = text_line(&client.prefix(), "QUIT", &[], reason);
            for peer in peers_of(&state, id) {
                send(&state, peer, &quit);
            }
        }
        let farewell =
            format!("ERROR :Closing Link: {} ({reason})\r\n", client.host);
        send(&state, id, &farewell);
        let client = state.clients.remove(&id).expect("checked above");
        if let Some(nick) = &client.nick {
            state.nicks.remove(&nick.to_ascii_lowercase());
        }
        for key in &client.channels {
            if let Some(channel) = state.channels.get_mut(key)
                && channel.remove(id)
            {
                state.channels.remove(key);
            }
        }
        let _ = client.out.outbox.try_send(Out::Close);
    }

    /// The client has been silent for a while: ask whether it is still there.
    pub fn ping(&self, id: u64) {
        let state = self.lock();
        send(&state, id, &format!("PING :{}\r\n", self.name));
    }

    /// A line over 512 bytes arrived (and was thrown away).
    pub fn too_long(&self, id: u64) {
        let state = self.lock();
        self.numeric(&state, id, "417", &["Input line was too long"]);
    }

    // ANCHOR: handle
    /// One line from client `id`.
    pub fn handle(&self, id: u64, raw: &[u8]) -> Next {
        let Some(msg) = message::parse(raw) else {
            return Next::Continue; // an empty line: ignored, as RFC 1459 says
        };
        let mut state = self.lock();
        if !state.clients.contains_key(&id) {
            return Next::Close; // the server has closed this client (close_all)
        }
        let registered = state.clients[&id].registered;
        let p = &msg.params;
        match msg.command.as_str() {
            "NICK" => self.nick(&mut state, id, p),
            "USER" => self.user(&mut state, id, p),
            "CAP" => self.cap(&mut state, id, p),
            "PASS" => {}
            "PING" if p.is_empty() => {
                self.numeric(&state, id, "409", &["No origin specified"])
            }
            "PING" => send(
                &state,
                id,
                &text_line(&self.name, "PONG", &[&self.name], &p[0]),
            ),
            "PONG" => {}
            "QUIT" => {
                let reason = match p.first().filter(|r| !r.is_empty()) {
                    Some(said) => format!("Quit: {said}"),
                    None => "Client Quit".to_owned(),
                };
                drop(state);
                self.disconnect(id, &reason);
                return Next::Close;
            }
            _ if !registered => {
                self.numeric(&state, id, "451", &["You have not registered"])
            }
            "JOIN" => self.join(&mut state, id, p),
            "PART" => self.part(&mut state, id, p),
            "PRIVMSG" | "NOTICE" => self.privmsg(&state, id, &msg),
            "NAMES" => self.names(&state, id, p),
            "MODE" => self.mode(&mut state, id, p),
            "TOPIC" => self.topic(&mut state, id, p),
            "KICK" => self.kick(&mut state, id, p),
            "AWAY" => self.away(&mut state, id, p),
            "WHO" => self.who(&state, id, p),
            "WHOIS" => self.whois(&state, id, p),
            "USERHOST" => self.userhost(&state, id, p),
            "ISON" => self.ison(&state, id, p),
            "LIST" => self.list(&state, id, p),
            "MOTD" => self.motd(&state, id),
            other => {
                let shown: String = other
                    .chars()
                    .filter(|c| c.is_ascii_graphic())
                    .take(32)
                    .collect();
                self.numeric(&state, id, "421", &[&shown, "Unknown command"]);
            }
        }
        Next::Continue
    }
    // ANCHOR_END: handle

    /// `:server 433 alice bob :Nickname is already in use`
    fn numeric(&self, state: &State, id: u64, code: &str, params: &[&str]) {
        let Some(client) = state.clients.get(&id) else {
            return;
        };
        let mut all = vec![client.target()];
        all.extend_from_slice(params);
        send(state, id, &line(&self.name, code, &all));
    }

    /// A numeric whose last parameter is free text, always after a `:`
    /// (`:server 303 alice :bob`).
    fn numeric_text(
        &self,
        state: &State,
        id: u64,
        code: &str,
        params: &[&str],
        text: &str,
    ) {
        let Some(client) = state.clients.get(&id) else {
            return;
        };
        let mut all = vec![client.target()];
        all.extend_from_slice(params);
        send(state, id, &text_line(&self.name, code, &all, text));
    }

    fn nick(&self, state: &mut State, id: u64, p: &[String]) {
        let Some(nick) = p.first().filter(|n| !n.is_empty()) else {
            return self.numeric(state, id, "431", &["No nickname given"]);
        };
        if !valid_nick(nick) {
            return self.numeric(state, id, "432", &[nick, "Erroneous nickname"]);
        }
        let key = nick.to_ascii_lowercase();
        if state.nicks.get(&key).is_some_and(|&owner| owner != id) {
            return self.numeric(
                state,
                id,
                "433",
                &[nick, "Nickname is already in use"],
            );
        }
        let client = state.clients.get_mut(&id).expect("connected");
        let old = client.nick.replace(nick.clone());
        let old_prefix = format!(
            "{}!{}@{}",
            old.as_deref().unwrap_or("*"),
            client.user.as_deref().unwrap_or("*"),
            client.host
        );
        let registered = client.registered;
        if let Some(old) = &old {
            state.nicks.remove(&old.to_ascii_lowercase());
        }
        state.nicks.insert(key, id);
        if registered {
            // The client sees the change, and so does everyone in its channels.
            let change = line(&old_prefix, "NICK", &[nick]);
            send(state, id, &change);
            for peer in peers_of(state, id) {
                send(state, peer, &change);
            }
        } else {
            self.try_register(state, id);
        }
    }

    fn user(&self, state: &mut State, id: u64, p: &[String]) {
        // RFC 2812 asks for four parameters (user, mode, unused, real name); many
        // servers also take the older three-parameter form, as typed in the notes.
        if p.len() < 3 || p[0].is_empty() {
            return self.numeric(
                state,
                id,
                "461",
                &["USER", "Not enough parameters"],
            );
        }
        let client = state.clients.get_mut(&id).expect("connected");
        if client.registered || client.user.is_some() {
            return self.numeric(state, id, "462", &["You may not reregister"]);
        }
        let user: String = p[0]
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
            .take(10)
            .collect();
        client.user = Some(if user.is_empty() { "user".into() } else { user });
        // The real name is the last parameter (the fourth, or the third in the
        // older form).
        client.realname = p[p.len().min(4) - 1].chars().take(50).collect();
        self.try_register(state, id);
    }

    fn cap(&self, state: &mut State, id: u64, p: &[String]) {
        let client = state.clients.get_mut(&id).expect("connected");
        match p.first().map(|s| s.to_ascii_uppercase()).as_deref() {
            // We offer no capabilities, but say so: clients that ask then go on.
            Some("LS") | Some("LIST") => {
                if !client.registered {
                    client.negotiating = true;
                }
                let target = client.target().to_owned();
                let sub = p[0].to_ascii_uppercase();
                send(state, id, &line(&self.name, "CAP", &[&target, &sub, ""]));
            }
            Some("REQ") => {
                let target = client.target().to_owned();
                let asked = p.get(1).map_or("", String::as_str);
                send(
                    state,
                    id,
                    &line(&self.name, "CAP", &[&target, "NAK", asked]),
                );
            }
            Some("END") => {
                client.negotiating = false;
                self.try_register(state, id);
            }
            _ => self.numeric(
                state,
                id,
                "410",
                &[p.first().map_or("", String::as_str), "Invalid CAP command"],
            ),
        }
    }

    // ANCHOR: register
    /// NICK and USER both given (and no CAP negotiation open): welcome the client.
    fn try_register(&self, state: &mut State, id: u64) {
        let client = state.clients.get_mut(&id).expect("connected");
        if client.registered
            || client.negotiating
            || client.nick.is_none()
            || client.user.is_none()
        {
            return;
        }
        client.registered = true;
        let prefix = client.prefix();
        let version = concat!("irc_server-", env!("CARGO_PKG_VERSION"));
        let welcome =
            format!("Welcome to the Internet Relay Chat network, {prefix}");
        self.numeric(state, id, "001", &[&welcome]);
        let host = format!("Your host is {}, running {version}", self.name);
        self.numeric(state, id, "002", &[&host]);
        self.numeric(
            state,
            id,
            "003",
            &[&format!("This server was created {}", self.created)],
        );
        self.numeric(state, id, "004", &[&self.name, version, "i", "no"]);
        let nicklen = format!("NICKLEN={NICKLEN}");
        let chanlen = format!("CHANNELLEN={CHANNELLEN}");
        let chanlimit = format!("CHANLIMIT=#:{MAX_CHANNELS}");
        let targmax = format!("TARGMAX=PRIVMSG:{MAX_TARGETS},NOTICE:{MAX_TARGETS}");
        let topiclen = format!("TOPICLEN={TOPICLEN}");
        let kicklen = format!("KICKLEN={TOPICLEN}");
        let awaylen = format!("AWAYLEN={TOPICLEN}");
        let supported = [
            "CASEMAPPING=ascii",
            "CHANTYPES=#",
            "PREFIX=(o)@",
            "CHANMODES=,,,n",
            &topiclen,
            &kicklen,
            &awaylen,
            &nicklen,
            &chanlen,
            &chanlimit,
            &targmax,
            "are supported by this server",
        ];
        self.numeric(state, id, "005", &supported);
        self.motd(state, id);
    }

    /// The message of the day: 375, a 372 per line, 376.
    fn motd(&self, state: &State, id: u64) {
        let start = format!("- {} Message of the day - ", self.name);
        self.numeric_text(state, id, "375", &[], &start);
        for text in [
            format!(
                "- Welcome to {}, the IRC server of a course on sockets.",
                self.name
            ),
            "- Flood control is on (RFC 1459 section 8.10): a burst of lines"
                .to_owned(),
            "- goes through at once, then one line every 2 seconds.".to_owned(),
        ] {
            self.numeric_text(state, id, "372", &[], &text);
        }
        self.numeric_text(state, id, "376", &[], "End of /MOTD command.");
    }
    // ANCHOR_END: register

    // ANCHOR: join
    fn join(&self, state: &mut State, id: u64, p: &[String]) {
        let Some(list) = p.first().filter(|s| !s.is_empty()) else {
            return self.numeric(
                state,
                id,
                "461",
                &["JOIN", "Not enough parameters"],
            );
        };
        if list == "0" {
            // JOIN 0 leaves every channel (RFC 2812 §3.2.1).
            let joined = state.clients[&id].channels.iter();
            let names: Vec<String> = joined
                .filter_map(|key| state.channels.get(key))
                .map(|channel| channel.name.clone())
                .collect();
            if !names.is_empty() {
                self.part(state, id, &[names.join(",")]);
            }
            return;
        }
        for name in list.split(',').take(MAX_CHANNELS) {
            if !valid_channel(name) {
                self.numeric(state, id, "403", &[name, "No such channel"]);
                continue;
            }
            let key = name.to_ascii_lowercase();
            let client = &state.clients[&id];
            if client.channels.contains(&key) {
                continue;
            }
            if client.channels.len() >= MAX_CHANNELS {
                self.numeric(
                    state,
                    id,
                    "405",
                    &[name, "You have joined too many channels"],
                );
                continue;
            }
            let prefix = client.prefix();
            let channel =
                state
                    .channels
                    .entry(key.clone())
                    .or_insert_with(|| Channel {
                        name: name.to_owned(),
                        members: BTreeSet::new(),
                        ops: BTreeSet::from([id]), // its creator
                        topic: None,
                        created: unix_time(),
                    });
            channel.members.insert(id);
            let shown = channel.name.clone();
            state
                .clients
                .get_mut(&id)
                .expect("connected")
                .channels
                .insert(key.clone());
            // Everyone in the channel, the newcomer included, sees the JOIN...
            let joined = line(&prefix, "JOIN", &[&shown]);
            for &member in &state.channels[&key].members {
                send(state, member, &joined);
            }
            // ...and the newcomer gets the topic, if there is one, and the
            // list of who is there.
            if state.channels[&key].topic.is_some() {
                self.topic(state, id, std::slice::from_ref(&shown));
            }
            self.names(state, id, std::slice::from_ref(&shown));
        }
    }
    // ANCHOR_END: join

    fn part(&self, state: &mut State, id: u64, p: &[String]) {
        let Some(list) = p.first().filter(|s| !s.is_empty()) else {
            return self.numeric(
                state,
                id,
                "461",
                &["PART", "Not enough parameters"],
            );
        };
        let reason = p.get(1).map_or("", String::as_str);
        for name in list.split(',').take(MAX_CHANNELS) {
            let key = name.to_ascii_lowercase();
            let Some(channel) = state.channels.get(&key) else {
                self.numeric(state, id, "403", &[name, "No such channel"]);
                continue;
            };
            if !channel.members.contains(&id) {
                self.numeric(
                    state,
                    id,
                    "442",
                    &[name, "You're not on that channel"],
                );
                continue;
            }
            let parted = if reason.is_empty() {
                line(&state.clients[&id].prefix(), "PART", &[&channel.name])
            } else {
                text_line(
                    &state.clients[&id].prefix(),
                    "PART",
                    &[&channel.name],
                    reason,
                )
            };
            for &member in &channel.members {
                send(state, member, &parted);
            }
            let channel = state.channels.get_mut(&key).expect("checked");
            if channel.remove(id) {
                state.channels.remove(&key);
            }
            state
                .clients
                .get_mut(&id)
                .expect("connected")
                .channels
                .remove(&key);
        }
    }

    // ANCHOR: privmsg
    fn privmsg(&self, state: &State, id: u64, msg: &Message) {
        let notice = msg.command == "NOTICE"; // NOTICE never gets an error back
        let p = &msg.params;
        let Some(targets) = p.first().filter(|t| !t.is_empty()) else {
            if !notice {
                self.numeric(
                    state,
                    id,
                    "411",
                    &[&format!("No recipient given ({})", msg.command)],
                );
            }
            return;
        };
        let Some(text) = p.get(1).filter(|t| !t.is_empty()) else {
            if !notice {
                self.numeric(state, id, "412", &["No text to send"]);
            }
            return;
        };
        let prefix = state.clients[&id].prefix();
        for target in targets.split(',').take(MAX_TARGETS) {
            let key = target.to_ascii_lowercase();
            if target.starts_with('#') {
                match state.channels.get(&key) {
                    // A channel relays to every member but the sender.
                    Some(channel) if channel.members.contains(&id) => {
                        let relayed = text_line(
                            &prefix,
                            &msg.command,
                            &[&channel.name],
                            text,
                        );
                        for &member in channel.members.iter().filter(|&&m| m != id)
                        {
                            send(state, member, &relayed);
                        }
                    }
                    Some(_) if !notice => {
                        self.numeric(
                            state,
                            id,
                            "404",
                            &[target, "Cannot send to channel"],
                        );
                    }
                    None if !notice => {
                        self.numeric(state, id, "403", &[target, "No such channel"])
                    }
                    _ => {}
                }
            } else {
                match state.nicks.get(&key) {
                    Some(&to) => {
                        let nick = state.clients[&to].target().to_owned();
                        send(
                            state,
                            to,
                            &text_line(&prefix, &msg.command, &[&nick], text),
                        );
                        // Away: the sender is told so (never for NOTICE).
                        if let Some(away) = &state.clients[&to].away
                            && !notice
                        {
                            self.numeric_text(state, id, "301", &[&nick], away);
                        }
                    }
                    None if !notice => self.numeric(
                        state,
                        id,
                        "401",
                        &[target, "No such nick/channel"],
                    ),
                    None => {}
                }
            }
        }
    }
    // ANCHOR_END: privmsg

    fn names(&self, state: &State, id: u64, p: &[String]) {
        let wanted: Vec<String> = match p.first().filter(|s| !s.is_empty()) {
            Some(list) => list
                .split(',')
                .take(MAX_CHANNELS)
                .map(str::to_owned)
                .collect(),
            None => {
                for channel in state.channels.values() {
                    self.name_reply(state, id, channel);
                }
                return self.numeric(
                    state,
                    id,
                    "366",
                    &["*", "End of /NAMES list"],
                );
            }
        };
        for name in wanted {
            if let Some(channel) = state.channels.get(&name.to_ascii_lowercase()) {
                self.name_reply(state, id, channel);
            }
            self.numeric(state, id, "366", &[&name, "End of /NAMES list"]);
        }
    }

    /// `353 alice = #rust :alice bob`, in lines short enough for IRC.
    fn name_reply(&self, state: &State, id: u64, channel: &Channel) {
        let nicks: Vec<String> = channel
            .members
            .iter()
            .filter_map(|m| Some((m, state.clients.get(m)?)))
            .map(|(m, c)| format!("{}{}", op_sign(channel, *m), c.target()))
            .collect();
        for chunk in nicks.chunks(20) {
            self.numeric_text(
                state,
                id,
                "353",
                &["=", &channel.name],
                &chunk.join(" "),
            );
        }
    }

    fn mode(&self, state: &mut State, id: u64, p: &[String]) {
        let Some(target) = p.first() else {
            return self.numeric(
                state,
                id,
                "461",
                &["MODE", "Not enough parameters"],
            );
        };
        let own = state.clients[&id].target().to_owned();
        if target.starts_with('#') {
            self.channel_mode(state, id, target, &p[1..]);
        } else if target.eq_ignore_ascii_case(&own) {
            if p.len() == 1 {
                self.numeric(state, id, "221", &["+"]);
            } // setting one's own modes (+i, which clients like to send) is quietly ignored
        } else if state.nicks.contains_key(&target.to_ascii_lowercase()) {
            self.numeric(state, id, "502", &["Can't change mode for other users"]);
        } else {
            self.numeric(state, id, "401", &[target, "No such nick/channel"]);
        }
    }

    /// `MODE #chan` (query), `MODE #chan b` (the ban list, always empty here),
    /// and `MODE #chan +o nick` / `-o nick` by an operator.
    fn channel_mode(&self, state: &mut State, id: u64, target: &str, p: &[String]) {
        let key = target.to_ascii_lowercase();
        let Some(channel) = state.channels.get(&key) else {
            return self.numeric(state, id, "403", &[target, "No such channel"]);
        };
        let name = channel.name.clone();
        let Some(change) = p.first() else {
            self.numeric(state, id, "324", &[&name, "+n"]);
            let created = channel.created.to_string();
            return self.numeric(state, id, "329", &[&name, &created]);
        };
        if change.trim_start_matches('+') == "b" {
            return self.numeric(
                state,
                id,
                "368",
                &[&name, "End of channel ban list"],
            );
        }
        if !channel.ops.contains(&id) {
            return self.numeric(
                state,
                id,
                "482",
                &[&name, "You're not channel operator"],
            );
        }
        let (give, letter) = match change.as_str() {
            "+o" | "o" => (true, 'o'),
            "-o" => (false, 'o'),
            other => {
                let letter = other.trim_start_matches(['+', '-']).chars().next();
                let letter = letter.unwrap_or('?').to_string();
                return self.numeric(
                    state,
                    id,
                    "472",
                    &[&letter, "is unknown mode char to me"],
                );
            }
        };
        let Some(nick) = p.get(1) else {
            return self.numeric(
                state,
                id,
                "461",
                &["MODE", "Not enough parameters"],
            );
        };
        let Some(&who) = state.nicks.get(&nick.to_ascii_lowercase()) else {
            return self.numeric(state, id, "401", &[nick, "No such nick/channel"]);
        };
        let channel = state.channels.get_mut(&key).expect("checked");
        if !channel.members.contains(&who) {
            let text = "They aren't on that channel";
            return self.numeric(state, id, "441", &[nick, &name, text]);
        }
        if give {
            channel.ops.insert(who);
        } else {
            channel.ops.remove(&who);
        }
        let sign = if give { '+' } else { '-' };
        let shown = state.clients[&who].target().to_owned();
        let prefix = state.clients[&id].prefix();
        let changed = line(
            &prefix,
            "MODE",
            &[&name, &format!("{sign}{letter}"), &shown],
        );
        for &member in &state.channels[&key].members {
            send(state, member, &changed);
        }
    }

    // ANCHOR: topic
    /// `TOPIC #chan` asks (331, or 332 and 333); `TOPIC #chan :text` sets it, for
    /// every member to see; `TOPIC #chan :` clears it.
    fn topic(&self, state: &mut State, id: u64, p: &[String]) {
        let Some(name) = p.first() else {
            return self.numeric(
                state,
                id,
                "461",
                &["TOPIC", "Not enough parameters"],
            );
        };
        let key = name.to_ascii_lowercase();
        let Some(channel) = state.channels.get(&key) else {
            return self.numeric(state, id, "403", &[name, "No such channel"]);
        };
        let shown = channel.name.clone();
        let Some(text) = p.get(1) else {
            return match &channel.topic {
                None => {
                    self.numeric(state, id, "331", &[&shown, "No topic is set"])
                }
                Some(topic) => {
                    self.numeric_text(state, id, "332", &[&shown], &topic.text);
                    let at = topic.set_at.to_string();
                    self.numeric(state, id, "333", &[&shown, &topic.set_by, &at]);
                }
            };
        };
        if !channel.members.contains(&id) {
            return self.numeric(
                state,
                id,
                "442",
                &[&shown, "You're not on that channel"],
            );
        }
        let text: String = text.chars().take(TOPICLEN).collect();
        let prefix = state.clients[&id].prefix();
        let channel = state.channels.get_mut(&key).expect("checked");
        channel.topic = (!text.is_empty()).then(|| Topic {
            text: text.clone(),
            set_by: prefix.clone(),
            set_at: unix_time(),
        });
        let changed = text_line(&prefix, "TOPIC", &[&shown], &text);
        for &member in &state.channels[&key].members {
            send(state, member, &changed);
        }
    }
    // ANCHOR_END: topic

    /// `KICK #chan nick[,nick] [:reason]`: an operator puts members out.
    fn kick(&self, state: &mut State, id: u64, p: &[String]) {
        let [name, nicks, ..] = p else {
            return self.numeric(
                state,
                id,
                "461",
                &["KICK", "Not enough parameters"],
            );
        };
        let key = name.to_ascii_lowercase();
        let Some(channel) = state.channels.get(&key) else {
            return self.numeric(state, id, "403", &[name, "No such channel"]);
        };
        let shown = channel.name.clone();
        if !channel.members.contains(&id) {
            return self.numeric(
                state,
                id,
                "442",
                &[&shown, "You're not on that channel"],
            );
        }
        if !channel.ops.contains(&id) {
            return self.numeric(
                state,
                id,
                "482",
                &[&shown, "You're not channel operator"],
            );
        }
        let prefix = state.clients[&id].prefix();
        let default_reason = state.clients[&id].target().to_owned();
        let reason = p
            .get(2)
            .filter(|r| !r.is_empty())
            .unwrap_or(&default_reason);
        let reason: String = reason.chars().take(TOPICLEN).collect();
        for nick in nicks.split(',').take(MAX_TARGETS) {
            let member = state.nicks.get(&nick.to_ascii_lowercase()).copied();
            let Some(member) =
                member.filter(|m| state.channels[&key].members.contains(m))
            else {
                let text = "They aren't on that channel";
                self.numeric(state, id, "441", &[nick, &shown, text]);
                continue;
            };
            let target = state.clients[&member].target().to_owned();
            let kicked = text_line(&prefix, "KICK", &[&shown, &target], &reason);
            for &m in &state.channels[&key].members {
                send(state, m, &kicked);
            }
            state
                .clients
                .get_mut(&member)
                .expect("a member")
                .channels
                .remove(&key);
            let channel = state.channels.get_mut(&key).expect("checked");
            if channel.remove(member) {
                state.channels.remove(&key);
                return;
            }
        }
    }

    /// `AWAY :text` marks the client away (306); `AWAY` alone, back (305).
    fn away(&self, state: &mut State, id: u64, p: &[String]) {
        let text: Option<String> = p
            .first()
            .filter(|t| !t.is_empty())
            .map(|t| t.chars().take(TOPICLEN).collect());
        let back = text.is_none();
        state.clients.get_mut(&id).expect("connected").away = text;
        if back {
            self.numeric_text(
                state,
                id,
                "305",
                &[],
                "You are no longer marked as being away",
            );
        } else {
            self.numeric_text(
                state,
                id,
                "306",
                &[],
                "You have been marked as being away",
            );
        }
    }

    /// One 352 line of WHO: `#chan user host server nick H@ :0 Real Name`.
    fn who_line(
        &self,
        state: &State,
        id: u64,
        channel: Option<&Channel>,
        who: u64,
    ) {
        let Some(c) = state.clients.get(&who) else {
            return;
        };
        let mut flags = String::from(if c.away.is_some() { "G" } else { "H" });
        if let Some(channel) = channel {
            flags.push_str(op_sign(channel, who));
        }
        let shown = channel.map_or("*", |ch| ch.name.as_str());
        let user = c.user.as_deref().unwrap_or("*");
        let params = [shown, user, &c.host, &self.name, c.target(), &flags];
        self.numeric_text(state, id, "352", &params, &format!("0 {}", c.realname));
    }

    /// `WHO #chan` (every member) or `WHO nick`; 315 ends the list.
    fn who(&self, state: &State, id: u64, p: &[String]) {
        let mask = p.first().map_or("*", String::as_str);
        if let Some(channel) = state.channels.get(&mask.to_ascii_lowercase()) {
            for &member in &channel.members {
                self.who_line(state, id, Some(channel), member);
            }
        } else if let Some(&who) = state.nicks.get(&mask.to_ascii_lowercase()) {
            self.who_line(state, id, None, who);
        }
        self.numeric(state, id, "315", &[mask, "End of WHO list"]);
    }

    /// `WHOIS nick` (or `WHOIS server nick`): 311, 319, 312, 301, then 318.
    fn whois(&self, state: &State, id: u64, p: &[String]) {
        let Some(nick) = p.last().filter(|n| !n.is_empty()) else {
            return self.numeric(state, id, "431", &["No nickname given"]);
        };
        let nick = nick.split(',').next().unwrap_or_default();
        let Some(&who) = state.nicks.get(&nick.to_ascii_lowercase()) else {
            self.numeric(state, id, "401", &[nick, "No such nick/channel"]);
            return self.numeric(state, id, "318", &[nick, "End of /WHOIS list"]);
        };
        let c = &state.clients[&who];
        let shown = c.target();
        let user = c.user.as_deref().unwrap_or("*");
        self.numeric_text(
            state,
            id,
            "311",
            &[shown, user, &c.host, "*"],
            &c.realname,
        );
        let channels: Vec<String> = c
            .channels
            .iter()
            .filter_map(|key| state.channels.get(key))
            .map(|ch| format!("{}{}", op_sign(ch, who), ch.name))
            .collect();
        if !channels.is_empty() {
            self.numeric_text(state, id, "319", &[shown], &channels.join(" "));
        }
        let info = concat!("irc_server ", env!("CARGO_PKG_VERSION"));
        self.numeric_text(state, id, "312", &[shown, &self.name], info);
        if let Some(away) = &c.away {
            self.numeric_text(state, id, "301", &[shown], away);
        }
        self.numeric(state, id, "318", &[shown, "End of /WHOIS list"]);
    }

    /// `USERHOST nick ...` (five at most): `302 :alice=+alice@host bob=-bob@host`,
    /// `-` for someone away.
    fn userhost(&self, state: &State, id: u64, p: &[String]) {
        if p.is_empty() {
            return self.numeric(
                state,
                id,
                "461",
                &["USERHOST", "Not enough parameters"],
            );
        }
        let found: Vec<String> = p
            .iter()
            .flat_map(|param| param.split(' '))
            .take(5)
            .filter_map(|nick| state.nicks.get(&nick.to_ascii_lowercase()))
            .map(|who| {
                let c = &state.clients[who];
                let here = if c.away.is_some() { '-' } else { '+' };
                let user = c.user.as_deref().unwrap_or("*");
                format!("{}={here}{user}@{}", c.target(), c.host)
            })
            .collect();
        self.numeric_text(state, id, "302", &[], &found.join(" "));
    }

    /// `ISON nick ...`: `303 :` and those of them who are connected.
    fn ison(&self, state: &State, id: u64, p: &[String]) {
        if p.is_empty() {
            return self.numeric(
                state,
                id,
                "461",
                &["ISON", "Not enough parameters"],
            );
        }
        let online: Vec<&str> = p
            .iter()
            .flat_map(|param| param.split(' '))
            .take(MAX_CHANNELS)
            .filter_map(|nick| state.nicks.get(&nick.to_ascii_lowercase()))
            .map(|who| state.clients[who].target())
            .collect();
        self.numeric_text(state, id, "303", &[], &online.join(" "));
    }

    /// `LIST` (every channel) or `LIST #a,#b`: 321, a 322 per channel with its
    /// number of members and its topic, 323.
    fn list(&self, state: &State, id: u64, p: &[String]) {
        self.numeric(state, id, "321", &["Channel", "Users  Name"]);
        let wanted: Option<Vec<String>> = p
            .first()
            .filter(|l| !l.is_empty())
            .map(|l| l.split(',').map(str::to_ascii_lowercase).collect());
        for (key, channel) in &state.channels {
            if wanted.as_ref().is_some_and(|w| !w.contains(key)) {
                continue;
            }
            let count = channel.members.len().to_string();
            let topic = channel.topic.as_ref().map_or("", |t| t.text.as_str());
            self.numeric_text(state, id, "322", &[&channel.name, &count], topic);
        }
        self.numeric(state, id, "323", &["End of /LIST"]);
    }

    /// Who is connected (nicks of registered clients), for the log and the tests.
    pub fn nicks(&self) -> Vec<String> {
        let state = self.lock();
        let mut nicks: Vec<String> = state
            .clients
            .values()
            .filter(|c| c.registered)
            .filter_map(|c| c.nick.clone())
            .collect();
        nicks.sort();
        nicks
    }
}

// ANCHOR: send
/// Puts a line in a client's outbox. If the outbox is full the client is not
/// reading: rather than wait for it (and hold up everyone behind the lock), cut it
/// off; its reader thread then sees the connection end and cleans up.
fn send(state: &State, id: u64, text: &str) {
    let Some(client) = state.clients.get(&id) else {
        return;
    };
    match client.out.outbox.try_send(Out::Line(text.to_owned())) {
        Ok(()) | Err(TrySendError::Disconnected(_)) => {}
        Err(TrySendError::Full(_)) => {
            if let Some(socket) = &client.out.socket {
                let _ = socket.shutdown(Shutdown::Both);
            }
        }
    }
}
// ANCHOR_END: send

/// Everyone who shares at least one channel with `id` (not `id` itself).
fn peers_of(state: &State, id: u64) -> BTreeSet<u64> {
    let Some(client) = state.clients.get(&id) else {
        return BTreeSet::new();
    };
    client
        .channels
        .iter()
        .filter_map(|key| state.channels.get(key))
        .flat_map(|channel| channel.members.iter().copied())
        .filter(|&member| member != id)
        .collect()
}

/// `@` for a channel operator, nothing for the others (in NAMES, WHO, WHOIS).
fn op_sign(channel: &Channel, id: u64) -> &'static str {
    if channel.ops.contains(&id) { "@" } else { "" }
}

/// Seconds since 1970, as IRC gives times (333, 329).
fn unix_time() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A letter or one of `[]\`_^{|}` first, then those, digits and `-`; at most 16.
pub fn valid_nick(nick: &str) -> bool {
    let special = |c: u8| b"[]\\`_^{|}".contains(&c);
    let bytes = nick.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= NICKLEN
        && (bytes[0].is_ascii_alphabetic() || special(bytes[0]))
        && bytes
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || special(c) || c == b'-')
}

/// `#` and then up to 49 characters that are not space, comma, BEL or colon.
pub fn valid_channel(name: &str) -> bool {
    name.starts_with('#')
        && name.len() > 1
        && name.len() <= CHANNELLEN
        && !name.chars().any(|c| {
            c == ' ' || c == ',' || c == '\x07' || c == ':' || c.is_control()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::{Receiver, sync_channel};

    struct Fake {
        id: u64,
        inbox: Receiver<Out>,
    }

    impl Fake {
        fn heard(&self) -> Vec<String> {
            self.inbox
                .try_iter()
                .map(|o| match o {
                    Out::Line(l) => l.trim_end().to_owned(),
                    Out::Close => "<close>".into(),
                })
                .collect()
        }
    }

    fn irc() -> Irc {
        Irc::new("irc.test", "today", 10)
    }

    fn join(irc: &Irc) -> Fake {
        let (outbox, inbox) = sync_channel(OUTBOX);
        let id = irc
            .connect(
                "127.0.0.1".parse().unwrap(),
                Outlet {
                    outbox,
                    socket: None,
                },
            )
            .unwrap();
        Fake { id, inbox }
    }

    fn say(irc: &Irc, who: &Fake, line: &str) -> Next {
        irc.handle(who.id, line.as_bytes())
    }

    fn registered(irc: &Irc, nick: &str) -> Fake {
        let client = join(irc);
        say(irc, &client, &format!("NICK {nick}"));
        say(irc, &client, &format!("USER {nick} 0 * :{nick}"));
        client.heard();
        client
    }

    #[test]
    fn registration_sends_the_welcome_numerics_in_order() {
        let irc = irc();
        let c = join(&irc);
        say(&irc, &c, "USER u 0 * :Real Name");
        assert!(c.heard().is_empty());
        say(&irc, &c, "NICK alice");
        let codes: Vec<String> = c
            .heard()
            .iter()
            .map(|l| l.split(' ').nth(1).unwrap().to_owned())
            .collect();
        assert_eq!(
            codes,
            [
                "001", "002", "003", "004", "005", "375", "372", "372", "372",
                "376"
            ]
        );
    }

    #[test]
    fn a_client_that_asks_for_capabilities_is_welcomed_after_cap_end() {
        let irc = irc();
        let c = join(&irc);
        say(&irc, &c, "CAP LS 302");
        say(&irc, &c, "NICK modern");
        say(&irc, &c, "USER modern 0 * :Modern Client");
        assert_eq!(c.heard(), [":irc.test CAP * LS :"]);
        say(&irc, &c, "CAP END");
        assert!(c.heard()[0].starts_with(":irc.test 001 modern :Welcome"));
    }

    #[test]
    fn commands_before_registration_get_451() {
        let irc = irc();
        let c = join(&irc);
        say(&irc, &c, "JOIN #a");
        assert_eq!(c.heard(), [":irc.test 451 * :You have not registered"]);
        say(&irc, &c, "PING x");
        assert_eq!(c.heard(), [":irc.test PONG irc.test :x"]);
    }

    #[test]
    fn nick_errors() {
        let irc = irc();
        let _alice = registered(&irc, "alice");
        let c = join(&irc);
        say(&irc, &c, "NICK");
        say(&irc, &c, "NICK 9lives");
        say(&irc, &c, "NICK ALICE");
        say(&irc, &c, "USER");
        assert_eq!(
            c.heard(),
            [
                ":irc.test 431 * :No nickname given",
                ":irc.test 432 * 9lives :Erroneous nickname",
                ":irc.test 433 * ALICE :Nickname is already in use",
                ":irc.test 461 * USER :Not enough parameters",
            ]
        );
    }

    #[test]
    fn channel_messages_reach_the_other_members_only() {
        let irc = irc();
        let alice = registered(&irc, "alice");
        let bob = registered(&irc, "bob");
        let carol = registered(&irc, "carol");
        say(&irc, &alice, "JOIN #rust");
        say(&irc, &bob, "JOIN #Rust");
        alice.heard();
        assert_eq!(
            bob.heard(),
            [
                ":bob!bob@127.0.0.1 JOIN #rust",
                ":irc.test 353 bob = #rust :@alice bob",
                ":irc.test 366 bob #rust :End of /NAMES list",
            ]
        );
        say(&irc, &alice, "PRIVMSG #rust :hello, world");
        assert_eq!(
            bob.heard(),
            [":alice!alice@127.0.0.1 PRIVMSG #rust :hello, world"]
        );
        assert!(alice.heard().is_empty());
        say(&irc, &carol, "PRIVMSG #rust :let me in");
        assert_eq!(
            carol.heard(),
            [":irc.test 404 carol #rust :Cannot send to channel"]
        );
        say(&irc, &carol, "PRIVMSG #nowhere,nobody,Alice :hi");
        assert_eq!(
            carol.heard(),
            [
                ":irc.test 403 carol #nowhere :No such channel",
                ":irc.test 401 carol nobody :No such nick/channel",
            ]
        );
        assert_eq!(alice.heard(), [":carol!carol@127.0.0.1 PRIVMSG alice :hi"]);
    }

    #[test]
    fn only_a_channel_operator_may_give_operator_status() {
        let irc = irc();
        let alice = registered(&irc, "alice");
        let bob = registered(&irc, "bob");
        say(&irc, &alice, "JOIN #rust"); // the first in: operator
        say(&irc, &bob, "JOIN #rust");
        alice.heard();
        bob.heard();
        say(&irc, &bob, "MODE #rust +o bob");
        assert_eq!(
            bob.heard(),
            [":irc.test 482 bob #rust :You're not channel operator"]
        );
        say(&irc, &alice, "MODE #rust +o bob");
        let told = bob.heard();
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(told[0].ends_with("MODE #rust +o bob"), "{told:?}");
    }

    #[test]
    fn user_may_be_given_once_even_before_nick() {
        let irc = irc();
        let client = join(&irc);
        say(&irc, &client, "USER ann 0 * :Ann");
        assert!(client.heard().is_empty());
        say(&irc, &client, "USER bea 0 * :Bea");
        let told = client.heard();
        assert_eq!(told.len(), 1, "{told:?}");
        assert!(
            told[0].contains(" 462 ")
                && told[0].ends_with(":You may not reregister"),
            "{told:?}"
        );
    }

    #[test]
    fn list_shows_the_channels_asked_for_or_all() {
        let irc = irc();
        let alice = registered(&irc, "alice");
        say(&irc, &alice, "JOIN #rust,#go");
        alice.heard();
        let listed = |line: &str| -> Vec<String> {
            say(&irc, &alice, line);
            alice
                .heard()
                .into_iter()
                .filter(|l| l.contains(" 322 "))
                .collect()
        };
        assert_eq!(listed("LIST #RUST"), [":irc.test 322 alice #rust 1 :"]);
        assert_eq!(listed("LIST").len(), 2);
        assert_eq!(listed("LIST :").len(), 2);
    }

    #[test]
    fn the_flood_allowance_is_the_one_the_book_gives() {
        // What a reader of the IRC chapter is told the server does.
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../../book/src/part5/irc.md"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let claim =
            format!("with more than {} KiB sent and unread", MAX_UNREAD / 1024);
        assert!(
            text.contains(&claim),
            "book/src/part5/irc.md should say {claim:?}"
        );
        assert_eq!(MAX_UNREAD % 1024, 0);
    }

    #[test]
    fn part_quit_and_nick_changes_are_seen_by_the_channel() {
        let irc = irc();
        let alice = registered(&irc, "alice");
        let bob = registered(&irc, "bob");
        say(&irc, &alice, "JOIN #a");
        say(&irc, &bob, "JOIN #a");
        alice.heard();
        bob.heard();
        say(&irc, &bob, "NICK robert");
        assert_eq!(alice.heard(), [":bob!bob@127.0.0.1 NICK robert"]);
        assert_eq!(bob.heard(), [":bob!bob@127.0.0.1 NICK robert"]);
        say(&irc, &bob, "PART #a :bye");
        assert_eq!(alice.heard(), [":robert!bob@127.0.0.1 PART #a :bye"]);
        say(&irc, &bob, "PART #a");
        assert_eq!(
            bob.heard()[1],
            ":irc.test 442 robert #a :You're not on that channel"
        );
        say(&irc, &bob, "JOIN #a");
        alice.heard();
        assert_eq!(say(&irc, &bob, "QUIT :gone fishing"), Next::Close);
        assert_eq!(
            alice.heard(),
            [":robert!bob@127.0.0.1 QUIT :Quit: gone fishing"]
        );
        assert_eq!(bob.heard().last().unwrap(), "<close>");
        assert_eq!(irc.nicks(), ["alice"]);
    }

    #[test]
    fn a_client_that_never_reads_is_cut_off_not_waited_for() {
        let irc = irc();
        let alice = registered(&irc, "alice");
        let (outbox, _never_read) = sync_channel(2);
        let slow = irc
            .connect(
                "127.0.0.1".parse().unwrap(),
                Outlet {
                    outbox,
                    socket: None,
                },
            )
            .unwrap();
        irc.handle(slow, b"NICK slow");
        irc.handle(slow, b"USER s 0 * :s");
        for _ in 0..100 {
            say(&irc, &alice, "PRIVMSG slow :are you there?");
        }
        // Nothing blocked; alice is still served.
        say(&irc, &alice, "PING done");
        assert_eq!(alice.heard(), [":irc.test PONG irc.test :done"]);
    }

    #[test]
    fn close_all_says_goodbye_to_everyone_and_lets_nobody_in() {
        let irc = irc();
        let alice = registered(&irc, "alice");
        let bob = registered(&irc, "bob");
        say(&irc, &alice, "JOIN #rust");
        say(&irc, &bob, "JOIN #rust");
        say(&irc, &alice, "PRIVMSG #rust :last words");
        alice.heard();
        assert_eq!(irc.close_all(), 2);
        // What was queued first still comes first; then the goodbye, then close.
        let heard = bob.heard();
        assert_eq!(
            heard[heard.len() - 3..],
            [
                ":alice!alice@127.0.0.1 PRIVMSG #rust :last words",
                "ERROR :Closing Link: 127.0.0.1 (Server shutting down)",
                "<close>"
            ]
        );
        // No QUIT relayed between those who are all leaving anyway.
        assert_eq!(
            alice.heard(),
            [
                "ERROR :Closing Link: 127.0.0.1 (Server shutting down)",
                "<close>"
            ]
        );
        assert!(irc.nicks().is_empty());
        // A line that was on its way is not an error: the reader is told to stop.
        assert_eq!(say(&irc, &alice, "PRIVMSG bob :hello?"), Next::Close);
        assert_eq!(say(&irc, &bob, "NICK carol"), Next::Close);
        let (outbox, _inbox) = sync_channel(OUTBOX);
        let late = irc.connect(
            "127.0.0.1".parse().unwrap(),
            Outlet {
                outbox,
                socket: None,
            },
        );
        assert_eq!(late, Err(SHUTTING_DOWN));
    }

    #[test]
    fn garbage_gets_421_or_nothing_never_a_panic() {
        let irc = irc();
        let c = registered(&irc, "x");
        for junk in [
            &b"\xff\xfe\xfd"[..],
            b"\x00\x01",
            b":",
            b"@",
            b"  ",
            b"PRIVMSG",
            b"JOIN ,,,",
            b"NAMES ,",
        ] {
            irc.handle(c.id, junk);
        }
        let heard = c.heard();
        assert!(
            heard.iter().all(|l| l.starts_with(":irc.test ")),
            "{heard:?}"
        );
        assert!(heard.iter().any(|l| l.contains(" 421 ")));
        assert!(heard.iter().any(|l| l.contains(" 411 ")));
    }

    #[test]
    fn random_lines_never_panic_and_everything_sent_is_one_line() {
        let irc = irc();
        let a = registered(&irc, "a");
        let b = registered(&irc, "b");
        say(&irc, &a, "JOIN #x");
        say(&irc, &b, "JOIN #x");
        let noise = testkit::noise(300_000, 5);
        let verbs = [
            "PRIVMSG #x :",
            "JOIN ",
            "PART ",
            "NICK ",
            "NAMES ",
            "MODE ",
            "PRIVMSG b :",
        ];
        for (i, chunk) in noise.chunks(61).enumerate() {
            let mut line = verbs[i % verbs.len()].as_bytes().to_vec();
            line.extend_from_slice(chunk);
            let line: Vec<u8> = line
                .into_iter()
                .filter(|&c| c != b'\n') // a reader never hands over a newline
                .collect();
            irc.handle(a.id, &line);
        }
        for heard in [a.heard(), b.heard()] {
            for line in heard {
                assert!(
                    !line.contains('\n')
                        && !line.contains('\r')
                        && line.len() <= 510,
                    "{line:?}"
                );
            }
        }
    }

    #[test]
    fn the_flood_clock_lets_a_burst_through_then_one_line_every_penalty() {
        let start = Instant::now();
        let mut clock = FloodClock::new(start, Duration::from_secs(2));
        // Six lines at once: the clock is then 12 s ahead.
        for _ in 0..6 {
            assert_eq!(clock.wait(start), Duration::ZERO);
            clock.charge(start);
        }
        assert_eq!(clock.wait(start), Duration::from_secs(2));
        // Two seconds later one more line may go, and so on.
        let later = start + Duration::from_secs(2);
        assert_eq!(clock.wait(later), Duration::ZERO);
        clock.charge(later);
        assert_eq!(clock.wait(later), Duration::from_secs(2));
        // A quiet minute and the clock is back to now: a new burst.
        let quiet = start + Duration::from_secs(60);
        assert_eq!(clock.wait(quiet), Duration::ZERO);
        clock.charge(quiet);
        assert_eq!(clock.at, quiet + Duration::from_secs(2));
        // No penalty: never a wait.
        let mut off = FloodClock::new(start, Duration::ZERO);
        for _ in 0..1000 {
            off.charge(start);
        }
        assert_eq!(off.wait(start), Duration::ZERO);
    }

    #[test]
    fn names_of_the_rules() {
        assert!(valid_nick("a[b]-c_9") && valid_nick("`x"));
        assert!(
            !valid_nick("")
                && !valid_nick("-a")
                && !valid_nick("a b")
                && !valid_nick(&"a".repeat(17))
        );
        assert!(valid_channel("#a") && valid_channel("#rust-lang.de"));
        assert!(
            !valid_channel("#")
                && !valid_channel("a")
                && !valid_channel("#a,b")
                && !valid_channel("#a:b")
                && !valid_channel("#a\x07")
        );
    }
}
