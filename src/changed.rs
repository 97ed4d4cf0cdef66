//! Linting what changed: `--changed-only FILES...` (the pre-commit hook) and `--diff-base REV`.
//!
//! A finding is about a *stack*, not a file: a changed gunicorn timeout breaks against an unchanged
//! nginx file. So stacklint always lints whole stacks and then keeps the findings that label at
//! least one changed file (and the load errors in changed files). With `--changed-only` the
//! arguments are the changed files; the stack each belongs to is found upwards: the nearest
//! directory with a `stacklint.toml`, else the top of its git work tree (the nearest directory
//! with `.git`), else the deepest directory common to the files given. A changed `stacklint.toml`
//! changes every finding of its stack, so then nothing is filtered out.

use crate::diag::LoadError;
use crate::engine::Outcome;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The git work tree holding the current directory (the nearest ancestor with `.git`).
fn repository(cwd: &Path) -> Option<PathBuf> {
    cwd.ancestors().find(|d| d.join(".git").exists()).map(Path::to_path_buf)
}

/// The stacks (lint roots) the changed files belong to, as paths to pass to the engine (relative
/// to the current directory when inside it), the canonical paths of the changed files, and an
/// error for each file outside the repository (never linted: `--changed-only /etc/passwd` must not
/// lint `/etc`); outside a git work tree, the current directory stands for the repository. The
/// stack of a file is the nearest directory with a `stacklint.toml`, looking no higher than the
/// repository's root, else that root.
pub fn roots_for(files: &[PathBuf]) -> (Vec<PathBuf>, HashSet<PathBuf>, Vec<LoadError>) {
    let cwd = std::env::current_dir().ok().and_then(|c| c.canonicalize().ok());
    roots_in(files, cwd)
}

fn roots_in(files: &[PathBuf], cwd: Option<PathBuf>) -> (Vec<PathBuf>, HashSet<PathBuf>, Vec<LoadError>) {
    let repo = cwd.as_deref().and_then(repository);
    // Files must lie in the repository (or, outside git, under the current directory).
    let fence = repo.clone().or_else(|| cwd.clone());
    let mut changed = HashSet::new();
    let mut refused = Vec::new();
    let mut roots: Vec<PathBuf> = Vec::new();
    let mut loose: Vec<PathBuf> = Vec::new();
    for f in files {
        let Ok(canon) = f.canonicalize() else { continue };
        if let Some(fence) = &fence {
            if !canon.starts_with(fence) {
                let shown = f.display().to_string();
                refused.push(LoadError::file(
                    &shown,
                    format!("{shown} is outside the repository ({}); --changed-only lints files of the repository it runs in", fence.display()),
                ));
                continue;
            }
        }
        let dir =
            if canon.is_dir() { canon.clone() } else { canon.parent().map(Path::to_path_buf).unwrap_or_default() };
        changed.insert(canon);
        let within = |d: &&Path| repo.as_ref().is_none_or(|r| d.starts_with(r));
        let by_config = dir.ancestors().take_while(within).find(|d| d.join("stacklint.toml").is_file());
        let by_git = || dir.ancestors().take_while(within).find(|d| d.join(".git").exists());
        match by_config.or_else(by_git) {
            Some(r) => roots.push(r.to_path_buf()),
            None => loose.push(dir),
        }
    }
    if let Some(first) = loose.first() {
        let common = loose.iter().fold(first.clone(), |acc, d| {
            acc.ancestors().find(|a| d.starts_with(a)).map(Path::to_path_buf).unwrap_or_default()
        });
        roots.push(common);
    }
    // One run per root: drop duplicates and roots inside another root.
    roots.sort();
    roots.dedup();
    let all = roots.clone();
    roots.retain(|r| !all.iter().any(|o| o != r && r.starts_with(o)));
    let shown = roots
        .into_iter()
        .map(|r| match cwd.as_ref().and_then(|c| r.strip_prefix(c).ok()) {
            Some(rel) if rel.as_os_str().is_empty() => PathBuf::from("."),
            Some(rel) => rel.to_path_buf(),
            None => r,
        })
        .collect();
    (shown, changed, refused)
}

fn git(args: &[&str]) -> Result<String, String> {
    let out =
        Command::new("git").args(args).output().map_err(|e| format!("--diff-base needs git: cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!("git {}: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Files changed since `rev` (canonical paths): `git diff --name-only` against the merge base of
/// `rev` and `HEAD` (as a pull request sees it), working-tree changes included, deletions left out.
pub fn since(rev: &str) -> Result<HashSet<PathBuf>, String> {
    // A revision is never an option: `--diff-base=--output=FILE` must not make git write a file.
    if rev.starts_with('-') || rev.is_empty() || rev.chars().any(|c| c.is_control()) {
        return Err(format!(
            "--diff-base takes a git revision (a branch, tag or commit), not `{}`",
            crate::report::printable(rev)
        ));
    }
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?.trim());
    let base = git(&["merge-base", "--end-of-options", rev, "HEAD"])
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| rev.to_string());
    let names = git(&["diff", "--name-only", "-z", "--diff-filter=d", "--end-of-options", &base, "--"])?;
    Ok(names
        .split('\0')
        .filter(|n| !n.is_empty())
        .map(|n| {
            let p = top.join(n);
            p.canonicalize().unwrap_or(p)
        })
        .collect())
}

/// Keeps the findings labelling a changed file and the errors in changed files (errors in
/// stacklint.toml always stay). Nothing is dropped when a stacklint.toml changed.
pub fn filter(out: &mut Outcome, changed: &HashSet<PathBuf>) {
    if changed.iter().any(|p| p.file_name().is_some_and(|n| n == "stacklint.toml")) {
        return;
    }
    let map = &out.map;
    let touches = |span: crate::source::Span| map.file_of(span.start).is_some_and(|f| changed.contains(&f.path));
    out.findings.retain(|f| f.labels.iter().any(|l| touches(l.span)));
    out.errors.retain(|e| match e.span {
        Some(s) => touches(s) || map.file_of(s.start).is_some_and(|f| f.path.ends_with("stacklint.toml")),
        None => Path::new(&e.file).canonicalize().is_ok_and(|p| changed.contains(&p)),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_are_found_upwards() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().canonicalize().unwrap();
        std::fs::create_dir_all(root.join("a/etc/nginx")).unwrap();
        std::fs::create_dir_all(root.join("b/app")).unwrap();
        std::fs::write(root.join("a/stacklint.toml"), "").unwrap();
        std::fs::write(root.join("a/etc/nginx/nginx.conf"), "").unwrap();
        std::fs::write(root.join("b/app/gunicorn.conf.py"), "").unwrap();
        std::fs::write(root.join("b/Procfile"), "").unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let outside = elsewhere.path().join("passwd");
        std::fs::write(&outside, "root:x:0:0").unwrap();
        let (roots, changed, refused) = roots_in(
            &[
                root.join("a/etc/nginx/nginx.conf"),
                root.join("b/app/gunicorn.conf.py"),
                root.join("b/Procfile"),
                root.join("gone.conf"),
                outside.clone(),
            ],
            Some(root.clone()),
        );
        assert_eq!(changed.len(), 3);
        // A file outside the repository (here: the current directory, no git) is refused.
        assert_eq!(refused.len(), 1, "{refused:?}");
        assert!(refused[0].message.contains("outside the repository"), "{}", refused[0].message);
        // `a` by its stacklint.toml; `b/app` and `b` have none (and no git): their common ancestor.
        assert!(roots.contains(&PathBuf::from("a")), "{roots:?}");
        assert!(roots.contains(&PathBuf::from("b")), "{roots:?}");
        assert_eq!(roots.len(), 2, "{roots:?}");
    }
}
