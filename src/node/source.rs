//! What a Node.js entry file decides about its HTTP servers, read with oxc (never executed):
//! servers created with `http.createServer`, `express()`/Koa apps that `.listen()`, Fastify
//! instances; the port and host they listen on; `keepAliveTimeout`, `headersTimeout`,
//! `requestTimeout`, `timeout` / `setTimeout()`. Simple `const` bindings in the same file are
//! followed; anything not known statically is kept as [`Val::Unknown`], never an error.
//!
//! Spans here are local byte offsets of the file (`(start, end)`); the loader makes them global.

use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Argument, AssignmentTarget, BinaryOperator, BindingPattern, CallExpression, Expression, ImportDeclaration,
    ImportDeclarationSpecifier, LogicalOperator, ObjectExpression, ObjectPropertyKind, UnaryOperator,
    VariableDeclarator,
};
use oxc_ast_visit::{walk, Visit};
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType};
use std::collections::HashMap;

/// A local byte range in the analysed file.
pub type LocalSpan = (u32, u32);

/// A value as far as static reading can tell.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Num(f64),
    Str(String),
    /// `process.env.NAME`, with the fallback written after `||` / `??` if any.
    Env {
        var: String,
        default: Option<Box<Val>>,
    },
    /// A function (a `listen` callback, a request handler).
    Func,
    /// Decided at run time; the source text, for notes.
    Unknown(String),
}

impl Val {
    /// The value as a number, when known without the environment.
    pub fn num(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            Val::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// Which library made the server (it decides some defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Framework {
    Http,
    Https,
    Express,
    Koa,
    Fastify,
}

impl Framework {
    pub fn as_str(&self) -> &'static str {
        match self {
            Framework::Http => "http",
            Framework::Https => "https",
            Framework::Express => "express",
            Framework::Koa => "koa",
            Framework::Fastify => "fastify",
        }
    }
}

/// A written setting: its value and where (the assignment, the option property, the call).
#[derive(Clone, Debug, PartialEq)]
pub struct Setting {
    pub value: Val,
    pub span: LocalSpan,
}

/// A `.listen(...)` call.
#[derive(Clone, Debug, PartialEq)]
pub struct Listen {
    /// The whole call.
    pub span: LocalSpan,
    /// The port argument (`None`: no port given, the OS picks one).
    pub port: Option<Setting>,
    pub host: Option<Setting>,
}

/// One HTTP server found in a file.
#[derive(Clone, Debug, PartialEq)]
pub struct JsServer {
    pub framework: Framework,
    /// The expression that creates the server (`http.createServer(...)`, `app.listen(...)`,
    /// `fastify({...})`).
    pub span: LocalSpan,
    pub listen: Option<Listen>,
    pub keep_alive_timeout: Option<Setting>,
    pub headers_timeout: Option<Setting>,
    pub request_timeout: Option<Setting>,
    /// `server.timeout = N`, `server.setTimeout(N)`, Fastify `connectionTimeout`.
    pub timeout: Option<Setting>,
}

/// What one file holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JsFacts {
    pub servers: Vec<JsServer>,
    /// The file loads a `.env` file itself (`dotenv`).
    pub loads_dotenv: bool,
}

/// A syntax error: message and local byte offset.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    pub span: LocalSpan,
}

/// The oxc source type for a file name.
pub fn source_type(name: &str) -> SourceType {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".mts") || lower.ends_with(".cts") || lower.ends_with(".ts") {
        SourceType::ts()
    } else if lower.ends_with(".mjs") {
        SourceType::mjs().with_jsx(true)
    } else if lower.ends_with(".cjs") {
        SourceType::cjs().with_jsx(true)
    } else {
        SourceType::unambiguous().with_jsx(true)
    }
}

/// Deepest bracket nesting read (counted naively, strings included); deeper files are refused
/// rather than risk the parser's recursion.
const MAX_NESTING: usize = 1_000;

/// Byte offset where naive bracket nesting first exceeds [`MAX_NESTING`].
pub(crate) fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, b) in text.bytes().enumerate() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Largest JS file parsed: a server's entry file or a PM2 ecosystem file is far smaller (larger
/// JS files are bundles, which discovery leaves out).
pub const MAX_PARSED_BYTES: usize = 1024 * 1024;

/// Stack bytes given to the parser per byte of source. oxc's parser recurses once per nesting
/// level with no limit of its own (oxc issues #21953, #24375), and a level can cost one byte of
/// source (`!!!!x`), so only a stack that grows with the file is safe. Measured on a release
/// build: about 110 bytes per source byte for `!`, `new `, `x=>` and `for(;;)` chains, 145 for
/// labels, 193 for `a?` and `x=` chains; 1 KiB leaves a margin (debug builds use more).
const STACK_PER_BYTE: usize = 1024;

/// Runs `f` (which parses `text`) on a thread whose stack fits `text`'s worst-case nesting:
/// 1 KiB per byte, at least 64 MiB, at most 1 GiB for a 1 MiB file. The memory is reserved, and
/// only touched as deep as the parser really goes. `Err`: the file is too large, or the thread
/// could not start (a message for the user).
pub(crate) fn with_parser_stack<T: Send>(text: &str, f: impl FnOnce() -> T + Send) -> Result<T, String> {
    if text.len() > MAX_PARSED_BYTES {
        return Err(format!(
            "{} bytes of JavaScript, more than stacklint parses ({MAX_PARSED_BYTES}); not read",
            text.len()
        ));
    }
    let stack = (text.len() * STACK_PER_BYTE).max(64 << 20);
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(stack)
            .spawn_scoped(s, f)
            .map_err(|e| format!("cannot start the parser thread ({} MiB stack): {e}", stack >> 20))?
            .join()
            .map_err(|_| "the JavaScript parser failed on this file".to_string())
    })
}

/// Parses and analyses one file (on a thread with a stack sized for the file: the parser and the
/// AST walk recurse).
pub fn analyze(name: &str, text: &str) -> Result<JsFacts, SyntaxError> {
    if let Some(at) = too_deep(text) {
        return Err(SyntaxError {
            message: format!("nesting deeper than {MAX_NESTING} levels; not read"),
            span: (at as u32, at as u32 + 1),
        });
    }
    with_parser_stack(text, || analyze_here(name, text))
        .unwrap_or_else(|message| Err(SyntaxError { message, span: (0, 0) }))
}

fn analyze_here(name: &str, text: &str) -> Result<JsFacts, SyntaxError> {
    let allocator = Allocator::default();
    let ret = Parser::new(&allocator, text, source_type(name)).parse();
    if ret.panicked || ret.diagnostics.has_errors() {
        let d = ret.diagnostics.errors().next();
        let (message, span) = match d {
            Some(d) => {
                let span = d.labels.first().map(|l| (l.offset(), l.offset() + l.len())).unwrap_or((0, 0));
                (d.message.to_string(), span)
            }
            None => ("cannot parse this file".to_string(), (0, 0)),
        };
        let end = text.len() as u32;
        return Err(SyntaxError { message, span: (span.0.min(end), span.1.min(end)) });
    }
    let mut a = Analyzer {
        text,
        syms: HashMap::new(),
        servers: Vec::new(),
        by_span: HashMap::new(),
        listens_seen: Vec::new(),
        loads_dotenv: false,
        depth: 0,
    };
    a.visit_program(&ret.program);
    Ok(JsFacts { servers: a.servers, loads_dotenv: a.loads_dotenv })
}

/// What a name is bound to.
#[derive(Clone, Debug)]
enum Sym {
    Val(Val),
    /// A module (`require('express')`, `import http from 'node:http'`).
    Module(String),
    /// A named export of a module (`import { createServer } from 'http'`).
    Member(String, String),
    /// An express/koa app (not a server until it listens).
    App(Framework),
    Server(usize),
}

struct Analyzer<'t> {
    text: &'t str,
    syms: HashMap<String, Sym>,
    servers: Vec<JsServer>,
    /// Creating expression start offset -> server index (so a server is created once however
    /// often its expression is looked at).
    by_span: HashMap<u32, usize>,
    listens_seen: Vec<u32>,
    loads_dotenv: bool,
    depth: u32,
}

fn span_of(e: &impl GetSpan) -> LocalSpan {
    let s = e.span();
    (s.start, s.end)
}

fn module_name(m: &str) -> String {
    m.strip_prefix("node:").unwrap_or(m).to_string()
}

const SETTINGS: [&str; 4] = ["keepAliveTimeout", "headersTimeout", "requestTimeout", "timeout"];

impl<'t> Analyzer<'t> {
    fn text_of(&self, span: LocalSpan) -> String {
        self.text.get(span.0 as usize..span.1 as usize).unwrap_or("").to_string()
    }

    fn new_server(&mut self, key: u32, framework: Framework, span: LocalSpan) -> usize {
        if let Some(&i) = self.by_span.get(&key) {
            return i;
        }
        self.servers.push(JsServer {
            framework,
            span,
            listen: None,
            keep_alive_timeout: None,
            headers_timeout: None,
            request_timeout: None,
            timeout: None,
        });
        let i = self.servers.len() - 1;
        self.by_span.insert(key, i);
        i
    }

    fn set(&mut self, server: usize, name: &str, s: Setting) {
        let srv = &mut self.servers[server];
        let slot = match name {
            "keepAliveTimeout" => &mut srv.keep_alive_timeout,
            "headersTimeout" => &mut srv.headers_timeout,
            "requestTimeout" => &mut srv.request_timeout,
            "timeout" | "connectionTimeout" => &mut srv.timeout,
            _ => return,
        };
        // The last assignment in source order wins, as at run time for straight-line code.
        *slot = Some(s);
    }

    /// Options objects: `http.createServer({ keepAliveTimeout: 65000 }, app)`, `fastify({...})`.
    fn read_options(&mut self, server: usize, obj: &ObjectExpression<'_>, fastify: bool) {
        for p in &obj.properties {
            let ObjectPropertyKind::ObjectProperty(p) = p else {
                continue;
            };
            let Some(key) = p.key.static_name() else {
                continue;
            };
            let known = SETTINGS[..3].contains(&key.as_ref()) || (fastify && key.as_ref() == "connectionTimeout");
            if known {
                let value = self.eval(&p.value);
                self.set(server, key.as_ref(), Setting { value, span: span_of(&**p) });
            }
        }
    }

    /// Classifies an expression: a module, an app, a server or a plain value.
    fn classify(&mut self, e: &Expression<'_>) -> Sym {
        if self.depth > 32 {
            return Sym::Val(Val::Unknown(self.text_of(span_of(e))));
        }
        self.depth += 1;
        let r = self.classify_inner(e);
        self.depth -= 1;
        r
    }

    fn classify_inner(&mut self, e: &Expression<'_>) -> Sym {
        let e = e.get_inner_expression();
        match e {
            Expression::AwaitExpression(a) => self.classify(&a.argument),
            Expression::Identifier(id) => match self.syms.get(id.name.as_str()) {
                Some(s) => s.clone(),
                None => match id.name.as_str() {
                    "http" => Sym::Module("http".into()),
                    "https" => Sym::Module("https".into()),
                    "express" => Sym::Module("express".into()),
                    "fastify" | "Fastify" => Sym::Module("fastify".into()),
                    "Koa" | "koa" => Sym::Module("koa".into()),
                    _ => Sym::Val(self.eval(e)),
                },
            },
            Expression::StaticMemberExpression(m) => {
                let obj = self.classify(&m.object);
                let prop = m.property.name.as_str();
                match obj {
                    Sym::Module(module) if prop == "default" => Sym::Module(module),
                    Sym::Module(module) => Sym::Member(module, prop.to_string()),
                    // `fastify.server` is the underlying http.Server.
                    Sym::Server(i) if prop == "server" => Sym::Server(i),
                    _ => Sym::Val(self.eval(e)),
                }
            }
            Expression::CallExpression(c) => self.classify_call(c),
            Expression::NewExpression(n) => match self.classify(&n.callee) {
                Sym::Module(m) if m == "koa" => Sym::App(Framework::Koa),
                Sym::Member(m, _) if m == "koa" => Sym::App(Framework::Koa),
                _ => Sym::Val(self.eval(e)),
            },
            _ => Sym::Val(self.eval(e)),
        }
    }

    fn classify_call(&mut self, c: &CallExpression<'_>) -> Sym {
        let span = span_of(c);
        // require('x')
        if c.callee.is_specific_id("require") {
            if let Some(Expression::StringLiteral(s)) = c.arguments.first().and_then(Argument::as_expression) {
                let m = module_name(s.value.as_str());
                if m == "dotenv/config" {
                    self.loads_dotenv = true;
                }
                return Sym::Module(m);
            }
            return Sym::Val(Val::Unknown(self.text_of(span)));
        }
        // x.listen(...), x.config() (dotenv), http.createServer(...)
        if let Expression::StaticMemberExpression(m) = c.callee.get_inner_expression() {
            let prop = m.property.name.as_str();
            let obj = self.classify(&m.object);
            match (&obj, prop) {
                (Sym::App(fw), "listen") => {
                    let i = self.new_server(span.0, *fw, span);
                    return Sym::Server(i);
                }
                (Sym::Server(i), "listen") => return Sym::Server(*i),
                (Sym::Module(module), "config") if module == "dotenv" => {
                    self.loads_dotenv = true;
                }
                _ => {}
            }
            let callee = match obj {
                Sym::Module(module) => Sym::Member(module, prop.to_string()),
                _ => Sym::Val(Val::Unknown(String::new())),
            };
            return self.call_of(callee, c);
        }
        let callee = self.classify(&c.callee);
        self.call_of(callee, c)
    }

    /// A call whose callee has been classified.
    fn call_of(&mut self, callee: Sym, c: &CallExpression<'_>) -> Sym {
        let span = span_of(c);
        let first_obj = |c: &CallExpression<'_>| -> Option<usize> {
            c.arguments.iter().position(|a| {
                matches!(a.as_expression().map(Expression::get_inner_expression), Some(Expression::ObjectExpression(_)))
            })
        };
        match callee {
            Sym::Module(m) if m == "express" => Sym::App(Framework::Express),
            Sym::Module(m) if m == "fastify" => {
                let i = self.new_server(span.0, Framework::Fastify, span);
                if let Some(Expression::ObjectExpression(o)) =
                    c.arguments.first().and_then(Argument::as_expression).map(Expression::get_inner_expression)
                {
                    self.read_options(i, o, true);
                }
                Sym::Server(i)
            }
            Sym::Member(m, f) if m == "fastify" && (f == "fastify" || f == "default") => {
                self.call_of(Sym::Module(m), c)
            }
            Sym::Member(m, f) if (m == "http" || m == "https") && f == "createServer" => {
                let fw = if m == "https" { Framework::Https } else { Framework::Http };
                let i = self.new_server(span.0, fw, span);
                // http.createServer(options, handler): options first. https takes TLS options
                // in the same object.
                if let Some(k) = first_obj(c) {
                    if let Some(Expression::ObjectExpression(o)) =
                        c.arguments[k].as_expression().map(Expression::get_inner_expression)
                    {
                        self.read_options(i, o, false);
                    }
                }
                Sym::Server(i)
            }
            _ => Sym::Val(self.eval_call(c)),
        }
    }

    /// Statically evaluates a value expression.
    fn eval(&mut self, e: &Expression<'_>) -> Val {
        if self.depth > 32 {
            return Val::Unknown(self.text_of(span_of(e)));
        }
        self.depth += 1;
        let r = self.eval_inner(e);
        self.depth -= 1;
        r
    }

    fn eval_inner(&mut self, e: &Expression<'_>) -> Val {
        let e = e.get_inner_expression();
        let text = self.text;
        let sp = span_of(e);
        let unknown = || Val::Unknown(text.get(sp.0 as usize..sp.1 as usize).unwrap_or("").to_string());
        match e {
            Expression::NumericLiteral(n) => Val::Num(n.value),
            Expression::StringLiteral(s) => Val::Str(s.value.to_string()),
            Expression::TemplateLiteral(t) if t.expressions.is_empty() => {
                Val::Str(t.quasis.iter().filter_map(|q| q.value.cooked.as_ref().map(|c| c.to_string())).collect())
            }
            Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_) => Val::Func,
            Expression::Identifier(id) => match self.syms.get(id.name.as_str()) {
                Some(Sym::Val(v)) => v.clone(),
                _ => unknown(),
            },
            Expression::StaticMemberExpression(m) => {
                if m.object.is_specific_member_access("process", "env") {
                    return Val::Env { var: m.property.name.to_string(), default: None };
                }
                unknown()
            }
            Expression::ComputedMemberExpression(m) => {
                if m.object.is_specific_member_access("process", "env") {
                    if let Some(name) = m.static_property_name() {
                        return Val::Env { var: name.to_string(), default: None };
                    }
                }
                unknown()
            }
            Expression::LogicalExpression(l)
                if matches!(l.operator, LogicalOperator::Or | LogicalOperator::Coalesce) =>
            {
                let left = self.eval(&l.left);
                match left {
                    Val::Env { var, default: None } => {
                        let right = self.eval(&l.right);
                        Val::Env { var, default: Some(Box::new(right)) }
                    }
                    Val::Num(n) if l.operator == LogicalOperator::Or && (n == 0.0 || n.is_nan()) => self.eval(&l.right),
                    Val::Str(s) if l.operator == LogicalOperator::Or && s.is_empty() => self.eval(&l.right),
                    v @ (Val::Num(_) | Val::Str(_)) => v,
                    _ => unknown(),
                }
            }
            Expression::UnaryExpression(u) => match u.operator {
                UnaryOperator::UnaryPlus => self.eval(&u.argument),
                UnaryOperator::UnaryNegation => match self.eval(&u.argument).num() {
                    Some(n) => Val::Num(-n),
                    None => unknown(),
                },
                _ => unknown(),
            },
            Expression::BinaryExpression(b) => {
                let (l, r) = (self.eval(&b.left), self.eval(&b.right));
                let (Some(x), Some(y)) = (l.num(), r.num()) else {
                    return unknown();
                };
                if matches!(l, Val::Str(_)) || matches!(r, Val::Str(_)) {
                    return unknown();
                }
                match b.operator {
                    BinaryOperator::Multiplication => Val::Num(x * y),
                    BinaryOperator::Addition => Val::Num(x + y),
                    BinaryOperator::Subtraction => Val::Num(x - y),
                    BinaryOperator::Division if y != 0.0 => Val::Num(x / y),
                    BinaryOperator::Exponential => Val::Num(x.powf(y)),
                    _ => unknown(),
                }
            }
            Expression::CallExpression(c) => self.eval_call(c),
            _ => unknown(),
        }
    }

    /// `Number(x)`, `parseInt(x, 10)`, `parseFloat(x)`, `String(x)`: the value of `x`.
    fn eval_call(&mut self, c: &CallExpression<'_>) -> Val {
        let name = match c.callee.get_inner_expression() {
            Expression::Identifier(id) => id.name.as_str(),
            Expression::StaticMemberExpression(m)
                if m.object.is_specific_id("Number") || m.object.is_specific_id("Math") =>
            {
                m.property.name.as_str()
            }
            _ => "",
        };
        let arg = c.arguments.first().and_then(Argument::as_expression);
        match (name, arg) {
            ("Number" | "parseInt" | "parseFloat" | "String" | "trunc" | "floor", Some(a)) => {
                let v = self.eval(a);
                match (name, v) {
                    ("parseInt" | "trunc" | "floor", Val::Num(n)) => Val::Num(n.trunc()),
                    (_, v) => v,
                }
            }
            _ => Val::Unknown(self.text_of(span_of(c))),
        }
    }

    fn bind(&mut self, id: &BindingPattern<'_>, sym: Sym) {
        match id {
            BindingPattern::BindingIdentifier(b) => {
                self.syms.insert(b.name.to_string(), sym);
            }
            // const { createServer } = require('http')
            BindingPattern::ObjectPattern(o) => {
                if let Sym::Module(m) = &sym {
                    for p in &o.properties {
                        let (Some(key), BindingPattern::BindingIdentifier(b)) = (p.key.static_name(), &p.value) else {
                            continue;
                        };
                        self.syms.insert(b.name.to_string(), Sym::Member(m.clone(), key.to_string()));
                    }
                }
            }
            _ => {}
        }
    }

    /// Reads a `.listen(...)` call on server `i`.
    fn record_listen(&mut self, i: usize, c: &CallExpression<'_>) {
        let span = span_of(c);
        if self.listens_seen.contains(&span.0) {
            return;
        }
        self.listens_seen.push(span.0);
        let args: Vec<&Expression<'_>> = c.arguments.iter().filter_map(Argument::as_expression).collect();
        let mut port = None;
        let mut host = None;
        match args.first().map(|a| a.get_inner_expression()) {
            // listen({ port, host }) (net options; Fastify's only form since v4)
            Some(Expression::ObjectExpression(o)) => {
                for p in &o.properties {
                    let ObjectPropertyKind::ObjectProperty(p) = p else {
                        continue;
                    };
                    let key = p.key.static_name();
                    let v = || (&p.value, span_of(&p.value));
                    match key.as_deref() {
                        Some("port") => {
                            let (e, s) = v();
                            port = Some(Setting { value: self.eval(e), span: s });
                        }
                        Some("host") => {
                            let (e, s) = v();
                            host = Some(Setting { value: self.eval(e), span: s });
                        }
                        Some("path") => {
                            let (e, s) = v();
                            let value = self.eval(e);
                            port = Some(Setting { value, span: s });
                        }
                        _ => {}
                    }
                }
            }
            Some(first) => {
                let v = self.eval(first);
                if v != Val::Func {
                    port = Some(Setting { value: v, span: span_of(*args.first().unwrap_or(&first)) });
                    if let Some(h) = args.get(1) {
                        let hv = self.eval(h);
                        if matches!(hv, Val::Str(_) | Val::Env { .. } | Val::Unknown(_)) {
                            host = Some(Setting { value: hv, span: span_of(*h) });
                        }
                    }
                }
            }
            None => {}
        }
        let srv = &mut self.servers[i];
        if srv.listen.is_none() {
            srv.listen = Some(Listen { span, port, host });
        }
    }
}

impl<'a> Visit<'a> for Analyzer<'_> {
    fn visit_import_declaration(&mut self, it: &ImportDeclaration<'a>) {
        let m = module_name(it.source.value.as_str());
        if m == "dotenv/config" {
            self.loads_dotenv = true;
        }
        for s in it.specifiers.iter().flatten() {
            match s {
                ImportDeclarationSpecifier::ImportDefaultSpecifier(d) => {
                    self.syms.insert(d.local.name.to_string(), Sym::Module(m.clone()));
                }
                ImportDeclarationSpecifier::ImportNamespaceSpecifier(n) => {
                    self.syms.insert(n.local.name.to_string(), Sym::Module(m.clone()));
                }
                ImportDeclarationSpecifier::ImportSpecifier(n) => {
                    let imported = n.imported.name().to_string();
                    let sym =
                        if imported == "default" { Sym::Module(m.clone()) } else { Sym::Member(m.clone(), imported) };
                    self.syms.insert(n.local.name.to_string(), sym);
                }
            }
        }
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        if let Some(init) = &it.init {
            let sym = self.classify(init);
            self.bind(&it.id, sym);
        }
        walk::walk_variable_declarator(self, it);
    }

    fn visit_assignment_expression(&mut self, it: &oxc_ast::ast::AssignmentExpression<'a>) {
        match &it.left {
            // server.keepAliveTimeout = 65000
            AssignmentTarget::StaticMemberExpression(m) => {
                let prop = m.property.name.as_str();
                if SETTINGS.contains(&prop) {
                    if let Sym::Server(i) = self.classify(&m.object) {
                        let value = self.eval(&it.right);
                        self.set(i, prop, Setting { value, span: span_of(it) });
                    }
                }
            }
            // let server; server = app.listen(3000)
            AssignmentTarget::AssignmentTargetIdentifier(id) => {
                let sym = self.classify(&it.right);
                if matches!(sym, Sym::Server(_) | Sym::App(_)) {
                    self.syms.insert(id.name.to_string(), sym);
                }
            }
            _ => {}
        }
        walk::walk_assignment_expression(self, it);
    }

    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if let Expression::StaticMemberExpression(m) = it.callee.get_inner_expression() {
            match m.property.name.as_str() {
                "listen" => {
                    if let Sym::Server(i) = self.classify_call(it) {
                        self.record_listen(i, it);
                    }
                }
                "setTimeout" => {
                    if let Sym::Server(i) = self.classify(&m.object) {
                        if let Some(a) = it.arguments.first().and_then(Argument::as_expression) {
                            let value = self.eval(a);
                            if value != Val::Func {
                                self.set(i, "timeout", Setting { value, span: span_of(it) });
                            }
                        }
                    }
                }
                _ => {
                    // Creating calls not bound to a name (`http.createServer(app).listen(80)`
                    // is handled through `listen`; this catches `require('dotenv').config()`).
                    let _ = self.classify_call(it);
                }
            }
        } else {
            let _ = self.classify_call(it);
        }
        walk::walk_call_expression(self, it);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(src: &str) -> JsServer {
        let f = analyze("server.js", src).unwrap();
        assert_eq!(f.servers.len(), 1, "{:?}", f.servers);
        f.servers.into_iter().next().unwrap()
    }

    #[test]
    fn express_env_port() {
        let s = one(
            "const express = require('express');\nconst app = express();\napp.get('/', (req, res) => res.send('hi'));\napp.listen(process.env.PORT || 3000, () => console.log('up'));\n",
        );
        assert_eq!(s.framework, Framework::Express);
        let port = s.listen.unwrap().port.unwrap();
        assert_eq!(port.value, Val::Env { var: "PORT".into(), default: Some(Box::new(Val::Num(3000.0))) });
    }

    #[test]
    fn const_port_and_server_assignments() {
        let src = "const port = process.env.PORT || 8080;\nconst server = app2();\nconst express = require('express');\nconst app = express();\nconst srv = app.listen(port);\nsrv.keepAliveTimeout = 65 * 1000;\nsrv.headersTimeout = 66000;\n";
        let s = one(src);
        assert_eq!(s.keep_alive_timeout.as_ref().unwrap().value, Val::Num(65000.0));
        let ka = s.keep_alive_timeout.unwrap().span;
        assert_eq!(&src[ka.0 as usize..ka.1 as usize], "srv.keepAliveTimeout = 65 * 1000");
        assert_eq!(s.headers_timeout.unwrap().value, Val::Num(66000.0));
    }

    #[test]
    fn syntax_error_has_offset() {
        let e = analyze("x.js", "const a = ;\n").unwrap_err();
        assert!(e.span.0 >= 10, "{e:?}");
    }
}
