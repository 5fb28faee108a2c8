//! An IRC bot: IRC lines taken apart, and what the bot answers to each.
//!
//! Every IRC line is `[@tags] [:prefix] COMMAND param param ... [:last param]`, without
//! its CRLF here. The bot registers, joins its channel when the server has welcomed it,
//! answers the server's PING, and answers `!echo TEXT` and `!upper TEXT` said in its
//! channel or to itself.

/// One line from the server, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Who the line comes from, without its `:` (`irc.test`, `nick!user@host`).
    pub prefix: Option<String>,
    /// The command in capitals (`PRIVMSG`), or three digits (`001`).
    pub command: String,
    pub params: Vec<String>,
}

/// The nick in a prefix: `alice` in `alice!al@host`; a server name stays whole. (Given.)
pub fn nick_of(prefix: &str) -> &str {
    prefix.split(['!', '@']).next().unwrap_or(prefix)
}

// ANCHOR: parse
/// Takes a line apart (without its CRLF):
/// - a first word starting with `@` (IRCv3 tags) is skipped;
/// - then a word starting with `:` is the prefix (without the `:`);
/// - the next word is the command, in capitals;
/// - then the parameters, separated by one space or more; a parameter that starts
///   with `:` is the last, and is the rest of the line without that `:` (spaces and all,
///   and maybe empty).
///
/// A line with no command (empty, spaces, only tags or a prefix) is `None`.
pub fn parse(line: &str) -> Option<Message> {
    //> // TODO: trim leading spaces; skip "@..." up to the next space; take ":prefix";
    //> // split off the command; then loop over the rest: skip spaces, a ':' takes the
    //> // rest of the line, otherwise take the word up to the next space.
    //> let _ = line;
    //> todo!("parse")
    // lab:solution
    let mut rest = line.trim_start_matches(' ');
    if rest.starts_with('@') {
        rest = rest.split_once(' ').map_or("", |(_, r)| r);
        rest = rest.trim_start_matches(' ');
    }
    let mut prefix = None;
    if let Some(after) = rest.strip_prefix(':') {
        let (who, r) = after.split_once(' ').unwrap_or((after, ""));
        prefix = Some(who.to_owned());
        rest = r.trim_start_matches(' ');
    }
    let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if command.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            break;
        }
        if let Some(last) = rest.strip_prefix(':') {
            params.push(last.to_owned());
            break;
        }
        let (param, after) = rest.split_once(' ').unwrap_or((rest, ""));
        params.push(param.to_owned());
        rest = after;
    }
    Some(Message {
        prefix,
        command: command.to_ascii_uppercase(),
        params,
    })
    // lab:end
}
// ANCHOR_END: parse

/// The bot's state: the nick it has (or is asking for), its channel, and whether the
/// server has welcomed it yet.
#[derive(Debug, Clone)]
pub struct Bot {
    pub nick: String,
    pub channel: String,
    pub registered: bool,
}

impl Bot {
    pub fn new(nick: &str, channel: &str) -> Bot {
        Bot {
            nick: nick.to_owned(),
            channel: channel.to_owned(),
            registered: false,
        }
    }

    /// The first lines the bot sends: NICK and USER (registration). (Given.)
    pub fn hello(&self) -> Vec<String> {
        vec![
            format!("NICK {}", self.nick),
            format!("USER {} 0 * :a bot of the course", self.nick),
        ]
    }

    // ANCHOR: respond
    /// The lines (without CRLF) the bot sends in answer to `msg`:
    /// - `PING` → `PONG :TOKEN`, TOKEN being the PING's last parameter (just `PONG`
    ///   if it has none);
    /// - `001` (the welcome): the bot is registered, under the nick the server names
    ///   in the 001's first parameter; it sends `JOIN CHANNEL`;
    /// - `433` (nick in use) before the welcome: add `_` to the nick and send
    ///   `NICK NEWNICK`;
    /// - `PRIVMSG TARGET :TEXT` (two parameters) from someone else (a prefix whose nick
    ///   is not the bot's), where TEXT is `!echo REST` or `!upper REST` (then REST
    ///   `to_uppercase()`): if TARGET is the channel, `PRIVMSG CHANNEL :REST`; if TARGET
    ///   is the bot's nick, the answer goes to the sender: `PRIVMSG SENDER :REST`. Nicks
    ///   and channels are compared without regard to ASCII case. Any other PRIVMSG:
    ///   nothing.
    /// - anything else: nothing.
    pub fn respond(&mut self, msg: &Message) -> Vec<String> {
        //> // TODO: match msg.command.as_str(); see the rules above. `nick_of` gives the
        //> // sender's nick; `eq_ignore_ascii_case` compares names.
        //> let _ = msg;
        //> todo!("respond")
        // lab:solution
        match msg.command.as_str() {
            "PING" => match msg.params.last() {
                Some(token) => vec![format!("PONG :{token}")],
                None => vec!["PONG".to_owned()],
            },
            "001" => {
                self.registered = true;
                if let Some(nick) = msg.params.first() {
                    self.nick = nick.clone();
                }
                vec![format!("JOIN {}", self.channel)]
            }
            "433" if !self.registered => {
                self.nick.push('_');
                vec![format!("NICK {}", self.nick)]
            }
            "PRIVMSG" => self.command(msg).into_iter().collect(),
            _ => Vec::new(),
        }
        // lab:end
    }
    // ANCHOR_END: respond
    // lab:solution

    /// The answer to a `!` command in a PRIVMSG, if it is one for the bot.
    fn command(&self, msg: &Message) -> Option<String> {
        let [target, text] = msg.params.as_slice() else {
            return None;
        };
        let sender = nick_of(msg.prefix.as_deref()?);
        if sender.eq_ignore_ascii_case(&self.nick) {
            return None;
        }
        let reply = if let Some(rest) = text.strip_prefix("!echo ") {
            rest.to_owned()
        } else if let Some(rest) = text.strip_prefix("!upper ") {
            rest.to_uppercase()
        } else {
            return None;
        };
        let to = if target.eq_ignore_ascii_case(&self.channel) {
            self.channel.as_str()
        } else if target.eq_ignore_ascii_case(&self.nick) {
            sender
        } else {
            return None;
        };
        Some(format!("PRIVMSG {to} :{reply}"))
    }
    // lab:end
}
