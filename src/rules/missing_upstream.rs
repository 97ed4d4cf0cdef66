//! SL301 missing-upstream: a proxy sends requests to a name that is not defined anywhere.

use super::Rule;
use crate::diag::{Finding, Label, Severity};
use crate::graph::{HopTarget, Stack};

pub static RULE: Rule = Rule {
    code: "SL301",
    name: "missing-upstream",
    severity: Severity::Error,
    components: &["nginx", "envoy", "php-fpm"],
    summary: "a proxy_pass / *_pass target names an upstream that does not exist",
    doc: include_str!("../../rules/SL301-missing-upstream.md"),
    check,
};

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in &stack.routes {
        if let HopTarget::Missing { name, why } = &r.hop.target {
            let server = &stack.servers[r.server];
            let (why, suggestion) = match why.split_once("; did you mean ") {
                Some((w, s)) => (w.to_string(), format!("did you mean {}? otherwise ", s.trim_end_matches('?'))),
                None => (why.clone(), String::new()),
            };
            let help = match server.component {
                crate::graph::Component::Nginx => format!(
                    "{suggestion}define `upstream {name} {{ server HOST:PORT; }}` in the http block, or write the address with its port (`http://127.0.0.1:8000`)"
                ),
                other => format!("{suggestion}define `{name}` among the {} config's upstream groups, or fix the name", other.as_str()),
            };
            out.push(rule.finding(
                format!("{} in {} sends to `{name}`, which is not defined: {why}", r.name, server.component.as_str()),
                help,
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
            let help = match g.component {
                crate::graph::Component::Nginx => "add at least one `server HOST:PORT;` to the group".into(),
                other => format!("give the {} group at least one target address", other.as_str()),
            };
            out.push(rule.finding(
                format!("upstream `{}` has no servers", g.name),
                help,
                vec![Label::primary(g.span, "empty group")],
            ));
        }
    }
    out
}
