//! netlab: a network on one machine. Hosts and routers are network namespaces (each its
//! own kernel network stack: interfaces, addresses, routes, sockets); every link is a
//! userspace wire between TAP devices that can delay, lose, duplicate and reorder frames,
//! limit the rate, and capture everything it carries in a pcap file.
//!
//! The command line is in `main.rs`; the pieces are here, one module a job.

pub mod diagram;
pub mod frame;
pub mod impair;
pub mod lab;
pub mod netns;
pub mod pcap;
pub mod state;
pub mod topology;
pub mod userns;
pub mod wire;

/// The lab's name when none is given (`--lab` or NETLAB_LAB): its namespaces are
/// `netlab-h1`, `netlab-h2`, … and its runtime folder /run/netlab/netlab (for a user,
/// $XDG_RUNTIME_DIR/netlab/netlab).
pub const DEFAULT_LAB: &str = "netlab";
