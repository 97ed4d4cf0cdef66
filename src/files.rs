//! The linted trees: walking the paths the user gave, handing each file to a recogniser (the
//! component registry's, see `crate::discover`), and reading files, never outside those paths.

use crate::diag::LoadError;
use crate::source::{SourceFile, SourceMapBuilder};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
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
    /// `given` made absolute (against the current directory) and cleaned, without resolving links:
    /// the lexical confinement check (see [`crate::fsread::confine`]) compares with it.
    absolute: PathBuf,
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
    /// What the walk could not do (a path that cannot be opened, an unreadable directory): each
    /// makes the run exit 2.
    pub walk_errors: Vec<LoadError>,
    /// What the walk passed over and why (FIFOs, devices, names that are not UTF-8): said on
    /// stderr, not errors.
    pub notes: Vec<String>,
}

/// Largest file stacklint reads (configs are small; this keeps a stray binary from being loaded).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

impl Root {
    /// The path as given, made absolute and cleaned (links not resolved).
    pub fn absolute(&self) -> &Path {
        &self.absolute
    }
}

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

    /// Is `path` inside the linted trees? Lexically first, then through links; see
    /// [`crate::fsread::confine`]. Files the walk saw need no system call.
    pub fn confine(&self, path: &Path) -> Result<PathBuf, crate::fsread::Refusal> {
        if let Some(c) = self.walked.get(path) {
            return Ok(c.clone());
        }
        if self.all_files.contains(path) {
            return Ok(path.to_path_buf());
        }
        let canon: Vec<PathBuf> = self.roots.iter().map(|r| r.canonical.clone()).collect();
        let abs: Vec<PathBuf> = self.roots.iter().map(|r| r.absolute.clone()).collect();
        crate::fsread::confine(path, &canon, &abs)
    }

    /// Reads a file into the source map, refusing anything outside the linted trees (a config in a
    /// pull request must not pull the CI host's files into a log). The refusal does not say
    /// whether an outside file exists; only regular files of at most [`MAX_FILE_BYTES`] are read.
    pub fn read(&self, path: &Path) -> Result<Arc<SourceFile>, LoadError> {
        let shown = path.display().to_string();
        let canon = match self.confine(path) {
            Ok(c) => c,
            Err(crate::fsread::Refusal::Outside) => return Err(outside_error(&shown)),
            Err(crate::fsread::Refusal::Missing) => {
                return Err(LoadError::file(&shown, format!("cannot read {shown}: no such file in the linted tree")))
            }
        };
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
        let display = self.display(&canon);
        let bytes = crate::fsread::read_regular(&canon, MAX_FILE_BYTES)
            .map_err(|e| LoadError::file(&display, format!("cannot read {display}: {e}")))?;
        Ok(self.map.add(&canon, display, bytes))
    }
}

/// The refusal for a path outside the linted trees: the same words whether or not it exists.
pub fn outside_error(shown: &str) -> LoadError {
    LoadError::file(shown, format!("{shown} is outside the linted tree; stacklint does not read files outside it"))
        .with_help("name a file inside the tree, or lint the directory that holds it")
}

/// Lexically removes `.` and `..` components.
pub fn clean(p: &Path) -> PathBuf {
    crate::fsread::clean(p)
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

/// Walks the roots and classifies every file. Files stacklint does not read are skipped; special
/// files (FIFOs, devices, sockets) and names that are not UTF-8 are noted ([`Ctx::notes`]); a
/// path or directory that cannot be read is an error ([`Ctx::walk_errors`]). `Err` only when no
/// path given can be opened at all.
pub fn discover(paths: &[PathBuf], recognise: Recognise<'_>) -> Result<(Ctx, Vec<Found>), String> {
    let mut t = crate::timing::Phases::start();
    let mut roots = Vec::new();
    let mut walk_errors = Vec::new();
    let mut notes = Vec::new();
    let mut first_failure = None;
    let cwd = std::env::current_dir().unwrap_or_default();
    for p in paths {
        let canonical = match p.canonicalize() {
            Ok(c) => c,
            Err(e) => {
                let msg = format!("cannot open {}: {e}", p.display());
                walk_errors.push(LoadError::file(p.display().to_string(), msg.clone()));
                first_failure.get_or_insert(msg);
                continue;
            }
        };
        let meta = match std::fs::metadata(&canonical) {
            Ok(m) => m,
            Err(e) => {
                let msg = format!("cannot open {}: {e}", p.display());
                walk_errors.push(LoadError::file(p.display().to_string(), msg.clone()));
                first_failure.get_or_insert(msg);
                continue;
            }
        };
        if !meta.is_file() && !meta.is_dir() {
            let kind = crate::fsread::kind_name(meta.file_type());
            let msg = format!("cannot lint {}: it is a {kind}, not a file or directory", p.display());
            walk_errors.push(LoadError::file(p.display().to_string(), msg.clone()));
            first_failure.get_or_insert(msg);
            continue;
        }
        if meta.is_dir() {
            if let Err(e) = std::fs::read_dir(&canonical) {
                let msg = format!("cannot read directory {}: {e}", p.display());
                walk_errors.push(LoadError::file(p.display().to_string(), msg.clone()));
                first_failure.get_or_insert(msg);
                continue;
            }
        }
        let absolute = crate::fsread::clean(&cwd.join(p));
        roots.push(Root { given: p.clone(), canonical, is_file: meta.is_file(), shown: clean(p), absolute });
    }
    if roots.is_empty() {
        if let Some(msg) = first_failure {
            return Err(msg);
        }
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
                Err(e) => {
                    // An unreadable directory (or one that vanished): an error naming it, not a
                    // silent hole in the tree (an include into it would look "missing").
                    let path =
                        e.path().map(|p| p.display().to_string()).unwrap_or_else(|| r.given.display().to_string());
                    let os = e.io_error().map(|io| io.to_string()).unwrap_or_else(|| e.to_string());
                    walk_errors.push(
                        LoadError::file(&path, format!("cannot read {path}: {os}"))
                            .with_help("stacklint reads every file under the paths it is given; make it readable or pass a narrower path"),
                    );
                    continue;
                }
            };
            let ft = entry.file_type();
            if ft.is_dir() {
                continue;
            }
            if !(ft.is_file() || ft.is_symlink()) {
                notes.push(format!(
                    "skipped {}: a {}, not a regular file",
                    entry.path().display(),
                    crate::fsread::kind_name(ft)
                ));
                continue;
            }
            if entry.file_name().to_str().is_none() {
                notes.push(format!(
                    "skipped {}: the file name is not UTF-8, so stacklint cannot tell what it is",
                    entry.path().display()
                ));
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
        walk_errors,
        notes,
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
    let mut ctx = Ctx { walked, pending: Mutex::new(pending), ..ctx };
    // Say why a path given on the command line gave nothing to read.
    for r in &ctx.roots {
        let any = found.iter().any(|f| ctx.walked.get(&f.path).is_some_and(|c| c.starts_with(&r.canonical)));
        if any {
            continue;
        }
        ctx.notes.push(if r.is_file {
            format!(
                "{}: not a file stacklint reads (by its name and content it is none of: nginx, HAProxy, Envoy, PHP-FPM, php.ini, gunicorn, uvicorn, Node.js, compose, Dockerfile, systemd unit, Procfile, .env)",
                r.given.display()
            )
        } else {
            format!("{}: no file under it is one stacklint reads (README.md's \"What it reads\" lists them)", r.given.display())
        });
    }
    Ok((ctx, found))
}

/// The whole file, if it is a regular file no larger than [`MAX_FILE_BYTES`] (else `None`: the
/// loader reads it itself and reports why it cannot).
fn read_small(path: &Path) -> Option<Vec<u8>> {
    crate::fsread::read_regular(path, MAX_FILE_BYTES).ok()
}

/// What the content checks look at: the first 64 KiB, as text.
fn head_of(bytes: Option<&[u8]>) -> Option<String> {
    let b = bytes?;
    let b = &b[..b.len().min(64 * 1024)];
    Some(String::from_utf8_lossy(b).into_owned())
}

fn read_head(path: &Path) -> Option<String> {
    let buf = crate::fsread::read_head(path, 64 * 1024)?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}
