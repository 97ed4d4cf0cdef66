//! Node.js source analysis on real-world shapes: Express, Fastify, Koa, plain http/https, TS with
//! types, ESM and CJS; garbage and truncated input never panic.

use stacklint::node::source::{analyze, Framework, JsServer, Val};

fn servers(name: &str, src: &str) -> Vec<JsServer> {
    analyze(name, src).unwrap_or_else(|e| panic!("{name}: {e:?}")).servers
}

fn one(name: &str, src: &str) -> JsServer {
    let s = servers(name, src);
    assert_eq!(s.len(), 1, "{name}: {s:?}");
    s.into_iter().next().unwrap()
}

fn slice(src: &str, s: (u32, u32)) -> &str {
    &src[s.0 as usize..s.1 as usize]
}

fn env(var: &str, d: Option<Val>) -> Val {
    Val::Env { var: var.into(), default: d.map(Box::new) }
}

#[test]
fn express_cjs_with_server_settings() {
    let src = r#"'use strict';
const express = require('express');
const app = express();
const PORT = process.env.PORT || 3000;
app.get('/health', (req, res) => res.json({ ok: true }));
const server = app.listen(PORT, () => console.log(`listening on ${PORT}`));
server.keepAliveTimeout = 65 * 1000;
server.headersTimeout = 66 * 1000;
module.exports = server;
"#;
    let s = one("app.js", src);
    assert_eq!(s.framework, Framework::Express);
    assert_eq!(slice(src, s.span), "app.listen(PORT, () => console.log(`listening on ${PORT}`))");
    let l = s.listen.unwrap();
    assert_eq!(l.port.as_ref().unwrap().value, env("PORT", Some(Val::Num(3000.0))));
    assert_eq!(slice(src, l.port.unwrap().span), "PORT");
    let ka = s.keep_alive_timeout.unwrap();
    assert_eq!(ka.value, Val::Num(65000.0));
    assert_eq!(slice(src, ka.span), "server.keepAliveTimeout = 65 * 1000");
    assert_eq!(s.headers_timeout.unwrap().value, Val::Num(66000.0));
}

#[test]
fn express_esm_number_coalesce_and_host() {
    let src = "import express from 'express';\nconst app = express();\napp.listen(Number(process.env.PORT) ?? 3000, '0.0.0.0');\n";
    let s = one("index.mjs", src);
    let l = s.listen.unwrap();
    assert_eq!(l.port.unwrap().value, env("PORT", Some(Val::Num(3000.0))));
    let h = l.host.unwrap();
    assert_eq!(h.value, Val::Str("0.0.0.0".into()));
    assert_eq!(slice(src, h.span), "'0.0.0.0'");
}

#[test]
fn plain_http_with_options_and_set_timeout() {
    let src = "const http = require('node:http');\nconst server = http.createServer({ keepAliveTimeout: 70000, headersTimeout: 71000, requestTimeout: 120000 }, (req, res) => res.end('ok'));\nserver.setTimeout(30000);\nserver.listen(8080, '127.0.0.1');\n";
    let s = one("server.js", src);
    assert_eq!(s.framework, Framework::Http);
    let ka = s.keep_alive_timeout.unwrap();
    assert_eq!(ka.value, Val::Num(70000.0));
    assert_eq!(slice(src, ka.span), "keepAliveTimeout: 70000");
    assert_eq!(s.request_timeout.unwrap().value, Val::Num(120000.0));
    let t = s.timeout.unwrap();
    assert_eq!(slice(src, t.span), "server.setTimeout(30000)");
    let l = s.listen.unwrap();
    assert_eq!(l.port.unwrap().value, Val::Num(8080.0));
    assert_eq!(l.host.unwrap().value, Val::Str("127.0.0.1".into()));
}

#[test]
fn create_server_named_import_and_chained_listen() {
    let src = "import { createServer } from 'http';\nimport app from './app.js';\ncreateServer(app).listen(process.env.PORT);\n";
    let s = one("server.mjs", src);
    assert_eq!(s.listen.unwrap().port.unwrap().value, env("PORT", None));
}

#[test]
fn express_wrapped_in_http_server() {
    let src = "const express = require('express');\nconst http = require('http');\nconst app = express();\nconst server = http.createServer(app);\nserver.keepAliveTimeout = 61000;\nserver.listen(3000);\n";
    let s = one("server.js", src);
    assert_eq!(s.framework, Framework::Http);
    assert_eq!(s.keep_alive_timeout.unwrap().value, Val::Num(61000.0));
    assert_eq!(s.listen.unwrap().port.unwrap().value, Val::Num(3000.0));
}

#[test]
fn fastify_options_and_listen_object() {
    let src = "const fastify = require('fastify')({ logger: true, keepAliveTimeout: 5000, connectionTimeout: 30000 });\nfastify.get('/', async () => ({ hello: 'world' }));\nconst start = async () => {\n  await fastify.listen({ port: 3000, host: '0.0.0.0' });\n};\nstart();\nfastify.server.headersTimeout = 4000;\n";
    let s = one("server.js", src);
    assert_eq!(s.framework, Framework::Fastify);
    assert_eq!(s.keep_alive_timeout.unwrap().value, Val::Num(5000.0));
    assert_eq!(s.timeout.unwrap().value, Val::Num(30000.0));
    assert_eq!(s.headers_timeout.unwrap().value, Val::Num(4000.0));
    let l = s.listen.unwrap();
    assert_eq!(l.port.unwrap().value, Val::Num(3000.0));
    assert_eq!(l.host.unwrap().value, Val::Str("0.0.0.0".into()));
}

#[test]
fn fastify_esm_named_import() {
    let src = "import Fastify from 'fastify';\nconst app = Fastify();\nawait app.listen({ port: Number(process.env.PORT || 8080) });\n";
    let s = one("server.mjs", src);
    assert_eq!(s.framework, Framework::Fastify);
    assert_eq!(s.listen.unwrap().port.unwrap().value, env("PORT", Some(Val::Num(8080.0))));
}

#[test]
fn koa() {
    let src = "const Koa = require('koa');\nconst app = new Koa();\napp.use(async ctx => { ctx.body = 'Hello'; });\nconst server = app.listen(4000);\nserver.keepAliveTimeout = 65;\n";
    let s = one("app.js", src);
    assert_eq!(s.framework, Framework::Koa);
    assert_eq!(s.keep_alive_timeout.unwrap().value, Val::Num(65.0));
}

#[test]
fn typescript_with_types() {
    let src = r#"import express, { Request, Response } from 'express';
import type { Server } from 'http';

const port: number = parseInt(process.env.PORT ?? '3000', 10);
const app = express();
app.get('/', (_req: Request, res: Response): void => { res.send('ok'); });
const server: Server = app.listen(port, () => console.log(`:${port}`));
server.keepAliveTimeout = (65 * 1000) as number;
export default server;
"#;
    let s = one("src/index.ts", src);
    assert_eq!(s.listen.unwrap().port.unwrap().value, env("PORT", Some(Val::Str("3000".into()))));
    assert_eq!(s.keep_alive_timeout.unwrap().value, Val::Num(65000.0));
}

#[test]
fn let_then_assign_and_nested_function() {
    let src = "const express = require('express');\nlet server;\nfunction main() {\n  const app = express();\n  server = app.listen(5000);\n  server.requestTimeout = 10000;\n}\nmain();\n";
    let s = one("main.cjs", src);
    assert_eq!(s.request_timeout.unwrap().value, Val::Num(10000.0));
}

#[test]
fn dynamic_values_are_not_errors() {
    let src = "const express = require('express');\nconst config = require('./config');\nconst app = express();\nconst s = app.listen(config.port);\ns.keepAliveTimeout = config.keepAlive;\n";
    let s = one("app.js", src);
    assert!(matches!(s.listen.unwrap().port.unwrap().value, Val::Unknown(t) if t == "config.port"));
    assert!(matches!(s.keep_alive_timeout.unwrap().value, Val::Unknown(_)));
}

#[test]
fn no_server_no_findings() {
    assert!(servers("util.js", "export const add = (a, b) => a + b;\n").is_empty());
    assert!(servers("react.js", "export default function App() { return <div>hi</div>; }\n").is_empty());
    // An express app that never listens is not a server.
    assert!(servers("app.js", "const express = require('express');\nmodule.exports = express();\n").is_empty());
}

#[test]
fn listen_without_port() {
    let src = "const http = require('http');\nhttp.createServer(() => {}).listen(() => console.log('up'));\n";
    let s = one("s.js", src);
    assert!(s.listen.unwrap().port.is_none());
}

#[test]
fn syntax_errors_are_clean() {
    for (name, src) in [
        ("a.js", "const x = ;"),
        ("b.js", "app.listen(3000"),
        ("c.ts", "const a: = 1"),
        ("d.js", "}}}}"),
        ("e.js", "\u{0}\u{1}garbage ((( '"),
    ] {
        let e = analyze(name, src).unwrap_err();
        assert!(!e.message.is_empty());
        assert!(e.span.1 as usize <= src.len());
    }
}

#[test]
fn truncations_never_panic() {
    let src = include_str!("../fixtures/node/express-app/server.js");
    for cut in 0..src.len() {
        if src.is_char_boundary(cut) {
            let _ = analyze("server.js", &src[..cut]);
        }
    }
    // Deep nesting does not overflow.
    let deep = format!("const a = {}1{};", "(".repeat(5000), ")".repeat(5000));
    let _ = analyze("deep.js", &deep);
    let long = format!("const p = {}0;\napp.listen(p);", "1 + ".repeat(3000));
    let _ = analyze("long.js", &long);
}
