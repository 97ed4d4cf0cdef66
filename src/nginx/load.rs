//! Loads the nginx files discovery found, parses each once, and links `include` directives to the
//! files they pull in, never reading outside the linted trees.
//!
//! Include paths are resolved as nginx does (relative to the main config's directory, globs
//! sorted, `*` not crossing `/` and not matching a leading dot), except that absolute paths are
//! looked up inside the tree: a repository's `etc/nginx/...` mirrors the server's `/etc/nginx/...`.
//! Stock files the repository leaves out (`fastcgi_params`, `mime.types`, ...) are replaced by
//! built-in stand-ins; any other missing file becomes a [`MissingInclude`] for the rules.

use super::ast::{Directive, File, MissingInclude, Tree};
use super::{parser, stock};
use crate::diag::LoadError;
use crate::discover::{clean, Ctx, Found};
use crate::source::SourceFile;
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Deepest chain of includes followed (nginx has no limit, but a chain this long is a mistake).
const MAX_INCLUDE_DEPTH: usize = 64;

/// Top-level blocks that make a file a main nginx config.
const MAIN_BLOCKS: &[&str] = &["http", "events", "stream", "mail"];

pub fn load(ctx: &Ctx, files: &[Found]) -> (Tree, Vec<LoadError>) {
    let mut l = Loader {
        ctx,
        tree: Tree::default(),
        errors: Vec::new(),
        by_path: HashMap::new(),
        on_stack: Vec::new(),
        done: HashSet::new(),
        included: HashSet::new(),
        resolved: HashMap::new(),
        hits: Default::default(),
    };

    // Read sequentially (so every file's place in the global address space is deterministic),
    // then parse in parallel.
    let mut sources: Vec<Arc<SourceFile>> = Vec::new();
    let mut seen = HashSet::new();
    for f in files {
        match ctx.read(&f.path) {
            Ok(sf) => {
                if seen.insert(sf.id) {
                    sources.push(sf);
                }
            }
            Err(e) => l.errors.push(e),
        }
    }
    let parsed: Vec<Result<File, LoadError>> = if sources.len() > 1 {
        sources.par_iter().map(parser::parse).collect()
    } else {
        sources.iter().map(parser::parse).collect()
    };
    let mut discovered = Vec::new();
    for (sf, r) in sources.iter().zip(parsed) {
        match r {
            Ok(file) => {
                let idx = l.tree.files.len();
                l.tree.files.push(file);
                l.by_path.insert(sf.path.clone(), Some(idx));
                discovered.push(idx);
            }
            Err(e) => {
                l.by_path.insert(sf.path.clone(), None);
                l.errors.extend(super::directives::before_syntax_error(sf));
                l.errors.push(e);
            }
        }
    }

    // Main files first: their directory is nginx's conf prefix.
    let mut mains = Vec::new();
    for &i in &discovered {
        let is_main =
            l.tree.files[i].directives.iter().any(|d| d.block.is_some() && MAIN_BLOCKS.contains(&d.name.as_str()));
        if is_main {
            mains.push(i);
            let prefix = dir_of(&l.tree.files[i].source.path);
            l.visit(i, &Prefix { dir: prefix, fragment: false }, 0);
        }
    }
    // Then every other discovered file, as an http-level fragment.
    let mut fragments = Vec::new();
    for &i in &discovered {
        if mains.contains(&i) || l.included.contains(&i) {
            continue;
        }
        fragments.push(i);
        let prefix = dir_of(&l.tree.files[i].source.path);
        l.visit(i, &Prefix { dir: prefix, fragment: true }, 0);
    }
    mains.extend(fragments.into_iter().filter(|i| !l.included.contains(i)));
    l.tree.mains = mains;
    (l.tree, l.errors)
}

fn dir_of(p: &Path) -> PathBuf {
    p.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Where relative includes are resolved.
struct Prefix {
    /// The main file's directory (nginx's conf prefix).
    dir: PathBuf,
    /// The main is a fragment (no `http`/`events`): its real prefix is unknown, so relative
    /// includes are also tried in its ancestors inside the tree.
    fragment: bool,
}

/// An include look-up: the matched paths (if any) and the candidates tried.
type Resolved = (Option<Vec<PathBuf>>, Vec<PathBuf>);

struct Loader<'c> {
    ctx: &'c Ctx,
    tree: Tree,
    errors: Vec<LoadError>,
    /// Canonical path (or `<builtin>/NAME`) -> index in `tree.files`; `None` if it failed to load.
    by_path: HashMap<PathBuf, Option<usize>>,
    /// Files whose includes are being resolved (for cycle detection), in include order.
    on_stack: Vec<usize>,
    done: HashSet<usize>,
    /// Files reached through some `include`.
    included: HashSet<usize>,
    /// Include look-ups already done: (pattern, prefix dir, fragment) -> (matched paths, if any;
    /// the candidates tried). Thousands of servers often include the same snippet: each distinct
    /// pattern touches the file system once.
    resolved: HashMap<(String, PathBuf, bool), Resolved>,
    /// The files an include resolved to, by [fragment][prefix dir][pattern]: the common case (a
    /// snippet included by thousands of locations) is two borrowed look-ups, no allocation.
    hits: [HashMap<PathBuf, HashMap<String, Vec<usize>>>; 2],
}

impl Loader<'_> {
    /// Resolves the includes of file `i` (once), recursively.
    fn visit(&mut self, i: usize, prefix: &Prefix, depth: usize) {
        if self.done.contains(&i) || self.on_stack.contains(&i) {
            return;
        }
        self.on_stack.push(i);
        let mut dirs = std::mem::take(&mut self.tree.files[i].directives);
        self.resolve_in(&mut dirs, i, prefix, depth);
        self.tree.files[i].directives = dirs;
        self.on_stack.pop();
        self.done.insert(i);
    }

    fn resolve_in(&mut self, dirs: &mut [Directive], file: usize, prefix: &Prefix, depth: usize) {
        for d in dirs.iter_mut() {
            if let Some(children) = d.block.as_mut() {
                self.resolve_in(children, file, prefix, depth);
                continue;
            }
            if d.name != "include" || d.args.len() != 1 {
                continue;
            }
            let pattern = d.args[0].value.clone();
            let targets = self.resolve_include(d, &pattern, prefix);
            let mut kept = Vec::new();
            for t in targets {
                if t == file || self.on_stack.contains(&t) {
                    let chain = self.chain_to(t, file);
                    self.errors.push(
                        LoadError::at(
                            d.span,
                            self.tree.files[file].source.display.clone(),
                            format!("include cycle: {chain}"),
                        )
                        .with_help("nginx would include these files forever; remove one of the includes"),
                    );
                    continue;
                }
                if depth + 1 > MAX_INCLUDE_DEPTH {
                    self.errors.push(LoadError::at(
                        d.span,
                        self.tree.files[file].source.display.clone(),
                        format!("includes nested more than {MAX_INCLUDE_DEPTH} deep; not following {pattern}"),
                    ));
                    continue;
                }
                self.included.insert(t);
                self.visit(t, prefix, depth + 1);
                kept.push(t);
            }
            d.includes = kept;
        }
    }

    /// `a -> b -> ... -> a`, from the first occurrence of `target` on the stack to `from`.
    fn chain_to(&self, target: usize, from: usize) -> String {
        let start = self.on_stack.iter().position(|&x| x == target).unwrap_or(self.on_stack.len());
        let mut names: Vec<String> =
            self.on_stack[start..].iter().map(|&x| self.tree.files[x].source.display.clone()).collect();
        if names.is_empty() {
            names.push(self.tree.files[from].source.display.clone());
        }
        names.push(self.tree.files[target].source.display.clone());
        names.join(" -> ")
    }

    /// Files an include pulls in, in nginx's order. Records a [`MissingInclude`] when a plain path
    /// matches nothing and is not a stock file.
    fn resolve_include(&mut self, d: &Directive, pattern: &str, prefix: &Prefix) -> Vec<usize> {
        let lane = usize::from(prefix.fragment);
        if let Some(hit) = self.hits[lane].get(prefix.dir.as_path()).and_then(|m| m.get(pattern)) {
            return hit.clone();
        }
        let is_glob = pattern.contains(['*', '?', '[']);
        let key = (pattern.to_string(), prefix.dir.clone(), prefix.fragment);
        let (found, candidates) = match self.resolved.get(&key) {
            Some(r) => r.clone(),
            None => {
                let candidates = self.candidates(pattern, prefix, is_glob);
                let found = candidates.iter().find_map(|cand| {
                    let paths: Vec<PathBuf> =
                        if is_glob { self.glob(cand) } else { self.exists(cand).into_iter().collect() };
                    (!paths.is_empty()).then_some(paths)
                });
                self.resolved.insert(key, (found.clone(), candidates.clone()));
                (found, candidates)
            }
        };
        if let Some(paths) = found {
            let files: Vec<usize> = paths.iter().filter_map(|p| self.load_path(p)).collect();
            self.hits[lane].entry(prefix.dir.clone()).or_default().insert(pattern.to_string(), files.clone());
            return files;
        }
        if is_glob {
            return Vec::new();
        }
        if let Some((name, text)) = stock::stock_file(pattern) {
            let key = PathBuf::from(format!("<builtin>/{name}"));
            if let Some(slot) = self.by_path.get(&key) {
                return slot.iter().copied().collect();
            }
            let sf = self.ctx.map.add_builtin(&key, key.display().to_string(), text);
            return self.add_parsed(key, &sf).into_iter().collect();
        }
        self.tree.missing_includes.push(MissingInclude {
            span: d.span,
            pattern: pattern.to_string(),
            looked_in: candidates.iter().map(|c| self.ctx.display(c)).collect(),
        });
        Vec::new()
    }

    /// Candidate paths (possibly globs) for an include argument, most specific first.
    fn candidates(&self, pattern: &str, prefix: &Prefix, is_glob: bool) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        let mut push = |p: PathBuf| {
            let p = clean(&p);
            if !out.contains(&p) {
                out.push(p);
            }
        };
        if let Some(rel) = pattern.strip_prefix('/') {
            // Absolute: look inside the tree. `/etc/nginx/conf.d/*.conf` -> `<root>/etc/nginx/...`,
            // `<root>/nginx/conf.d/*.conf`, `<root>/conf.d/*.conf`, and the same under the main
            // file's directory.
            let comps: Vec<&str> = rel.split('/').filter(|c| !c.is_empty()).collect();
            let min_left = if is_glob { 2 } else { 1 };
            let mut bases: Vec<&Path> =
                self.ctx.roots.iter().filter(|r| !r.is_file).map(|r| r.canonical.as_path()).collect();
            bases.push(&prefix.dir);
            for skip in 0..comps.len() {
                if comps.len() - skip < min_left && skip > 0 {
                    break;
                }
                let tail = comps[skip..].join("/");
                for b in &bases {
                    push(b.join(&tail));
                }
            }
        } else {
            push(prefix.dir.join(pattern));
            if prefix.fragment {
                let mut dir = prefix.dir.as_path();
                while let Some(parent) = dir.parent() {
                    if !self.ctx.inside(parent) {
                        break;
                    }
                    push(parent.join(pattern));
                    dir = parent;
                }
            }
        }
        out
    }

    /// The canonical path of `cand` if it is a file in the tree.
    fn exists(&self, cand: &Path) -> Option<PathBuf> {
        if self.ctx.all_files.contains(cand) {
            return Some(cand.to_path_buf());
        }
        // Symlinked directories: canonicalize (this reads no file contents) and check again.
        let canon = cand.canonicalize().ok()?;
        (self.ctx.inside(&canon) && self.ctx.all_files.contains(&canon)).then_some(canon)
    }

    /// Files in the tree matching a glob, sorted (glob(3): `*` does not cross `/` nor match a
    /// leading `.`).
    fn glob(&self, cand: &Path) -> Vec<PathBuf> {
        let Some(s) = cand.to_str() else {
            return Vec::new();
        };
        // Escape the directory part that holds no glob characters.
        let first_meta = s.find(['*', '?', '[']).unwrap_or(s.len());
        let split = s[..first_meta].rfind('/').map(|i| i + 1).unwrap_or(0);
        let pattern = format!("{}{}", globset::escape(&s[..split]), &s[split..]);
        let Ok(glob) = globset::GlobBuilder::new(&pattern).literal_separator(true).build() else {
            return Vec::new();
        };
        let m = glob.compile_matcher();
        let last_dot = s.rsplit('/').next().is_some_and(|c| c.starts_with('.'));
        // all_files is a BTreeSet: matches come out sorted.
        self.ctx
            .all_files
            .iter()
            .filter(|p| m.is_match(p))
            .filter(|p| last_dot || !p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')))
            .cloned()
            .collect()
    }

    /// Index of the parsed file at a canonical path, reading and parsing it if needed.
    fn load_path(&mut self, path: &Path) -> Option<usize> {
        if let Some(slot) = self.by_path.get(path) {
            return *slot;
        }
        match self.ctx.read(path) {
            Ok(sf) => self.add_parsed(path.to_path_buf(), &sf),
            Err(e) => {
                self.by_path.insert(path.to_path_buf(), None);
                self.errors.push(e);
                None
            }
        }
    }

    fn add_parsed(&mut self, key: PathBuf, sf: &Arc<SourceFile>) -> Option<usize> {
        match parser::parse(sf) {
            Ok(file) => {
                let idx = self.tree.files.len();
                self.tree.files.push(file);
                self.by_path.insert(key, Some(idx));
                Some(idx)
            }
            Err(e) => {
                self.by_path.insert(key, None);
                self.errors.extend(super::directives::before_syntax_error(sf));
                self.errors.push(e);
                None
            }
        }
    }
}
