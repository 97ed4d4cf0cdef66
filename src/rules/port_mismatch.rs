//! SL302 port-mismatch: a proxy sends to an address or socket nothing listens on, while the tree
//! holds an app server on the same host at another port (or another socket path): the proxy
//! answers 502 (`connect() failed (111: Connection refused)`).

use super::Rule;
use crate::diag::{Finding, Label, Severity};
use crate::graph::addr::{edit_distance, same_host};
use crate::graph::{Endpoint, Role, Stack, Target};
use std::collections::{HashMap, HashSet};

pub static RULE: Rule = Rule {
    code: "SL302",
    name: "port-mismatch",
    severity: Severity::Error,
    components: &["haproxy", "envoy", "nginx", "gunicorn", "uvicorn", "php-fpm", "node"],
    summary: "a proxy target reaches no listener, but an app server in the tree listens nearby",
    doc: include_str!("../../rules/SL302-port-mismatch.md"),
    check,
};

/// Facts about the whole graph that every target's check needs, computed once.
struct Ctx {
    /// Listeners some target reaches (or may land on), by listener id.
    reached: Vec<bool>,
    /// callee server -> the servers that send to it.
    in_front: HashMap<usize, HashSet<usize>>,
    /// caller's component -> the listeners worth suggesting to it: not an edge's, and an app
    /// server's or one of another component (computed once: a big tree has thousands).
    candidates: HashMap<crate::graph::Component, Vec<usize>>,
}

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    let mut out = Vec::new();
    let reached = stack.reached_listeners();
    let mut in_front: HashMap<usize, HashSet<usize>> = HashMap::new();
    for e in stack.edges() {
        in_front.entry(e.listener.server).or_default().insert(e.route.server);
    }
    let mut candidates: HashMap<crate::graph::Component, Vec<usize>> = HashMap::new();
    for r in &stack.routes {
        let caller = stack.servers[r.server].component;
        candidates.entry(caller).or_insert_with(|| {
            (0..stack.listeners.len())
                .filter(|&i| {
                    let s = &stack.servers[stack.listeners[i].server];
                    s.role != Role::Edge && (s.role == Role::App || s.component != caller)
                })
                .collect()
        });
    }
    let ctx = Ctx { reached, in_front, candidates };
    let mut seen = std::collections::HashSet::new();
    for r in &stack.routes {
        let (_, targets) = stack.targets_of(r);
        for t in targets {
            if !t.reaches_nothing() || t.flags.iter().any(|f| f == "down") || !seen.insert(t.span) {
                continue;
            }
            if let Some(f) = check_target(stack, &ctx, rule, r, t) {
                out.push(f);
            }
        }
    }
    out
}

fn check_target(stack: &Stack, ctx: &Ctx, rule: &Rule, route: &crate::graph::Route, t: &Target) -> Option<Finding> {
    let caller = route.server;
    let pass_span = route.hop.span;
    // FastCGI goes to PHP-FPM, HTTP to everything else: a listener speaking another protocol is
    // a poor guess.
    let speaks = |c: crate::graph::Component| {
        (route.hop.protocol == crate::graph::Protocol::FastCgi) == (c == crate::graph::Component::PhpFpm)
    };
    // Candidates: app servers (and servers of other components) that the target was evidently
    // meant for: same host, other port; or another socket path.
    let caller_component = stack.servers[caller].component;
    let in_front = ctx.in_front.get(&caller);
    let reached = &ctx.reached;
    let mut best: Option<((bool, bool, usize, bool), usize)> = None; // (score, listener)
    let candidates = ctx.candidates.get(&caller_component).map(Vec::as_slice).unwrap_or_default();
    for &i in candidates {
        let l = &stack.listeners[i];
        let s = &stack.servers[l.server];
        if l.server == caller || in_front.is_some_and(|f| f.contains(&l.server)) {
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
        let score = (!speaks(s.component), s.role != Role::App, score, reached[i]);
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
        "{} sends to {}, but nothing in the tree listens there; {} `{}` listens on {}: every request gets a 502 ({})",
        stack.servers[caller].who(),
        t.endpoint,
        s.component.as_str(),
        s.name,
        l.endpoint,
        if what == "socket" {
            "connect() failed (2: No such file or directory)"
        } else {
            "connect() failed (111: Connection refused)"
        }
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
