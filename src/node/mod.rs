//! Node.js servers: the JS/TS entry files (read with oxc, never run), `.env`, `package.json`,
//! `.nvmrc` / `.node-version`, a Dockerfile's `FROM node:NN` and `ENV`, PM2 ecosystem files;
//! Node's defaults by version; and the model that puts each server into the stack graph.
//!
//! Files are grouped into apps by the nearest directory holding a `package.json`.

pub mod defaults;
pub mod env;
pub mod model;
pub mod package;
pub mod pm2;
pub mod source;

use crate::diag::LoadError;
use crate::files::{clean, Ctx, Found, Kind};
use crate::source::Span;
use defaults::NodeVersion;
use std::path::{Path, PathBuf};

/// An environment variable an app sees, and where it is set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvBinding {
    pub key: String,
    pub value: String,
    pub span: Span,
    /// `.env`, `Dockerfile ENV`, `package.json scripts.start`, `pm2 ecosystem.config.js`.
    pub from: String,
}

/// A server found in a JS/TS file, with global spans.
#[derive(Clone, Debug)]
pub struct ServerSite {
    /// Display path of the file.
    pub file: String,
    /// Path on disk (as found).
    pub path: PathBuf,
    /// Global offset of the file's first byte: local spans of `js` + `base` are global.
    pub base: u32,
    pub js: source::JsServer,
}

impl ServerSite {
    pub fn span(&self, local: source::LocalSpan) -> Span {
        Span::new(self.base + local.0, self.base + local.1)
    }
}

/// A PM2 app with global spans.
#[derive(Clone, Debug)]
pub struct Pm2Site {
    pub app: pm2::Pm2App,
    /// Directory of the ecosystem file.
    pub dir: PathBuf,
    pub base: u32,
    pub file: String,
}

/// One Node app: a directory with a package.json (or the directory of loose Node files).
#[derive(Clone, Debug)]
pub struct NodeApp {
    pub dir: PathBuf,
    pub version: NodeVersion,
    /// Where the version was read (engines, .nvmrc, FROM line).
    pub version_span: Option<Span>,
    /// Environment, lowest priority first (`.env`, Dockerfile `ENV`, `scripts.start`).
    pub env: Vec<EnvBinding>,
    pub start: Option<(String, Span)>,
    pub servers: Vec<ServerSite>,
    pub pm2: Vec<Pm2Site>,
}

impl NodeApp {
    fn new(dir: PathBuf) -> NodeApp {
        NodeApp {
            dir,
            version: NodeVersion::assumed(),
            version_span: None,
            env: Vec::new(),
            start: None,
            servers: Vec::new(),
            pm2: Vec::new(),
        }
    }
}

/// Everything read about Node apps.
#[derive(Clone, Debug, Default)]
pub struct NodeTree {
    pub apps: Vec<NodeApp>,
}

use crate::component::{Candidate, ComponentDef, GraphFacts, Loaded, Phase, Recogniser, Shared, Step};
use crate::files::{Comments, Layer};
use crate::graph::StackBuilder;

/// Node.js: `package.json`, `.nvmrc`, `.node-version`, PM2 `ecosystem.config.*`, and JS/TS files
/// under a directory with a `package.json`.
pub const KIND: Kind = Kind::new("node", Layer::App, Comments::Slash);

pub static COMPONENT: ComponentDef = ComponentDef {
    name: "node",
    kinds: &[KIND],
    recognise: &[
        Recogniser {
            rank: 40,
            step: |c, _| {
                let named = matches!(
                    c.lower,
                    "package.json"
                        | ".nvmrc"
                        | ".node-version"
                        | "ecosystem.config.js"
                        | "ecosystem.config.cjs"
                        | "ecosystem.config.json"
                );
                Step::when(named, KIND)
            },
        },
        // Last: only a file nothing else took.
        Recogniser { rank: 1000, step: node_source },
    ],
    precommit: &[
        r"(^|/)(ecosystem\.config|server|app|index|main)\.[cm]?[jt]s$",
        r"(^|/)(package\.json|\.nvmrc|\.node-version|ecosystem\.config\.json)$",
    ],
    phase: Phase::Main,
    load: |ctx, found, _| {
        let files: Vec<_> = found.iter().filter(|f| wants(f)).cloned().collect();
        let (tree, errors) = load(ctx, &files);
        (Some(Box::new(Node(tree))), errors)
    },
    graph_rank: 3,
    graph: Some(GraphFacts { component: crate::graph::Component::Node, drains_idle_http2: false, trust: None }),
};

struct Node(NodeTree);

impl Loaded for Node {
    fn add_to_graph(&mut self, b: &mut StackBuilder, _: &Shared) {
        model::add(&self.0, b);
    }
}

/// Largest JS/TS file read as a Node source (bigger ones are bundles): what the JS parser takes.
const MAX_NODE_SOURCE_BYTES: u64 = source::MAX_PARSED_BYTES as u64;

/// A `*.js/*.mjs/*.cjs/*.ts` file in a directory that has a `package.json` (here or in a parent,
/// up to the root), not a type declaration, not minified: a Node source file.
fn node_source(c: &Candidate<'_>, head: &mut dyn FnMut() -> Option<String>) -> Step {
    node_source_of(c, head).map_or(Step::Pass, Step::Is)
}

fn node_source_of(c: &Candidate<'_>, head: &mut dyn FnMut() -> Option<String>) -> Option<Kind> {
    let (canon, roots) = c.on_disk?;
    let lower = c.lower;
    let ext_ok = [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"].iter().any(|e| lower.ends_with(e));
    if !ext_ok || lower.ends_with(".d.ts") || lower.contains(".min.") {
        return None;
    }
    if std::fs::metadata(canon).ok()?.len() > MAX_NODE_SOURCE_BYTES {
        return None;
    }
    let root = roots.iter().find(|r| canon.starts_with(&r.canonical))?;
    let mut dir = canon.parent();
    let mut found = false;
    while let Some(d) = dir {
        if !d.starts_with(&root.canonical) {
            break;
        }
        if d.join("package.json").is_file() {
            found = true;
            break;
        }
        dir = d.parent();
    }
    if !found {
        return None;
    }
    // Minified bundles: a very long first line.
    let head = head()?;
    if head.lines().take(5).any(|l| l.len() > 2_000) {
        return None;
    }
    Some(KIND)
}

/// Is this a file `node::load` reads? (Node files, `.env` files, Dockerfiles beside a package.json.)
pub fn wants(f: &Found) -> bool {
    matches!(f.kind, KIND | crate::launch::DOTENV | crate::launch::DOCKERFILE)
}

fn name_of(p: &Path) -> String {
    p.file_name().and_then(|n| n.to_str()).unwrap_or("").to_ascii_lowercase()
}

/// Version sources, weakest first: `engines.node` (a range) < `.node-version` < `.nvmrc` <
/// Dockerfile `FROM node:NN` (what actually runs).
fn version_rank(from: &str) -> u8 {
    if from.starts_with("engines") {
        1
    } else if from.starts_with(".node-version") {
        2
    } else if from.starts_with(".nvmrc") {
        3
    } else {
        4
    }
}

/// Reads every Node-related file in `found` (other kinds are ignored) and groups them into apps.
pub fn load(ctx: &Ctx, found: &[Found]) -> (NodeTree, Vec<LoadError>) {
    let mut errors = Vec::new();
    let pkg_dirs: Vec<PathBuf> = found
        .iter()
        .filter(|f| f.kind == KIND && name_of(&f.path) == "package.json")
        .filter_map(|f| f.path.parent().map(clean))
        .collect();
    let app_dir = |p: &Path| -> Option<PathBuf> {
        let parent = clean(p.parent()?);
        pkg_dirs.iter().filter(|d| parent.starts_with(d)).max_by_key(|d| d.components().count()).cloned()
    };
    let mut apps: Vec<NodeApp> = Vec::new();
    let mut version_rank_of: Vec<u8> = Vec::new();
    let index = |dir: PathBuf, apps: &mut Vec<NodeApp>, ranks: &mut Vec<u8>| -> usize {
        if let Some(i) = apps.iter().position(|a| a.dir == dir) {
            return i;
        }
        apps.push(NodeApp::new(dir));
        ranks.push(0);
        apps.len() - 1
    };
    // Lower-priority env first: .env, then .env.production, then Dockerfile ENV, then scripts.start.
    let mut env_parts: Vec<(usize, u8, EnvBinding)> = Vec::new();
    for f in found.iter().filter(|f| wants(f)) {
        let name = name_of(&f.path);
        let dir = match (f.kind, app_dir(&f.path)) {
            (_, Some(d)) => d,
            (KIND, None) => match f.path.parent() {
                Some(p) => clean(p),
                None => continue,
            },
            _ => continue,
        };
        if f.kind == crate::launch::DOTENV && !(name == ".env" || name == ".env.production") {
            continue;
        }
        let file = match ctx.read(&f.path) {
            Ok(file) => file,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let text: &str = &file.text;
        let gspan = |s: (u32, u32)| Span::new(file.base + s.0, file.base + s.1);
        let i = index(dir.clone(), &mut apps, &mut version_rank_of);
        let mut set_version = |apps: &mut Vec<NodeApp>, s: &str, span: (u32, u32), from: String| {
            let rank = version_rank(&from);
            if let Some((major, minor)) = NodeVersion::parse(s) {
                if rank > version_rank_of[i] {
                    version_rank_of[i] = rank;
                    apps[i].version = NodeVersion { major, minor, from: Some(from) };
                    apps[i].version_span = Some(gspan(span));
                }
            }
        };
        match (f.kind, name.as_str()) {
            (crate::launch::DOTENV, _) => {
                let prio = if name == ".env" { 0 } else { 1 };
                for v in env::parse(text) {
                    env_parts.push((
                        i,
                        prio,
                        EnvBinding { key: v.key, value: v.value, span: gspan(v.span), from: f.display.clone() },
                    ));
                }
            }
            (crate::launch::DOCKERFILE, _) => {
                if let Some((tag, span)) = package::dockerfile_node(text) {
                    set_version(&mut apps, &tag, span, format!("FROM node:{tag}"));
                }
                for v in package::dockerfile_env(text) {
                    env_parts.push((
                        i,
                        2,
                        EnvBinding {
                            key: v.key,
                            value: v.value,
                            span: gspan(v.span),
                            from: format!("{} ENV", f.display),
                        },
                    ));
                }
            }
            (_, "package.json") => match package::parse_package(text) {
                Ok(p) => {
                    if let Some((n, span)) = &p.engines_node {
                        set_version(&mut apps, n, *span, format!("engines.node \"{n}\""));
                    }
                    if let Some((cmd, span)) = &p.start {
                        apps[i].start = Some((cmd.clone(), gspan(*span)));
                        for (k, v) in package::parse_start(cmd).0 {
                            env_parts.push((
                                i,
                                3,
                                EnvBinding {
                                    key: k,
                                    value: v,
                                    span: gspan(*span),
                                    from: format!("{} scripts.start", f.display),
                                },
                            ));
                        }
                    }
                }
                Err((msg, off)) => errors.push(LoadError::at(
                    Span::new(file.base + off, file.base + off),
                    &f.display,
                    format!("{}: invalid JSON: {msg}", f.display),
                )),
            },
            (_, ".nvmrc" | ".node-version") => {
                if let Some((v, span)) = package::parse_version_file(text) {
                    set_version(&mut apps, &v, span, format!("{name} {v}"));
                }
            }
            (_, n) if n.starts_with("ecosystem.config.") => {
                let parsed = if n.ends_with(".json") {
                    pm2::parse_json(text).map_err(|(m, o)| (m, (o, o)))
                } else {
                    pm2::parse_js(n, text)
                };
                match parsed {
                    Ok(list) => {
                        let d = f.path.parent().map(clean).unwrap_or_default();
                        for app in list {
                            apps[i].pm2.push(Pm2Site { app, dir: d.clone(), base: file.base, file: f.display.clone() });
                        }
                    }
                    Err((msg, sp)) => {
                        errors.push(LoadError::at(gspan(sp), &f.display, format!("{}: syntax error: {msg}", f.display)))
                    }
                }
            }
            _ => match source::analyze(&name, text) {
                Ok(facts) => {
                    for js in facts.servers {
                        apps[i].servers.push(ServerSite {
                            file: f.display.clone(),
                            path: clean(&f.path),
                            base: file.base,
                            js,
                        });
                    }
                }
                Err(e) => {
                    let span = gspan(e.span);
                    let lc = file.line_col(e.span.0 as usize);
                    errors.push(
                        LoadError::at(
                            span,
                            &f.display,
                            format!(
                                "{}:{}:{}: JavaScript syntax error: {}",
                                f.display, lc.line, lc.column, e.message
                            ),
                        )
                        .with_help(
                            "stacklint reads this file to find the server's port and timeouts; fix the syntax or exclude the file",
                        ),
                    )
                }
            },
        }
    }
    env_parts.sort_by_key(|(i, prio, _)| (*i, *prio));
    for (i, _, b) in env_parts {
        apps[i].env.push(b);
    }
    (NodeTree { apps }, errors)
}
