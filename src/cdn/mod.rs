//! CDN and load-balancer address ranges: the networks an edge provider connects to origins from
//! (bundled under `rules/cdn/`, or the user's own copy), and the arithmetic the SL50x rules need.
//! Everything compares coverage, never strings: `104.16.0.0/12` covers `104.16.0.0/13`, a bare
//! address is a /32 or /128, and `::ffff:1.2.3.4` is the IPv4 address `1.2.3.4`.

pub mod data;
pub mod trust;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use crate::graph::EdgeRanges;

/// Reads an address or network as configs write it: `1.2.3.4`, `1.2.3.0/24`, `2400:cb00::/32`,
/// `[::1]`, `::ffff:1.2.3.4`. Host bits are cleared (nginx does the same, with a warning).
pub fn parse_net(s: &str) -> Option<IpNet> {
    let s = s.trim();
    let s = s.strip_prefix('[').map(|r| r.replacen(']', "", 1)).unwrap_or_else(|| s.to_string());
    let net = match s.parse::<IpNet>() {
        Ok(n) => n,
        Err(_) => match s.parse::<IpAddr>() {
            Ok(a) => IpNet::from(a),
            Err(_) => return None,
        },
    };
    Some(normalize(net.trunc()))
}

/// `::ffff:a.b.c.d/p` (p >= 96) is the IPv4 network `a.b.c.d/(p-96)`.
pub fn normalize(n: IpNet) -> IpNet {
    if let IpNet::V6(v6) = n {
        if let Some(v4) = v6.addr().to_ipv4_mapped() {
            if v6.prefix_len() >= 96 {
                if let Ok(v) = Ipv4Net::new(v4, v6.prefix_len() - 96) {
                    return IpNet::V4(v.trunc());
                }
            }
        }
    }
    n
}

/// `0.0.0.0/0` and `::/0`.
pub fn everything() -> [IpNet; 2] {
    [
        IpNet::V4(Ipv4Net::new(Ipv4Addr::UNSPECIFIED, 0).expect("valid")),
        IpNet::V6(Ipv6Net::new(Ipv6Addr::UNSPECIFIED, 0).expect("valid")),
    ]
}

/// Do two networks share any address?
pub fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// Is `n` entirely inside the union of `set`? (Coverage by several smaller networks counts.)
pub fn covered(n: &IpNet, set: &[IpNet]) -> bool {
    uncovered(std::slice::from_ref(n), set).is_empty()
}

/// The parts of `want` that no network of `have` covers, aggregated (`104.16.0.0/12` minus
/// `104.16.0.0/13` is `104.24.0.0/13`).
pub fn uncovered(want: &[IpNet], have: &[IpNet]) -> Vec<IpNet> {
    let have = IpNet::aggregate(&have.to_vec());
    let mut out = Vec::new();
    for w in want {
        missing_of(w, &have, &mut out);
    }
    IpNet::aggregate(&out)
}

fn missing_of(w: &IpNet, have: &[IpNet], out: &mut Vec<IpNet>) {
    if have.iter().any(|h| h.contains(w)) {
        return;
    }
    if !have.iter().any(|h| overlaps(h, w)) {
        out.push(*w);
        return;
    }
    // Some network of `have` lies strictly inside `w`: look at both halves.
    match w.subnets(w.prefix_len() + 1) {
        Ok(halves) => {
            for h in halves {
                missing_of(&h, have, out);
            }
        }
        Err(_) => out.push(*w),
    }
}

/// The parts of `a` that lie inside `b`.
pub fn intersection(a: &[IpNet], b: &[IpNet]) -> Vec<IpNet> {
    let outside = uncovered(a, b);
    uncovered(a, &outside)
}

/// Private, loopback, link-local and shared (CGNAT) ranges: never a CDN's.
pub fn is_private(n: &IpNet) -> bool {
    const V4: &[&str] =
        &["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10"];
    const V6: &[&str] = &["::1/128", "fc00::/7", "fe80::/10"];
    V4.iter().chain(V6).filter_map(|s| s.parse::<IpNet>().ok()).any(|p| p.contains(n))
}

/// A short list for messages: `a, b, c and 4 more`.
pub fn list(nets: &[IpNet], max: usize) -> String {
    let shown: Vec<String> = nets.iter().take(max).map(|n| format!("`{n}`")).collect();
    let mut s = shown.join(", ");
    if nets.len() > max {
        s.push_str(&format!(" and {} more", nets.len() - max));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> IpNet {
        parse_net(s).unwrap()
    }
    fn ns(v: &[&str]) -> Vec<IpNet> {
        v.iter().map(|s| n(s)).collect()
    }

    #[test]
    fn parses_hosts_cidrs_and_mapped_addresses() {
        assert_eq!(n("1.2.3.4"), n("1.2.3.4/32"));
        assert_eq!(n("2400:cb00::1"), n("2400:cb00::1/128"));
        assert_eq!(n("::ffff:1.2.3.4"), n("1.2.3.4/32"));
        assert_eq!(n("::ffff:1.2.3.0/120"), n("1.2.3.0/24"));
        assert_eq!(n("[::1]"), n("::1/128"));
        // host bits cleared, as nginx does
        assert_eq!(n("173.245.48.7/20"), n("173.245.48.0/20"));
        assert!(parse_net("cloudflare.com").is_none());
        assert!(parse_net("1.2.3.4/33").is_none());
        assert!(parse_net("unix:").is_none());
    }

    #[test]
    fn coverage_not_string_equality() {
        assert!(covered(&n("104.16.0.0/13"), &ns(&["104.16.0.0/12"])));
        assert!(!covered(&n("104.16.0.0/12"), &ns(&["104.16.0.0/13"])));
        // covered by two halves together
        assert!(covered(&n("104.16.0.0/12"), &ns(&["104.16.0.0/13", "104.24.0.0/13"])));
        // v4 never covers v6
        assert!(!covered(&n("2400:cb00::/32"), &ns(&["0.0.0.0/0"])));
        assert!(covered(&n("2400:cb00::/32"), &everything()));
        assert!(covered(&n("1.2.3.4"), &ns(&["::ffff:1.2.3.0/120"])));
    }

    #[test]
    fn difference_reports_exact_aggregated_prefixes() {
        assert_eq!(uncovered(&ns(&["104.16.0.0/12"]), &ns(&["104.16.0.0/13"])), ns(&["104.24.0.0/13"]));
        assert_eq!(
            uncovered(&ns(&["104.16.0.0/12"]), &ns(&["104.16.0.0/13", "104.24.0.0/14"])),
            ns(&["104.28.0.0/14"])
        );
        // a hole in the middle
        assert_eq!(
            uncovered(&ns(&["10.0.0.0/22"]), &ns(&["10.0.0.0/24", "10.0.3.0/24"])),
            ns(&["10.0.1.0/24", "10.0.2.0/24"])
        );
        assert!(uncovered(&ns(&["1.2.3.4"]), &ns(&["1.2.3.0/24"])).is_empty());
        assert_eq!(uncovered(&ns(&["1.2.3.0/24", "2606:4700::/32"]), &ns(&["1.2.3.0/24"])), ns(&["2606:4700::/32"]));
    }

    #[test]
    fn overlaps_supersets_and_intersections() {
        assert!(overlaps(&n("104.16.0.0/12"), &n("104.24.0.0/14")));
        assert!(overlaps(&n("104.24.0.0/14"), &n("104.16.0.0/12")));
        assert!(!overlaps(&n("104.16.0.0/13"), &n("104.24.0.0/14")));
        assert!(!overlaps(&n("10.0.0.0/8"), &n("::/0")));
        assert_eq!(intersection(&ns(&["104.16.0.0/12"]), &ns(&["104.24.0.0/14", "1.0.0.0/8"])), ns(&["104.24.0.0/14"]));
    }

    #[test]
    fn private_ranges() {
        assert!(is_private(&n("10.1.0.0/16")));
        assert!(is_private(&n("127.0.0.1")));
        assert!(is_private(&n("::1")));
        assert!(is_private(&n("fd00::/8")));
        assert!(!is_private(&n("10.0.0.0/7")));
        assert!(!is_private(&n("173.245.48.0/20")));
    }
}
