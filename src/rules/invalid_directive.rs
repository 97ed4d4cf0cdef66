//! SL404 invalid-directive: a directive nginx refuses at start-up (`nginx -t` fails): unknown,
//! out of its context, a wrong number of arguments, an invalid value, a duplicate. The server
//! never starts: every request is a 502. The checks are in `nginx::directives`.

use super::Rule;
use crate::diag::{Finding, Label, Severity};
use crate::graph::{ProblemKind, Stack};

pub static RULE: Rule = Rule {
    code: "SL404",
    name: "invalid-directive",
    severity: Severity::Error,
    components: &["nginx"],
    summary:
        "a directive nginx refuses at start-up: unknown, out of its context, wrong arguments, invalid value, duplicate",
    doc: include_str!("../../rules/SL404-invalid-directive.md"),
    check,
};

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    stack
        .problems
        .iter()
        .filter_map(|p| {
            let warning = match p.kind {
                ProblemKind::InvalidDirective => false,
                // An unknown directive where dynamic modules are loaded may be one of theirs.
                ProblemKind::UnknownDirectiveWithModules => true,
                _ => return None,
            };
            let mut f =
                rule.finding(p.message.clone(), p.help.clone(), vec![Label::primary(p.span, "nginx -t fails here")]);
            if warning {
                f.severity = Severity::Warning;
            }
            Some(f)
        })
        .collect()
}
