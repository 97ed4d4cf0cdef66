//! Reads the parts of an Envoy v3 config that decide where requests go and how long each hop
//! waits: listeners with their HTTP connection managers and inline route tables, and clusters
//! with their endpoints, connect and idle timeouts. Everything else (filters, TLS, tracing,
//! typed configs we do not model) is left alone: unknown fields are never an error.

use super::duration::parse_node;
use super::yaml::{Key, Node, Value};
use crate::graph::{Component, Endpoint, Host, Problem, ProblemKind};
use crate::source::{SourceFile, Span};
use std::sync::Arc;

/// What kind of document a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A bootstrap (`static_resources`, `dynamic_resources`, `admin`, ...).
    Bootstrap,
    /// A file-based xDS response: `resources: [{"@type": ...Listener | ...Cluster}]`.
    Resources,
}

/// A duration setting as written: `ms: None` means `0s` (disabled).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub ms: Option<u64>,
    /// `key: value`.
    pub span: Span,
}

/// Where dynamic resources come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum XdsSource {
    /// `path_config_source.path` (or the older `path`): a file next to the bootstrap.
    Path { path: String, span: Span },
    /// ADS, gRPC or REST: a control plane we cannot see.
    Remote,
}

#[derive(Clone, Debug, Default)]
pub struct Dynamic {
    pub lds: Option<XdsSource>,
    pub cds: Option<XdsSource>,
}

/// What a route does with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Cluster {
        name: String,
        span: Span,
        pair: Span,
    },
    /// `weighted_clusters.clusters[]`: (name, value span, `name: x` span).
    Weighted(Vec<(String, Span, Span)>),
    /// `cluster_header`, `cluster_specifier_plugin`, `inline_cluster_specifier_plugin`.
    Dynamic {
        text: String,
        pair: Span,
    },
    /// `redirect`, `direct_response`, `filter_action`: no upstream.
    Local,
}

#[derive(Clone, Debug)]
pub struct RouteCfg {
    /// `prefix "/api"`, `path "/x"`, `safe_regex "..."`.
    pub matcher: String,
    pub span: Span,
    pub vhost: String,
    pub action: Action,
    pub timeout: Option<Setting>,
    pub idle_timeout: Option<Setting>,
    pub num_retries: Option<u64>,
    pub per_try_timeout: Option<Setting>,
}

#[derive(Clone, Debug)]
pub enum Routes {
    Inline {
        routes: Vec<RouteCfg>,
        /// `validate_clusters` written on the route_config (default true for static ones).
        validate_clusters: Option<bool>,
    },
    Rds {
        name: String,
        span: Span,
    },
    None,
}

/// One `http_connection_manager` filter.
#[derive(Clone, Debug)]
pub struct Hcm {
    pub span: Span,
    pub idle_timeout: Option<Setting>,
    pub stream_idle_timeout: Option<Setting>,
    pub request_timeout: Option<Setting>,
    pub routes: Routes,
    /// `use_remote_address: true|false` as written.
    pub use_remote_address: Option<(bool, Span)>,
    /// `xff_num_trusted_hops: N` as written.
    pub xff_num_trusted_hops: Option<(u64, Span)>,
    /// HTTP RBAC filters (`envoy.filters.http.rbac`) in the HCM's `http_filters`.
    pub rbac: Vec<Rbac>,
}

/// An RBAC filter's address rules, as far as they are plain CIDR principals.
#[derive(Clone, Debug)]
pub struct Rbac {
    /// `action: DENY` (default ALLOW).
    pub deny: bool,
    /// (address as `a.b.c.d/len`, span of the principal, which address it matches:
    /// `direct_remote_ip`, `source_ip` or `remote_ip`).
    pub prefixes: Vec<(String, Span, String)>,
    /// Some principal is not a plain address (headers, authenticated, `any`): not judged.
    pub opaque: bool,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct ListenerCfg {
    pub name: String,
    /// The `name: x` entry (or the start of the listener when it has no name).
    pub span: Span,
    pub address: Option<(Endpoint, Span)>,
    pub hcms: Vec<Hcm>,
    /// Network RBAC filters (`envoy.filters.network.rbac`) in the filter chains.
    pub rbac: Vec<Rbac>,
}

#[derive(Clone, Debug)]
pub struct ClusterCfg {
    pub name: String,
    pub span: Span,
    /// `STATIC`, `STRICT_DNS`, `LOGICAL_DNS`, `EDS`, `ORIGINAL_DST`, or a `cluster_type` name.
    pub kind: String,
    pub connect_timeout: Option<Setting>,
    pub idle_timeout: Option<Setting>,
    /// `max_requests_per_connection: 1`: every connection carries one request, nothing is pooled.
    pub one_request_per_connection: Option<Span>,
    /// `http2_protocol_options` under `explicit_http_config` (or the deprecated cluster field):
    /// upstream connections speak HTTP/2. (`auto_config` picks by ALPN: not counted.)
    pub http2: bool,
    pub endpoints: Vec<(Endpoint, Span)>,
}

impl ClusterCfg {
    /// Endpoints arrive at run time (EDS, original destination, custom cluster types).
    pub fn endpoints_are_dynamic(&self) -> bool {
        !matches!(self.kind.as_str(), "STATIC" | "STRICT_DNS" | "LOGICAL_DNS")
    }
}

/// One Envoy config file, read.
#[derive(Debug)]
pub struct EnvoyFile {
    pub source: Arc<SourceFile>,
    pub kind: FileKind,
    pub listeners: Vec<ListenerCfg>,
    pub clusters: Vec<ClusterCfg>,
    pub dynamic: Dynamic,
    pub problems: Vec<Problem>,
}

/// A repeated field: a list, or (as Envoy's JSON reader tolerates) a single object.
fn list(n: Option<&Node>) -> Vec<&Node> {
    match n {
        Some(n) => match &n.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Map(_) => vec![n],
            _ => Vec::new(),
        },
        None => Vec::new(),
    }
}

/// The tight span of a node: its scalars and keys, without the trailing whitespace and comments
/// that a block collection's end marker takes in.
pub fn cover(n: &Node) -> Span {
    fn add(acc: &mut Option<Span>, s: Span) {
        *acc = Some(match acc {
            Some(a) => a.to(s),
            None => s,
        })
    }
    fn walk(n: &Node, acc: &mut Option<Span>) {
        match &n.value {
            _ if n.flow => add(acc, n.span),
            Value::Map(m) => {
                for (k, v) in m {
                    add(acc, k.span);
                    walk(v, acc);
                }
            }
            Value::Seq(items) => {
                for i in items {
                    walk(i, acc);
                }
            }
            _ => add(acc, n.span),
        }
    }
    if n.flow {
        return n.span;
    }
    let mut acc = None;
    walk(n, &mut acc);
    acc.unwrap_or(n.span)
}

fn pair(k: &Key, v: &Node) -> Span {
    k.span.to(cover(v))
}

struct Reader {
    problems: Vec<Problem>,
}

impl Reader {
    /// A duration field under `parent`, recording Envoy's start-up error when it is malformed.
    fn duration(&mut self, parent: &Node, key: &str, what: &str) -> Option<Setting> {
        let (k, v) = parent.entry(key)?;
        match parse_node(v) {
            Ok(d) => Some(Setting { ms: (!d.is_zero()).then(|| d.ms()), span: pair(k, v) }),
            Err(e) => {
                let span = cover(v);
                if !self.problems.iter().any(|p| p.span == span) {
                    self.problems.push(Problem {
                        kind: ProblemKind::InvalidValue,
                        component: Component::Envoy,
                        span,
                        message: format!("`{what}`: {e}; Envoy rejects the config at start-up"),
                        help: "write Envoy durations as strings of seconds with an `s` suffix: `\"15s\"`, `\"0.5s\"`, `\"3600s\"`".into(),
                    });
                }
                None
            }
        }
    }

    fn address(&mut self, n: &Node) -> Option<(Endpoint, Span)> {
        if let Some(sa) = n.get("socket_address") {
            let host = sa.get("address").and_then(|a| a.text()).unwrap_or_default();
            let port = sa.get("port_value").and_then(|p| p.uint())?;
            let port = u16::try_from(port).ok()?;
            return Some((Endpoint::tcp(Host::parse(&host), port), cover(sa)));
        }
        if let Some(p) = n.get("pipe") {
            let path = p.get("path")?.text()?;
            return Some((Endpoint::Unix(path), cover(p)));
        }
        None
    }

    fn listener(&mut self, l: &Node) -> ListenerCfg {
        let (name, span) = match l.entry("name") {
            Some((k, v)) => (v.text().unwrap_or_default(), pair(k, v)),
            None => (String::new(), cover(l)),
        };
        let address = l.get("address").and_then(|a| self.address(a));
        let mut hcms = Vec::new();
        let mut rbac = Vec::new();
        let chains = list(l.get("filter_chains")).into_iter().chain(l.get("default_filter_chain"));
        for chain in chains {
            for f in list(chain.get("filters")) {
                let cfg = f.get("typed_config").or(f.get("config"));
                let name = f.get("name").and_then(|n| n.str()).unwrap_or("");
                let ty = cfg.and_then(|c| c.get("@type")).and_then(|t| t.str()).unwrap_or("");
                let is_hcm =
                    matches!(name, "envoy.filters.network.http_connection_manager" | "envoy.http_connection_manager")
                        || ty.ends_with(".HttpConnectionManager");
                if let (true, Some(cfg)) = (is_hcm, cfg) {
                    hcms.push(self.hcm(cfg));
                } else if let (true, Some(cfg)) = (is_rbac(name, ty, "network"), cfg) {
                    rbac.push(read_rbac(cfg));
                }
            }
        }
        ListenerCfg { name, span, address, hcms, rbac }
    }

    fn hcm(&mut self, c: &Node) -> Hcm {
        let idle_timeout = c
            .get("common_http_protocol_options")
            .and_then(|o| self.duration(o, "idle_timeout", "common_http_protocol_options.idle_timeout"));
        let stream_idle_timeout = self.duration(c, "stream_idle_timeout", "stream_idle_timeout");
        let request_timeout = self.duration(c, "request_timeout", "request_timeout");
        let routes = if let Some(rc) = c.get("route_config") {
            let mut routes = Vec::new();
            for vh in list(rc.get("virtual_hosts")) {
                let vhost = vh.get("name").and_then(|n| n.text()).unwrap_or_default();
                for r in list(vh.get("routes")) {
                    routes.push(self.route(r, &vhost));
                }
            }
            Routes::Inline {
                routes,
                validate_clusters: rc.get("validate_clusters").and_then(|v| match &v.value {
                    Value::Bool(b) => Some(*b),
                    Value::Map(_) => v.get("value").and_then(|x| match x.value {
                        Value::Bool(b) => Some(b),
                        _ => None,
                    }),
                    _ => None,
                }),
            }
        } else if let Some((k, rds)) = c.entry("rds") {
            Routes::Rds {
                name: rds.get("route_config_name").and_then(|n| n.text()).unwrap_or_default(),
                span: pair(k, rds),
            }
        } else {
            Routes::None
        };
        let use_remote_address = c.entry("use_remote_address").and_then(|(k, v)| match &v.value {
            Value::Bool(b) => Some((*b, pair(k, v))),
            _ => None,
        });
        let xff_num_trusted_hops = c.entry("xff_num_trusted_hops").and_then(|(k, v)| Some((v.uint()?, pair(k, v))));
        let rbac = list(c.get("http_filters"))
            .into_iter()
            .filter_map(|f| {
                let cfg = f.get("typed_config").or(f.get("config"))?;
                let name = f.get("name").and_then(|n| n.str()).unwrap_or("");
                let ty = cfg.get("@type").and_then(|t| t.str()).unwrap_or("");
                is_rbac(name, ty, "http").then(|| read_rbac(cfg))
            })
            .collect();
        Hcm {
            span: cover(c),
            idle_timeout,
            stream_idle_timeout,
            request_timeout,
            routes,
            use_remote_address,
            xff_num_trusted_hops,
            rbac,
        }
    }

    fn route(&mut self, r: &Node, vhost: &str) -> RouteCfg {
        let m = r.get("match");
        let matcher = m
            .and_then(|m| {
                ["prefix", "path", "path_separated_prefix", "safe_regex", "connect_matcher"].iter().find_map(|k| {
                    let v = m.get(k)?;
                    Some(match (k, v.text()) {
                        (&"safe_regex", _) => {
                            format!("safe_regex {:?}", v.get("regex").and_then(|x| x.text()).unwrap_or_default())
                        }
                        (_, Some(t)) => format!("{k} {t:?}"),
                        _ => k.to_string(),
                    })
                })
            })
            .unwrap_or_else(|| "match".into());
        let span = match r.entry("match") {
            Some((k, v)) => pair(k, v),
            None => cover(r),
        };
        let mut out = RouteCfg {
            matcher,
            span,
            vhost: vhost.to_string(),
            action: Action::Local,
            timeout: None,
            idle_timeout: None,
            num_retries: None,
            per_try_timeout: None,
        };
        let Some(a) = r.get("route") else {
            return out;
        };
        out.action = if let Some((k, v)) = a.entry("cluster") {
            Action::Cluster { name: v.text().unwrap_or_default(), span: cover(v), pair: pair(k, v) }
        } else if let Some(w) = a.get("weighted_clusters") {
            Action::Weighted(
                list(w.get("clusters"))
                    .into_iter()
                    .filter_map(|c| {
                        let (k, v) = c.entry("name")?;
                        Some((v.text()?, cover(v), pair(k, v)))
                    })
                    .collect(),
            )
        } else if let Some((k, v)) = ["cluster_header", "cluster_specifier_plugin", "inline_cluster_specifier_plugin"]
            .iter()
            .find_map(|key| a.entry(key))
        {
            // A plugin's whole config is no place for a label: point at its key.
            let (text, pair) = match v.text() {
                Some(t) => (format!("{}: {t}", k.text), pair(k, v)),
                None => (format!("{}: {{...}}", k.text), k.span),
            };
            Action::Dynamic { text, pair }
        } else {
            Action::Local
        };
        out.timeout = self.duration(a, "timeout", "route.timeout");
        out.idle_timeout = self.duration(a, "idle_timeout", "route.idle_timeout");
        if let Some(rp) = a.get("retry_policy") {
            out.num_retries = rp.get("num_retries").and_then(|n| n.uint()).or(Some(1));
            out.per_try_timeout = self.duration(rp, "per_try_timeout", "retry_policy.per_try_timeout");
        }
        out
    }

    fn cluster(&mut self, c: &Node) -> ClusterCfg {
        let (name, span) = match c.entry("name") {
            Some((k, v)) => (v.text().unwrap_or_default(), pair(k, v)),
            None => (String::new(), cover(c)),
        };
        let kind = match (c.get("type").and_then(|t| t.text()), c.get("cluster_type")) {
            (_, Some(ct)) => ct.get("name").and_then(|n| n.text()).unwrap_or_else(|| "custom".into()),
            (Some(t), None) => t.to_ascii_uppercase(),
            (None, None) if c.get("eds_cluster_config").is_some() => "EDS".into(),
            (None, None) => "STATIC".into(),
        };
        let connect_timeout = self.duration(c, "connect_timeout", "connect_timeout");
        // Upstream HTTP options: the typed extension (current) or the deprecated cluster field.
        let typed_options = c
            .get("typed_extension_protocol_options")
            .map(|t| t.entries())
            .unwrap_or_default()
            .iter()
            .find(|(k, v)| {
                k.text == "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
                    || v.get("@type")
                        .and_then(|t| t.str())
                        .is_some_and(|t| t.ends_with("envoy.extensions.upstreams.http.v3.HttpProtocolOptions"))
            })
            .map(|(_, v)| v);
        let typed = typed_options.and_then(|v| v.get("common_http_protocol_options"));
        let http2 = typed_options
            .and_then(|v| v.get("explicit_http_config"))
            .and_then(|e| e.entry("http2_protocol_options"))
            .or_else(|| c.entry("http2_protocol_options"))
            .is_some();
        let common = typed.or(c.get("common_http_protocol_options"));
        let idle_timeout =
            common.and_then(|o| self.duration(o, "idle_timeout", "common_http_protocol_options.idle_timeout"));
        let one_request_per_connection = [common, Some(c)]
            .into_iter()
            .flatten()
            .find_map(|o| o.entry("max_requests_per_connection"))
            .filter(|(_, v)| v.uint() == Some(1) || v.get("value").and_then(|x| x.uint()) == Some(1))
            .map(|(k, v)| pair(k, v));
        let mut endpoints = Vec::new();
        if let Some(la) = c.get("load_assignment") {
            for group in list(la.get("endpoints")) {
                for lb in list(group.get("lb_endpoints")) {
                    if let Some(a) = lb.at(&["endpoint", "address"]) {
                        endpoints.extend(self.address(a));
                    }
                }
            }
        }
        for h in list(c.get("hosts")) {
            endpoints.extend(self.address(h));
        }
        ClusterCfg { name, span, kind, connect_timeout, idle_timeout, one_request_per_connection, http2, endpoints }
    }
}

fn is_rbac(name: &str, ty: &str, layer: &str) -> bool {
    name == format!("envoy.filters.{layer}.rbac") || ty.ends_with(&format!("filters.{layer}.rbac.v3.RBAC"))
}

/// An RBAC filter config: `rules.action` and the CIDR principals of its policies
/// (`or_ids`/`and_ids` flattened; anything else makes the filter opaque).
fn read_rbac(cfg: &Node) -> Rbac {
    let mut out = Rbac { deny: false, prefixes: Vec::new(), opaque: false, span: cover(cfg) };
    let Some(rules) = cfg.get("rules") else {
        out.opaque = true;
        return out;
    };
    out.deny = rules.get("action").and_then(|a| a.str()).is_some_and(|a| a.eq_ignore_ascii_case("DENY"));
    fn principal(p: &Node, out: &mut Rbac) {
        for key in ["direct_remote_ip", "source_ip", "remote_ip"] {
            if let Some(c) = p.get(key) {
                let addr = c.get("address_prefix").and_then(|a| a.text());
                let len = c.get("prefix_len").and_then(|l| l.uint().or_else(|| l.get("value").and_then(|v| v.uint())));
                match addr {
                    Some(a) => {
                        let text = match len {
                            Some(l) => format!("{a}/{l}"),
                            None => a,
                        };
                        out.prefixes.push((text, cover(c), key.to_string()));
                    }
                    None => out.opaque = true,
                }
                return;
            }
        }
        if let Some(ids) = p.get("or_ids").and_then(|o| o.get("ids")) {
            for i in list(Some(ids)) {
                principal(i, out);
            }
            return;
        }
        out.opaque = true;
    }
    let policies = rules.get("policies").map(|p| p.entries()).unwrap_or_default();
    for (_, policy) in policies {
        for p in list(policy.get("principals")) {
            principal(p, &mut out);
        }
    }
    out
}

fn xds_source(n: Option<&Node>) -> Option<XdsSource> {
    let n = n?;
    let path = n.entry("path_config_source").and_then(|(_, p)| p.entry("path")).or_else(|| n.entry("path"));
    Some(match path {
        Some((k, v)) => XdsSource::Path { path: v.text().unwrap_or_default(), span: pair(k, v) },
        None => XdsSource::Remote,
    })
}

/// Does a document look like an Envoy bootstrap or xDS resource file?
pub fn kind_of(root: &Node) -> Option<FileKind> {
    if root.get("static_resources").is_some()
        || root.get("dynamic_resources").is_some()
        || (root.get("admin").is_some() && root.get("node").is_some())
    {
        return Some(FileKind::Bootstrap);
    }
    let resources = root.get("resources")?;
    let any_envoy = list(Some(resources))
        .iter()
        .any(|r| r.get("@type").and_then(|t| t.str()).is_some_and(|t| t.contains("envoy.")));
    any_envoy.then_some(FileKind::Resources)
}

/// Reads a parsed document. `kind` says what it is (see [`kind_of`]).
pub fn read(source: Arc<SourceFile>, root: &Node, kind: FileKind) -> EnvoyFile {
    let mut r = Reader { problems: Vec::new() };
    let mut listeners = Vec::new();
    let mut clusters = Vec::new();
    let mut dynamic = Dynamic::default();
    match kind {
        FileKind::Bootstrap => {
            if let Some(sr) = root.get("static_resources") {
                for l in list(sr.get("listeners")) {
                    listeners.push(r.listener(l));
                }
                for c in list(sr.get("clusters")) {
                    clusters.push(r.cluster(c));
                }
            }
            if let Some(dr) = root.get("dynamic_resources") {
                dynamic.lds = xds_source(dr.get("lds_config"));
                dynamic.cds = xds_source(dr.get("cds_config"));
            }
        }
        FileKind::Resources => {
            for res in list(root.get("resources")) {
                let ty = res.get("@type").and_then(|t| t.str()).unwrap_or("");
                if ty.ends_with(".Listener") {
                    listeners.push(r.listener(res));
                } else if ty.ends_with(".Cluster") {
                    clusters.push(r.cluster(res));
                }
            }
        }
    }
    EnvoyFile { source, kind, listeners, clusters, dynamic, problems: r.problems }
}
