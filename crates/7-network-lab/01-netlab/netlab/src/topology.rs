//! What a lab is made of: hosts and routers (each a network namespace), links between
//! them (each a userspace wire), the addresses on every interface and the routes that
//! join the subnets. Built from `pair`, `chain N`, `lan N`, or a topology file.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::impair::Impairment;

/// An address with its prefix length: `192.0.2.1/24`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let bad =
            || format!("`{text}` is not a subnet (write it as 192.0.2.0/24 or 2001:db8:1::/64)");
        let (addr, prefix) = text.split_once('/').ok_or_else(bad)?;
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        let max = if addr.is_ipv4() { 30 } else { 126 };
        if prefix > max || prefix < 8 {
            return Err(format!("`{text}`: a prefix between /8 and /{max}"));
        }
        Ok(Cidr { addr, prefix }.network())
    }

    /// The subnet this address is in (host bits cleared).
    pub fn network(self) -> Cidr {
        let addr = match self.addr {
            IpAddr::V4(a) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
            }
        };
        Cidr {
            addr,
            prefix: self.prefix,
        }
    }

    /// Host number `n` of this subnet, with the subnet's prefix. For IPv6 the number is
    /// written with the same digits (host 254 is `::254`), so the two addresses of an
    /// interface are easy to match by eye.
    pub fn host(self, n: u32) -> Result<Cidr, String> {
        let net = self.network();
        let addr = match net.addr {
            IpAddr::V4(a) => {
                let size = 1u64 << (32 - u32::from(self.prefix));
                if n == 0 || u64::from(n) >= size - 1 {
                    return Err(format!("host number {n} does not fit in {net}"));
                }
                IpAddr::V4(Ipv4Addr::from(u32::from(a) + n))
            }
            IpAddr::V6(a) => {
                let digits = u128::from_str_radix(&n.to_string(), 16).expect("decimal digits");
                IpAddr::V6(Ipv6Addr::from(u128::from(a) + digits))
            }
        };
        Ok(Cidr {
            addr,
            prefix: self.prefix,
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    Host,
    Router,
}

/// One interface of a node: the end of a link inside the node's namespace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Iface {
    /// `eth0`, `eth1`, … in the order of the node's links.
    pub name: String,
    pub link: usize,
    pub v4: Cidr,
    pub v6: Cidr,
    pub mac: [u8; 6],
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Route {
    /// `None`: the default route.
    pub dest: Option<Cidr>,
    pub via: IpAddr,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub name: String,
    pub role: Role,
    pub ifaces: Vec<Iface>,
    pub routes: Vec<Route>,
}

/// One link: a wire between two interfaces, or a switch joining several (a LAN).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Link {
    pub name: String,
    pub net4: Cidr,
    pub net6: Cidr,
    /// Each end: (node index, interface index in that node).
    pub ends: Vec<(usize, usize)>,
    pub impairment: Impairment,
    /// Where the wire writes its capture, if anywhere.
    pub pcap: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Topology {
    pub nodes: Vec<Node>,
    pub links: Vec<Link>,
    pub seed: u64,
}

/// The largest lab netlab builds: every node is a namespace and every link end a thread,
/// on a machine that runs other things too.
pub const MAX_NODES: usize = 32;

// The documentation ranges (RFC 5737, RFC 3849): never routed on the Internet.
const NET_A: &str = "192.0.2.0/24";
const NET_B: &str = "198.51.100.0/24";
const NET_C: &str = "203.0.113.0/24";

/// A topology being assembled: nodes by name, then links.
struct Draft {
    nodes: Vec<Node>,
    links: Vec<Link>,
    seed: u64,
}

/// One link end being declared: the node and, optionally, its host number.
struct End<'a> {
    node: &'a str,
    number: Option<u32>,
}

impl Draft {
    fn new(seed: u64) -> Draft {
        Draft {
            nodes: Vec::new(),
            links: Vec::new(),
            seed,
        }
    }

    fn node(&mut self, name: &str, role: Role) -> Result<(), String> {
        check_name(name)?;
        if self.nodes.iter().any(|n| n.name == name) {
            return Err(format!("`{name}` is declared twice"));
        }
        if self.nodes.len() == MAX_NODES {
            return Err(format!(
                "more than {MAX_NODES} nodes; netlab builds labs up to that size"
            ));
        }
        self.nodes.push(Node {
            name: name.to_owned(),
            role,
            ifaces: Vec::new(),
            routes: Vec::new(),
        });
        Ok(())
    }

    fn link(
        &mut self,
        name: Option<String>,
        ends: &[End],
        net4: Cidr,
        net6: Cidr,
        impairment: Impairment,
    ) -> Result<(), String> {
        if ends.len() < 2 {
            return Err("a link joins at least two nodes".to_owned());
        }
        if self.links.len() == MAX_NODES {
            return Err(format!(
                "more than {MAX_NODES} links; netlab builds labs up to that size"
            ));
        }
        if let Some(other) = self.links.iter().find(|l| l.net4 == net4 || l.net6 == net6) {
            return Err(format!("link {} uses the same subnet", other.name));
        }
        let index = self.links.len();
        let name = name.unwrap_or_else(|| {
            if ends.len() == 2 {
                format!("{}-{}", ends[0].node, ends[1].node)
            } else {
                format!("lan{}", index + 1)
            }
        });
        let mut link_ends = Vec::new();
        let mut numbers = Vec::new();
        for (k, end) in ends.iter().enumerate() {
            let node = self
                .nodes
                .iter()
                .position(|n| n.name == end.node)
                .ok_or_else(|| {
                    format!(
                        "unknown node `{}` (declare it first: `host {0}` or `router {0}`)",
                        end.node
                    )
                })?;
            if link_ends.iter().any(|&(n, _)| n == node) {
                return Err(format!("`{}` is on this link twice", end.node));
            }
            let number = end.number.unwrap_or(k as u32 + 1);
            if numbers.contains(&number) {
                return Err(format!("two ends of this link have host number {number}"));
            }
            numbers.push(number);
            let iface = Iface {
                name: format!("eth{}", self.nodes[node].ifaces.len()),
                link: index,
                v4: net4.host(number)?,
                v6: net6.host(number)?,
                mac: [0x02, 0, 0, 0, index as u8 + 1, k as u8 + 1],
            };
            self.nodes[node].ifaces.push(iface);
            link_ends.push((node, self.nodes[node].ifaces.len() - 1));
        }
        self.links.push(Link {
            name,
            net4,
            net6,
            ends: link_ends,
            impairment,
            pcap: None,
        });
        Ok(())
    }

    fn finish(mut self) -> Result<Topology, String> {
        if let Some(lonely) = self.nodes.iter().find(|n| n.ifaces.is_empty()) {
            return Err(format!("`{}` is on no link", lonely.name));
        }
        if self.nodes.is_empty() {
            return Err(
                "no nodes: declare some with `host NAME` and join them with `link`".to_owned(),
            );
        }
        let routes: Vec<Vec<Route>> = (0..self.nodes.len())
            .map(|n| routes_of(&self.nodes, &self.links, n))
            .collect();
        for (node, routes) in self.nodes.iter_mut().zip(routes) {
            node.routes = routes;
        }
        Ok(Topology {
            nodes: self.nodes,
            links: self.links,
            seed: self.seed,
        })
    }
}

fn check_name(name: &str) -> Result<(), String> {
    let ok = (1..=12).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a node name (up to 12 lowercase letters and digits, starting with a letter)"
        ))
    }
}

// ANCHOR: routes
/// The routes of node `from`: for every subnet it is not on, the neighbour that is the
/// first step of a shortest path to a router on that subnet. Paths go through routers
/// only (a host does not forward). A host whose routes all go the same way gets a default
/// route instead, as a real host does.
fn routes_of(nodes: &[Node], links: &[Link], from: usize) -> Vec<Route> {
    let neighbours = |n: usize| {
        nodes[n].ifaces.iter().flat_map(move |iface| {
            links[iface.link]
                .ends
                .iter()
                .filter(move |&&(m, _)| m != n)
                .map(move |&(m, i)| (m, &nodes[m].ifaces[i]))
        })
    };
    // Breadth-first search: the first hop (a neighbour's interface) towards each node.
    let mut first_hop: Vec<Option<&Iface>> = vec![None; nodes.len()];
    let mut queue = VecDeque::new();
    for (m, iface) in neighbours(from) {
        if first_hop[m].is_none() {
            first_hop[m] = Some(iface);
            queue.push_back(m);
        }
    }
    while let Some(n) = queue.pop_front() {
        if nodes[n].role != Role::Router {
            continue;
        }
        for (m, _) in neighbours(n) {
            if m != from && first_hop[m].is_none() {
                first_hop[m] = first_hop[n];
                queue.push_back(m);
            }
        }
    }
    let on_link = |l: usize| nodes[from].ifaces.iter().any(|i| i.link == l);
    let mut v4 = Vec::new();
    let mut v6 = Vec::new();
    for (_, link) in links.iter().enumerate().filter(|&(l, _)| !on_link(l)) {
        // The nearest router on that link, in the order the search reached them.
        let gateway = link
            .ends
            .iter()
            .filter(|&&(m, _)| nodes[m].role == Role::Router)
            .find_map(|&(m, _)| first_hop[m]);
        if let Some(gw) = gateway {
            v4.push(Route {
                dest: Some(link.net4),
                via: gw.v4.addr,
            });
            v6.push(Route {
                dest: Some(link.net6),
                via: gw.v6.addr,
            });
        }
    }
    let one_gateway =
        |routes: &Vec<Route>| !routes.is_empty() && routes.iter().all(|r| r.via == routes[0].via);
    if nodes[from].role == Role::Host && one_gateway(&v4) && one_gateway(&v6) {
        v4 = vec![Route {
            dest: None,
            via: v4[0].via,
        }];
        v6 = vec![Route {
            dest: None,
            via: v6[0].via,
        }];
    }
    v4.extend(v6);
    v4
}
// ANCHOR_END: routes

/// `pair`: h1 (192.0.2.1, 2001:db8::1) and h2 (192.0.2.2, 2001:db8::2) on one link.
pub fn pair(imp: Impairment, seed: u64) -> Topology {
    let mut d = Draft::new(seed);
    d.node("h1", Role::Host).unwrap();
    d.node("h2", Role::Host).unwrap();
    let ends = [
        End {
            node: "h1",
            number: None,
        },
        End {
            node: "h2",
            number: None,
        },
    ];
    d.link(None, &ends, cidr(NET_A), cidr("2001:db8::/64"), imp)
        .unwrap();
    d.finish().unwrap()
}

/// `lan N`: hosts h1 … hN on one switched segment, 192.0.2.K and 2001:db8::K.
pub fn lan(n: usize, imp: Impairment, seed: u64) -> Result<Topology, String> {
    if !(2..=MAX_NODES).contains(&n) {
        return Err(format!("lan N: N from 2 to {MAX_NODES} hosts"));
    }
    let mut d = Draft::new(seed);
    let names: Vec<String> = (1..=n).map(|k| format!("h{k}")).collect();
    for name in &names {
        d.node(name, Role::Host)?;
    }
    let ends: Vec<End> = names
        .iter()
        .map(|n| End {
            node: n,
            number: None,
        })
        .collect();
    d.link(
        Some("lan".to_owned()),
        &ends,
        cidr(NET_A),
        cidr("2001:db8::/64"),
        imp,
    )?;
    d.finish()
}

// ANCHOR: chain
/// `chain N`: h1 — r1 — … — rN — h2. h1's link is 192.0.2.0/24 (h1 .1, r1 .254), h2's is
/// 203.0.113.0/24 (h2 .2, rN .254), and the links between routers are /30s of
/// 198.51.100.0/24, as real router-to-router links often are. Link k's IPv6 subnet is
/// 2001:db8:k::/64, with the same host numbers.
pub fn chain(n: usize, imp: Impairment, seed: u64) -> Result<Topology, String> {
    if !(1..=16).contains(&n) {
        return Err("chain N: N from 1 to 16 routers".to_owned());
    }
    let mut d = Draft::new(seed);
    d.node("h1", Role::Host)?;
    let routers: Vec<String> = (1..=n).map(|k| format!("r{k}")).collect();
    for r in &routers {
        d.node(r, Role::Router)?;
    }
    d.node("h2", Role::Host)?;
    let v6 = |k: usize| cidr(&format!("2001:db8:{k}::/64"));
    fn end(node: &str, number: u32) -> End<'_> {
        End {
            node,
            number: Some(number),
        }
    }
    d.link(
        None,
        &[end("h1", 1), end(&routers[0], 254)],
        cidr(NET_A),
        v6(1),
        imp,
    )?;
    for k in 1..n {
        let net = cidr(&format!("198.51.100.{}/30", 4 * (k - 1)));
        let ends = [end(&routers[k - 1], 1), end(&routers[k], 2)];
        d.link(None, &ends, net, v6(k + 1), imp)?;
    }
    let ends = [end(&routers[n - 1], 254), end("h2", 2)];
    d.link(None, &ends, cidr(NET_C), v6(n + 1), imp)?;
    d.finish()
}
// ANCHOR_END: chain

fn cidr(text: &str) -> Cidr {
    Cidr::parse(text).expect("a built-in subnet")
}

/// Reads a topology file (the format is in the book and in `netlab up --help`).
/// `defaults` is the character of every link the file does not describe otherwise.
pub fn parse_file(
    path: &Path,
    text: &str,
    defaults: Impairment,
    seed: u64,
) -> Result<Topology, String> {
    let at = |number: usize, e: String| format!("{} line {number}: {e}", path.display());
    let mut d = Draft::new(seed);
    let mut pool = vec![cidr(NET_C), cidr(NET_B), cidr(NET_A)];
    let mut pending = Vec::new();
    for (k, line) in text.lines().enumerate() {
        let number = k + 1;
        let line = line.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace();
        let Some(keyword) = words.next() else {
            continue;
        };
        let rest: Vec<&str> = words.collect();
        match keyword {
            "host" | "router" => {
                if rest.is_empty() {
                    return Err(at(number, format!("`{keyword}` needs at least one name")));
                }
                let role = if keyword == "host" {
                    Role::Host
                } else {
                    Role::Router
                };
                for name in rest {
                    d.node(name, role).map_err(|e| at(number, e))?;
                }
            }
            "seed" => {
                let [value] = rest[..] else {
                    return Err(at(number, "`seed` takes one number".to_owned()));
                };
                d.seed = value
                    .parse()
                    .map_err(|_| at(number, format!("`{value}` is not a seed (a whole number)")))?;
            }
            "link" => pending.push((number, rest)),
            other => {
                return Err(at(
                    number,
                    format!("unknown statement `{other}` (host, router, link, seed)"),
                ));
            }
        }
    }
    // A subnet a link names is not handed to a link that names none.
    for (_, words) in &pending {
        for word in words {
            if let Some(net) = word.strip_prefix("net=").and_then(|n| Cidr::parse(n).ok()) {
                pool.retain(|p| *p != net);
            }
        }
    }
    // Links after every node is declared, so their order in the file does not matter.
    for (number, words) in &pending {
        let mut ends = Vec::new();
        let (mut net4, mut net6, mut name) = (None, None, None);
        let mut imp = defaults;
        for word in words {
            if let Some((key, value)) = word.split_once('=') {
                match key {
                    "net" => net4 = Some(parse_net(value, true).map_err(|e| at(*number, e))?),
                    "net6" => net6 = Some(parse_net(value, false).map_err(|e| at(*number, e))?),
                    "name" => {
                        check_name(value).map_err(|e| at(*number, e))?;
                        name = Some(value.to_owned());
                    }
                    _ => imp.set(key, value).map_err(|e| at(*number, e))?,
                }
            } else {
                let (node, number_text) = match word.split_once('@') {
                    Some((node, n)) => (node, Some(n)),
                    None => (*word, None),
                };
                let host = match number_text {
                    Some(n) => Some(n.parse::<u32>().map_err(|_| {
                        at(
                            *number,
                            format!("`{word}`: after @ comes a host number, as h1@10"),
                        )
                    })?),
                    None => None,
                };
                ends.push(End { node, number: host });
            }
        }
        let net4 = match net4 {
            Some(net) => net,
            None => pool.pop().ok_or_else(|| {
                at(
                    *number,
                    "more than three links: give this one a subnet with net=".to_owned(),
                )
            })?,
        };
        let net6 = net6.unwrap_or_else(|| cidr(&format!("2001:db8:{}::/64", d.links.len() + 1)));
        d.link(name, &ends, net4, net6, imp)
            .map_err(|e| at(*number, e))?;
    }
    d.finish().map_err(|e| format!("{}: {e}", path.display()))
}

fn parse_net(text: &str, v4: bool) -> Result<Cidr, String> {
    let net = Cidr::parse(text)?;
    if net.addr.is_ipv4() != v4 {
        let key = if v4 { "net" } else { "net6" };
        let family = if v4 { "an IPv4" } else { "an IPv6" };
        return Err(format!("{key}={text}: {key} takes {family} subnet"));
    }
    Ok(net)
}

impl Topology {
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name == name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.nodes.iter().map(|n| n.name.as_str()).collect()
    }

    /// Gives every link a capture file: `FILE` itself for a lab of one link, otherwise
    /// `FILE` with the link's name before the extension (`trace.h1-r1.pcap`).
    pub fn capture_to(&mut self, file: &Path) {
        let single = self.links.len() == 1;
        for link in &mut self.links {
            link.pcap = Some(if single {
                file.to_owned()
            } else {
                let stem = file.file_stem().unwrap_or_default().to_string_lossy();
                let ext = file.extension().map(|e| e.to_string_lossy().into_owned());
                let name = match ext {
                    Some(ext) => format!("{stem}.{}.{ext}", link.name),
                    None => format!("{stem}.{}", link.name),
                };
                file.with_file_name(name)
            });
        }
    }

    /// The names every host knows the others by (the lab's /etc/hosts).
    pub fn hosts_file(&self) -> String {
        let mut text = String::from(
            "# written by netlab: the lab's names\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
        );
        for node in &self.nodes {
            for iface in &node.ifaces {
                text += &format!("{}\t{}\n", iface.v4.addr, node.name);
            }
            for iface in &node.ifaces {
                text += &format!("{}\t{}\n", iface.v6.addr, node.name);
            }
        }
        text
    }

    /// The plan in a few lines: what `up` and `status` print.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let width = self.nodes.iter().map(|n| n.name.len()).max().unwrap_or(2);
        for node in &self.nodes {
            let role = match node.role {
                Role::Host => "host",
                Role::Router => "router",
            };
            for (k, iface) in node.ifaces.iter().enumerate() {
                let (name, role) = if k == 0 {
                    (node.name.as_str(), role)
                } else {
                    ("", "")
                };
                out += &format!(
                    "  {name:width$}  {role:6}  {}  {:18} {:22} on {}\n",
                    iface.name,
                    iface.v4.to_string(),
                    iface.v6.to_string(),
                    self.links[iface.link].name
                );
            }
            for route in &node.routes {
                let dest = route.dest.map_or("default".to_owned(), |d| d.to_string());
                out += &format!("  {:width$}          route {dest} via {}\n", "", route.via);
            }
        }
        let by_name: BTreeMap<usize, &str> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(k, n)| (k, n.name.as_str()))
            .collect();
        for link in &self.links {
            let ends: Vec<&str> = link.ends.iter().map(|(n, _)| by_name[n]).collect();
            out += &format!(
                "  link {} ({}): {}",
                link.name,
                ends.join(", "),
                link.impairment.describe()
            );
            if let Some(pcap) = &link.pcap {
                out += &format!("; capture {}", pcap.display());
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(t: &Topology, node: &str) -> Vec<String> {
        t.node(node)
            .unwrap()
            .ifaces
            .iter()
            .flat_map(|i| [i.v4.to_string(), i.v6.to_string()])
            .collect()
    }

    fn routes(t: &Topology, node: &str) -> Vec<String> {
        t.node(node)
            .unwrap()
            .routes
            .iter()
            .map(|r| {
                format!(
                    "{} via {}",
                    r.dest.map_or("default".into(), |d| d.to_string()),
                    r.via
                )
            })
            .collect()
    }

    #[test]
    fn a_pair_has_the_addresses_the_book_uses() {
        let t = pair(Impairment::default(), 1);
        assert_eq!(addrs(&t, "h1"), ["192.0.2.1/24", "2001:db8::1/64"]);
        assert_eq!(addrs(&t, "h2"), ["192.0.2.2/24", "2001:db8::2/64"]);
        assert_eq!(t.links[0].name, "h1-h2");
        assert!(routes(&t, "h1").is_empty());
    }

    #[test]
    fn a_chain_routes_through_every_router() {
        let t = chain(3, Impairment::default(), 1).unwrap();
        assert_eq!(t.names(), ["h1", "r1", "r2", "r3", "h2"]);
        assert_eq!(addrs(&t, "h1"), ["192.0.2.1/24", "2001:db8:1::1/64"]);
        assert_eq!(
            addrs(&t, "r2"),
            [
                "198.51.100.2/30",
                "2001:db8:2::2/64",
                "198.51.100.5/30",
                "2001:db8:3::1/64"
            ]
        );
        assert_eq!(addrs(&t, "h2"), ["203.0.113.2/24", "2001:db8:4::2/64"]);
        assert_eq!(
            routes(&t, "h1"),
            ["default via 192.0.2.254", "default via 2001:db8:1::254"]
        );
        assert_eq!(
            routes(&t, "r1"),
            [
                "198.51.100.4/30 via 198.51.100.2",
                "203.0.113.0/24 via 198.51.100.2",
                "2001:db8:3::/64 via 2001:db8:2::2",
                "2001:db8:4::/64 via 2001:db8:2::2",
            ]
        );
        let names: Vec<_> = t.links.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["h1-r1", "r1-r2", "r2-r3", "r3-h2"]);
    }

    #[test]
    fn a_lan_is_one_segment() {
        let t = lan(4, Impairment::default(), 1).unwrap();
        assert_eq!(t.links.len(), 1);
        assert_eq!(t.links[0].ends.len(), 4);
        assert_eq!(addrs(&t, "h4"), ["192.0.2.4/24", "2001:db8::4/64"]);
        assert!(lan(1, Impairment::default(), 1).is_err());
    }

    const FILE: &str = "\
# two hosts behind a router, one of them on a slow link
host a b
router gw
seed 42
link a gw@254 delay=20ms
link gw@254 b net=198.51.100.0/24 loss=5% rate=1mbit   # the slow one
";

    #[test]
    fn a_file_reads_into_the_same_model() {
        let t = parse_file(Path::new("t.txt"), FILE, Impairment::default(), 1).unwrap();
        assert_eq!(t.seed, 42);
        assert_eq!(addrs(&t, "a"), ["192.0.2.1/24", "2001:db8:1::1/64"]);
        assert_eq!(
            addrs(&t, "gw"),
            [
                "192.0.2.254/24",
                "2001:db8:1::254/64",
                "198.51.100.254/24",
                "2001:db8:2::254/64"
            ]
        );
        assert_eq!(addrs(&t, "b"), ["198.51.100.2/24", "2001:db8:2::2/64"]);
        assert_eq!(
            routes(&t, "b"),
            ["default via 198.51.100.254", "default via 2001:db8:2::254"]
        );
        assert_eq!(t.links[1].impairment.describe(), "loss 5%, rate 1mbit");
        assert_eq!(t.links[0].impairment.describe(), "delay 20ms");
    }

    #[test]
    fn a_bad_file_is_one_line_naming_the_place() {
        let bad = |text: &str| {
            parse_file(Path::new("t.txt"), text, Impairment::default(), 1).unwrap_err()
        };
        assert_eq!(
            bad("host a\nlink a b\n"),
            "t.txt line 2: unknown node `b` (declare it first: `host b` or `router b`)"
        );
        assert_eq!(
            bad("hots a\n"),
            "t.txt line 1: unknown statement `hots` (host, router, link, seed)"
        );
        assert_eq!(
            bad("host a b\nlink a b loss=lots\n"),
            "t.txt line 2: `lots` is not a share (write it as 10% or 0.1)"
        );
        assert_eq!(bad("host a b c\nlink a b\n"), "t.txt: `c` is on no link");
        assert_eq!(bad("host a a\n"), "t.txt line 1: `a` is declared twice");
        assert_eq!(
            bad("host A\n"),
            "t.txt line 1: `A` is not a node name (up to 12 lowercase letters and digits, starting with a letter)"
        );
        assert_eq!(
            bad("host a\nlink a\n"),
            "t.txt line 2: a link joins at least two nodes"
        );
        assert_eq!(
            bad(""),
            "t.txt: no nodes: declare some with `host NAME` and join them with `link`"
        );
        assert!(bad("host a b\nlink a@300 b\n").contains("does not fit"));
    }

    #[test]
    fn the_shipped_example_reads() {
        let text = include_str!("../topologies/office.txt");
        let t = parse_file(Path::new("office.txt"), text, Impairment::default(), 1).unwrap();
        assert_eq!(t.names(), ["a", "b", "c", "srv", "gw"]);
        assert_eq!(t.links[0].ends.len(), 4);
        assert_eq!(addrs(&t, "srv"), ["198.51.100.2/24", "2001:db8:2::2/64"]);
        assert_eq!(routes(&t, "a")[0], "default via 192.0.2.254");
        assert_eq!(
            t.links[1].impairment.describe(),
            "delay 40ms, loss 2%, rate 2mbit"
        );
    }

    #[test]
    fn captures_are_named_after_their_links() {
        let mut t = chain(1, Impairment::default(), 1).unwrap();
        t.capture_to(Path::new("/tmp/trace.pcap"));
        assert_eq!(
            t.links[0].pcap.as_deref(),
            Some(Path::new("/tmp/trace.h1-r1.pcap"))
        );
        let mut p = pair(Impairment::default(), 1);
        p.capture_to(Path::new("/tmp/trace.pcap"));
        assert_eq!(
            p.links[0].pcap.as_deref(),
            Some(Path::new("/tmp/trace.pcap"))
        );
    }
}
