//! SL502 cdn-range-foreign: behind a declared edge, a trust list believes the client address from
//! networks that are neither the provider's nor the user's own proxies (`[edge] trusted_proxies`):
//! anyone there can set the client address to anything. Trusting every address (`0.0.0.0/0`,
//! `::/0`, a hop count with no address check) is an error.

use super::Rule;
use crate::cdn;
use crate::diag::{Finding, Label, Severity};
use crate::graph::{AddrSpec, Stack};
use crate::registry::trust;
use ipnet::IpNet;

pub static RULE: Rule = Rule {
    code: "SL502",
    name: "cdn-range-foreign",
    severity: Severity::Warning,
    components: &["edge", "haproxy", "envoy", "nginx"],
    summary: "a real-IP trust list behind a CDN trusts networks that are not the CDN's nor declared as your own",
    doc: include_str!("../../rules/SL502-cdn-range-foreign.md"),
    check,
};

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    let Some(er) = &stack.edge_ranges else { return Vec::new() };
    let behind = stack.behind_edge();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut known: Vec<IpNet> = er.current.iter().chain(&er.withdrawn).copied().collect();
    known.extend(er.trusted_proxies.iter().map(|(n, _)| *n));
    let header_of = |t: &crate::graph::Trust| t.header.name.clone();

    for t in stack.trust.iter().filter(|t| behind.binary_search(&t.server).is_ok()) {
        let s = &stack.servers[t.server];
        let word = trust::trust_word(s.component);
        let mut foreign = Vec::new();
        for e in &t.from {
            let everything = match &e.spec {
                AddrSpec::All => true,
                AddrSpec::Net(n) => n.prefix_len() == 0,
                _ => false,
            };
            if everything {
                if !seen.insert(e.span) {
                    continue;
                }
                let mut f = rule.finding(
                    format!(
                        "{} believes `{}` from any address (`{}`): anyone who reaches it directly, not through {}, can claim any client address (allow lists, rate limits and logs are spoofable)",
                        s.who(),
                        header_of(t),
                        e.text,
                        er.provider
                    ),
                    format!(
                        "trust only {}'s ranges (and your own proxies, declared as `trusted_proxies` in stacklint.toml [edge]): {}",
                        er.provider,
                        er.current.iter().take(3).map(|n| format!("`{}`", trust::trust_line(s.component, n))).collect::<Vec<_>>().join(" ")
                            + " ..."
                    ),
                    vec![Label::primary(e.span, "trusts every address"), Label::secondary(er.edge_span, format!("{} declared here", er.provider))],
                );
                f.severity = Severity::Error;
                out.push(f);
                continue;
            }
            let AddrSpec::Net(n) = &e.spec else { continue };
            let outside = cdn::uncovered(&[*n], &known);
            if !outside.is_empty() && seen.insert(e.span) {
                foreign.push((e, *n, outside));
            }
        }
        if foreign.is_empty() {
            continue;
        }
        let names: Vec<String> = foreign
            .iter()
            .map(|(e, n, outside)| {
                let private = if cdn::is_private(n) { " (private: your own proxy? declare it)" } else { "" };
                if outside.len() == 1 && outside[0] == *n {
                    format!("`{}`{private}", e.text)
                } else {
                    format!("`{}` (of which {} is not {}'s)", e.text, cdn::list(outside, 3), er.provider)
                }
            })
            .collect();
        let message = format!(
            "{} believes the client address from {} {} that {} not {}'s published ranges nor declared as your own proxies: {}; anyone sending from there can claim any client address",
            s.who(),
            foreign.len(),
            if foreign.len() == 1 { "network" } else { "networks" },
            if foreign.len() == 1 { "is" } else { "are" },
            er.provider,
            names.join(", ")
        );
        let help = format!(
            "remove them from {word}, or, if they are your own load balancers or proxies, list them in stacklint.toml: `[edge] trusted_proxies = [{}]`",
            foreign.iter().map(|(e, ..)| format!("\"{}\"", e.text)).collect::<Vec<_>>().join(", ")
        );
        let mut labels: Vec<Label> = Vec::new();
        for (i, (e, _, _)) in foreign.iter().enumerate() {
            let msg = format!("not {}'s", er.provider);
            labels.push(if i == 0 { Label::primary(e.span, msg) } else { Label::secondary(e.span, msg) });
        }
        labels.push(Label::secondary(er.edge_span, format!("{} ranges from {}", er.provider, er.source)));
        out.push(rule.finding(message, help, labels));
    }
    out
}
