//! SL504 stale-cdn-range: behind a declared edge, a trust or allow list holds a range the
//! provider has withdrawn (Cloudflare's old `104.16.0.0/12`): it trusts or admits addresses the
//! provider no longer announces.

use super::Rule;
use crate::cdn;
use crate::diag::{Finding, Label, Severity};
use crate::graph::{AddrEntry, AddrSpec, Stack, Verdict};
use crate::registry::trust;

pub static RULE: Rule = Rule {
    code: "SL504",
    name: "stale-cdn-range",
    severity: Severity::Warning,
    components: &["edge", "haproxy", "envoy", "nginx"],
    summary: "a trust or allow list behind a CDN holds a range the CDN has withdrawn",
    doc: include_str!("../../rules/SL504-stale-cdn-range.md"),
    check,
};

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    let Some(er) = &stack.edge_ranges else { return Vec::new() };
    if er.withdrawn.is_empty() {
        return Vec::new();
    }
    let behind = stack.behind_edge();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let trusted = stack
        .trust
        .iter()
        .filter(|t| behind.binary_search(&t.server).is_ok())
        .flat_map(|t| t.from.iter().map(move |e| (t.server, e, "trusts")));
    let admitted = stack.access.iter().filter(|a| behind.binary_search(&a.server).is_ok()).flat_map(|a| {
        a.rules.iter().filter(|r| r.verdict == Verdict::Allow).map(move |r| (a.server, &r.addr, "admits"))
    });
    for (server, e, verb) in trusted.chain(admitted) {
        let AddrEntry { spec: AddrSpec::Net(n), .. } = e else { continue };
        if n.prefix_len() == 0 {
            continue;
        }
        let Some(w) = er.withdrawn.iter().find(|w| cdn::overlaps(w, n)) else { continue };
        let stale = cdn::intersection(&cdn::uncovered(&[*n], &er.current), &er.withdrawn);
        if stale.is_empty() || !seen.insert(e.span) {
            continue;
        }
        let s = &stack.servers[server];
        let replacement = cdn::intersection(&er.current, &[*w]);
        let within = if w == n { String::new() } else { format!(" (inside the withdrawn `{w}`)") };
        let message = format!(
            "`{}` is a range {} has withdrawn{within}: {} also {} {} {}, which {} no longer announces",
            e.text,
            er.provider,
            s.who(),
            verb,
            if verb == "trusts" { "the client address from" } else { "requests from" },
            cdn::list(&stale, 4),
            er.provider
        );
        let lines: Vec<String> =
            replacement
                .iter()
                .map(|r| {
                    if verb == "trusts" {
                        trust::trust_line(s.component, r)
                    } else {
                        trust::allow_line(s.component, r)
                    }
                })
                .map(|l| format!("`{l}`"))
                .collect();
        let help = if lines.is_empty() {
            format!("remove `{}`; take the current list from {}", e.text, er.source)
        } else {
            format!("replace `{}` with the current ranges it stood for: {}", e.text, lines.join(" "))
        };
        let labels = vec![
            Label::primary(e.span, format!("withdrawn {} range", er.provider)),
            Label::secondary(er.edge_span, format!("{} ranges from {}", er.provider, er.source)),
        ];
        out.push(rule.finding(message, help, labels));
    }
    out
}
