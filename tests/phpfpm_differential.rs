//! Differential test against PHP-FPM itself: every file under `fixtures/phpfpm/accept/` (and the
//! Debian corpus pool) passes `php-fpm -t -y FILE` and loads in stacklint with no error and no
//! start-up problem; every file under `fixtures/phpfpm/reject/` is refused by both, and at the same
//! line (the file's first line says `; line: N`; php-fpm prints `[FILE:N]` for its own errors, while
//! for INI syntax errors it only says "on line 1" because it feeds its parser one line at a time).
//!
//! php-fpm comes from `scripts/install-test-deps.sh`. When it is missing the test fails
//! under `CI=true` and prints a loud skip otherwise.

mod common;
use common::root;
use stacklint::discover::{self, Found, Kind};
use stacklint::graph::StackBuilder;
use stacklint::phpfpm;
use std::path::{Path, PathBuf};
use std::process::Command;

fn php_fpm() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("PHP_FPM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var("PATH").unwrap_or_default();
    for name in ["php-fpm8.2", "php-fpm"] {
        for dir in path.split(':').chain(["/usr/sbin", "/usr/local/sbin"]) {
            let p = Path::new(dir).join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

fn binary_or_skip() -> Option<PathBuf> {
    match php_fpm() {
        Some(p) => Some(p),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("php-fpm not found and CI=true: run scripts/install-test-deps.sh")
        }
        None => {
            eprintln!("\n=============================================================");
            eprintln!("SKIPPED: php-fpm differential test: no php-fpm8.2 / php-fpm binary");
            eprintln!("         (run scripts/install-test-deps.sh)");
            eprintln!("=============================================================\n");
            None
        }
    }
}

/// php-fpm's verdict: (accepted, line it names for this file, output).
fn fpm_check(bin: &Path, file: &Path) -> (bool, Option<usize>, String) {
    let out = Command::new(bin).arg("-t").arg("-y").arg(file).output().expect("run php-fpm");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let needle = format!("[{}:", file.display());
    let line = text.find(&needle).and_then(|i| text[i + needle.len()..].split(']').next().and_then(|n| n.parse().ok()));
    (out.status.success(), line, text)
}

/// stacklint's verdict: the lines of every load error and start-up problem.
fn ours(file: &Path) -> Vec<usize> {
    let (ctx, _) = discover::discover(&[file.to_path_buf()]).unwrap();
    let found = vec![Found { path: file.to_path_buf(), display: ctx.display(file), kind: Kind::PhpFpm }];
    let (cfg, errors) = phpfpm::load(&ctx, &found);
    let mut b = StackBuilder::new();
    phpfpm::model::add(&cfg, &mut b);
    let stack = b.link();
    let map = ctx.map.freeze();
    let mut lines: Vec<usize> = errors.iter().map(|e| map.location(e.span.unwrap()).unwrap().line).collect();
    lines.extend(stack.problems.iter().map(|p| map.location(p.span).unwrap().line));
    lines
}

fn files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir)).unwrap().map(|e| e.unwrap().path()).collect();
    v.sort();
    v
}

#[test]
fn php_fpm_accepts_what_stacklint_accepts() {
    let Some(bin) = binary_or_skip() else { return };
    let mut all = files("fixtures/phpfpm/accept");
    all.push(root().join("fixtures/corpus/php-fpm/etc/php/8.2/fpm/pool.d/www.conf"));
    let mut failures = Vec::new();
    for f in &all {
        let (ok, _, out) = fpm_check(&bin, f);
        if !ok {
            failures.push(format!("php-fpm rejects {}:\n{out}", f.display()));
        }
        let lines = ours(f);
        if !lines.is_empty() {
            failures.push(format!("stacklint rejects {} at lines {lines:?}", f.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("php-fpm differential: {} accepted files agree", all.len());
}

#[test]
fn php_fpm_and_stacklint_reject_at_the_same_line() {
    let Some(bin) = binary_or_skip() else { return };
    let all = files("fixtures/phpfpm/reject");
    assert!(all.len() >= 5);
    let mut failures = Vec::new();
    for f in &all {
        let text = std::fs::read_to_string(f).unwrap();
        let want: usize = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("; line:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{}: first line must be `; line: N`", f.display()));
        let (ok, fpm_line, out) = fpm_check(&bin, f);
        if ok {
            failures.push(format!("php-fpm accepts {}", f.display()));
        }
        if let Some(l) = fpm_line {
            if l != want {
                failures.push(format!("{}: php-fpm names line {l}, the fixture says {want}:\n{out}", f.display()));
            }
        }
        let lines = ours(f);
        if lines.first() != Some(&want) {
            failures.push(format!("{}: stacklint says lines {lines:?}, expected {want}", f.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    println!("php-fpm differential: {} rejected files agree", all.len());
}
