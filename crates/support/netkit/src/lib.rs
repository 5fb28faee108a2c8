//! What every program of the course shares, and nothing a chapter teaches.
//!
//! The socket calls themselves (socket, bind, listen, accept, connect, send, recv) stay in
//! each program's `main.rs`, where the student reads them. This crate holds the parts that
//! would otherwise be copied into every program: parsing the command line into one clear
//! error line, turning a host name into addresses, the words of the common errors, the
//! readiness line, and an accept loop that waits out a shortage of file descriptors.

mod accept;
mod args;
mod connections;
mod error;
mod escape;
mod hexdump;
mod listen;
mod shutdown;
pub mod textline;

pub use accept::{AcceptBackoff, accept_patiently};
pub use args::{may_reach, parse_args, resolve, resolve_lab_host, resolve_one};
pub use connections::{ClosedIdle, Connections, Tracked};
pub use error::{Fatal, Result, finish, program_name};
pub use escape::escape;
pub use hexdump::hexdump;
pub use listen::{
    announce, bind_error, connect_error, connect_error_naming, describe_drop, tcp_listen,
    turn_away, udp_bind,
};
pub use nix::sys::signal::Signal;
pub use shutdown::{
    Ready, Signals, Woken, accept_or_signal, is_stop, wait_for_clients, wait_readable,
};
