//! `stacklint graph`: the layered graph as text, outermost layer first:
//! servers and their listeners -> routes -> upstream groups -> targets -> the servers they reach,
//! with every timeout and where it came from.

use super::{HopTarget, KeepAlive, Role, Stack, Target};
use crate::duration::Timeout;
use crate::source::SourceMap;
use std::fmt::Write;

fn t(x: &Timeout) -> String {
    x.describe()
}

fn keepalive(k: &Option<KeepAlive>) -> String {
    match k {
        Some(KeepAlive::Idle(x)) => format!("keep-alive {}", t(x)),
        Some(KeepAlive::ClosesEach { why, .. }) => format!("no keep-alive ({why})"),
        None => "keep-alive unknown".into(),
    }
}

fn at(map: &SourceMap, span: crate::source::Span) -> String {
    map.location(span).map(|l| format!("{}:{}", l.file, l.line)).unwrap_or_default()
}

/// Renders the graph as an indented tree.
pub fn render(stack: &Stack, map: &SourceMap) -> String {
    let mut out = String::new();
    let order = [Role::Edge, Role::Proxy, Role::App];
    // Each server's routes, in order (one pass, not one per server).
    let mut routes_of: Vec<Vec<usize>> = vec![Vec::new(); stack.servers.len()];
    for (i, r) in stack.routes.iter().enumerate() {
        routes_of[r.server].push(i);
    }
    // Outermost first: within a role, servers nothing in the tree sends to come before the ones
    // another layer reaches.
    let mut reached: std::collections::HashSet<usize> = stack.edges().iter().map(|e| e.listener.server).collect();
    // Shared listener sets some route may land on: printed once, after the servers.
    let mut shared: Vec<bool> = vec![false; stack.binds.len()];
    for r in &stack.routes {
        for tg in stack.targets_of(r).1 {
            if let Some(c) = &tg.candidates {
                for &b in &c.binds {
                    shared[b] = true;
                }
            }
        }
    }
    for (b, _) in stack.binds.iter().zip(&shared).filter(|(_, s)| **s) {
        reached.extend(b.servers.iter().copied());
    }
    for role in order {
        let mut ids: Vec<usize> = (0..stack.servers.len()).filter(|&i| stack.servers[i].role == role).collect();
        ids.sort_by_key(|i| reached.contains(i));
        for (sid, s) in ids.into_iter().map(|i| (i, &stack.servers[i])) {
            let comp = s.component.as_str();
            let name = s.name.strip_prefix(comp).map(str::trim_start).unwrap_or(&s.name);
            let _ = writeln!(out, "{comp} {name}  [{}]", at(map, s.span));
            for &l in &s.listeners {
                let l = &stack.listeners[l];
                let d = if l.is_default { " (default)" } else { "" };
                let _ = writeln!(out, "  listen {}{d}", l.endpoint);
            }
            if let Some(w) = &s.work_timeout {
                if s.role == Role::Proxy {
                    let _ = writeln!(out, "  waits up to {} for its upstreams (longest route)", t(w));
                } else {
                    let _ = writeln!(out, "  processing timeout {}", t(w));
                }
            }
            let _ = writeln!(out, "  {}", keepalive(&s.keepalive));
            for n in &s.notes {
                let _ = writeln!(out, "  {n}");
            }
            for r in routes_of[sid].iter().map(|&r| &stack.routes[r]) {
                let h = &r.hop;
                let _ =
                    writeln!(out, "  {} -> {} {}  [{}]", r.name, h.protocol.as_str(), h.target_text, at(map, h.span));
                let _ = writeln!(out, "      read timeout {} ({})", t(&h.read_timeout), h.read_semantics);
                if let Some(c) = &h.connect_timeout {
                    let _ = writeln!(out, "      connect timeout {}", t(c));
                }
                match &h.target {
                    HopTarget::Group(g) => {
                        let g = &stack.groups[*g];
                        let _ = writeln!(out, "      group {}  [{}]", g.name, at(map, g.span));
                        pool_line(&mut out, stack, r);
                        for tg in &g.targets {
                            target_line(&mut out, stack, tg, "        ");
                        }
                    }
                    HopTarget::Direct(tg) => {
                        pool_line(&mut out, stack, r);
                        target_line(&mut out, stack, tg, "      ");
                    }
                    HopTarget::Missing { name, .. } => {
                        let _ = writeln!(out, "      !! `{name}` is not defined");
                    }
                    HopTarget::Dynamic { text, has_resolver } => {
                        let res = if *has_resolver { "resolver in scope" } else { "no resolver" };
                        let _ = writeln!(out, "      decided at run time: {text} ({res})");
                    }
                }
            }
            out.push('\n');
        }
    }
    if shared.iter().any(|s| *s) {
        let _ = writeln!(
            out,
            "shared listeners (several servers accept here; which one owns a target's address is not in the tree)"
        );
        for (i, b) in stack.binds.iter().enumerate().filter(|(i, _)| shared[*i]) {
            let _ = writeln!(out, "  [{}] {}: {} servers", bind_name(i), b.endpoint, b.servers.len());
            for &s in &b.servers {
                let s = &stack.servers[s];
                let _ = writeln!(out, "    {} {}  [{}]", s.component.as_str(), s.name, at(map, s.span));
            }
        }
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str("(no servers found)\n");
    }
    out
}

/// How the graph names a shared listener set.
fn bind_name(b: usize) -> String {
    format!("shared #{}", b + 1)
}

fn pool_line(out: &mut String, stack: &Stack, r: &super::Route) {
    match stack.pool_of(r) {
        Some(p) if r.hop.pool_defeated.is_empty() => {
            let http2 = if p.http2 { ", HTTP/2" } else { "" };
            let _ = writeln!(out, "      pool: idle connections kept {}{http2}", t(&p.idle));
        }
        Some(_) => {
            let why: Vec<&str> = r.hop.pool_defeated.iter().map(|d| d.message.as_str()).collect();
            let _ = writeln!(out, "      pool: configured but not used ({})", why.join("; "));
        }
        None => {
            let _ = writeln!(out, "      pool: none (a new connection per request)");
        }
    }
}

fn target_line(out: &mut String, stack: &Stack, tg: &Target, indent: &str) {
    if let Some(c) = &tg.candidates {
        let sets: Vec<String> =
            c.binds.iter().map(|&b| format!("{} [{}]", stack.binds[b].endpoint, bind_name(b))).collect();
        let _ = writeln!(
            out,
            "{indent}{} -> one of {} servers on {} (see shared listeners)",
            tg.endpoint,
            stack.candidate_count(c),
            sets.join(" or ")
        );
    } else if tg.reaches.is_empty() {
        let _ = writeln!(out, "{indent}{} -> (nothing in the tree listens here)", tg.endpoint);
    }
    for &l in &tg.reaches {
        let s = &stack.servers[stack.listeners[l].server];
        let _ = writeln!(out, "{indent}{} -> {} {}", tg.endpoint, s.component.as_str(), s.name);
    }
}
