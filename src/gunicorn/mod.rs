//! gunicorn: config files (top-level literal assignments, never executed), command lines found in
//! systemd units, Procfiles, Dockerfiles, docker-compose and `GUNICORN_CMD_ARGS`, defaults with
//! their sources, and the model that puts each gunicorn instance into the stack graph.
//!
//! One [`Instance`] per gunicorn command line, plus one per config file no command line uses
//! (someone runs `gunicorn -c` on it). Precedence, low to high, as gunicorn applies it: environment
//! (`PORT`, `WEB_CONCURRENCY`) -> config file -> `GUNICORN_CMD_ARGS` -> command line.

pub mod cmdline;
pub mod defaults;
pub mod model;
pub mod pyconf;

use crate::diag::LoadError;
use crate::duration::{DefaultFact, Timeout};
use crate::files::{clean, Ctx, Found, Kind};
use crate::graph::{Endpoint, Host};
use crate::launch::{Launch, Word};
use crate::source::{SourceFile, Span};
use pyconf::{PyConf, PyVal};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum From {
    /// An environment variable gunicorn reads itself (`PORT`, `WEB_CONCURRENCY`).
    Env(String),
    /// The config file.
    ConfigFile,
    /// The config file reads an environment variable (`os.environ.get(var, default)`); `set`: the
    /// launch sets it (else the default in the file is used).
    ConfigEnv {
        var: String,
        set: bool,
    },
    /// `GUNICORN_CMD_ARGS`.
    CmdArgsEnv,
    CommandLine,
}

/// A setting as written, with the source that gave it.
pub type Setting<T> = crate::launch::Setting<T, From>;

/// A config file an instance reads.
#[derive(Clone, Debug)]
pub struct ConfigRef {
    pub path: PathBuf,
    pub display: String,
    /// Where the command line names it (`-c gunicorn.conf.py`), `None` for the implicit one.
    pub named_at: Option<Span>,
}

#[derive(Clone, Debug)]
pub struct Instance {
    /// The app (`module:app`), from the command line or `wsgi_app`.
    pub app: Option<Setting<String>>,
    pub config: Option<ConfigRef>,
    /// Index into the launches passed to [`load`], when started by a command line.
    pub launch: Option<usize>,
    /// The compose service running it.
    pub service: Option<String>,
    /// Where it is declared: the command line, or the config file's first setting.
    pub span: Span,
    /// Display path of the file that declares it.
    pub file: String,
    /// `PORT` from the launch environment: the default bind becomes `0.0.0.0:$PORT`.
    pub env_port: Option<Word>,
    /// `WEB_CONCURRENCY` from the launch environment: the default `workers`.
    pub env_web_concurrency: Option<Word>,
    /// Empty: the default bind.
    pub bind: Vec<Setting<Endpoint>>,
    pub timeout: Option<Setting<u64>>,
    pub graceful_timeout: Option<Setting<u64>>,
    pub keepalive: Option<Setting<u64>>,
    pub workers: Option<Setting<u64>>,
    pub worker_class: Option<Setting<String>>,
    pub threads: Option<Setting<u64>>,
    pub worker_connections: Option<Setting<u64>>,
    pub max_requests: Option<Setting<u64>>,
    pub backlog: Option<Setting<u64>>,
    pub forwarded_allow_ips: Option<Setting<Vec<String>>>,
    pub raw_env: Vec<Setting<String>>,
    pub wsgi_app: Option<Setting<String>>,
    /// Values gunicorn refuses to start with (`timeout = "30s"`, negative numbers, bad ports).
    pub invalid: Vec<(Span, String)>,
    /// Things worth knowing that are not errors (`python:` config modules, config files not found).
    pub notes: Vec<String>,
}

impl Instance {
    fn new(span: Span, file: String) -> Instance {
        Instance {
            app: None,
            config: None,
            launch: None,
            service: None,
            span,
            file,
            env_port: None,
            env_web_concurrency: None,
            bind: Vec::new(),
            timeout: None,
            graceful_timeout: None,
            keepalive: None,
            workers: None,
            worker_class: None,
            threads: None,
            worker_connections: None,
            max_requests: None,
            backlog: None,
            forwarded_allow_ips: None,
            raw_env: Vec::new(),
            wsgi_app: None,
            invalid: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// "gunicorn app:app (gunicorn.conf.py)".
    pub fn name(&self) -> String {
        let file = self.config.as_ref().map(|c| c.display.as_str()).unwrap_or(&self.file);
        match self.app.as_ref().or(self.wsgi_app.as_ref()) {
            Some(a) => format!("gunicorn {} ({file})", a.text),
            None => format!("gunicorn ({file})"),
        }
    }

    fn seconds(s: &Option<Setting<u64>>, fact: &'static DefaultFact) -> Option<Timeout> {
        match s {
            None => Some(Timeout::default(fact)),
            Some(Setting { value: Some(v), span, .. }) => Some(Timeout::explicit(Some(v * 1000), *span)),
            Some(Setting { value: None, .. }) => None,
        }
    }

    /// Worker timeout; `0` disables it (`ms: None`); `None` when only known at run time.
    pub fn timeout(&self) -> Option<Timeout> {
        Self::seconds(&self.timeout, &defaults::TIMEOUT).map(|t| {
            if t.ms == Some(0) {
                Timeout { ms: None, ..t }
            } else {
                t
            }
        })
    }
    pub fn graceful_timeout(&self) -> Option<Timeout> {
        Self::seconds(&self.graceful_timeout, &defaults::GRACEFUL_TIMEOUT)
    }
    pub fn keepalive(&self) -> Option<Timeout> {
        Self::seconds(&self.keepalive, &defaults::KEEPALIVE)
    }
    /// `workers`, filled from `WEB_CONCURRENCY` or the default.
    pub fn workers(&self) -> Option<u64> {
        match &self.workers {
            Some(s) => s.value,
            None => match &self.env_web_concurrency {
                Some(w) => w.text.trim().parse().ok(),
                None => Some(defaults::DEFAULT_WORKERS),
            },
        }
    }
    pub fn threads(&self) -> Option<u64> {
        self.threads.as_ref().map_or(Some(defaults::DEFAULT_THREADS), |s| s.value)
    }
    /// The worker class as gunicorn resolves it: `sync` with `threads > 1` runs `gthread`.
    pub fn worker_class(&self) -> Option<String> {
        let wc =
            self.worker_class.as_ref().map_or(Some(defaults::DEFAULT_WORKER_CLASS.to_string()), |s| s.value.clone())?;
        let is_sync = wc == "sync" || wc.ends_with("SyncWorker");
        if is_sync && self.threads()? > 1 {
            return Some("gthread".to_string());
        }
        Some(if is_sync { "sync".to_string() } else { wc })
    }
    /// Every bind with its span and whether it is the default. Default: `127.0.0.1:8000`, or
    /// `0.0.0.0:$PORT` when the launch sets `PORT` (span: the `PORT` value).
    pub fn binds(&self) -> Vec<(Endpoint, Span, bool)> {
        if self.bind.is_empty() {
            if let Some(p) = &self.env_port {
                if let Ok(port) = p.text.trim().parse() {
                    return vec![(Endpoint::tcp(Host::Any, port), p.span, true)];
                }
            }
            return vec![(Endpoint::tcp(Host::parse(defaults::DEFAULT_HOST), defaults::DEFAULT_PORT), self.span, true)];
        }
        self.bind.iter().filter_map(|b| b.value.clone().map(|e| (e, b.span, false))).collect()
    }
}

/// gunicorn's `parse_address` (util.py): `HOST`, `HOST:PORT`, `:PORT`, `[v6]:PORT`, `unix:PATH`,
/// `fd://N`, `tcp://` prefix; host alone means port 8000.
pub fn parse_bind(s: &str) -> Result<Endpoint, String> {
    if let Some(rest) = s.strip_prefix("unix:") {
        return Ok(Endpoint::Unix(rest.strip_prefix("//").unwrap_or(rest).to_string()));
    }
    if let Some(fd) = s.strip_prefix("fd://") {
        return match fd.trim().parse::<u32>() {
            Ok(n) => Ok(Endpoint::Fd(n.to_string())),
            Err(_) => Err(format!("'{fd}' is not a valid file descriptor")),
        };
    }
    let s = s.strip_prefix("tcp://").unwrap_or(s);
    let (host, port) = if s.contains('[') && s.contains(']') {
        let host = s.split(']').next().unwrap_or("").trim_start_matches('[');
        let port = s.split_once("]:").map(|x| x.1).unwrap_or("8000");
        (host, port)
    } else if s.contains(':') {
        let mut it = s.split(':');
        let h = it.next().unwrap_or("");
        (h, it.next().unwrap_or("8000"))
    } else if s.is_empty() {
        ("0.0.0.0", "8000")
    } else {
        (s, "8000")
    };
    let port: u16 = py_int(port, false)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| format!("'{port}' is not a valid port number"))?;
    Ok(Endpoint::tcp(Host::parse(&host.to_ascii_lowercase()), port))
}

pub use crate::launch::python::py_int;

/// A value to validate: text from a command line, or a Python value from a config file.
enum Raw<'a> {
    Cli(&'a str),
    Py(&'a PyVal),
}

/// gunicorn's `validate_pos_int`: ints as they are, strings through `int(val, 0)`, negatives
/// refused. On the command line argparse's `type=int` (base 10) comes first.
fn pos_int(raw: Raw) -> Result<u64, String> {
    let v = match raw {
        Raw::Cli(s) => py_int(s, false).ok_or_else(|| format!("invalid int value: '{s}'"))?,
        Raw::Py(PyVal::Int(n)) => *n,
        Raw::Py(PyVal::Bool(b)) => i64::from(*b),
        Raw::Py(PyVal::Str(s)) => py_int(s, true).ok_or_else(|| {
            format!("invalid literal for int() with base 0: '{s}' (gunicorn wants whole seconds/numbers)")
        })?,
        Raw::Py(PyVal::Float(f)) => return Err(format!("{f} is not an integer (gunicorn calls int(val, 0))")),
        Raw::Py(other) => return Err(format!("{} is not an integer", describe(other))),
    };
    u64::try_from(v).map_err(|_| format!("Value must be positive: {v}"))
}

fn describe(v: &PyVal) -> String {
    match v {
        PyVal::None => "None".into(),
        PyVal::List(_) => "a list".into(),
        _ => format!("{v:?}"),
    }
}

/// A config-file value with environment look-ups resolved against the launch's environment.
/// `Err(None)`: only known at run time.
fn resolve(v: &PyVal, env: &[(String, Word)]) -> (PyVal, Option<(String, bool)>) {
    match v {
        PyVal::Env { var, default, int } => {
            let set = env.iter().rev().find(|(k, _)| k == var).map(|(_, w)| w.text.clone());
            let val = match (&set, default) {
                (Some(s), _) if *int => match py_int(s, false) {
                    Some(n) => PyVal::Int(n),
                    None => PyVal::Str(s.clone()),
                },
                (Some(s), _) => PyVal::Str(s.clone()),
                (None, Some(d)) if *int => match d.as_ref() {
                    PyVal::Str(s) => py_int(s, false).map(PyVal::Int).unwrap_or(PyVal::Dynamic),
                    other => other.clone(),
                },
                (None, Some(d)) => (**d).clone(),
                (None, None) => PyVal::Dynamic,
            };
            (val, Some((var.clone(), set.is_some())))
        }
        other => (other.clone(), None),
    }
}

fn str_list(v: &PyVal) -> Option<Vec<String>> {
    match v {
        PyVal::Str(s) => Some(vec![s.clone()]),
        PyVal::List(items) => items
            .iter()
            .map(|i| match i {
                PyVal::Str(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn has_var(s: &str) -> bool {
    s.contains('$')
}

impl Instance {
    fn set_int(&mut self, key: &str, s: Setting<u64>) {
        let slot = match key {
            "timeout" => &mut self.timeout,
            "graceful_timeout" => &mut self.graceful_timeout,
            "keepalive" => &mut self.keepalive,
            "workers" => &mut self.workers,
            "threads" => &mut self.threads,
            "worker_connections" => &mut self.worker_connections,
            "max_requests" => &mut self.max_requests,
            "backlog" => &mut self.backlog,
            _ => return,
        };
        *slot = Some(s);
    }

    /// Applies one command-line option (`cmd_args`: from `GUNICORN_CMD_ARGS`).
    fn apply_cli(&mut self, key: &str, w: &Word, first_bind: &mut bool, from: From) {
        let text = w.text.clone();
        match key {
            "bind" => {
                if *first_bind {
                    self.bind.clear();
                    *first_bind = false;
                }
                let value = if has_var(&text) {
                    None
                } else {
                    match parse_bind(&text) {
                        Ok(e) => Some(e),
                        Err(m) => {
                            self.invalid.push((w.span, format!("bind {text}: {m}")));
                            None
                        }
                    }
                };
                self.bind.push(Setting { value, text, span: w.span, from });
            }
            "worker_class" => self.worker_class = Some(Setting { value: Some(text.clone()), text, span: w.span, from }),
            "raw_env" => self.raw_env.push(Setting { value: Some(text.clone()), text, span: w.span, from }),
            "forwarded_allow_ips" => {
                let v = text.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
                self.forwarded_allow_ips = Some(Setting { value: Some(v), text, span: w.span, from });
            }
            _ => {
                let value = if has_var(&text) {
                    None
                } else {
                    match pos_int(Raw::Cli(&text)) {
                        Ok(v) => Some(v),
                        Err(m) => {
                            self.invalid.push((w.span, format!("{key}: {m}")));
                            None
                        }
                    }
                };
                self.set_int(key, Setting { value, text, span: w.span, from });
            }
        }
    }

    /// Applies a config file's settings.
    fn apply_config(&mut self, file: &SourceFile, conf: &PyConf, env: &[(String, Word)]) {
        let ints = [
            "timeout",
            "graceful_timeout",
            "keepalive",
            "workers",
            "threads",
            "worker_connections",
            "max_requests",
            "backlog",
        ];
        let names = ["bind", "worker_class", "forwarded_allow_ips", "raw_env", "wsgi_app"];
        for key in ints.iter().chain(names.iter()) {
            let Some(a) = conf.get(key) else { continue };
            let (val, env_info) = resolve(&a.value, env);
            let from = match &env_info {
                Some((var, set)) => From::ConfigEnv { var: var.clone(), set: *set },
                None => From::ConfigFile,
            };
            let span = a.value_span;
            let text = match (&env_info, &val) {
                (Some(_), PyVal::Str(s)) => s.clone(),
                (Some(_), PyVal::Int(n)) => n.to_string(),
                _ => file.slice(span).to_string(),
            };
            let dynamic = val == PyVal::Dynamic;
            match *key {
                "bind" => {
                    self.bind.clear();
                    if dynamic {
                        self.bind.push(Setting { value: None, text, span, from });
                        continue;
                    }
                    match str_list(&val) {
                        Some(list) => {
                            for b in list {
                                let value = match parse_bind(&b) {
                                    Ok(e) => Some(e),
                                    Err(m) => {
                                        self.invalid.push((span, format!("bind {b}: {m}")));
                                        None
                                    }
                                };
                                self.bind.push(Setting { value, text: b, span, from: from.clone() });
                            }
                        }
                        None => self.invalid.push((
                            span,
                            format!("bind must be a string or a list of strings, not {}", describe(&val)),
                        )),
                    }
                    // Each item of a literal list gets its own span.
                    if let PyVal::List(items) = &val {
                        let spans = item_spans(file, span, items.len());
                        if spans.len() == self.bind.len() {
                            for (b, s) in self.bind.iter_mut().zip(spans) {
                                b.span = s;
                            }
                        }
                    }
                }
                "worker_class" | "wsgi_app" => {
                    let value = match &val {
                        PyVal::Str(s) => Some(s.clone()),
                        PyVal::Dynamic => None,
                        PyVal::None if *key == "wsgi_app" => continue,
                        other => {
                            self.invalid.push((span, format!("{key} must be a string, not {}", describe(other))));
                            None
                        }
                    };
                    let s = Some(Setting { value, text, span, from });
                    if *key == "worker_class" {
                        self.worker_class = s;
                    } else {
                        self.wsgi_app = s;
                    }
                }
                "raw_env" => {
                    self.raw_env.clear();
                    match str_list(&val) {
                        Some(list) => {
                            for e in list {
                                self.raw_env.push(Setting { value: Some(e.clone()), text: e, span, from: from.clone() })
                            }
                        }
                        None if dynamic => self.raw_env.push(Setting { value: None, text, span, from }),
                        None => self
                            .invalid
                            .push((span, format!("raw_env must be a list of strings, not {}", describe(&val)))),
                    }
                }
                "forwarded_allow_ips" => {
                    let value = match &val {
                        PyVal::Str(s) => {
                            Some(s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect())
                        }
                        PyVal::List(_) => str_list(&val),
                        _ => None,
                    };
                    self.forwarded_allow_ips = Some(Setting { value, text, span, from });
                }
                _ => {
                    let value = if dynamic {
                        None
                    } else {
                        match pos_int(Raw::Py(&val)) {
                            Ok(v) => Some(v),
                            Err(m) => {
                                self.invalid.push((span, format!("{key}: {m}")));
                                None
                            }
                        }
                    };
                    self.set_int(key, Setting { value, text, span, from });
                }
            }
        }
    }
}

/// Spans of the string items of a literal list/tuple written at `span` (best effort: quoted runs).
fn item_spans(file: &SourceFile, span: Span, n: usize) -> Vec<Span> {
    let src = file.slice(span);
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'#' {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if b[i] == b'"' || b[i] == b'\'' {
            let q = b[i];
            let s = i + 1;
            let mut j = s;
            while j < b.len() && b[j] != q {
                if b[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            out.push(Span::new(span.start + s as u32, span.start + j.min(b.len()) as u32));
            i = j + 1;
            continue;
        }
        i += 1;
    }
    if out.len() == n {
        out
    } else {
        Vec::new()
    }
}

/// A config file, parsed once.
struct Conf {
    path: PathBuf,
    file: Arc<SourceFile>,
    conf: PyConf,
    used: bool,
}

/// Loads every gunicorn instance: one per gunicorn launch, plus config files nobody launches.
pub fn load(ctx: &Ctx, found: &[Found], launches: &[Launch]) -> (Vec<Instance>, Vec<LoadError>) {
    let mut errors = Vec::new();
    let mut confs: Vec<Conf> = Vec::new();
    let mut failed: Vec<PathBuf> = Vec::new();
    for f in found.iter().filter(|f| f.kind == KIND) {
        let file = match ctx.read(&f.path) {
            Ok(x) => x,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let path = ctx.canonical(&f.path).unwrap_or_else(|_| clean(&f.path));
        match pyconf::parse(&file) {
            Ok(conf) => confs.push(Conf { path, file, conf, used: false }),
            Err(e) => {
                errors.push(e);
                failed.push(path);
            }
        }
    }

    let mut out = Vec::new();
    for (li, l) in launches.iter().enumerate() {
        if l.program() != "gunicorn" {
            continue;
        }
        let lfile = ctx.map.file_of(l.span);
        let mut inst = Instance::new(l.span, lfile.as_ref().map(|f| f.display.clone()).unwrap_or_default());
        inst.launch = Some(li);
        inst.service = l.service.clone();
        inst.env_port = l.env_var("PORT").cloned();
        inst.env_web_concurrency = l.env_var("WEB_CONCURRENCY").cloned();

        let cli = cmdline::parse(&l.argv[1..]);
        let env_args = l.env_var("GUNICORN_CMD_ARGS").and_then(|w| {
            let f = ctx.map.file_of(w.span)?;
            Some(cmdline::parse(&crate::launch::split_plain(&f, &w.text, w.span)))
        });

        // The config file: the command line's, else GUNICORN_CMD_ARGS's, else ./gunicorn.conf.py.
        let named = cli.config.as_ref().or(env_args.as_ref().and_then(|a| a.config.as_ref()));
        // `--chdir` applies after the config file is loaded: the config path stays relative to
        // the launch's directory.
        let base = clean(&l.dir);
        let conf_idx = match named {
            Some(w) => {
                let t = w.text.as_str();
                if let Some(m) = t.strip_prefix("python:") {
                    inst.notes.push(format!("config is the Python module `{m}` (python:MODULE): not read"));
                    None
                } else {
                    let p = t.strip_prefix("file:").unwrap_or(t);
                    let idx = find_conf(ctx, &mut confs, &failed, &base, p);
                    if idx.is_none() && !failed.iter().any(|f| f.ends_with(p.trim_start_matches("./"))) {
                        inst.notes.push(format!("config file `{p}` is not in the linted tree"));
                    }
                    idx.map(|i| (i, Some(w.span)))
                }
            }
            None => find_conf_exact(ctx, &mut confs, &base.join(defaults::DEFAULT_CONFIG)).map(|i| (i, None)),
        };
        if let Some((i, named_at)) = conf_idx {
            let c = &mut confs[i];
            c.used = true;
            inst.config = Some(ConfigRef { path: c.path.clone(), display: c.file.display.clone(), named_at });
            let (file, conf) = (c.file.clone(), c.conf.clone());
            inst.apply_config(&file, &conf, &l.env);
        }
        for (args, from) in
            env_args.iter().map(|a| (a, From::CmdArgsEnv)).chain(std::iter::once((&cli, From::CommandLine)))
        {
            let mut first_bind = true;
            for (key, w, _) in &args.settings {
                inst.apply_cli(key, w, &mut first_bind, from.clone());
            }
        }
        if let Some(a) = &cli.app {
            inst.app = Some(Setting {
                value: Some(a.text.clone()),
                text: a.text.clone(),
                span: a.span,
                from: From::CommandLine,
            });
        }
        out.push(inst);
    }

    // Config files no command line uses: someone runs `gunicorn -c` on them.
    for c in confs.iter().filter(|c| !c.used) {
        let span = c.conf.assigns.first().map(|a| a.name_span.to(a.value_span)).unwrap_or(c.file.span(0, 0));
        let mut inst = Instance::new(span, c.file.display.clone());
        inst.config = Some(ConfigRef { path: c.path.clone(), display: c.file.display.clone(), named_at: None });
        inst.apply_config(&c.file, &c.conf, &[]);
        out.push(inst);
    }
    (out, errors)
}

fn find_conf_exact(ctx: &Ctx, confs: &mut Vec<Conf>, p: &Path) -> Option<usize> {
    let canon = ctx.canonical(p).ok()?;
    if let Some(i) = confs.iter().position(|c| c.path == canon) {
        return Some(i);
    }
    // A config file under another name (`-c settings/gunicorn_prod.conf`): read it if it is in the tree.
    if !canon.is_file() || !ctx.inside(&canon) {
        return None;
    }
    let file = ctx.read(&canon).ok()?;
    let conf = pyconf::parse(&file).ok()?;
    confs.push(Conf { path: canon, file, conf, used: false });
    Some(confs.len() - 1)
}

/// Resolves `-c PATH` against the launch's directory; failing that (container paths such as
/// `/app/conf/gunicorn.py`, or a path relative to a build context), the config file in the tree
/// whose path ends with the same components, nearest to the launch first.
fn find_conf(ctx: &Ctx, confs: &mut Vec<Conf>, failed: &[PathBuf], base: &Path, p: &str) -> Option<usize> {
    let direct = if Path::new(p).is_absolute() { PathBuf::from(p) } else { base.join(p) };
    if let Some(i) = find_conf_exact(ctx, confs, &direct) {
        return Some(i);
    }
    let rel: PathBuf = Path::new(p).components().filter(|c| matches!(c, std::path::Component::Normal(_))).collect();
    if rel.as_os_str().is_empty() || failed.iter().any(|f| f.ends_with(&rel)) {
        return None;
    }
    let base_c = base.canonicalize().unwrap_or_else(|_| base.to_path_buf());
    let mut best: Option<(usize, usize)> = None;
    for (i, c) in confs.iter().enumerate() {
        if !c.path.ends_with(&rel) {
            continue;
        }
        // Distance: how many components of the launch directory the config path does not share.
        let shared = c.path.components().zip(base_c.components()).take_while(|(a, b)| a == b).count();
        let dist = base_c.components().count().saturating_sub(shared);
        if best.is_none_or(|(_, d)| dist < d) {
            best = Some((i, dist));
        }
    }
    best.map(|(i, _)| i)
}

use crate::component::{ComponentDef, GraphFacts, Loaded, Phase, Recogniser, Shared, Step};
use crate::files::{Comments, Layer};
use crate::graph::StackBuilder;

/// `gunicorn.conf.py`, `gunicorn*.py` config files.
pub const KIND: Kind = Kind::new("gunicorn", Layer::App, Comments::Hash);

pub static COMPONENT: ComponentDef = ComponentDef {
    name: "gunicorn",
    kinds: &[KIND],
    recognise: &[Recogniser {
        rank: 70,
        step: |c, _| Step::when(c.lower.starts_with("gunicorn") && c.lower.ends_with(".py"), KIND),
    }],
    precommit: &[r"(^|/)gunicorn[^/]*\.py$"],
    phase: Phase::Main,
    load: |ctx, found, shared| {
        let (instances, errors) = load(ctx, found, &crate::launch::published(shared).0);
        (Some(Box::new(Gunicorn(instances))), errors)
    },
    graph_rank: 5,
    graph: Some(GraphFacts { component: crate::graph::Component::Gunicorn, drains_idle_http2: false, trust: None }),
};

struct Gunicorn(Vec<Instance>);

impl Loaded for Gunicorn {
    fn add_to_graph(&mut self, b: &mut StackBuilder, _: &Shared) {
        model::add(&self.0, b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_forms() {
        assert_eq!(parse_bind("127.0.0.1:8000"), Ok(Endpoint::tcp(Host::Loopback, 8000)));
        assert_eq!(parse_bind(":9000"), Ok(Endpoint::tcp(Host::Any, 9000)));
        assert_eq!(parse_bind("0.0.0.0"), Ok(Endpoint::tcp(Host::Any, 8000)));
        assert_eq!(parse_bind("web"), Ok(Endpoint::tcp(Host::Name("web".into()), 8000)));
        assert_eq!(parse_bind("[::1]:8001"), Ok(Endpoint::tcp(Host::Loopback, 8001)));
        assert_eq!(parse_bind("[::]"), Ok(Endpoint::tcp(Host::Any, 8000)));
        assert_eq!(parse_bind("tcp://10.0.0.2:81"), Ok(Endpoint::tcp(Host::parse("10.0.0.2"), 81)));
        assert_eq!(parse_bind("unix:/run/g.sock"), Ok(Endpoint::Unix("/run/g.sock".into())));
        assert_eq!(parse_bind("unix:///run/g.sock"), Ok(Endpoint::Unix("/run/g.sock".into())));
        assert_eq!(parse_bind("fd://3"), Ok(Endpoint::Fd("3".into())));
        assert!(parse_bind("fd://x").is_err());
        assert!(parse_bind("1.2.3.4:http").is_err());
        assert!(parse_bind("1.2.3.4:70000").is_err());
    }

    #[test]
    fn ints_like_python() {
        assert_eq!(py_int("30", true), Some(30));
        assert_eq!(py_int(" 0x1e ", true), Some(30));
        assert_eq!(py_int("1_000", true), Some(1000));
        assert_eq!(py_int("030", true), None);
        assert_eq!(py_int("030", false), Some(30));
        assert_eq!(py_int("30s", true), None);
        assert_eq!(py_int("-5", true), Some(-5));
        assert!(pos_int(Raw::Py(&PyVal::Str("30s".into()))).is_err());
        assert!(pos_int(Raw::Py(&PyVal::Int(-1))).is_err());
        assert!(pos_int(Raw::Cli("0x10")).is_err());
        assert_eq!(pos_int(Raw::Py(&PyVal::Str("0x10".into()))), Ok(16));
    }
}
