//! uvicorn: command lines found in systemd units, Procfiles, Dockerfiles and docker-compose
//! (`uvicorn app:app --port 8000`, `python -m uvicorn ...`), the `UVICORN_*` environment variables
//! click maps onto its options, `uvicorn.run(...)` in a Python entry point a launch runs
//! (`python main.py`), defaults with their sources, and the model that puts each instance into the
//! stack graph.
//!
//! uvicorn has no config file. Precedence, as click applies it: command line, then
//! `UVICORN_<OPTION>` (`UVICORN_PORT`, `UVICORN_TIMEOUT_KEEP_ALIVE`, ...), then the default.
//! `PORT` is not read. `uvicorn.run()` bypasses click: only its keyword arguments count.
//! A gunicorn `-k uvicorn.workers.UvicornWorker` is a gunicorn instance (see `crate::gunicorn`).

pub mod cmdline;
pub mod defaults;
pub mod model;
pub mod runcall;

use crate::diag::LoadError;
use crate::duration::Timeout;
use crate::files::{clean, Ctx};
use crate::graph::{Endpoint, Host};
use crate::launch::python::py_int;
use crate::launch::{Launch, Word};
use crate::source::{SourceFile, Span};
use runcall::{Lit, RunCall};
use std::path::{Path, PathBuf};

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum From {
    CommandLine,
    /// `UVICORN_PORT` and friends, from the launch's environment.
    Env(String),
    /// A keyword argument of `uvicorn.run(...)`.
    RunCall,
}

/// A setting as written, with the source that gave it.
pub type Setting<T> = crate::launch::Setting<T, From>;

#[derive(Clone, Debug)]
pub struct Instance {
    /// The app (`module:app`).
    pub app: Option<Setting<String>>,
    /// Index into the launches passed to [`load`].
    pub launch: Option<usize>,
    /// The compose service running it.
    pub service: Option<String>,
    /// The command line, or the `uvicorn.run(...)` call.
    pub span: Span,
    /// The Python script holding the `uvicorn.run(...)` call, when that is where it is declared.
    pub script: Option<String>,
    /// Display path of the file that declares it.
    pub file: String,
    pub host: Option<Setting<String>>,
    pub port: Option<Setting<u16>>,
    pub uds: Option<Setting<String>>,
    pub fd: Option<Setting<u32>>,
    pub workers: Option<Setting<u64>>,
    /// In milliseconds (the command line takes whole seconds; `uvicorn.run` also takes floats).
    pub timeout_keep_alive: Option<Setting<u64>>,
    /// `WEB_CONCURRENCY` from the launch environment: the default `workers`.
    pub env_web_concurrency: Option<Word>,
    pub reload: bool,
    /// Values uvicorn refuses to start with (`--port abc`, `--timeout-keep-alive 5s`).
    pub invalid: Vec<(Span, String)>,
    /// Things worth knowing that are not errors.
    pub notes: Vec<String>,
}

impl Instance {
    fn new(span: Span, file: String) -> Instance {
        Instance {
            app: None,
            launch: None,
            service: None,
            span,
            file,
            script: None,
            host: None,
            port: None,
            uds: None,
            fd: None,
            workers: None,
            timeout_keep_alive: None,
            env_web_concurrency: None,
            reload: false,
            invalid: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// "uvicorn main:app (docker-compose.yml)".
    pub fn name(&self) -> String {
        match &self.app {
            Some(a) => format!("uvicorn {} ({})", a.text, self.file),
            None => format!("uvicorn ({})", self.file),
        }
    }

    /// Idle keep-alive timeout; `None` when only known at run time (or invalid).
    pub fn keepalive(&self) -> Option<Timeout> {
        match &self.timeout_keep_alive {
            None => Some(Timeout::default(&defaults::TIMEOUT_KEEP_ALIVE)),
            Some(Setting { value: Some(ms), span, .. }) => Some(Timeout::explicit(Some(*ms), *span)),
            Some(Setting { value: None, .. }) => None,
        }
    }

    /// `workers`, filled from `WEB_CONCURRENCY` or the default (1).
    pub fn workers(&self) -> Option<u64> {
        match &self.workers {
            Some(s) => s.value,
            None => match &self.env_web_concurrency {
                Some(w) => w.text.trim().parse().ok(),
                None => Some(1),
            },
        }
    }

    /// Where it listens, with the span to point at and whether it is the default
    /// (`127.0.0.1:8000`, nothing written). `--fd` wins over `--uds`, which wins over host/port
    /// (uvicorn `Server.startup`). Empty when the address is only known at run time.
    pub fn listeners(&self) -> Vec<(Endpoint, Span, bool)> {
        if let Some(fd) = &self.fd {
            return fd.value.map(|n| (Endpoint::Fd(n.to_string()), fd.span, false)).into_iter().collect();
        }
        if let Some(u) = &self.uds {
            return u.value.clone().map(|p| (Endpoint::Unix(p), u.span, false)).into_iter().collect();
        }
        let host = match &self.host {
            None => Host::parse(defaults::DEFAULT_HOST),
            Some(Setting { value: Some(h), .. }) => Host::parse(&h.to_ascii_lowercase()),
            Some(Setting { value: None, .. }) => return Vec::new(),
        };
        let port = match &self.port {
            None => defaults::DEFAULT_PORT,
            Some(Setting { value: Some(0), .. }) | Some(Setting { value: None, .. }) => return Vec::new(),
            Some(Setting { value: Some(p), .. }) => *p,
        };
        let span = match (&self.port, &self.host) {
            (Some(p), _) => p.span,
            (None, Some(h)) => h.span,
            (None, None) => self.span,
        };
        vec![(Endpoint::tcp(host, port), span, self.port.is_none() && self.host.is_none())]
    }
}

/// The value of an option: text from a command line or an environment variable, or a literal of
/// `uvicorn.run`.
enum Raw<'a> {
    Text(&'a str),
    Lit(&'a Lit),
}

/// click's `type=int` (Python `int(s)`), or an integer literal.
fn int(raw: &Raw) -> Result<i64, String> {
    match raw {
        Raw::Text(s) => py_int(s, false).ok_or_else(|| format!("'{s}' is not a valid integer")),
        Raw::Lit(Lit::Int(n)) => Ok(*n),
        Raw::Lit(Lit::Bool(b)) => Ok(i64::from(*b)),
        Raw::Lit(Lit::Str(s)) => py_int(s, false).ok_or_else(|| format!("'{s}' is not an integer")),
        Raw::Lit(other) => Err(format!("{} is not an integer", describe(other))),
    }
}

fn describe(l: &Lit) -> String {
    match l {
        Lit::Int(n) => n.to_string(),
        Lit::Float(f) => f.to_string(),
        Lit::Str(s) => format!("'{s}'"),
        Lit::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Lit::None => "None".into(),
        Lit::Dynamic => "a run-time value".into(),
    }
}

impl Instance {
    /// Applies one setting. `what`: how to name it in messages (`--port`, `UVICORN_PORT`, `port=`).
    fn apply(&mut self, key: &str, raw: Raw, text: String, span: Span, from: From, what: &str) {
        let dynamic = match &raw {
            Raw::Text(t) => t.contains('$'),
            Raw::Lit(l) => matches!(l, Lit::Dynamic),
        };
        if dynamic {
            self.notes.push(format!("{key} set at run time ({what} {text})"));
        }
        let invalid = |this: &mut Instance, m: String| {
            this.invalid.push((span, format!("invalid value for {what}: {m}")));
        };
        match key {
            "host" | "uds" => {
                let value = match &raw {
                    _ if dynamic => None,
                    Raw::Text(t) => Some(t.to_string()),
                    Raw::Lit(Lit::Str(s)) => Some(s.clone()),
                    Raw::Lit(Lit::None) if key == "uds" => return,
                    Raw::Lit(other) => {
                        invalid(self, format!("{} is not a string", describe(other)));
                        None
                    }
                };
                let s = Some(Setting { value, text, span, from });
                if key == "host" {
                    self.host = s;
                } else {
                    self.uds = s;
                }
            }
            "port" => {
                let value = if dynamic {
                    None
                } else {
                    match int(&raw) {
                        Ok(p) => match u16::try_from(p) {
                            Ok(p) => {
                                if p == 0 {
                                    self.notes.push("port 0: the OS picks a free port at start-up".into());
                                }
                                Some(p)
                            }
                            Err(_) => {
                                invalid(self, format!("port {p} is out of range 0-65535; binding fails"));
                                None
                            }
                        },
                        Err(m) => {
                            invalid(self, m);
                            None
                        }
                    }
                };
                self.port = Some(Setting { value, text, span, from });
            }
            "fd" => {
                let value = if dynamic {
                    None
                } else {
                    match int(&raw).map(u32::try_from) {
                        Ok(Ok(n)) => Some(n),
                        Ok(Err(_)) => {
                            invalid(self, format!("{text} is not a file descriptor"));
                            None
                        }
                        Err(m) => {
                            invalid(self, m);
                            None
                        }
                    }
                };
                self.fd = Some(Setting { value, text, span, from });
            }
            "workers" => {
                let value = if dynamic {
                    None
                } else {
                    match int(&raw) {
                        Ok(n) => Some(n.max(0) as u64),
                        Err(m) => {
                            invalid(self, m);
                            None
                        }
                    }
                };
                self.workers = Some(Setting { value, text, span, from });
            }
            "timeout_keep_alive" => {
                let value = if dynamic {
                    None
                } else {
                    let ms = match &raw {
                        // `uvicorn.run` passes the number on to asyncio's `call_later`: floats work.
                        Raw::Lit(Lit::Float(f)) if f.is_finite() => Ok((f * 1000.0).round() as i64),
                        _ => int(&raw).map(|s| s.saturating_mul(1000)),
                    };
                    match ms {
                        Ok(ms) => {
                            if ms < 0 {
                                self.notes.push(format!(
                                    "timeout_keep_alive {text} is negative: idle connections are closed at once"
                                ));
                            }
                            Some(ms.max(0) as u64)
                        }
                        Err(m) => {
                            invalid(self, format!("{m} (uvicorn wants whole seconds: `5`)"));
                            None
                        }
                    }
                };
                self.timeout_keep_alive = Some(Setting { value, text, span, from });
            }
            _ => {}
        }
    }

    /// From a command line and the launch's environment (command line wins).
    fn apply_cli(&mut self, args: &cmdline::Args, env: &[(String, Word)]) {
        for (opt, key) in cmdline::VALUED {
            if let Some((_, w, _)) = args.get(key) {
                self.apply(key, Raw::Text(&w.text), w.text.clone(), w.span, From::CommandLine, opt);
                continue;
            }
            if let Some((var, w)) = crate::launch::python::option_from_env(env, defaults::ENV_PREFIX, key) {
                self.apply(key, Raw::Text(&w.text), w.text.clone(), w.span, From::Env(var.clone()), &var);
            }
        }
        if let Some(a) = &args.app {
            self.app = Some(Setting {
                value: Some(a.text.clone()),
                text: a.text.clone(),
                span: a.span,
                from: From::CommandLine,
            });
        } else if let Some((_, w)) = env.iter().rev().find(|(k, _)| k == "UVICORN_APP") {
            self.app = Some(Setting {
                value: Some(w.text.clone()),
                text: w.text.clone(),
                span: w.span,
                from: From::Env("UVICORN_APP".into()),
            });
        }
        self.reload = args.reload.is_some();
        if let Some(w) = env.iter().rev().find(|(k, _)| k == "PORT").map(|(_, w)| w) {
            if self.port.is_none() {
                self.notes.push(format!(
                    "PORT={} is set but uvicorn does not read PORT (only --port / UVICORN_PORT): it listens on {}",
                    w.text,
                    defaults::DEFAULT_PORT
                ));
            }
        }
    }

    /// From a `uvicorn.run(...)` call.
    fn apply_run(&mut self, file: &SourceFile, call: &RunCall) {
        for (_, key) in cmdline::VALUED {
            if let Some(a) = call.keyword(key) {
                let text = file.slice(a.span).to_string();
                self.apply(key, Raw::Lit(&a.value), text, a.span, From::RunCall, &format!("{key}="));
            }
        }
        if let Some(a) = call.positional() {
            let text = file.slice(a.span).to_string();
            let value = match &a.value {
                Lit::Str(s) => Some(s.clone()),
                _ => None,
            };
            self.app = Some(Setting { value, text, span: a.span, from: From::RunCall });
        }
        if call.keyword("reload").is_some_and(|a| a.value == Lit::Bool(true)) {
            self.reload = true;
        }
        if call.splat {
            self.notes.push("uvicorn.run(...) takes *args/**kwargs: settings there are not read".into());
        }
    }
}

fn is_python(p: &str) -> bool {
    p == "python" || p == "python3" || (p.starts_with("python3.") && p[8..].chars().all(|c| c.is_ascii_digit()))
}

/// Loads every uvicorn instance: one per uvicorn launch, and one per `uvicorn.run(...)` in a
/// Python script a launch runs.
pub fn load(ctx: &Ctx, launches: &[Launch]) -> (Vec<Instance>, Vec<LoadError>) {
    let errors = Vec::new();
    let mut out = Vec::new();
    for (li, l) in launches.iter().enumerate() {
        let program = l.program();
        let file = ctx.map.file_of(l.span).map(|f| f.display.clone()).unwrap_or_default();
        if program == "uvicorn" {
            let mut inst = Instance::new(l.span, file);
            inst.launch = Some(li);
            inst.service = l.service.clone();
            inst.env_web_concurrency = l.env_var("WEB_CONCURRENCY").cloned();
            inst.apply_cli(&cmdline::parse(&l.argv[1..]), &l.env);
            out.push(inst);
        } else if is_python(program) {
            // `python [-u ...] script.py args`
            let Some(script) = l.argv[1..].iter().find(|w| !w.text.starts_with('-')) else { continue };
            if !script.text.ends_with(".py") {
                continue;
            }
            let Some(path) = find_script(ctx, &clean(&l.dir), &script.text) else { continue };
            let Ok(sf) = ctx.read(&path) else { continue };
            let calls = runcall::find(&sf);
            let Some(call) = calls.first() else { continue };
            let mut inst = Instance::new(call.span, sf.display.clone());
            inst.launch = Some(li);
            inst.script = Some(sf.display.clone());
            inst.service = l.service.clone();
            inst.env_web_concurrency = l.env_var("WEB_CONCURRENCY").cloned();
            inst.notes.push(format!(
                "started by `{}` ({file})",
                l.argv.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ")
            ));
            if calls.len() > 1 {
                inst.notes.push(format!("{} has {} uvicorn.run calls: the first is read", sf.display, calls.len()));
            }
            inst.apply_run(&sf, call);
            out.push(inst);
        }
    }
    (out, errors)
}

/// The script a launch runs: relative to the launch's directory, else (container paths such as
/// `/app/main.py` after `COPY . /app`) the file in the tree whose path ends the same way, with the
/// longest matching tail, nearest to the launch first.
fn find_script(ctx: &Ctx, base: &Path, p: &str) -> Option<PathBuf> {
    let direct = if Path::new(p).is_absolute() { PathBuf::from(p) } else { base.join(p) };
    if let Ok(c) = direct.canonicalize() {
        if ctx.all_files.contains(&c) {
            return Some(c);
        }
    }
    let parts: Vec<_> = Path::new(p).components().filter(|c| matches!(c, std::path::Component::Normal(_))).collect();
    let base_c = base.canonicalize().unwrap_or_else(|_| base.to_path_buf());
    for skip in 0..parts.len() {
        let rel: PathBuf = parts[skip..].iter().collect();
        let best = ctx
            .all_files
            .iter()
            .filter(|f| f.ends_with(&rel))
            .min_by_key(|f| {
                let shared = f.components().zip(base_c.components()).take_while(|(a, b)| a == b).count();
                base_c.components().count().saturating_sub(shared)
            })
            .cloned();
        if best.is_some() {
            return best;
        }
    }
    None
}
use crate::component::{ComponentDef, GraphFacts, Loaded, Phase, Shared};
use crate::files::{Comments, Kind, Layer};
use crate::graph::StackBuilder;

/// A Python script a launch runs (`python main.py`), read for `uvicorn.run(...)`; never
/// recognised by name.
pub const PYTHON: Kind = Kind::new("python", Layer::App, Comments::Hash);

pub static COMPONENT: ComponentDef = ComponentDef {
    name: "uvicorn",
    kinds: &[PYTHON],
    recognise: &[],
    precommit: &[r"(^|/)(main|app|asgi|wsgi|server|run)\.py$"],
    phase: Phase::Main,
    load: |ctx, _, shared| {
        let (instances, errors) = load(ctx, &crate::launch::published(shared).0);
        (Some(Box::new(Uvicorn(instances))), errors)
    },
    graph_rank: 6,
    graph: Some(GraphFacts { component: crate::graph::Component::Uvicorn, drains_idle_http2: false, trust: None }),
};

struct Uvicorn(Vec<Instance>);

impl Loaded for Uvicorn {
    fn add_to_graph(&mut self, b: &mut StackBuilder, _: &Shared) {
        model::add(&self.0, b);
    }

    /// The scripts launches run, read for `uvicorn.run(...)`.
    fn listed_files(&self) -> Vec<(String, Kind)> {
        self.0.iter().filter_map(|u| u.script.clone()).map(|s| (s, PYTHON)).collect()
    }
}
