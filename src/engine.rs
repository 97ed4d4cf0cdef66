//! Runs the pipeline: discover -> parse -> model -> link -> rules. The CLI, tests and benchmarks
//! all go through [`lint`].

use crate::component::{Claim, ComponentDef, Loaded, Phase, Shared};
use crate::config::{self, Config};
use crate::diag::{Finding, LoadError};
use crate::files::{self as discover, Ctx, Kind};
use crate::graph::{Endpoint, HopTarget, Host, Stack, StackBuilder};
use crate::registry;
use crate::source::SourceMap;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// What the user told us on the command line.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// nginx version for version-dependent defaults; `None`: stacklint.toml's, else current stable.
    pub nginx_version: Option<crate::nginx::defaults::Version>,
    /// `--config FILE`; default: `stacklint.toml` at the first root that has one.
    pub config: Option<PathBuf>,
    /// `--cdn-ranges FILE`: the edge provider's address ranges, replacing the bundled list and
    /// stacklint.toml's `[edge] cdn_ranges`.
    pub cdn_ranges: Option<PathBuf>,
}

pub use crate::files::FileInfo;

/// A component's loaded files, waiting to be added to the graph.
type Loading = (&'static ComponentDef, Box<dyn Loaded>);

/// Everything one run produced.
pub struct Outcome {
    pub map: SourceMap,
    pub stack: Stack,
    pub findings: Vec<Finding>,
    pub errors: Vec<LoadError>,
    pub files: Vec<FileInfo>,
    pub config: Config,
    /// Findings silenced by `stacklint: ignore[...]` comments.
    pub suppressed: usize,
    /// Findings a baseline knows (not reported); see [`apply_baseline`].
    pub baselined: Vec<Finding>,
    /// What discovery passed over and why (special files, names that are not UTF-8), for stderr.
    pub notes: Vec<String>,
    /// The linted trees (canonical and as given, absolute), so that files named inside them
    /// (stacklint.toml's `baseline`) are held to them.
    pub roots: Vec<discover::Root>,
}

/// Finds and reads stacklint.toml: `--config FILE` (the user's choice, read wherever it is), else
/// the `stacklint.toml` at the first directory root that has one, which must be a regular file
/// inside the tree (a link to a file outside is refused, never followed).
fn load_config(ctx: &Ctx, opts: &Options, errors: &mut Vec<LoadError>) -> (Config, Option<String>) {
    let file = match &opts.config {
        Some(path) => match read_named(ctx, path, "config") {
            Ok(f) => f,
            Err(e) => {
                errors.push(e);
                return (Config::default(), None);
            }
        },
        None => {
            let found = ctx.roots.iter().filter(|r| !r.is_file).map(|r| r.given.join("stacklint.toml")).find(|p| {
                // `symlink_metadata`: a link named stacklint.toml is looked at, not followed, here.
                std::fs::symlink_metadata(p).is_ok()
            });
            let Some(path) = found else { return (Config::default(), None) };
            match ctx.read(&path) {
                Ok(f) => f,
                Err(e) => {
                    errors.push(e);
                    return (Config::default(), None);
                }
            }
        }
    };
    match config::parse(&file) {
        Ok(c) => (c, Some(file.display.clone())),
        Err(errs) => {
            errors.extend(private_errors(&file, errs, "stacklint.toml"));
            (Config::default(), Some(file.display.clone()))
        }
    }
}

/// Reads a file the user named on the command line (`--config`, `--cdn-ranges`): from the tree
/// when it is inside, else directly (regular files only, with the size cap) as a *private* file,
/// whose text no report shows.
fn read_named(ctx: &Ctx, path: &Path, what: &str) -> Result<std::sync::Arc<crate::source::SourceFile>, LoadError> {
    if ctx.confine(path).is_ok() {
        return ctx.read(path);
    }
    let shown = path.display().to_string();
    let bytes = crate::fsread::read_regular(path, discover::MAX_FILE_BYTES)
        .map_err(|e| LoadError::file(&shown, format!("cannot read {what} {shown}: {e}")))?;
    let canon = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    Ok(ctx.map.add_private(&canon, shown, bytes))
}

/// Errors in a private file (one outside the tree that the user named) keep their position but
/// not their words, which may quote the file.
fn private_errors(file: &crate::source::SourceFile, errs: Vec<LoadError>, what: &str) -> Vec<LoadError> {
    if !file.private {
        return errs;
    }
    errs.into_iter()
        .map(|e| {
            let at = e.span.map(|s| file.line_col(file.local(s.start))).map(|lc| format!(":{}:{}", lc.line, lc.column));
            LoadError::file(
                &file.display,
                format!(
                    "{}{}: not valid in a {what} (the file is outside the linted tree, so its text is not shown)",
                    file.display,
                    at.unwrap_or_default()
                ),
            )
        })
        .collect()
}

/// Lints the trees under `paths`. `Err` only when a path cannot be opened at all.
pub fn lint(paths: &[PathBuf], opts: &Options) -> Result<Outcome, String> {
    let mut t = crate::timing::Phases::start();
    let (mut ctx, found) = registry::discover(paths)?;
    t.done("discover");
    let mut errors = std::mem::take(&mut ctx.walk_errors);
    let notes = std::mem::take(&mut ctx.notes);
    let (cfg, cfg_display) = load_config(&ctx, opts, &mut errors);
    ctx.admit();
    t.done("admit");

    // What every loader may read: stacklint.toml's versions (the command line's override them)
    // and host aliases.
    let mut versions: BTreeMap<String, String> =
        cfg.versions.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect();
    if let Some(v) = opts.nginx_version {
        versions.insert("nginx".into(), v.to_string());
    }
    let shared = Shared::new(versions, cfg.hosts.iter().map(|(n, _)| n.value.clone()).collect());

    // The front components load first, then those that say which hosts exist; the front's graph
    // is then built beside the other loaders (which only read: the files they add to the source
    // map come in the same order whatever the schedule).
    let mut front: Vec<Loading> = Vec::new();
    let mut rest: Vec<Loading> = Vec::new();
    for def in registry::in_phase(Phase::Front).chain(registry::in_phase(Phase::Hosts)) {
        let (loaded, errs) = (def.load)(&ctx, &found, &shared);
        errors.extend(errs);
        let into = if def.phase == Phase::Front { &mut front } else { &mut rest };
        into.extend(loaded.map(|l| (def, l)));
        t.done(&format!("{} load", def.name));
    }
    let mut b = StackBuilder::new();
    let (graph, shared_ref) = (&mut b, &shared);
    let (front, (main, errs)) = rayon::join(
        move || {
            for (_, l) in &mut front {
                l.add_to_graph(graph, shared_ref);
            }
            front
        },
        || {
            let mut errors = Vec::new();
            let mut main: Vec<Loading> = Vec::new();
            for def in registry::in_phase(Phase::Main) {
                let (loaded, errs) = (def.load)(&ctx, &found, shared_ref);
                errors.extend(errs);
                main.extend(loaded.map(|l| (def, l)));
            }
            (main, errors)
        },
    );
    errors.extend(errs);
    t.done("front graph + other loads");
    rest.extend(main);
    rest.sort_by_key(|(def, _)| def.graph_rank); // stable: registry order within a rank
    for (_, l) in &mut rest {
        l.add_to_graph(&mut b, &shared);
    }
    let loaded: Vec<Loading> = front.into_iter().chain(rest).collect();
    resolve_host_aliases(&mut b, &cfg);
    t.done("other graphs");
    let mut stack = b.link();
    t.done("link");
    crate::edge::add(&mut stack, &cfg.edge);
    let ranges_display = load_cdn_ranges(&ctx, opts, &cfg, cfg_display.as_deref(), &mut stack, &mut errors);

    t.done("edge");
    let raw = crate::rules::run(&stack);
    t.done("rules");

    let mut files: Vec<FileInfo> = found.iter().map(|f| FileInfo { path: f.display.clone(), kind: f.kind }).collect();
    for (path, kind) in loaded.iter().flat_map(|(_, l)| l.listed_files()) {
        if !files.iter().any(|x| x.path == path) {
            files.push(FileInfo { path, kind });
        }
    }
    let map = ctx.map.freeze();
    // No finding, and no error, from a value a template leaves open.
    let raw = drop_unknown(raw, &map);
    errors.retain(|e| e.span.is_none_or(|s| !touches_unknown(&map, s)));
    // Files the loaders read beyond discovery's (includes, ACL files): the component that read
    // them says what they are.
    let listed: HashSet<String> = files.iter().map(|x| x.path.clone()).collect();
    for f in map.files() {
        if !f.builtin
            && Some(&f.display) != cfg_display.as_ref()
            && Some(&f.display) != ranges_display.as_ref()
            && !listed.contains(&f.display)
        {
            let claims: Vec<Claim> = loaded.iter().map(|(_, l)| l.claims(f)).collect();
            let mine = claims.iter().find_map(|c| if let Claim::Mine(k) = c { Some(*k) } else { None });
            let fallback = || claims.iter().find_map(|c| if let Claim::Fallback(k) = c { Some(*k) } else { None });
            if let Some(kind) = mine.or_else(fallback) {
                files.push(FileInfo { path: f.display.clone(), kind });
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    // Inline `stacklint: ignore[...]` comments first (a suppression is used when its rule fires
    // there, whatever stacklint.toml selects), then stacklint.toml selection, SL901 included.
    let (raw, unused, suppressed) = suppressions(raw, &map, &files);
    let mut findings = select(raw.into_iter().chain(unused).collect(), &cfg, &map, &ctx.roots);
    findings.sort_by_key(|f| (f.anchor(), f.code));
    t.done("suppress");
    let roots = ctx.roots.clone();
    let errors = crate::diag::cap_per_file(errors);
    Ok(Outcome { map, stack, findings, errors, files, config: cfg, suppressed, baselined: Vec::new(), notes, roots })
}

/// Puts the declared edge's address ranges into the stack: `--cdn-ranges`, else stacklint.toml's
/// `[edge] cdn_ranges` (relative to the toml), else the bundled lists. Returns the display path of
/// a user file it read.
fn load_cdn_ranges(
    ctx: &Ctx,
    opts: &Options,
    cfg: &Config,
    cfg_display: Option<&str>,
    stack: &mut Stack,
    errors: &mut Vec<LoadError>,
) -> Option<String> {
    let path = match (&opts.cdn_ranges, &cfg.edge.cdn_ranges) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(p)) => {
            let base = cfg_display.map(Path::new).and_then(|c| c.parent()).map(Path::to_path_buf).unwrap_or_default();
            Some(base.join(&p.value))
        }
        (None, None) => None,
    };
    let user = match &path {
        Some(p) => {
            // `--cdn-ranges` is the user's choice; stacklint.toml's `cdn_ranges` is the tree's,
            // and must stay inside it.
            let file = if opts.cdn_ranges.is_some() { read_named(ctx, p, "CDN ranges") } else { ctx.read(p) };
            match file {
                Ok(f) => {
                    let (nets, errs) = crate::cdn::data::user_file(&f);
                    errors.extend(private_errors(&f, errs, "CDN range file"));
                    Some((f, nets))
                }
                Err(e) => {
                    errors.push(e);
                    None
                }
            }
        }
        None => None,
    };
    let display = user.as_ref().map(|(f, _)| f.display.clone());
    stack.edge_ranges = crate::edge::for_edge(&cfg.edge, user.as_ref().map(|(f, n)| (f.as_ref(), n.clone())));
    display
}

/// Does `span` touch a template placeholder (an unknown value)?
fn touches_unknown(map: &SourceMap, span: crate::source::Span) -> bool {
    let Some(f) = map.file_of(span.start) else { return false };
    if f.unknown.is_empty() {
        return false;
    }
    let (s, e) = (span.start - f.base, span.end.max(span.start + 1) - f.base);
    f.unknown.iter().any(|u| u.start < e && s < u.end)
}

/// Findings with a label on a template placeholder are about a value nobody knows yet: dropped.
fn drop_unknown(raw: Vec<Finding>, map: &SourceMap) -> Vec<Finding> {
    raw.into_iter().filter(|f| !f.labels.iter().any(|l| touches_unknown(map, l.span))).collect()
}

/// `[hosts] app = "10.0.0.5"`: targets that name `app` go to 10.0.0.5.
fn resolve_host_aliases(b: &mut StackBuilder, cfg: &Config) {
    if cfg.hosts.is_empty() {
        return;
    }
    let rewrite = |ep: &mut Endpoint| {
        if let Endpoint::Tcp { host: Host::Name(n), .. } = ep {
            if let Some((_, addr)) = cfg.hosts.iter().find(|(k, _)| &k.value == n) {
                if let Endpoint::Tcp { host, .. } = ep {
                    *host = Host::parse(&addr.value);
                }
            }
        }
    };
    for g in &mut b.stack.groups {
        for t in &mut g.targets {
            rewrite(&mut t.endpoint);
        }
    }
    for r in &mut b.stack.routes {
        if let HopTarget::Direct(t) = &mut r.hop.target {
            rewrite(&mut t.endpoint);
        }
    }
}

/// Applies the inline suppressions in the files read (see [`crate::suppress`]).
fn suppressions(raw: Vec<Finding>, map: &SourceMap, files: &[FileInfo]) -> (Vec<Finding>, Vec<Finding>, usize) {
    let kinds: std::collections::HashMap<&str, Kind> = files.iter().map(|f| (f.path.as_str(), f.kind)).collect();
    crate::suppress::apply(raw, map, &kinds)
}

/// Applies a baseline (`--baseline FILE`, else stacklint.toml `baseline`): known findings move
/// from `findings` to `baselined`. `Err` when the baseline cannot be read; the findings are then
/// left as they are, all reported. A baseline named in stacklint.toml must be inside the tree.
pub fn apply_baseline(out: &mut Outcome, file: Option<&Path>) -> Result<(), String> {
    let path = match file {
        Some(f) => f.to_path_buf(),
        None => {
            let named = match (&out.config.baseline, &out.config.dir) {
                (Some(b), Some(dir)) => dir.join(&b.value),
                (Some(b), None) => PathBuf::from(&b.value),
                _ => return Ok(()),
            };
            let canon: Vec<PathBuf> = out.roots.iter().map(|r| r.canonical.clone()).collect();
            let abs: Vec<PathBuf> = out.roots.iter().map(|r| r.absolute().to_path_buf()).collect();
            match crate::fsread::confine(&named, &canon, &abs) {
                Ok(c) => c,
                Err(crate::fsread::Refusal::Missing) => {
                    return Err(format!("cannot read baseline {}: no such file in the linted tree", named.display()))
                }
                Err(crate::fsread::Refusal::Outside) => {
                    return Err(format!(
                    "baseline {} (stacklint.toml) is outside the linted tree; stacklint does not read files outside it",
                    named.display()
                ))
                }
            }
        }
    };
    let baseline = crate::baseline::load(&path)?;
    let base = crate::baseline::base_of(&path);
    let (new, known) = crate::baseline::filter(std::mem::take(&mut out.findings), &out.map, &baseline, &base);
    out.findings = new;
    out.baselined = known;
    Ok(())
}

/// Applies `[rules]` select/ignore/severity and `[[overrides]]` to the findings.
fn select(findings: Vec<Finding>, cfg: &Config, map: &SourceMap, roots: &[discover::Root]) -> Vec<Finding> {
    let overrides: Vec<(globset::GlobMatcher, &config::Override)> = cfg
        .overrides
        .iter()
        .filter_map(|o| Some((globset::Glob::new(&o.path.value).ok()?.compile_matcher(), o)))
        .collect();
    findings
        .into_iter()
        .filter_map(|mut f| {
            let named = |keys: &[config::At<String>]| keys.iter().any(|k| config::names(&k.value, f.code, f.name));
            if !cfg.select.is_empty() && !named(&cfg.select) {
                return None;
            }
            if named(&cfg.ignore) {
                return None;
            }
            if !overrides.is_empty() {
                let file = map.file_of(f.anchor().start).map(|sf| relative(roots, &sf.path));
                if let Some(file) = file {
                    for (m, o) in &overrides {
                        if m.is_match(&file) {
                            if named(&o.ignore) {
                                return None;
                            }
                            if !o.select.is_empty() && !named(&o.select) {
                                return None;
                            }
                        }
                    }
                }
            }
            if let Some((_, s)) = cfg.severity.iter().find(|(k, _)| config::names(&k.value, f.code, f.name)) {
                f.severity = s.value;
            }
            Some(f)
        })
        .collect()
}

/// A file's path relative to the root it was found under (for `[[overrides]] path` globs).
fn relative(roots: &[discover::Root], path: &Path) -> String {
    for r in roots {
        if let Ok(rel) = path.strip_prefix(&r.canonical) {
            return rel.display().to_string();
        }
    }
    path.display().to_string()
}
