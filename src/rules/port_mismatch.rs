//! SL302 port-mismatch: a proxy sends to an address or socket nothing listens on, while the tree
//! holds an app server on the same host at another port (or another socket path): the proxy
//! answers 502 (`connect() failed (111: Connection refused)`).

use super::Rule;
use crate::diag::{Finding, Label, Severity};
use crate::graph::addr::{edit_distance, same_host};
use crate::graph::{Endpoint, Role, Stack, Target};

pub static RULE: Rule = Rule {
    code: "SL302",
    name: "port-mismatch",
    severity: Severity::Error,
    components: &["nginx", "envoy", "gunicorn", "uvicorn"],
    summary: "a proxy target reaches no listener, but an app server in the tree listens nearby",
    doc: include_str!("../../rules/SL302-port-mismatch.md"),
    check,
};

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for r in &stack.routes {
        let (_, targets) = stack.targets_of(r);
        for t in targets {
            if !t.reaches.is_empty() || t.flags.iter().any(|f| f == "down") || seen.contains(&t.span) {
                continue;
            }
            seen.push(t.span);
            if let Some(f) = check_target(stack, rule, r.server, t, r.hop.span) {
                out.push(f);
            }
        }
    }
    out
}

fn check_target(
    stack: &Stack,
    rule: &Rule,
    caller: usize,
    t: &Target,
    pass_span: crate::source::Span,
) -> Option<Finding> {
    // Candidates: app servers (and servers of other components) that the target was evidently
    // meant for: same host, other port; or another socket path.
    let caller_component = stack.servers[caller].component;
    // Prefer listeners that no other target reaches (an orphaned app server is the likeliest
    // intended target), then the closest port or socket path.
    let reached: std::collections::HashSet<usize> = stack
        .groups
        .iter()
        .flat_map(|g| g.targets.iter())
        .chain(stack.routes.iter().filter_map(|r| match &r.hop.target {
            crate::graph::HopTarget::Direct(t) => Some(t),
            _ => None,
        }))
        .flat_map(|t| t.reaches.iter().copied())
        .collect();
    let mut best: Option<((bool, usize), usize)> = None; // (score, listener)
    for (i, l) in stack.listeners.iter().enumerate() {
        let s = &stack.servers[l.server];
        if l.server == caller || !(s.role == Role::App || s.component != caller_component) {
            continue;
        }
        if !same_host(&t.endpoint, &l.endpoint, &s.aliases) {
            continue;
        }
        let score = match (&t.endpoint, &l.endpoint) {
            (Endpoint::Tcp { port: a, .. }, Endpoint::Tcp { port: b, .. }) => {
                (*a as i64 - *b as i64).unsigned_abs() as usize
            }
            (Endpoint::Unix(a), Endpoint::Unix(b)) => edit_distance(a, b),
            _ => continue,
        };
        let score = (reached.contains(&i), score);
        if best.is_none_or(|(s, _)| score < s) {
            best = Some((score, i));
        }
    }
    let (_, li) = best?;
    let l = &stack.listeners[li];
    let s = &stack.servers[l.server];
    let what = match (&t.endpoint, &l.endpoint) {
        (Endpoint::Unix(_), _) => "socket",
        _ => "port",
    };
    let message = format!(
        "{} sends to {}, but nothing in the tree listens there; {} `{}` listens on {}: every request gets a 502 (connection refused)",
        stack.servers[caller].component.as_str(),
        t.endpoint,
        s.component.as_str(),
        s.name,
        l.endpoint
    );
    let bound = if l.is_default {
        format!("{} listens on {} (its default: nothing set)", s.component.as_str(), l.endpoint)
    } else {
        format!("{} listens on {}", s.component.as_str(), l.endpoint)
    };
    let mut labels = vec![Label::primary(t.span, format!("no listener at {}", t.endpoint))];
    if t.span != pass_span && !pass_span.to(t.span).eq(&pass_span) {
        labels.push(Label::secondary(pass_span, "used here"));
    }
    labels.push(Label::secondary(l.span, bound));
    let help = format!(
        "point the proxy at {} or make {} listen on {} — the two {what}s must match",
        l.endpoint,
        s.component.as_str(),
        t.endpoint
    );
    Some(rule.finding(message, help, labels))
}
