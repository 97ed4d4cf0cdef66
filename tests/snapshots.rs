//! Snapshot tests of what a user reads: the human report and the JSON for every bad fixture and
//! every example stack (ruff's habit). Review changes with `cargo insta review`.

mod common;
use assert_cmd::Command;
use common::root;
use std::path::{Path, PathBuf};

fn run(dir: &Path, format: &str) -> String {
    let mut cmd = Command::cargo_bin("stacklint").unwrap();
    cmd.current_dir(dir).args(["--color", "never", "--format", format]);
    if let Ok(args) = std::fs::read_to_string(dir.join("ARGS")) {
        cmd.args(args.split_whitespace());
    }
    let out = cmd.arg(".").output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

fn case_dirs() -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    for rule in std::fs::read_dir(root().join("fixtures/rules")).unwrap() {
        let rule = rule.unwrap().path();
        if let Ok(cases) = std::fs::read_dir(rule.join("bad")) {
            for c in cases {
                let c = c.unwrap().path();
                let name = format!(
                    "{}__{}",
                    rule.file_name().unwrap().to_string_lossy(),
                    c.file_name().unwrap().to_string_lossy()
                );
                out.push((name, c));
            }
        }
    }
    for s in std::fs::read_dir(root().join("fixtures/stacks")).unwrap() {
        let s = s.unwrap().path();
        out.push((format!("stack__{}", s.file_name().unwrap().to_string_lossy()), s));
    }
    out.sort();
    out
}

#[test]
fn human_output() {
    for (name, dir) in case_dirs() {
        insta::assert_snapshot!(format!("human__{name}"), run(&dir, "human"));
    }
}

#[test]
fn json_output() {
    for (name, dir) in case_dirs() {
        insta::assert_snapshot!(format!("json__{name}"), run(&dir, "json"));
    }
}
