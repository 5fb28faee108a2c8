//! server.c in Rust: Beej's stream server.
//!
//! Every client gets `Hello, world!` and a closed connection. The server forks a
//! child for each one, so a slow client never holds up the next; a SIGCHLD handler
//! reaps the children as they exit, so none of them lingers as a zombie.

use std::io::{self, Write};
use std::net::TcpListener;
use std::process::ExitCode;

use clap::Parser;
use netkit::{AcceptBackoff, Fatal};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use nix::unistd::{ForkResult, fork};
use showip::{Hints, getaddrinfo};
use socket2::{Domain, Socket, Type};

/// Send "Hello, world!" to every client, one child process per client.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on (0.0.0.0 or :: for every interface).
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0 picks any free port).
    #[arg(long, default_value_t = 3490)]
    port: u16,
}

/// How many pending connections the kernel may queue (server.c's BACKLOG).
const BACKLOG: i32 = 10;

// ANCHOR: sigchld
/// The SIGCHLD handler: collect every child that has exited, without waiting.
///
/// It runs in the middle of whatever the program was doing, so it calls only
/// async-signal-safe functions (waitpid is one), and it puts errno back as it found
/// it: the interrupted code may be about to read errno.
extern "C" fn reap_children(_signal: libc::c_int) {
    let saved = nix::errno::Errno::last_raw();
    // while (waitpid(-1, NULL, WNOHANG) > 0);
    // SAFETY: waitpid with a null status pointer is async-signal-safe and
    // touches no memory.
    while unsafe { libc::waitpid(-1, std::ptr::null_mut(), libc::WNOHANG) } > 0 {}
    nix::errno::Errno::set_raw(saved);
}
// ANCHOR_END: sigchld

fn main() -> ExitCode {
    netkit::finish(run(netkit::parse_args()))
}

fn run(args: Args) -> netkit::Result<()> {
    // ANCHOR: bind
    // hints.ai_family = AF_UNSPEC; hints.ai_socktype = SOCK_STREAM;
    // hints.ai_flags = AI_PASSIVE;
    let hints = Hints {
        passive: true,
        ..Hints::default()
    };
    // getaddrinfo(NULL, PORT, &hints, &servinfo), with --host instead of NULL
    let port = args.port.to_string();
    let found = getaddrinfo(Some(&args.host), Some(&port), &hints)
        .map_err(|e| Fatal::new(format!("getaddrinfo {}: {e}", args.host)))?;

    // loop through all the results and bind to the first we can
    let mut bound = None;
    let mut last_failure = None;
    for (i, candidate) in found.iter().enumerate() {
        // sockfd = socket(p->ai_family, p->ai_socktype, p->ai_protocol)
        let domain = Domain::for_address(candidate.addr);
        let socket = Socket::new(domain, Type::STREAM, None)?;
        // setsockopt(sockfd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes)
        socket.set_reuse_address(true)?;
        // bind(sockfd, p->ai_addr, p->ai_addrlen)
        match socket.bind(&candidate.addr.into()) {
            Ok(()) => {
                bound = Some(socket);
                break;
            }
            Err(e) => {
                // perror("server: bind"), and on to the next address, if any.
                if i + 1 < found.len() {
                    eprintln!(
                        "server: bind {}: {e}; trying the next address",
                        candidate.addr
                    );
                }
                last_failure = Some((e, candidate.addr));
            }
        }
    }
    // if (p == NULL) { fprintf(stderr, "server: failed to bind\n"); exit(1); }
    let socket = match (bound, last_failure) {
        (Some(socket), _) => socket,
        (None, Some((err, addr))) => return Err(netkit::bind_error(err, addr)),
        (None, None) => return Err(Fatal::new("getaddrinfo found no address")),
    };
    // listen(sockfd, BACKLOG)
    socket.listen(BACKLOG)?;
    let listener: TcpListener = socket.into();
    // ANCHOR_END: bind

    // ANCHOR: sigaction
    // sa.sa_handler = sigchld_handler; sigemptyset(&sa.sa_mask);
    // sa.sa_flags = SA_RESTART; sigaction(SIGCHLD, &sa, NULL)
    let reap = SigAction::new(
        SigHandler::Handler(reap_children),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    // SAFETY: the handler calls only async-signal-safe functions
    // (see reap_children).
    unsafe { sigaction(Signal::SIGCHLD, &reap) }?;
    // ANCHOR_END: sigaction

    netkit::announce(listener.local_addr()?);
    println!("server: waiting for connections...");

    // ANCHOR: accept_loop
    let mut backoff = AcceptBackoff::new();
    loop {
        // new_fd = accept(sockfd, (struct sockaddr *)&their_addr, &sin_size)
        let (conn, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                // EINTR, ECONNABORTED, EMFILE: wait if needed, go on.
                backoff.failed(&e);
                continue;
            }
        };
        backoff.succeeded();
        // inet_ntop(...); printf("server: got connection from %s\n", s);
        println!("server: got connection from {}", peer.ip());
        // Whatever sits in our output buffer would be copied into the child
        // and printed twice; println! leaves nothing behind, but flush anyway.
        io::stdout().flush()?;

        // if (!fork()) { ... }
        // SAFETY: this process has one thread, so the child starts in a
        // consistent state.
        match unsafe { fork() } {
            Ok(ForkResult::Child) => {
                // close(sockfd): the child never accepts; it lets go of the
                // listener.
                drop(listener);
                // send(new_fd, "Hello, world!", 13, 0)
                let status = match (&conn).write_all(b"Hello, world!") {
                    Ok(()) => 0,
                    Err(e) => {
                        eprintln!("server: send to {peer}: {e}");
                        1
                    }
                };
                // close(new_fd); exit(0);
                drop(conn);
                std::process::exit(status);
            }
            Ok(ForkResult::Parent { .. }) => {
                // close(new_fd): the parent does not need the connection;
                // the child has it.
                drop(conn);
            }
            Err(e) => {
                // Out of processes: this client gets a closed connection,
                // the next may not.
                eprintln!("server: fork: {e}; closing the connection from {peer}");
            }
        }
    }
    // ANCHOR_END: accept_loop
}
