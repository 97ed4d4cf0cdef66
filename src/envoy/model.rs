//! Puts Envoy processes into the stack graph: each listener is a proxy server (client keep-alive =
//! the HCM's downstream `idle_timeout`; work timeout = its longest route timeout, so Envoy can be
//! the callee of an outer layer), each route with an upstream is a route whose hop carries the
//! route timeout (whole response, retries included) and the cluster's connect timeout, and each
//! cluster with static endpoints is a group whose pool is the upstream `idle_timeout` (Envoy
//! always pools upstream HTTP connections).

use super::config::{Action, ClusterCfg, Hcm, ListenerCfg, RouteCfg, Routes, Setting};
use super::defaults;
use super::Instance;
use crate::duration::{fmt_ms, Timeout};
use crate::graph::addr::edit_distance;
use crate::graph::{
    Component, Group, Hop, HopTarget, KeepAlive, Pool, Protocol, Role, Route, Server, StackBuilder, Target,
};
use crate::source::Span;
use std::collections::HashMap;

/// What a cluster name resolves to inside one Envoy process.
enum ClusterRef {
    Group {
        id: usize,
        connect: Timeout,
    },
    /// EDS, ORIGINAL_DST, custom types: endpoints arrive at run time.
    Dynamic {
        kind: String,
        connect: Timeout,
    },
}

fn setting(s: &Option<Setting>, default: &'static crate::duration::DefaultFact) -> Timeout {
    match s {
        Some(s) => Timeout::explicit(s.ms, s.span),
        None => Timeout::default(default),
    }
}

/// Adds every Envoy process to the graph.
pub fn add(instances: &[Instance], b: &mut StackBuilder) {
    for inst in instances {
        add_instance(inst, b);
    }
}

fn add_instance(inst: &Instance, b: &mut StackBuilder) {
    for f in &inst.files {
        for p in &f.problems {
            b.add_problem(p.clone());
        }
    }
    let mut clusters: HashMap<&str, ClusterRef> = HashMap::new();
    for f in &inst.files {
        for c in &f.clusters {
            if clusters.contains_key(c.name.as_str()) {
                continue;
            }
            let r = cluster(c, b);
            clusters.insert(&c.name, r);
        }
    }
    for f in &inst.files {
        for l in &f.listeners {
            listener(inst, &f.source, l, &clusters, b);
        }
    }
}

fn cluster(c: &ClusterCfg, b: &mut StackBuilder) -> ClusterRef {
    let connect = setting(&c.connect_timeout, &defaults::CONNECT_TIMEOUT);
    if c.endpoints_are_dynamic() {
        return ClusterRef::Dynamic { kind: c.kind.clone(), connect };
    }
    let pool = match c.one_request_per_connection {
        Some(_) => None,
        None => Some(Pool {
            idle: setting(&c.idle_timeout, &defaults::UPSTREAM_IDLE_TIMEOUT),
            enabled_at: None,
            default_note: Some(defaults::UPSTREAM_POOL_NOTE.to_string()),
            http2: c.http2,
        }),
    };
    let id = b.add_group(Group {
        component: Component::Envoy,
        name: c.name.clone(),
        span: c.span,
        targets: c.endpoints.iter().map(|(ep, span)| Target::new(ep.clone(), *span)).collect(),
        pool,
        resolves: matches!(c.kind.as_str(), "STRICT_DNS" | "LOGICAL_DNS"),
    });
    ClusterRef::Group { id, connect }
}

fn listener(
    inst: &Instance,
    file: &crate::source::SourceFile,
    l: &ListenerCfg,
    clusters: &HashMap<&str, ClusterRef>,
    b: &mut StackBuilder,
) {
    let line = file.line_col(file.local(l.span.start)).line;
    let name = if l.name.is_empty() {
        format!("listener ({}:{line})", file.display)
    } else {
        format!("listener {} ({}:{line})", l.name, file.display)
    };
    let keepalive =
        l.hcms.first().map(|h| KeepAlive::Idle(setting(&h.idle_timeout, &defaults::DOWNSTREAM_IDLE_TIMEOUT)));
    let sid = b.add_server(Server {
        component: Component::Envoy,
        role: Role::Proxy,
        name,
        span: l.span,
        listeners: Vec::new(),
        work_timeout: None,
        keepalive,
        aliases: Vec::new(),
        notes: Vec::new(),
    });
    if let Some((ep, span)) = &l.address {
        b.add_listener(sid, ep.clone(), *span, false);
    }
    // Client-address trust (xff_num_trusted_hops) and RBAC access lists.
    super::trust::listener(l, sid, b);
    for h in &l.hcms {
        match &h.routes {
            Routes::Inline { routes, validate_clusters } => {
                for r in routes {
                    route(inst, sid, h, r, *validate_clusters, clusters, b);
                }
            }
            Routes::Rds { name, .. } => {
                b.stack.servers[sid].notes.push(format!("routes come from RDS `{name}`: not checked"))
            }
            Routes::None => {}
        }
    }
}

/// How long a route waits for its upstream's response: the route timeout (whole response,
/// retries included; default 15 s, `0s` disables it), unless the stream idle timeout (route
/// `idle_timeout`, else the HCM's `stream_idle_timeout`, default 5 min) fires first: a slow
/// upstream sends nothing until its response, so that one bounds the wait too.
fn read_timeout(h: &Hcm, r: &RouteCfg) -> (Timeout, &'static str) {
    let total = setting(&r.timeout, &defaults::ROUTE_TIMEOUT);
    let idle = match &r.idle_timeout {
        Some(s) => Timeout::explicit(s.ms, s.span),
        None => setting(&h.stream_idle_timeout, &defaults::STREAM_IDLE_TIMEOUT),
    };
    match (total.ms, idle.ms) {
        (Some(t), Some(i)) if i < t => (idle, "inactivity (stream idle timeout)"),
        (None, Some(_)) => (idle, "inactivity (stream idle timeout; route timeout disabled)"),
        _ => (total, "whole response, including retries"),
    }
}

fn route(
    inst: &Instance,
    sid: usize,
    h: &Hcm,
    r: &RouteCfg,
    validate_clusters: Option<bool>,
    clusters: &HashMap<&str, ClusterRef>,
    b: &mut StackBuilder,
) {
    let (read, semantics) = read_timeout(h, r);
    let mut name = format!("route {}", r.matcher);
    if !r.vhost.is_empty() {
        name.push_str(&format!(" (virtual host {})", r.vhost));
    }
    if let Some(n) = r.num_retries {
        let per_try = match &r.per_try_timeout {
            Some(Setting { ms: Some(ms), .. }) => format!(", {} per try", fmt_ms(Some(*ms))),
            _ => String::new(),
        };
        b.stack.servers[sid]
            .notes
            .push(format!("{name}: up to {n} retries{per_try}, all within the route timeout ({read})"));
    }
    let targets: Vec<(String, Span, Span, String)> = match &r.action {
        Action::Cluster { name: c, span, pair } => vec![(c.clone(), *span, *pair, String::new())],
        Action::Weighted(ws) => ws.iter().map(|(c, s, p)| (c.clone(), *s, *p, format!(" -> weighted {c}"))).collect(),
        Action::Dynamic { text, pair } => {
            let hop = hop(
                *pair,
                *pair,
                text.clone(),
                HopTarget::Dynamic { text: text.clone(), has_resolver: true },
                read,
                semantics,
                None,
            );
            b.add_route(Route { server: sid, name, span: r.span, hop });
            return;
        }
        Action::Local => return,
    };
    for (cluster, span, pair, suffix) in targets {
        let (target, connect) = match clusters.get(cluster.as_str()) {
            Some(ClusterRef::Group { id, connect }) => (HopTarget::Group(*id), Some(connect.clone())),
            Some(ClusterRef::Dynamic { kind, connect }) => (
                HopTarget::Dynamic {
                    text: format!("cluster {cluster} ({kind}: endpoints arrive at run time)"),
                    has_resolver: true,
                },
                Some(connect.clone()),
            ),
            None if inst.open => {
                (HopTarget::Dynamic { text: format!("cluster {cluster} (from CDS)"), has_resolver: true }, None)
            }
            None => (
                HopTarget::Missing { name: cluster.clone(), why: missing_why(&cluster, validate_clusters, clusters) },
                None,
            ),
        };
        let hop = hop(pair, span, cluster.clone(), target, read.clone(), semantics, connect);
        b.add_route(Route { server: sid, name: format!("{name}{suffix}"), span: r.span, hop });
    }
}

fn hop(
    span: Span,
    target_span: Span,
    target_text: String,
    target: HopTarget,
    read_timeout: Timeout,
    read_semantics: &'static str,
    connect_timeout: Option<Timeout>,
) -> Hop {
    Hop {
        protocol: Protocol::Http,
        span,
        target_span,
        target_text,
        target,
        read_timeout,
        read_semantics,
        connect_timeout,
        pool: None,
        pool_defeated: Vec::new(),
    }
}

fn missing_why(name: &str, validate_clusters: Option<bool>, clusters: &HashMap<&str, ClusterRef>) -> String {
    let mut why = if validate_clusters == Some(false) {
        format!("no cluster named `{name}`; with `validate_clusters: false` Envoy loads the routes and fails every request on this one (cluster not found)")
    } else {
        format!("no cluster named `{name}`: Envoy rejects a static route_config that names an unknown cluster and does not start")
    };
    let nearest = clusters
        .keys()
        .map(|k| (edit_distance(k, name), *k))
        .filter(|(d, k)| *d <= (k.len().max(name.len()) / 2).max(2))
        .min();
    if let Some((_, k)) = nearest {
        why.push_str(&format!("; did you mean `{k}`?"));
    }
    why
}
