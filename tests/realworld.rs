//! Precision on real repositories is a test: stacklint runs on every deployment folder of
//! `fixtures/realworld/stacks` (public repositories; see its README), one run per folder as a user
//! would, and what it reports must be exactly what `fixtures/realworld/TRIAGE` lists, each entry
//! with a verdict. A new finding (or a finding gone) fails until it is triaged.
//!
//! To see what changed, run with `STACKLINT_TRIAGE_PRINT=1`: the current findings are printed in
//! TRIAGE's format, verdict `?`, to copy and judge by hand.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn stacks() -> PathBuf {
    common::root().join("fixtures/realworld/stacks")
}

/// Deployment folders of one repository, from its SOURCE.txt (`deployment folders:` block: one
/// line each, the folder(s) first, comma-separated).
fn deployments(repo: &Path) -> Vec<String> {
    let src = std::fs::read_to_string(repo.join("SOURCE.txt")).unwrap();
    let block = src.split("deployment folders:").nth(1).unwrap_or("");
    let block = block.split("\n\n").next().unwrap_or("");
    let mut out = Vec::new();
    for line in block.lines().map(str::trim).filter(|l| !l.is_empty()) {
        // `a/, b/ what runs there` or `./ Dockerfile ...`: the leading comma-separated paths.
        let mut rest = line;
        loop {
            let (word, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            let path = word.trim_end_matches([',', ':']);
            if repo.join(path).exists() && !out.contains(&path.to_string()) {
                out.push(path.to_string());
            }
            if word.ends_with(',') {
                rest = tail.trim_start();
            } else {
                break;
            }
        }
    }
    out
}

/// One reported item: `deployment rule file:line` (paths relative to `stacks/`).
fn run(deployment: &str) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_stacklint"))
        .current_dir(stacks())
        .args(["--format", "json", "--fail-on", "never", deployment])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{deployment}: {e}: {}", String::from_utf8_lossy(&out.stderr)));
    let mut items = Vec::new();
    for f in v["findings"].as_array().unwrap() {
        let l = f["labels"].as_array().unwrap().iter().find(|l| l["primary"] == true).unwrap_or(&f["labels"][0]);
        items.push(format!(
            "{deployment} {} {}:{}",
            f["rule"].as_str().unwrap(),
            l["file"].as_str().unwrap(),
            l["line"]
        ));
    }
    for e in v["errors"].as_array().unwrap() {
        let line = e["line"].as_u64().map(|l| l.to_string()).unwrap_or_else(|| "-".into());
        items.push(format!("{deployment} error {}:{line}", e["file"].as_str().unwrap()));
    }
    items
}

#[test]
fn every_finding_on_real_deployments_is_triaged() {
    let mut repos: Vec<PathBuf> =
        std::fs::read_dir(stacks()).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    repos.sort();
    let mut found: Vec<String> = Vec::new();
    let mut folders = 0;
    for repo in &repos {
        let name = repo.file_name().unwrap().to_str().unwrap();
        for d in deployments(repo) {
            let dep = if d == "./" || d == "." { format!("{name}/") } else { format!("{name}/{d}") };
            folders += 1;
            found.extend(run(&dep));
        }
    }
    assert!(folders >= 150, "only {folders} deployment folders found");
    found.sort();

    let triage = std::fs::read_to_string(common::root().join("fixtures/realworld/TRIAGE")).unwrap();
    let mut expected: Vec<String> = Vec::new();
    let mut verdicts: BTreeMap<&str, usize> = BTreeMap::new();
    for line in triage.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let w: Vec<&str> = line.splitn(5, ' ').collect();
        assert!(w.len() == 5 && matches!(w[3], "true" | "false"), "TRIAGE line needs a verdict and a reason: {line}");
        assert!(w[4].trim().len() > 10, "TRIAGE line needs a reason: {line}");
        expected.push(format!("{} {} {}", w[0], w[1], w[2]));
        *verdicts.entry(if w[1] == "error" { "error" } else { w[3] }).or_default() += 1;
    }
    expected.sort();

    if std::env::var_os("STACKLINT_TRIAGE_PRINT").is_some() {
        for f in &found {
            println!("{f} ? (reason)");
        }
    }
    let missing: Vec<&String> = expected.iter().filter(|e| !found.contains(e)).collect();
    let new: Vec<&String> = found.iter().filter(|f| !expected.contains(f)).collect();
    assert!(
        missing.is_empty() && new.is_empty(),
        "real-deployment findings changed ({folders} folders).\nnew, to triage in fixtures/realworld/TRIAGE:\n  {}\ngone:\n  {}",
        new.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  "),
        missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n  ")
    );
    let (t, f) = (verdicts.get("true").copied().unwrap_or(0), verdicts.get("false").copied().unwrap_or(0));
    eprintln!(
        "real deployments: {folders} folders, {} findings ({t} true, {f} false), {} load errors",
        t + f,
        verdicts.get("error").copied().unwrap_or(0)
    );
    // Parse errors on files their component accepts are bugs: the triage lists none.
    assert_eq!(verdicts.get("error").copied().unwrap_or(0), 0, "load errors on real deployments");
}
