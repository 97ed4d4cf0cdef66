//! SL101 timeout-order: a caller gives up on a request before (or exactly when) the server behind
//! it would: the user gets a 504 from the caller while the app keeps working.

use super::Rule;
use crate::diag::{Finding, Label, Severity};
use crate::duration::{fmt_ms, Origin};
use crate::graph::Stack;

pub static RULE: Rule = Rule {
    code: "SL101",
    name: "timeout-order",
    severity: Severity::Warning,
    components: &["edge", "haproxy", "envoy", "nginx", "gunicorn", "uvicorn", "php-fpm", "node"],
    summary: "a proxy's read timeout is not longer than the processing timeout of the server behind it",
    doc: include_str!("../../rules/SL101-timeout-order.md"),
    check,
};

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    let mut out = Vec::new();
    // One finding per (cause, callee): ten locations inheriting one http-level timeout are one
    // mistake, not ten.
    let mut seen: std::collections::HashSet<(Option<crate::source::Span>, usize, String)> =
        std::collections::HashSet::new();
    for e in stack.edges() {
        let Some(work) = &e.callee.work_timeout else {
            continue;
        };
        let read = &e.route.hop.read_timeout;
        let Some(r) = read.ms else { continue };
        // An app server that runs as long as the proxy waits may still be cut off by it; a proxy
        // behind a proxy answers 504 itself when its own timer fires, so only a strictly shorter
        // outer timeout loses a response. An app server with no limit at all is SL102
        // unbounded-worker's case.
        let too_short = match work.ms {
            Some(w) if e.callee.role == crate::graph::Role::Proxy => r < w,
            Some(w) => r <= w,
            None if e.callee.role == crate::graph::Role::App => continue,
            None => true,
        };
        if !too_short {
            continue;
        }
        let callee_id = e.listener.server;
        let key = (read.origin.span(), callee_id, read.describe());
        if !seen.insert(key) {
            continue;
        }
        let caller = e.caller.who();
        let callee = e.callee.who();
        let w = fmt_ms(work.ms);
        let w_role = if e.callee.role == crate::graph::Role::Proxy { "waits up to" } else { "lets a request run for" };
        let message = match work.ms {
            Some(_) => format!(
                "{caller} gives up after {} but {callee} {w_role} {w}: requests between the two get a 504 from {caller} while {callee} keeps working",
                fmt_ms(read.ms)
            ),
            None => format!(
                "{caller} gives up after {} but {callee} has no processing timeout: slow requests get a 504 from {caller} while {callee} keeps working",
                fmt_ms(read.ms)
            ),
        };
        let mut labels = vec![Label::primary(e.route.hop.span, format!("{} -> {}", e.route.name, e.target.endpoint))];
        match &read.origin {
            Origin::Explicit(s) | Origin::Inherited(s) if *s != e.route.hop.span => {
                labels.push(Label::secondary(*s, format!("read timeout {}", fmt_ms(read.ms))))
            }
            _ => {}
        }
        let callee_span = work.origin.span().unwrap_or(e.callee.span);
        labels.push(Label::secondary(
            callee_span,
            if e.callee.role == crate::graph::Role::Proxy {
                format!("{callee} waits up to {} for its upstream", work.describe())
            } else {
                format!("{callee} processing timeout: {}", work.describe())
            },
        ));
        let read_note = if read.origin.is_default() { format!(" ({})", read.describe()) } else { String::new() };
        let suggested = work.ms.map(|w| fmt_ms(Some(w + w / 10 + 5_000))).unwrap_or_else(|| "a bound".into());
        let help = format!(
            "make the outer timeout the longer one: raise the read timeout{read_note} to at least {suggested}, or lower {callee}'s timeout below {}; the innermost layer should give up first so it can answer with its own error",
            fmt_ms(read.ms)
        );
        out.push(rule.finding(message, help, labels));
    }
    out
}
