//! Addresses as every component writes them, and the one function that decides whether a caller's
//! target reaches a listener. Every rule uses [`reaches`]; none compares addresses by hand.

use std::fmt;
use std::net::IpAddr;

/// The host part of an address.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// `0.0.0.0`, `*`, `[::]`, `::`, or no address at all: every interface.
    Any,
    /// `localhost`, `127.0.0.0/8`, `::1`.
    Loopback,
    Ip(IpAddr),
    /// A host name (`web`, `api.internal`): a docker-compose service, DNS, /etc/hosts.
    Name(String),
}

impl Host {
    /// Reads a host as written (brackets around IPv6 allowed).
    pub fn parse(s: &str) -> Host {
        let t = s.trim_start_matches('[').trim_end_matches(']');
        match t {
            "" | "*" | "0.0.0.0" | "::" => Host::Any,
            _ if t.eq_ignore_ascii_case("localhost") => Host::Loopback,
            _ => match t.parse::<IpAddr>() {
                Ok(ip) if ip.is_loopback() => Host::Loopback,
                Ok(ip) if ip.is_unspecified() => Host::Any,
                Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                    Some(v4) if v4.is_loopback() => Host::Loopback,
                    Some(v4) => Host::Ip(IpAddr::V4(v4)),
                    None => Host::Ip(IpAddr::V6(v6)),
                },
                Ok(ip) => Host::Ip(ip),
                Err(_) => Host::Name(t.to_ascii_lowercase()),
            },
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Any => f.write_str("*"),
            Host::Loopback => f.write_str("127.0.0.1"),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Host::Ip(ip) => write!(f, "{ip}"),
            Host::Name(n) => f.write_str(n),
        }
    }
}

/// Where a connection goes, or where a server accepts them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Tcp {
        host: Host,
        port: u16,
    },
    /// A unix socket path, as written (no `unix:` prefix).
    Unix(String),
    /// An inherited file descriptor (`fd://3`, systemd socket activation): reaches nothing we can see.
    Fd(String),
}

impl Endpoint {
    pub fn tcp(host: Host, port: u16) -> Endpoint {
        Endpoint::Tcp { host, port }
    }
    pub fn port(&self) -> Option<u16> {
        match self {
            Endpoint::Tcp { port, .. } => Some(*port),
            _ => None,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp { host, port } => write!(f, "{host}:{port}"),
            Endpoint::Unix(p) => write!(f, "unix:{p}"),
            Endpoint::Fd(p) => write!(f, "fd://{p}"),
        }
    }
}

/// How a caller's target host relates to a listener's bind host.
/// `aliases` are the names the listener's machine or container answers to (compose service names,
/// stacklint.toml host aliases).
pub fn host_reaches(target: &Host, bound: &Host, aliases: &[String]) -> bool {
    match (target, bound) {
        // A name that is one of the listener's aliases reaches it whatever it binds
        // (a compose service `web` binding 0.0.0.0 or its container address).
        (Host::Name(n), _) if aliases.iter().any(|a| a.eq_ignore_ascii_case(n)) => {
            matches!(bound, Host::Any | Host::Ip(_) | Host::Name(_)) || aliases.is_empty()
        }
        (_, Host::Any) => !matches!(target, Host::Name(_)) || target_is_local_name(target),
        (Host::Loopback, Host::Loopback) => true,
        (Host::Ip(a), Host::Ip(b)) => a == b,
        (Host::Name(a), Host::Name(b)) => a == b,
        _ => false,
    }
}

fn target_is_local_name(h: &Host) -> bool {
    matches!(h, Host::Name(n) if n == "localhost")
}

/// Does a connection to `target` reach a listener bound at `bound`?
pub fn reaches(target: &Endpoint, bound: &Endpoint, aliases: &[String]) -> bool {
    match (target, bound) {
        (Endpoint::Tcp { host: th, port: tp }, Endpoint::Tcp { host: bh, port: bp }) => {
            tp == bp && host_reaches(th, bh, aliases)
        }
        (Endpoint::Unix(a), Endpoint::Unix(b)) => normalize_path(a) == normalize_path(b),
        _ => false,
    }
}

/// Same machine (or container), any port: used to say "meant for this listener" in port-mismatch.
pub fn same_host(target: &Endpoint, bound: &Endpoint, aliases: &[String]) -> bool {
    match (target, bound) {
        (Endpoint::Tcp { host: th, .. }, Endpoint::Tcp { host: bh, .. }) => host_reaches(th, bh, aliases),
        (Endpoint::Unix(_), Endpoint::Unix(_)) => true,
        _ => false,
    }
}

/// A socket path with `.`, `..` and repeated `/` resolved (how [`reaches`] compares sockets).
pub fn normalize_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            x => out.push(x),
        }
    }
    let joined = out.join("/");
    if p.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    }
}

/// Levenshtein distance, for "did you mean" suggestions (socket path typos, upstream names).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j + 1] + 1).min(cur[j] + 1).min(prev[j] + cost);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tcp(h: &str, p: u16) -> Endpoint {
        Endpoint::tcp(Host::parse(h), p)
    }

    #[test]
    fn host_forms() {
        assert_eq!(Host::parse("0.0.0.0"), Host::Any);
        assert_eq!(Host::parse("[::]"), Host::Any);
        assert_eq!(Host::parse("*"), Host::Any);
        assert_eq!(Host::parse("localhost"), Host::Loopback);
        assert_eq!(Host::parse("127.0.0.2"), Host::Loopback);
        assert_eq!(Host::parse("[::1]"), Host::Loopback);
        assert_eq!(Host::parse("::ffff:127.0.0.1"), Host::Loopback);
        assert_eq!(Host::parse("Web"), Host::Name("web".into()));
    }

    #[test]
    fn matching() {
        assert!(reaches(&tcp("127.0.0.1", 8000), &tcp("0.0.0.0", 8000), &[]));
        assert!(reaches(&tcp("localhost", 8000), &tcp("127.0.0.1", 8000), &[]));
        assert!(reaches(&tcp("[::1]", 8000), &tcp("127.0.0.1", 8000), &[]));
        assert!(!reaches(&tcp("127.0.0.1", 8000), &tcp("127.0.0.1", 8080), &[]));
        assert!(!reaches(&tcp("10.0.0.5", 8000), &tcp("127.0.0.1", 8000), &[]));
        assert!(reaches(&tcp("10.0.0.5", 8000), &tcp("0.0.0.0", 8000), &[]));
        let web = vec!["web".to_string()];
        assert!(reaches(&tcp("web", 5000), &tcp("0.0.0.0", 5000), &web));
        assert!(!reaches(&tcp("web", 5000), &tcp("0.0.0.0", 5000), &[]));
        assert!(!reaches(&tcp("api", 5000), &tcp("0.0.0.0", 5000), &web));
        assert!(reaches(&Endpoint::Unix("/run/x/../app.sock".into()), &Endpoint::Unix("/run/app.sock".into()), &[]));
        assert!(!reaches(&Endpoint::Unix("/run/app.sock".into()), &tcp("0.0.0.0", 80), &[]));
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("php8.2-fpm.sock", "php8.1-fpm.sock"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
