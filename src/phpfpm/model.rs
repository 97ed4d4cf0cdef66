//! Puts PHP-FPM pools into the stack graph: each pool is an app server with the listener from
//! `listen`, `request_terminate_timeout` as its processing timeout (units and defaults from
//! [`super::defaults`]), and the facts worth printing (`pm`, `pm.max_children`,
//! `max_execution_time`, `listen.allowed_clients`) as notes.

use super::defaults::{self, parse_count, parse_time};
use super::{Config, Master, PoolConf};
use crate::duration::{fmt_ms, Origin, Timeout};
use crate::graph::{Component, Endpoint, Host, KeepAlive, Problem, ProblemKind, Role, Server, StackBuilder};
use crate::source::Span;

/// Where the effective `max_execution_time` came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MaxExecFrom {
    /// php.ini (or a conf.d file), with its display path.
    PhpIni(String),
    /// `php_admin_value[max_execution_time]` / `php_value[...]` in the pool.
    Pool(&'static str),
    /// Nothing set: PHP's built-in 30 s.
    Default,
}

/// `max_execution_time`: seconds (0 = none), CPU time on Linux.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaxExec {
    pub secs: i64,
    pub span: Option<Span>,
    pub from: MaxExecFrom,
}

/// A `listen` value read the way PHP-FPM reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listen {
    pub endpoint: Endpoint,
    pub text: String,
    pub span: Span,
}

/// A pool's effective settings.
#[derive(Clone, Debug)]
pub struct Pool {
    pub name: String,
    pub file: String,
    pub header: Span,
    pub listen: Option<Listen>,
    pub allowed_clients: Option<(String, Span)>,
    pub pm: Option<(String, Span)>,
    pub max_children: Option<(u64, Span)>,
    /// The processing timeout: explicit, or the documented default.
    pub work_timeout: Timeout,
    pub max_execution_time: MaxExec,
    pub notes: Vec<String>,
    pub problems: Vec<Problem>,
}

/// `listen`: `127.0.0.1:9000`, `[::1]:9000`, `9000` (every address), `*:9000`, `/run/php.sock`.
/// PHP-FPM's rule (`fpm_sockets_domain_from_address`): a `:` means TCP, digits alone mean a port
/// on every address, anything else is a unix socket path.
pub fn parse_listen(s: &str) -> Option<Endpoint> {
    if s.is_empty() {
        return None;
    }
    if let Some(i) = s.rfind(':') {
        let port: u16 = s[i + 1..].parse().ok()?;
        let host = &s[..i];
        return Some(Endpoint::tcp(Host::parse(host), port));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Endpoint::tcp(Host::Any, s.parse().ok()?));
    }
    Some(Endpoint::Unix(s.to_string()))
}

/// The effective settings of every pool of every PHP-FPM configuration.
pub fn pools(cfg: &Config) -> Vec<Pool> {
    cfg.masters.iter().flat_map(|m| m.pools.iter().map(move |p| pool(cfg, m, p))).collect()
}

fn pool(cfg: &Config, m: &Master, p: &PoolConf) -> Pool {
    // `$pool` is replaced by the pool name in every value (fpm_conf_expand_pool_name).
    let val = |key: &str| {
        p.get(key).map(|e| {
            let v = e.value.cooked(&cfg.env);
            (v.0.replace("$pool", &p.name), !v.1.is_empty(), e)
        })
    };
    let mut notes = Vec::new();
    let mut problems = Vec::new();
    let invalid = |e: &crate::phpfpm::parser::Entry, v: &str, why: &str, help: &str| Problem {
        kind: ProblemKind::InvalidValue,
        component: Component::PhpFpm,
        span: if e.value.span.is_empty() { e.span } else { e.value.span },
        message: format!(
            "`{} = {v}`: {why}; php-fpm refuses to start (\"unable to parse value for entry '{}'\")",
            e.full_key(),
            e.full_key()
        ),
        help: help.to_string(),
    };

    let listen = match val("listen") {
        Some((_, true, e)) => {
            notes.push(format!("listen = {} depends on the environment; not linked", e.value.text()));
            None
        }
        Some((v, false, e)) => match parse_listen(&v) {
            Some(endpoint) => Some(Listen { endpoint, text: v, span: e.value.span }),
            None => {
                problems.push(Problem {
                    kind: ProblemKind::InvalidValue,
                    component: Component::PhpFpm,
                    span: e.value.span,
                    message: format!("`listen = {v}`: not an address, port or socket path; php-fpm refuses to start"),
                    help: "write `127.0.0.1:9000`, `9000` or `/run/php/php-fpm.sock`".into(),
                });
                None
            }
        },
        None => {
            problems.push(Problem {
                kind: ProblemKind::InvalidValue,
                component: Component::PhpFpm,
                span: p.header,
                message: format!(
                    "pool `{}` has no `listen`: php-fpm refuses to start (\"no listen address have been defined!\")",
                    p.name
                ),
                help: "add `listen = /run/php/php-fpm.sock` (or `127.0.0.1:9000`) to the pool".into(),
            });
            None
        }
    };
    let allowed_clients = val("listen.allowed_clients").map(|(v, _, e)| (v, e.value.span));
    if let Some((v, _)) = &allowed_clients {
        notes.push(format!("listen.allowed_clients = {v} (TCP only: other clients are dropped)"));
    }
    let pm = val("pm").map(|(v, _, e)| (v, e.value.span));
    if let Some((v, s)) = &pm {
        notes.push(format!("pm = {v}"));
        if !matches!(v.as_str(), "static" | "dynamic" | "ondemand") {
            if let Some(e) = p.get("pm") {
                problems.push(invalid(
                    e,
                    v,
                    "invalid process manager (static, dynamic or ondemand)",
                    "set `pm = dynamic`, `static` or `ondemand`",
                ));
            }
            let _ = s;
        }
    }
    let max_children = match val("pm.max_children") {
        Some((v, _, e)) => match parse_count(&v) {
            Ok(n) => {
                notes.push(format!("pm.max_children = {n}"));
                Some((n, e.value.span))
            }
            Err(why) => {
                problems.push(invalid(e, &v, why, "`pm.max_children` is a whole number of workers"));
                None
            }
        },
        None => None,
    };

    let max_execution_time = max_exec(cfg, m, p);
    if max_execution_time.secs > 0 {
        let from = match &max_execution_time.from {
            MaxExecFrom::PhpIni(f) => f.clone(),
            MaxExecFrom::Pool(k) => format!("{k}[max_execution_time]"),
            MaxExecFrom::Default => "PHP default".into(),
        };
        notes.push(format!(
            "max_execution_time = {} ({from}; CPU time only on Linux, not a wall-clock bound)",
            fmt_ms(Some(max_execution_time.secs as u64 * 1000))
        ));
    }

    let work_timeout = match p.get("request_terminate_timeout") {
        Some(e) => {
            let v = e.value.cooked(&cfg.env).0;
            match parse_time(&v) {
                Ok(ms) if ms > 0 => {
                    if v.ends_with("ms") {
                        notes.push(format!(
                            "request_terminate_timeout = {v} reads as {} (php-fpm takes the last character as the unit)",
                            fmt_ms(Some(ms as u64))
                        ));
                    }
                    Timeout::explicit(Some(ms as u64), e.span)
                }
                Ok(_) => Timeout::explicit(None, e.span),
                Err(why) => {
                    problems.push(invalid(
                        e,
                        &v,
                        why,
                        "PHP-FPM times are a whole number with one optional unit: `30s`, `5m`, `1h`, `1d` (no unit = seconds)",
                    ));
                    default_terminate(&max_execution_time)
                }
            }
        }
        None => default_terminate(&max_execution_time),
    };
    for (key, _) in [("request_slowlog_timeout", ()), ("pm.process_idle_timeout", ())] {
        if let Some(e) = p.get(key) {
            let v = e.value.cooked(&cfg.env).0;
            if let Err(why) = parse_time(&v) {
                problems.push(invalid(e, &v, why, "PHP-FPM times are a whole number with one optional unit: `30s`, `5m`, `1h`, `1d` (no unit = seconds)"));
            }
        }
    }
    Pool {
        name: p.name.clone(),
        file: p.file.clone(),
        header: p.header,
        listen,
        allowed_clients,
        pm,
        max_children,
        work_timeout,
        max_execution_time,
        notes,
        problems,
    }
}

fn default_terminate(met: &MaxExec) -> Timeout {
    if met.secs > 0 {
        Timeout::default(&defaults::REQUEST_TERMINATE_TIMEOUT_CPU_ONLY)
    } else {
        Timeout::default(&defaults::REQUEST_TERMINATE_TIMEOUT)
    }
}

/// `php_admin_value[max_execution_time]` beats `php_value[...]`, which beats php.ini, which beats
/// PHP's built-in 30 s.
fn max_exec(cfg: &Config, m: &Master, p: &PoolConf) -> MaxExec {
    for key in ["php_admin_value", "php_value"] {
        if let Some(e) = p.get(&format!("{key}[max_execution_time]")) {
            return MaxExec {
                secs: defaults::php_ini_int(&e.value.cooked(&cfg.env).0),
                span: Some(e.span),
                from: MaxExecFrom::Pool(key),
            };
        }
    }
    if let Some(ini) = m.php_ini.and_then(|i| cfg.php_inis.get(i)) {
        if let Some(e) = &ini.max_execution_time {
            let file = cfg
                .files
                .iter()
                .find(|f| f.source.contains(e.span))
                .map(|f| f.source.display.clone())
                .unwrap_or_else(|| ini.file.clone());
            return MaxExec {
                secs: defaults::php_ini_int(&e.value.cooked(&cfg.env).0),
                span: Some(e.span),
                from: MaxExecFrom::PhpIni(file),
            };
        }
    }
    MaxExec {
        secs: defaults::MAX_EXECUTION_TIME.value_ms.unwrap_or(0) as i64 / 1000,
        span: None,
        from: MaxExecFrom::Default,
    }
}

/// Adds every pool to the graph as an app server.
pub fn add(cfg: &Config, b: &mut StackBuilder) {
    let mut reported: std::collections::HashSet<crate::source::Span> =
        b.stack.problems.iter().map(|p| p.span).collect();
    for p in pools(cfg) {
        let sid = b.add_server(Server {
            component: Component::PhpFpm,
            role: Role::App,
            name: format!("pool {} ({})", p.name, p.file),
            span: p.header,
            listeners: Vec::new(),
            work_timeout: Some(p.work_timeout.clone()),
            keepalive: Some(KeepAlive::ClosesEach {
                why:
                    "PHP-FPM closes the FastCGI connection after each response unless nginx sets `fastcgi_keep_conn on`"
                        .into(),
                origin: Origin::Default(&defaults::CLOSES_EACH),
            }),
            aliases: Vec::new(),
            notes: p.notes.clone(),
        });
        if let Some(l) = &p.listen {
            b.add_listener(sid, l.endpoint.clone(), l.span, false);
        }
        for pr in p.problems {
            if reported.insert(pr.span) {
                b.add_problem(pr);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_forms() {
        assert_eq!(parse_listen("127.0.0.1:9000"), Some(Endpoint::tcp(Host::Loopback, 9000)));
        assert_eq!(parse_listen("9000"), Some(Endpoint::tcp(Host::Any, 9000)));
        assert_eq!(parse_listen("[::1]:9000"), Some(Endpoint::tcp(Host::Loopback, 9000)));
        assert_eq!(parse_listen("*:9001"), Some(Endpoint::tcp(Host::Any, 9001)));
        assert_eq!(parse_listen("[::]:9000"), Some(Endpoint::tcp(Host::Any, 9000)));
        assert_eq!(parse_listen("/run/php/php8.2-fpm.sock"), Some(Endpoint::Unix("/run/php/php8.2-fpm.sock".into())));
        assert_eq!(parse_listen("php.sock"), Some(Endpoint::Unix("php.sock".into())));
        assert_eq!(parse_listen("10.0.0.5:9000"), Some(Endpoint::tcp(Host::parse("10.0.0.5"), 9000)));
        assert_eq!(parse_listen("127.0.0.1:http"), None);
        assert_eq!(parse_listen(""), None);
    }
}
