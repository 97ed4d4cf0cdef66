//! The linted trees: walking the paths the user gave, handing each file to a recogniser (the
//! component registry's, see `crate::discover`), and reading files, never outside those paths.

use crate::diag::LoadError;
use crate::source::{SourceFile, SourceMapBuilder};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::path::{Component as PathComponent, Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use crate::kind::{Comments, FileInfo, Kind, Layer};

/// Recognises a file: its path as walked, its canonical path and the roots (`None` when only the
/// name is known, as in [`crate::discover::classify`]), and its first 64 KiB read on demand.
pub type Recognise<'r> =
    &'r (dyn Fn(&Path, Option<(&Path, &[Root])>, &mut dyn FnMut() -> Option<String>) -> Option<Kind> + Sync);

/// A root the user passed on the command line.
#[derive(Clone, Debug)]
pub struct Root {
    /// As given (used to build display paths).
    pub given: PathBuf,
    /// Canonical absolute path (used to keep every read inside the tree).
    pub canonical: PathBuf,
    /// The root is a single file, not a directory.
    pub is_file: bool,
    /// `given` without `.` and `..` components: display paths start with it.
    shown: PathBuf,
}

/// A classified file.
#[derive(Clone, Debug)]
pub struct Found {
    /// Path on disk, under its root as given (`root.given.join(rel)`).
    pub path: PathBuf,
    pub display: String,
    pub kind: Kind,
}

/// A file read during discovery, waiting for [`Ctx::admit`]: canonical path, display path, kind,
/// bytes.
type Pending = (PathBuf, String, Kind, Vec<u8>);

/// Everything the loaders need: the roots, every file the walk saw, and the shared source map.
pub struct Ctx {
    pub roots: Vec<Root>,
    /// Every regular file the walk saw (canonical paths), for include look-ups.
    pub all_files: BTreeSet<PathBuf>,
    pub map: SourceMapBuilder,
    /// Classified files' paths, as walked (under the root as given) and canonical -> canonical
    /// paths, so the loaders' reads need no `realpath` (a readlink per path component).
    walked: std::collections::HashMap<PathBuf, PathBuf>,
    /// Classified files read during discovery, not yet in the source map (see [`Ctx::admit`]).
    pending: Mutex<Vec<Pending>>,
}

/// Largest file stacklint reads (configs are small; this keeps a stray binary from being loaded).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

impl Ctx {
    /// Puts the files discovery read into the source map, outermost layer first, then in walk
    /// order: every file's place in the global address space is the same on every run. Called
    /// by the engine after reading stacklint.toml (which so comes first), and by [`Ctx::read`]
    /// when it is asked for a discovered file before that. Later calls do nothing.
    pub fn admit(&self) {
        let mut pending = std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()));
        pending.sort_by_key(|p| p.2.layer); // stable: walk order within a layer
        for (canon, display, _, bytes) in pending {
            self.map.add(&canon, display, bytes);
        }
    }

    /// Is this (canonical) path inside one of the roots?
    pub fn inside(&self, canonical: &Path) -> bool {
        self.roots.iter().any(|r| canonical.starts_with(&r.canonical))
    }

    /// The canonical path of a file, without touching the file system for files the walk saw.
    pub fn canonical(&self, path: &Path) -> std::io::Result<PathBuf> {
        // A hash look-up first: `all_files` compares paths component by component.
        if let Some(c) = self.walked.get(path) {
            return Ok(c.clone());
        }
        if self.all_files.contains(path) {
            return Ok(path.to_path_buf());
        }
        path.canonicalize()
    }

    /// Display path: relative to the root given on the command line, joined to it as given.
    pub fn display(&self, path: &Path) -> String {
        let canon = self.canonical(path).unwrap_or_else(|_| path.to_path_buf());
        for r in &self.roots {
            if r.is_file && canon == r.canonical {
                return r.given.display().to_string();
            }
            if let Ok(rel) = canon.strip_prefix(&r.canonical) {
                // `rel` comes from a canonical path: it is clean already.
                return if rel.as_os_str().is_empty() {
                    r.shown.display().to_string()
                } else if r.shown == Path::new(".") {
                    rel.display().to_string()
                } else {
                    r.shown.join(rel).display().to_string()
                };
            }
        }
        path.display().to_string()
    }

    /// Reads a file into the source map, refusing anything outside the linted trees (a config in a
    /// pull request must not pull the CI host's files into a log).
    pub fn read(&self, path: &Path) -> Result<Arc<SourceFile>, LoadError> {
        let shown = path.display().to_string();
        let canon = self.canonical(path).map_err(|e| LoadError::file(&shown, format!("cannot read {shown}: {e}")))?;
        if let Some(f) = self.map.get_by_path(&canon) {
            return Ok(f);
        }
        let is_pending = self.pending.lock().unwrap_or_else(|e| e.into_inner()).iter().any(|p| p.0 == canon);
        if is_pending {
            self.admit();
            if let Some(f) = self.map.get_by_path(&canon) {
                return Ok(f);
            }
        }
        if !self.inside(&canon) {
            return Err(LoadError::file(
                &shown,
                format!("{shown} is outside the linted tree; stacklint does not read it"),
            ));
        }
        let display = self.display(&canon);
        let meta =
            std::fs::metadata(&canon).map_err(|e| LoadError::file(&display, format!("cannot read {display}: {e}")))?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(LoadError::file(
                &display,
                format!("{display} is {} bytes, larger than stacklint reads ({MAX_FILE_BYTES})", meta.len()),
            ));
        }
        let bytes =
            std::fs::read(&canon).map_err(|e| LoadError::file(&display, format!("cannot read {display}: {e}")))?;
        Ok(self.map.add(&canon, display, bytes))
    }
}

/// Lexically removes `.` and `..` components.
pub fn clean(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            PathComponent::CurDir => {}
            PathComponent::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// A file's path for machine formats: relative to `base` (with `/` separators) when it is inside,
/// else `None`.
pub fn relative_to(path: &Path, base: &Path) -> Option<String> {
    let rel = path.strip_prefix(base).ok()?;
    let parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    Some(parts.join("/"))
}

/// Directories never worth walking.
fn skip_dir(name: &str) -> bool {
    matches!(name, ".git" | "node_modules" | "target" | ".venv" | "venv" | "__pycache__" | ".tox" | ".mypy_cache")
}

/// Walks the roots and classifies every file. Unknown files are skipped silently.
pub fn discover(paths: &[PathBuf], recognise: Recognise<'_>) -> Result<(Ctx, Vec<Found>), String> {
    let mut t = crate::timing::Phases::start();
    let mut roots = Vec::new();
    for p in paths {
        let canonical = p.canonicalize().map_err(|e| format!("cannot open {}: {e}", p.display()))?;
        let is_file = canonical.is_file();
        roots.push(Root { given: p.clone(), canonical, is_file, shown: clean(p) });
    }
    // Walk order is sorted (names sorted per directory, depth first), which is `Path`'s order:
    // the BTreeSet is built from it in one pass at the end. Duplicates (overlapping roots,
    // symlinks) are dropped with a hash set on the way.
    let mut seen: std::collections::HashSet<PathBuf> = std::collections::HashSet::new();
    let mut walked: Vec<(PathBuf, PathBuf)> = Vec::new();
    for r in &roots {
        let walker = walkdir::WalkDir::new(&r.given).follow_links(false).sort_by_file_name().into_iter();
        for entry in walker
            .filter_entry(|e| e.depth() == 0 || !(e.file_type().is_dir() && skip_dir(&e.file_name().to_string_lossy())))
        {
            let entry = match entry {
                Ok(e) => e,
                Err(_) => continue,
            };
            let ft = entry.file_type();
            if !(ft.is_file() || ft.is_symlink()) {
                continue;
            }
            // A regular file reached without following links sits at the same place under the
            // canonical root: no `realpath` (one readlink per path component) needed.
            let canon = match entry.path().strip_prefix(&r.given) {
                Ok(rel) if !ft.is_symlink() && rel.as_os_str().is_empty() => r.canonical.clone(),
                Ok(rel) if !ft.is_symlink() => r.canonical.join(rel),
                _ => match entry.path().canonicalize() {
                    Ok(c) => c,
                    Err(_) => continue,
                },
            };
            // A symlink may point anywhere; a regular file is under its root by construction.
            if ft.is_symlink() && (!canon.is_file() || !roots.iter().any(|r| canon.starts_with(&r.canonical))) {
                continue;
            }
            if seen.insert(canon.clone()) {
                walked.push((entry.path().to_path_buf(), canon));
            }
        }
    }
    drop(seen);
    let all_files: BTreeSet<PathBuf> = walked.iter().map(|(_, c)| c.clone()).collect();
    t.done("walk");
    let ctx = Ctx {
        roots,
        all_files,
        map: SourceMapBuilder::new(),
        walked: std::collections::HashMap::new(),
        pending: Mutex::default(),
    };
    // Classify in parallel, reading each file at most once: its bytes serve the content checks
    // here and (through the source map, see `Ctx::admit`) the loaders later. `found` keeps the
    // walk's (sorted) order.
    let classified: Vec<(Found, PathBuf, Option<Vec<u8>>)> = walked
        .into_par_iter()
        .filter_map(|(path, canon)| {
            let mut bytes: Option<Option<Vec<u8>>> = None;
            let mut head =
                || head_of(bytes.get_or_insert_with(|| read_small(&canon)).as_deref()).or_else(|| read_head(&canon));
            let kind = recognise(&path, Some((&canon, &ctx.roots)), &mut head)?;
            let bytes = bytes.unwrap_or_else(|| read_small(&canon));
            Some((Found { display: ctx.display(&canon), path, kind }, canon, bytes))
        })
        .collect();
    let mut found = Vec::with_capacity(classified.len());
    let mut pending = Vec::with_capacity(classified.len());
    let mut walked = std::collections::HashMap::with_capacity(classified.len());
    for (f, canon, bytes) in classified {
        walked.insert(f.path.clone(), canon.clone());
        walked.insert(canon.clone(), canon.clone());
        if let Some(b) = bytes {
            pending.push((canon, f.display.clone(), f.kind, b));
        }
        found.push(f);
    }
    t.done("classify");
    let ctx = Ctx { walked, pending: Mutex::new(pending), ..ctx };
    Ok((ctx, found))
}

/// The whole file, if it is a regular file no larger than [`MAX_FILE_BYTES`] (else `None`: the
/// loader reads it itself and reports why it cannot).
fn read_small(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    // open + fstat + read + close: no separate stat, no read-until-EOF probe.
    let mut f = std::fs::File::open(path).ok()?;
    let meta = f.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return None;
    }
    let mut buf = vec![0u8; meta.len() as usize];
    let mut filled = 0;
    while filled < buf.len() {
        match f.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    buf.truncate(filled);
    Some(buf)
}

/// What the content checks look at: the first 64 KiB, as text.
fn head_of(bytes: Option<&[u8]>) -> Option<String> {
    let b = bytes?;
    let b = &b[..b.len().min(64 * 1024)];
    Some(String::from_utf8_lossy(b).into_owned())
}

fn read_head(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut f = std::fs::File::open(path).ok()?;
    let mut buf = vec![0u8; 64 * 1024];
    let n = f.read(&mut buf).ok()?;
    buf.truncate(n);
    Some(String::from_utf8_lossy(&buf).into_owned())
}
