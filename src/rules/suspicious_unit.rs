//! SL402 suspicious-unit: a time value the component accepts but almost certainly reads
//! differently from what was meant: a unit-less number in milliseconds (HAProxy
//! `timeout server 30` = 30 ms, Node `keepAliveTimeout = 65` = 65 ms), or a compound value the
//! component cuts short (HAProxy reads `1m30s` as 1 min).

use super::Rule;
use crate::diag::{Finding, Label, Severity};
use crate::graph::{ProblemKind, Stack};

pub static RULE: Rule = Rule {
    code: "SL402",
    name: "suspicious-unit",
    severity: Severity::Warning,
    components: &["haproxy", "node"],
    summary: "a time value is read in a unit other than the one it was evidently written in",
    doc: include_str!("../../rules/SL402-suspicious-unit.md"),
    check,
};

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    stack
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::SuspiciousUnit)
        .map(|p| {
            rule.finding(
                p.message.clone(),
                p.help.clone(),
                vec![Label::primary(p.span, "read in another unit than it looks")],
            )
        })
        .collect()
}
