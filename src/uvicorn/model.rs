//! Puts uvicorn instances into the stack graph: one app [`Server`] per instance, its listener
//! (`127.0.0.1:8000` when nothing is written), the idle keep-alive timeout, and no processing
//! timeout: uvicorn never gives up on a slow request itself, so a caller's read timeout is the
//! only bound (`timeout-order` has nothing to compare against and stays silent).

use super::Instance;
use crate::graph::{Component, KeepAlive, Problem, ProblemKind, Role, Server, StackBuilder};

/// Adds every instance to the graph.
pub fn add(instances: &[Instance], b: &mut StackBuilder) {
    for inst in instances {
        // Values uvicorn rejects at start-up (rule SL401).
        for (span, message) in &inst.invalid {
            b.add_problem(Problem {
                kind: ProblemKind::InvalidValue,
                component: Component::Uvicorn,
                span: *span,
                message: format!("{message}; uvicorn refuses to start"),
                help:
                    "uvicorn reads ports, counts and `--timeout-keep-alive` as whole numbers: `--timeout-keep-alive 75`"
                        .into(),
            });
        }
        let mut notes = Vec::new();
        notes.push(format!("workers {}", inst.workers().map_or("?".to_string(), |w| w.to_string())));
        if let Some(s) = &inst.service {
            notes.push(format!("compose service {s}"));
        }
        notes.push(
            "no per-request timeout: a slow request runs until the caller gives up (the caller's read timeout is the only bound)"
                .into(),
        );
        if inst.reload {
            notes.push("--reload: a development server".into());
        }
        if inst.timeout_keep_alive.as_ref().is_some_and(|t| t.value.is_none()) {
            notes.push("timeout_keep_alive set at run time".into());
        }
        notes.extend(inst.notes.iter().cloned());
        let server = b.add_server(Server {
            component: Component::Uvicorn,
            role: Role::App,
            name: inst.name(),
            span: inst.span,
            listeners: Vec::new(),
            work_timeout: None,
            keepalive: inst.keepalive().map(KeepAlive::Idle),
            aliases: Vec::new(),
            notes,
        });
        for (endpoint, span, is_default) in inst.listeners() {
            b.add_listener(server, endpoint, span, is_default);
        }
        if let Some(s) = &inst.service {
            b.alias(server, s);
        }
    }
}
