//! SL403 missing-timeout: a proxy with no limit on how long it waits for clients or servers
//! (HAProxy without `timeout client`, `timeout connect` or `timeout server`, in the proxy or its
//! `defaults`). Stuck connections are never closed; they pile up until the connection limit, and
//! then every new request queues or fails.

use super::Rule;
use crate::diag::{Finding, Label, Severity};
use crate::graph::{ProblemKind, Stack};

pub static RULE: Rule = Rule {
    code: "SL403",
    name: "missing-timeout",
    severity: Severity::Warning,
    components: &["haproxy"],
    summary: "a proxy has no client, connect or server timeout: stuck connections are never closed",
    doc: include_str!("../../rules/SL403-missing-timeout.md"),
    check,
};

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    stack
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::MissingTimeout)
        .map(|p| {
            rule.finding(p.message.clone(), p.help.clone(), vec![Label::primary(p.span, "no timeout in force here")])
        })
        .collect()
}
