//! Where nginx decides whom to believe about the client address (trust lists) and whom to let in
//! (access lists), into the graph's component-neutral [`Trust`] and [`AccessList`]:
//! `set_real_ip_from` (array: a level that sets any replaces its parent's list),
//!   `real_ip_header` (default `X-Real-IP`), `real_ip_recursive`, `allow`/`deny` (array, in order,
//!   first match wins, `all`), `satisfy`, and `geo` maps that an `if (...) { return 403; }` uses
//!   to refuse clients. Access runs after realip, so a list at a level with realip sees clients.
//! (HAProxy's reader is `crate::haproxy::trust`, Envoy's `crate::envoy::trust`.)

use crate::cdn::trust::addr_entry;
use crate::component::TrustWords;
use crate::graph::{AccessList, AccessRule, AddrEntry, AddrSpec, ClientHeader, ServerId, StackBuilder, Trust, Verdict};
use crate::nginx::ast::{Directive, Tree};
use std::collections::HashMap;

/// One `geo $var { ... }` map: longest prefix wins.
#[derive(Clone, Debug)]
struct Geo {
    default: String,
    entries: Vec<(AddrEntry, String)>,
}

/// The client-address settings in force at one level, nginx's inheritance applied.
#[derive(Clone, Default)]
struct Scope<'a> {
    from: Option<Vec<&'a Directive>>,
    header: Option<&'a Directive>,
    recursive: Option<&'a Directive>,
    access: Option<Vec<&'a Directive>>,
    satisfy: Option<&'a Directive>,
}

impl<'a> Scope<'a> {
    fn enter(&self, level: &[&'a Directive]) -> Scope<'a> {
        let mut s = self.clone();
        let from: Vec<_> = level.iter().copied().filter(|d| d.name == "set_real_ip_from").collect();
        if !from.is_empty() {
            s.from = Some(from);
        }
        let access: Vec<_> = level.iter().copied().filter(|d| d.name == "allow" || d.name == "deny").collect();
        if !access.is_empty() {
            s.access = Some(access);
        }
        for d in level {
            match d.name.as_str() {
                "real_ip_header" => s.header = Some(d),
                "real_ip_recursive" => s.recursive = Some(d),
                "satisfy" => s.satisfy = Some(d),
                _ => {}
            }
        }
        s
    }

    fn realip_on(&self) -> bool {
        self.from.as_ref().is_some_and(|f| !f.is_empty())
    }
}

/// What every `server {}` of one `http {}` level inherits: its geo maps and its realip and
/// access directives. Read once per http level (not once per server: a big config has thousands).
pub struct NginxHttp<'a> {
    geos: HashMap<String, Geo>,
    top: Scope<'a>,
}

/// Reads the http level that [`nginx_server`] needs.
pub fn nginx_http<'a>(tree: &'a Tree, http: &[&'a Directive]) -> NginxHttp<'a> {
    NginxHttp { geos: geo_maps(tree, http), top: Scope::default().enter(http) }
}

/// Reads one nginx `server {}` (inheriting from its http level) into trust and access lists.
pub fn nginx_server<'a>(
    tree: &'a Tree,
    http: &NginxHttp<'a>,
    body: &[&'a Directive],
    sid: ServerId,
    b: &mut StackBuilder,
) {
    let scope = http.top.enter(body);
    let mut cx = Nginx { tree, geos: &http.geos, sid, b };
    cx.level(&|| "server".to_string(), body, &scope, true);
}

struct Nginx<'t, 'b> {
    tree: &'t Tree,
    geos: &'t HashMap<String, Geo>,
    sid: ServerId,
    b: &'b mut StackBuilder,
}

impl<'t> Nginx<'t, '_> {
    /// `name` builds the level's display name (only needed when the level has something to say:
    /// most locations don't, and formatting every one showed up in profiles).
    fn level(&mut self, name: &dyn Fn() -> String, level: &[&'t Directive], scope: &Scope<'t>, is_server: bool) {
        let sets_trust = is_server
            || level
                .iter()
                .any(|d| matches!(d.name.as_str(), "set_real_ip_from" | "real_ip_header" | "real_ip_recursive"));
        if sets_trust {
            self.trust(&name(), scope);
        }
        let sets_access = is_server
            || level.iter().any(|d| matches!(d.name.as_str(), "allow" | "deny" | "satisfy" | "set_real_ip_from"));
        if sets_access {
            self.access(&name(), scope);
        }
        for d in level {
            if d.block.is_none() {
                continue;
            }
            match d.name.as_str() {
                "location" | "limit_except" => {
                    let body = self.tree.expanded(d.children());
                    let inner = scope.enter(&body);
                    let here = || {
                        let args: Vec<&str> = d.args.iter().map(|a| a.value.as_str()).collect();
                        match d.name.as_str() {
                            "location" => format!("location {}", args.join(" ")),
                            _ => format!("{} (limit_except {})", name(), args.join(" ")),
                        }
                    };
                    self.level(&here, &body, &inner, false);
                }
                "if" => self.geo_use(&name(), d, scope),
                _ => {}
            }
        }
    }

    fn trust(&mut self, name: &str, scope: &Scope<'t>) {
        let Some(from) = scope.from.as_ref().filter(|f| !f.is_empty()) else { return };
        let entries: Vec<AddrEntry> =
            from.iter().filter_map(|d| d.args.first().map(|a| addr_entry(&a.value, a.span))).collect();
        let header = match scope.header.and_then(|h| h.args.first()) {
            Some(a) => ClientHeader { name: a.value.clone(), span: Some(a.span) },
            None => ClientHeader { name: "X-Real-IP".into(), span: None },
        };
        let recursive = scope.recursive.filter(|d| d.arg(0) == Some("on")).map(|d| d.span);
        self.b.stack.trust.push(Trust {
            server: self.sid,
            scope: name.to_string(),
            span: from[0].span,
            from: entries,
            header,
            recursive,
        });
    }

    fn access(&mut self, name: &str, scope: &Scope<'t>) {
        let Some(dirs) = scope.access.as_ref().filter(|a| !a.is_empty()) else { return };
        let rules = dirs
            .iter()
            .filter_map(|d| {
                let a = d.args.first()?;
                let verdict = if d.name == "allow" { Verdict::Allow } else { Verdict::Deny };
                Some(AccessRule { verdict, addr: addr_entry(&a.value, a.span) })
            })
            .collect();
        self.b.stack.access.push(AccessList {
            server: self.sid,
            scope: name.to_string(),
            span: dirs[0].span,
            rules,
            otherwise: Verdict::Allow,
            sees_client: scope.realip_on(),
            satisfy_any: scope.satisfy.filter(|d| d.arg(0) == Some("any")).map(|d| d.span),
            denial: "403 (\"access forbidden by rule\")".into(),
        });
    }

    /// `if ($geo_var = 0) { return 403; }` and friends: the geo map decides who is refused.
    fn geo_use(&mut self, name: &str, d: &'t Directive, scope: &Scope<'t>) {
        let refuses = self.tree.expanded(d.children()).iter().any(|x| {
            x.name == "return" && x.arg(0).is_some_and(|c| matches!(c, "403" | "444" | "401" | "404" | "421"))
        });
        if !refuses {
            return;
        }
        let cond: Vec<&str> = d.args.iter().map(|a| a.value.as_str()).collect();
        let cond = cond.join(" ");
        let cond = cond.trim().trim_start_matches('(').trim_end_matches(')').trim();
        let words: Vec<&str> = cond.split_whitespace().collect();
        // (negated, variable, Some((op, value)))
        let (negated, var, test) = match words.as_slice() {
            [v] => (v.starts_with('!'), v.trim_start_matches('!'), None),
            [v, op, val] if *op == "=" || *op == "!=" => (false, *v, Some((*op, val.trim_matches('"')))),
            _ => return,
        };
        let Some(geo) = var.strip_prefix('$').and_then(|v| self.geos.get(v)) else { return };
        let denied = |value: &str| -> bool {
            match test {
                None => (value.is_empty() || value == "0") == negated,
                Some(("=", v)) => value == v,
                Some((_, v)) => value != v,
            }
        };
        let verdict = |value: &str| if denied(value) { Verdict::Deny } else { Verdict::Allow };
        // Longest prefix first: the first match is then geo's answer.
        let mut entries: Vec<&(AddrEntry, String)> = geo.entries.iter().collect();
        entries.sort_by_key(|(e, _)| match &e.spec {
            AddrSpec::Net(n) => std::cmp::Reverse(n.prefix_len()),
            _ => std::cmp::Reverse(0),
        });
        let rules = entries.iter().map(|(e, v)| AccessRule { verdict: verdict(v), addr: e.clone() }).collect();
        self.b.stack.access.push(AccessList {
            server: self.sid,
            scope: format!("{name} (geo ${})", var.trim_start_matches('$')),
            span: d.span,
            rules,
            otherwise: verdict(&geo.default),
            sees_client: scope.realip_on(),
            satisfy_any: None,
            denial: "the `return` in this `if`".into(),
        });
    }
}

/// `geo [$address] $var { default V; CIDR V; ... }` blocks at the http level, keyed by the
/// variable. Maps over another address than `$remote_addr`, and `ranges` maps, are left out.
fn geo_maps<'a>(tree: &'a Tree, http: &[&'a Directive]) -> HashMap<String, Geo> {
    let mut out = HashMap::new();
    for d in http.iter().filter(|d| d.name == "geo" && d.block.is_some()) {
        let var = match d.args.len() {
            1 => d.arg(0),
            2 if d.arg(0) == Some("$remote_addr") => d.arg(1),
            _ => None,
        };
        let Some(var) = var.map(|v| v.trim_start_matches('$').to_string()) else { continue };
        let body = tree.expanded(d.children());
        if body.iter().any(|x| x.name == "ranges") {
            continue;
        }
        let mut geo = Geo { default: String::new(), entries: Vec::new() };
        for e in body {
            let value = e.arg(0).unwrap_or("").to_string();
            match e.name.as_str() {
                "default" => geo.default = value,
                "proxy" | "proxy_recursive" | "delete" | "include" => {}
                addr => geo.entries.push((addr_entry(addr, e.name_span), value)),
            }
        }
        out.insert(var, geo);
    }
    out
}

/// How nginx writes what the CDN rules suggest.
pub static WORDS: TrustWords = TrustWords {
    trust_word: "`set_real_ip_from`",
    trust_line: |net| format!("set_real_ip_from {net};"),
    header_line: |header| format!("real_ip_header {header};"),
    recursive_setting: Some(("real_ip_recursive on", "real_ip_recursive on;")),
    allow_line: |net| format!("allow {net};"),
};
