//! The layers no file describes: a CDN or cloud load balancer in front of the configs, declared in
//! `stacklint.toml` (`edge = "cloudflare"`). Each preset holds the provider's documented timeouts,
//! dated and sourced (`/work/shared/knowledge/defaults.md` §7); `[edge]` keys override them.

use crate::cdn::data::bundled;
use crate::cdn::{parse_net, uncovered};
use crate::duration::{Origin, Timeout};
use crate::graph::{
    Component, EdgeRanges, Endpoint, Hop, HopTarget, Pool, Protocol, Role, Route, Server, Stack, Target,
};
use crate::source::{At, SourceFile, Span};
use ipnet::IpNet;

/// `[edge]`: the layer in front of the configs.
#[derive(Clone, Debug, Default)]
pub struct EdgeConfig {
    pub provider: Option<At<String>>,
    /// Overrides of the preset, in milliseconds.
    pub read_timeout: Option<At<u64>>,
    pub idle_timeout: Option<At<u64>>,
    /// Listeners it sends to (`"127.0.0.1:80"`, `"nginx"`), default: every entry listener.
    pub targets: Vec<At<String>>,
    /// `cdn_ranges = "path"`: the user's own copy of the provider's address ranges (relative to
    /// stacklint.toml's directory), replacing the bundled list.
    pub cdn_ranges: Option<At<String>>,
    /// `trusted_proxies = ["10.0.0.0/8"]`: the user's own proxies and load balancers, which trust
    /// lists may hold besides the provider's ranges.
    pub trusted_proxies: Vec<At<String>>,
    /// Where `edge` was declared.
    pub span: Option<Span>,
}

/// A provider's documented behaviour towards the origin.
#[derive(Debug)]
pub struct Preset {
    pub name: &'static str,
    pub title: &'static str,
    /// How long it waits for the origin's response before answering the client itself.
    pub read_timeout_ms: u64,
    /// The status it answers with when `read_timeout_ms` fires.
    pub timeout_status: &'static str,
    pub read_semantics: &'static str,
    /// How long it keeps an idle connection to the origin for reuse (`None`: not documented).
    pub pool_idle_ms: Option<u64>,
    /// The status a client sees when the origin closes a reused connection under a request.
    pub race_status: &'static str,
    pub connect_timeout_ms: Option<u64>,
    /// When and where the figures were read.
    pub source: &'static str,
}

pub static PRESETS: &[Preset] = &[
    Preset {
        name: "cloudflare",
        title: "Cloudflare",
        read_timeout_ms: 120_000,
        timeout_status: "524",
        read_semantics: "time to first byte / between reads (Proxy Read Timeout)",
        pool_idle_ms: Some(900_000),
        race_status: "520",
        connect_timeout_ms: Some(19_000),
        source: "Cloudflare docs, connection-limits and error-524 (2026-07; older pages say 100 s read timeout)",
    },
    Preset {
        name: "aws-alb",
        title: "AWS Application Load Balancer",
        read_timeout_ms: 60_000,
        timeout_status: "504",
        read_semantics: "idle timeout: no data in either direction",
        pool_idle_ms: Some(60_000),
        race_status: "502",
        connect_timeout_ms: Some(10_000),
        source: "AWS ELB user guide, application-load-balancers.md and troubleshooting (idle_timeout.timeout_seconds default 60)",
    },
    Preset {
        name: "gcp-lb",
        title: "Google Cloud external Application Load Balancer",
        read_timeout_ms: 30_000,
        timeout_status: "502",
        read_semantics: "backend service timeout: whole response",
        pool_idle_ms: Some(610_000),
        race_status: "502",
        connect_timeout_ms: None,
        source: "googleapis backend service `timeoutSec` default 30 s; `httpKeepAliveTimeoutSec` 610 s (secondary sources, 2026)",
    },
    Preset {
        name: "fastly",
        title: "Fastly",
        read_timeout_ms: 15_000,
        timeout_status: "503",
        read_semantics: "first byte timeout",
        pool_idle_ms: None,
        race_status: "503",
        connect_timeout_ms: Some(1_000),
        source: "Fastly VCL reference, bereq.first_byte_timeout default 15 s (2026)",
    },
    Preset {
        name: "cloudfront",
        title: "Amazon CloudFront",
        read_timeout_ms: 30_000,
        timeout_status: "504",
        read_semantics: "origin response timeout",
        pool_idle_ms: Some(5_000),
        race_status: "502",
        connect_timeout_ms: Some(10_000),
        source: "CloudFront developer guide / SDK model: OriginReadTimeout 30 s, OriginKeepaliveTimeout 5 s (2026)",
    },
];

pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

fn declared(what: String, span: Option<Span>) -> Origin {
    Origin::Declared { what, span }
}

/// Puts the declared edge in front of the stack: one edge server with a route to every entry
/// listener (a listener no other layer in the tree sends to), or to `targets` when given.
pub fn add(stack: &mut Stack, cfg: &EdgeConfig) {
    let Some(provider) = &cfg.provider else { return };
    let Some(p) = preset(&provider.value) else { return };
    let span = cfg.span.unwrap_or(provider.span);
    let read = match &cfg.read_timeout {
        Some(o) => {
            Timeout { ms: Some(o.value), origin: declared("stacklint.toml [edge] read_timeout".into(), Some(o.span)) }
        }
        None => Timeout {
            ms: Some(p.read_timeout_ms),
            origin: declared(format!("{} default, {}", p.title, p.source), Some(span)),
        },
    };
    let pool_idle = match (&cfg.idle_timeout, p.pool_idle_ms) {
        (Some(o), _) => Some(Timeout {
            ms: Some(o.value),
            origin: declared("stacklint.toml [edge] idle_timeout".into(), Some(o.span)),
        }),
        (None, Some(ms)) => {
            Some(Timeout { ms: Some(ms), origin: declared(format!("{} default, {}", p.title, p.source), Some(span)) })
        }
        (None, None) => None,
    };

    // Entry listeners: TCP listeners of servers that nothing in the tree sends to.
    let reached = stack.reached_listeners();
    let mut entries: Vec<usize> = Vec::new();
    for (i, l) in stack.listeners.iter().enumerate() {
        let wanted = if cfg.targets.is_empty() {
            !reached[i] && matches!(l.endpoint, Endpoint::Tcp { .. })
        } else {
            let comp = stack.servers[l.server].component.as_str();
            cfg.targets.iter().any(|t| t.value == comp || t.value == l.endpoint.to_string())
        };
        if wanted {
            entries.push(i);
        }
    }
    let sid = stack.servers.len();
    stack.servers.push(Server {
        component: Component::Edge,
        role: Role::Edge,
        name: p.title.to_string(),
        span,
        listeners: Vec::new(),
        work_timeout: None,
        keepalive: None,
        aliases: Vec::new(),
        notes: vec![format!("answers {} when the origin is too slow", p.timeout_status)],
    });
    for li in entries {
        let l = &stack.listeners[li];
        let mut target = Target::new(l.endpoint.clone(), span);
        target.reaches = vec![li];
        stack.routes.push(Route {
            server: sid,
            name: format!("{} (stacklint.toml)", p.title),
            span,
            hop: Hop {
                protocol: Protocol::Http,
                span,
                target_span: span,
                target_text: l.endpoint.to_string(),
                target: HopTarget::Direct(target),
                read_timeout: read.clone(),
                read_semantics: p.read_semantics,
                connect_timeout: p
                    .connect_timeout_ms
                    .map(|ms| Timeout { ms: Some(ms), origin: declared(format!("{} default", p.title), Some(span)) }),
                pool: pool_idle.clone().map(|idle| Pool {
                    idle,
                    enabled_at: None,
                    default_note: Some(format!("{} reuses idle origin connections", p.title)),
                    http2: false,
                }),
                pool_defeated: Vec::new(),
            },
        });
    }
}

/// The ranges for the declared edge: the user's file when given (its list replaces the bundled
/// current one; bundled withdrawn ranges it lists again are no longer stale), else the bundled
/// files. `None` when the provider has no data.
pub fn for_edge(cfg: &EdgeConfig, user: Option<(&SourceFile, Vec<IpNet>)>) -> Option<EdgeRanges> {
    let provider = cfg.provider.as_ref()?;
    let preset = preset(&provider.value)?;
    let trusted_proxies = cfg.trusted_proxies.iter().filter_map(|t| Some((parse_net(&t.value)?, t.span))).collect();
    let edge_span = cfg.span.unwrap_or(provider.span);
    let bundled = bundled(preset.name);
    let (current, withdrawn, source) = match (user, bundled) {
        (Some((file, nets)), b) => {
            let current = IpNet::aggregate(&nets);
            let withdrawn = b
                .map(|(_, w, _)| w.into_iter().filter(|n| !uncovered(&[*n], &current).is_empty()).collect())
                .unwrap_or_default();
            (current, withdrawn, format!("{} (your copy)", file.display))
        }
        (None, Some((c, w, files))) => (c, w, format!("{} (bundled; see rules/cdn/README.md)", files.join(", "))),
        (None, None) => return None,
    };
    if current.is_empty() {
        return None;
    }
    Some(EdgeRanges {
        provider: preset.title.to_string(),
        preset: preset.name.to_string(),
        current,
        withdrawn,
        source,
        trusted_proxies,
        edge_span,
    })
}
