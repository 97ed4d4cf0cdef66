//! SL501 cdn-range-missing: behind a declared edge, a trust list or an allow list leaves out some
//! of the provider's current ranges. An allow list refuses the edge's requests from those
//! addresses (403 passed on to visitors, or 52x at the edge); a trust list keeps the edge's
//! address as the client address for requests that arrive through them.

use super::Rule;
use crate::cdn::trust::nets_of;
use crate::cdn::{self, EdgeRanges};
use crate::diag::{Finding, Label, Severity};
use crate::graph::{Stack, Verdict};
use crate::registry::trust;
use ipnet::IpNet;

pub static RULE: Rule = Rule {
    code: "SL501",
    name: "cdn-range-missing",
    severity: Severity::Error,
    components: &["edge", "haproxy", "envoy", "nginx"],
    summary: "an allow list or real-IP trust list behind a CDN leaves out some of its published ranges",
    doc: include_str!("../../rules/SL501-cdn-range-missing.md"),
    check,
};

/// `3 ranges (`a`, `b`, `c`)`, noting a missing address family.
fn describe(er: &EdgeRanges, have: &[IpNet], missing: &[IpNet]) -> String {
    let v6_missing = missing.iter().filter(|n| matches!(n, IpNet::V6(_))).count();
    let has_v6 = have.iter().any(|n| matches!(n, IpNet::V6(_)));
    let mut s = format!(
        "{} of {}'s ranges {} missing ({})",
        missing.len(),
        er.provider,
        if missing.len() == 1 { "is" } else { "are" },
        cdn::list(missing, 6)
    );
    if er.dual_stack() && !has_v6 && v6_missing > 0 {
        s.push_str(&format!(
            "; it holds no IPv6 range at all, while {} connects to origins over IPv6 too",
            er.provider
        ));
    }
    s
}

fn fix(lines: Vec<String>) -> String {
    let n = lines.len();
    let mut shown: Vec<String> = lines.into_iter().take(8).map(|l| format!("`{l}`")).collect();
    if n > 8 {
        shown.push(format!("... ({} more)", n - 8));
    }
    shown.join(" ")
}

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    let Some(er) = &stack.edge_ranges else { return Vec::new() };
    let behind = stack.behind_edge();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let source = Label::secondary(er.edge_span, format!("{} ranges from {}", er.provider, er.source));

    for t in stack.trust.iter().filter(|t| behind.binary_search(&t.server).is_ok()) {
        let have: Vec<IpNet> = t.from.iter().flat_map(|e| nets_of(&e.spec)).collect();
        // Only the user's own proxies: one of them sits between the edge and this server.
        let own = |n: &IpNet| er.trusted_proxies.iter().any(|(p, _)| p.contains(n));
        if !have.is_empty() && have.iter().all(own) {
            continue;
        }
        let missing = cdn::uncovered(&er.current, &have);
        if missing.is_empty() || !seen.insert(t.span) {
            continue;
        }
        let s = &stack.servers[t.server];
        let word = trust::trust_word(s.component);
        let message = format!(
            "{} believes the client address only from part of {}: {}; requests that arrive through those addresses keep {}'s address as the client address (logs, rate limits and allow lists see {}, not the visitor)",
            s.who(),
            er.provider,
            describe(er, &have, &missing),
            er.provider,
            er.provider
        );
        let help = format!(
            "add the missing ranges to {word}: {}. Refresh the list from the provider when it changes (rules/cdn/README.md)",
            fix(missing.iter().map(|n| trust::trust_line(s.component, n)).collect())
        );
        let labels = vec![
            Label::primary(t.span, format!("{word} ({}) lacks {} of {}'s ranges", t.scope, missing.len(), er.provider)),
            source.clone(),
        ];
        out.push(rule.finding(message, help, labels));
    }

    let everything = cdn::everything();
    let provider_all: Vec<IpNet> = er.current.iter().chain(&er.withdrawn).copied().collect();
    for a in stack.access.iter().filter(|a| behind.binary_search(&a.server).is_ok() && !a.sees_client) {
        let allowed = trust::allowed(a);
        // A lock-down list: it lets some of the provider in and refuses something.
        if cdn::uncovered(&everything, &allowed).is_empty() || cdn::intersection(&allowed, &provider_all).is_empty() {
            continue;
        }
        let missing = cdn::uncovered(&er.current, &allowed);
        if missing.is_empty() || !seen.insert(a.span) {
            continue;
        }
        let s = &stack.servers[a.server];
        let allows: Vec<IpNet> =
            a.rules.iter().filter(|r| r.verdict == Verdict::Allow).flat_map(|r| nets_of(&r.addr.spec)).collect();
        let mut message = format!(
            "{} lets {} in only from part of its addresses: {}; requests {} sends from those get {} from {}, which {} passes on to visitors (or answers 52x itself when the connection is refused)",
            s.who(),
            er.provider,
            describe(er, &allows, &missing),
            er.provider,
            a.denial,
            s.who(),
            er.provider
        );
        if a.satisfy_any.is_some() {
            message.push_str(" — with `satisfy any`, only requests that pass the other check get through");
        }
        let help = format!(
            "allow every current range before the final deny: {}. Refresh the list from the provider when it changes (rules/cdn/README.md)",
            fix(missing.iter().map(|n| trust::allow_line(s.component, n)).collect())
        );
        let mut labels = vec![
            Label::primary(
                a.span,
                format!("access list ({}) refuses {} of {}'s ranges", a.scope, missing.len(), er.provider),
            ),
            source.clone(),
        ];
        if let Some(sp) = a.satisfy_any {
            labels.push(Label::secondary(sp, "another check can let refused peers in"));
        }
        out.push(rule.finding(message, help, labels));
    }
    out
}
