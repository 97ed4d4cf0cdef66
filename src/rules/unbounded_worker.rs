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
    components: &["haproxy", "envoy", "nginx", "gunicorn", "php-fpm", "node"],
    summary: "an app server has no processing timeout behind a proxy that gives up: workers pile up after every 504",
    doc: include_str!("../../rules/SL102-unbounded-worker.md"),
    check,
};

fn check(stack: &Stack, rule: &Rule) -> Vec<Finding> {
    // One finding per app server, against the shortest finite read timeout in front of it.
    let mut best: Vec<(usize, crate::graph::Edge<'_>)> = Vec::new();
    let mut at: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
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
        match at.get(&callee) {
            Some(&i) => {
                let b = &mut best[i].1;
                if b.route.hop.read_timeout.ms.is_some_and(|x| r < x) {
                    *b = e;
                }
            }
            None => {
                at.insert(callee, best.len());
                best.push((callee, e));
            }
        }
    }
    best.into_iter().map(|(_, e)| finding(rule, &e)).collect()
}

fn finding(rule: &Rule, e: &crate::graph::Edge<'_>) -> Finding {
    let work = e.callee.work_timeout.as_ref().expect("filtered above");
    let read = &e.route.hop.read_timeout;
    let r = read.ms.unwrap_or_default();
    let caller = e.caller.who();
    let callee = e.callee.who();
    // Worker-pool servers run out of workers; an event-loop server (Node) keeps accepting, but
    // every abandoned request still holds its sockets, memory and downstream calls.
    let pile = if e.callee.component == crate::graph::Component::Node {
        "the handler keeps running after the client is gone, so slow requests accumulate in the process (memory, sockets, database connections) until it stalls"
    } else {
        "the worker keeps running until the request ends, so a few slow requests occupy every worker and the server stops answering (502/504 for everyone)"
    };
    let setting = match &work.origin {
        Origin::Default(f) => format!("`{}`", f.setting),
        _ => "its processing timeout".to_string(),
    };
    let message = format!(
        "{callee} `{}` never stops a request on its own ({}), but {caller} gives up after {}: {caller} answers 504 while {pile}",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::Timeout;
    use crate::graph::{Component, Endpoint, Hop, HopTarget, Host, Protocol, Route, Server, StackBuilder, Target};
    use crate::source::Span;

    fn stack(work: Option<Timeout>, read_ms: Option<u64>) -> Stack {
        let mut b = StackBuilder::new();
        let server = |component, role, work_timeout| Server {
            component,
            role,
            name: "x".into(),
            span: Span::new(1, 2),
            listeners: Vec::new(),
            work_timeout,
            keepalive: None,
            aliases: Vec::new(),
            notes: Vec::new(),
        };
        let proxy = b.add_server(server(Component::Nginx, Role::Proxy, None));
        let app = b.add_server(server(Component::Gunicorn, Role::App, work));
        b.add_listener(app, Endpoint::tcp(Host::Loopback, 8000), Span::new(3, 4), false);
        b.add_route(Route {
            server: proxy,
            name: "location /".into(),
            span: Span::new(5, 6),
            hop: Hop {
                protocol: Protocol::Http,
                span: Span::new(5, 6),
                target_span: Span::new(5, 6),
                target_text: "http://127.0.0.1:8000".into(),
                target: HopTarget::Direct(Target::new(Endpoint::tcp(Host::Loopback, 8000), Span::new(5, 6))),
                read_timeout: Timeout::explicit(read_ms, Span::new(7, 8)),
                read_semantics: "between two successive reads",
                connect_timeout: None,
                pool: None,
                pool_defeated: Vec::new(),
            },
        });
        b.link()
    }

    #[test]
    fn fires_for_any_app_server_without_a_limit() {
        // gunicorn `timeout = 0` behind proxy_read_timeout 60s.
        let s = stack(Some(Timeout::explicit(None, Span::new(9, 10))), Some(60_000));
        let f = check(&s, &RULE);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].anchor(), Span::new(9, 10));
        assert!(f[0].help.contains("55 s"), "{}", f[0].help);
        // Not for a bounded server, nor behind a proxy that waits forever too.
        assert!(check(&stack(Some(Timeout::explicit(Some(30_000), Span::new(9, 10))), Some(60_000)), &RULE).is_empty());
        assert!(check(&stack(Some(Timeout::explicit(None, Span::new(9, 10))), None), &RULE).is_empty());
        assert!(check(&stack(None, Some(60_000)), &RULE).is_empty());
        // And SL101 leaves this case to SL102.
        let s = stack(Some(Timeout::explicit(None, Span::new(9, 10))), Some(60_000));
        assert!(crate::rules::find("SL101").map(|r| (r.check)(&s, r)).unwrap().is_empty());
    }
}
