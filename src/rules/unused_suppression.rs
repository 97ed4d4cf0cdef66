//! SL901 unused-suppression: a `stacklint: ignore[...]` comment that suppresses nothing. Its
//! findings come from the suppression pass (`crate::suppress`), not from the graph.

use super::Rule;
use crate::diag::{Finding, Severity};
use crate::graph::Stack;

pub static RULE: Rule = Rule {
    code: "SL901",
    name: "unused-suppression",
    severity: Severity::Warning,
    components: &["all"],
    summary: "a `stacklint: ignore` comment suppresses nothing (unused, unknown rule, or no rule named)",
    doc: include_str!("../../rules/SL901-unused-suppression.md"),
    check,
};

fn check(_: &Stack, _: &Rule) -> Vec<Finding> {
    Vec::new()
}
