//! SL503 real-ip-header-mismatch: behind a declared edge, the header a server takes the client
//! address from is not one the edge sets (Cloudflare: `CF-Connecting-IP`, or `X-Forwarded-For`
//! with recursion; others: `X-Forwarded-For`), or trust is configured with no header at all
//! (nginx then reads `X-Real-IP`, which no CDN sends).

use super::Rule;
use crate::diag::{Finding, Label, Severity};
use crate::graph::Stack;

pub static RULE: Rule = Rule {
    code: "SL503",
    name: "real-ip-header-mismatch",
    severity: Severity::Warning,
    components: &["edge", "haproxy", "envoy", "nginx"],
    summary: "the client-address header trusted behind a CDN is not the one the CDN sends",
    doc: include_str!("../../rules/SL503-real-ip-header-mismatch.md"),
    check,
};

/// The headers an edge sets to the visitor's address; the first is the recommended one.
pub fn headers_of(preset: &str) -> &'static [&'static str] {
    match preset {
        "cloudflare" => &["CF-Connecting-IP", "X-Forwarded-For", "True-Client-IP"],
        "fastly" => &["Fastly-Client-IP", "X-Forwarded-For"],
        "cloudfront" => &["X-Forwarded-For", "CloudFront-Viewer-Address"],
        _ => &["X-Forwarded-For"],
    }
}

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    let Some(er) = &stack.edge_ranges else { return Vec::new() };
    let behind = stack.behind_edge();
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let accepted = headers_of(&er.preset);
    let edge = Label::secondary(er.edge_span, format!("{} declared here", er.provider));
    for t in stack.trust.iter().filter(|t| behind.binary_search(&t.server).is_ok()) {
        let s = &stack.servers[t.server];
        let name = &t.header.name;
        let anchor = t.header.span.unwrap_or(t.span);
        if !seen.insert(anchor) {
            continue;
        }
        let fix = crate::registry::trust::header_line(s.component, accepted[0]);
        let (message, help, label) = match t.header.span {
            None => (
                format!(
                    "{} trusts {} for the client address but reads it from {name} (its default: no header set), which {} does not send: the client address stays {}'s",
                    s.who(),
                    er.provider,
                    er.provider,
                    er.provider
                ),
                format!("name the header {} sets: `{fix}`", er.provider),
                format!("trusted, but no header named: {name} is read"),
            ),
            Some(_) if !accepted.iter().any(|h| h.eq_ignore_ascii_case(name)) => (
                format!(
                    "{} takes the client address from `{name}`, which {} does not set (it sends {}): the client address stays {}'s, or is whatever the visitor wrote in `{name}`",
                    s.who(),
                    er.provider,
                    accepted.iter().map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", "),
                    er.provider
                ),
                format!("use the header {} sets: `{fix}`", er.provider),
                format!("{} does not send {name}", er.provider),
            ),
            Some(_)
                if er.preset == "cloudflare" && name.eq_ignore_ascii_case("X-Forwarded-For") && t.recursive.is_none() =>
            {
                let (help, label) = match crate::registry::trust::recursive_setting(s.component) {
                    Some((setting, line)) => (
                        format!("prefer `{fix}` (a single address {} sets), or add `{line}`", er.provider),
                        format!("X-Forwarded-For without `{setting}`"),
                    ),
                    None => (
                        format!(
                            "use `{fix}` (a single address {} sets): {} cannot skip {}'s own addresses in X-Forwarded-For",
                            er.provider,
                            s.who(),
                            er.provider
                        ),
                        "X-Forwarded-For: its last address, with no recursion".to_string(),
                    ),
                };
                (
                    format!(
                        "{} takes the client address from `X-Forwarded-For` without recursion: when a request crosses {} more than once (Workers, another {} zone in front), the last address is {}'s own, not the visitor's",
                        s.who(),
                        er.provider,
                        er.provider,
                        er.provider
                    ),
                    help,
                    label,
                )
            }
            _ => continue,
        };
        let mut labels = vec![Label::primary(anchor, label)];
        if t.header.span.is_some() && anchor != t.span {
            labels.push(Label::secondary(t.span, format!("trusts {}", er.provider)));
        }
        labels.push(edge.clone());
        out.push(rule.finding(message, help, labels));
    }
    out
}
