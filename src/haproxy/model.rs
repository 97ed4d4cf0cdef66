//! Puts HAProxy configs into the stack graph.
//!
//! * `frontend` and `listen` sections are proxy [`Server`]s, with a [`Listener`](crate::graph::Listener)
//!   per `bind` address (each port of a small port range, or the first port of a range longer than
//!   64), and client keep-alive = `timeout http-keep-alive`, else `timeout http-request`, else
//!   `timeout client` (configuration.txt §4.2).
//! * `backend` and `listen` sections are [`Group`]s whose targets are their `server` (and
//!   `server-template`) lines.
//! * `use_backend` and `default_backend` are [`Route`]s (the ACL condition kept in the route name);
//!   a `listen` section with servers and no `default_backend` routes to itself. The hop's read
//!   timeout is the backend's effective `timeout server` (inactivity), its connect timeout the
//!   backend's `timeout connect`, both resolved through the `defaults` chain (the latest `defaults`
//!   before the proxy, or `from NAME`, recursively); unset means no limit.
//! * Connection reuse: HAProxy keeps idle server connections with no idle timer and purges half of
//!   them every `pool-purge-delay` (5 s); the hop's pool idle is that delay. No pool with
//!   `option http-server-close`, `option httpclose` (frontend or backend), `http-reuse never` or
//!   a backend in `mode tcp`.
//! * A frontend's work timeout (what a caller in front of HAProxy must outwait) is the longest
//!   `timeout server` among its routes (set for every proxy by `StackBuilder::link`).
//! * Problems: time values HAProxy rejects (`1.5s`, overflow: `InvalidValue`), unit-less values
//!   below 1000 ms and compound values (`SuspiciousUnit`), proxies without `timeout client`,
//!   `connect` or `server` (`MissingTimeout`), `bind` without a port (`InvalidValue`).

use super::ast::{Arg, Config, Instance, Line, Section, SectionKind};
use super::defaults::{self, parse_time, TimeError};
use crate::duration::{DefaultFact, Origin, Timeout};
use crate::graph::addr::edit_distance;
use crate::graph::{
    Component, Endpoint, Group, Hop, HopTarget, Host, KeepAlive, Pool, Problem, ProblemKind, Protocol, Role, Route,
    Server, StackBuilder, Target,
};
use std::collections::{BTreeSet, HashMap};

/// Adds every instance of the config to the graph.
pub fn add(cfg: &Config, b: &mut StackBuilder) {
    for inst in &cfg.instances {
        Model::new(inst).add(b);
    }
}

/// A setting line and whether it came from a `defaults` section.
#[derive(Clone, Copy)]
struct Set<'a> {
    line: &'a Line,
    inherited: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum HttpMode {
    KeepAlive,
    ServerClose,
    Close,
}

/// The effective settings of a section: its own lines over its defaults chain.
#[derive(Clone, Default)]
struct Settings<'a> {
    timeouts: HashMap<String, Set<'a>>,
    mode: Option<Set<'a>>,
    http_mode: Option<(Set<'a>, HttpMode)>,
    reuse: Option<Set<'a>>,
    default_backend: Option<Set<'a>>,
    default_server: Vec<&'a Line>,
}

impl<'a> Settings<'a> {
    fn inherit(&self) -> Settings<'a> {
        let mut s = self.clone();
        let inh = |x: &mut Set<'a>| x.inherited = true;
        s.timeouts.values_mut().for_each(inh);
        s.mode.as_mut().map(inh);
        if let Some((x, _)) = s.http_mode.as_mut() {
            x.inherited = true;
        }
        s.reuse.as_mut().map(inh);
        s.default_backend.as_mut().map(inh);
        s
    }

    fn apply(&mut self, l: &'a Line) {
        let own = Set { line: l, inherited: false };
        match l.keyword() {
            "timeout" => {
                if let Some(k) = l.arg(0) {
                    self.timeouts.insert(k.to_string(), own);
                }
            }
            "mode" => self.mode = Some(own),
            "http-reuse" => self.reuse = Some(own),
            "default_backend" => self.default_backend = Some(own),
            "default-server" => self.default_server.push(l),
            "option" => match l.arg(0) {
                Some("http-keep-alive") => self.http_mode = Some((own, HttpMode::KeepAlive)),
                Some("http-server-close") => self.http_mode = Some((own, HttpMode::ServerClose)),
                Some("httpclose") | Some("forceclose") => self.http_mode = Some((own, HttpMode::Close)),
                _ => {}
            },
            "no" if l.arg(0) == Some("option") => {
                if let Some(o) = l.arg(1) {
                    let cur = self.http_mode.map(|(_, m)| m);
                    let clears = matches!(
                        (o, cur),
                        ("http-server-close", Some(HttpMode::ServerClose))
                            | ("httpclose", Some(HttpMode::Close))
                            | ("forceclose", Some(HttpMode::Close))
                    );
                    if clears {
                        self.http_mode = Some((own, HttpMode::KeepAlive));
                    }
                }
            }
            _ => {}
        }
    }

    fn mode(&self) -> &str {
        self.mode.and_then(|m| m.line.arg(0)).unwrap_or("tcp")
    }

    fn http_mode(&self) -> HttpMode {
        self.http_mode.map(|(_, m)| m).unwrap_or(HttpMode::KeepAlive)
    }

    /// A timeout with a usable value (set, parsable, not zero).
    fn timeout(&self, name: &str) -> Option<(Set<'a>, u64)> {
        let s = *self.timeouts.get(name)?;
        let v = s.line.words.get(2)?;
        if v.unresolved {
            return None;
        }
        let t = parse_time(&v.value).ok()?;
        (t.ms > 0).then_some((s, t.ms))
    }

    /// Is a timeout in force? Unset or `0` is not; a value HAProxy rejects, or one only known at
    /// run time (`"${T}"`), counts as set (the first has its own finding).
    fn has_timeout(&self, name: &str) -> bool {
        let Some(s) = self.timeouts.get(name) else {
            return false;
        };
        match s.line.words.get(2) {
            Some(v) if v.unresolved => true,
            Some(v) => parse_time(&v.value).map_or(true, |t| t.ms > 0),
            None => false,
        }
    }

    /// The effective timeout as the graph holds it.
    fn effective(&self, name: &str, default: &'static DefaultFact) -> Timeout {
        match self.timeout(name) {
            Some((s, ms)) => to_timeout(s, Some(ms)),
            None => Timeout::default(default),
        }
    }
}

fn to_timeout(s: Set<'_>, ms: Option<u64>) -> Timeout {
    Timeout { ms, origin: if s.inherited { Origin::Inherited(s.line.span) } else { Origin::Explicit(s.line.span) } }
}

/// A section with the file it sits in.
struct Sec<'a> {
    s: &'a Section,
    file: &'a str,
    /// Index of the `defaults` section it takes its settings from.
    parent: Option<usize>,
}

struct Model<'a> {
    inst: &'a Instance,
    secs: Vec<Sec<'a>>,
    settings: Vec<Settings<'a>>,
}

/// A parsed `bind`/`server` address.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Addr {
    Tcp {
        host: Host,
        port: Port,
    },
    Unix(String),
    /// `fd@`, `sockpair@`, `abns@`, `rhttp@`, unresolved `${VAR}`: nothing to link.
    Other(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Port {
    Fixed(u16),
    Range(u16, u16),
    /// No port: a server uses the port the client connected to.
    None,
    /// `+N` / `-N`: an offset from the port the client connected to.
    Offset(String),
    Bad(String),
}

/// Reads an address as `str2sa_range()` does (prefixes, `[v6]:port`, `:::port`, `/unix/path`).
fn parse_addr(s: &str) -> Addr {
    let (prefix, rest) = match s.find('@') {
        Some(i) if !s[..i].contains(['/', ':', '[']) => (&s[..i], &s[i + 1..]),
        _ => ("", s),
    };
    match prefix {
        "" | "ipv4" | "ipv6" | "tcp" | "tcp4" | "tcp6" | "quic4" | "quic6" | "udp" | "udp4" | "udp6" => {}
        "unix" | "uxst" => return Addr::Unix(rest.to_string()),
        _ => return Addr::Other(s.to_string()),
    }
    if rest.starts_with('/') {
        return Addr::Unix(rest.to_string());
    }
    if rest.contains("${") || rest.contains('%') {
        return Addr::Other(s.to_string());
    }
    let (host, port) = if let Some(r) = rest.strip_prefix('[') {
        match r.find(']') {
            Some(e) => (&r[..e], r[e + 1..].strip_prefix(':')),
            None => (rest, None),
        }
    } else {
        match rest.rfind(':') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        }
    };
    let port = match port {
        None | Some("") => Port::None,
        Some(p) if p.starts_with(['+', '-']) => Port::Offset(p.to_string()),
        Some(p) => match p.split_once('-') {
            Some((a, b)) => match (a.parse(), b.parse()) {
                (Ok(a), Ok(b)) if a <= b => Port::Range(a, b),
                _ => Port::Bad(p.to_string()),
            },
            None => p.parse().map(Port::Fixed).unwrap_or_else(|_| Port::Bad(p.to_string())),
        },
    };
    Addr::Tcp { host: Host::parse(host), port }
}

/// Ports of a port range that get a listener each; longer ranges keep their first port.
const MAX_RANGE: u16 = 64;

/// A server line that sits in a backend.
struct ServerLine<'a> {
    line: &'a Line,
    addr_arg: &'a Arg,
    addr: Addr,
}

struct RouteSpec<'a> {
    name: String,
    line: &'a Line,
    target: &'a Arg,
}

/// What a backend name leads to.
#[derive(Clone, Copy)]
enum BackendRef {
    Group(usize),
    /// A backend with no servers that answers by itself (`stats enable`, `http-request return`).
    SelfServing,
}

impl<'a> Model<'a> {
    fn new(inst: &'a Instance) -> Self {
        let mut secs: Vec<Sec<'a>> = Vec::new();
        let mut last_defaults = None;
        for f in &inst.files {
            for s in &f.sections {
                let from = s.from.as_ref().map(|a| a.value.as_str());
                let parent = match from {
                    Some(n) => secs.iter().rposition(|x| x.s.kind == SectionKind::Defaults && x.s.name() == Some(n)),
                    None if s.kind == SectionKind::Defaults => None,
                    None => last_defaults,
                };
                if s.kind == SectionKind::Defaults {
                    last_defaults = Some(secs.len());
                }
                secs.push(Sec { s, file: &f.source.display, parent });
            }
        }
        let mut settings: Vec<Settings<'a>> = Vec::with_capacity(secs.len());
        for x in &secs {
            // Parents always come first, so their settings are ready.
            let mut st = match x.parent {
                Some(p) => settings[p].inherit(),
                None => Settings::default(),
            };
            for l in &x.s.lines {
                st.apply(l);
            }
            settings.push(st);
        }
        Model { inst, secs, settings }
    }

    fn add(&self, b: &mut StackBuilder) {
        self.time_problems(b);
        super::trust::problems(self.inst, b);
        self.missing_timeouts(b);
        let proxies: Vec<usize> =
            (0..self.secs.len()).filter(|&i| self.secs[i].s.kind.is_proxy() && !self.is_disabled(i)).collect();
        // Backends by name (first wins).
        let mut backends: HashMap<&str, usize> = HashMap::new();
        for &i in &proxies {
            if self.secs[i].s.kind.is_backend() {
                if let Some(n) = self.secs[i].s.name() {
                    backends.entry(n).or_insert(i);
                }
            }
        }
        // Routes of every frontend, then the bind ports that reach each backend.
        let mut routes: Vec<(usize, Vec<RouteSpec<'a>>)> = Vec::new();
        for &i in &proxies {
            if self.secs[i].s.kind.is_frontend() {
                routes.push((i, self.routes_of(i)));
            }
        }
        let mut ports_to: HashMap<usize, BTreeSet<u16>> = HashMap::new();
        let mut unknown_port_to: BTreeSet<usize> = BTreeSet::new();
        for (fe, rs) in &routes {
            let ports = self.bind_ports(*fe);
            for r in rs {
                if let Some(&be) = backends.get(r.target.value.as_str()) {
                    match &ports {
                        Some(p) => ports_to.entry(be).or_default().extend(p),
                        None => {
                            unknown_port_to.insert(be);
                        }
                    }
                }
            }
        }
        // Groups.
        let mut refs: HashMap<usize, BackendRef> = HashMap::new();
        let mut order: Vec<usize> = backends.values().copied().collect();
        order.sort_unstable();
        for be in order {
            let servers = self.servers(be);
            if servers.is_empty() && self.serves_itself(be) {
                refs.insert(be, BackendRef::SelfServing);
                continue;
            }
            // A `listen` section that hands its traffic to its `default_backend`, and that no
            // other frontend switches to, never uses its own (empty) server list: not a group.
            if servers.is_empty()
                && self.secs[be].s.kind == SectionKind::Listen
                && self.settings[be].default_backend.is_some()
                && !ports_to.contains_key(&be)
                && !unknown_port_to.contains(&be)
            {
                continue;
            }
            let client_port = match ports_to.get(&be) {
                Some(p) if p.len() == 1 && !unknown_port_to.contains(&be) => p.first().copied(),
                _ => None,
            };
            // A check port can come from `port N` on the server, a `default-server`, or a
            // `tcp-check connect port N` / `http-check connect port N` rule.
            let check_port = self.secs[be]
                .s
                .lines
                .iter()
                .chain(self.settings[be].default_server.iter().copied())
                .any(|l| l.words.iter().any(|w| w.value == "port"));
            let mut resolves = false;
            let mut targets = Vec::new();
            for sv in &servers {
                let mut flags = Vec::new();
                for w in sv.line.args() {
                    match w.value.as_str() {
                        "backup" => flags.push("backup".to_string()),
                        "disabled" => {
                            flags.push("disabled".to_string());
                            // `down` is what other rules read as "not in rotation".
                            flags.push("down".to_string());
                        }
                        "check" => flags.push("check".to_string()),
                        "resolvers" => resolves = true,
                        _ => {}
                    }
                }
                let endpoint = match &sv.addr {
                    Addr::Tcp { host, port: Port::Fixed(p) } => Endpoint::tcp(host.clone(), *p),
                    Addr::Tcp { host, port: Port::None } => match client_port {
                        _ if flags.iter().any(|f| f == "check") && !check_port => {
                            b.add_problem(Problem {
                                kind: ProblemKind::InvalidValue,
                                component: Component::Haproxy,
                                span: sv.addr_arg.span,
                                message: format!(
                                    "server `{}` has no port and `check` has none either: HAProxy refuses to start (\"has neither service port nor check port\")",
                                    sv.line.arg(0).unwrap_or("")
                                ),
                                help: "write the port on the address (`10.0.0.1:8000`), or give checks one with `port 8000`".into(),
                            });
                            Endpoint::Fd(format!("{host}:<client port>"))
                        }
                        Some(p) => {
                            flags.push(format!("no port: uses the frontend's bind port {p}"));
                            Endpoint::tcp(host.clone(), p)
                        }
                        None => {
                            flags.push("no port: uses the port the client connected to (not linked)".to_string());
                            Endpoint::Fd(format!("{host}:<client port>"))
                        }
                    },
                    Addr::Tcp { host, port } => {
                        let p = match port {
                            Port::Offset(o) => o.clone(),
                            Port::Bad(b) => b.clone(),
                            Port::Range(a, z) => format!("{a}-{z}"),
                            _ => String::new(),
                        };
                        flags.push("port relative to the client's (not linked)".to_string());
                        Endpoint::Fd(format!("{host}:{p}"))
                    }
                    Addr::Unix(p) => Endpoint::Unix(p.clone()),
                    Addr::Other(o) => Endpoint::Fd(o.clone()),
                };
                let mut t = Target::new(endpoint, sv.addr_arg.span);
                t.flags = flags;
                targets.push(t);
            }
            let name = self.secs[be].s.name().unwrap_or("").to_string();
            let g = b.add_group(Group {
                component: Component::Haproxy,
                name,
                span: self.secs[be].s.span(),
                targets,
                pool: None,
                resolves,
            });
            refs.insert(be, BackendRef::Group(g));
        }
        // Frontends.
        for (fe, rs) in routes {
            self.frontend(b, fe, rs, &backends, &refs);
        }
    }

    fn is_disabled(&self, i: usize) -> bool {
        self.secs[i].s.lines.iter().any(|l| l.keyword() == "disabled")
    }

    /// `frontend www`, `listen stats`.
    fn proxy_name(&self, i: usize) -> String {
        let s = self.secs[i].s;
        format!("{} {}", s.keyword(), s.name().unwrap_or(""))
    }

    fn header_label(&self, i: usize) -> String {
        let s = self.secs[i].s;
        format!(
            "{}{} ({}:{})",
            s.keyword(),
            s.name().map(|n| format!(" {n}")).unwrap_or_default(),
            self.secs[i].file,
            s.header.line
        )
    }

    /// `use_backend` lines in order, then the effective `default_backend`; a `listen` section
    /// with servers and no `default_backend` also sends to itself.
    fn routes_of(&self, i: usize) -> Vec<RouteSpec<'a>> {
        let s = self.secs[i].s;
        let mut out = Vec::new();
        for l in s.lines_named("use_backend") {
            if let Some(t) = l.words.get(1) {
                let cond = l.words[2..].iter().map(|w| w.value.as_str()).collect::<Vec<_>>().join(" ");
                out.push(RouteSpec {
                    name: if cond.is_empty() {
                        format!("{} (use_backend)", self.proxy_name(i))
                    } else {
                        format!("{} (use_backend {cond})", self.proxy_name(i))
                    },
                    line: l,
                    target: t,
                });
            }
        }
        match self.settings[i].default_backend {
            Some(d) => {
                if let Some(t) = d.line.words.get(1) {
                    out.push(RouteSpec {
                        name: format!("{} (default_backend)", self.proxy_name(i)),
                        line: d.line,
                        target: t,
                    });
                }
            }
            None if s.kind == SectionKind::Listen && s.lines_named("server").next().is_some() => {
                if let Some(n) = &s.name {
                    out.push(RouteSpec {
                        name: format!("listen {} (its own servers)", n.value),
                        // (a listen section is both the caller and the group)
                        line: &s.header,
                        target: n,
                    });
                }
            }
            None => {}
        }
        out
    }

    /// The TCP ports a frontend binds, `None` when some bind's port is unknown.
    fn bind_ports(&self, i: usize) -> Option<BTreeSet<u16>> {
        let mut out = BTreeSet::new();
        for l in self.secs[i].s.lines_named("bind") {
            let Some(a) = l.words.get(1) else { continue };
            for part in a.value.split(',') {
                match parse_addr(part) {
                    Addr::Tcp { port: Port::Fixed(p), .. } => {
                        out.insert(p);
                    }
                    Addr::Tcp { port: Port::Range(x, y), .. } => {
                        out.extend(x..=y.min(x.saturating_add(MAX_RANGE - 1)));
                    }
                    Addr::Unix(_) => {}
                    _ => return None,
                }
            }
        }
        Some(out)
    }

    fn servers(&self, i: usize) -> Vec<ServerLine<'a>> {
        let mut out = Vec::new();
        for l in &self.secs[i].s.lines {
            let addr_arg = match l.keyword() {
                "server" => l.words.get(2),
                "server-template" => l.words.get(3),
                _ => None,
            };
            if let Some(a) = addr_arg {
                let addr = if a.unresolved { Addr::Other(a.value.clone()) } else { parse_addr(&a.value) };
                out.push(ServerLine { line: l, addr_arg: a, addr });
            }
        }
        out
    }

    /// A backend that answers requests itself (stats page, `http-request return`, ...).
    fn serves_itself(&self, i: usize) -> bool {
        self.secs[i].s.lines.iter().any(|l| {
            let kw = l.keyword();
            let a0 = l.arg(0).unwrap_or("");
            matches!(kw, "stats" | "redirect" | "errorfile" | "use-service")
                || (matches!(kw, "http-request" | "tcp-request")
                    && matches!(a0, "return" | "redirect" | "deny" | "tarpit" | "use-service" | "reject"))
                || (kw == "tcp-request" && l.arg(1).is_some_and(|a| a == "use-service"))
                || (kw == "http-request" && a0 == "use-service")
        })
    }

    fn frontend(
        &self,
        b: &mut StackBuilder,
        fe: usize,
        rs: Vec<RouteSpec<'a>>,
        backends: &HashMap<&str, usize>,
        refs: &HashMap<usize, BackendRef>,
    ) {
        let sec = self.secs[fe].s;
        let st = &self.settings[fe];
        let mut notes = vec![format!("mode {}", st.mode())];
        if let Some(p) = sec.lines.iter().find(|l| !l.cond.is_empty()) {
            notes.push(format!(
                "has lines under `.if` conditions (e.g. line {}: {}); stacklint counts every branch",
                p.line,
                p.cond.join(" / ")
            ));
        }
        let keepalive = if st.http_mode() == HttpMode::Close && st.mode() == "http" {
            let (s, _) = st.http_mode.expect("close mode is set");
            Some(KeepAlive::ClosesEach {
                why: "`option httpclose` closes client connections after each response".into(),
                origin: to_timeout(s, None).origin,
            })
        } else {
            let keys: &[&str] =
                if st.mode() == "http" { &["http-keep-alive", "http-request", "client"] } else { &["client"] };
            let t = keys
                .iter()
                .find_map(|k| st.timeout(k))
                .map(|(s, ms)| to_timeout(s, Some(ms)))
                .unwrap_or_else(|| Timeout::default(&defaults::TIMEOUT_HTTP_KEEP_ALIVE));
            Some(KeepAlive::Idle(t))
        };
        let sid = b.add_server(Server {
            component: Component::Haproxy,
            role: Role::Proxy,
            name: self.header_label(fe),
            span: sec.span(),
            listeners: Vec::new(),
            work_timeout: None,
            keepalive,
            aliases: Vec::new(),
            notes: Vec::new(),
        });
        // Access rules and `http-request set-src`: who gets in, whom it believes.
        let http = st.mode() == "http";
        super::trust::frontend(sec, &self.inst.pattern_files, http, &self.proxy_name(fe), sid, b);
        for l in sec.lines_named("bind") {
            let Some(a) = l.words.get(1) else { continue };
            if l.args().iter().any(|w| w.value == "ssl") {
                notes.push(format!("TLS on bind {}", a.value));
            }
            if a.unresolved {
                notes.push(format!("bind {} is only known at run time", a.value));
                continue;
            }
            for part in a.value.split(',') {
                match parse_addr(part) {
                    Addr::Tcp { host, port: Port::Fixed(p) } => {
                        b.add_listener(sid, Endpoint::tcp(host, p), a.span, false);
                    }
                    Addr::Tcp { host, port: Port::Range(x, y) } => {
                        let last = y.min(x.saturating_add(MAX_RANGE - 1));
                        if last < y {
                            notes.push(format!("bind {part}: only ports {x}-{last} of the range are linked"));
                        }
                        for p in x..=last {
                            b.add_listener(sid, Endpoint::tcp(host.clone(), p), a.span, false);
                        }
                    }
                    Addr::Tcp { port: Port::None, .. } => b.add_problem(Problem {
                        kind: ProblemKind::InvalidValue,
                        component: Component::Haproxy,
                        span: a.span,
                        message: format!(
                            "`bind {part}` has no port: HAProxy refuses to start (\"missing port specification\")"
                        ),
                        help: "write the port: `bind :80`, `bind 127.0.0.1:8080`, `bind :::443 v4v6`".into(),
                    }),
                    Addr::Unix(p) => {
                        b.add_listener(sid, Endpoint::Unix(p), a.span, false);
                    }
                    Addr::Tcp { .. } | Addr::Other(_) => {
                        notes.push(format!(
                            "bind {part} is not linked (inherited fd, abstract socket or relative port)"
                        ));
                    }
                }
            }
        }
        for r in rs {
            let name = r.target.value.as_str();
            let be = backends.get(name).copied();
            let target = if r.target.unresolved || name.contains("%[") || name.contains('%') {
                HopTarget::Dynamic { text: name.to_string(), has_resolver: true }
            } else {
                match be.and_then(|i| refs.get(&i)) {
                    Some(BackendRef::Group(g)) => HopTarget::Group(*g),
                    Some(BackendRef::SelfServing) => {
                        HopTarget::Dynamic { text: format!("backend {name} (answers by itself)"), has_resolver: true }
                    }
                    None => self.missing(name, backends),
                }
            };
            // Settings of the backend (a missing backend: the frontend's own defaults).
            let bst = be.map(|i| &self.settings[i]).unwrap_or(st);
            let read_timeout = bst.effective("server", &defaults::TIMEOUT_SERVER);
            let connect_timeout = bst.effective("connect", &defaults::TIMEOUT_CONNECT);
            let protocol = if bst.mode() == "http" { Protocol::Http } else { Protocol::Tcp };
            let pool = be.and_then(|i| self.pool(fe, i));
            b.add_route(Route {
                server: sid,
                name: r.name,
                span: r.line.span,
                hop: Hop {
                    protocol,
                    span: r.line.span,
                    target_span: r.target.span,
                    target_text: name.to_string(),
                    target,
                    read_timeout,
                    read_semantics: "inactivity",
                    connect_timeout: Some(connect_timeout),
                    pool,
                    pool_defeated: Vec::new(),
                },
            });
        }
        b.stack.servers[sid].notes = notes;
    }

    /// HAProxy's idle server-connection pool for a frontend -> backend hop.
    fn pool(&self, fe: usize, be: usize) -> Option<Pool> {
        let (f, bk) = (&self.settings[fe], &self.settings[be]);
        if bk.mode() != "http" || f.http_mode() != HttpMode::KeepAlive {
            return None;
        }
        if bk.http_mode() != HttpMode::KeepAlive {
            return None;
        }
        let reuse = bk.reuse;
        if reuse.and_then(|r| r.line.arg(0)) == Some("never") {
            return None;
        }
        // pool-purge-delay: on a server line, else a default-server line (backend, then defaults).
        let mut idle = None;
        let servers = self.servers(be);
        let sources = servers
            .iter()
            .map(|s| (s.line, false))
            .chain(self.secs[be].s.lines_named("default-server").map(|l| (l, false)))
            .chain(bk.default_server.iter().map(|l| (*l, true)));
        for (l, inherited) in sources {
            let ws = &l.words;
            if let Some(i) = ws.iter().position(|w| w.value == "pool-purge-delay") {
                if let Some(Ok(t)) = ws.get(i + 1).map(|v| parse_time(&v.value)) {
                    let set = Set { line: l, inherited };
                    let mut t = to_timeout(set, Some(t.ms));
                    if let Origin::Explicit(_) | Origin::Inherited(_) = t.origin {
                        let span = ws[i].span.to(ws[i + 1].span);
                        t.origin = if inherited { Origin::Inherited(span) } else { Origin::Explicit(span) };
                    }
                    idle = Some(t);
                    break;
                }
            }
        }
        if idle.as_ref().is_some_and(|t| t.ms == Some(0)) {
            return None;
        }
        let enabled_at =
            reuse.filter(|r| matches!(r.line.arg(0), Some("safe" | "aggressive" | "always"))).map(|r| r.line.span);
        Some(Pool {
            idle: idle.unwrap_or_else(|| Timeout::default(&defaults::POOL_PURGE_DELAY)),
            enabled_at,
            default_note: Some(defaults::POOL_NOTE.to_string()),
            http2: false,
        })
    }

    fn missing(&self, name: &str, backends: &HashMap<&str, usize>) -> HopTarget {
        let nearest = backends
            .keys()
            .map(|k| (edit_distance(k, name), *k))
            .filter(|(d, k)| *d <= (k.len().max(name.len()) / 2).max(2))
            .min()
            .map(|(_, k)| k);
        let mut why = format!(
            "no `backend` or `listen` section is named `{name}`: HAProxy refuses to start (\"unable to find required use_backend: '{name}'\")"
        );
        if let Some(n) = nearest {
            why.push_str(&format!("; did you mean `{n}`?"));
        }
        HopTarget::Missing { name: name.to_string(), why }
    }

    /// Time values HAProxy rejects or reads differently than they look.
    fn time_problems(&self, b: &mut StackBuilder) {
        for x in &self.secs {
            for l in &x.s.lines {
                if l.keyword() != "timeout" {
                    continue;
                }
                let Some(v) = l.words.get(2) else { continue };
                if v.unresolved {
                    continue;
                }
                let setting = format!("timeout {}", l.arg(0).unwrap_or(""));
                match parse_time(&v.value) {
                    Err(e) => {
                        let help = match &e {
                            TimeError::Unexpected { ch: '.', .. } => {
                                "HAProxy takes no decimals: write `1500ms` instead of `1.5s`"
                            }
                            TimeError::Overflow => "use at most `24d` (2147483647 ms)",
                            _ => "write one integer and one unit: `30s`, `500ms`, `2m`",
                        };
                        b.add_problem(Problem {
                            kind: ProblemKind::InvalidValue,
                            component: Component::Haproxy,
                            span: v.span,
                            message: format!(
                                "`{setting} {}`: {e}; HAProxy refuses to start",
                                v.value
                            ),
                            help: help.into(),
                        })
                    }
                    Ok(t) if t.ignored_tail.is_some() => {
                        let at = t.ignored_tail.unwrap_or(0);
                        let total = whole(&v.value);
                        b.add_problem(Problem {
                            kind: ProblemKind::SuspiciousUnit,
                            component: Component::Haproxy,
                            span: v.span,
                            message: format!(
                                "`{setting} {}` is read as {}: HAProxy takes one number and one unit and ignores `{}` (only a start-up warning)",
                                v.value,
                                crate::duration::fmt_ms(Some(t.ms)),
                                &v.value[at..]
                            ),
                            help: match total {
                                Some(ms) => format!("write it with one unit: `{setting} {}`", one_unit(ms)),
                                None => "write one integer and one unit: `90s`, `1500ms`".into(),
                            },
                        })
                    }
                    Ok(t) if t.unit.is_none() && t.ms > 0 && t.ms < defaults::SUSPICIOUS_BARE_MS => {
                        b.add_problem(Problem {
                            kind: ProblemKind::SuspiciousUnit,
                            component: Component::Haproxy,
                            span: v.span,
                            message: format!(
                                "`{setting} {}` has no unit, so HAProxy reads {} ms, not {} s: the timeout fires almost at once",
                                v.value, t.ms, t.ms
                            ),
                            help: format!(
                                "a bare number is milliseconds in HAProxy: write `{setting} {}s` (or `{}ms` if milliseconds are really meant)",
                                t.ms, t.ms
                            ),
                        })
                    }
                    Ok(_) => {}
                }
            }
        }
    }

    /// Proxies with no effective `timeout client` (frontends), `timeout connect` or
    /// `timeout server` (backends).
    fn missing_timeouts(&self, b: &mut StackBuilder) {
        for (i, x) in self.secs.iter().enumerate() {
            let k = x.s.kind;
            if !k.is_proxy() || self.is_disabled(i) {
                continue;
            }
            let st = &self.settings[i];
            if !matches!(st.mode(), "http" | "tcp") {
                continue;
            }
            let mut missing = Vec::new();
            if k.is_frontend() && !st.has_timeout("client") {
                missing.push("client");
            }
            if k.is_backend() {
                if !st.has_timeout("connect") {
                    missing.push("connect");
                }
                if !st.has_timeout("server") {
                    missing.push("server");
                }
            }
            if missing.is_empty() {
                continue;
            }
            let list = missing.iter().map(|m| format!("`timeout {m}`")).collect::<Vec<_>>().join(", ");
            let defaults_note = match x.parent {
                Some(p) => format!(" (nor does the defaults section it uses, {})", self.header_label(p)),
                None => " (and no `defaults` section comes before it)".to_string(),
            };
            let set_zero = missing.iter().any(|m| st.timeouts.contains_key(*m));
            b.add_problem(Problem {
                kind: ProblemKind::MissingTimeout,
                component: Component::Haproxy,
                span: x.s.span(),
                message: format!(
                    "{} `{}` in mode {} has no {list}{defaults_note}{}: HAProxy then never times out those connections, and stuck ones pile up until `maxconn` is reached and new clients wait or get 503/504",
                    x.s.keyword(),
                    x.s.name().unwrap_or(""),
                    st.mode(),
                    if set_zero { " (a value of 0 means none)" } else { "" }
                ),
                help: format!(
                    "set them once in `defaults`: {}",
                    missing
                        .iter()
                        .map(|m| match *m {
                            "connect" => "`timeout connect 5s`",
                            "client" => "`timeout client 30s`",
                            _ => "`timeout server 30s`",
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
        }
    }
}

/// The duration a compound value like `1m30s` was probably meant as (nginx-style reading).
fn whole(s: &str) -> Option<u64> {
    let mut total = 0u64;
    let mut rest = s;
    while !rest.is_empty() {
        let t = parse_time(rest).ok()?;
        t.unit?;
        total = total.checked_add(t.ms)?;
        rest = match t.ignored_tail {
            Some(i) => &rest[i..],
            None => "",
        };
    }
    Some(total)
}

/// `90000` -> `90s`, `1500` -> `1500ms`, `3600000` -> `1h`.
fn one_unit(ms: u64) -> String {
    if ms.is_multiple_of(3_600_000) {
        format!("{}h", ms / 3_600_000)
    } else if ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let tcp = |h: &str, p: u16| Addr::Tcp { host: Host::parse(h), port: Port::Fixed(p) };
        assert_eq!(parse_addr(":80"), tcp("", 80));
        assert_eq!(parse_addr("*:80"), tcp("*", 80));
        assert_eq!(parse_addr(":::443"), tcp("::", 443));
        assert_eq!(parse_addr("[::1]:8080"), tcp("::1", 8080));
        assert_eq!(parse_addr("ipv4@127.0.0.1:9000"), tcp("127.0.0.1", 9000));
        assert_eq!(parse_addr("ipv6@:::80"), tcp("::", 80));
        assert_eq!(parse_addr("web:5000"), tcp("web", 5000));
        assert_eq!(parse_addr("unix@/run/h.sock"), Addr::Unix("/run/h.sock".into()));
        assert_eq!(parse_addr("/run/h.sock"), Addr::Unix("/run/h.sock".into()));
        assert!(matches!(parse_addr("fd@3"), Addr::Other(_)));
        assert_eq!(parse_addr("10.0.0.1"), Addr::Tcp { host: Host::parse("10.0.0.1"), port: Port::None });
        assert_eq!(parse_addr(":8080-8090"), Addr::Tcp { host: Host::Any, port: Port::Range(8080, 8090) });
        assert!(matches!(parse_addr("10.0.0.1:+1"), Addr::Tcp { port: Port::Offset(_), .. }));
    }

    #[test]
    fn compound() {
        assert_eq!(whole("1m30s"), Some(90_000));
        assert_eq!(one_unit(90_000), "90s");
        assert_eq!(one_unit(120_000), "2m");
    }
}
