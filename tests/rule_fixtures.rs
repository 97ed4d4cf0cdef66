//! gixy-style fixtures: every case directory under `fixtures/rules/<CODE-name>/{bad,good}/` and
//! every example stack under `fixtures/stacks/` is linted with the real binary. A case's `EXPECT`
//! file lists the findings it must produce (`CODE file:line` of the primary label), exactly; a
//! `good` case must produce none. `ARGS` holds extra command-line arguments.

mod common;
use assert_cmd::Command;
use common::root;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn cases(kind: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let rules = root().join("fixtures/rules");
    for rule in std::fs::read_dir(&rules).unwrap() {
        let dir = rule.unwrap().path().join(kind);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries {
                out.push(e.unwrap().path());
            }
        }
    }
    out.sort();
    out
}

/// Runs stacklint on a case; returns (exit code, JSON).
pub fn lint(dir: &Path) -> (i32, Value) {
    let mut cmd = Command::cargo_bin("stacklint").unwrap();
    cmd.current_dir(dir).arg("--format").arg("json");
    if let Ok(args) = std::fs::read_to_string(dir.join("ARGS")) {
        cmd.args(args.split_whitespace());
    }
    cmd.arg(".");
    let out = cmd.output().unwrap();
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {}", dir.display(), String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap_or(-1), json)
}

/// The findings as `CODE file:line`, sorted, one entry per finding: a rule that reports one
/// place twice does not pass for one that reports it once.
fn found(json: &Value) -> Vec<String> {
    let mut out: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let labels = f["labels"].as_array().unwrap();
            let p = labels.iter().find(|l| l["primary"] == true).unwrap_or(&labels[0]);
            let file = p["file"].as_str().unwrap().trim_start_matches("./");
            format!("{} {}:{}", f["rule"].as_str().unwrap(), file, p["line"])
        })
        .collect();
    out.sort();
    out
}

fn expected(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_to_string(dir.join("EXPECT"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    out.sort();
    out
}

fn check(dir: &Path) -> Result<(), String> {
    let (code, json) = lint(dir);
    if !json["errors"].as_array().unwrap().is_empty() {
        return Err(format!("{}: load errors {}", dir.display(), json["errors"]));
    }
    let got = found(&json);
    let want = expected(dir);
    if got != want {
        return Err(format!("{}:\n  expected {want:?}\n  got      {got:?}", dir.display()));
    }
    let fails = json["findings"].as_array().unwrap().iter().any(|f| f["severity"] != "info");
    let want_code = if fails { 1 } else { 0 };
    if code != want_code {
        return Err(format!("{}: exit code {code}, expected {want_code}", dir.display()));
    }
    Ok(())
}

fn run_all(dirs: Vec<PathBuf>) {
    assert!(!dirs.is_empty());
    let failures: Vec<String> = dirs.iter().filter_map(|d| check(d).err()).collect();
    assert!(failures.is_empty(), "{} case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn bad_cases_produce_exactly_their_findings() {
    let dirs = cases("bad");
    for d in &dirs {
        assert!(!expected(d).is_empty(), "{}: a bad case needs an EXPECT file", d.display());
    }
    run_all(dirs);
}

#[test]
fn good_cases_produce_no_findings() {
    let dirs = cases("good");
    for d in &dirs {
        assert!(expected(d).is_empty(), "{}: a good case must not expect findings", d.display());
    }
    run_all(dirs);
}

#[test]
fn every_rule_has_bad_and_good_fixtures() {
    let out = Command::cargo_bin("stacklint").unwrap().arg("rules").output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    for line in table.lines().skip(1) {
        let mut it = line.split_whitespace();
        let (code, name) = (it.next().unwrap(), it.next().unwrap());
        let dir = root().join("fixtures/rules").join(format!("{code}-{name}"));
        for kind in ["bad", "good"] {
            let n = std::fs::read_dir(dir.join(kind)).map(|d| d.count()).unwrap_or(0);
            assert!(n > 0, "{code} {name} has no {kind} fixture under {}", dir.display());
        }
        assert!(root().join("rules").join(format!("{code}-{name}.md")).exists(), "{code} has no doc page");
    }
}

#[test]
fn example_stacks_produce_their_findings() {
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(root().join("fixtures/stacks")).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    run_all(dirs);
}
