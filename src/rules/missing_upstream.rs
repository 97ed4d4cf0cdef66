//! SL301 missing-upstream: a proxy sends requests to a name that is not defined anywhere.

use super::Rule;
use crate::diag::{Finding, Label, Severity};
use crate::graph::{Component, HopTarget, Stack};

pub static RULE: Rule = Rule {
    code: "SL301",
    name: "missing-upstream",
    severity: Severity::Error,
    components: &["haproxy", "envoy", "nginx", "php-fpm"],
    summary: "a route sends to an upstream group (nginx upstream, HAProxy backend, Envoy cluster) that does not exist",
    doc: include_str!("../../rules/SL301-missing-upstream.md"),
    check,
};

/// What a component calls its upstream groups, and how to define one.
fn group_word(c: Component, name: &str) -> (&'static str, String) {
    match c {
        Component::Haproxy => ("backend", format!("define `backend {name}` with at least one `server NAME HOST:PORT`")),
        Component::Envoy => ("cluster", format!("define a cluster named `{name}` under `static_resources.clusters`")),
        _ => (
            "upstream",
            format!(
                "define `upstream {name} {{ server HOST:PORT; }}` in the http block, or write the address with its port (`http://127.0.0.1:8000`)"
            ),
        ),
    }
}

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in &stack.routes {
        if let HopTarget::Missing { name, why } = &r.hop.target {
            let server = &stack.servers[r.server];
            let (why, suggestion) = match why.split_once("; did you mean ") {
                Some((w, s)) => (w.to_string(), format!("did you mean {}? otherwise ", s.trim_end_matches('?'))),
                None => (why.clone(), String::new()),
            };
            let (_, define) = group_word(server.component, name);
            out.push(rule.finding(
                format!("{} in {} sends to `{name}`, which is not defined: {why}", r.name, server.who()),
                format!("{suggestion}{define}"),
                vec![Label::primary(r.hop.target_span, format!("`{name}` is not defined"))],
            ));
        }
        if let HopTarget::Dynamic { text, has_resolver: false } = &r.hop.target {
            out.push(rule.finding(
                format!("`{text}` is resolved per request but no `resolver` is in scope: every request gets a 502 (\"no resolver defined to resolve ...\")"),
                "add `resolver 127.0.0.11 valid=30s;` (Docker's DNS) or your DNS server next to the proxy_pass, or send to an `upstream` block".into(),
                vec![Label::primary(r.hop.target_span, "needs DNS at run time")],
            ));
        }
    }
    for g in &stack.groups {
        if g.targets.is_empty() {
            let (word, _) = group_word(g.component, &g.name);
            let status = match g.component {
                Component::Haproxy => "HAProxy answers 503",
                Component::Envoy => "Envoy answers 503 (no healthy upstream)",
                _ => "nginx answers 502",
            };
            out.push(rule.finding(
                format!("{word} `{}` has no servers: every request sent to it fails ({status})", g.name),
                format!("give {word} `{}` at least one target address", g.name),
                vec![Label::primary(g.span, "empty group")],
            ));
        }
    }
    out
}
