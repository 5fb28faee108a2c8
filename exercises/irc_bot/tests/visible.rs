//! The bot against a server played by the test: it listens, starts the bot, and checks
//! every line the bot sends.

use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;

use testkit::{Conversation, PATIENCE, Running};

const BOT: &str = env!("CARGO_BIN_EXE_irc_bot");

/// Starts the bot against a listener of the test and returns the connection it made.
fn start(nick: &str, channel: &str) -> (Running, Conversation) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let bot = Running::start(
        BOT,
        &["--port", &port, "--nick", nick, "--channel", channel],
    );
    let (send, receive) = mpsc::channel();
    thread::spawn(move || {
        let _ = send.send(listener.accept().map(|(conn, _)| conn));
    });
    let conn = receive
        .recv_timeout(PATIENCE)
        .expect("the bot did not connect")
        .unwrap();
    (bot, Conversation::new(conn))
}

#[test]
fn it_registers_and_joins_its_channel_after_the_welcome() {
    let (_bot, mut irc) = start("robo", "#rust");
    irc.expect(b"NICK robo\r\n");
    let user = irc.line(512);
    if !user.starts_with(b"USER robo ") || !user.ends_with(b"\r\n") {
        irc.fail("expected a line `USER robo 0 * :...` after NICK");
    }
    irc.send(b":irc.test 001 robo :Welcome to the network, robo\r\n");
    irc.expect(b"JOIN #rust\r\n");
}

#[test]
fn it_answers_ping_and_the_commands() {
    let (_bot, mut irc) = start("robo", "#rust");
    irc.expect(b"NICK robo\r\n");
    irc.line(512);
    irc.send(b"PING :irc.test\r\n");
    irc.expect(b"PONG :irc.test\r\n");
    irc.send(b":irc.test 001 robo :Welcome\r\n");
    irc.expect(b"JOIN #rust\r\n");
    irc.send(b":alice!al@host PRIVMSG #rust :!echo hello there\r\n");
    irc.expect(b"PRIVMSG #rust :hello there\r\n");
    irc.send(b":alice!al@host PRIVMSG robo :!upper quietly\r\n");
    irc.expect(b"PRIVMSG alice :QUIETLY\r\n");
    // Not for the bot: no answer, so the next line it sends is the PONG.
    irc.send(b":alice!al@host PRIVMSG #rust :just chatting\r\n");
    irc.send(b":robo!r@host PRIVMSG #rust :!echo its own line\r\n");
    irc.send(b"PING :again\r\n");
    irc.expect(b"PONG :again\r\n");
}

#[test]
fn a_nick_in_use_gets_an_underscore() {
    let (_bot, mut irc) = start("robo", "#rust");
    irc.expect(b"NICK robo\r\n");
    irc.line(512);
    irc.send(b":irc.test 433 * robo :Nickname is already in use\r\n");
    irc.expect(b"NICK robo_\r\n");
    irc.send(b":irc.test 433 * robo_ :Nickname is already in use\r\n");
    irc.expect(b"NICK robo__\r\n");
    irc.send(b":irc.test 001 robo__ :Welcome\r\n");
    irc.expect(b"JOIN #rust\r\n");
    irc.send(b":bob!b@host PRIVMSG robo__ :!echo found you\r\n");
    irc.expect(b"PRIVMSG bob :found you\r\n");
}
