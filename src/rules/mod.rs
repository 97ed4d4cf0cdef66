//! The rule registry. Each rule lives in its own file, has a stable code, a kebab-case name, a
//! default severity and a doc page `rules/<CODE>-<name>.md`; `stacklint rules`, `explain`, the
//! JSON/SARIF metadata and the README table all come from [`RULES`].
//!
//! Rules read the stack graph only: they never look at config text.

mod cdn_range_foreign;
mod cdn_range_missing;
mod headers_timeout_order;
mod invalid_directive;
mod invalid_value;
mod keepalive_race;
mod missing_include;
mod missing_timeout;
mod missing_upstream;
mod port_mismatch;
mod real_ip_header_mismatch;
mod stale_cdn_range;
mod suspicious_unit;
mod timeout_order;
mod unbounded_worker;
mod unused_suppression;

use crate::diag::{Finding, Label, Severity};
use crate::graph::Stack;

/// A rule: metadata and its check.
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// Components the rule reads.
    pub components: &'static [&'static str],
    pub summary: &'static str,
    /// The doc page (`rules/<CODE>-<name>.md`).
    pub doc: &'static str,
    pub check: fn(&Stack, &Rule) -> Vec<Finding>,
}

impl Rule {
    /// A finding of this rule at its default severity.
    /// Labels on the same span are merged into one (an edge declared on one line of
    /// stacklint.toml is at once the pool, its timeout and the caller).
    pub fn finding(&self, message: String, help: String, labels: Vec<Label>) -> Finding {
        let mut merged: Vec<Label> = Vec::with_capacity(labels.len());
        for l in labels {
            match merged.iter_mut().find(|m| m.span == l.span) {
                Some(m) => {
                    m.message = format!("{}; {}", m.message, l.message);
                    m.primary |= l.primary;
                }
                None => merged.push(l),
            }
        }
        Finding { code: self.code, name: self.name, severity: self.severity, message, help, labels: merged }
    }
}

/// Every rule, in code order.
pub static RULES: &[&Rule] = &[
    &timeout_order::RULE,
    &unbounded_worker::RULE,
    &keepalive_race::RULE,
    &headers_timeout_order::RULE,
    &missing_upstream::RULE,
    &port_mismatch::RULE,
    &missing_include::RULE,
    &invalid_value::RULE,
    &suspicious_unit::RULE,
    &missing_timeout::RULE,
    &invalid_directive::RULE,
    &cdn_range_missing::RULE,
    &cdn_range_foreign::RULE,
    &real_ip_header_mismatch::RULE,
    &stale_cdn_range::RULE,
    // Meta rules (findings about stacklint's own comments) last.
    &unused_suppression::RULE,
];

/// Looks a rule up by code (`SL101`) or name (`timeout-order`), case-insensitively.
pub fn find(key: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.code.eq_ignore_ascii_case(key) || r.name.eq_ignore_ascii_case(key))
}

/// Runs every rule over the graph. Findings come out sorted by primary location, then code.
pub fn run(stack: &Stack) -> Vec<Finding> {
    use rayon::prelude::*;
    // Rules are independent: run them side by side (the collected order is the registry's).
    let mut out: Vec<Finding> = RULES.par_iter().flat_map_iter(|r| (r.check)(stack, r)).collect();
    out.sort_by_key(|f| (f.anchor(), f.code));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn registry_is_consistent() {
        let mut codes = std::collections::HashSet::new();
        for r in RULES {
            assert!(codes.insert(r.code), "duplicate code {}", r.code);
            assert!(
                r.doc.starts_with(&format!("# {} {}", r.code, r.name)),
                "doc of {} must start with its title",
                r.code
            );
            assert!(r.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
        }
        assert_eq!(find("timeout-order").map(|r| r.code), Some("SL101"));
        assert_eq!(find("sl201").map(|r| r.name), Some("keepalive-race"));
    }
}
