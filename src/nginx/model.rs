//! Puts an nginx config into the stack graph: `server {}` blocks become proxy servers with their
//! listeners, every `*_pass` in a `location` becomes a route with the caller's effective timeouts
//! (inherited http -> server -> location, defaults filled in, units normalised), `upstream {}`
//! blocks become groups with their connection pool.

use super::ast::{Directive, Tree};
use super::defaults::{self, Version};
use crate::duration::{Origin, Timeout};
use crate::graph::{
    Component, Defeat, Endpoint, Group, Hop, HopTarget, Host, KeepAlive, Pool, Problem, ProblemKind, Protocol, Role,
    Route, Server, StackBuilder, Target,
};
use crate::source::Span;
use std::collections::{HashMap, HashSet};

/// What the model assumes about the world the config runs in.
#[derive(Clone, Debug)]
pub struct Options {
    pub version: Version,
    /// Host names that resolve inside the stack (docker-compose services, stacklint.toml aliases).
    pub known_hosts: HashSet<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options { version: Version::CURRENT_STABLE, known_hosts: HashSet::new() }
    }
}

const PASSES: [&str; 5] = ["proxy_pass", "fastcgi_pass", "uwsgi_pass", "grpc_pass", "scgi_pass"];

/// Settings inherited from enclosing blocks (nginx merges each directive from the nearest level
/// that sets it; array directives like `proxy_set_header` are inherited only by levels that set
/// none of their own).
#[derive(Clone, Default)]
struct Scope<'a> {
    /// The nearest directive setting each of [`TRACKED`], by index (an array, not a map: a scope
    /// is copied for every block, ten thousand times on a big config).
    simple: [Option<&'a Directive>; TRACKED.len()],
    proxy_set_header: Option<std::rc::Rc<[&'a Directive]>>,
}

const TRACKED: [&str; 14] = [
    "proxy_read_timeout",
    "proxy_connect_timeout",
    "fastcgi_read_timeout",
    "fastcgi_connect_timeout",
    "uwsgi_read_timeout",
    "uwsgi_connect_timeout",
    "grpc_read_timeout",
    "grpc_connect_timeout",
    "scgi_read_timeout",
    "scgi_connect_timeout",
    "proxy_http_version",
    "fastcgi_keep_conn",
    "keepalive_timeout",
    "resolver",
];

impl<'a> Scope<'a> {
    /// The scope of a block: the parent's, overridden by what this level sets.
    fn enter(&self, level: &[&'a Directive]) -> Scope<'a> {
        let mut s = self.clone();
        let mut headers: Vec<&'a Directive> = Vec::new();
        for d in level {
            if let Some(i) = TRACKED.iter().position(|t| *t == d.name) {
                s.simple[i] = Some(d);
            } else if d.name == "proxy_set_header" {
                headers.push(d);
            }
        }
        if !headers.is_empty() {
            s.proxy_set_header = Some(headers.into());
        }
        s
    }

    /// The nearest directive setting `name` (one of [`TRACKED`]).
    fn get(&self, name: &str) -> Option<&'a Directive> {
        let i = TRACKED.iter().position(|t| *t == name);
        debug_assert!(i.is_some(), "{name} is not tracked");
        i.and_then(|i| self.simple[i])
    }
}

struct Builder<'a, 'b> {
    tree: &'a Tree,
    opts: &'a Options,
    b: &'b mut StackBuilder,
    /// upstream name -> group id
    upstreams: HashMap<String, usize>,
    /// `map` blocks: result variable name -> (default value, value for the empty string)
    maps: HashMap<String, Vec<(String, String)>>,
    /// Values already reported invalid (a directive is read once per block inheriting it).
    invalid: HashSet<Span>,
}

/// Adds every main file of the tree to the graph.
pub fn add(tree: &Tree, opts: &Options, b: &mut StackBuilder) {
    // An include of a file that is not there: nginx refuses to start (rule SL303).
    for m in &tree.missing_includes {
        let looked =
            if m.looked_in.is_empty() { String::new() } else { format!(" (looked in: {})", m.looked_in.join(", ")) };
        b.add_problem(Problem {
            kind: ProblemKind::MissingInclude,
            component: Component::Nginx,
            span: m.span,
            message: format!(
                "`include {}` names a file that is not in the linted tree; nginx refuses to start",
                m.pattern
            ),
            help: format!("add the file, fix the path, or use a glob if the file is optional{looked}"),
        });
    }
    let mut me = Builder { tree, opts, b, upstreams: HashMap::new(), maps: HashMap::new(), invalid: HashSet::new() };
    // Upstream blocks and maps first: a proxy_pass may name an upstream defined later or in
    // another file.
    for &m in &tree.mains {
        for http in me.http_levels(m) {
            me.collect_upstreams(&http);
        }
    }
    for &m in &tree.mains {
        for http in me.http_levels(m) {
            let scope = Scope::default().enter(&http);
            me.walk_http(&http, &scope);
        }
    }
    // nginx's own checks of each directive (rule SL404), after the model's value checks (SL401).
    super::directives::check(tree, opts.version, me.b);
}

impl<'a> Builder<'a, '_> {
    /// The http-context directive lists of a main file: each `http {}` block, or the top level of
    /// a fragment (a conf.d file with `server {}` at its top).
    fn http_levels(&self, main: usize) -> Vec<Vec<&'a Directive>> {
        let top = self.tree.expanded(&self.tree.files[main].directives);
        let https: Vec<&Directive> = top.iter().copied().filter(|d| d.name == "http").collect();
        let is_main = top.iter().any(|d| matches!(d.name.as_str(), "http" | "events" | "stream" | "mail"));
        if is_main {
            https.into_iter().map(|h| self.tree.expanded(h.children())).collect()
        } else {
            vec![top]
        }
    }

    fn collect_upstreams(&mut self, level: &[&'a Directive]) {
        for d in level {
            match d.name.as_str() {
                "upstream" => {
                    let Some(name) = d.arg(0) else { continue };
                    if self.upstreams.contains_key(name) {
                        continue;
                    }
                    let id = self.upstream_group(d, name, level);
                    self.upstreams.insert(name.to_string(), id);
                }
                "map" if d.args.len() >= 2 => {
                    let var = d.args[1].value.trim_start_matches('$').to_string();
                    let entries = self
                        .tree
                        .expanded(d.children())
                        .iter()
                        .filter_map(|e| Some((e.name.clone(), e.arg(0)?.to_string())))
                        .collect();
                    self.maps.insert(var, entries);
                }
                _ => {}
            }
        }
    }

    fn upstream_group(&mut self, d: &'a Directive, name: &str, http: &[&'a Directive]) -> usize {
        let body = self.tree.expanded(d.children());
        let mut targets = Vec::new();
        let mut resolves = http.iter().any(|x| x.name == "resolver");
        let mut keepalive: Option<&Directive> = None;
        let mut keepalive_timeout: Option<&Directive> = None;
        for s in &body {
            match s.name.as_str() {
                "server" => {
                    let Some(arg) = s.args.first() else { continue };
                    let endpoint = parse_address(&arg.value, 80);
                    let mut t = Target::new(endpoint, arg.span);
                    for p in &s.args[1..] {
                        let v = p.value.as_str();
                        if matches!(v, "backup" | "down" | "resolve") {
                            t.flags.push(v.to_string());
                        }
                        if v == "resolve" {
                            resolves = true;
                        }
                    }
                    targets.push(t);
                }
                "keepalive" => keepalive = Some(s),
                "keepalive_timeout" => keepalive_timeout = Some(s),
                "resolver" => resolves = true,
                _ => {}
            }
        }
        let idle = match keepalive_timeout.and_then(|k| k.args.first().map(|a| (k, a))) {
            Some((k, a)) => match self.time(k, &a.value, a.span) {
                Some(ms) => Timeout::explicit(Some(ms), k.span),
                None => Timeout::default(&defaults::UPSTREAM_KEEPALIVE_TIMEOUT),
            },
            None => Timeout::default(&defaults::UPSTREAM_KEEPALIVE_TIMEOUT),
        };
        let pool = match keepalive {
            Some(k) => match k.arg(0).and_then(|v| v.parse::<u32>().ok()) {
                Some(0) | None => None,
                Some(_) => Some(Pool { idle, enabled_at: Some(k.span), default_note: None, http2: false }),
            },
            None if self.opts.version.pools_by_default() => Some(Pool {
                idle,
                enabled_at: None,
                default_note: Some(format!(
                    "{} (assumed nginx {})",
                    defaults::UPSTREAM_KEEPALIVE_DEFAULT_NOTE,
                    self.opts.version
                )),
                http2: false,
            }),
            None => None,
        };
        self.b.add_group(Group {
            component: Component::Nginx,
            name: name.to_string(),
            span: header_span(d),
            targets,
            pool,
            resolves,
        })
    }

    fn walk_http(&mut self, level: &[&'a Directive], scope: &Scope<'a>) {
        let http_trust = super::trust::nginx_http(self.tree, level);
        for d in level {
            if d.name == "server" && d.block.is_some() {
                let body = self.tree.expanded(d.children());
                let inner = scope.enter(&body);
                let sid = self.b.stack.servers.len();
                self.server(d, &body, &inner);
                // Client-address trust and access lists (realip, allow/deny, geo).
                super::trust::nginx_server(self.tree, &http_trust, &body, sid, self.b);
            }
        }
    }

    fn server(&mut self, d: &'a Directive, body: &[&'a Directive], scope: &Scope<'a>) {
        let names: Vec<&str> = body
            .iter()
            .filter(|x| x.name == "server_name")
            .flat_map(|x| x.args.iter().map(|a| a.value.as_str()))
            .collect();
        let name = if names.is_empty() { "server".to_string() } else { format!("server {}", names.join(" ")) };
        let keepalive = match scope.get("keepalive_timeout") {
            Some(k) => match k.args.first().and_then(|a| self.time(k, &a.value, a.span)) {
                Some(0) => KeepAlive::ClosesEach {
                    why: "`keepalive_timeout 0` disables client keep-alive".into(),
                    origin: Origin::Explicit(k.span),
                },
                Some(ms) => KeepAlive::Idle(Timeout::explicit(Some(ms), k.span)),
                None => KeepAlive::Idle(Timeout::default(&defaults::KEEPALIVE_TIMEOUT)),
            },
            None => KeepAlive::Idle(Timeout::default(&defaults::KEEPALIVE_TIMEOUT)),
        };
        let sid = self.b.add_server(Server {
            component: Component::Nginx,
            role: Role::Proxy,
            name,
            span: header_span(d),
            listeners: Vec::new(),
            work_timeout: None,
            keepalive: Some(keepalive),
            aliases: Vec::new(),
            notes: Vec::new(),
        });
        let mut any_listen = false;
        for l in body.iter().filter(|x| x.name == "listen") {
            if let Some(a) = l.args.first() {
                any_listen = true;
                let ep = parse_listen(&a.value);
                self.b.add_listener(sid, ep, a.span, false);
            }
        }
        if !any_listen {
            // nginx: `*:80` when run as superuser (the usual case), `*:8000` otherwise.
            self.b.add_listener(sid, Endpoint::tcp(Host::Any, 80), header_span(d), true);
        }
        self.locations(sid, body, scope, "");
    }

    /// Routes for every `*_pass` in this level and nested `location`/`if`/`limit_except` blocks.
    fn locations(&mut self, sid: usize, level: &[&'a Directive], scope: &Scope<'a>, path: &str) {
        for d in level {
            if PASSES.contains(&d.name.as_str()) && !path.is_empty() {
                self.route(sid, d, scope, path);
            }
            if d.block.is_some() && matches!(d.name.as_str(), "location" | "if" | "limit_except") {
                let body = self.tree.expanded(d.children());
                let inner = scope.enter(&body);
                let args: Vec<&str> = d.args.iter().map(|a| a.value.as_str()).collect();
                let here = match d.name.as_str() {
                    "location" => format!("location {}", args.join(" ")),
                    other => format!("{path} ({other} {})", args.join(" ")),
                };
                self.locations(sid, &body, &inner, &here);
            }
        }
    }

    fn route(&mut self, sid: usize, d: &'a Directive, scope: &Scope<'a>, path: &str) {
        let Some(arg) = d.args.first() else { return };
        let Some(t) = defaults::pass_timeouts(&d.name) else {
            return;
        };
        let protocol = match d.name.as_str() {
            "fastcgi_pass" => Protocol::FastCgi,
            "uwsgi_pass" => Protocol::Uwsgi,
            "grpc_pass" => Protocol::Grpc,
            "scgi_pass" => Protocol::Scgi,
            _ => Protocol::Http,
        };
        let read_timeout = self.timeout(scope, t.read, t.read_default);
        let connect_timeout = self.timeout(scope, t.connect, t.connect_default);
        let target = self.target(&d.name, &arg.value, arg.span, scope);
        let pool_defeated = match &target {
            HopTarget::Group(g) if self.b.stack.groups[*g].pool.is_some() => self.defeats(protocol, scope),
            _ => Vec::new(),
        };
        self.b.add_route(Route {
            server: sid,
            name: path.to_string(),
            span: d.span,
            hop: Hop {
                protocol,
                span: d.span,
                target_span: arg.span,
                target_text: arg.value.clone(),
                target,
                read_timeout,
                read_semantics: "between two successive reads",
                connect_timeout: Some(connect_timeout),
                pool: None,
                pool_defeated,
            },
        });
    }

    /// What stops a pooled upstream connection from being reused on this hop.
    fn defeats(&self, protocol: Protocol, scope: &Scope<'a>) -> Vec<Defeat> {
        let mut out = Vec::new();
        match protocol {
            Protocol::Http => {
                let v = self.opts.version;
                match scope.get("proxy_http_version") {
                    Some(d) if d.arg(0) == Some("1.0") => out.push(Defeat {
                        message: "`proxy_http_version 1.0` closes the upstream connection after every request".into(),
                        span: Some(d.span),
                        fix: "set `proxy_http_version 1.1;`".into(),
                    }),
                    None if !v.pools_by_default() => out.push(Defeat {
                        message: format!("nginx {v} speaks HTTP/1.0 to upstreams unless told otherwise"),
                        span: None,
                        fix: "add `proxy_http_version 1.1;` next to the proxy_pass".into(),
                    }),
                    _ => {}
                }
                let conn = scope.proxy_set_header.as_ref().and_then(|hs| {
                    hs.iter().find(|h| h.arg(0).is_some_and(|n| n.eq_ignore_ascii_case("connection"))).copied()
                });
                match conn {
                    Some(h) => {
                        let value = h.arg(1).unwrap_or("");
                        if self.sends_close(value) {
                            out.push(Defeat {
                                message: format!(
                                    "`proxy_set_header Connection {}` sends `Connection: close` upstream",
                                    if value.is_empty() { "\"\"" } else { value }
                                ),
                                span: Some(h.span),
                                fix: "clear the header for pooled upstreams: `proxy_set_header Connection \"\";` (keep the upgrade map only in the WebSocket location)".into(),
                            });
                        }
                    }
                    None if !v.pools_by_default() => out.push(Defeat {
                        message: format!("nginx {v} sends `Connection: close` upstream unless the header is cleared"),
                        span: None,
                        fix: "add `proxy_set_header Connection \"\";`".into(),
                    }),
                    None => {}
                }
            }
            Protocol::FastCgi => {
                let on = scope.get("fastcgi_keep_conn").is_some_and(|d| d.arg(0) == Some("on"));
                if !on {
                    out.push(Defeat {
                        message: "PHP-FPM closes the connection after each response unless `fastcgi_keep_conn on`"
                            .into(),
                        span: None,
                        fix: "add `fastcgi_keep_conn on;`".into(),
                    });
                }
            }
            Protocol::Uwsgi | Protocol::Scgi => out.push(Defeat {
                message: format!("{} has no notion of keep-alive connections", protocol.as_str()),
                span: None,
                fix: "remove `keepalive` from the upstream block".into(),
            }),
            Protocol::Grpc | Protocol::Tcp => {}
        }
        out
    }

    /// Does a `Connection` header value send `close`? Literal `close`, or a variable from a `map`
    /// whose default (or empty-string entry) is `close` (the usual `$connection_upgrade` map).
    fn sends_close(&self, value: &str) -> bool {
        if value.eq_ignore_ascii_case("close") {
            return true;
        }
        if let Some(var) = value.strip_prefix('$') {
            if let Some(entries) = self.maps.get(var) {
                return entries
                    .iter()
                    .any(|(k, v)| (k == "default" || k.is_empty() || k == "''") && v.eq_ignore_ascii_case("close"));
            }
        }
        false
    }

    fn timeout(&mut self, scope: &Scope<'a>, setting: &str, default: &'static crate::duration::DefaultFact) -> Timeout {
        match scope.get(setting) {
            Some(d) => match d.args.first().and_then(|a| self.time(d, &a.value, a.span)) {
                Some(ms) => Timeout::explicit(Some(ms), d.span),
                None => Timeout::default(default),
            },
            None => Timeout::default(default),
        }
    }

    /// Reads a time value, recording nginx's start-up error when it is invalid.
    fn time(&mut self, d: &Directive, value: &str, span: Span) -> Option<u64> {
        match defaults::parse_time(value) {
            Ok(ms) => Some(ms),
            Err(e) => {
                if self.invalid.insert(span) {
                    self.b.add_problem(Problem {
                        kind: ProblemKind::InvalidValue,
                        component: Component::Nginx,
                        span,
                        message: format!("`{}`: {e}; nginx refuses to start", d.name),
                        help: "nginx times are whole numbers with units from most to least significant: `90s`, `1m30s`, `500ms`".into(),
                    });
                }
                None
            }
        }
    }

    fn target(&self, pass: &str, value: &str, span: Span, scope: &Scope<'a>) -> HopTarget {
        if value.contains('$') {
            // With variables, nginx evaluates the URL per request: a host that names an upstream
            // group (or is an address) needs nothing more; a DNS name needs a `resolver`. A host
            // that is itself a variable (map, split_clients) usually names a group: not judged.
            let after_scheme = value.split_once("://").map(|(_, r)| r).unwrap_or(value);
            let literal_host = after_scheme.split(['/', '$', ':']).next().unwrap_or("");
            let needs_resolver = !literal_host.is_empty()
                && !self.upstreams.contains_key(literal_host)
                && matches!(Host::parse(literal_host), Host::Name(_))
                && !self.opts.known_hosts.contains(&literal_host.to_ascii_lowercase());
            let has_resolver = scope.get("resolver").is_some() || !needs_resolver;
            return HopTarget::Dynamic { text: value.to_string(), has_resolver };
        }
        let (rest, default_port) = match pass {
            "proxy_pass" => {
                if let Some(r) = value.strip_prefix("http://") {
                    (r, 80)
                } else if let Some(r) = value.strip_prefix("https://") {
                    (r, 443)
                } else {
                    (value, 80)
                }
            }
            "grpc_pass" => {
                if let Some(r) = value.strip_prefix("grpc://") {
                    (r, 80)
                } else if let Some(r) = value.strip_prefix("grpcs://") {
                    (r, 443)
                } else {
                    (value, 80)
                }
            }
            "uwsgi_pass" => (value.strip_prefix("suwsgi://").or(value.strip_prefix("uwsgi://")).unwrap_or(value), 0),
            _ => (value, 0),
        };
        // unix:/path[:/uri]
        if let Some(path) = rest.strip_prefix("unix:") {
            let path = match path.find(":/") {
                Some(i) if pass == "proxy_pass" => &path[..i],
                _ => path,
            };
            return HopTarget::Direct(Target::new(Endpoint::Unix(path.to_string()), span));
        }
        let hostport = match pass {
            "proxy_pass" => rest.split('/').next().unwrap_or(rest),
            _ => rest,
        };
        let (host, port) = split_host_port(hostport);
        if port.is_none() {
            if let Some(&g) = self.upstreams.get(host) {
                return HopTarget::Group(g);
            }
        }
        let h = Host::parse(host);
        let port = match port {
            Some(p) => p,
            None if default_port != 0 => default_port,
            None => {
                // fastcgi_pass/uwsgi_pass/scgi_pass need a port or a group.
                if matches!(h, Host::Name(_)) && !self.opts.known_hosts.contains(&host.to_ascii_lowercase()) {
                    return self.missing(host, pass);
                }
                return HopTarget::Missing {
                    name: host.to_string(),
                    why: format!("`{pass}` needs a port or an `upstream` group; nginx says \"no port in upstream\""),
                };
            }
        };
        if let Host::Name(n) = &h {
            let explicit_port = split_host_port(hostport).1.is_some();
            let resolvable = explicit_port
                || n.contains('.')
                || self.opts.known_hosts.contains(n)
                || scope.get("resolver").is_some();
            if !resolvable {
                return self.missing(host, pass);
            }
        }
        HopTarget::Direct(Target::new(Endpoint::tcp(h, port), span))
    }

    fn missing(&self, host: &str, pass: &str) -> HopTarget {
        let nearest = self
            .upstreams
            .keys()
            .map(|k| (crate::graph::addr::edit_distance(k, host), k))
            .filter(|(d, k)| *d <= (k.len().max(host.len()) / 2).max(2))
            .min()
            .map(|(_, k)| k.clone());
        let mut why = format!(
            "`{host}` is not an `upstream` block, not an address, and has no port: nginx fails to start with \"host not found in upstream \\\"{host}\\\"\" unless DNS resolves it at start-up"
        );
        if pass != "proxy_pass" && pass != "grpc_pass" {
            why = format!("`{host}` is not an `upstream` block and has no port");
        }
        if let Some(n) = nearest {
            why.push_str(&format!("; did you mean `upstream {n}`?"));
        }
        HopTarget::Missing { name: host.to_string(), why }
    }
}

/// The span of a block directive's header (`server`, `upstream api`), not its whole body.
fn header_span(d: &Directive) -> Span {
    match d.args.last() {
        Some(a) => d.name_span.to(a.span),
        None => d.name_span,
    }
}

/// `host:port`, `[v6]:port`, `host` -> (host, port).
fn split_host_port(s: &str) -> (&str, Option<u16>) {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some(end) = rest.find(']') {
            let host = &s[..end + 2];
            let port = rest[end + 1..].strip_prefix(':').and_then(|p| p.parse().ok());
            return (host, port);
        }
    }
    match s.rfind(':') {
        Some(i) if s[..i].contains(':') => (s, None), // bare IPv6
        Some(i) => match s[i + 1..].parse() {
            Ok(p) => (&s[..i], Some(p)),
            Err(_) => (s, None),
        },
        None => (s, None),
    }
}

/// An upstream `server` address or `fastcgi_pass` address: `unix:/path`, `host:port`, `host`.
fn parse_address(s: &str, default_port: u16) -> Endpoint {
    if let Some(p) = s.strip_prefix("unix:") {
        return Endpoint::Unix(p.to_string());
    }
    let (h, p) = split_host_port(s);
    Endpoint::tcp(Host::parse(h), p.unwrap_or(default_port))
}

/// A `listen` address: `80`, `127.0.0.1:8080`, `[::]:80`, `*:80`, `localhost` (port 80),
/// `unix:/path`.
pub fn parse_listen(s: &str) -> Endpoint {
    if let Some(p) = s.strip_prefix("unix:") {
        return Endpoint::Unix(p.to_string());
    }
    if let Ok(port) = s.parse::<u16>() {
        return Endpoint::tcp(Host::Any, port);
    }
    let (h, p) = split_host_port(s);
    Endpoint::tcp(Host::parse(h), p.unwrap_or(80))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn listen_forms() {
        assert_eq!(parse_listen("80"), Endpoint::tcp(Host::Any, 80));
        assert_eq!(parse_listen("127.0.0.1:8080"), Endpoint::tcp(Host::Loopback, 8080));
        assert_eq!(parse_listen("[::]:443"), Endpoint::tcp(Host::Any, 443));
        assert_eq!(parse_listen("localhost"), Endpoint::tcp(Host::Loopback, 80));
        assert_eq!(parse_listen("unix:/run/n.sock"), Endpoint::Unix("/run/n.sock".into()));
        assert_eq!(parse_address("web:5000", 80), Endpoint::tcp(Host::Name("web".into()), 5000));
        assert_eq!(parse_address("backend", 80), Endpoint::tcp(Host::Name("backend".into()), 80));
        assert_eq!(split_host_port("[::1]:8000"), ("[::1]", Some(8000)));
        assert_eq!(split_host_port("::1"), ("::1", None));
    }
}
