//! SL301 missing-upstream: a proxy sends requests to a name that is not defined anywhere.

use super::Rule;
use crate::diag::{Finding, Label, Severity};
use crate::graph::{HopTarget, Stack};

pub static RULE: Rule = Rule {
    code: "SL301",
    name: "missing-upstream",
    severity: Severity::Error,
    components: &["nginx", "php-fpm"],
    summary: "a proxy_pass / *_pass target names an upstream that does not exist",
    doc: include_str!("../../rules/SL301-missing-upstream.md"),
    check,
};

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in &stack.routes {
        if let HopTarget::Missing { name, why } = &r.hop.target {
            let server = &stack.servers[r.server];
            let help = format!(
                "define `upstream {name} {{ server HOST:PORT; }}` in the http block, or write the address with its port (`http://127.0.0.1:8000`)"
            );
            out.push(rule.finding(
                format!(
                    "{} `{}` in {} goes to `{name}`, which is not defined",
                    r.name,
                    r.hop.target_text,
                    server.component.as_str()
                ),
                help,
                vec![Label::primary(r.hop.target_span, why.clone())],
            ));
        }
        if let HopTarget::Dynamic {
            text,
            has_resolver: false,
        } = &r.hop.target
        {
            let has_host_var = text
                .split("://")
                .nth(1)
                .unwrap_or(text)
                .split('/')
                .next()
                .is_some_and(|h| h.contains('$'));
            if has_host_var {
                out.push(rule.finding(
                    format!("`{text}` picks its host from a variable but no `resolver` is in scope: every request gets a 502 (\"no resolver defined to resolve ...\")"),
                    "add `resolver 127.0.0.11 valid=30s;` (Docker) or your DNS server next to the proxy_pass, or use an `upstream` block".into(),
                    vec![Label::primary(r.hop.target_span, "host comes from a variable")],
                ));
            }
        }
    }
    for g in &stack.groups {
        if g.targets.is_empty() {
            out.push(rule.finding(
                format!("upstream `{}` has no servers", g.name),
                "add at least one `server HOST:PORT;` to the group".into(),
                vec![Label::primary(g.span, "empty group")],
            ));
        }
    }
    out
}
