//! Address entries of trust and access lists, and what an access list lets through: the CIDR
//! arithmetic every component's trust reader (`nginx::trust`, `haproxy::trust`, `envoy::trust`)
//! and the CDN rules share.

use super::{everything, parse_net, uncovered};
use crate::graph::{AccessList, AddrEntry, AddrSpec, Verdict};
use crate::source::Span;
use ipnet::IpNet;

/// An address as nginx's realip and access modules (and Envoy's RBAC prefixes) read it.
pub fn addr_entry(text: &str, span: Span) -> AddrEntry {
    let spec = if text == "all" {
        AddrSpec::All
    } else if text == "unix:" {
        AddrSpec::Unix
    } else {
        match parse_net(text) {
            Some(n) => AddrSpec::Net(n),
            None => AddrSpec::Other,
        }
    };
    AddrEntry { spec, text: text.to_string(), span }
}

/// The networks of an entry (`all` = both families; unix sockets and names: none).
pub fn nets_of(spec: &AddrSpec) -> Vec<IpNet> {
    match spec {
        AddrSpec::Net(n) => vec![*n],
        AddrSpec::All => everything().to_vec(),
        _ => Vec::new(),
    }
}

/// The addresses an access list lets through (first match wins; unmatched get `otherwise`).
pub fn allowed(list: &AccessList) -> Vec<ipnet::IpNet> {
    let mut decided: Vec<ipnet::IpNet> = Vec::new();
    let mut allowed = Vec::new();
    for r in &list.rules {
        let nets = nets_of(&r.addr.spec);
        if r.verdict == Verdict::Allow {
            allowed.extend(uncovered(&nets, &decided));
        }
        decided.extend(nets);
    }
    if list.otherwise == Verdict::Allow {
        allowed.extend(uncovered(&everything(), &decided));
    }
    ipnet::IpNet::aggregate(&allowed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::AccessRule;

    fn rule(v: Verdict, s: &str) -> AccessRule {
        AccessRule { verdict: v, addr: addr_entry(s, Span::default()) }
    }
    fn list(rules: Vec<AccessRule>, otherwise: Verdict) -> AccessList {
        AccessList {
            server: 0,
            scope: String::new(),
            span: Span::default(),
            rules,
            otherwise,
            sees_client: false,
            satisfy_any: None,
            denial: String::new(),
        }
    }

    #[test]
    fn first_match_wins() {
        let l = list(
            vec![rule(Verdict::Deny, "10.0.1.0/24"), rule(Verdict::Allow, "10.0.0.0/16"), rule(Verdict::Deny, "all")],
            Verdict::Allow,
        );
        let a = allowed(&l);
        assert!(crate::cdn::covered(&"10.0.2.0/24".parse().unwrap(), &a));
        assert!(!crate::cdn::covered(&"10.0.1.0/24".parse().unwrap(), &a));
        assert!(!crate::cdn::covered(&"2400:cb00::/32".parse().unwrap(), &a));
        // IPv4-only rules leave IPv6 to the default
        let l = list(vec![rule(Verdict::Allow, "1.2.3.0/24"), rule(Verdict::Deny, "0.0.0.0/0")], Verdict::Allow);
        assert!(crate::cdn::covered(&"2400:cb00::/32".parse().unwrap(), &allowed(&l)));
    }

    #[test]
    fn entries() {
        assert_eq!(addr_entry("all", Span::default()).spec, AddrSpec::All);
        assert_eq!(addr_entry("unix:", Span::default()).spec, AddrSpec::Unix);
        assert_eq!(addr_entry("proxy.example.com", Span::default()).spec, AddrSpec::Other);
        assert!(matches!(addr_entry("::ffff:10.0.0.1", Span::default()).spec, AddrSpec::Net(ipnet::IpNet::V4(_))));
    }
}
