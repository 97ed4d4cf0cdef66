//! SL201 keepalive-race: a caller keeps idle connections to a server open longer than the server
//! does. When the server closes one just as the caller reuses it, the request fails: an
//! intermittent 502 that no load test reproduces.

use super::Rule;
use crate::diag::{Finding, Label, Severity};
use crate::duration::fmt_ms;
use crate::graph::{KeepAlive, Stack};

pub static RULE: Rule = Rule {
    code: "SL201",
    name: "keepalive-race",
    severity: Severity::Warning,
    components: &["edge", "haproxy", "envoy", "nginx", "gunicorn", "uvicorn", "node"],
    summary: "a caller pools idle connections longer than the server behind it keeps them open",
    doc: include_str!("../../rules/SL201-keepalive-race.md"),
    check,
};

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    // One finding per pool and server: the upstream's lines that reach the same server (two
    // `server` lines for two hosts running the same config) are labels of one finding.
    let mut found = std::collections::HashMap::new();
    for e in stack.edges() {
        let Some(pool) = stack.pool_of(e.route) else {
            continue;
        };
        if !e.route.hop.pool_defeated.is_empty() {
            continue;
        }
        let Some(KeepAlive::Idle(ka)) = &e.callee.keepalive else {
            continue;
        };
        // An HTTP/2 pool to a server that drains idle HTTP/2 connections before closing them.
        if pool.http2 && crate::registry::drains_idle_http2(e.callee.component) {
            continue;
        }
        let race = match (ka.ms, pool.idle.ms) {
            (Some(_), None) => true,
            (Some(k), Some(p)) => k <= p,
            (None, _) => false,
        };
        if !race {
            continue;
        }
        let callee = e.callee.who();
        let reaches = Label::secondary(e.target.span, format!("reaches {callee} at {}", e.listener.endpoint));
        // Where the pooling is, as the primary label below names it.
        let anchor = pool.enabled_at.or(e.group.map(|g| g.span)).unwrap_or(e.route.hop.span);
        let key = (anchor, pool.idle.ms, e.listener.server, ka.ms);
        if let Some(&i) = found.get(&key) {
            let f: &mut Finding = &mut out[i];
            if !f.labels.iter().any(|l| l.span == e.target.span) {
                // Before the server's keep-alive label, which stays last.
                let at = f.labels.len() - 1;
                f.labels.insert(at, reaches);
            }
            continue;
        }
        found.insert(key, out.len());
        let caller = e.caller.who();
        let status = if e.caller.role == crate::graph::Role::Edge {
            crate::edge::PRESETS.iter().find(|p| p.title == e.caller.name).map(|p| p.race_status).unwrap_or("502")
        } else {
            "502"
        };
        let message = format!(
            "{caller} keeps idle upstream connections for {} but {callee} closes them after {}: a request sent on a connection {callee} is closing fails with a {}",
            fmt_ms(pool.idle.ms),
            fmt_ms(ka.ms),
            status,
        );
        let mut labels = Vec::new();
        match (pool.enabled_at, e.group) {
            (Some(s), _) => labels.push(Label::primary(s, "upstream connections are pooled here")),
            (None, Some(g)) => labels
                .push(Label::primary(g.span, pool.default_note.clone().unwrap_or_else(|| "pooled by default".into()))),
            (None, None) => labels.push(Label::primary(e.route.hop.span, "pooled by default")),
        }
        if let Some(s) = pool.idle.origin.span() {
            labels.push(Label::secondary(s, format!("pool idle timeout {}", fmt_ms(pool.idle.ms))));
        }
        labels.push(reaches);
        let ka_span = ka.origin.span().unwrap_or(e.callee.span);
        labels.push(Label::secondary(ka_span, format!("{callee} keep-alive: {}", ka.describe())));
        let pool_note = if pool.idle.origin.is_default() {
            format!(" (pool idle: {})", pool.idle.describe())
        } else {
            String::new()
        };
        let raise_to = pool.idle.ms.map(|p| fmt_ms(Some(p + 5_000))).unwrap_or_else(|| "more than the pool's".into());
        let help = format!(
            "the server must keep idle connections open longer than the caller does: raise {callee}'s keep-alive to {raise_to} or more, or lower the caller's pool idle timeout below {}{pool_note}",
            fmt_ms(ka.ms)
        );
        out.push(rule.finding(message, help, labels));
    }
    // Pooling asked for explicitly but silently defeated.
    let mut seen_defeat = std::collections::HashSet::new();
    for r in &stack.routes {
        let Some(pool) = stack.pool_of(r) else {
            continue;
        };
        let Some(enabled) = pool.enabled_at else {
            continue;
        };
        for d in &r.hop.pool_defeated {
            let key = (enabled, d.span, d.message.clone());
            if !seen_defeat.insert(key) {
                continue;
            }
            let mut labels = vec![Label::primary(enabled, "keep-alive pool configured here")];
            labels.push(Label::secondary(d.span.unwrap_or(r.hop.span), d.message.clone()));
            if d.span.is_some() {
                labels.push(Label::secondary(r.hop.span, "used by this location"));
            }
            let mut f = rule.finding(
                format!("upstream keep-alive is configured but never used: {}", d.message),
                format!("{}; otherwise every request opens a new upstream connection", d.fix),
                labels,
            );
            f.severity = Severity::Info;
            out.push(f);
        }
    }
    out
}
