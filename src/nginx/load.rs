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
use crate::files::{clean, Ctx, Found};
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
        cycles: HashMap::new(),
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
    for &(e, more) in l.cycles.values() {
        if more > 0 {
            let (s, verb) = if more == 1 { ("", "closes") } else { ("s", "close") };
            l.errors[e].message.push_str(&format!(" ({more} more include{s} in this file {verb} a cycle too)"));
        }
    }
    l.tree.mains = mains;
    bound_expansion(&mut l.tree, &mut l.errors);
    (l.tree, l.errors)
}

/// Directive instances the model may walk once includes are expanded, whatever the input: at
/// least this many...
const MIN_EXPANSION: u64 = 1_000_000;
/// ...or this many times the directives read. A snippet included by every location stays well
/// inside it; a file that includes the next one twice, 28 levels deep, does not (2^27).
const EXPANSION_FACTOR: u64 = 10;

/// Expanded sizes saturate here (2^62: no tree gets near it without multiplying).
const SIZE_CAP: u64 = 1 << 62;

/// Keeps the expanded tree linear in the input. Files that include the same files several times
/// at every level multiply (28 files each including the next twice are 2^27 directives once
/// expanded; nginx would expand them all). Each file's expanded size is computed once over the
/// include graph; the main files' includes are followed while their total fits the budget, and
/// the first include past it is cut and reported with the chain that multiplies.
fn bound_expansion(tree: &mut Tree, errors: &mut Vec<LoadError>) {
    // Per file: its directives (nested blocks included) other than followed includes, and the
    // files its includes pull in, once per inclusion.
    let mut own: Vec<u64> = Vec::with_capacity(tree.files.len());
    let mut edges: Vec<Vec<usize>> = Vec::with_capacity(tree.files.len());
    for f in &tree.files {
        let (mut n, mut e) = (0u64, Vec::new());
        walk(&f.directives, &mut |d| {
            if is_followed(d) {
                e.extend_from_slice(&d.includes);
            } else {
                n += 1;
            }
        });
        own.push(n);
        edges.push(e);
    }
    let input: u64 = own.iter().sum::<u64>() + edges.iter().map(|e| e.len() as u64).sum::<u64>();
    let budget = MIN_EXPANSION.max(EXPANSION_FACTOR.saturating_mul(input));
    let size = expanded_sizes(&own, &edges);

    let mut used = 0u64;
    for mi in 0..tree.mains.len() {
        let m = tree.mains[mi];
        if used.saturating_add(size[m]) <= budget {
            used += size[m];
            continue;
        }
        // Walk the main file in order, following includes while they fit; note the others by
        // their place among the main file's followed includes.
        let mut cut: Vec<usize> = Vec::new();
        let mut first: Option<&Directive> = None;
        let mut nth = 0usize;
        walk(&tree.files[m].directives, &mut |d| {
            if !is_followed(d) {
                used = used.saturating_add(1);
                return;
            }
            let n = d.includes.iter().fold(0u64, |a, &i| a.saturating_add(size[i]));
            if used.saturating_add(n) <= budget {
                used += n;
            } else {
                first.get_or_insert(d);
                cut.push(nth);
            }
            nth += 1;
        });
        if let Some(d) = first {
            let n = d.includes.iter().fold(0u64, |a, &i| a.saturating_add(size[i]));
            let names = |i: usize| tree.files[i].source.display.clone();
            let mut chain = vec![names(m)];
            // The heaviest file at each step (the first of equals, in include order).
            let heaviest = |of: &[usize]| {
                of.iter().copied().fold(None, |b: Option<usize>, i| match b {
                    Some(b) if size[b] >= size[i] => Some(b),
                    _ => Some(i),
                })
            };
            let mut next = heaviest(&d.includes);
            let mut times = d.includes.iter().filter(|&&i| Some(i) == next).count();
            while let Some(f) = next {
                chain.push(if times > 1 { format!("{} ({times} times)", names(f)) } else { names(f) });
                next = heaviest(&edges[f]);
                times = edges[f].iter().filter(|&&i| Some(i) == next).count();
                if chain.len() > MAX_INCLUDE_DEPTH + 1 {
                    break;
                }
            }
            let more = match cut.len() {
                1 => String::new(),
                2 => "; 1 more include of this file is not followed either".to_string(),
                k => format!("; {} more includes of this file are not followed either", k - 1),
            };
            errors.push(
                LoadError::at(
                    d.span,
                    tree.files[m].source.display.clone(),
                    format!(
                        "includes expand too far: `include {}` stands for {} directives once expanded, past stacklint's limit of {budget} ({EXPANSION_FACTOR} times the {input} directives read, at least {MIN_EXPANSION}); the include chain: {}{more}",
                        d.args[0].value,
                        if n >= SIZE_CAP { "more than 2^62".to_string() } else { n.to_string() },
                        chain.join(" -> ")
                    ),
                )
                .with_help("a file that includes the same file more than once, level after level, multiplies its directives; include each file once"),
            );
        }
        let mut nth = 0usize;
        let mut cut = cut.into_iter().peekable();
        walk_mut(&mut tree.files[m].directives, &mut |d| {
            if is_followed(d) {
                if cut.peek() == Some(&nth) {
                    cut.next();
                    d.includes.clear();
                }
                nth += 1;
            }
        });
    }
}

/// An `include` whose files the tree expands in its place.
fn is_followed(d: &Directive) -> bool {
    d.name == "include" && !d.includes.is_empty()
}

/// Every directive of `dirs` and of their blocks, in order, without recursion (blocks nest up to
/// the parser's limit in each file).
fn walk<'a>(dirs: &'a [Directive], f: &mut dyn FnMut(&'a Directive)) {
    let mut stack: Vec<std::slice::Iter<'a, Directive>> = vec![dirs.iter()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(d) => {
                f(d);
                if let Some(children) = &d.block {
                    stack.push(children.iter());
                }
            }
            None => {
                stack.pop();
            }
        }
    }
}

/// [`walk`], for changing directives (not their blocks' shape).
fn walk_mut(dirs: &mut [Directive], f: &mut dyn FnMut(&mut Directive)) {
    let mut stack: Vec<std::slice::IterMut<'_, Directive>> = vec![dirs.iter_mut()];
    while let Some(top) = stack.last_mut() {
        match top.next() {
            Some(d) => {
                f(d);
                if let Some(children) = d.block.as_deref_mut() {
                    stack.push(children.iter_mut());
                }
            }
            None => {
                stack.pop();
            }
        }
    }
}

/// Each file's directive count once its includes are expanded (saturating): `own` plus the
/// expanded size of every file it includes, each time it includes it. Computed once per file,
/// children first (an explicit stack: include chains may be long); the loader already dropped
/// the includes that close a cycle, and a file met again while still open counts as empty.
fn expanded_sizes(own: &[u64], edges: &[Vec<usize>]) -> Vec<u64> {
    const OPEN: u64 = u64::MAX;
    let mut size: Vec<Option<u64>> = vec![None; own.len()];
    for root in 0..own.len() {
        if size[root].is_some() {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        size[root] = Some(OPEN);
        while let Some((f, next)) = stack.last_mut() {
            let f = *f;
            if let Some(&child) = edges[f].get(*next) {
                *next += 1;
                if size[child].is_none() {
                    size[child] = Some(OPEN);
                    stack.push((child, 0));
                }
                continue;
            }
            let total = edges[f].iter().fold(own[f], |a, &c| match size[c] {
                Some(OPEN) | None => a,
                Some(n) => a.saturating_add(n),
            });
            size[f] = Some(total.min(SIZE_CAP));
            stack.pop();
        }
    }
    size.into_iter().map(|s| s.unwrap_or_default()).collect()
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
    /// Files with an include that closes a cycle: the index of the error reported for the first
    /// one, and how many more the file holds.
    cycles: HashMap<usize, (usize, usize)>,
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
                    // One error per file, with the count of the others: a glob that matches its
                    // own directory closes a cycle for every file it matches, from every file.
                    if let Some((_, more)) = self.cycles.get_mut(&file) {
                        *more += 1;
                        continue;
                    }
                    self.cycles.insert(file, (self.errors.len(), 0));
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
