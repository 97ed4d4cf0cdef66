//! Adopting stacklint on an existing repo: baselines (robust to line shifts), `--changed-only`
//! (what the pre-commit hook runs) and `--diff-base` (pull requests).

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/stacks/flask-behind-nginx")
}

fn copy_dir(from: &Path, to: &Path) {
    for e in walk(from) {
        let rel = e.strip_prefix(from).unwrap();
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&e, &dest).unwrap();
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Runs stacklint with JSON output in `dir`; returns (exit code, {"CODE file:line"}).
fn lint(dir: &Path, args: &[&str]) -> (i32, BTreeSet<String>) {
    let out = Command::cargo_bin("stacklint")
        .unwrap()
        .current_dir(dir)
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    let found = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let l = f["labels"].as_array().unwrap().iter().find(|l| l["primary"] == true).unwrap();
            format!("{} {}:{}", f["rule"].as_str().unwrap(), l["file"].as_str().unwrap(), l["line"])
        })
        .collect();
    (out.status.code().unwrap(), found)
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn edit(file: &Path, f: impl FnOnce(&str) -> String) {
    let text = std::fs::read_to_string(file).unwrap();
    std::fs::write(file, f(&text)).unwrap();
}

#[test]
fn baseline_hides_known_findings_across_line_shifts_and_reports_new_ones() {
    let t = tempfile::tempdir().unwrap();
    copy_dir(&example(), t.path());
    let (code, all) = lint(t.path(), &["."]);
    assert_eq!((code, all.len()), (1, 4));

    // Written from the stack's directory, read from elsewhere: paths are relative to the baseline.
    let out = Command::cargo_bin("stacklint")
        .unwrap()
        .current_dir(t.path())
        .args(["--write-baseline", "stacklint-baseline.json", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrote 4 findings"));
    let b: Value =
        serde_json::from_str(&std::fs::read_to_string(t.path().join("stacklint-baseline.json")).unwrap()).unwrap();
    assert_eq!(b["version"], 1);
    assert_eq!(b["findings"].as_array().unwrap().len(), 4);
    let baseline = t.path().join("stacklint-baseline.json");
    let outside = tempfile::tempdir().unwrap();
    let (code, left) = lint(outside.path(), &["--baseline", baseline.to_str().unwrap(), t.path().to_str().unwrap()]);
    assert_eq!((code, left.len()), (0, 0), "{left:?}");

    // Lines added above every finding: still known.
    let shop = t.path().join("etc/nginx/conf.d/shop.conf");
    let py = t.path().join("app/gunicorn.conf.py");
    edit(&shop, |s| format!("# a comment\n# another\n{s}"));
    edit(&py, |s| format!("# moved down\n{s}"));
    let (code, left) = lint(t.path(), &["--baseline", "stacklint-baseline.json", "."]);
    assert_eq!((code, left.len()), (0, 0), "{left:?}");

    // A labelled line changed: that finding is new again. The others stay hidden.
    edit(&shop, |s| s.replace("proxy_read_timeout 30s;", "proxy_read_timeout 25s;"));
    let (code, left) = lint(t.path(), &["--baseline", "stacklint-baseline.json", "."]);
    assert_eq!(code, 1);
    assert_eq!(left.iter().map(|s| &s[..5]).collect::<Vec<_>>(), vec!["SL101"], "{left:?}");

    // stacklint.toml `baseline = ...` (relative to stacklint.toml) does the same.
    std::fs::write(t.path().join("stacklint.toml"), "baseline = \"stacklint-baseline.json\"\n").unwrap();
    let (_, left) = lint(t.path(), &["."]);
    assert_eq!(left.len(), 1, "{left:?}");
    // A broken baseline is an error, not an empty baseline.
    std::fs::write(&baseline, "{").unwrap();
    let out = Command::cargo_bin("stacklint").unwrap().current_dir(t.path()).arg(".").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a stacklint baseline"));
}

#[test]
fn suppressed_findings_are_counted_in_the_summary() {
    let t = tempfile::tempdir().unwrap();
    copy_dir(&example(), t.path());
    edit(&t.path().join("app/gunicorn.conf.py"), |s| {
        s.replace("timeout = 60", "timeout = 60  # stacklint: ignore[timeout-order] exports run long")
    });
    let out = Command::cargo_bin("stacklint")
        .unwrap()
        .current_dir(t.path())
        .args(["--color", "never", "."])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("SL101(timeout-order)"), "{text}");
    assert!(text.contains("3 findings") && text.contains("[1 suppressed by comments]"), "{text}");
}

#[test]
fn changed_only_lints_the_whole_stack_and_keeps_findings_on_changed_files() {
    let t = tempfile::tempdir().unwrap();
    copy_dir(&example(), t.path());
    std::fs::write(t.path().join("stacklint.toml"), "").unwrap();
    // gunicorn.conf.py alone: the nginx side of SL101/SL201 is read too (labels in both files).
    let (code, found) = lint(t.path(), &["--changed-only", "app/gunicorn.conf.py"]);
    assert_eq!(code, 1);
    assert_eq!(found, set(&["SL201 etc/nginx/conf.d/shop.conf:3", "SL101 etc/nginx/conf.d/shop.conf:21"]));
    // From a subdirectory, with paths relative to it: the root is still found upwards.
    let (_, found2) = lint(&t.path().join("app"), &["--changed-only", "gunicorn.conf.py"]);
    assert_eq!(found2.len(), 2, "{found2:?}");
    // The systemd unit only labels SL302.
    let (_, found) = lint(t.path(), &["--changed-only", "deploy/reports.service"]);
    assert_eq!(found, set(&["SL302 etc/nginx/conf.d/shop.conf:7"]));
    // A file no finding labels, and a deleted file: clean.
    std::fs::write(t.path().join("README.md"), "hi\n").unwrap();
    assert_eq!(lint(t.path(), &["--changed-only", "README.md"]).0, 0);
    let out = Command::cargo_bin("stacklint")
        .unwrap()
        .current_dir(t.path())
        .args(["--changed-only", "gone.conf"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // stacklint.toml changed: everything in its stack.
    let (_, found) = lint(t.path(), &["--changed-only", "stacklint.toml"]);
    assert_eq!(found.len(), 4);
}

fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn diff_base_reports_findings_on_files_changed_since_a_revision() {
    let t = tempfile::tempdir().unwrap();
    copy_dir(&example(), t.path());
    git(t.path(), &["init", "-q", "-b", "main"]);
    git(t.path(), &["add", "."]);
    git(t.path(), &["commit", "-q", "-m", "stack"]);
    git(t.path(), &["checkout", "-q", "-b", "feature"]);
    let (code, found) = lint(t.path(), &["--diff-base", "main", "."]);
    assert_eq!((code, found.len()), (0, 0), "nothing changed: {found:?}");
    edit(&t.path().join("deploy/reports.service"), |s| format!("# touched\n{s}"));
    git(t.path(), &["commit", "-qam", "touch the unit"]);
    let (code, found) = lint(t.path(), &["--diff-base", "main", "."]);
    assert_eq!(code, 1);
    assert_eq!(found, set(&["SL302 etc/nginx/conf.d/shop.conf:7"]));
    // Uncommitted changes count too.
    edit(&t.path().join("app/gunicorn.conf.py"), |s| format!("# wip\n{s}"));
    let (_, found) = lint(t.path(), &["--diff-base", "main", "."]);
    assert_eq!(found.len(), 3, "{found:?}");
    // An unknown revision is an error.
    let (code, _) = (
        Command::cargo_bin("stacklint")
            .unwrap()
            .current_dir(t.path())
            .args(["--diff-base", "nope", "."])
            .output()
            .unwrap()
            .status
            .code(),
        (),
    );
    assert_eq!(code, Some(2));
}
