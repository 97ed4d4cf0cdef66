//! Puts Node servers into the stack graph: one app server per server found in the source, with
//! its listener (port from the environment first, then the default written in the source),
//! keep-alive (`keepAliveTimeout`), processing bound (`server.timeout`) and headers timeout,
//! each explicit or Node's default for the app's Node version.

use super::defaults::{self, NodeVersion};
use super::source::{Framework, Setting, Val};
use super::{NodeApp, NodeTree, ServerSite};
use crate::duration::{fmt_ms, DefaultFact, Timeout};
use crate::files::clean;
use crate::graph::{Component, Endpoint, Host, KeepAlive, Problem, ProblemKind, Role, Server, StackBuilder};
use crate::source::Span;

/// A setting resolved against the app's environment.
enum Resolved {
    Num(f64, Span),
    Str(String, Span),
    /// `process.env.X` unset with no fallback.
    Unset(String),
    Dynamic,
}

struct Env<'a> {
    app: &'a NodeApp,
    /// PM2 env for this server's script (highest priority).
    pm2: Vec<(String, String, Span)>,
}

impl Env<'_> {
    fn get(&self, key: &str) -> Option<(String, Span, String)> {
        if let Some((_, v, s)) = self.pm2.iter().rev().find(|e| e.0 == key) {
            return Some((v.clone(), *s, "pm2 env".into()));
        }
        self.app.env.iter().rev().find(|e| e.key == key).map(|e| (e.value.clone(), e.span, e.from.clone()))
    }
}

fn resolve(site: &ServerSite, env: &Env<'_>, s: &Setting, notes: &mut Vec<String>) -> Resolved {
    let span = site.span(s.span);
    match &s.value {
        Val::Num(n) => Resolved::Num(*n, span),
        Val::Str(t) => Resolved::Str(t.clone(), span),
        Val::Env { var, default } => match env.get(var) {
            Some((v, at, from)) => {
                notes.push(format!("{var}={v} from {from}"));
                match v.trim().parse::<f64>() {
                    Ok(n) => Resolved::Num(n, at),
                    Err(_) => Resolved::Str(v, at),
                }
            }
            None => match default.as_deref() {
                Some(d) => resolve(site, env, &Setting { value: d.clone(), span: s.span }, notes),
                None => Resolved::Unset(var.clone()),
            },
        },
        Val::Func => Resolved::Dynamic,
        Val::Unknown(_) => Resolved::Dynamic,
    }
}

/// A timeout setting, or the default; `None` when it is decided at run time.
fn timeout(
    site: &ServerSite,
    env: &Env<'_>,
    name: &str,
    s: Option<&Setting>,
    default: &'static DefaultFact,
    notes: &mut Vec<String>,
    problems: &mut Vec<Problem>,
) -> Option<Timeout> {
    let Some(s) = s else {
        return Some(Timeout::default(default));
    };
    match resolve(site, env, s, notes) {
        Resolved::Num(n, at) if n.is_finite() && n >= 0.0 => {
            let ms = n as u64;
            if ms > 0 && ms < 1000 && name != "timeout" {
                problems.push(Problem {
                    kind: ProblemKind::SuspiciousUnit,
                    component: Component::Node,
                    span: at,
                    message: format!(
                        "`{name}` is {ms} ms: Node reads it in milliseconds, so this is almost certainly seconds written as milliseconds"
                    ),
                    help: format!("write `{}` for {ms} seconds", ms * 1000),
                });
            }
            Some(Timeout::explicit((ms > 0).then_some(ms), at))
        }
        Resolved::Str(t, at) => match t.trim().parse::<u64>() {
            Ok(ms) => Some(Timeout::explicit((ms > 0).then_some(ms), at)),
            Err(_) => {
                notes.push(format!("{name} = {t:?} is not a number"));
                None
            }
        },
        Resolved::Unset(var) => {
            // Number(undefined) is NaN: Node rejects it, so treat as unknown.
            notes.push(format!("{name} reads process.env.{var}, which is not set anywhere"));
            None
        }
        Resolved::Num(..) | Resolved::Dynamic => {
            let text = match &s.value {
                Val::Unknown(t) => t.clone(),
                _ => "a run-time value".into(),
            };
            notes.push(format!("{name} decided at run time: {text}"));
            None
        }
    }
}

/// PM2 env of the app whose `script` is this server's file.
fn pm2_env(app: &NodeApp, site: &ServerSite) -> (Vec<(String, String, Span)>, Option<String>) {
    for p in &app.pm2 {
        let Some(script) = &p.app.script else {
            continue;
        };
        let base = match &p.app.cwd {
            Some(c) => p.dir.join(c),
            None => p.dir.clone(),
        };
        if clean(&base.join(script)) == site.path {
            let env = p
                .app
                .env
                .iter()
                .map(|(k, v, s)| (k.clone(), v.clone(), Span::new(p.base + s.0, p.base + s.1)))
                .collect();
            return (env, p.app.instances.clone());
        }
    }
    (Vec::new(), None)
}

/// Adds every Node server of the tree to the graph.
pub fn add(tree: &NodeTree, b: &mut StackBuilder) {
    for app in &tree.apps {
        for site in &app.servers {
            add_server(app, site, b);
        }
    }
}

fn add_server(app: &NodeApp, site: &ServerSite, b: &mut StackBuilder) {
    let js = &site.js;
    let (pm2, instances) = pm2_env(app, site);
    let env = Env { app, pm2 };
    let v: &NodeVersion = &app.version;
    let mut notes = vec![format!("{} server", js.framework.as_str())];
    match &v.from {
        Some(from) => notes.push(format!("Node v{} ({from})", v.major)),
        None => notes.push(format!(
            "Node v{} assumed (no version in engines, .nvmrc, .node-version or Dockerfile FROM)",
            v.major
        )),
    }
    let mut problems = Vec::new();
    let fastify = js.framework == Framework::Fastify;
    let ka_default = if fastify { &defaults::FASTIFY_KEEPALIVE } else { v.keepalive() };
    let keepalive =
        timeout(site, &env, "keepAliveTimeout", js.keep_alive_timeout.as_ref(), ka_default, &mut notes, &mut problems);
    let headers = timeout(
        site,
        &env,
        "headersTimeout",
        js.headers_timeout.as_ref(),
        v.headers_timeout(),
        &mut notes,
        &mut problems,
    );
    let request = timeout(
        site,
        &env,
        "requestTimeout",
        js.request_timeout.as_ref(),
        v.request_timeout(),
        &mut notes,
        &mut problems,
    );
    let to_default = if fastify { &defaults::FASTIFY_CONNECTION_TIMEOUT } else { v.timeout() };
    let sock_timeout = timeout(site, &env, "timeout", js.timeout.as_ref(), to_default, &mut notes, &mut problems);
    if let Some(h) = &headers {
        notes.push(format!("headersTimeout {}", h.describe()));
    }
    if let Some(r) = &request {
        notes.push(format!("requestTimeout {} (time to receive the request, not to handle it)", r.describe()));
    }
    if let Some(n) = &instances {
        notes.push(format!("pm2 instances: {n}"));
    }
    // Node's per-request bound on the handler is the socket inactivity timeout
    // (`server.timeout`); `requestTimeout` only bounds receiving the request (408 before the
    // handler runs), so it is not a processing timeout.
    let work_timeout = sock_timeout;
    let server = Server {
        component: Component::Node,
        role: Role::App,
        name: format!("node {}", site.file),
        span: site.span(js.span),
        listeners: Vec::new(),
        work_timeout,
        keepalive: keepalive.map(KeepAlive::Idle),
        aliases: Vec::new(),
        notes: Vec::new(),
    };
    let id = b.add_server(server);
    if let Some(h) = headers {
        b.set_headers_timeout(id, h);
    }
    // Listener.
    match &js.listen {
        None => notes.push("no listen() call found in this file".into()),
        Some(l) => {
            let host = match l.host.as_ref().map(|h| resolve(site, &env, h, &mut notes)) {
                Some(Resolved::Str(h, _)) => Host::parse(&h),
                Some(Resolved::Unset(_)) | None if fastify => Host::Loopback,
                Some(Resolved::Unset(_)) | None => Host::Any,
                Some(Resolved::Num(..)) | Some(Resolved::Dynamic) => {
                    notes.push("listen host decided at run time".into());
                    Host::Any
                }
            };
            if fastify && l.host.is_none() {
                notes.push("fastify listens on localhost unless `host` is given".into());
            }
            let port = match &l.port {
                None => Resolved::Unset(String::new()),
                Some(p) => resolve(site, &env, p, &mut notes),
            };
            match port {
                Resolved::Num(n, at) if n > 0.0 && n < 65536.0 && n.fract() == 0.0 => {
                    b.add_listener(id, Endpoint::tcp(host, n as u16), at, false);
                }
                Resolved::Str(s, at) if s.trim().parse::<u16>().is_ok_and(|p| p > 0) => {
                    let p: u16 = s.trim().parse().unwrap_or(0);
                    b.add_listener(id, Endpoint::tcp(host, p), at, false);
                }
                Resolved::Str(s, at) if s.starts_with('/') || s.starts_with('.') => {
                    b.add_listener(id, Endpoint::Unix(s), at, false);
                }
                Resolved::Unset(var) => {
                    let why = if var.is_empty() {
                        "listen() without a port".to_string()
                    } else {
                        format!("process.env.{var} is not set anywhere and has no fallback")
                    };
                    notes.push(format!("{why}: the OS picks a random port, so no proxy can reach it"));
                }
                Resolved::Num(0.0, _) => {
                    notes.push("listen(0): the OS picks a random port".into());
                }
                _ => notes.push("listen port decided at run time".into()),
            }
        }
    }
    if let Some(KeepAlive::Idle(k)) = &b.stack.servers[id].keepalive {
        notes.insert(2, format!("keepAliveTimeout {}", k.describe()));
    }
    if let Some(w) = &b.stack.servers[id].work_timeout {
        if w.ms.is_some() {
            notes.push(format!("timeout (socket inactivity) {}", fmt_ms(w.ms)));
        }
    }
    b.stack.servers[id].notes = notes;
    for p in problems {
        b.add_problem(p);
    }
}
