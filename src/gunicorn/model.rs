//! Puts gunicorn instances into the stack graph: one app [`Server`] per instance, a listener per
//! bind, the worker timeout and what happens to idle client connections.

use super::{defaults, Instance};
use crate::duration::Origin;
use crate::graph::{Component, KeepAlive, Problem, ProblemKind, Role, Server, StackBuilder};

/// Adds every instance to the graph.
pub fn add(instances: &[Instance], b: &mut StackBuilder) {
    for inst in instances {
        // Values gunicorn rejects at start-up (rule SL401).
        for (span, message) in &inst.invalid {
            b.add_problem(Problem {
                kind: ProblemKind::InvalidValue,
                component: Component::Gunicorn,
                span: *span,
                message: format!("{message}; gunicorn refuses to start"),
                help: "gunicorn reads timeouts and counts as whole numbers (`int(value, 0)`): `timeout = 30`".into(),
            });
        }
        let mut notes = Vec::new();
        let workers = inst.workers().map_or("?".to_string(), |w| w.to_string());
        let class = inst.worker_class();
        let threads = inst.threads();
        notes.push(format!("workers {workers}"));
        notes.push(format!("worker class {}", class.as_deref().unwrap_or("? (set at run time)")));
        notes.push(format!("threads {}", threads.map_or("?".to_string(), |t| t.to_string())));
        if let Some(s) = &inst.service {
            notes.push(format!("compose service {s}"));
        }
        if inst.timeout.as_ref().is_some_and(|t| t.value.is_none()) {
            notes.push("timeout set at run time".into());
        }
        if class.as_deref().is_some_and(|c| c.ends_with("UvicornWorker") || c.ends_with("UvicornH11Worker")) {
            // uvicorn/workers.py: `"timeout_keep_alive": self.cfg.keepalive`.
            notes.push(format!(
                "uvicorn worker: uvicorn's timeout_keep_alive is gunicorn's keepalive ({}), not uvicorn's own default of 5 s",
                inst.keepalive().map_or("set at run time".to_string(), |k| k.to_string())
            ));
        }
        notes.extend(inst.notes.iter().cloned());

        let keepalive = match class.as_deref() {
            Some("sync") => {
                let origin = match &inst.worker_class {
                    Some(s) => Origin::Explicit(s.span),
                    None => Origin::Default(&defaults::WORKER_CLASS),
                };
                Some(KeepAlive::ClosesEach {
                    why: "gunicorn's sync worker closes every connection (Connection: close)".into(),
                    origin,
                })
            }
            // Every other worker (gthread, gevent, eventlet, asgi, uvicorn.workers.UvicornWorker,
            // which maps gunicorn's keepalive onto uvicorn's timeout_keep_alive) uses `keepalive`.
            Some(_) => inst.keepalive().map(KeepAlive::Idle),
            None => None,
        };

        let server = b.add_server(Server {
            component: Component::Gunicorn,
            role: Role::App,
            name: inst.name(),
            span: inst.span,
            listeners: Vec::new(),
            work_timeout: inst.timeout(),
            keepalive,
            aliases: Vec::new(),
            notes,
        });
        for (endpoint, span, is_default) in inst.binds() {
            b.add_listener(server, endpoint, span, is_default);
        }
        if let Some(s) = &inst.service {
            b.alias(server, s);
        }
    }
}
