//! Node apps end to end on this branch: files on disk -> node::load -> node::model::add -> graph,
//! and keepalive-race from a hand-built nginx pool to a Node server (no Node code in the rule).

use stacklint::discover;
use stacklint::duration::{Origin, Timeout};
use stacklint::graph::{
    Component, Endpoint, Group, Hop, HopTarget, Host, KeepAlive, Pool, ProblemKind, Protocol, Role, Route, Server,
    Stack, StackBuilder, Target,
};
use stacklint::source::Span;
use std::path::Path;

fn write(dir: &Path, files: &[(&str, &str)]) {
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// Loads a Node tree into a builder; returns the builder and the map's text for span checks.
fn build(files: &[(&str, &str)]) -> (StackBuilder, stacklint::source::SourceMap, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), files);
    let (ctx, found) = discover::discover(&[tmp.path().to_path_buf()]).unwrap();
    let (tree, errs) = stacklint::node::load(&ctx, &found);
    let mut b = StackBuilder::new();
    stacklint::node::model::add(&tree, &mut b);
    let errs = errs.into_iter().map(|e| e.message).collect();
    (b, ctx.map.freeze(), errs)
}

const EXPRESS: &str =
    "const express = require('express');\nconst app = express();\napp.listen(process.env.PORT || 3000);\n";

#[test]
fn default_keepalive_assumed_v24_and_env_port() {
    let (b, map, errs) = build(&[
        ("app/package.json", r#"{"name":"a","scripts":{"start":"node server.js"}}"#),
        ("app/server.js", EXPRESS),
        ("app/.env", "PORT=8081\n"),
    ]);
    assert!(errs.is_empty(), "{errs:?}");
    let st = &b.stack;
    assert_eq!(st.servers.len(), 1);
    let s = &st.servers[0];
    assert_eq!((s.component, s.role), (Component::Node, Role::App));
    assert!(s.name.starts_with("node ") && s.name.ends_with("server.js"), "{}", s.name);
    let Some(KeepAlive::Idle(ka)) = &s.keepalive else { panic!() };
    assert_eq!(ka.ms, Some(5_000));
    match &ka.origin {
        Origin::Default(f) => assert!(f.versions.contains("assumed v24"), "{}", f.versions),
        o => panic!("{o:?}"),
    }
    assert_eq!(s.work_timeout.as_ref().unwrap().ms, None);
    let l = &st.listeners[s.listeners[0]];
    assert_eq!(l.endpoint, Endpoint::tcp(Host::Any, 8081));
    assert_eq!(map.slice(l.span), "PORT=8081");
    assert_eq!(map.slice(s.span), "app.listen(process.env.PORT || 3000)");
}

#[test]
fn version_from_nvmrc_and_dockerfile() {
    let (b, _, _) =
        build(&[("package.json", r#"{"engines":{"node":">=18"}}"#), (".nvmrc", "26\n"), ("server.js", EXPRESS)]);
    let Some(KeepAlive::Idle(ka)) = &b.stack.servers[0].keepalive else { panic!() };
    assert_eq!(ka.ms, Some(65_000));
    let (b, _, _) = build(&[
        ("package.json", r#"{"engines":{"node":">=26"}}"#),
        ("Dockerfile", "FROM node:22-alpine\nENV PORT=4000\nCMD [\"node\", \"server.js\"]\n"),
        ("server.js", EXPRESS),
    ]);
    let s = &b.stack.servers[0];
    let Some(KeepAlive::Idle(ka)) = &s.keepalive else { panic!() };
    assert_eq!(ka.ms, Some(5_000), "Dockerfile FROM wins over engines");
    assert_eq!(b.stack.listeners[s.listeners[0]].endpoint.port(), Some(4000));
}

#[test]
fn source_default_port_when_env_unset_and_random_port_note() {
    let (b, _, _) = build(&[("package.json", "{}"), ("server.js", EXPRESS)]);
    assert_eq!(b.stack.listeners[0].endpoint.port(), Some(3000));
    let (b, _, _) = build(&[
        ("package.json", "{}"),
        ("server.js", "const express = require('express');\nexpress().listen(process.env.PORT);\n"),
    ]);
    let s = &b.stack.servers[0];
    assert!(s.listeners.is_empty());
    assert!(s.notes.iter().any(|n| n.contains("random port")), "{:?}", s.notes);
}

#[test]
fn pm2_env_wins_and_instances_noted() {
    let (b, _, _) = build(&[
        ("package.json", r#"{"scripts":{"start":"PORT=5000 node server.js"}}"#),
        ("server.js", EXPRESS),
        (
            "ecosystem.config.js",
            "module.exports = { apps: [{ name: 'api', script: './server.js', instances: 4, env: { PORT: 7000 } }] };\n",
        ),
    ]);
    let s = &b.stack.servers[0];
    assert_eq!(b.stack.listeners[s.listeners[0]].endpoint.port(), Some(7000));
    assert!(s.notes.iter().any(|n| n == "pm2 instances: 4"), "{:?}", s.notes);
    let (b, _, _) =
        build(&[("package.json", r#"{"scripts":{"start":"PORT=5000 node server.js"}}"#), ("server.js", EXPRESS)]);
    assert_eq!(b.stack.listeners[0].endpoint.port(), Some(5000));
}

#[test]
fn explicit_timeouts_spans_and_suspicious_unit() {
    let src = "const http = require('http');\nconst server = http.createServer((q, r) => r.end());\nserver.keepAliveTimeout = 65;\nserver.headersTimeout = 66000;\nserver.timeout = 30000;\nserver.listen(8080, '127.0.0.1');\n";
    let (b, map, _) = build(&[("package.json", "{}"), ("server.js", src)]);
    let s = &b.stack.servers[0];
    let Some(KeepAlive::Idle(ka)) = &s.keepalive else { panic!() };
    assert_eq!(ka.ms, Some(65));
    assert_eq!(map.slice(ka.origin.span().unwrap()), "server.keepAliveTimeout = 65");
    assert_eq!(s.work_timeout.as_ref().unwrap().ms, Some(30_000));
    assert_eq!(b.stack.listeners[0].endpoint, Endpoint::tcp(Host::Loopback, 8080));
    let p = &b.stack.problems[0];
    assert_eq!(p.kind, ProblemKind::SuspiciousUnit);
    assert_eq!(map.slice(p.span), "server.keepAliveTimeout = 65");
    let (_, h) = &b.stack.headers_timeouts[0];
    assert_eq!(h.ms, Some(66_000));
}

#[test]
fn fastify_defaults() {
    let (b, _, _) = build(&[
        ("package.json", "{}"),
        ("server.js", "const fastify = require('fastify')();\nfastify.listen({ port: 3000 });\n"),
    ]);
    let s = &b.stack.servers[0];
    let Some(KeepAlive::Idle(ka)) = &s.keepalive else { panic!() };
    assert_eq!(ka.ms, Some(72_000));
    assert_eq!(b.stack.listeners[0].endpoint, Endpoint::tcp(Host::Loopback, 3000));
}

#[test]
fn syntax_error_is_a_load_error_with_position() {
    let (b, _, errs) = build(&[("package.json", "{}"), ("server.js", "const a = 1;\napp.listen(3000\n")]);
    assert!(b.stack.servers.is_empty());
    assert_eq!(errs.len(), 1);
    assert!(errs[0].contains("server.js:3:1") || errs[0].contains("server.js:2:"), "{}", errs[0]);
}

#[test]
fn js_outside_a_package_is_ignored() {
    let (b, _, errs) = build(&[("scripts/tool.js", "syntax error here (((")]);
    assert!(b.stack.servers.is_empty() && errs.is_empty());
    let (b, _, errs) = build(&[
        ("package.json", "{}"),
        ("node_modules/x/index.js", "broken (("),
        ("server.min.js", "broken (("),
        ("server.js", EXPRESS),
    ]);
    assert!(errs.is_empty(), "{errs:?}");
    assert_eq!(b.stack.servers.len(), 1);
}

/// An nginx upstream pool (60 s idle) in front of a Node server with the default 5 s keep-alive:
/// keepalive-race fires from the graph alone.
#[test]
fn keepalive_race_nginx_pool_to_node_default() {
    let (mut b, _, _) = build(&[("package.json", "{}"), ("server.js", EXPRESS)]);
    let sp = Span::new(0, 0);
    let nginx = b.add_server(Server {
        component: Component::Nginx,
        role: Role::Proxy,
        name: "server_name _".into(),
        span: sp,
        listeners: Vec::new(),
        work_timeout: None,
        keepalive: None,
        aliases: Vec::new(),
        notes: Vec::new(),
    });
    let pool =
        Pool { idle: Timeout::explicit(Some(60_000), sp), enabled_at: Some(sp), default_note: None, http2: false };
    let g = b.add_group(Group {
        component: Component::Nginx,
        name: "node".into(),
        span: sp,
        targets: vec![Target::new(Endpoint::tcp(Host::Loopback, 3000), sp)],
        pool: Some(pool),
        resolves: false,
    });
    b.add_route(Route {
        server: nginx,
        name: "location /".into(),
        span: sp,
        hop: Hop {
            protocol: Protocol::Http,
            span: sp,
            target_span: sp,
            target_text: "http://node".into(),
            target: HopTarget::Group(g),
            read_timeout: Timeout::explicit(Some(60_000), sp),
            read_semantics: "between reads",
            connect_timeout: None,
            pool: None,
            pool_defeated: Vec::new(),
        },
    });
    let stack: Stack = b.link();
    let findings = stacklint::rules::run(&stack);
    let codes: Vec<&str> = findings.iter().map(|f| f.code).collect();
    assert!(codes.contains(&"SL201"), "{codes:?}");
    let f = findings.iter().find(|f| f.code == "SL201").unwrap();
    assert!(f.message.contains("node closes them after 5 s"), "{}", f.message);
}

#[test]
fn headers_timeout_order_from_graph() {
    let src = "const express = require('express');\nconst server = express().listen(3000);\nserver.keepAliveTimeout = 65000;\n";
    let (b, map, _) = build(&[("package.json", "{}"), ("server.js", src)]);
    let stack = b.link();
    let f: Vec<_> = stacklint::rules::run(&stack).into_iter().filter(|f| f.code == "SL202").collect();
    assert_eq!(f.len(), 1);
    assert_eq!(map.slice(f[0].anchor()), "server.keepAliveTimeout = 65000");
    // Node's own defaults (v26: 65 s keep-alive, 60 s headers) are not reported.
    let (b, _, _) = build(&[("package.json", r#"{"engines":{"node":"26"}}"#), ("server.js", EXPRESS)]);
    assert!(stacklint::rules::run(&b.link()).iter().all(|f| f.code != "SL202"));
}
