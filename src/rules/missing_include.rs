//! SL303 missing-include: an `include` names a file that is not in the tree; nginx refuses to
//! start (`open() ... failed (2: No such file or directory)`).

use super::Rule;
use crate::diag::{Finding, Label, Severity};
use crate::graph::{ProblemKind, Stack};

pub static RULE: Rule = Rule {
    code: "SL303",
    name: "missing-include",
    severity: Severity::Error,
    components: &["nginx", "haproxy"],
    summary: "an include names a file that does not exist",
    doc: include_str!("../../rules/SL303-missing-include.md"),
    check,
};

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    stack
        .problems
        .iter()
        .filter(|p| p.kind == ProblemKind::MissingInclude)
        .map(|p| rule.finding(p.message.clone(), p.help.clone(), vec![Label::primary(p.span, "no such file")]))
        .collect()
}
