# Three users of the `irc` library from PyPI (pip install irc) chat through the
# server (run by the tests). Each step starts when the previous one has been seen,
# so the output is always the same. usage: python3 irc_client.py PORT
import sys
import time

import irc.client

port = int(sys.argv[1])
reactor = irc.client.Reactor()
users = {}
done = []


def say(*words):
    print(*words, flush=True)


def who(connection):
    return next(name for name, c in users.items() if c is connection)


def on_welcome(connection, event):
    name = who(connection)
    say(name, "welcomed as", event.target)
    if name in ("alice", "bob"):
        connection.join("#rust")
    else:
        connection.privmsg("nobody", "hello?")


def on_join(connection, event):
    if who(connection) == "alice" and event.source.nick == "alice":
        users["bob"] = reactor.server().connect("127.0.0.1", port, "bob")
    if who(connection) == "alice" and event.source.nick == "bob":
        say("alice saw bob join", event.target)
        connection.privmsg("#rust", "hello from alice")


def on_pubmsg(connection, event):
    nick, text = event.source.nick, event.arguments[0]
    say(who(connection), "heard", nick, "in", event.target + ":", text)
    connection.privmsg(event.source.nick, "hi alice, just you")


def on_privmsg(connection, event):
    nick, text = event.source.nick, event.arguments[0]
    say(who(connection), "heard privately from", nick + ":", text)
    users["carol"] = reactor.server().connect("127.0.0.1", port, "ALICE")


def on_nicknameinuse(connection, event):
    say(who(connection), "was told the nick is in use:", event.arguments[0])
    connection.nick("carol")


def on_nosuchnick(connection, event):
    say(who(connection), "was told there is no", event.arguments[0])
    connection.names(["#rust"])


def on_namreply(connection, event):
    if who(connection) != "carol":
        return  # the names that come with a JOIN
    say(who(connection), "sees in", event.arguments[1] + ":", event.arguments[2])
    for c in users.values():
        c.quit("bye")
    done.append(True)


for name, handler in list(globals().items()):
    if name.startswith("on_"):
        reactor.add_global_handler(name[3:], handler)

users["alice"] = reactor.server().connect("127.0.0.1", port, "alice")
deadline = time.time() + 8
while not done and time.time() < deadline:
    reactor.process_once(timeout=0.05)
if not done:
    say("timed out")
    sys.exit(1)
