//! SL102 unbounded-worker: an app server with no limit on how long it works on one request sits
//! behind a proxy that does give up. The proxy answers 504 and moves on; the worker keeps running
//! until the request ends. A handful of slow requests occupy every worker and the server stops
//! answering anyone: a 502/504 cascade.

use super::Rule;
use crate::diag::{Finding, Label, Severity};
use crate::duration::{fmt_ms, Origin};
use crate::graph::{Role, Stack};

pub static RULE: Rule = Rule {
    code: "SL102",
    name: "unbounded-worker",
    severity: Severity::Warning,
    components: &["nginx", "php-fpm", "gunicorn"],
    summary: "an app server has no processing timeout behind a proxy that gives up: workers pile up after every 504",
    doc: include_str!("../../rules/SL102-unbounded-worker.md"),
    check,
};

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    // One finding per app server, against the shortest finite read timeout in front of it.
    let mut best: Vec<(usize, crate::graph::Edge<'_>)> = Vec::new();
    for e in stack.edges() {
        if e.callee.role != Role::App {
            continue;
        }
        let Some(work) = &e.callee.work_timeout else {
            continue;
        };
        if work.ms.is_some() {
            continue;
        }
        let Some(r) = e.route.hop.read_timeout.ms else {
            continue;
        };
        let callee = e.listener.server;
        match best.iter_mut().find(|(c, _)| *c == callee) {
            Some((_, b)) => {
                if b.route.hop.read_timeout.ms.is_some_and(|x| r < x) {
                    *b = e;
                }
            }
            None => best.push((callee, e)),
        }
    }
    best.into_iter().map(|(_, e)| finding(rule, &e)).collect()
}

fn finding(rule: &Rule, e: &crate::graph::Edge<'_>) -> Finding {
    let work = e.callee.work_timeout.as_ref().expect("filtered above");
    let read = &e.route.hop.read_timeout;
    let r = read.ms.unwrap_or_default();
    let caller = e.caller.component.as_str();
    let callee = e.callee.component.as_str();
    let setting = match &work.origin {
        Origin::Default(f) => format!("`{}`", f.setting),
        _ => "its processing timeout".to_string(),
    };
    let message = format!(
        "{callee} `{}` never stops a request on its own ({}), but {caller} gives up after {}: {caller} answers 504 while the worker keeps running until the request ends, so a few slow requests occupy every worker and the server stops answering (502/504 for everyone)",
        e.callee.name,
        work.describe(),
        fmt_ms(read.ms)
    );
    let mut labels = vec![Label::primary(
        work.origin.span().unwrap_or(e.callee.span),
        format!("{callee} processing timeout: {}", fmt_ms(work.ms)),
    )];
    labels.push(Label::secondary(e.route.hop.span, format!("{} -> {}", e.route.name, e.target.endpoint)));
    match &read.origin {
        Origin::Explicit(s) | Origin::Inherited(s) if *s != e.route.hop.span => {
            labels.push(Label::secondary(*s, format!("{caller} read timeout {}", fmt_ms(read.ms))))
        }
        _ => {}
    }
    let suggested = ((r * 11 / 12) / 1000).max(1) * 1000;
    let read_note = if read.origin.is_default() { format!(" ({})", read.describe()) } else { String::new() };
    let help = format!(
        "set {callee}'s {setting} a little below {caller}'s read timeout{read_note}, e.g. {}, so that the server frees the worker itself (and logs which request was too slow) before {caller} gives up",
        fmt_ms(Some(suggested))
    );
    rule.finding(message, help, labels)
}
