//! Hidden: a client that connects and says nothing, or resets, costs nothing to others.

use std::net::TcpStream;

use testkit::{Conversation, Server, noise};

const SERVER: &str = env!("CARGO_BIN_EXE_select_chat");

#[test]
fn silent_and_resetting_clients_cost_nothing() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let _silent: Vec<TcpStream> = (0..5).map(|_| server.connect()).collect();
    let mut a = Conversation::new(server.connect());
    let mut b = Conversation::new(server.connect());
    b.send(b"sync\n");
    a.expect(b"sync\n");
    {
        // A client that closes with unread data gets the server a reset.
        let reset = server.connect();
        socket_linger_zero(&reset);
    }
    for seed in 0..5 {
        let line: Vec<u8> = noise(50, seed)
            .iter()
            .map(|x| b'a' + x % 26)
            .chain([b'\n'])
            .collect();
        a.send(&line);
        b.expect(&line);
    }
}

/// SO_LINGER 0: closing sends a reset instead of a FIN.
fn socket_linger_zero(stream: &TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt with a valid fd and a correctly sized option value.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

/// Sixty clients: descriptors well above the first few, all in one fd_set. They are
/// accepted in the order they connected, so once the last one's line is relayed, every
/// earlier one is in the set and must receive it.
#[test]
fn sixty_clients_all_hear_a_line_from_the_last() {
    let server = Server::start(SERVER, &["--port", "0"]);
    let mut clients: Vec<Conversation> = (0..60)
        .map(|_| Conversation::new(server.connect()))
        .collect();
    let word: String = noise(12, 7)
        .iter()
        .map(|x| char::from(b'a' + x % 26))
        .collect();
    let line = format!("{word} from the last\n");
    let mut last = clients.pop().unwrap();
    last.send(line.as_bytes());
    for c in &mut clients {
        c.expect(line.as_bytes());
    }
}
