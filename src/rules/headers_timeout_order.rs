//! SL202 headers-timeout-order: a server's headers timeout is not longer than its keep-alive
//! timeout (Node `headersTimeout` <= `keepAliveTimeout`): an idle kept-alive connection can be
//! closed by the headers timer as the next request arrives, and the load balancer in front
//! answers 502 (nodejs/node#27363).

use super::Rule;
use crate::diag::{Finding, Label, Severity};
use crate::duration::fmt_ms;
use crate::graph::{KeepAlive, Stack};

pub static RULE: Rule = Rule {
    code: "SL202",
    name: "headers-timeout-order",
    severity: Severity::Warning,
    components: &["node"],
    summary: "a server's headers timeout is not longer than its keep-alive timeout",
    doc: include_str!("../../rules/SL202-headers-timeout-order.md"),
    check,
};

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    let mut out = Vec::new();
    for (id, headers) in &stack.headers_timeouts {
        let server = &stack.servers[*id];
        let Some(KeepAlive::Idle(ka)) = &server.keepalive else {
            continue;
        };
        let (Some(h), Some(k)) = (headers.ms, ka.ms) else {
            continue;
        };
        // Both defaults: the component ships this pair itself; only a changed value is a mistake.
        if h > k || (headers.origin.is_default() && ka.origin.is_default()) {
            continue;
        }
        let comp = server.component.as_str();
        let ka_span = ka.origin.span().unwrap_or(server.span);
        let mut labels = vec![Label::primary(ka_span, format!("keep-alive timeout {}", ka.describe()))];
        match headers.origin.span() {
            Some(s) => labels.push(Label::secondary(s, format!("headers timeout {}", fmt_ms(headers.ms)))),
            None => labels.push(Label::secondary(server.span, format!("headers timeout {}", headers.describe()))),
        }
        out.push(rule.finding(
            format!(
                "{comp} keeps idle connections for {} but waits only {} for request headers: a kept-alive connection can be closed as the next request arrives, and the load balancer in front answers 502",
                fmt_ms(ka.ms),
                fmt_ms(headers.ms)
            ),
            format!(
                "set `headersTimeout` above `keepAliveTimeout`, e.g. `server.headersTimeout = {};` (nodejs/node#27363)",
                k + 1000
            ),
            labels,
        ));
    }
    out
}
