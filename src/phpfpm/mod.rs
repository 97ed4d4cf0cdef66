//! PHP-FPM and php.ini: the INI grammar (`grammars/ini.pest`) and parser, `include=` resolution
//! inside the linted tree, defaults and unit rules with their sources, and the model that puts
//! each pool into the stack graph.
//!
//! [`load`] reads every file discovery classified as [`crate::phpfpm::KIND`] or [`crate::phpfpm::PHP_INI`] (and
//! the files their `include=` lines pull in), groups pool settings by pool the way PHP-FPM does
//! (a later `[www]` section continues the earlier one; the last value of a key wins), and pairs
//! each PHP-FPM config with the php.ini next to it. [`model::add`] turns the result into graph
//! nodes.

pub mod defaults;
pub mod model;
pub mod parser;

use crate::diag::LoadError;
use crate::files::{Ctx, Found, Kind};
use crate::source::{SourceFile, Span};
use parser::{Entry, Item};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

/// A parsed file.
#[derive(Debug)]
pub struct IniFile {
    pub source: Arc<SourceFile>,
    pub items: Vec<Item>,
    /// Canonical path.
    pub path: PathBuf,
}

/// One `[pool]` with every setting given to it, in order (later ones win).
#[derive(Clone, Debug)]
pub struct PoolConf {
    pub name: String,
    /// The first `[name]` header.
    pub header: Span,
    /// Display path of the file with the first header.
    pub file: String,
    pub entries: Vec<Entry>,
}

impl PoolConf {
    /// The last entry for a key (`listen`, `php_admin_value[max_execution_time]`).
    pub fn get(&self, full_key: &str) -> Option<&Entry> {
        self.entries.iter().rev().find(|e| e.full_key() == full_key)
    }
}

/// A PHP-FPM configuration: a file no other file includes, with its includes expanded.
#[derive(Clone, Debug)]
pub struct Master {
    /// Display path of the top file.
    pub file: String,
    pub path: PathBuf,
    pub global: Vec<Entry>,
    pub pools: Vec<PoolConf>,
    /// The php.ini this configuration's PHP reads (the nearest one up the tree), if any.
    pub php_ini: Option<usize>,
}

/// A php.ini with the `conf.d/*.ini` files loaded after it.
#[derive(Clone, Debug)]
pub struct PhpIni {
    pub file: String,
    pub dir: PathBuf,
    /// The effective `max_execution_time` entry (last one in php.ini, then conf.d in name order).
    pub max_execution_time: Option<Entry>,
}

/// Everything PHP-FPM related found in the tree.
#[derive(Debug, Default)]
pub struct Config {
    pub files: Vec<IniFile>,
    pub masters: Vec<Master>,
    pub php_inis: Vec<PhpIni>,
    /// `include=` lines that matched nothing (PHP-FPM only warns and starts without them).
    pub unmatched_includes: Vec<(String, Span)>,
    /// The environment `${NAME}` references are expanded from (empty: left as written).
    pub env: HashMap<String, String>,
}

/// Does this text look like a PHP-FPM config (for `*.conf` files whose name says nothing)?
/// A `[global]` line, or a `[section]` line and a `listen =` or `pm =` line.
pub fn looks_like_fpm(text: &str) -> bool {
    // Section lines first (found from each `[`, cheap on nginx files, which have few): no section
    // means no pool, whatever the keys.
    let mut section = false;
    for (i, _) in text.match_indices('[') {
        let start = text[..i].rfind('\n').map_or(0, |n| n + 1);
        if !text[start..i].trim().is_empty() {
            continue;
        }
        let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
        let t = text[start..end].trim();
        if t == "[global]" {
            return true;
        }
        if t.starts_with('[') && t.ends_with(']') && t.len() > 2 {
            section = true;
        }
    }
    section && text.lines().any(|line| line.split_once('=').is_some_and(|(k, _)| matches!(k.trim(), "listen" | "pm")))
}

/// Loads every PHP-FPM and php.ini file in `found`, with no environment for `${NAME}`.
pub fn load(ctx: &Ctx, found: &[Found]) -> (Config, Vec<LoadError>) {
    load_with_env(ctx, found, &HashMap::new())
}

/// [`load`], expanding `${NAME}` from `env` (values are kept as written; the model cooks them).
pub fn load_with_env(ctx: &Ctx, found: &[Found], env: &HashMap<String, String>) -> (Config, Vec<LoadError>) {
    let mut l = Loader {
        ctx,
        cfg: Config { env: env.clone(), ..Config::default() },
        errors: Vec::new(),
        by_path: HashMap::new(),
    };
    let mut fpm = Vec::new();
    let mut ini = Vec::new();
    for f in found {
        match f.kind {
            KIND => {
                if let Some(i) = l.file(&f.path, true) {
                    fpm.push(i);
                }
            }
            PHP_INI => {
                if let Some(i) = l.file(&f.path, false) {
                    ini.push(i);
                }
            }
            _ => {}
        }
    }
    // Which FPM files are included by another: those are not configurations of their own.
    let mut included = HashSet::new();
    for &i in &fpm {
        let mut seen = HashSet::new();
        l.expand(i, &mut seen, &mut Vec::new(), &mut included, false);
    }
    for &i in &fpm {
        if included.contains(&i) {
            continue;
        }
        let mut items = Vec::new();
        let mut seen = HashSet::new();
        let mut sink = HashSet::new();
        l.expand(i, &mut seen, &mut items, &mut sink, true);
        let master = l.master(i, items);
        l.cfg.masters.push(master);
    }
    l.php_inis(&ini);
    (l.cfg, l.errors)
}

struct Loader<'a> {
    ctx: &'a Ctx,
    cfg: Config,
    errors: Vec<LoadError>,
    by_path: HashMap<PathBuf, Option<usize>>,
}

/// An item with the file it came from.
type Located = (usize, Item);

impl Loader<'_> {
    /// Reads and parses a file once; `None` when it cannot be read or parsed (error recorded).
    fn file(&mut self, path: &Path, fpm: bool) -> Option<usize> {
        let canon = self.ctx.canonical(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(i) = self.by_path.get(&canon) {
            return *i;
        }
        let r = match self.ctx.read(path) {
            Err(e) => {
                self.errors.push(e);
                None
            }
            Ok(source) => match parser::parse(&source) {
                Err(e) => {
                    self.errors.push(e);
                    None
                }
                Ok(items) => {
                    if fpm {
                        self.check_bare(&source, &items);
                    }
                    self.cfg.files.push(IniFile { source, items, path: canon.clone() });
                    Some(self.cfg.files.len() - 1)
                }
            },
        };
        self.by_path.insert(canon, r);
        r
    }

    /// PHP-FPM refuses a label with no `=`: "value is NULL for a ZEND_INI_PARSER_ENTRY".
    fn check_bare(&mut self, source: &SourceFile, items: &[Item]) {
        for it in items {
            if let Item::Bare { text, span, line } = it {
                let lc = source.line_col(source.local(span.start));
                let help = if text.starts_with('#') {
                    "PHP-FPM comments start with `;`: `#` stopped being a comment in PHP 7.0"
                } else {
                    "write `key = value`"
                };
                self.errors.push(
                    LoadError::at(
                        *span,
                        source.display.clone(),
                        format!(
                            "{}:{line}:{}: `{text}` has no `=`: php-fpm refuses to start (\"value is NULL for a ZEND_INI_PARSER_ENTRY\")",
                            source.display, lc.column
                        ),
                    )
                    .with_help(help),
                );
            }
        }
    }

    /// The items of file `i` with `include=` lines replaced by the files they match, in order.
    /// Records every file reached through an include in `included`.
    fn expand(
        &mut self,
        i: usize,
        seen: &mut HashSet<usize>,
        out: &mut Vec<Located>,
        included: &mut HashSet<usize>,
        record_unmatched: bool,
    ) {
        if !seen.insert(i) {
            return;
        }
        let items = self.cfg.files[i].items.clone();
        let dir = self.cfg.files[i].path.parent().map(Path::to_path_buf).unwrap_or_default();
        for it in items {
            match &it {
                Item::Entry(e) if e.key == "include" && e.sub.is_none() => {
                    let pattern = e.value.cooked(&self.cfg.env).0;
                    let matches = self.resolve(&pattern, &dir);
                    if matches.is_empty() && record_unmatched {
                        self.cfg.unmatched_includes.push((pattern, e.span));
                    }
                    for m in matches {
                        if let Some(j) = self.file(&m, true) {
                            included.insert(j);
                            self.expand(j, seen, out, included, record_unmatched);
                        }
                    }
                }
                _ => out.push((i, it)),
            }
        }
        seen.remove(&i);
    }

    /// Files in the linted tree that an `include=` pattern names. An absolute pattern
    /// (`/etc/php/8.2/fpm/pool.d/*.conf`) is tried under each root and under the including file's
    /// directory and its parents, first whole (minus the leading `/`), then with leading components
    /// stripped (the tree may hold `php/pool.d/` rather than `etc/php/8.2/fpm/pool.d/`), keeping
    /// at least the last directory and the file pattern. A relative pattern is relative to the
    /// including file. Matches are sorted, as glob(3) returns them.
    fn resolve(&self, pattern: &str, dir: &Path) -> Vec<PathBuf> {
        let comps: Vec<String> = Path::new(pattern)
            .components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                Component::ParentDir => Some("..".into()),
                _ => None,
            })
            .collect();
        if comps.is_empty() {
            return Vec::new();
        }
        if !pattern.starts_with('/') {
            return self.glob(dir, &comps);
        }
        let mut bases: Vec<PathBuf> = self.ctx.roots.iter().map(|r| r.canonical.clone()).collect();
        let mut d = Some(dir);
        while let Some(p) = d {
            if !self.ctx.inside(p) {
                break;
            }
            if !bases.iter().any(|b| b == p) {
                bases.push(p.to_path_buf());
            }
            d = p.parent();
        }
        let keep = comps.len().min(2);
        for k in 0..=comps.len() - keep {
            let mut all = BTreeSet::new();
            for b in &bases {
                all.extend(self.glob(b, &comps[k..]));
            }
            if !all.is_empty() {
                return all.into_iter().collect();
            }
        }
        Vec::new()
    }

    /// Matches `base/comps...` (a glob) against the files the walk saw.
    fn glob(&self, base: &Path, comps: &[String]) -> Vec<PathBuf> {
        let mut joined = crate::files::clean(base);
        for c in comps {
            joined.push(c);
        }
        let joined = crate::files::clean(&joined);
        let base_str = globset::escape(&base.to_string_lossy());
        let rest = joined.strip_prefix(base).map(|r| r.to_string_lossy().into_owned());
        let pat = match rest {
            Ok(r) if !r.is_empty() => format!("{base_str}/{r}"),
            // `..` climbed above the base: use the path as is.
            _ => joined.to_string_lossy().into_owned(),
        };
        let Ok(g) = globset::GlobBuilder::new(&pat).literal_separator(true).build().map(|g| g.compile_matcher()) else {
            return Vec::new();
        };
        self.ctx.all_files.iter().filter(|f| g.is_match(f)).cloned().collect()
    }

    /// Groups the expanded items of a top file into `[global]` and pools.
    fn master(&mut self, top: usize, items: Vec<Located>) -> Master {
        let mut global = Vec::new();
        let mut pools: Vec<PoolConf> = Vec::new();
        let mut current: Option<usize> = None; // None = global (or before any section)
        for (fi, it) in items {
            match it {
                Item::Section { name, span, .. } => {
                    if name == "global" {
                        current = None;
                        continue;
                    }
                    let idx = match pools.iter().position(|p| p.name == name) {
                        Some(i) => i,
                        None => {
                            pools.push(PoolConf {
                                name,
                                header: span,
                                file: self.cfg.files[fi].source.display.clone(),
                                entries: Vec::new(),
                            });
                            pools.len() - 1
                        }
                    };
                    current = Some(idx);
                }
                Item::Entry(e) => match current {
                    Some(p) => pools[p].entries.push(e),
                    None => global.push(e),
                },
                Item::Bare { .. } => {}
            }
        }
        let f = &self.cfg.files[top];
        Master { file: f.source.display.clone(), path: f.path.clone(), global, pools, php_ini: None }
    }

    /// Collects php.ini files with their `conf.d/*.ini` and pairs them with the masters.
    fn php_inis(&mut self, ini: &[usize]) {
        let mains: Vec<usize> = ini
            .iter()
            .copied()
            .filter(|&i| self.cfg.files[i].path.file_name().is_some_and(|n| n.eq_ignore_ascii_case("php.ini")))
            .collect();
        for &m in &mains {
            let dir = self.cfg.files[m].path.parent().map(Path::to_path_buf).unwrap_or_default();
            let confd = dir.join("conf.d");
            let mut extra: Vec<usize> =
                ini.iter().copied().filter(|&i| self.cfg.files[i].path.parent() == Some(confd.as_path())).collect();
            extra.sort_by(|a, b| self.cfg.files[*a].path.cmp(&self.cfg.files[*b].path));
            let mut met = None;
            for f in std::iter::once(m).chain(extra) {
                let mut per_dir = false;
                for it in &self.cfg.files[f].items {
                    match it {
                        // `[PATH=/x]` and `[HOST=x]` sections apply to some requests only.
                        Item::Section { name, .. } => {
                            let up = name.to_ascii_uppercase();
                            per_dir = up.starts_with("PATH=") || up.starts_with("HOST=");
                        }
                        Item::Entry(e) if !per_dir && e.key == "max_execution_time" => {
                            met = Some(e.clone());
                        }
                        _ => {}
                    }
                }
            }
            self.cfg.php_inis.push(PhpIni {
                file: self.cfg.files[m].source.display.clone(),
                dir,
                max_execution_time: met,
            });
        }
        let n = self.cfg.php_inis.len();
        for master in &mut self.cfg.masters {
            let mdir = master.path.parent().unwrap_or(Path::new(""));
            // The nearest php.ini whose directory holds the master (Debian: /etc/php/8.2/fpm/).
            let near = self
                .cfg
                .php_inis
                .iter()
                .enumerate()
                .filter(|(_, p)| mdir.starts_with(&p.dir))
                .max_by_key(|(_, p)| p.dir.components().count())
                .map(|(i, _)| i);
            master.php_ini = near.or(if n == 1 { Some(0) } else { None });
        }
    }
}

use crate::component::{Candidate, Claim, ComponentDef, GraphFacts, Loaded, Phase, Recogniser, Shared, Step};
use crate::files::{Comments, Layer};
use crate::graph::StackBuilder;

/// `php-fpm.conf`, pool files (`php-fpm.d/*.conf`, `pool.d/*.conf`, `*.conf` with pool content).
pub const KIND: Kind = Kind::new("php-fpm", Layer::App, Comments::SemiHash);
/// `php.ini` and `conf.d/*.ini` under a php directory.
pub const PHP_INI: Kind = Kind::new("php-ini", Layer::App, Comments::SemiHash);

pub static COMPONENT: ComponentDef = ComponentDef {
    name: "php-fpm",
    kinds: &[KIND, PHP_INI],
    recognise: &[
        // Checked before the nginx directories: a pool file may sit in a `conf.d/`.
        Recogniser {
            rank: 90,
            step: |c, _| {
                let ini = c.lower == "php.ini"
                    || (c.lower.ends_with(".ini") && c.parent == "conf.d" && under_php_dir(c.path));
                Step::when(ini, PHP_INI)
            },
        },
        Recogniser {
            rank: 100,
            step: |c, _| {
                let (lower, parent) = (c.lower, c.parent);
                let fpm = (lower.starts_with("php-fpm") && lower.ends_with(".conf"))
                    || (matches!(parent, "php-fpm.d" | "pool.d") && lower.ends_with(".conf"));
                Step::when(fpm, KIND)
            },
        },
        Recogniser { rank: 110, step: by_content },
    ],
    precommit: &[r"\.(conf|ini)$"],
    phase: Phase::Main,
    load: |ctx, found, _| {
        let (cfg, errors) = load(ctx, found);
        (Some(Box::new(PhpFpm(cfg))), errors)
    },
    graph_rank: 2,
    graph: Some(GraphFacts { component: crate::graph::Component::PhpFpm, drains_idle_http2: false, trust: None }),
};

/// A `*.conf` whose content is a pool and not nginx.
fn by_content(c: &Candidate<'_>, head: &mut dyn FnMut() -> Option<String>) -> Step {
    if c.lower.ends_with(".conf") {
        if let Some(t) = head() {
            if looks_like_fpm(&t) && !crate::nginx::looks_like_nginx(&t) {
                return Step::Is(KIND);
            }
        }
    }
    Step::Pass
}

/// Is some ancestor directory a PHP one (`php`, `php8.2`, `php-8.2`, `php82`)?
fn under_php_dir(path: &Path) -> bool {
    path.ancestors().skip(1).any(|a| {
        a.file_name().and_then(|n| n.to_str()).map(|n| n.to_ascii_lowercase()).is_some_and(|n| {
            n == "php"
                || n.strip_prefix("php")
                    .is_some_and(|r| r.trim_start_matches('-').starts_with(|c: char| c.is_ascii_digit()))
        })
    })
}

struct PhpFpm(Config);

impl Loaded for PhpFpm {
    fn add_to_graph(&mut self, b: &mut StackBuilder, _: &Shared) {
        model::add(&self.0, b);
    }

    /// Files `include=` pulled in.
    fn claims(&self, file: &SourceFile) -> Claim {
        if self.0.files.iter().any(|x| x.source.id == file.id) {
            Claim::Mine(KIND)
        } else {
            Claim::No
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fpm_content_is_recognised_and_not_nginx() {
        let fpm = "; pool\n[www]\nuser = www-data\nlisten = 127.0.0.1:9000\npm = dynamic\n";
        assert!(looks_like_fpm(fpm));
        assert!(!crate::nginx::looks_like_nginx(fpm));
        assert!(!looks_like_fpm("server {\n listen 80;\n}\n"));
        assert!(!looks_like_fpm("[section]\nfoo = bar\n"));
    }
}
