//! The stack graph: every component's listeners, routes, upstream groups and app servers, joined by
//! address, port, socket or name. Component modules (`crate::nginx`, `crate::gunicorn`, ...) add
//! nodes through [`StackBuilder`]; [`StackBuilder::link`] joins targets to listeners with
//! [`addr::reaches`]; rules read the finished [`Stack`] and never look at syntax.
//!
//! ```text
//! Server (nginx server{}, HAProxy frontend, gunicorn instance, PHP-FPM pool, Node server)
//!   ├─ Listener (address:port | unix socket)
//!   └─ Route (nginx location, HAProxy use_backend, Envoy route)
//!        └─ Hop: caller timeouts + pool settings ──▶ UpstreamGroup ──▶ Target ──▶ Listener of another Server
//! ```

pub mod addr;
pub mod print;
pub mod ranges;

use crate::duration::{Origin, Timeout};
use crate::source::Span;
pub use addr::{Endpoint, Host};
pub use ranges::EdgeRanges;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Component {
    Edge,
    Haproxy,
    Envoy,
    Nginx,
    Gunicorn,
    Uvicorn,
    PhpFpm,
    Node,
}

impl Component {
    pub fn as_str(&self) -> &'static str {
        match self {
            Component::Edge => "edge",
            Component::Haproxy => "haproxy",
            Component::Envoy => "envoy",
            Component::Nginx => "nginx",
            Component::Gunicorn => "gunicorn",
            Component::Uvicorn => "uvicorn",
            Component::PhpFpm => "php-fpm",
            Component::Node => "node",
        }
    }
}

/// What a server does with a request: forward it (proxy) or run it (app).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Edge,
    Proxy,
    App,
}

pub type ServerId = usize;
pub type ListenerId = usize;
pub type RouteId = usize;
pub type GroupId = usize;
pub type BindId = usize;

/// How long a server keeps an idle client connection open for the next request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeepAlive {
    /// Idle connections are closed after this long.
    Idle(Timeout),
    /// The server closes every connection after one response (gunicorn sync workers,
    /// `keepalive_timeout 0`): no reuse, so no race.
    ClosesEach { why: String, origin: Origin },
}

/// Anything that accepts connections.
#[derive(Clone, Debug)]
pub struct Server {
    pub component: Component,
    pub role: Role,
    /// Human name: `server_name example.com`, `gunicorn (gunicorn.conf.py)`, `pool www`.
    pub name: String,
    /// Where it is declared (the `server {` line, the config file's first setting, the command line).
    pub span: Span,
    pub listeners: Vec<ListenerId>,
    /// The longest the server works on one request before it gives up on it itself
    /// (gunicorn `timeout` kills the worker, PHP-FPM `request_terminate_timeout`).
    pub work_timeout: Option<Timeout>,
    /// How long idle client connections stay open.
    pub keepalive: Option<KeepAlive>,
    /// Names this server's host answers to (docker-compose service names, stacklint.toml aliases).
    pub aliases: Vec<String>,
    /// Extra facts worth printing in `stacklint graph` (workers, worker class, ...).
    pub notes: Vec<String>,
}

impl Server {
    /// How messages name this server: the component (`nginx`), or the provider for an edge
    /// declared in stacklint.toml (`Cloudflare`).
    pub fn who(&self) -> &str {
        match self.component {
            Component::Edge => &self.name,
            c => c.as_str(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Listener {
    pub server: ServerId,
    pub endpoint: Endpoint,
    /// The `listen`/`bind` argument (or the default's origin when nothing was written).
    pub span: Span,
    /// True when the address is the component's default (no `bind` written).
    pub is_default: bool,
}

/// A request path through a proxy: nginx `location`, HAProxy `use_backend`, Envoy route.
#[derive(Clone, Debug)]
pub struct Route {
    pub server: ServerId,
    /// `location /api/`, `use_backend api if is_api`, ...
    pub name: String,
    pub span: Span,
    pub hop: Hop,
}

/// The protocol a hop speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Http,
    FastCgi,
    Uwsgi,
    Scgi,
    Grpc,
    Tcp,
}

impl Protocol {
    pub fn as_str(&self) -> &'static str {
        match self {
            Protocol::Http => "http",
            Protocol::FastCgi => "fastcgi",
            Protocol::Uwsgi => "uwsgi",
            Protocol::Scgi => "scgi",
            Protocol::Grpc => "grpc",
            Protocol::Tcp => "tcp",
        }
    }
}

/// Where a hop sends requests.
#[derive(Clone, Debug)]
pub enum HopTarget {
    /// A named group (`upstream api {}`, HAProxy backend, Envoy cluster).
    Group(GroupId),
    /// A literal address (`proxy_pass http://127.0.0.1:8000`).
    Direct(Target),
    /// A name that is neither a group nor an address with a port: `missing-upstream`.
    Missing {
        name: String,
        /// Why it does not resolve, for the finding.
        why: String,
    },
    /// Decided at run time (variables, `cluster_header`). `has_resolver` is false only when the
    /// target needs a DNS resolver at run time and none is configured.
    Dynamic { text: String, has_resolver: bool },
}

/// One connection pool from a caller to its targets.
#[derive(Clone, Debug)]
pub struct Pool {
    /// How long an idle pooled connection is kept before the caller closes it (`None` = forever).
    pub idle: Timeout,
    /// Where pooling was switched on (`keepalive 32;`), or `None` when it is on by default.
    pub enabled_at: Option<Span>,
    /// Why the default pool is on, e.g. "nginx >= 1.29.7 pools upstream connections by default".
    pub default_note: Option<String>,
    /// The pooled connections speak HTTP/2 (Envoy's `http2_protocol_options`): a server may end
    /// an idle one with GOAWAY rather than a close (see `crate::component::GraphFacts::drains_idle_http2`).
    pub http2: bool,
}

/// A caller's connection to the next layer, with the caller's effective settings.
#[derive(Clone, Debug)]
pub struct Hop {
    pub protocol: Protocol,
    /// The `proxy_pass` / `fastcgi_pass` / `use_backend` / `cluster:` directive.
    pub span: Span,
    /// The target argument alone.
    pub target_span: Span,
    pub target_text: String,
    pub target: HopTarget,
    /// How long the caller waits for the response (nginx `proxy_read_timeout`, HAProxy
    /// `timeout server`, Envoy route `timeout`).
    pub read_timeout: Timeout,
    /// What the read timeout measures: `between reads`, `whole response`, `inactivity`.
    pub read_semantics: &'static str,
    pub connect_timeout: Option<Timeout>,
    /// Connection reuse towards the targets, when the caller pools idle connections.
    pub pool: Option<Pool>,
    /// Pooling was asked for but something defeats it (HTTP/1.0 upstream, `Connection: close`).
    pub pool_defeated: Vec<Defeat>,
}

/// A setting that silently defeats connection reuse.
#[derive(Clone, Debug)]
pub struct Defeat {
    pub message: String,
    pub span: Option<Span>,
    pub fix: String,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub component: Component,
    pub name: String,
    pub span: Span,
    pub targets: Vec<Target>,
    /// Pool settings declared on the group itself (nginx `upstream { keepalive 16; }`).
    pub pool: Option<Pool>,
    /// The group can resolve names at run time (`resolver` in scope, `server ... resolve`).
    pub resolves: bool,
}

#[derive(Clone, Debug)]
pub struct Target {
    pub endpoint: Endpoint,
    pub span: Span,
    /// Filled by [`StackBuilder::link`]: the listeners this target reaches, when one server in
    /// the tree (besides the caller) can own its address.
    pub reaches: Vec<ListenerId>,
    /// Filled by [`StackBuilder::link`] instead of `reaches` when several servers can own the
    /// address (a port bound to every address by several servers, several vhosts on one
    /// socket): the shared listener sets it may land on. Rules draw no edge from it.
    pub candidates: Option<Candidates>,
    /// Marked `backup`/`down` and so on: kept, but noted.
    pub flags: Vec<String>,
}

impl Target {
    pub fn new(endpoint: Endpoint, span: Span) -> Target {
        Target { endpoint, span, reaches: Vec::new(), candidates: None, flags: Vec::new() }
    }

    /// Nothing in the tree listens where this target sends: no listener, and no candidate set.
    pub fn reaches_nothing(&self) -> bool {
        self.reaches.is_empty() && self.candidates.is_none()
    }
}

/// Listeners that accept on one address: the same endpoint (socket paths normalised), on servers
/// with the same host aliases. One entry however many servers bind it (8,000 vhosts on `*:80`
/// are one `Bind`), so a target is matched to a handful of binds, never to every listener.
#[derive(Clone, Debug)]
pub struct Bind {
    /// The endpoint of its first listener.
    pub endpoint: Endpoint,
    /// The host aliases of its servers (sorted).
    pub aliases: Vec<String>,
    /// In listener order.
    pub listeners: Vec<ListenerId>,
    /// The distinct servers of `listeners`, sorted.
    pub servers: Vec<ServerId>,
}

/// Where a target may land when the tree does not say which of several servers owns its address
/// (`10.0.0.5:80` and twenty servers with `listen 80`): the binds it matches, shared with every
/// other target that matches them, and the caller's own server, which it never reaches.
///
/// A deployment model (which host each address lives on) would turn these into edges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidates {
    pub binds: Vec<BindId>,
    pub except: Option<ServerId>,
}

/// What kind of problem a single component has on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// An `include` (or `-f`, `include=`) names a file that does not exist: the component refuses
    /// to start.
    MissingInclude,
    /// A value the component rejects at start-up (`timeout = "30s"` in gunicorn, `1.5s` in nginx).
    InvalidValue,
    /// A value the component accepts but almost certainly reads differently from what was meant:
    /// a unit-less number in milliseconds (`timeout server 30` = 30 ms), a compound value cut
    /// short (`1m30s` read as 1 min).
    SuspiciousUnit,
    /// A proxy with no limit on how long it waits for a client or a server (HAProxy without
    /// `timeout client`/`connect`/`server`).
    MissingTimeout,
    /// A directive nginx refuses at start-up (unknown, out of its context, wrong arguments,
    /// invalid value, duplicate): rule SL404.
    InvalidDirective,
    /// A directive nginx does not know, in a tree that loads dynamic modules (it may be theirs).
    UnknownDirectiveWithModules,
}

/// A single-component problem found while building the graph; rules turn these into findings.
#[derive(Clone, Debug)]
pub struct Problem {
    pub kind: ProblemKind,
    pub component: Component,
    pub span: Span,
    pub message: String,
    pub help: String,
}

/// An address as a trust or access list writes it (`103.21.244.0/22`, `2400:cb00::`, `all`,
/// `unix:`), normalised: a bare address is a /32 or /128, `::ffff:a.b.c.d` is IPv4.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddrSpec {
    Net(ipnet::IpNet),
    /// Every address of both families (nginx `all`, Envoy's hop count: any peer).
    All,
    /// Connections over a unix socket.
    Unix,
    /// Something stacklint does not judge (a host name, an ACL file it could not read).
    Other,
}

/// One address of a trust or access list, with where it is written.
#[derive(Clone, Debug)]
pub struct AddrEntry {
    pub spec: AddrSpec,
    /// As written (`173.245.48.0/20`, `all`).
    pub text: String,
    pub span: Span,
}

/// The header a server reads the client address from, and where that was set.
#[derive(Clone, Debug)]
pub struct ClientHeader {
    /// `CF-Connecting-IP`, `X-Forwarded-For`, `X-Real-IP`, `proxy_protocol`.
    pub name: String,
    /// `None`: the component's default (nginx `real_ip_header` unset = `X-Real-IP`).
    pub span: Option<Span>,
}

/// Whom a server believes about the client address (nginx `set_real_ip_from`, HAProxy
/// `http-request set-src`, Envoy `xff_num_trusted_hops`): requests from `from` may replace the
/// peer address with the one in `header`.
#[derive(Clone, Debug)]
pub struct Trust {
    pub server: ServerId,
    /// Where it applies: `server`, `location /api/`.
    pub scope: String,
    /// The first trust directive (anchor when there are no entries).
    pub span: Span,
    pub from: Vec<AddrEntry>,
    pub header: ClientHeader,
    /// Skips trusted addresses in a list header (nginx `real_ip_recursive on`, Envoy hop counts).
    pub recursive: Option<Span>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Deny,
}

#[derive(Clone, Debug)]
pub struct AccessRule {
    pub verdict: Verdict,
    pub addr: AddrEntry,
}

/// Who may connect (nginx `allow`/`deny`, a `geo` map used to refuse, HAProxy `acl ... src` with
/// `http-request deny`, Envoy RBAC on the peer address): rules in order, the first that matches
/// decides.
#[derive(Clone, Debug)]
pub struct AccessList {
    pub server: ServerId,
    /// `server`, `location /admin/`.
    pub scope: String,
    pub span: Span,
    pub rules: Vec<AccessRule>,
    /// What an address no rule matches gets.
    pub otherwise: Verdict,
    /// The list is checked against the client address a trust list restored, not the peer's
    /// (nginx: access runs after realip).
    pub sees_client: bool,
    /// nginx `satisfy any`: another check (auth_basic, auth_request) may let a denied peer in.
    pub satisfy_any: Option<Span>,
    /// What a refused peer gets: `403`, `a closed connection`.
    pub denial: String,
}

/// The whole graph, read-only for rules.
#[derive(Debug, Default)]
pub struct Stack {
    pub servers: Vec<Server>,
    pub listeners: Vec<Listener>,
    pub routes: Vec<Route>,
    pub groups: Vec<Group>,
    pub problems: Vec<Problem>,
    /// Client-address trust lists, per server and scope.
    pub trust: Vec<Trust>,
    /// Access lists on the client (or peer) address, per server and scope.
    pub access: Vec<AccessList>,
    /// The declared edge's published address ranges, when stacklint has them.
    pub edge_ranges: Option<EdgeRanges>,
    /// How long servers wait for a client's request headers (Node `headersTimeout`), for the
    /// servers that have such a limit.
    pub headers_timeouts: Vec<(ServerId, Timeout)>,
    /// Listeners grouped by the address they accept on (filled by [`StackBuilder::link`]).
    pub binds: Vec<Bind>,
}

/// A hop resolved to the servers it reaches: what cross-layer rules iterate over.
pub struct Edge<'a> {
    pub route: &'a Route,
    pub caller: &'a Server,
    /// The group the hop goes through, if any.
    pub group: Option<&'a Group>,
    pub target: &'a Target,
    pub listener: &'a Listener,
    pub callee: &'a Server,
}

impl Stack {
    /// The pool in force for a hop: the group's own, else the hop's.
    pub fn pool_of<'a>(&'a self, route: &'a Route) -> Option<&'a Pool> {
        match &route.hop.target {
            HopTarget::Group(g) => self.groups[*g].pool.as_ref().or(route.hop.pool.as_ref()),
            _ => route.hop.pool.as_ref(),
        }
    }

    /// The targets a route sends to.
    pub fn targets_of<'a>(&'a self, route: &'a Route) -> (Option<&'a Group>, Vec<&'a Target>) {
        match &route.hop.target {
            HopTarget::Group(g) => {
                let g = &self.groups[*g];
                (Some(g), g.targets.iter().collect())
            }
            HopTarget::Direct(t) => (None, vec![t]),
            _ => (None, Vec::new()),
        }
    }

    /// Servers the declared edge sends to directly (its routes' listeners' servers).
    pub fn behind_edge(&self) -> Vec<ServerId> {
        let mut out: Vec<ServerId> = self
            .routes
            .iter()
            .filter(|r| self.servers[r.server].role == Role::Edge)
            .flat_map(|r| self.targets_of(r).1)
            .flat_map(|t| t.reaches.iter().map(|&l| self.listeners[l].server))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Every target in the graph: the groups' and the routes' direct ones.
    pub fn all_targets(&self) -> impl Iterator<Item = &Target> {
        self.groups.iter().flat_map(|g| g.targets.iter()).chain(self.routes.iter().filter_map(
            |r| match &r.hop.target {
                HopTarget::Direct(t) => Some(t),
                _ => None,
            },
        ))
    }

    /// The listeners some target reaches or may land on (as one of several candidates), by
    /// listener id. Linear: a candidate set is marked once, not once per target.
    pub fn reached_listeners(&self) -> Vec<bool> {
        #[derive(Clone, Copy, PartialEq)]
        enum Marked {
            No,
            AllBut(ServerId),
            All,
        }
        let mut reached = vec![false; self.listeners.len()];
        let mut binds = vec![Marked::No; self.binds.len()];
        for t in self.all_targets() {
            for &l in &t.reaches {
                reached[l] = true;
            }
            if let Some(c) = &t.candidates {
                for &b in &c.binds {
                    binds[b] = match (binds[b], c.except) {
                        (Marked::No, Some(s)) => Marked::AllBut(s),
                        (Marked::AllBut(x), Some(s)) if x == s => Marked::AllBut(s),
                        _ => Marked::All,
                    };
                }
            }
        }
        for (b, m) in self.binds.iter().zip(binds) {
            for &l in &b.listeners {
                match m {
                    Marked::No => {}
                    Marked::AllBut(s) if self.listeners[l].server == s => {}
                    _ => reached[l] = true,
                }
            }
        }
        reached
    }

    /// How many servers a candidate set may land on (the caller's own excluded), counted per
    /// bind: a server bound to two of them counts twice.
    pub fn candidate_count(&self, c: &Candidates) -> usize {
        c.binds
            .iter()
            .map(|&b| {
                let servers = &self.binds[b].servers;
                servers.len() - usize::from(c.except.is_some_and(|s| servers.binary_search(&s).is_ok()))
            })
            .sum()
    }

    /// Every (route, target, listener, callee) quadruple that the graph links.
    pub fn edges(&self) -> Vec<Edge<'_>> {
        let mut out = Vec::new();
        for route in &self.routes {
            let (group, targets) = self.targets_of(route);
            for target in targets {
                for &l in &target.reaches {
                    let listener = &self.listeners[l];
                    out.push(Edge {
                        route,
                        caller: &self.servers[route.server],
                        group,
                        target,
                        listener,
                        callee: &self.servers[listener.server],
                    });
                }
            }
        }
        out
    }
}

/// Component modules add nodes here; `link` resolves targets to listeners.
#[derive(Default)]
pub struct StackBuilder {
    pub stack: Stack,
}

impl StackBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_server(&mut self, server: Server) -> ServerId {
        self.stack.servers.push(server);
        self.stack.servers.len() - 1
    }

    pub fn add_listener(&mut self, server: ServerId, endpoint: Endpoint, span: Span, is_default: bool) -> ListenerId {
        self.stack.listeners.push(Listener { server, endpoint, span, is_default });
        let id = self.stack.listeners.len() - 1;
        self.stack.servers[server].listeners.push(id);
        id
    }

    pub fn add_route(&mut self, route: Route) -> RouteId {
        self.stack.routes.push(route);
        self.stack.routes.len() - 1
    }

    pub fn add_group(&mut self, group: Group) -> GroupId {
        self.stack.groups.push(group);
        self.stack.groups.len() - 1
    }

    /// Finds a group by component and name (first declared wins, as in nginx and HAProxy).
    pub fn group_named(&self, component: Component, name: &str) -> Option<GroupId> {
        self.stack.groups.iter().position(|g| g.component == component && g.name == name)
    }

    /// Records how long a server waits for request headers.
    pub fn set_headers_timeout(&mut self, server: ServerId, timeout: Timeout) {
        self.stack.headers_timeouts.retain(|(s, _)| *s != server);
        self.stack.headers_timeouts.push((server, timeout));
    }

    pub fn add_problem(&mut self, problem: Problem) {
        self.stack.problems.push(problem);
    }

    /// Adds host aliases (compose service names, stacklint.toml aliases) to a server.
    pub fn alias(&mut self, server: ServerId, name: &str) {
        let s = &mut self.stack.servers[server];
        if !s.aliases.iter().any(|a| a.eq_ignore_ascii_case(name)) {
            s.aliases.push(name.to_ascii_lowercase());
        }
    }

    /// Joins every target to the listeners it reaches. A target never reaches its own server.
    pub fn link(mut self) -> Stack {
        let Stack { servers, listeners, routes, groups, binds, .. } = &mut self.stack;
        *binds = bind_listeners(servers, listeners);
        let index = BindIndex::new(binds);
        for g in groups.iter_mut() {
            for t in &mut g.targets {
                (t.reaches, t.candidates) = index.join(binds, listeners, &t.endpoint, None);
            }
        }
        for r in routes.iter_mut() {
            if let HopTarget::Direct(t) = &mut r.hop.target {
                (t.reaches, t.candidates) = index.join(binds, listeners, &t.endpoint, Some(r.server));
            }
        }
        // As the callee of an outer layer (a CDN, HAProxy in front of nginx), a proxy works on a
        // request for as long as its slowest route waits for its upstream.
        for r in routes.iter() {
            if !matches!(r.hop.target, HopTarget::Group(_) | HopTarget::Direct(_)) {
                continue;
            }
            let s = &mut servers[r.server];
            if s.role != Role::Proxy {
                continue;
            }
            let longer = match &s.work_timeout {
                None => true,
                Some(w) => w.ms.is_some() && r.hop.read_timeout.ms.is_none_or(|m| Some(m) > w.ms),
            };
            if longer {
                s.work_timeout = Some(r.hop.read_timeout.clone());
            }
        }
        self.stack
    }
}

/// Groups listeners into [`Bind`]s: same endpoint (socket paths normalised), same host aliases.
fn bind_listeners(servers: &[Server], listeners: &[Listener]) -> Vec<Bind> {
    let mut binds: Vec<Bind> = Vec::new();
    let mut by_key: HashMap<(Endpoint, Vec<String>), BindId> = HashMap::new();
    for (i, l) in listeners.iter().enumerate() {
        let endpoint = match &l.endpoint {
            Endpoint::Unix(p) => Endpoint::Unix(addr::normalize_path(p)),
            Endpoint::Tcp { .. } => l.endpoint.clone(),
            Endpoint::Fd(_) => continue,
        };
        let mut aliases = servers[l.server].aliases.clone();
        aliases.sort();
        let b = *by_key.entry((endpoint, aliases.clone())).or_insert_with(|| {
            binds.push(Bind { endpoint: l.endpoint.clone(), aliases, listeners: Vec::new(), servers: Vec::new() });
            binds.len() - 1
        });
        binds[b].listeners.push(i);
        binds[b].servers.push(l.server);
    }
    for b in &mut binds {
        b.servers.sort_unstable();
        b.servers.dedup();
    }
    binds
}

/// Where to look for the binds a target may reach: by port and bound host, by port and host
/// alias, by socket path. Every bind [`addr::reaches`] accepts is in one of the lists a target
/// looks up, so linking costs a few hash look-ups per target, whatever the number of listeners.
struct BindIndex {
    by_host: HashMap<(u16, Host), Vec<BindId>>,
    by_alias: HashMap<(u16, String), Vec<BindId>>,
    by_path: HashMap<String, Vec<BindId>>,
}

impl BindIndex {
    fn new(binds: &[Bind]) -> BindIndex {
        let mut me = BindIndex { by_host: HashMap::new(), by_alias: HashMap::new(), by_path: HashMap::new() };
        for (i, b) in binds.iter().enumerate() {
            match &b.endpoint {
                Endpoint::Tcp { host, port } => {
                    me.by_host.entry((*port, host.clone())).or_default().push(i);
                    for a in &b.aliases {
                        me.by_alias.entry((*port, a.to_ascii_lowercase())).or_default().push(i);
                    }
                }
                Endpoint::Unix(p) => me.by_path.entry(addr::normalize_path(p)).or_default().push(i),
                Endpoint::Fd(_) => {}
            }
        }
        me
    }

    /// The binds `ep` reaches (sorted, distinct).
    fn lookup(&self, binds: &[Bind], ep: &Endpoint) -> Vec<BindId> {
        let mut found: Vec<BindId> = Vec::new();
        match ep {
            Endpoint::Tcp { host, port } => {
                let mut lists = vec![self.by_host.get(&(*port, Host::Any))];
                if *host != Host::Any {
                    lists.push(self.by_host.get(&(*port, host.clone())));
                }
                if let Host::Name(n) = host {
                    lists.push(self.by_alias.get(&(*port, n.to_ascii_lowercase())));
                }
                found.extend(lists.into_iter().flatten().flatten().copied());
            }
            Endpoint::Unix(p) => found.extend(self.by_path.get(&addr::normalize_path(p)).into_iter().flatten()),
            Endpoint::Fd(_) => {}
        }
        found.sort_unstable();
        found.dedup();
        found.retain(|&b| addr::reaches(ep, &binds[b].endpoint, &binds[b].aliases));
        found
    }

    /// What a target at `ep` reaches, never the caller's own server (`except`): the listeners,
    /// when they all belong to one server; else the binds, as candidates.
    fn join(
        &self,
        binds: &[Bind],
        listeners: &[Listener],
        ep: &Endpoint,
        except: Option<ServerId>,
    ) -> (Vec<ListenerId>, Option<Candidates>) {
        let found = self.lookup(binds, ep);
        // The first two servers other than the caller (each bind holds the caller at most once).
        let mut owners: Vec<ServerId> = Vec::with_capacity(2);
        'scan: for &b in &found {
            for &s in &binds[b].servers {
                if Some(s) != except && !owners.contains(&s) {
                    owners.push(s);
                    if owners.len() > 1 {
                        break 'scan;
                    }
                }
            }
        }
        match owners.len() {
            0 => (Vec::new(), None),
            1 => {
                let mut reaches: Vec<ListenerId> = found
                    .iter()
                    .flat_map(|&b| binds[b].listeners.iter().copied())
                    .filter(|&l| Some(listeners[l].server) != except)
                    .collect();
                reaches.sort_unstable();
                reaches.dedup();
                (reaches, None)
            }
            _ => (Vec::new(), Some(Candidates { binds: found, except })),
        }
    }
}
