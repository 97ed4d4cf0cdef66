//! SL401 invalid-value: a value the component itself rejects at start-up (an nginx time with a
//! decimal point, gunicorn `timeout = "30s"`). The server never starts: every request is a 502.

use super::Rule;
use crate::diag::{Finding, Label, Severity};
use crate::graph::{ProblemKind, Stack};

pub static RULE: Rule = Rule {
    code: "SL401",
    name: "invalid-value",
    severity: Severity::Error,
    components: &["haproxy", "envoy", "nginx", "gunicorn", "uvicorn", "php-fpm"],
    summary: "a setting holds a value its component rejects at start-up",
    doc: include_str!("../../rules/SL401-invalid-value.md"),
    check,
};

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    stack
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::InvalidValue)
        .map(|p| rule.finding(p.message.clone(), p.help.clone(), vec![Label::primary(p.span, "rejected value")]))
        .collect()
}
